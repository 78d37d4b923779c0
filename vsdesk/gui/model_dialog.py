"""Which product model indexes a folder added as a catalog: asked only when the user has trained
or imported one (``vsdesk train product``, ``vsdesk models import product/NAME``)."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from vsdesk.engine.product.choice import ModelChoice


class ModelChoiceDialog(QDialog):
    """One choice per model, the shipped one first and chosen; each with its classes and
    training in words. Opened window-modal (``open``): the window keeps painting meanwhile."""

    def __init__(self, folder: str, choices: list[ModelChoice], parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Add folder: product model")
        self.choices = choices
        intro = QLabel(f"Which product model should index <b>{html.escape(folder)}</b>?<br>"
                       "The catalog keeps it: its searches use it too.")
        intro.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        self.group = QButtonGroup(self)
        for i, choice in enumerate(choices):
            button = QRadioButton(choice.title.replace("&", "&&"))  # a name's "&" is no shortcut
            button.setChecked(i == 0)
            details = QLabel(choice.details)
            details.setTextFormat(Qt.TextFormat.PlainText)  # class names are the user's, not markup
            details.setWordWrap(True)
            details.setStyleSheet("color:#555; margin-left:24px;")
            if choice.classes:
                tip = "Classes: " + ", ".join(choice.classes)
                button.setToolTip(tip)
                details.setToolTip(tip)
            self.group.addButton(button, i)
            pair = QVBoxLayout()  # the details right under their model, the next model apart
            pair.setSpacing(0)
            pair.addWidget(button)
            pair.addWidget(details)
            layout.addLayout(pair)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText("Add folder")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addSpacing(6)
        layout.addWidget(buttons)
        # As tall as its wrapped lines need at its width (its size hint wraps them narrower).
        self.resize(560, layout.totalHeightForWidth(560))

    def choose(self, name: str | None) -> None:
        """Select the model ``name`` (a ``ModelChoice.name``)."""
        self.group.button([c.name for c in self.choices].index(name)).setChecked(True)

    def chosen(self) -> str | None:
        """The model chosen: None for the shipped one, else its name ("product/NAME")."""
        return self.choices[self.group.checkedId()].name
