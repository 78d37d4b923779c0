"""One tab of the window: a search mode (style, product or VAE) with its query, catalog,
results gallery, t-SNE map and mode panel.

The tab only displays and dispatches: every slow step is a task on the window's
``TaskRunner`` (model, indexing and queries on the one TensorFlow thread; t-SNE on the compute
thread; catalog listing on the I/O thread), and each kind of task has its own slot, so a newer
query supersedes an older one and a stale result is dropped by the runner.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QGuiApplication, QImage
from PySide6.QtWidgets import QComboBox, QFileDialog, QHBoxLayout, QLabel, QSplitter, QVBoxLayout, QWidget

from vsdesk.engine.imageio import IMAGE_SUFFIXES
from vsdesk.engine.session import CatalogSnapshot, ModeSession, QueryOutcome
from vsdesk.gui.catalog_bar import CatalogBar
from vsdesk.gui.errors import user_message
from vsdesk.gui.gallery import GalleryView
from vsdesk.gui.message_bar import MessageBar
from vsdesk.gui.panels import PANELS
from vsdesk.gui.preview import ItemPreview
from vsdesk.gui.query_area import QueryArea
from vsdesk.gui.settings import Settings
from vsdesk.gui.tab_catalog import TabCatalog
from vsdesk.gui.tab_map import TabMap
from vsdesk.gui.tab_query import TabQuery
from vsdesk.gui.thumbnails import ThumbnailCache
from vsdesk.gui.worker import TaskContext, TaskRunner

TITLES = {"style": "Style", "product": "Product", "vae": "VAE"}
NOTHING_TO_PASTE = "The clipboard holds no image and no image file path."
IMAGE_FILTER = "Images (" + " ".join(f"*{s}" for s in sorted(IMAGE_SUFFIXES)) + ");;All files (*)"


class ModeTab(QWidget):
    #: (text) for the window's status bar
    status_message = Signal(str)
    #: emitted after results are shown (tests and the screenshot script wait on it)
    results_shown = Signal()
    #: emitted when the catalog's t-SNE map is complete
    map_ready = Signal()
    #: emitted when indexing of the current catalog finished, was cancelled, or failed
    catalog_ready = Signal()

    def __init__(self, mode: str, runner: TaskRunner, cache: ThumbnailCache, settings: Settings, parent=None):
        super().__init__(parent)
        self.mode = mode
        self.runner = runner
        self.cache = cache
        self.settings = settings
        # The engine's default models, so catalogs are shared with the CLI (same vectors). The
        # style default stores a subject part, so the slider re-weighs at search time
        # (see reweigh_style_query) instead of re-embedding.
        self._session = ModeSession(mode)
        self._started = False
        self.setAcceptDrops(True)
        self._build()

    # -- layout ------------------------------------------------------------------------------------
    def _build(self) -> None:
        self.catalog_bar = CatalogBar()
        self.messages = MessageBar()
        self.catalog = TabCatalog(mode=self.mode, title=self.title, session=self._session, runner=self.runner,
                                  settings=self.settings, cache=self.cache, catalog_bar=self.catalog_bar,
                                  messages=self.messages, parent=self)
        self.query_area = QueryArea()
        self.panel = PANELS[self.mode]()
        self.panel.restore_options(self.settings)
        self.gallery = GalleryView(self.cache, thumb_size=112 if self.mode != "vae" else 84)
        self._map_placeholder = QLabel("The map appears here.")
        self._map_placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._map_placeholder.setStyleSheet("background:white; color:#777;")
        self.preview = ItemPreview(self.cache)
        self.query = TabQuery(mode=self.mode, title=self.title, session=self._session, runner=self.runner,
                              settings=self.settings, catalog=self.catalog, query_area=self.query_area,
                              gallery=self.gallery, preview=self.preview, panel=self.panel,
                              messages=self.messages, parent=self)
        # A labelled product catalog: its map coloured by its labels or by the model's classes.
        self.colour_by = QComboBox()
        self.colour_by.addItems(["labels", "classes the model predicts"])
        self.colour_by.setCurrentIndex(1 if self.settings.bool_value(f"{self.mode}/map_by_model", False) else 0)
        self._colour_row = QWidget()
        colour_layout = QHBoxLayout(self._colour_row)
        colour_layout.setContentsMargins(0, 0, 0, 0)
        colour_layout.addWidget(QLabel("Map colours:"))
        colour_layout.addWidget(self.colour_by)
        colour_layout.addStretch(1)
        self._colour_row.hide()

        # Query above, mode panel below, in a splitter: the VAE panel (with its manifold map)
        # needs height, and a user may prefer a bigger query image.
        left = QSplitter(Qt.Orientation.Vertical)
        left.setChildrenCollapsible(False)
        left.addWidget(self.query_area)
        left.addWidget(self.panel)
        left.setSizes([270, 490] if self.mode == "vae" else [470, 290])
        self.left_splitter = left
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self._colour_row)
        right_layout.addWidget(self._map_placeholder, 1)
        right_layout.addWidget(self.preview)
        self.map = TabMap(mode=self.mode, session=self._session, runner=self.runner, settings=self.settings,
                          cache=self.cache, catalog=self.catalog, query=self.query, gallery=self.gallery,
                          preview=self.preview, colour_by=self.colour_by, colour_row=self._colour_row,
                          layout=right_layout, placeholder=self._map_placeholder, parent=self)
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

        self.query_area.open_requested.connect(self.choose_file)
        self.query_area.paste_requested.connect(self.paste)
        self.catalog_bar.catalog_chosen.connect(self.catalog.open)
        self.catalog_bar.folder_chosen.connect(self.catalog.add_folder)
        self.catalog_bar.cancel_requested.connect(self.catalog.cancel)
        self.catalog_bar.details_requested.connect(self.catalog.show_skipped_files)
        self.catalog.status_message.connect(self.status_message)
        self.catalog.leaving.connect(self._on_catalog_leaving)
        self.catalog.opening.connect(self.map.catalog_opening)
        self.catalog.opened.connect(self._on_catalog_opened)
        self.catalog.failed.connect(self._on_catalog_failed)
        self.query.status_message.connect(self.status_message)
        self.query.results_shown.connect(self.results_shown)
        self.query.outcome_changed.connect(self.map.show_outcome)
        self.map.map_ready.connect(self.map_ready)
        self.colour_by.currentIndexChanged.connect(self.map.recolour)
        self.query.search_starting.connect(self.start)
        self.gallery.current_item_changed.connect(self.map.on_gallery_current)
        self.gallery.search_requested.connect(lambda item: self.query.search_path(item.path or item.source))
        self.gallery.open_requested.connect(self._open_if_there)
        self.gallery.open_failed.connect(self._on_open_failed)
        self.gallery.end_reached.connect(self.query.more_results)
        self.panel.options_changed.connect(self.query.rerank)
        self.panel.decode_requested.connect(self.decode_map_point)

    @property
    def scatter(self):
        """The t-SNE map widget, created on first use (the window shows before pyqtgraph loads)."""
        return self.map.scatter

    @property
    def map_xy(self) -> np.ndarray | None:
        """The map's points as last shown (None until its first step)."""
        return self.map.xy

    def build_plots(self) -> None:
        self.scatter  # noqa: B018 - creates it
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

    @session.setter
    def session(self, session: ModeSession) -> None:
        # Every part that runs tasks on it is given it (a test swaps in one with a missing model).
        self._session = session
        self.catalog.session = session
        self.query.session = session
        self.map.session = session

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

    def _on_catalog_opened(self, snapshot: CatalogSnapshot) -> None:
        self.query.follow_catalog(snapshot)
        self.map.catalog_opened(snapshot)
        self.status_message.emit(f"{self.title}: catalog “{snapshot.name}” ready ({len(snapshot)} images)")
        self.query.run_waiting_query()
        self.catalog_ready.emit()
        self.map.start(snapshot)

    def _on_catalog_failed(self) -> None:
        self.map.catalog_failed(self.catalog_name)
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
        self.refresh_catalog_list()
        self.open_catalog(self.catalog_name or "")
        if self.mode == "vae":
            self.load_manifold()

    # -- queries ---------------------------------------------------------------------------------------
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

    def choose_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Search with an image", "", IMAGE_FILTER)
        if path:
            self.search_path(path)

    def paste(self) -> None:
        mime = QGuiApplication.clipboard().mimeData()
        if mime is not None and mime.hasImage():
            image = QGuiApplication.clipboard().image()
            if not image.isNull():
                self.search_qimage(image, "the clipboard image")
                return
        if mime is not None and mime.hasUrls():
            self.handle_urls(mime.urls())
            return
        text = QGuiApplication.clipboard().text().strip()
        if text and "\n" not in text:
            # a copied path, as a drop of it: a folder is offered as a catalog, a file searched
            self.open_paths([text.removeprefix("file://")], "pasted", only_if_there=True)
            return
        self.messages.warning(NOTHING_TO_PASTE)

    def _open_if_there(self, path: str) -> None:
        """A result (or its folder) is opened by the desktop once the I/O thread has seen it is
        there; a missing one (a catalog on an unplugged disk) is said here, not left to the
        desktop's opener, which would fail where the user does not see it."""
        self.runner.submit(
            f"{self.mode}/open", lambda ctx: _exists(Path(path)), worker="io",
            on_done=lambda there: self.gallery.open_path(path) if there else self._on_open_missing(path),
        )

    def _on_open_missing(self, path: str) -> None:
        self.messages.show_message(
            f"Cannot open {path}: it is not there (moved or deleted, or on a disk that is not plugged in?).",
            "warning", action=("Copy path", lambda: QGuiApplication.clipboard().setText(path)),
        )

    def _on_open_failed(self, path: str) -> None:
        self.messages.show_message(
            f"Nothing opened {path}: this desktop has no application set up to open it.", "warning",
            action=("Copy path", lambda: QGuiApplication.clipboard().setText(path)),
        )

    # -- the VAE's manifold map (the panel asks for a point) ---------------------------------------------------------------
    def load_manifold(self) -> None:
        self.runner.submit(
            f"{self.mode}/grid",
            lambda ctx: self.session.decode_grid(),
            urgent=True,  # drawn in a pause of a long first indexing, not after it
            on_done=lambda result: self.panel.show_grid(*result),
            on_error=lambda exc: self.messages.error(user_message(exc, "draw the manifold map")),
        )

    def decode_map_point(self, x: float, y: float) -> None:
        self.runner.submit(
            f"{self.mode}/decode",
            lambda ctx: self.session.decode_point(x, y),
            urgent=True,
            on_done=self.panel.show_decoded,
            on_error=lambda exc: self.messages.error(user_message(exc, "decode that point")),
        )

    # -- drag and drop ------------------------------------------------------------------------------------
    def dragEnterEvent(self, event) -> None:
        mime = event.mimeData()
        if mime.hasUrls() or mime.hasImage():
            event.acceptProposedAction()
            self.query_area.set_drag_highlight(True)

    def dragMoveEvent(self, event) -> None:
        event.acceptProposedAction()

    def dragLeaveEvent(self, event) -> None:
        self.query_area.set_drag_highlight(False)

    def dropEvent(self, event) -> None:
        self.query_area.set_drag_highlight(False)
        mime = event.mimeData()
        if mime.hasUrls():
            self.handle_urls(mime.urls())
        elif mime.hasImage():
            self.search_qimage(QImage(mime.imageData()), "the dropped image")
        event.acceptProposedAction()

    def handle_urls(self, urls: list[QUrl]) -> None:
        """Dropped or pasted URLs: folders are offered as catalogs, the first file is searched."""
        local = [u.toLocalFile() for u in urls if u.isLocalFile()]
        if not local:
            self.messages.warning("Only files on this computer can be searched (the drop held web links).")
            return
        self.open_paths(local, "dropped")

    def open_paths(self, paths: list[str], how: str, only_if_there: bool = False) -> None:
        """Files or folders dropped, pasted or given at start (``how``): a folder alone is offered
        as a catalog, else the first file is searched (a missing or unreadable one too: the search
        says why). Which is which is asked on the I/O thread: a stat can hang on a network disk
        that stopped answering. ``only_if_there``: a pasted text that names nothing is not a path."""
        paths = [str(Path(p).expanduser().absolute()) for p in paths]  # no I/O: the working folder

        def sort(ctx: TaskContext) -> tuple[list[str], bool]:
            return [p for p in paths if _is_dir(Path(p))], any(_exists(Path(p)) for p in paths)

        self.runner.submit(
            f"{self.mode}/open-paths", sort, worker="io",
            on_done=lambda result: self._open_sorted_paths(paths, *result, how, only_if_there),
        )

    def _open_sorted_paths(self, paths: list[str], folders: list[str], there: bool, how: str,
                           only_if_there: bool) -> None:
        if only_if_there and not there:
            self.messages.warning(NOTHING_TO_PASTE)
            return
        files = [p for p in paths if p not in folders]
        if folders and not files:
            self.catalog.offer_folder(folders[0])
            return
        note = ""
        if len(files) > 1:
            note = f"{len(files)} files {how}: searching with the first one, {Path(files[0]).name}."
        self.search_path(files[0], note)


def _exists(path: Path) -> bool:
    try:
        return path.exists()
    except OSError:  # a folder on its path cannot be entered: it is there, but unreadable
        return True


def _is_dir(path: Path) -> bool:
    try:
        return path.is_dir()
    except OSError:
        return False
