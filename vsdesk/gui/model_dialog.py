"""Which product model indexes a folder added as a catalog: asked only when the user has trained
or imported one (``vsdesk train product``, ``vsdesk models import product/NAME``); and which one
a catalog is indexed with again (its menu's "Product model"), saying how many images that embeds."""

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
from vsdesk.gui import theme


#: ``ModelChoiceDialog``'s ``current`` for a new catalog: any model can be chosen.
NO_MODEL = object()


class ModelChoiceDialog(QDialog):
    """One choice per model, the shipped one first and chosen; each with its classes and
    training in words. Opened window-modal (``open``): the window keeps painting meanwhile."""

    def __init__(self, folder: str, choices: list[ModelChoice], parent: QWidget | None = None, *,
                 intro: str = "", title: str = "Add folder: product model", ok_text: str = "Add folder",
                 current: str | None | object = NO_MODEL, footer: str = ""):
        """``intro``, ``footer``: rich text above and below the choices (by default, about the
        ``folder`` added). ``current``: the model the catalog has (``NO_MODEL``: none, a new
        catalog): chosen at first, and OK is enabled only for another one (nothing to do else)."""
        super().__init__(parent)
        self.setWindowTitle(title)
        self.choices = choices
        intro = QLabel(intro or f"Which product model should index <b>{html.escape(folder)}</b>?<br>"
                       "The catalog keeps it: its searches use it too.")
        intro.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        self.group = QButtonGroup(self)
        names = [choice.name for choice in choices]
        first = names.index(current) if current in names else 0
        self.current = current if current in names else NO_MODEL  # (a model given by its folder: not here)
        for i, choice in enumerate(choices):
            button = QRadioButton(choice.title.replace("&", "&&"))  # a name's "&" is no shortcut
            button.setChecked(i == first)
            details = QLabel(choice.details)
            details.setTextFormat(Qt.TextFormat.PlainText)  # class names are the user's, not markup
            details.setWordWrap(True)
            theme.muted(details, "margin-left:24px;")
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
        #: The text under the choices (None: none); it may follow the choice (``follow_choice``).
        self.footer = None
        if footer:
            self.footer = QLabel(footer)
            self.footer.setWordWrap(True)
            layout.addSpacing(6)
            layout.addWidget(self.footer)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText(ok_text)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.group.idToggled.connect(lambda _id, _on: self.ok_button.setEnabled(self.chosen() != self.current))
        self.ok_button.setEnabled(self.chosen() != self.current)
        layout.addSpacing(6)
        layout.addWidget(buttons)
        self.resize(560, 0)
        self._fit()

    def _fit(self) -> None:
        """As tall as its wrapped lines need at its width, and never less: its size hint wraps
        them narrower, and a footer set later (``follow_choice``) took its lines from the details
        above it, every label cut (a window-modal sheet is not resized by the user)."""
        height = self.layout().totalHeightForWidth(self.width())
        self.setMinimumHeight(height)
        self.resize(self.width(), max(self.height(), height))

    def follow_choice(self, words) -> None:
        """OK's text and the footer follow the model chosen: ``words(name)`` -> (OK's text,
        footer) for a ``ModelChoice.name`` (e.g. how many images that model embeds)."""
        def follow() -> None:
            ok_text, footer = words(self.chosen())
            self.ok_button.setText(ok_text)
            if self.footer is not None:
                self.footer.setText(footer)
                self._fit()

        self.group.idToggled.connect(lambda _id, on: on and follow())
        follow()

    def choose(self, name: str | None) -> None:
        """Select the model ``name`` (a ``ModelChoice.name``)."""
        self.group.button([c.name for c in self.choices].index(name)).setChecked(True)

    def chosen(self) -> str | None:
        """The model chosen: None for the shipped one, else its name ("product/NAME")."""
        return self.choices[self.group.checkedId()].name
