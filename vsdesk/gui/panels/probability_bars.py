"""Horizontal bars for class probabilities, painted in one widget (no widget per bar)."""

from __future__ import annotations

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QPainter, QPalette
from PySide6.QtWidgets import QSizePolicy, QWidget

from vsdesk.gui import theme

ROW = 20


class ProbabilityBars(QWidget):
    def __init__(self, rows: int = 5, parent=None):
        super().__init__(parent)
        self._rows = rows
        self._items: list[tuple[str, float]] = []
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setMinimumHeight(rows * ROW + 4)

    def set_probabilities(self, items: list[tuple[str, float]]) -> None:
        self._items = sorted(items, key=lambda kv: -kv[1])[: self._rows]
        self.update()

    def items(self) -> list[tuple[str, float]]:
        return list(self._items)

    def sizeHint(self) -> QSize:
        return QSize(240, self._rows * ROW + 4)

    def paintEvent(self, _event) -> None:
        # Colours from the widget's palette, read at each paint: a palette change repaints it.
        pal = self.palette()
        window = pal.color(QPalette.ColorRole.Window)
        text = theme.readable(pal.color(QPalette.ColorRole.WindowText), window)
        track = theme.mix(window, text, 0.12)
        first = pal.color(QPalette.ColorRole.Highlight)
        others = theme.mix(first, window, 0.45)
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        width = self.width()
        name_w = min(110, width * 0.42)
        bar_w = width - name_w - 48
        for i, (name, p) in enumerate(self._items):
            y = 2 + i * ROW
            painter.setPen(text)
            painter.drawText(QRectF(0, y, name_w - 4, ROW), Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight, name)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(track)
            painter.drawRoundedRect(QRectF(name_w, y + 4, bar_w, ROW - 8), 3, 3)
            painter.setBrush(first if i == 0 else others)
            painter.drawRoundedRect(QRectF(name_w, y + 4, max(2.0, bar_w * p), ROW - 8), 3, 3)
            painter.setPen(text)
            painter.drawText(QRectF(name_w + bar_w + 4, y, 44, ROW), Qt.AlignmentFlag.AlignVCenter, f"{100 * p:.0f}%")
        painter.end()
