"""An inline message strip for a tab: expected problems are shown where they happened."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QToolButton, QWidget

_STYLES = {
    "error": "background:#fde2e1; color:#7a1410; border:1px solid #f0a9a5;",
    "warning": "background:#fff4d6; color:#6a4b00; border:1px solid #ecd38a;",
    "info": "background:#e3f0ff; color:#0d3c6e; border:1px solid #a9c8ef;",
}
_STRENGTH = {"info": 0, "warning": 1, "error": 2}

Action = tuple[str, Callable[[], None]]  # (button text, callback)


@dataclass(frozen=True)
class _Message:
    text: str
    kind: str
    action: Action | None = None
    other: Action | None = None  # a second choice (a dropped folder: added to the catalog, or a new one)


class MessageBar(QFrame):
    """One message as a rule: a new one replaces what is up. ``add_message`` says one more
    along with what is up, for news that must not take down an offer the user has yet to answer
    (a folder given at start-up, offered as a catalog while the sample catalog fails to open)."""

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
        self.other_button = QPushButton()
        self.other_button.hide()
        self.other_button.clicked.connect(lambda: self._run_action(other=True))
        layout.addWidget(self.label, 1)
        layout.addWidget(self.action_button, 0, Qt.AlignmentFlag.AlignTop)
        layout.addWidget(self.other_button, 0, Qt.AlignmentFlag.AlignTop)
        layout.addWidget(close, 0, Qt.AlignmentFlag.AlignTop)
        self._messages: list[_Message] = []
        self.kind = ""  # the strongest kind up ("" when nothing is)
        self.hide()

    def show_message(self, text: str, kind: str = "info", action: Action | None = None,
                     other: Action | None = None) -> None:
        """Show ``text`` instead of what is up; ``action`` offers one thing to do about it,
        ``other`` a second one beside it."""
        self._messages = [_Message(text, kind, action, other)]
        self._update()

    def add_message(self, text: str, kind: str = "info", action: Action | None = None,
                    other: Action | None = None) -> None:
        """Show ``text`` along with what is up (an offer up keeps its buttons unless this has one)."""
        self._messages = [m for m in self._messages if m.text != text] + [_Message(text, kind, action, other)]
        self._update()

    def remove_message(self, text: str) -> bool:
        """Take ``text`` down, leaving the rest up: True if it was up."""
        kept = [m for m in self._messages if m.text != text]
        if len(kept) == len(self._messages):
            return False
        self._messages = kept
        self._update()
        return True

    def says(self, text: str) -> bool:
        return any(m.text == text for m in self._messages)

    def has_offer(self) -> bool:
        """A message up asks the user something (it has an action button)."""
        return self._action() is not None

    def error(self, text: str) -> None:
        self.show_message(text, "error")

    def warning(self, text: str) -> None:
        self.show_message(text, "warning")

    def info(self, text: str) -> None:
        self.show_message(text, "info")

    def text(self) -> str:
        return "\n".join(m.text for m in self._messages)

    def _action(self, other: bool = False) -> Action | None:
        offer = next((m for m in reversed(self._messages) if m.action is not None), None)
        return None if offer is None else offer.other if other else offer.action

    def _update(self) -> None:
        if not self._messages:
            self.clear()
            return
        self.kind = max((m.kind for m in self._messages), key=_STRENGTH.__getitem__)
        for button, action in ((self.action_button, self._action()), (self.other_button, self._action(other=True))):
            button.setText(action[0] if action else "")
            button.setVisible(action is not None)
        self.setStyleSheet(f"#MessageBar {{ {_STYLES[self.kind]} border-radius:4px; }} QLabel {{ border:none; }}")
        self.label.setText(self.text())
        self.show()

    def _run_action(self, other: bool = False) -> None:
        action = self._action(other)
        self.clear()
        if action is not None:
            action[1]()

    def clear(self) -> None:
        self._messages = []
        self.action_button.hide()
        self.other_button.hide()
        self.kind = ""
        self.label.clear()
        self.hide()
