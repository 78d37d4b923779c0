"""A visible frame on a widget while it has the keyboard focus.

The style draws no focus ring on a list or a graphics view (the gallery, pyqtgraph's map): a
keyboard user who Tabbed into them saw nothing change. The frame is a child drawn over the
widget's edge, above its viewport, so scrolling the view does not move it with the content.
The mode tabs' bar has a focus mark from the style, a tint too faint to see: framed too, around
its current tab.
"""

from __future__ import annotations

from typing import Callable

from PySide6.QtCore import QEvent, QObject, QRect, Qt
from PySide6.QtGui import QPainter, QPalette, QPen
from PySide6.QtWidgets import QTabBar, QWidget

#: The frame's width in the view's pixels: seen at a glance, yet it hides little of the edge.
FRAME_WIDTH = 2


class FocusFrame(QWidget):
    """Draws a frame in the palette's highlight colour over ``target``'s edge while ``target``
    (or its focus proxy's child, the viewport) has the focus; lets every click through."""

    def __init__(self, target: QWidget, area: Callable[[QWidget], QRect] | None = None):
        # No reference to ``target`` is kept (the events name it): a child holding its parent's
        # wrapper made the interpreter crash at exit, as it deleted the two.
        super().__init__(target)
        self._area = area or (lambda widget: widget.rect())  # the part of it framed
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setAttribute(Qt.WidgetAttribute.WA_NoSystemBackground)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setGeometry(self._area(target))
        self.hide()
        target.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind in (QEvent.Type.FocusIn, QEvent.Type.FocusOut):
            self.setVisible(watched.hasFocus())
            if self.isVisible():
                self.setGeometry(self._area(watched))
                self.raise_()
        elif kind in (QEvent.Type.Resize, QEvent.Type.LayoutRequest):
            self.setGeometry(self._area(watched))
        return False

    def follow(self, *_args) -> None:
        """The part framed moved (another tab made current): the frame follows it."""
        self.setGeometry(self._area(self.parentWidget()))

    def paintEvent(self, _event) -> None:
        painter = QPainter(self)
        pen = QPen(self.palette().color(QPalette.ColorGroup.Active, QPalette.ColorRole.Highlight), FRAME_WIDTH)
        pen.setJoinStyle(Qt.PenJoinStyle.MiterJoin)
        painter.setPen(pen)
        half = FRAME_WIDTH / 2
        painter.drawRect(self.rect().toRectF().adjusted(half, half, -half, -half))
        painter.end()


def show_focus(target: QWidget) -> FocusFrame:
    """Frame ``target`` while it has the keyboard focus (see the module's docstring)."""
    return FocusFrame(target)


def show_tab_focus(bar: QTabBar) -> FocusFrame:
    """Frame the current tab of ``bar`` while it has the keyboard focus (arrows change tabs)."""
    frame = FocusFrame(bar, lambda widget: widget.tabRect(widget.currentIndex()))
    bar.currentChanged.connect(frame.follow)  # (a method: no closure holding the bar)
    return frame


__all__ = ["FocusFrame", "show_focus", "show_tab_focus"]
