"""The results gallery: a model/view icon list whose thumbnails load lazily off-thread.

Only the rows the view paints ask for their thumbnail (``data(DecorationRole)``), so a gallery
of thousands of items costs nothing until scrolled to. A row shows a grey placeholder while
loading and a warning icon (with the reason as tooltip) when the file cannot be shown.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import os
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

from PySide6.QtCore import (
    QAbstractListModel, QEvent, QMimeData, QModelIndex, QPersistentModelIndex, QPoint, QPointF, QSize, Qt, QUrl, Signal,
)
from PySide6.QtGui import (
    QAction, QColor, QDesktopServices, QGuiApplication, QIcon, QPainter, QPalette, QPixmap, QTextLayout,
)
from PySide6.QtWidgets import QAbstractItemView, QListView, QMenu, QStyle, QStyledItemDelegate, QWidget

from vsdesk.engine.map_colours import PREDICTED
from vsdesk.engine.session import ItemType, item_facts
from vsdesk.engine.text import counted, shown_class, shown_path, telling_names, wrapped
from vsdesk.gui import theme
from vsdesk.gui.focus_frame import show_focus
from vsdesk.gui.menu_key import number_key, open_menu_with_keys
from vsdesk.gui.thumbnails import ThumbnailCache

ItemRole = Qt.ItemDataRole.UserRole + 1


@dataclass(frozen=True)
class GalleryItem:
    index: int  # position in the catalog (links to the scatter); -1 if not a catalog item
    source: str  # what the thumbnail decoder reads (a file path for ordinary catalogs)
    path: str | None  # the user's file, if there is one (open, copy path, open folder)
    score: float | None = None
    label: str = ""
    #: Product mode: its type (and kids' wear), said before a label that is something else (a
    #: folder's name); None: not known (another mode, the model not loaded yet).
    kind: ItemType | None = None
    #: The other paths of the same file (identical bytes), listed once as this item: "also at …".
    also: tuple[str, ...] = ()
    #: Their catalog rows, where known (browsing): a map click on one selects this item.
    also_rows: tuple[int, ...] = ()
    #: The other files of the same picture (a PNG export, a re-saved JPEG) folded into this
    #: result: "+2 copies" in its caption, their paths in its tooltip.
    copies: tuple[str, ...] = ()
    #: Their catalog rows, where known: a map click on one selects this item.
    copy_rows: tuple[int, ...] = ()

    @property
    def name(self) -> str:
        return Path(self.path).name if self.path else self.source.rsplit("/", 1)[-1]


def _caption(item: GalleryItem) -> str:
    """A cell's two lines, each cut at its end where it is too wide: the label that is not
    the type (a folder's name) before the file name, which a cell can do without (a shop's
    names are hashes: "tops · 46e76b5f-85cb…"); then the score and the type, with "kids"
    for kids' wear ("0.603 · T-Shirt · kids"). All on one line, "0.603 · T-Shirt · for
    kids · tops" lost the folder at the cell's edge. The tip says it all in full, the type
    predicted and the kids' wear chance too. (The class alone: "(predicted)" cut it to
    "T-Shirt (predi…".) Without a product type (Style, VAE) the name comes first and the
    label goes after the score ("s_cubism-04.jpg" over "0.999 · cubism"): every caption
    there began with the same label ("Ankle boot · test…") and the name was cut off."""
    kind, label = item.kind, item.label
    if kind is not None:
        types = [kind.short()]
        shown = item_facts(label, kind)[1:]  # the label, unless it names the type
    elif label.endswith(PREDICTED):  # the model's class for an unlabelled item: a type
        types, shown = [shown_class(label.removesuffix(PREDICTED))], []
    else:  # a catalog's label (a painting's style, a Fashion-MNIST class, a folder "Outwear"): beside the score
        types, shown = [shown_class(label)] if label else [], []
    # Copies of the picture folded into it first: the name is what a cell can do without (the
    # score line's end, where they were first put, was cut to "+2 c…" beside a type).
    copies = [f"+{counted(len(item.copies), 'copy', 'copies')}"] if item.copies else []
    # A name's tab or newline: visible, in its line; bytes not UTF-8 as escapes (``shown_path``).
    first = shown_path(" · ".join([*copies, *shown, item.name]))
    second = " · ".join(([] if item.score is None else [f"{item.score:.3f}"]) + types)
    return f"{first}\n{second}" if second else first


class LazyItems(Sequence[GalleryItem]):
    """A gallery's items made one at a time, as the gallery shows their rows (``make(row)``): a
    catalog browsed whole is tens of thousands of items, and making them all at once kept the
    window's thread from painting for 50-650 ms at 40,000 (and the garbage collector longer).
    ``row_of_index``: the row showing a catalog index, or -1 (a map click finds its row)."""

    #: The items made lately, kept for the gallery's next questions about them (it asks a row
    #: for its caption, its thumbnail, its size ... at every paint); cleared beyond this many.
    KEPT = 2048

    def __init__(self, count: int, make: Callable[[int], GalleryItem], row_of_index: Callable[[int], int]):
        self._count = count
        self.make = make
        self.row_of_index = row_of_index
        self._made: dict[int, GalleryItem] = {}

    def __len__(self) -> int:
        return self._count

    def __getitem__(self, row):
        if isinstance(row, slice):
            return [self[i] for i in range(*row.indices(self._count))]
        row = row + self._count if row < 0 else row
        if not 0 <= row < self._count:
            raise IndexError(row)
        item = self._made.get(row)
        if item is None:
            if len(self._made) >= self.KEPT:
                self._made.clear()
            item = self._made[row] = self.make(row)
        return item

    def __iter__(self):  # (every item once, none kept: the recent ones stay)
        return (self.make(row) for row in range(self._count))

    def with_kinds(self, kind_of: Callable[[int], ItemType | None]) -> LazyItems:
        """The same items, each told its product type (``ResultsModel.tell_kinds``)."""
        make = self.make
        return LazyItems(self._count, lambda row: _told_kind(make(row), kind_of), self.row_of_index)


def _told_kind(item: GalleryItem, kind_of: Callable[[int], ItemType | None]) -> GalleryItem:
    return dataclasses.replace(item, kind=kind_of(item.index)) if item.index >= 0 else item


def _placeholder(size: int) -> QPixmap:
    pixmap = QPixmap(size, size)
    pixmap.fill(QColor(0, 0, 0, 0))
    painter = QPainter(pixmap)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(225, 225, 225))
    painter.drawRoundedRect(4, 4, size - 8, size - 8, 6, 6)
    painter.end()
    return pixmap


class ResultsModel(QAbstractListModel):
    def __init__(self, cache: ThumbnailCache, thumb_size: int = 128, parent=None):
        super().__init__(parent)
        self._cache = cache
        self._size = thumb_size
        self._items: Sequence[GalleryItem] = []  # a list, or ``LazyItems``
        #: The rows that asked for their thumbnail, by its source: told when it is ready.
        self._rows_by_source: dict[str, set[int]] = {}
        self._row_by_index: dict[int, int] = {}  # a map click finds its row without a scan (a list's)
        self._placeholder = QIcon(_placeholder(thumb_size))
        # Every cell the same size, whatever its thumbnail and text: with uniform item sizes the
        # view measures only the first row, and a first item without a score line (or with a
        # wide thumbnail) cut the score and label off every other cell. The height of the two
        # text lines comes from the view's font (``GalleryView._fit_cells``).
        self.cell_size = QSize(thumb_size + 36, thumb_size + 34)
        self._error_icon: QIcon | None = None
        self._squares: dict[str, tuple[int, QPixmap]] = {}  # source -> (thumbnail's cacheKey, padded)
        cache.ready.connect(self._on_thumbnail_ready)

    def set_items(self, items: Sequence[GalleryItem]) -> None:
        """``items``: a list (results), or ``LazyItems`` (a whole catalog), made as rows are shown."""
        self.beginResetModel()
        self._items = items if isinstance(items, LazyItems) else list(items)
        self._rows_by_source = {}
        self._row_by_index = {}
        if not isinstance(items, LazyItems):
            for row, item in enumerate(self._items):
                self._row_by_index.setdefault(item.index, row)
                for other in (*item.also_rows, *item.copy_rows):  # the same file, or picture: shown in this row
                    self._row_by_index.setdefault(other, row)
        self.endResetModel()

    @property
    def thumb_size(self) -> int:
        """The size the thumbnails are made at (they may be drawn a little smaller)."""
        return self._size

    def set_thumb_size(self, size: int) -> None:
        """Make the thumbnails at ``size`` from now on (the gallery grew or shrank)."""
        self._size = size
        self._placeholder = QIcon(_placeholder(size))
        self._squares.clear()
        if self._items:
            self.dataChanged.emit(self.index(0), self.index(len(self._items) - 1), [Qt.ItemDataRole.DecorationRole])

    def items(self) -> list[GalleryItem]:
        return list(self._items)

    def tell_kinds(self, kind_of: Callable[[int], ItemType | None]) -> None:
        """Each catalog item told its product type (``kind_of(index)``), in place: the catalog
        learns the types once its model has loaded, maybe after the items were shown, and the
        selection and scroll position stay."""
        if isinstance(self._items, LazyItems):
            self._items = self._items.with_kinds(kind_of)
        else:
            self._items = [_told_kind(item, kind_of) for item in self._items]
        if self._items:
            self.dataChanged.emit(self.index(0), self.index(len(self._items) - 1))

    def item(self, row: int) -> GalleryItem:
        return self._items[row]

    def row_of_catalog_index(self, index: int) -> int:
        if isinstance(self._items, LazyItems):
            return self._items.row_of_index(index)
        return self._row_by_index.get(index, -1)

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._items)

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or index.row() >= len(self._items):
            return None
        item = self._items[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return _caption(item)
        if role == Qt.ItemDataRole.DecorationRole:
            self._rows_by_source.setdefault(item.source, set()).add(index.row())
            view = self.parent()  # at its screen's ratio, not the highest of all screens
            ratio = view.devicePixelRatioF() if isinstance(view, QWidget) else None
            pixmap = self._cache.pixmap(item.source, self._size, ratio)
            if pixmap is not None:
                return self._square(item.source, pixmap)
            if self._cache.error(item.source):
                return self._error()
            # The gallery grew or shrank a step: its thumbnail at the size before, scaled, until
            # this size's is decoded (grey placeholders flashed over every cell at each step).
            stand_in = self._cache.stand_in(item.source, ratio)
            if stand_in is not None:
                return self._square(item.source, *stand_in)
            return self._placeholder
        if role == Qt.ItemDataRole.ToolTipRole:
            lines = [shown_path(item.path or item.source)]
            kind = item.kind
            if kind is not None:
                lines += kind.tip_lines()
            if item.label and not (kind is not None and kind.predicted and kind.says(item.label)):
                label = shown_class(item.label.removesuffix(PREDICTED))
                lines.append(f"label: {label} (predicted by the model)" if item.label.endswith(PREDICTED)
                             else f"label: {label}")
            lines += [f"also at: {shown_path(path)}" for path in item.also]
            if item.copies:  # other files of the same picture, folded into this one
                lines.append(f"{counted(len(item.copies), 'other copy', 'other copies')} of this picture:")
                lines += [f"  {shown_path(path)}" for path in item.copies]
            if item.score is not None:  # as its caption says it
                lines.append(f"similarity: {item.score:.3f}")
            error = self._cache.error(item.source)
            if error:
                lines.append(f"cannot show: {error}")
            return wrapped("\n".join(lines))  # a long path on several lines: never wider than the screen
        if role == Qt.ItemDataRole.SizeHintRole:
            return self.cell_size
        if role == ItemRole:
            return item
        return None

    def _square(self, source: str, pixmap: QPixmap, made_at: int | None = None) -> QPixmap:
        """The thumbnail centred on a transparent square, so every caption sits at one height
        whatever the picture's shape (made once per thumbnail), at the thumbnail's device pixel
        ratio (sharp on a HiDPI screen). A thumbnail ``made_at`` another size (a stand-in) is
        scaled to this one."""
        shown = pixmap.deviceIndependentSize()  # the thumbnail's size in the view's pixels
        if made_at in (None, self._size) and round(shown.width()) == round(shown.height()) == self._size:
            return pixmap
        padded = self._squares.get(source)
        if padded is None or padded[0] != pixmap.cacheKey():
            if len(self._squares) > 4096:  # a bound for very long sessions
                self._squares.clear()
            key = pixmap.cacheKey()
            ratio = pixmap.devicePixelRatio()
            if made_at not in (None, self._size):
                scale = self._size / made_at
                pixmap = pixmap.scaled(round(pixmap.width() * scale), round(pixmap.height() * scale),
                                       Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation)
                pixmap.setDevicePixelRatio(ratio)
            side = round(self._size * ratio)  # in device pixels, as the thumbnail's
            square = QPixmap(side, side)
            square.setDevicePixelRatio(ratio)
            square.fill(QColor(0, 0, 0, 0))
            painter = QPainter(square)  # in the view's pixels: placed on a whole device pixel
            x, y = (side - pixmap.width()) // 2, (side - pixmap.height()) // 2
            painter.drawPixmap(QPointF(x / ratio, y / ratio), pixmap)
            painter.end()
            padded = (key, square)
            self._squares[source] = padded
        return padded[1]

    def _error(self) -> QIcon:
        if self._error_icon is None:
            from PySide6.QtWidgets import QApplication

            self._error_icon = QApplication.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
        return self._error_icon

    def _on_thumbnail_ready(self, source: str) -> None:
        for row in sorted(self._rows_by_source.get(source, ())):
            index = self.index(row)
            self.dataChanged.emit(index, index, [Qt.ItemDataRole.DecorationRole, Qt.ItemDataRole.ToolTipRole])


#: Thumbnails shrink down to this share of their size when that fits one more column: a
#: gallery a little narrower than two columns (a 1024 px wide window) showed one, between wide
#: gaps. They are still decoded at their full size, and drawn smaller.
SMALLEST_THUMBNAIL = 0.85


class _ThumbnailDelegate(QStyledItemDelegate):
    """Draws each thumbnail at the view's icon size: for a pixmap Qt's delegate takes the
    pixmap's own size, and thumbnails shrunk to fit a column would overflow their cells.
    A selected thumbnail keeps its own colours: Qt draws a selected icon tinted with the
    highlight (mustard trousers looked olive), and in a search for clothes colour matters. The
    selection is shown by the highlight around the picture and under its caption."""

    def initStyleOption(self, option, index) -> None:
        super().initStyleOption(option, index)
        option.decorationSize = self.parent().iconSize()
        decoration = index.data(Qt.ItemDataRole.DecorationRole)
        if isinstance(decoration, QPixmap):
            icon = QIcon(decoration)
            icon.addPixmap(decoration, QIcon.Mode.Selected)  # the same pixels, not a tinted copy
            option.icon = icon
        option.showDecorationSelected = True  # the highlight fills the cell, around the picture
        option.palette = readable_selection(option.palette)


#: The contrast a selected caption is given on the highlight, where the highlight allows it:
#: WCAG's 7:1 (level AAA), not 4.5: the caption is small, and its thin strokes are drawn lighter
#: than their colour (antialiasing): at 4.6:1 as set, it measured 4.1:1 as drawn.
SELECTED_CAPTION_CONTRAST = 7.0


def readable_selection(pal: QPalette) -> QPalette:
    """``pal`` with its highlighted text made to read on its highlight (``theme.readable``): a
    desktop's pair can be too close, as Breeze Dark's white on #3daee9 is (2.4:1, the selected
    result's caption hard to read); Qt's own light one is 3.6:1 (white on #308cc6)."""
    pal = QPalette(pal)
    for group in (QPalette.ColorGroup.Active, QPalette.ColorGroup.Inactive):
        text, highlight = (pal.color(group, role).rgba() for role in (QPalette.ColorRole.HighlightedText,
                                                                       QPalette.ColorRole.Highlight))
        pal.setColor(group, QPalette.ColorRole.HighlightedText, _readable_on_highlight(text, highlight))
    return pal


@functools.lru_cache(maxsize=16)
def _readable_on_highlight(text: int, highlight: int) -> QColor:
    """``readable_selection``'s caption colour for a pair of colours (as ``QColor.rgba``), worked
    out once per pair: the delegate asks for it for every cell at every repaint, and its search
    of up to 20 mixes made a cell's options 8-14 times as long to set up (22 µs -> 180-325 µs; cached: 32-50 µs)."""
    return theme.readable(QColor.fromRgba(text), QColor.fromRgba(highlight), SELECTED_CAPTION_CONTRAST)


#: Scripts whose fallback fonts have tall lines (CJK, Thai, Arabic, emoji). Not Devanagari:
#: where its shaping support is missing, Qt logs a warning per installed font at every start.
TALL_SCRIPTS_SAMPLE = "Ag 日本語 한국어 ไทย العربية 😀"


#: A cell's width beyond its thumbnail's: room for the caption's first letters.
_CAPTION_MARGIN = 36

#: Thumbnails grow with a wide gallery (a big screen): at their given size for a gallery up to
#: this wide, in proportion beyond, by steps of ``GROWTH_STEP`` px (each step is decoded anew),
#: up to ``LARGEST_THUMBNAIL`` times their size. At 1920x1080 the gallery is about 790 px wide
#: and kept 5 columns of small thumbnails.
GROWS_FROM_WIDTH = 500
GROWTH_STEP = 16
LARGEST_THUMBNAIL = 1.6


def grown_thumbnail_size(base: int, width: int) -> int:
    """The size thumbnails of size ``base`` are made at in a gallery ``width`` px wide."""
    wanted = min(base * LARGEST_THUMBNAIL, base * width / GROWS_FROM_WIDTH)
    return max(base, base + int((wanted - base) // GROWTH_STEP) * GROWTH_STEP)


#: About how many rows are laid out at a time between events when a whole catalog is shown
#: (``set_items``): a few ms each on a busy two-core machine. Always whole rows of cells: Qt's
#: batched icon layout put a batch's first cell a spacing too far right, and wrapped after it,
#: when the batch before ended mid-row.
LAYOUT_BATCH = 1000


class GalleryView(QListView):
    """Icon-mode list of results. Emits catalog indices so the scatter can follow."""

    current_item_changed = Signal(object)  # GalleryItem or None
    search_requested = Signal(object)  # GalleryItem: "search from this result"
    #: a file or folder to open (double-click, Enter, the menu): the tab sees that it is there
    #: on its I/O thread, then calls ``open_path`` (a stat here could hang on a network disk)
    # (object, not str: Qt's strings lose a name's bytes that are not UTF-8, its lone surrogates)
    open_requested = Signal(object)
    open_failed = Signal(object)  # a path the desktop found no application to open
    end_reached = Signal()  # scrolled to the last row: the tab may add more results

    #: Its keys (the list view's own), for Help › Keyboard shortcuts (``keys_dialog``).
    OWN_KEYS = (("Arrow keys", "from result to result"), ("Enter", "open the result's image in the desktop's viewer"))

    def __init__(self, cache: ThumbnailCache, thumb_size: int = 128, parent: QWidget | None = None):
        super().__init__(parent)
        self.results = ResultsModel(cache, thumb_size, self)
        self.setModel(self.results)
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setMovement(QListView.Movement.Static)
        # Icon mode turns on dropping into the list; files dropped here go to the tab (search).
        self.setDragDropMode(QAbstractItemView.DragDropMode.NoDragDrop)
        self.setAcceptDrops(False)
        # Room above the first row, so a selected first cell's highlight does not touch the frame.
        # The margin is the view's own, not its viewport's: it is painted in the view's base
        # colour as the viewport is (it was left in the window's grey, a strip above the results).
        self.setViewportMargins(0, 6, 0, 0)
        self.setBackgroundRole(QPalette.ColorRole.Base)
        self.setAutoFillBackground(True)
        self.setItemDelegate(_ThumbnailDelegate(self))
        self.setIconSize(QSize(thumb_size, thumb_size))
        self._thumb_size = thumb_size
        self._text_height = 0
        #: Said in the empty gallery (why a query has no results), "" for nothing.
        self._empty_text = ""
        self._fit_cells()
        self.setUniformItemSizes(True)
        self.setWordWrap(False)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setSpacing(2)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.customContextMenuRequested.connect(self._context_menu)
        open_menu_with_keys(self, self._menu_of_current)  # the current result's (Shift+F10 too)
        # double-click, and Enter for a keyboard user (the platform decides which gestures activate)
        self.activated.connect(lambda index: self.open_item(index.data(ItemRole)))
        self.selectionModel().currentChanged.connect(self._on_current_changed)
        self.verticalScrollBar().valueChanged.connect(self._on_scrolled)
        self._focus_frame = show_focus(self)  # the style draws none on a list

    def _fit_cells(self) -> None:
        """Cells tall enough for the thumbnail and two lines (name; score and label) in this
        view's font: a desktop's font (GNOME's, a user's larger one) can be taller than Qt's
        default, and a fixed height cut the second line off every cell. A name in another
        script is drawn with a fallback font whose line can be taller still (a CJK name cut the
        score line off its cell), so the name's line is measured on such a sample."""
        layout = QTextLayout(TALL_SCRIPTS_SAMPLE, self.font())
        layout.beginLayout()
        line = layout.createLine()
        layout.endLayout()
        spacing = self.fontMetrics().lineSpacing()
        self._text_height = max(spacing, math.ceil(line.height())) + spacing + 6
        # At least one whole column of full-size thumbnails, however small the window: never a
        # sliver of a thumbnail.
        scroll_bar = self.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent)
        self.setMinimumWidth(self._thumb_size + _CAPTION_MARGIN + 8 + scroll_bar + 2 * self.frameWidth())
        self._spread_columns()

    def _spread_columns(self) -> None:
        """As many columns as fit with thumbnails shrunk at most to ``SMALLEST_THUMBNAIL``,
        the thumbnails as big as the width then allows (up to their size), and the space left
        over (less than a column's width) shared between the columns, not an empty strip on
        the right."""
        # Qt's icon layout keeps room for the spacing, and for a vertical scroll bar while none
        # is shown: a row filling that room too would wrap its last column. The bar's room is
        # taken from the view's own width whether the bar is shown or not: read from the
        # viewport and the bar's visibility, which change apart (the bar hidden with its tab, the
        # viewport narrowed already), the same gallery came out 110 or 103 px from run to run.
        width = (self.contentsRect().width() - self.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent)
                 - 2 * self.spacing())
        around = _CAPTION_MARGIN + 4  # a cell's room beside its thumbnail, and between cells
        made = grown_thumbnail_size(self._thumb_size, width)
        if made != self.results.thumb_size:
            self.results.set_thumb_size(made)
        smallest = math.ceil(made * SMALLEST_THUMBNAIL)
        columns = max(1, width // (smallest + around))
        self.setBatchSize(columns * max(1, LAYOUT_BATCH // columns))  # whole rows (``LAYOUT_BATCH``)
        thumb = max(smallest, min(made, width // columns - around))
        cell = QSize(thumb + _CAPTION_MARGIN, thumb + self._text_height)
        if cell != self.results.cell_size:
            self.results.cell_size = cell
            self.setIconSize(QSize(thumb, thumb))
        self.setGridSize(QSize(max(cell.width() + 4, width // columns), cell.height() + 4))

    def empty_text(self) -> str:
        """What the gallery says while it is empty (``set_items``'s ``empty_text``)."""
        return self._empty_text if not self.results.rowCount() else ""

    def paintEvent(self, event) -> None:
        super().paintEvent(event)
        text = self.empty_text()
        if text:
            painter = QPainter(self.viewport())
            painter.setPen(self.palette().placeholderText().color())
            painter.drawText(self.viewport().rect().adjusted(16, 16, -16, -16),
                             Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop | Qt.TextFlag.TextWordWrap, text)
            painter.end()

    def resizeEvent(self, event) -> None:
        self._spread_columns()
        super().resizeEvent(event)

    def changeEvent(self, event) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:
            self._fit_cells()
            self.results.layoutChanged.emit()

    def set_items(self, items: list[GalleryItem], keep_position: bool = False, empty_text: str = "") -> None:
        """Show ``items`` from the top, or (``keep_position``: more of the same results) where
        the user was. ``empty_text``: what the gallery says while it has no items (why a query
        has none), in their place rather than in a bar away from them."""
        position = self.verticalScrollBar().value()
        self._empty_text = empty_text
        self.viewport().update()
        # A whole catalog (``LazyItems``, tens of thousands) is laid out a batch at a time between
        # events, from the top: in one pass Qt's icon layout kept the window's thread 80-200 ms at
        # 40,000. Results (a few hundred), and rows kept where the user was, in one pass as ever.
        batched = isinstance(items, LazyItems) and not keep_position
        self.setLayoutMode(QListView.LayoutMode.Batched if batched else QListView.LayoutMode.SinglePass)
        self.results.set_items(items)
        if keep_position:
            self.doItemsLayout()  # the scroll range must hold the new rows before it is restored
            self.verticalScrollBar().setValue(position)
        else:
            self.scrollToTop()

    def _on_scrolled(self, value: int) -> None:
        bar = self.verticalScrollBar()
        if value > 0 and value >= bar.maximum():
            self.end_reached.emit()

    def current_item(self) -> GalleryItem | None:
        index = self.currentIndex()
        return index.data(ItemRole) if index.isValid() else None

    def select_catalog_index(self, catalog_index: int) -> bool:
        """Select the row showing ``catalog_index``; False if it is not among the results."""
        row = self.results.row_of_catalog_index(catalog_index)
        if row < 0:
            self.clearSelection()
            return False
        index = self.results.index(row)
        if self.currentIndex() != index:
            self.setCurrentIndex(index)
        self.scrollTo(index)
        return True

    def step(self, delta: int) -> None:
        """Next/previous result (keyboard shortcuts)."""
        count = self.results.rowCount()
        if not count:
            return
        row = self.currentIndex().row()
        row = 0 if row < 0 else max(0, min(count - 1, row + delta))
        self.setCurrentIndex(self.results.index(row))

    def _on_current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        self.current_item_changed.emit(current.data(ItemRole) if current.isValid() else None)

    # -- actions ---------------------------------------------------------------------------------
    #: The desktop's "open this file" (the boundary a test replaces: it would start a viewer).
    open_url = staticmethod(QDesktopServices.openUrl)

    def open_item(self, item: GalleryItem | None) -> None:
        if item is not None and item.path:
            self.open_requested.emit(item.path)

    def open_folder(self, item: GalleryItem) -> None:
        if item.path:
            self.open_requested.emit(str(Path(item.path).parent))

    def open_path(self, path: str) -> None:
        """Open ``path`` with the desktop's application (the tab has seen that it is there)."""
        # False when the desktop has no application for it (no file manager or image viewer
        # installed or set up): Qt only logs that, and the user would see nothing happen.
        if not self.open_url(local_file_url(path)):
            self.open_failed.emit(path)

    @staticmethod
    def copy_path(item: GalleryItem) -> None:
        if item.path:
            copy_file_path(item.path)
        else:
            QGuiApplication.clipboard().setText(item.source)

    def _menu_of_current(self) -> None:
        index = self.currentIndex()
        if index.isValid():
            self.scrollTo(index)
            self._context_menu(self.visualRect(index).center())

    def _context_menu(self, pos: QPoint) -> None:
        index = self.indexAt(pos)
        if not index.isValid():
            return
        menu = self.result_menu(index.data(ItemRole))
        menu.exec(self.viewport().mapToGlobal(pos))
        menu.deleteLater()

    def result_menu(self, item: GalleryItem) -> QMenu:
        """A result's menu, each entry with its key in the open menu (O, F, C, P, S)."""
        menu = QMenu(self)
        open_action = QAction("&Open image", menu, enabled=bool(item.path))
        open_action.triggered.connect(lambda: self.open_item(item))
        folder = QAction("Open containing &folder", menu, enabled=bool(item.path))
        folder.triggered.connect(lambda: self.open_folder(item))
        copy = QAction("&Copy path", menu)
        copy.triggered.connect(lambda: self.copy_path(item))
        search = QAction("&Search from this result", menu)
        search.triggered.connect(lambda: self.search_requested.emit(item))
        for action in (open_action, folder, copy):
            menu.addAction(action)
        if item.copies:
            self._add_copies_menu(menu, item)
        menu.addAction(search)
        return menu

    def _add_copies_menu(self, menu: QMenu, item: GalleryItem) -> None:
        """"Copies (2)": each other file of the picture folded into ``item`` (a PNG export, a
        resized copy), which the tooltip only names, with what the menu offers for the file
        shown: the user may want the full-size one, or to tidy them up. Each by its name, with
        its folder where that is not the shown file's ("exports/blouse.png": a tip is not seen
        while a submenu opens) or where names are one, its full path as a tip."""
        copies = menu.addMenu(f"Co&pies ({len(item.copies)})")
        copies.setToolTipsVisible(True)
        folder = Path(item.path or item.source).parent
        names = telling_names([item.path or item.source, *item.copies])[1:]
        for number, (path, name) in enumerate(zip(item.copies, names), start=1):
            if "/" not in name and Path(path).parent != folder:
                name = f"{Path(path).parent.name}/{name}"
            # Numbered for the keyboard, as the Folders menu's Forget entries are; a name's "&" is no key.
            one = copies.addMenu(number_key(number) + shown_path(name).replace("&", "&&"))
            one.menuAction().setToolTip(wrapped(shown_path(path)))
            one.addAction("&Open image", lambda _checked=False, path=path: self.open_requested.emit(path))
            one.addAction("Open containing &folder",
                          lambda _checked=False, path=path: self.open_requested.emit(str(Path(path).parent)))
            one.addAction("&Copy path", lambda _checked=False, path=path: copy_file_path(path))


def copy_file_path(path: str) -> None:
    """``path`` into the clipboard: as text, shown (``shown_path``: a name not UTF-8 has its bytes
    as escapes, where Qt dropped them), and as the file's URL (``local_file_url``: its bytes as
    they are), which a file manager pastes as the file itself."""
    mime = QMimeData()
    mime.setText(shown_path(path))
    mime.setUrls([local_file_url(path)])
    QGuiApplication.clipboard().setMimeData(mime)


def local_file_url(path: str) -> QUrl:
    """The ``file:`` URL of ``path``, its name's bytes percent-encoded as they are: a name not
    UTF-8 (bytes as lone surrogates) came out of ``QUrl.fromLocalFile`` as other bytes (``%ED%B3%A9``
    for ``\xe9``), a file the viewer could not find. Any other path is Qt's own URL of it (a
    Windows path with its drive, too)."""
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:  # (lone surrogates: the name's own bytes, only on POSIX)
        return QUrl("file://" + urllib.parse.quote(os.fsencode(path)))
    return QUrl.fromLocalFile(path)
