"""The VAE's 2-D manifold: a decoded grid over the plane; clicking anywhere asks for that point.
From the keyboard, the arrows move a square over the plane and Enter asks for its place.

In a panel that scrolls, the mouse wheel over the map scrolls the panel, and zooms the map only
when the user means it: with Ctrl held, or after a click on the map (until the pointer leaves
it). Elsewhere (the VAE tab's own page for it) the wheel zooms. A new query shows the whole map
again."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject, QPointF, QRect, Qt, Signal
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QAbstractScrollArea, QApplication, QWidget

from vsdesk.engine.vae.dataset_form import SIZE as TILE_SIDE  # cheap: no TensorFlow
from vsdesk.gui import theme
from vsdesk.gui.accessible import name_map
from vsdesk.gui.focus_frame import show_focus
from vsdesk.gui.scatter_keys import ARROWS, PICK_KEYS, keep_in_view, square_pen, square_shown_by
from vsdesk.gui.whole_map_button import use_home_button

#: The plane's two coordinates: the map VAE's latent dimensions (its prior is a standard normal,
#: so they run in standard deviations, the training images within about -2.5 ... 2.5).
AXIS_NAMES = {"bottom": "latent dimension 1", "left": "latent dimension 2"}


#: Room above the left axis's name (px): clear of the top tick's number.
TOP_GAP = 4
#: An arrow key's step, at most: this share of the view's width (zoomed in, a tile is too far).
KEY_STEP_OF_VIEW = 0.1


class _TopLabelledAxis(pg.AxisItem):
    """A left axis whose name reads up from near its top, not from its middle: the map sits low
    in a panel that scrolls, often shown only down to its middle, and a centred name was cut to
    "imension 2" by the panel's lower edge."""

    def resizeEvent(self, ev=None):  # noqa: N802 - pyqtgraph's name
        super().resizeEvent(ev)
        if self.label is not None and self.orientation == "left":
            length = self.label.boundingRect().width()  # turned upright: its length runs up the axis
            self.label.setPos(self.label.pos().x(), int(min(self.size().height(), length + TOP_GAP)))


class ManifoldMap(QWidget):
    point_clicked = Signal(float, float)  # coordinates in the 2-D latent plane

    #: Its keys (``eventFilter``), for Help › Keyboard shortcuts (``keys_dialog``).
    OWN_KEYS = (("Arrow keys", "move the square a drawing that way (less when zoomed in)"),
                ("Enter or Space", "draw the item there"))

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.plot = pg.PlotWidget(axisItems={"left": _TopLabelledAxis("left")})  # its colours: see _colour
        self.plot.getViewBox().disableAutoRange()
        self.plot.setAcceptDrops(False)
        self.plot.setMenuEnabled(False)
        use_home_button(self.plot.getPlotItem())  # pyqtgraph's reset-zoom button: a house, not its "A"
        self.plot.setAspectLocked(True)
        # Named: the VAE tab has two maps (this one and the catalog's), which a screen reader
        # could not tell apart.
        name_map(self.plot, "Latent space map", "The VAE's learned plane, drawn as the garments it decodes "
                 "at each point; a click decodes that point, as Enter does after the arrow keys move the square")
        self._focus_frame = show_focus(self.plot)  # pyqtgraph draws no focus ring
        self.plot.showGrid(False, False)
        for axis in AXIS_NAMES:
            self.plot.getAxis(axis).setStyle(tickFont=None)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.plot.addItem(self.image)
        self.query_marker = pg.ScatterPlotItem(
            size=16, symbol="star", pen=pg.mkPen("k"), brush=pg.mkBrush("#ffd400"), tip=None
        )
        self.click_marker = pg.ScatterPlotItem(size=12, symbol="+", pen=pg.mkPen("#ff2d00", width=2), tip=None)
        # The keyboard's place: a square around the drawing there (a tile wide: sized in the
        # plane's units, ``set_grid``) in the focus frame's colour (see _colour), edged in black
        # to be seen on the light drawings and the black between them alike.
        self.key_marker = pg.ScatterPlotItem(pxMode=False, symbol="s", pen=None, brush=None, tip=None)
        self.key_edge = pg.ScatterPlotItem(pxMode=False, symbol="s", pen=pg.mkPen("k", width=5), brush=None, tip=None)
        self._key_xy: tuple[float, float] | None = None
        self._key_shown = False  # while the map has the focus from the keyboard
        self._key_step = 0.0  # the decoded grid's spacing (``set_grid``)
        for item in (self.query_marker, self.click_marker, self.key_edge, self.key_marker):
            item.setZValue(5)
            self.plot.addItem(item)
        self.plot.scene().sigMouseClicked.connect(self._on_click)
        # The axes' room changes with their numbers: the view box kept square (``_place_plot``).
        self.plot.getViewBox().sigResized.connect(self._place_plot)
        # Placed by hand (``_place_plot``), not by a layout: see there.
        self.plot.setParent(self)
        self._extent: tuple[float, float, float, float] | None = None
        #: The user clicked the map: the wheel zooms it, until the pointer leaves it.
        self._engaged = False
        self.plot.viewport().installEventFilter(self)
        self.plot.installEventFilter(self)  # the keys, and the focus that shows the square
        theme.follow(self, self._colour)

    def _colour(self) -> None:
        """On the palette's base colour (white on a light palette), its axes in the grey that reads on it."""
        base = theme.colour(QPalette.ColorRole.Base)
        grey = theme.secondary_text(base)
        self.plot.setBackground(base)
        self.key_marker.setPen(square_pen(base))
        for axis, name in AXIS_NAMES.items():
            self.plot.getAxis(axis).setTextPen(grey)
            self.plot.getAxis(axis).setPen(grey)
            # Named: bare -3 ... 3 said nothing about what runs along them.
            self.plot.setLabel(axis, name, color=theme.css(grey), **{"font-size": "8pt"})

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if watched is self.plot:
            if kind == QEvent.Type.KeyPress:
                return self._on_key(event.key())
            if kind in (QEvent.Type.FocusIn, QEvent.Type.FocusOut):
                self._show_key_place(square_shown_by(event))  # (not after a click: its cross says where)
            return super().eventFilter(watched, event)
        if kind == QEvent.Type.Wheel and not self.wheel_zooms(event.modifiers()):
            # Not the map's: the panel around it scrolls. At 1024x700 scrolling the panel zoomed
            # the map (to -60 ... 10) the moment it came under the pointer, its reset below the
            # fold. Handed on explicitly: Qt passes an ignored wheel event to the parents only
            # when it came from the window system.
            outer = self._scrolling_parent()
            if outer is not None:
                QApplication.sendEvent(outer.viewport(), event)
            event.accept()
            return True
        if kind == QEvent.Type.MouseButtonPress:
            self._engaged = True
        elif kind == QEvent.Type.Leave:
            self._engaged = False
        return super().eventFilter(watched, event)

    def _scrolling_parent(self) -> QAbstractScrollArea | None:
        widget = self.parentWidget()
        while widget is not None and not isinstance(widget, QAbstractScrollArea):
            widget = widget.parentWidget()
        return widget

    def wheel_zooms(self, modifiers: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> bool:
        """Whether the wheel zooms the map now (with these keys held), rather than scrolling
        the panel: with Ctrl, or after a click on the map while the pointer stays on it; always
        when no panel around it scrolls."""
        return (self._engaged or bool(modifiers & Qt.KeyboardModifier.ControlModifier)
                or self._scrolling_parent() is None)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._place_plot()

    def _place_plot(self) -> None:
        """The plot sized so that its view box (the plot less its axes and margins) is square, as
        large as fits, centred across and at the top. The map's aspect is locked: a view box
        wider or taller than square widened one axis beyond the decoded grid (a tall, narrow
        panel showed latent dimension 2 from -5 to 5, the grid only within -3.1 ... 3.1: 40 % of
        the map blank). The map itself grows no taller than that square (the panel's space goes
        below it)."""
        box = self.plot.getViewBox().size()
        if box.width() > 0 and box.height() > 0:  # the axes' and margins' room, as laid out
            extra_w = self.plot.width() - int(box.width())
            extra_h = self.plot.height() - int(box.height())
        else:  # not laid out yet: the axes' own sizes, corrected once the view box has one
            extra_w = int(self.plot.getAxis("left").width()) + 2
            extra_h = int(self.plot.getAxis("bottom").height()) + 2
        side = max(min(self.width() - extra_w, self.height() - extra_h), 1)
        self.setMaximumHeight(max(self.minimumHeight(), self.width() - extra_w + extra_h))
        geometry = QRect((self.width() - side - extra_w) // 2, 0, side + extra_w, side + extra_h)
        if geometry != self.plot.geometry():
            self.plot.setGeometry(geometry)

    def set_grid(self, grid: np.ndarray, extent: tuple[float, float, float, float]) -> None:
        """``grid``: uint8 image (rows top = high y) covering ``extent`` = (x0, x1, y0, y1)."""
        x0, x1, y0, y1 = extent
        # Image row 0 is the top (largest y): flip so that row 0 maps to y1 on the plot.
        self.image.setImage(np.ascontiguousarray(np.flipud(grid)), levels=(0, 255))
        self.image.setRect(pg.QtCore.QRectF(x0, y0, x1 - x0, y1 - y0))
        self._extent = extent
        self._key_step = (x1 - x0) * TILE_SIDE / grid.shape[1]  # from one drawing to the next
        for item in (self.key_edge, self.key_marker):
            item.setSize(self._key_step)
        self.show_whole()

    def show_whole(self) -> None:
        """The whole decoded grid in view (as at the start), however the user zoomed or moved it."""
        if self._extent is not None:
            x0, x1, y0, y1 = self._extent
            self._place_plot()  # the axes' widths as the grid's numbers made them
            self.plot.setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0)

    def has_grid(self) -> bool:
        return self._extent is not None

    def set_query(self, xy: tuple[float, float] | None) -> None:
        """A new query's star (None: none), on the whole map: a zoom made for the last query
        would leave the new star out of view, or the map in a corner of itself."""
        self.query_marker.setData(pos=np.array([xy]) if xy is not None else np.zeros((0, 2)))
        self.show_whole()

    def mark(self, xy: tuple[float, float] | None) -> None:
        self.click_marker.setData(pos=np.array([xy]) if xy is not None else np.zeros((0, 2)))
        self._key_xy = None  # the keys go on from the place drawn (``_start_place``)
        self._show_key_place(self._key_shown)

    def scene_pos_of(self, x: float, y: float) -> QPointF:
        return self.plot.getViewBox().mapViewToScene(QPointF(x, y))

    def _on_click(self, ev) -> None:
        if ev.button() != Qt.MouseButton.LeftButton or self._extent is None:
            return
        view = self.plot.getViewBox()
        if not view.sceneBoundingRect().contains(ev.scenePos()):
            return
        p = view.mapSceneToView(ev.scenePos())
        self.mark((p.x(), p.y()))
        self.point_clicked.emit(float(p.x()), float(p.y()))

    # -- the keyboard ------------------------------------------------------------------------------
    def key_place(self) -> tuple[float, float] | None:
        """Where the arrows have moved the square to (None: not yet), which Enter draws."""
        return self._key_xy

    def _start_place(self) -> tuple[float, float]:
        """Where the keys start: the place drawn last, else the query's star, else the drawing
        at the view's middle (its centre: the square then goes from one drawing to the next,
        not across the corners of four)."""
        for item in (self.click_marker, self.query_marker):
            if len(item.data):
                return float(item.data["x"][0]), float(item.data["y"][0])
        (vx0, vx1), (vy0, vy1) = self.plot.getViewBox().viewRange()
        x0, _, y0, _ = self._extent
        step = self._key_step
        return tuple(low + step * (np.floor((middle - low) / step) + 0.5)
                     for middle, low in (((vx0 + vx1) / 2, x0), ((vy0 + vy1) / 2, y0)))

    def _show_key_place(self, shown: bool) -> None:
        self._key_shown = shown and self._extent is not None
        if self._key_shown and self._key_xy is None:
            self._key_xy = self._start_place()
        place = self._key_xy if self._key_shown else None
        for item in (self.key_edge, self.key_marker):
            item.setData(pos=np.array([place]) if place is not None else np.zeros((0, 2)))

    def _on_key(self, key: int) -> bool:
        """A key pressed on the map: True if it was the map's."""
        if self._extent is None or (key not in ARROWS and key not in PICK_KEYS):
            return False
        self._show_key_place(True)
        x, y = self._key_xy
        if key in PICK_KEYS:  # as a click there
            self.mark((x, y))
            self.point_clicked.emit(x, y)
            return True
        (vx0, vx1), (vy0, vy1) = self.plot.getViewBox().viewRange()
        step = min(self._key_step, KEY_STEP_OF_VIEW * (vx1 - vx0))
        dx, dy = ARROWS[key]
        # Not off the decoded grid, where nothing is drawn: at most on its first and last
        # drawings' centres (its very edge was half a drawing off the last).
        x0, x1, y0, y1 = self._extent
        half = self._key_step / 2
        self._key_xy = (min(max(x + dx * step, x0 + half), x1 - half), min(max(y + dy * step, y0 + half), y1 - half))
        self._show_key_place(True)
        keep_in_view(self.plot.getViewBox(), *self._key_xy)
        return True
