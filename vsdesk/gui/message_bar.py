"""An inline message strip for a tab: expected problems are shown where they happened."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QToolButton, QWidget

_STYLES = {
    "error": "background:#fde2e1; color:#7a1410; border:1px solid #f0a9a5;",
    "warning": "background:#fff4d6; color:#6a4b00; border:1px solid #ecd38a;",
    "info": "background:#e3f0ff; color:#0d3c6e; border:1px solid #a9c8ef;",
}


class MessageBar(QFrame):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("MessageBar")
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        close = QToolButton(text="✕", autoRaise=True)
        close.setToolTip("Dismiss")
        close.clicked.connect(self.clear)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 4, 4)
        self.action_button = QPushButton()
        self.action_button.hide()
        self.action_button.clicked.connect(self._run_action)
        self._action: Callable[[], None] | None = None
        layout.addWidget(self.label, 1)
        layout.addWidget(self.action_button, 0, Qt.AlignmentFlag.AlignTop)
        layout.addWidget(close, 0, Qt.AlignmentFlag.AlignTop)
        self.kind = ""
        self.hide()

    def show_message(
        self, text: str, kind: str = "info", action: tuple[str, Callable[[], None]] | None = None
    ) -> None:
        """Show ``text``; ``action`` = (button text, callback) offers one thing to do about it."""
        self.kind = kind
        self._action = action[1] if action else None
        self.action_button.setText(action[0] if action else "")
        self.action_button.setVisible(action is not None)
        self.setStyleSheet(f"#MessageBar {{ {_STYLES[kind]} border-radius:4px; }} QLabel {{ border:none; }}")
        self.label.setText(text)
        self.show()

    def error(self, text: str) -> None:
        self.show_message(text, "error")

    def warning(self, text: str) -> None:
        self.show_message(text, "warning")

    def info(self, text: str) -> None:
        self.show_message(text, "info")

    def text(self) -> str:
        return self.label.text() if self.kind else ""

    def _run_action(self) -> None:
        action = self._action
        self.clear()
        if action is not None:
            action()

    def clear(self) -> None:
        self._action = None
        self.action_button.hide()
        self.kind = ""
        self.label.clear()
        self.hide()
