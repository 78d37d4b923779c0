"""A label that shortens each line of its text with "…" to the width it is given, never asking
for more: a long file name must not widen its panel (and so the window) to fit."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget


class ElidedLabel(QLabel):
    def __init__(self, text: str = "", parent: QWidget | None = None):
        super().__init__(parent)
        self._full = ""
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.setText(text)

    def setText(self, text: str) -> None:  # noqa: N802 - Qt's name
        self._full = text
        self._elide()

    def text(self) -> str:
        """The whole text, as given (what is painted may be shortened)."""
        return self._full

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        metrics, width = self.fontMetrics(), max(self.width(), 20)
        shown = "\n".join(metrics.elidedText(line, Qt.TextElideMode.ElideMiddle, width) for line in self._full.split("\n"))
        super().setText(shown)
        self.setToolTip(self._full if shown != self._full else "")
