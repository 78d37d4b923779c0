"""The maps from the keyboard: the keys, and which point an arrow key goes to.

A keyboard user had no way into the maps: Tab reached them, and then only a click picked a
point. On the catalog map (``ScatterView``) the arrows now move a "current point" to the
nearest point that way, as a list's arrows move its current item; on the VAE's map
(``ManifoldMap``) they move a square a drawing at a time. Enter or Space then does what a click
there does.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt

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
