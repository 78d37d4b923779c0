"""The t-SNE map of a catalog: pyqtgraph scatter, coloured by label, linked to the gallery.

Speed with 100,000 points comes from three choices: one ScatterPlotItem per label with one
shared brush (no per-point pens or brushes), so a colour never costs a Python object per point;
picking the point under the mouse with one vectorised NumPy distance instead of pyqtgraph's
per-point SpotItems; and progressive t-SNE updates that only move the points (``_move``) once
they exist. scripts/bench_gui.py times the last two among 100,000 points (a move against a
``setData`` rebuild, and a pick), with a repaint and a pan step of that map.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QPointF, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QColor, QKeySequence, QPalette
from PySide6.QtWidgets import QFrame, QLabel, QMenu, QPushButton, QSizePolicy, QToolButton, QVBoxLayout, QWidget

from vsdesk.engine.map_colours import PREDICTED
from vsdesk.engine.text import shown_class, shown_path, wrapped
from vsdesk.gui import theme
from vsdesk.gui.accessible import name_map
from vsdesk.gui.focus_frame import show_focus
from vsdesk.gui.menu_key import open_menu_with_keys
from vsdesk.gui.scatter_keys import ARROWS, PICK_KEYS, keep_in_view, nearest_in_direction, square_pen, square_shown_by
from vsdesk.gui.thumbnails import ThumbnailCache
from vsdesk.gui.whole_map_button import use_home_button

#: Colour slots 0, 1, ... (``vsdesk.engine.map_colours.label_colours``: the shipped model's classes first, then
#: other labels): tab20 without its two greys, strong hues first, then six dark ones, each picked
#: in turn as far as could be from the others and from the map's greys, rings and star (CIEDE2000:
#: 18 or more from any, where tab20's closest two are 12 apart), so that up to ``COLOUR_SLOTS``
#: labels are told apart.
PALETTE = [
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
    "#bcbd22", "#17becf", "#aec7e8", "#ffbb78", "#98df8a", "#ff9896", "#c5b0d5", "#c49c94",
    "#f7b6d2", "#dbdb8d", "#9edae5",
    "#000080", "#006400", "#008080", "#8c6d31", "#c71585", "#800000",
]
#: Slots -1, -2: items without a label, and the rarest labels grouped on a map with too many.
NEUTRALS = ["#7f7f7f", "#b0b0b0"]


def colour_of(slot: int) -> str:
    return PALETTE[slot % len(PALETTE)] if slot >= 0 else NEUTRALS[(-slot - 1) % len(NEUTRALS)]


#: A second cue beside the colour, for those who tell colours apart poorly: each colour slot's
#: marker (pyqtgraph symbol) and the legend's character for it (never the query's star).
SYMBOLS = [("o", "●"), ("s", "■"), ("t1", "▲"), ("d", "◆"), ("t", "▼"), ("x", "✖"), ("+", "✚"),
           ("t2", "▶"), ("t3", "◀")]
#: ``SYMBOLS`` index of each ``PALETTE`` slot. The strong hues take them in turn; a light hue
#: (tab20's pair of strong hue i, slot 9 + i) is four on, so that it never has its strong hue's
#: marker (in turn, the two nearest colours of the palette shared one); each dark hue has a
#: marker none of its nearest strong and light hues has (navy: blue; dark green: green, where
#: red's diamond would be the pair a red-green deficiency confuses; teal: cyan; brown-olive:
#: brown and olive; magenta: pink and purple; maroon: red and brown). Slots next to each other
#: (a catalog's classes in order) never share a marker.
_SLOT_SYMBOLS = [*range(9), *((i + 4) % 9 for i in range(9)), 1, 0, 5, 4, 2, 8]
NEUTRAL_SYMBOLS = [("o", "●"), ("d", "◆")]


def symbol_of(slot: int) -> tuple[str, str]:
    """(pyqtgraph symbol, legend character) of colour slot ``slot`` (``colour_of``)."""
    if slot < 0:
        return NEUTRAL_SYMBOLS[(-slot - 1) % len(NEUTRAL_SYMBOLS)]
    return SYMBOLS[_SLOT_SYMBOLS[slot % len(_SLOT_SYMBOLS)]]


#: A point's least contrast with a dark map's background (WCAG's 3:1 for graphics): the dark
#: slots (navy, maroon ...) are lightened just enough to be seen there.
DARK_MAP_CONTRAST = 3.0


def shown_colour(slot: int) -> str:
    """``colour_of(slot)`` as the map and its legend show it: as it is on a light map; on a dark
    one (a dark palette) lightened where it would hardly stand out."""
    colour = colour_of(slot)
    if not theme.is_dark():
        return colour
    return theme.css(theme.readable(QColor(colour), theme.colour(QPalette.ColorRole.Base), DARK_MAP_CONTRAST))


PICK_RADIUS_PX = 8
#: What a screen reader says of the map (its classes are in the legend under it, as text).
MAP_DESCRIPTION = ("The catalog's images as points (t-SNE), alike ones near each other, coloured and shaped "
                   "by class as the legend under the map says. The arrow keys go from point to point, Enter "
                   "shows the point's image, + and - zoom, Home shows the whole map.")
HOVER_THUMB = 96
#: The key that shows the whole map again, when the map has the keyboard focus.
RESET_KEY = Qt.Key.Key_Home
#: How much + and - zoom the map at a time (as much as a few steps of the wheel).
ZOOM_STEP = 1.5


def _unbreakable(name: str) -> str:
    """A legend entry that never wraps inside itself ("T-shirt/top" stays on one line)."""
    return html.escape(name).replace(" ", "&nbsp;").replace("-", "\u2011")


#: Markers grow with the map: on a 1920x1080 screen an 830 px map kept its 6-8 px points and
#: was mostly empty white. The sizes are a map's up to this many px on its shorter side; a
#: larger map scales them with it, up to ``MARKER_MOST_SCALE`` times (not blobs that hide
#: their neighbours).
MARKER_BASE_SIDE = 450
MARKER_MOST_SCALE = 1.8


def marker_scale(width: int, height: int) -> float:
    """How much bigger than their base size the markers of a ``width`` x ``height`` map are."""
    return max(1.0, min(MARKER_MOST_SCALE, min(width, height) / MARKER_BASE_SIDE))


class _QuietScatter(pg.ScatterPlotItem):
    """A scatter that leaves clicks and hovers to the view: pyqtgraph's own picking builds
    a SpotItem per point (seconds at 100k points)."""

    def mouseClickEvent(self, ev):
        ev.ignore()

    def hoverEvent(self, ev):
        pass


class ScatterView(QWidget):
    point_clicked = Signal(int)  # catalog index

    #: Its keys that are no action's (``_on_key``), for Help › Keyboard shortcuts (``keys_dialog``).
    OWN_KEYS = (("Arrow keys", "to the nearest point that way"), ("Enter or Space", "show that point's image"))

    def __init__(self, cache: ThumbnailCache, parent: QWidget | None = None):
        super().__init__(parent)
        self._cache = cache
        self.plot = pg.PlotWidget()  # its background: the palette's (see _colour)
        self.plot.setAcceptDrops(False)  # drops go to the tab
        self.plot.setMenuEnabled(False)
        # pyqtgraph's auto-range button (shown after zooming or panning) brings the whole map
        # back: a house, not its "A"
        use_home_button(self.plot.getPlotItem())
        self.plot.hideAxis("left")
        self.plot.hideAxis("bottom")
        self.plot.setAspectLocked(True)
        name_map(self.plot, "Catalog map", MAP_DESCRIPTION)
        self._focus_frame = show_focus(self.plot)  # pyqtgraph draws no focus ring
        self.view = self.plot.getViewBox()
        # The legend is a wrapped line of text under the plot: it never covers points, and
        # 17 clothing classes fit in two lines.
        self.legend = QLabel()
        self.legend.setWordWrap(True)
        self.legend.setTextFormat(Qt.TextFormat.RichText)
        self.legend.setStyleSheet("QLabel { padding:2px 4px; }")  # in the palette's text colour
        # a label too long to wrap (a folder name) is cut, rather than widening the map and window
        self.legend.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.legend)

        self._colours: list[int] = []  # colour slot per label code
        self._brushes: dict[str, object] = {}  # one brush per colour, reused by every rebuild
        self._groups: list[_QuietScatter] = []
        self._group_members: list[np.ndarray] = []
        self._xy = np.zeros((0, 2), np.float32)
        self._labels = np.zeros(0, np.int32)
        self._label_names: list[str] = []
        self._sources: list[str] = []
        self._item_labels: Sequence[str] = ()
        self._highlight_indices = np.zeros(0, np.int64)  # ringed: the best results
        self._selected_index: int | None = None
        self._current: int | None = None  # the keyboard's current point (scatter_keys)
        self._current_shown = False  # its square: while the map has the focus from the keyboard
        self._query_xy: tuple[float, float] | None = None  # the query's star
        self._dark = False  # the points were coloured for a dark map (``shown_colour``)
        self._point_size = 7  # the catalog points' base size (fewer points: bigger)
        self._marker_scale = 1.0  # see marker_scale

        self._highlight = _QuietScatter(size=11, pen=None, brush=None, tip=None)  # its pen: see _colour
        self._selected = _QuietScatter(size=18, pen=pg.mkPen("#ff2d00", width=3), brush=None, tip=None)
        self._query = _QuietScatter(
            size=22, symbol="star", pen=pg.mkPen("k", width=1.2), brush=pg.mkBrush("#ffd400"), tip=None
        )
        # Above the points: the result rings, the query's star, and on top the selected point's
        # ring (an unfilled circle), which the star would hide when the query sits on it.
        # The keyboard's current point: a square (no point has that marker at that size) in the
        # focus frame's colour, on top of all.
        self._cursor = _QuietScatter(size=24, symbol="s", pen=None, brush=None, tip=None)  # its pen: see _colour
        self._overlay_sizes = {self._highlight: 11, self._selected: 18, self._query: 22, self._cursor: 24}
        for z, item in enumerate((self._highlight, self._query, self._selected, self._cursor), start=10):
            item.setZValue(z)
            self.plot.addItem(item, ignoreBounds=item is self._cursor)  # "whole map": as without it
        # On a backing of the map's own colour: the status (progress, an error, a note) sits over
        # the points and must stay readable there, and let the points show through a little.
        self._status = pg.TextItem(anchor=(0, 0))  # its colours: see _colour
        self._status.hide()  # until there is something to say: an empty backing is a dash
        self._status.setParentItem(self.view)
        self._status.setPos(8, 4)
        # What the user can do about the status (after an error: "Try again"), just under it.
        self.status_button = QPushButton(self.plot)
        self.status_button.hide()
        self._status_action: Callable[[], None] | None = None
        self.status_button.clicked.connect(self._on_status_button)
        # "Reset view" in words, once the user has zoomed or panned: pyqtgraph's own button (a
        # house here) is 14 px and shows only while the mouse is over the map. The same from the
        # map's right-click menu, and with Home when the map has the keyboard focus.
        self.reset_action = QAction("&Reset view", self)  # R in its menu (I and O zoom)
        self.reset_action.setShortcut(QKeySequence(RESET_KEY))
        self.reset_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.reset_action.setToolTip("Show the whole map again (Home)")
        self.reset_action.triggered.connect(self.reset_view)
        self.addAction(self.reset_action)
        # + and - zoom around the current point (the filter below sends them here when Qt does not
        # match a shortcut for "+": some layouts type it with Shift, some on the keypad).
        self.zoom_in_action = self._zoom_action("Zoom &in", ["+", "="], 1 / ZOOM_STEP)
        self.zoom_out_action = self._zoom_action("Zoom &out", ["-"], ZOOM_STEP)
        # Its menu from the keyboard, at the map's centre (the mouse's right button opens it there).
        open_menu_with_keys(self, lambda: self._context_menu(self.plot.mapToGlobal(self.plot.rect().center())))
        self.reset_button = QToolButton(self.plot)
        self.reset_button.setDefaultAction(self.reset_action)
        self.reset_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Home does it from the keyboard
        self.reset_button.hide()
        self.view.sigRangeChangedManually.connect(self._on_view_moved)

        # The hover "tooltip": a child frame (thumbnail + caption) over the plot, not a top-level
        # tooltip window, so it costs nothing to move and shows in screenshots.
        self._hover_label = QFrame(self.plot)
        self._hover_label.setObjectName("HoverTip")
        self._hover_image = QLabel()
        self._hover_image.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._hover_caption = QLabel()
        self._hover_caption.setTextFormat(Qt.TextFormat.PlainText)  # a file's name, not markup
        self._hover_caption.setStyleSheet("font-size:11px;")  # in the tip's text colour (see _colour)
        tip_layout = QVBoxLayout(self._hover_label)
        tip_layout.setContentsMargins(4, 4, 4, 4)
        tip_layout.setSpacing(2)
        tip_layout.addWidget(self._hover_image)
        tip_layout.addWidget(self._hover_caption)
        self._hover_label.hide()
        self._hover_index = -1
        self._hover_pos = QPointF()
        self._hover_timer = QTimer(self, singleShot=True, interval=40)
        self._hover_timer.timeout.connect(self._update_hover)
        # pyqtgraph reports moves inside the plot only: leaving it must hide the tip itself
        self.plot.viewport().installEventFilter(self)
        self.plot.installEventFilter(self)  # the keys, and the focus that shows the current point
        self.plot.scene().sigMouseMoved.connect(self._on_mouse_moved)
        self.plot.scene().sigMouseClicked.connect(self._on_mouse_clicked)
        cache.ready.connect(self._on_thumbnail_ready)
        theme.follow(self, self._colour)

    def _colour(self) -> None:
        """The map's colours from the palette as it is now: its background the palette's base
        (white on a light one), the result rings, the status and the hover tip reading on it."""
        base = theme.colour(QPalette.ColorRole.Base)
        text = theme.readable(theme.colour(QPalette.ColorRole.Text), base)
        self.plot.setBackground(base)
        self._highlight.setPen(pg.mkPen(theme.mix(text, base, 0.1), width=1.6))
        self._cursor.setPen(square_pen(base))
        self._status.setColor(theme.secondary_text(base))
        backing = QColor(base)
        backing.setAlpha(215)  # the points show through a little
        self._status.fill = pg.mkBrush(backing)
        self._status.update()
        theme.set_sheet(self._hover_label, f"#HoverTip {{ background:{theme.css(base)}; "
                                           f"border:1px solid {theme.css(theme.mix(text, base, 0.6))}; }} "
                                           f"QLabel {{ color:{theme.css(text)}; }}")
        if self._groups and theme.is_dark() != self._dark:  # the points' colours change with it
            x_range, y_range = self.view.viewRange()
            self._rebuild(self._xy, self._labels, self._label_names, self._colours)
            self.view.setRange(xRange=x_range, yRange=y_range, padding=0)  # as the user left it

    # -- data ---------------------------------------------------------------------------------
    def set_points(
        self,
        xy: np.ndarray,
        labels: np.ndarray | None = None,
        label_names: list[str] | None = None,
        sources: list[str] | None = None,
        item_labels: Sequence[str] | None = None,
        colours: list[int] | None = None,
    ) -> None:
        """Show a map. Same labels as before (a progressive t-SNE step): the points just move.
        ``sources``: each point's image, for the hover thumbnail; ``item_labels``: each point's
        own label, said after its file name on hover. None keeps those given before (a t-SNE
        step needs them once). ``colours``: a colour slot per label name (``colour_of``;
        default: their order)."""
        xy = np.asarray(xy, np.float32)
        n = len(xy)
        labels = np.zeros(n, np.int32) if labels is None else np.asarray(labels, np.int32)
        names = list(label_names) if label_names else ["items"]
        colours = list(colours) if colours else list(range(len(names)))
        same = (
            n == len(self._xy)
            and names == self._label_names
            and colours == self._colours
            and np.array_equal(labels, self._labels)
            and len(self._groups) > 0
        )
        self._xy = xy
        if sources is not None:
            self._sources = list(sources)
        if item_labels is not None:  # a sequence read one point at a time (``ItemCaptions``): not copied
            self._item_labels = item_labels
        if same:
            for item, members in zip(self._groups, self._group_members):
                self._move(item, xy[members])
        else:
            self._rebuild(xy, labels, names, colours)
            self._current = None  # another map: the keys start again (``_start_point``)
        self._refresh_overlays()

    def _rebuild(self, xy: np.ndarray, labels: np.ndarray, names: list[str], colours: list[int]) -> None:
        for item in self._groups:
            self.plot.removeItem(item)
        self._groups, self._group_members = [], []
        self._labels, self._label_names, self._colours = labels, names, colours
        self._dark = theme.is_dark()
        self._point_size = 7 if len(xy) < 2000 else 5 if len(xy) < 20000 else 3
        size = round(self._point_size * self._marker_scale)
        for code, name in enumerate(names):
            members = np.flatnonzero(labels == code)
            if members.size == 0:
                continue
            colour = shown_colour(colours[code])
            if colour not in self._brushes:
                self._brushes[colour] = pg.mkBrush(QColor(colour))
            brush = self._brushes[colour]
            item = _QuietScatter(size=size, symbol=symbol_of(colours[code])[0], pen=None, brush=brush, tip=None,
                                 name=name)
            self._fill(item, xy[members], members)  # data= catalog indices
            self.plot.addItem(item)
            self._groups.append(item)
            self._group_members.append(members)
        # Every name "X (predicted)": said once, in front, not seventeen times.
        predicted = all(name.endswith(PREDICTED) for name in names)
        entries = [
            f"<span style='color:{shown_colour(colours[code])}; font-size:14px'>{symbol_of(colours[code])[1]}</span>"
            f"&nbsp;{_unbreakable(shown_class(name.removesuffix(PREDICTED) if predicted else name))}"
            for code, name in enumerate(names)
            if np.any(labels == code)
        ]
        text = " &nbsp; ".join(entries) if len(names) > 1 or names != ["unlabelled"] else ""
        self.legend.setText(f"<i>predicted by the model:</i> &nbsp;{text}" if predicted and text else text)
        self.view.autoRange(padding=0.04)

    @staticmethod
    def _fill(item: pg.ScatterPlotItem, xy: np.ndarray, indices: np.ndarray) -> None:
        """``item``'s points at ``xy`` (their ``data``: ``indices``), all of its one style, in a
        few array operations: pyqtgraph's ``setData`` looks each point's style up in its symbol
        atlas, a Python key per point (most of a 40,000-point map's 40-70 ms there, up to 450 ms
        on a busy machine). The first point is given to ``setData`` (its record, its symbol
        drawn in the atlas), and copied to the others."""
        item.setData(pos=xy[:1], data=indices[:1])
        if len(xy) < 2:
            return
        data = np.empty(len(xy), item.data.dtype)
        data[:] = item.data[0]
        data["x"], data["y"], data["data"] = xy[:, 0], xy[:, 1], indices
        item.data = data
        item.prepareGeometryChange()
        item.bounds = [None, None]
        item.informViewBoundsChanged()
        item.invalidate()

    @staticmethod
    def _move(item: pg.ScatterPlotItem, xy: np.ndarray) -> None:
        """New positions for the same points: a rebuild costs ~0.4 s per 100k points, this ~1 ms."""
        item.data["x"] = xy[:, 0]
        item.data["y"] = xy[:, 1]
        item.prepareGeometryChange()
        item.bounds = [None, None]
        item.informViewBoundsChanged()
        item.invalidate()

    def clear(self) -> None:
        self.set_points(np.zeros((0, 2), np.float32))
        self.set_highlight([])
        self.set_query(None)
        self.select(None)

    def fit(self) -> None:
        self.view.autoRange(padding=0.04)
        self.reset_button.hide()  # the whole map is in view

    def reset_view(self) -> None:
        """The whole map in view again, after the user zoomed or panned."""
        self.fit()

    def _on_view_moved(self, _axes) -> None:
        """The user zoomed or panned (wheel, drag): the way back is offered."""
        self.reset_button.adjustSize()
        self._place_reset_button()
        self.reset_button.show()

    def _place_reset_button(self) -> None:
        # Bottom left, beside pyqtgraph's own button: the status and its button are at the top.
        self.reset_button.move(26, self.plot.height() - self.reset_button.height() - 6)

    def point_count(self) -> int:
        return len(self._xy)

    # -- overlays -----------------------------------------------------------------------------
    def set_highlight(self, indices) -> None:
        self._highlight_indices = np.asarray(list(indices), np.int64)
        self._refresh_overlays()

    def set_query(self, xy: tuple[float, float] | None) -> None:
        self._query_xy = xy
        self._refresh_overlays()

    def select(self, index: int | None) -> None:
        self._selected_index = index
        if index is not None:  # (picked in the gallery too): the keys go on from there
            self._current = index
        self._refresh_overlays()

    def selected(self) -> int | None:
        return self._selected_index

    def highlighted(self) -> np.ndarray:
        return self._highlight_indices

    def set_status(self, text: str, action: tuple[str, Callable[[], None]] | None = None) -> None:
        """``action``: (button text, callback), a button shown under the text until the next status."""
        self._status.setText(text)
        self._status.setVisible(bool(text))
        self._wrap_status()
        self._status_action = action[1] if action else None
        if action:
            self.status_button.setText(action[0])
            self.status_button.adjustSize()
            self._place_status_button()
        self.status_button.setVisible(action is not None)

    def _on_status_button(self) -> None:
        if self._status_action is not None:
            self._status_action()

    def _wrap_status(self) -> None:
        # Wrapped to the map's width: a long message (an error naming the log file to read) would
        # otherwise run off the map's edge on one line, its end unreadable. Again when resized:
        # the map of a tab not shown yet has no width of its own.
        self._status.setTextWidth(max(160, self.plot.width() - 24))

    def _place_status_button(self) -> None:
        text = self._status.textItem
        under = self.plot.mapFromScene(text.mapToScene(text.boundingRect().bottomLeft()))
        self.status_button.move(under.x() + 4, under.y() + 4)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._scale_markers()
        self._wrap_status()
        self._place_reset_button()
        if not self.status_button.isHidden():  # under the text, wrapped anew
            self._place_status_button()

    def _scale_markers(self) -> None:
        scale = marker_scale(self.plot.width(), self.plot.height())
        if scale == self._marker_scale:
            return
        self._marker_scale = scale
        for item in self._groups:
            item.setSize(round(self._point_size * scale))
        for item, size in self._overlay_sizes.items():
            item.setSize(round(size * scale))

    def marker_size(self) -> int:
        """The catalog points' size on screen, in px."""
        return round(self._point_size * self._marker_scale)

    def status(self) -> str:
        return self._status.textItem.toPlainText()

    def _refresh_overlays(self) -> None:
        n = len(self._xy)
        hl = self.highlighted()
        hl = hl[(hl >= 0) & (hl < n)]
        self._highlight.setData(pos=self._xy[hl] if hl.size else np.zeros((0, 2)), data=hl)
        sel = self.selected()
        if sel is not None and 0 <= sel < n:
            self._selected.setData(pos=self._xy[[sel]], data=[sel])
        else:
            self._selected.setData(pos=np.zeros((0, 2)))
        q = self._query_xy
        self._query.setData(pos=np.array([q], np.float32) if q is not None else np.zeros((0, 2)))
        cur = self.current()
        self._cursor.setData(pos=self._xy[[cur]] if self._current_shown and cur is not None else np.zeros((0, 2)))

    # -- picking ------------------------------------------------------------------------------
    def index_at(self, scene_pos: QPointF) -> int:
        """The catalog index of the point nearest ``scene_pos`` within a few pixels, or -1."""
        if not len(self._xy) or not self.view.sceneBoundingRect().contains(scene_pos):
            return -1
        p = self.view.mapSceneToView(scene_pos)
        px, py = self.view.viewPixelSize()
        if px <= 0 or py <= 0:
            return -1
        d2 = ((self._xy[:, 0] - p.x()) / px) ** 2 + ((self._xy[:, 1] - p.y()) / py) ** 2
        if len(self._labels) == len(d2):  # a point not drawn (label -1: a file's other path) is not picked
            d2[self._labels < 0] = np.inf
        best = int(np.argmin(d2))
        return best if d2[best] <= PICK_RADIUS_PX**2 else -1

    def scene_pos_of(self, index: int) -> QPointF:
        x, y = self._xy[index]
        return self.view.mapViewToScene(QPointF(float(x), float(y)))

    def _on_mouse_clicked(self, ev) -> None:
        if ev.button() == Qt.MouseButton.RightButton:
            self._context_menu(ev.screenPos().toPoint())
            return
        if ev.button() != Qt.MouseButton.LeftButton or ev.double():
            return
        index = self.index_at(ev.scenePos())
        if index >= 0:
            self.select(index)
            self.point_clicked.emit(index)

    def _context_menu(self, screen_pos) -> QMenu:
        """The map's right-click menu (pyqtgraph's own is turned off: it offers axes and export)."""
        menu = QMenu(self)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        menu.addActions([self.zoom_in_action, self.zoom_out_action, self.reset_action])
        menu.popup(screen_pos)
        return menu

    def _on_mouse_moved(self, scene_pos: QPointF) -> None:
        self._hover_pos = scene_pos
        if not self._hover_timer.isActive():
            self._hover_timer.start()

    def eventFilter(self, watched, event) -> bool:
        kind = event.type()
        if kind == QEvent.Type.Leave and watched is self.plot.viewport():
            self._hover_timer.stop()
            self._hover_index = -1
            self._hover_label.hide()
        elif watched is self.plot and kind == QEvent.Type.KeyPress:
            return self._on_key(event.key())
        elif watched is self.plot and kind in (QEvent.Type.FocusIn, QEvent.Type.FocusOut):
            self._show_current(square_shown_by(event))  # where the keys are (not after a click: its ring says it)
            if kind == QEvent.Type.FocusOut:  # (a tip the keys showed: no mouse leaves to hide it)
                self._hover_label.hide()
        return super().eventFilter(watched, event)

    # -- the keyboard (scatter_keys) ---------------------------------------------------------------
    def current(self) -> int | None:
        """The keyboard's current point: the one the arrows move from and Enter shows."""
        n = len(self._xy)
        return self._current if self._current is not None and 0 <= self._current < n else None

    def _drawn(self) -> np.ndarray:
        """Which points are drawn (label -1: a file's other path, not a point of its own)."""
        return self._labels >= 0 if len(self._labels) == len(self._xy) else np.ones(len(self._xy), bool)

    def _start_point(self) -> int | None:
        """Where the keys start: the selected point, else the one nearest the query's star, else
        the one nearest the middle of the view."""
        drawn = self._drawn()
        if not drawn.any():
            return None
        if self._selected_index is not None and 0 <= self._selected_index < len(self._xy):
            return self._selected_index
        if self._query_xy is not None:
            target = np.asarray(self._query_xy, np.float64)
        else:
            target = np.array([np.mean(axis) for axis in self.view.viewRange()])
        distance = np.where(drawn, np.hypot(*(self._xy - target).T), np.inf)
        return int(np.argmin(distance))

    def _show_current(self, shown: bool) -> None:
        if shown and self.current() is None:
            self._current = self._start_point()
        self._current_shown = shown
        self._refresh_overlays()

    def _on_key(self, key: int) -> bool:
        """A key pressed on the map: True if it was the map's."""
        if key in (Qt.Key.Key_Plus, Qt.Key.Key_Equal, Qt.Key.Key_Minus):
            (self.zoom_out_action if key == Qt.Key.Key_Minus else self.zoom_in_action).trigger()
            return True
        if key not in ARROWS and key not in PICK_KEYS:
            return False
        self._show_current(True)
        cur = self.current()
        if cur is None:  # no map yet
            return True
        if key in PICK_KEYS:  # as a click on it
            self.select(cur)
            self.point_clicked.emit(cur)
            return True
        went = nearest_in_direction(self._xy - self._xy[cur], ARROWS[key], self._drawn())
        if went >= 0:
            self._current = went
            self._keep_in_view(went)
            self._refresh_overlays()
            if went < len(self._sources):  # its thumbnail and name, as the mouse over it shows them
                self._hover_index, self._hover_pos = went, self.scene_pos_of(went)
                self._show_hover(went)
        return True

    def _keep_in_view(self, index: int) -> None:
        """The map moved to have point ``index`` in view, if it had gone out (after a zoom)."""
        # (Not on the very edge either, half cut.)
        if keep_in_view(self.view, *(float(v) for v in self._xy[index]), margin=0.05):
            self._on_view_moved(None)

    def _zoom_action(self, text: str, keys: list[str], factor: float) -> QAction:
        action = QAction(text, self)
        action.setShortcuts([QKeySequence(key) for key in keys])
        action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        action.triggered.connect(lambda _checked=False: self._zoom(factor))
        self.addAction(action)
        return action

    def _zoom(self, factor: float) -> None:
        """Zoomed by ``factor`` (below 1: in) around the current point, or the view's middle."""
        if not len(self._xy):
            return
        cur = self.current()
        centre = QPointF(*(float(v) for v in self._xy[cur])) if cur is not None else None
        self.view.scaleBy((factor, factor), center=centre)
        if cur is not None and self._current_shown:  # the square's point, out of view after a pan: back in it
            self._keep_in_view(cur)
        self._hover_label.hide()  # by a point that has moved
        self._on_view_moved(None)

    def _update_hover(self) -> None:
        index = self.index_at(self._hover_pos)
        self._hover_index = index
        if index < 0 or index >= len(self._sources):
            self._hover_label.hide()
            return
        self._show_hover(index)

    def _show_hover(self, index: int) -> None:
        source = self._sources[index]
        # Made here, for the one point hovered: a caption for every point cost 0.6 s per 100,000.
        label = self._item_labels[index] if index < len(self._item_labels) else ""
        # (a long name on lines of its own: the tip was as wide as a 200-character name)
        caption = wrapped(shown_path(Path(source).name), 60) + (f" · {label}" if label else "")
        pixmap = self._cache.pixmap(source, HOVER_THUMB, self.devicePixelRatioF())
        self._hover_caption.setText(caption)
        if pixmap is not None:
            self._hover_image.setPixmap(pixmap)
        else:
            error = self._cache.error(source)
            self._hover_image.clear()
            self._hover_image.setText(error or "loading…")
        self._hover_label.adjustSize()
        view_pos = self.plot.mapFromScene(self._hover_pos)
        x = min(view_pos.x() + 14, self.plot.width() - self._hover_label.width() - 4)
        y = min(view_pos.y() + 14, self.plot.height() - self._hover_label.height() - 4)
        self._hover_label.move(max(0, x), max(0, y))
        self._hover_label.show()
        self._hover_label.raise_()

    def _on_thumbnail_ready(self, source: str) -> None:
        i = self._hover_index
        if self._hover_label.isVisible() and 0 <= i < len(self._sources) and self._sources[i] == source:
            self._show_hover(i)
