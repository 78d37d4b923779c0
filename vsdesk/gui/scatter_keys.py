"""The maps from the keyboard: the keys, and which point an arrow key goes to.

A keyboard user had no way into the maps: Tab reached them, and then only a click picked a
point. On the catalog map (``ScatterView``) the arrows now move a "current point" to the
nearest point that way, as a list's arrows move its current item; on the VAE's map
(``ManifoldMap``) they move a square a drawing at a time. Enter or Space then does what a click
there does. What both maps do alike is here too: when the square shows, its pen, and the view
moved to keep it in sight.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QColor, QFocusEvent, QPalette, QPen

from vsdesk.gui import theme

#: Each arrow key's direction in the map's own axes (its y runs up, as on the screen).
ARROWS = {
    Qt.Key.Key_Right: (1.0, 0.0),
    Qt.Key.Key_Left: (-1.0, 0.0),
    Qt.Key.Key_Up: (0.0, 1.0),
    Qt.Key.Key_Down: (0.0, -1.0),
}
#: The keys that act on the current point as a click on it does.
PICK_KEYS = (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space)


def nearest_in_direction(offsets: np.ndarray, direction: tuple[float, float], usable: np.ndarray) -> int:
    """The index of the point to go to from the current one, or -1 if there is none that way.

    ``offsets``: each point's place less the current point's, (n, 2); ``usable``: the points
    that may be gone to (drawn ones). The nearest point within 45 degrees of ``direction``
    (Right goes to what is to the right, not to a point just above and a hair to the right);
    when none is, the nearest on that side at all, so that every point can be reached."""
    along = offsets @ np.asarray(direction, np.float64)
    across = np.abs(offsets @ np.array([-direction[1], direction[0]], np.float64))
    ahead = usable & (along > 0)
    within = ahead & (across <= along)
    candidates = within if within.any() else ahead
    if not candidates.any():
        return -1
    distance = np.where(candidates, np.hypot(offsets[:, 0], offsets[:, 1]), np.inf)
    return int(np.argmin(distance))


def square_shown_by(event: QFocusEvent) -> bool:
    """Whether the square shows after this focus event on a map: while the map has the keyboard
    focus, but not when a click gave it (the click's own mark says where), until a key is pressed."""
    return event.type() == QEvent.Type.FocusIn and event.reason() != Qt.FocusReason.MouseFocusReason


def square_pen(base: QColor) -> QPen:
    """The square's pen on a map of background ``base``: the highlight, as the focus frame's, made
    to stand out on it."""
    return pg.mkPen(theme.readable(theme.colour(QPalette.ColorRole.Highlight), base, 3.0), width=2.5)


def keep_in_view(view: pg.ViewBox, x: float, y: float, margin: float = 0.0) -> bool:
    """``view`` moved to have (``x``, ``y``) in its middle if it is out of view, or within
    ``margin`` (a share of the view's width and height) of its edge: True if it moved."""
    (x0, x1), (y0, y1) = view.viewRange()
    margin_x, margin_y = margin * (x1 - x0), margin * (y1 - y0)
    if x0 + margin_x <= x <= x1 - margin_x and y0 + margin_y <= y <= y1 - margin_y:
        return False
    view.translateBy(x=x - (x0 + x1) / 2, y=y - (y0 + y1) / 2)
    return True
