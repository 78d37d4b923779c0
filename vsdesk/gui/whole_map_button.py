"""pyqtgraph's reset-zoom button, drawn as a house (a "home" view, as matplotlib's toolbar has)
instead of its bare "A" glyph, which says nothing to a user; its tooltip says what it does."""

from __future__ import annotations

from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor, QPainter, QPen, QPixmap, QPolygonF

TIP = "Show the whole map again"
SIZE = 14  # the button's side in pyqtgraph (PlotItem's autoBtn)


def home_pixmap(scale: int = 2) -> QPixmap:
    """A house outline, ``SIZE`` logical pixels square, drawn at ``scale`` for sharp edges."""
    side = SIZE * scale
    pixmap = QPixmap(side, side)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.scale(scale, scale)
    painter.setPen(QPen(QColor("#333"), 1.4, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap,
                        Qt.PenJoinStyle.RoundJoin))
    painter.setBrush(QColor(255, 255, 255, 220))  # readable over the dark decoded grid too
    painter.drawPolygon(QPolygonF([QPointF(x, y) for x, y in
                                   ((7, 1.5), (12.8, 7), (11, 7), (11, 12.5), (3, 12.5), (3, 7), (1.2, 7))]))
    painter.drawRect(6, 9, 2, 3.5)  # the door
    painter.end()
    return pixmap


def use_home_button(plot_item) -> None:
    """Give ``plot_item``'s auto-range button the house and the tooltip."""
    button = plot_item.autoBtn
    button.setPixmap(home_pixmap())
    button.setToolTip(TIP)
