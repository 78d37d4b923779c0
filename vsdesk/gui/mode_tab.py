"""One tab of the window: a search mode (style, product or VAE) with its query, catalog,
results gallery, t-SNE map and mode panel.

The tab only displays and dispatches: every slow step is a task on the window's
``TaskRunner`` (model, indexing and queries on the one TensorFlow thread; t-SNE on the compute
thread; catalog listing on the I/O thread), and each kind of task has its own slot, so a newer
query supersedes an older one and a stale result is dropped by the runner.

``ModeTab`` lays the widgets out and wires the parts that work them, one job each:
``TabCatalog`` (tab_catalog.py) the catalog, ``TabQuery`` (tab_query.py) the queries and their
results, ``TabMap`` (tab_map.py) the t-SNE map, ``TabInput`` (tab_input.py) drops, the
clipboard and paths. What the window, the tests and the scripts use is kept here, delegated.
"""

from __future__ import annotations

import logging

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QSplitter, QTabWidget, QVBoxLayout, QWidget

from vsdesk.engine.session import CatalogSnapshot, ModeSession, QueryOutcome
from vsdesk.gui import theme
from vsdesk.gui.accessible import name_combo
from vsdesk.gui.catalog_bar import CatalogBar, pictures_folder
from vsdesk.gui.catalog_texts import ready_words
from vsdesk.gui.catalogs_watcher import CatalogsWatcher
from vsdesk.gui.errors import user_message
from vsdesk.gui.focus_frame import show_tab_focus
from vsdesk.gui.gallery import GalleryView
from vsdesk.gui.message_bar import MessageBar
from vsdesk.gui.panels import PANELS
from vsdesk.gui.preview import ItemPreview
from vsdesk.gui.query_area import QueryArea
from vsdesk.gui.settings import Settings
from vsdesk.gui.tab_catalog import TabCatalog
from vsdesk.gui.tab_input import TabInput
from vsdesk.gui.tab_map import TabMap
from vsdesk.gui.tab_query import TabQuery
from vsdesk.gui.thumbnails import ThumbnailCache
from vsdesk.gui.worker import TaskRunner

log = logging.getLogger(__name__)

TITLES = {"style": "Style", "product": "Product", "vae": "VAE"}


#: What a screen reader calls each mode's panel (under the query).
PANEL_NAMES = {"style": "Similarity by", "product": "Product type", "vae": "VAE latent space"}


class ModeTab(QWidget):
    #: (text) for the window's status bar
    status_message = Signal(str)
    #: emitted after results are shown (tests and the screenshot script wait on it)
    results_shown = Signal()
    #: emitted when the catalog's t-SNE map is complete
    map_ready = Signal()
    #: emitted when indexing of the current catalog finished, was cancelled, or failed
    catalog_ready = Signal()

    def __init__(self, mode: str, runner: TaskRunner, cache: ThumbnailCache, settings: Settings, parent=None, *,
                 session: ModeSession | None = None, watcher: CatalogsWatcher | None = None):
        """``session``: the mode's model and catalogs (by default the engine's default model).
        ``watcher``: the window's watch on the catalog files, shared by its tabs."""
        super().__init__(parent)
        self._watcher = watcher
        self.mode = mode
        self.runner = runner
        self.cache = cache
        self.settings = settings
        # The engine's default models, so catalogs are shared with the CLI (same vectors). The
        # style default stores a subject part, so the slider re-weighs at search time
        # (see reweigh_style_query) instead of re-embedding.
        self._session = session if session is not None else ModeSession(mode)
        self._started = False
        self.setAcceptDrops(True)
        self._build()
        self._make_parts()
        self._connect()

    # -- layout ------------------------------------------------------------------------------------
    def _build(self) -> None:
        self.catalog_bar = CatalogBar(has_models=self.mode == "product", settings=self.settings)
        self.messages = MessageBar()
        self.query_area = QueryArea()
        self.panel = PANELS[self.mode]()
        self.panel.restore_options(self.settings)
        self.gallery = GalleryView(self.cache, thumb_size=112 if self.mode != "vae" else 84)
        self.gallery.setAccessibleName("Results")
        self.gallery.setAccessibleDescription("The images found for the query, best first; "
                                              "without a query, the catalog's images")
        self.panel.setAccessibleName(PANEL_NAMES[self.mode])
        self._map_placeholder = QLabel("The map appears here.")
        self._map_placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        # As the map will be: on the palette's base colour (white on a light palette).
        theme.follow(self._map_placeholder, lambda: theme.set_sheet(self._map_placeholder, theme.base_sheet()))
        self.preview = ItemPreview(self.cache)
        # A labelled product catalog: its map coloured by its labels or by the model's classes.
        self.colour_by = QComboBox()
        self.colour_by.addItems(["labels", "classes the model predicts"])
        self.colour_by.setCurrentIndex(1 if self.settings.bool_value(f"{self.mode}/map_by_model", False) else 0)
        self._colour_row = QWidget()
        colour_layout = QHBoxLayout(self._colour_row)
        colour_layout.setContentsMargins(0, 0, 0, 0)
        colour_label = QLabel("&Map colours:")  # Alt+M (no menu has M)
        colour_label.setBuddy(self.colour_by)  # a screen reader says what the combo sets
        name_combo(self.colour_by, "Map colours")
        self.colour_by.setToolTip("Colour the map's points by the catalog's own labels, "
                                  "or by the product types the model predicts for them")
        colour_layout.addWidget(colour_label)
        colour_layout.addWidget(self.colour_by)
        colour_layout.addStretch(1)
        self._colour_row.hide()

        # Query above, mode panel below, in a splitter: a user may prefer a bigger query image.
        left = QSplitter(Qt.Orientation.Vertical)
        left.setChildrenCollapsible(False)
        left.addWidget(self.query_area)
        left.addWidget(self.panel)
        # (The VAE's query small: the model sees 28x28 of it, and its panel's lines fit below it.)
        left.setSizes([240, 400] if self.mode == "vae" else [470, 290])
        self.left_splitter = left
        catalog_map = QWidget()
        map_layout = QVBoxLayout(catalog_map)
        map_layout.setContentsMargins(0, 0, 0, 0)
        map_layout.addWidget(self._colour_row)
        map_layout.addWidget(self._map_placeholder, 1)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        # A panel's own page (the VAE's manifold map) beside the catalog map, one shown at a time.
        self.map_pages = None
        side = self.panel.side_page()
        if side is None:
            right_layout.addWidget(catalog_map, 1)
        else:
            self.map_pages = QTabWidget()
            self.map_pages.setAccessibleName("Maps")  # (its tabs name the two maps)
            self.map_pages.setDocumentMode(True)
            self.map_pages.addTab(catalog_map, "Catalog map")
            self.map_pages.addTab(side[1], side[0])
            self._pages_focus_frame = show_tab_focus(self.map_pages.tabBar())  # (the style's mark is too faint)
            right_layout.addWidget(self.map_pages, 1)
        right_layout.addWidget(self.preview)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(left)
        self.splitter.addWidget(self.gallery)
        self.splitter.addWidget(right)
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setStretchFactor(2, 1)
        self.splitter.setSizes([340 if self.mode == "vae" else 320, 500, 560])
        for which in ("splitter", "left_splitter"):
            state = self.settings.splitter_state(self.mode, which)
            if state is not None:
                getattr(self, which).restoreState(state)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 4)
        layout.addWidget(self.catalog_bar)
        layout.addWidget(self.messages)
        layout.addWidget(self.splitter, 1)

    def _make_parts(self) -> None:
        """The parts that work the widgets, each given the widgets and the parts it needs."""
        self.catalog = TabCatalog(mode=self.mode, title=self.title, session=self._session, runner=self.runner,
                                  settings=self.settings, cache=self.cache, catalog_bar=self.catalog_bar,
                                  messages=self.messages, parent=self, watcher=self._watcher)
        self.query = TabQuery(mode=self.mode, title=self.title, session=self._session, runner=self.runner,
                              settings=self.settings, catalog=self.catalog, query_area=self.query_area,
                              gallery=self.gallery, preview=self.preview, panel=self.panel,
                              messages=self.messages, parent=self)
        self.map = TabMap(mode=self.mode, session=self._session, runner=self.runner, settings=self.settings,
                          cache=self.cache, catalog=self.catalog, query=self.query, gallery=self.gallery,
                          preview=self.preview, colour_by=self.colour_by, colour_row=self._colour_row,
                          placeholder=self._map_placeholder, titles=TITLES, parent=self)
        self.input = TabInput(mode=self.mode, runner=self.runner, settings=self.settings, catalog=self.catalog,
                              query=self.query, query_area=self.query_area, gallery=self.gallery,
                              messages=self.messages, parent=self)

    def _connect(self) -> None:
        # The widgets ask ...
        self.catalog_bar.catalog_chosen.connect(self.catalog.open)
        self.catalog_bar.folder_chosen.connect(self.catalog.add_folder)
        self.catalog_bar.folder_to_add.connect(self.catalog.add_folder_to_catalog)
        self.catalog_bar.forget_requested.connect(self.catalog.ask_to_forget_folder)
        self.catalog_bar.model_requested.connect(self.catalog.ask_for_model)
        self.catalog_bar.remove_requested.connect(self.catalog.ask_to_remove_catalog)
        self.catalog_bar.cancel_requested.connect(self.catalog.cancel)
        self.catalog_bar.details_requested.connect(self.catalog.show_skipped_files)
        self.query_area.open_requested.connect(self.input.choose_file)
        self.query_area.paste_requested.connect(self.input.paste)
        self.gallery.current_item_changed.connect(self.map.on_gallery_current)
        self.gallery.search_requested.connect(lambda item: self.query.search_path(item.path or item.source))
        self.gallery.open_requested.connect(self.input.open_if_there)
        self.gallery.open_failed.connect(self.input.on_open_failed)
        self.gallery.end_reached.connect(self.query.more_results)
        self.colour_by.currentIndexChanged.connect(self.map.recolour)
        self.panel.options_changed.connect(self.query.rerank)
        self.panel.decode_requested.connect(self.decode_map_point)
        # ... the parts tell each other ...
        self.catalog.leaving.connect(self._on_catalog_leaving)
        self.catalog.opening.connect(self.map.catalog_opening)
        self.catalog.step_said.connect(self.map.catalog_step)
        self.catalog.indexing.connect(self.map.catalog_indexing)
        self.catalog.shown.connect(self._on_catalog_shown)
        self.catalog.opened.connect(self._on_catalog_opened)
        self.catalog.failed.connect(self._on_catalog_failed)
        self.query.outcome_changed.connect(self.map.show_outcome)
        self.query.search_starting.connect(self.start)
        # ... and the window.
        self.catalog.status_message.connect(self.status_message)
        self.query.status_message.connect(self.status_message)
        self.query.results_shown.connect(self.results_shown)
        self.map.map_ready.connect(self.map_ready)

    @property
    def scatter(self):
        """The t-SNE map widget, created on first use (the window shows before pyqtgraph loads)."""
        return self.map.scatter

    @property
    def map_xy(self) -> np.ndarray | None:
        """The map's points as last shown (None until its first step)."""
        return self.map.xy

    def build_plots(self) -> None:
        self.map.ensure_scatter()
        self.panel.build_plots()

    @property
    def title(self) -> str:
        return TITLES[self.mode]

    def save_state(self) -> None:
        for which in ("splitter", "left_splitter"):
            self.settings.set_splitter_state(self.mode, getattr(self, which).saveState(), which)
        if self.catalog_name:
            self.settings.set_catalog(self.mode, self.catalog_name)

    # -- the catalog, and what it means for the rest of the tab ------------------------------------
    @property
    def session(self) -> ModeSession:
        return self._session

    @property
    def snapshot(self) -> CatalogSnapshot | None:
        """The catalog shown (None until it is first opened)."""
        return self.catalog.snapshot

    @property
    def catalog_name(self) -> str:
        """The catalog chosen: the one shown, or the one being opened."""
        return self.catalog.name

    @catalog_name.setter
    def catalog_name(self, name: str) -> None:
        self.catalog.name = name

    def refresh_catalog_list(self, select: str | None = None) -> None:
        self.catalog.refresh_list(select)

    def open_catalog(self, name: str) -> None:
        self.catalog.open(name)

    def add_folder(self, folder: str) -> None:
        self.catalog.add_folder(folder)

    def _on_catalog_leaving(self) -> None:
        # What is shown belongs to the catalog being left: its map goes, and its browsing
        # view; results of a query stay (the query is searched again once the other is open),
        # said to be from the other catalog if the wait is long enough to read it.
        self.map.leave_catalog()
        self.query.leave_catalog()

    def _on_catalog_shown(self, snapshot: CatalogSnapshot) -> None:
        """The results follow the catalog shown (browsed, re-ranked or embedded again), its map
        is computed, and a query given before it was shown runs. What it held as opening it
        started is shown so, while the index run brings it up to date."""
        self.query.follow_catalog(snapshot)
        self.map.show_catalog(snapshot)
        self.query.run_waiting_query()

    def _on_catalog_opened(self, snapshot: CatalogSnapshot) -> None:
        self.status_message.emit(f"{self.title}: {ready_words(snapshot)}")
        self.catalog_ready.emit()

    def _on_catalog_failed(self) -> None:
        brief = self.catalog.failure_brief or f"“{self.catalog_name}” could not be opened"
        self.map.catalog_failed(brief)
        if self.query.outcome is None:  # the gallery says why it is empty, as the map does (it was blank)
            self.gallery.set_items([], empty_text=f"No pictures to show: {brief}.")
        self.query.run_waiting_query()  # it then says what is wrong (no catalog to search)
        self.catalog_ready.emit()

    # -- start-up ------------------------------------------------------------------------------------
    @property
    def started(self) -> bool:
        return self._started

    def start(self) -> None:
        """Load the model and open the catalog in the background (once)."""
        if self._started:
            return
        self._started = True
        self.runner.submit(f"{self.mode}/pictures", lambda ctx: pictures_folder(), worker="io",
                           on_done=self.catalog_bar.set_pictures)  # the folder dialog's start, if none before
        self.refresh_catalog_list()
        if not self.catalog.open_once_looked_up():  # (a folder given at launch may be a catalog to open)
            self.open_catalog(self.catalog_name or "")
        if self.mode == "vae":
            self.load_manifold()

    # -- queries -------------------------------------------------------------------------------
    @property
    def outcome(self) -> QueryOutcome | None:
        """The results shown: the query's hits and the mode's facts about it (None: no query)."""
        return self.query.outcome

    def search_path(self, path: str, note: str = "") -> None:
        self.query.search_path(path, note)

    def search_qimage(self, image: QImage, description: str) -> None:
        self.query.search_qimage(image, description)

    def query_file(self) -> str | None:
        return self.query.query_file()

    def offer_query(self, path: str) -> None:
        self.query.offer_query(path)

    # -- the VAE's manifold map (the panel asks for a point) -----------------------------------
    def load_manifold(self) -> None:
        self.runner.submit(
            f"{self.mode}/grid",
            lambda ctx: self.session.decode_grid(),
            urgent=True,  # drawn in a pause of a long first indexing, not after it
            on_done=self._show_manifold,
            on_error=lambda exc: self.messages.error(user_message(exc, "draw the manifold map")),
        )

    def _show_manifold(self, result) -> None:
        self.panel.show_grid(*result)
        # What a click on the map reads next (the training images' places), read now in a pause
        # of the TensorFlow thread: else the user's first click waits for it. A failure is
        # the click's to say (it reads them again).
        self.runner.submit(
            f"{self.mode}/map-neighbours",
            lambda ctx: self.session.load_map_neighbours(),
            urgent=True,
            on_error=lambda exc: log.warning("the VAE map's training places could not be read ahead: %s", exc),
        )

    def decode_map_point(self, x: float, y: float) -> None:
        self.runner.submit(
            f"{self.mode}/decode",
            lambda ctx: self.session.decode_point_facts(x, y),
            urgent=True,
            on_done=self.panel.show_decoded_point,
            on_error=lambda exc: self.messages.error(user_message(exc, "decode that point")),
        )

    # -- shown ------------------------------------------------------------------------------------
    def showEvent(self, event) -> None:
        super().showEvent(event)
        self.map.tab_shown()  # the user turned to this tab: its map goes first

    # -- what comes in from the desktop ----------------------------------------------------------
    def choose_file(self) -> None:
        self.input.choose_file()

    def paste(self) -> None:
        self.input.paste()

    def open_paths(self, paths: list[str], how: str, only_if_there: bool = False) -> None:
        self.input.open_paths(paths, how, only_if_there)

    def dragEnterEvent(self, event) -> None:
        self.input.drag_enter(event)

    def dragMoveEvent(self, event) -> None:
        self.input.drag_move(event)

    def dragLeaveEvent(self, event) -> None:
        self.input.drag_leave()

    def dropEvent(self, event) -> None:
        self.input.drop(event)
