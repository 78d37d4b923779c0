"""A tab's queries: an image read and its preview decoded on the I/O thread, decoded for the
model, embedded and searched on the TensorFlow thread, its results shown; re-ranked when a
search option changes, longer when the user scrolls to their end, searched again when the
catalog changes, and held back while the catalog first opens.

``TabQuery`` owns the tab's "<mode>/query" slot on the runner: a newer query supersedes an
older one and a stale result is dropped by the runner. It reads the catalog shown from the
``TabCatalog`` it is given; the tab tells it when that catalog is left or opened.

What it says of the results it shows is mixed into the class from ``QueryNotes``
(query_notes.py); query_results.py holds the gallery items of results and the texts on them.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QImage

from vsdesk.engine.imageio import load_image, read_file
from vsdesk.engine.session import CatalogSnapshot, ModeSession, QueryOutcome
from vsdesk.engine.text import shown_path
from vsdesk.gui.errors import user_message
from vsdesk.gui.gallery import GalleryView
from vsdesk.gui.message_bar import MessageBar
from vsdesk.gui.panels.base import ModePanel
from vsdesk.gui.preview import ItemPreview
from vsdesk.gui.query_area import QueryArea
from vsdesk.gui.query_images import decode_extras, qimage_to_png, query_preview
from vsdesk.gui.query_notes import QueryNotes
from vsdesk.gui.query_results import browse_items, first_score, no_results_text, result_items
from vsdesk.gui.settings import Settings
from vsdesk.gui.tab_catalog import TabCatalog
from vsdesk.gui.worker import TaskRunner
from vsdesk.gui.worker_job import TaskContext

RESULTS_K = 48  # results of a query; scrolling to the last one adds as many again
#: A catalog opening for longer than this gets the note that the results shown are the other
#: one's (a quick switch would only flash it).
STALE_RESULTS_NOTE_MS = 800
#: A query JPEG's preview is decoded no smaller than this on both sides (the decoder's 1/2 to
#: 1/8 steps): more than the preview needs, and a huge photo (100 megapixels) stays within the
#: pixel limit and decodes in a fraction of the time. The model is given its own decoding of
#: the same bytes (``ModeSession.query``, at its ``decode_size``, as `vsdesk search` decodes):
#: another step gives other pixels, and the window and the command line other numbers.
QUERY_DECODE_MIN = 512
#: The longest file name the button of another tab's query offer says whole ("Search with x.jpg").
OFFER_NAME_CHARS = 24


class TabQuery(QueryNotes, QObject):
    #: (text) for the window's status bar
    status_message = Signal(str)
    #: emitted after results are shown (tests and the screenshot script wait on it)
    results_shown = Signal()
    #: the results shown changed, or went: the map rings them and places the query
    outcome_changed = Signal()
    #: a query is about to be queued: the tab starts first if it has not (its model and catalog
    #: are then queued ahead of the query on the serial TensorFlow thread)
    search_starting = Signal()

    def __init__(self, *, mode: str, title: str, session: ModeSession, runner: TaskRunner, settings: Settings,
                 catalog: TabCatalog, query_area: QueryArea, gallery: GalleryView, preview: ItemPreview,
                 panel: ModePanel, messages: MessageBar, parent: QObject):
        super().__init__(parent)
        self.mode = mode
        self.title = title
        self.session = session
        self.runner = runner
        self.settings = settings
        self.catalog = catalog
        self.query_area = query_area
        self.gallery = gallery
        self.preview = preview
        self.panel = panel
        self.messages = messages
        self.outcome: QueryOutcome | None = None
        #: A query given before the catalog was first opened (``vsdesk photo.jpg``): it runs as
        #: soon as the catalog is ready, ahead of the other tabs' loading.
        self._waiting_query: Callable[[], None] | None = None
        self._results_from_other_catalog = False  # a query answered while the chosen one indexed
        self._other_catalog_said = ""  # the note that said so (``_say_results_are_from_another_catalog``)
        #: The catalog the gallery browses, without a query (None: it shows results, or nothing).
        self._browsed: CatalogSnapshot | None = None
        self._note_said = ""  # the last note on the results shown (``_show_results_note``)
        self._results_k = RESULTS_K  # results asked of the search (more as the user scrolls)
        #: (file bytes, preview, source, name) of the query whose results are shown (embedded
        #: again if the model changes), and of the one on its way
        self._last_query: tuple | None = None
        self._pending_query: tuple | None = None
        self._query_started = 0.0
        self._opened_file = ""  # the last file the user opened to search with (``search_path``)
        #: The model key the last query is being embedded again by (``_search_again``), until
        #: answered: the catalog shown again meanwhile (as its run left it, or told more) does
        #: not submit it again, superseding it midway.
        self._searching_again_for = ""

    # -- a new query -----------------------------------------------------------------------------
    def search_path(self, path: str, note: str = "", opened: bool = False) -> None:
        """Search with the image file ``path``: read and its preview decoded on the I/O thread
        (a bad file is reported at once, even while the model still loads), then decoded for the
        model and embedded on the TensorFlow thread. ``opened``: the user opened the file (the
        Open dialog, a drop, a path given): once searched, the Open dialog starts in its folder.
        A result searched from (a file of the catalog) or another tab's query is not one."""
        path = str(Path(path).expanduser().absolute())
        if opened:
            self._opened_file = path
        self._submit_query(lambda ctx: read_file(path), path, shown_path(Path(path).name), note)

    def search_qimage(self, image: QImage, description: str) -> None:
        image = image.copy()  # QImage is safe to hand to a worker; widgets and pixmaps are not
        self._submit_query(lambda ctx: qimage_to_png(image), description, description, "")

    def _submit_query(self, read, source: str, name: str, note: str) -> None:
        self._searching_again_for = ""  # a new query: embedded by the catalog's model anyway
        self.messages.clear()  # all of it: news that stays up (a catalog removed) too, the user having moved on
        if note:
            self.messages.info(note)
        self.search_starting.emit()  # queues the model and catalog first if not done yet (the TF thread is serial)
        self._query_started = time.perf_counter()
        self.query_area.set_caption(name, "opening…")

        def decode_step(ctx: TaskContext):
            data = read(ctx)
            return data, query_preview(load_image(data, min_size=QUERY_DECODE_MIN, name=source))

        self.runner.submit(
            f"{self.mode}/query",
            decode_step,
            worker="io",
            on_done=lambda result: self._embed_query(result[0], result[1], source, name),
            on_error=lambda exc: self._on_query_failed(exc, name),
        )

    def _embed_query(self, data: bytes, preview: QImage, source: str, name: str) -> None:
        self._pending_query = (data, preview, source, name)  # the shown query's once answered
        waiting = self.catalog.is_opening()
        if self._searching_again_for:  # by the catalog's other model: said so, as the message bar does
            doing = f"searching again in “{self.catalog.name}”…"  # (it said "waiting to search…" meanwhile)
        else:
            doing = "waiting to search…" if waiting else "searching…"
        self.query_area.set_image(preview, name, doing)
        if self.catalog.snapshot is None and waiting:
            # Queued now, it would also wait for the other tabs' models and catalogs, queued
            # behind this one on the TensorFlow thread: it goes ahead of them once this tab's
            # catalog is open (the latest query given, if several).
            self._waiting_query = lambda: self._embed_query(data, preview, source, name)
            return
        options = self.panel.options()  # read widgets here, never in the worker
        self._results_k = RESULTS_K

        def embed_step(ctx: TaskContext):
            try:
                self.session.load()  # (at once if it is loaded)
            except Exception as exc:
                raise _ModelNotLoaded(exc) from exc
            # decoded there at the model's own size, as `vsdesk search` decodes the file
            outcome = self.session.query(data, source, RESULTS_K, options, ctx.cancelled)
            outcome.extras = decode_extras(outcome.extras)
            return outcome

        self.runner.submit(
            f"{self.mode}/query",
            embed_step,
            label=f"{self.title}: searching with {name}…",
            # With its catalog ready, a query need not wait for other tabs' indexing.
            urgent=self.catalog.snapshot is not None,
            on_done=self._on_query_done,
            on_error=lambda exc: (self._on_model_failed(exc.cause, name) if isinstance(exc, _ModelNotLoaded)
                                  else self._on_query_failed(exc, name)),
        )

    def _on_query_done(self, outcome: QueryOutcome) -> None:
        self._searching_again_for = ""
        self.outcome = outcome
        self._last_query = self._pending_query
        if outcome.source == self._opened_file:  # the user's file, searched: the Open dialog starts by it
            self.settings.set_last_query_folder(str(Path(outcome.source).parent))
        self.preview.clear()  # it showed an item (and score) of the previous results
        elapsed = time.perf_counter() - self._query_started
        size = len(self.catalog.snapshot) if self.catalog.snapshot else 0
        self._caption_query(outcome)  # its name (not a query that failed since)
        self._browsed = None
        self.gallery.set_items(result_items(outcome, self.catalog.snapshot), empty_text=no_results_text(outcome))
        self.panel.show_extras(outcome.extras)
        self.panel.show_first_score(first_score(outcome))
        self._keep_options(self.panel.options())  # (as shown: one its model cannot serve is off)
        self.outcome_changed.emit()
        self._forget_results_were_from_another_catalog(outcome)
        if not self._say_results_are_from_another_catalog():
            self._show_results_note(outcome)
        self._say_results(outcome, size, elapsed)
        self.results_shown.emit()
        snapshot = self.catalog.snapshot
        if snapshot is not None and not self.catalog.is_opening() and outcome.model_key == snapshot.model_key and \
                (outcome.catalog, outcome.catalog_version) != (snapshot.name, snapshot.version):
            # Searched again in the catalog as its index was read; its run since left it with
            # more (``follow_catalog`` did not search again): ranked in it as it is now.
            self.rerank()

    def _on_query_failed(self, exc: BaseException, name: str) -> None:
        """A query that cannot be read or searched replaces nothing: the results shown stay,
        with their query's image and name (not this file's: beside the error they would read
        as its answer), their facts, the item picked and its ring on the map; the error says
        what went wrong. Without results, the image that was being searched goes."""
        self._searching_again_for = ""
        self._show(user_message(exc, f"search with {name}"), "error")
        self._say_whose_results_are_kept()
        shown = self._last_query if self.outcome is not None else None
        if shown is not None:
            self.query_area.set_image(shown[1], shown[3])
        else:
            self.query_area.set_image(None, "")
        self.results_shown.emit()

    def _on_model_failed(self, exc: BaseException, name: str) -> None:
        """The model could not load (a read-only cache folder to convert it into ...): the query
        is not the problem. It stays, on screen, and is searched when the user tries again."""
        self._searching_again_for = ""
        self.query_area.set_caption(name, "waiting for the model")
        said = user_message(exc, f"load the {self.title} model").rstrip(".")
        kept = self._pending_query  # never answered, so not the last query: that one's results stay
        self._show(f"{said}. The search with {name} is kept.", "error", ("Try again", lambda: self._embed_again(kept)))
        self._say_whose_results_are_kept()
        self.results_shown.emit()

    # -- the same query, again -------------------------------------------------------------------
    def rerank(self, more: bool = False) -> None:
        """A search option changed (e.g. the style weight): re-rank with the same query vector.
        ``more``: the same ranking, longer (the user scrolled to its end). The options are kept
        in the settings as chosen, searched or not (the next query, or the next start, uses them)."""
        options = self.panel.options()
        self._keep_options(options)
        outcome = self.outcome
        if outcome is None:
            return
        k = self._results_k
        started = time.perf_counter()

        def work(ctx: TaskContext):
            return self.session.rerank(outcome, k, options)

        self.runner.submit(f"{self.mode}/query", work, urgent=True,
                           on_done=lambda found: self._on_rerank_done(found, more, time.perf_counter() - started),
                           on_error=lambda exc: self._show(user_message(exc, "re-rank the results"), "error"))

    def _keep_options(self, options: dict) -> None:
        for key, value in options.items():
            self.settings.set_value(f"{self.mode}/{key}", value)

    def _search_again(self) -> None:
        """The last query embedded again (the catalog now open has another model's vectors)."""
        self._embed_again(self._last_query)

    def _embed_again(self, query: tuple | None) -> None:
        """``query`` (as ``_pending_query`` holds one) embedded and searched again."""
        if query is not None:
            self._query_started = time.perf_counter()  # this search's time, not since the query was given
            self._embed_query(*query)

    def more_results(self) -> None:
        """Scrolled to the last result: as many again, if the catalog has more (NumPy, no model)."""
        outcome = self.outcome
        if outcome is None or len(outcome.hits) < self._results_k or self.runner.is_running(f"{self.mode}/query"):
            return
        self._results_k += RESULTS_K
        self.rerank(more=True)

    def _on_rerank_done(self, outcome: QueryOutcome, more: bool = False, elapsed: float = 0.0) -> None:
        previous = self.outcome
        same_rows = previous is not None and (previous.catalog, previous.catalog_version) == (
            outcome.catalog, outcome.catalog_version)
        selected = self.gallery.current_item() if same_rows else None  # an index means a row of one catalog
        self.outcome = outcome
        self._forget_results_were_from_another_catalog(outcome)
        self._browsed = None
        self.gallery.set_items(result_items(outcome, self.catalog.snapshot), keep_position=more, empty_text=no_results_text(outcome))
        self._show_results_note(outcome)
        self.panel.show_first_score(first_score(outcome))
        self._caption_query(outcome)
        if selected is None or not self.gallery.select_catalog_index(selected.index):
            self.preview.clear()  # another catalog, or re-ranked out of the results
        self.outcome_changed.emit()
        self._say_results(outcome, len(self.catalog.snapshot) if self.catalog.snapshot else 0, elapsed)
        self.results_shown.emit()

    # -- the catalog changes under the results ---------------------------------------------------
    def leave_catalog(self) -> None:
        """The catalog shown is left for another: without a query its browsing view goes; results
        stay, said to be the other catalog's if it takes long enough to open to read it."""
        if self.outcome is None:
            self._browse(None)
        else:
            QTimer.singleShot(STALE_RESULTS_NOTE_MS, self._say_results_are_from_another_catalog)

    def follow_catalog(self, snapshot: CatalogSnapshot) -> None:
        """The catalog is shown: browsed if there is no query, else the query searches it. The
        same rows again (opened as they were read, or told the classes the model predicts) are
        not browsed from the top again: the user may have scrolled meanwhile."""
        if self.panel.follow_catalog(snapshot):  # an option its model cannot serve was turned off
            self._keep_options(self.panel.options())
        if self.outcome is None:
            browsed = self._browsed
            if snapshot.same_rows(browsed):
                if snapshot.labels != browsed.labels:
                    self._browse(snapshot, keep_position=True)
                elif snapshot.types != browsed.types:
                    self.gallery.results.tell_kinds(snapshot.item_type)
                self._browsed = snapshot
            else:
                self._browse(snapshot)
            return
        if self.outcome.catalog == snapshot.name:  # (back to the catalog they are of: no longer greyed)
            self._forget_results_were_from_another_catalog(self.outcome)
        if self.outcome.model_key and snapshot.model_key and self.outcome.model_key != snapshot.model_key:
            # This catalog's model is another: the query is embedded by it, once (the catalog is
            # shown as its index is read, then as its run left it: the same search, on its way).
            if self._searching_again_for != snapshot.model_key or not self.runner.is_running(f"{self.mode}/query"):
                self._searching_again_for = snapshot.model_key
                self._search_again()
                # Its model may take a minute to load: the results meanwhile are not this catalog's.
                QTimer.singleShot(STALE_RESULTS_NOTE_MS, self._say_results_are_from_another_catalog)
            elif self._results_from_other_catalog:
                self._say_results_are_from_another_catalog()  # (opened now: no longer "still being opened")
        elif (self.outcome.catalog, self.outcome.catalog_version) != (snapshot.name, snapshot.version):
            if not len(snapshot):  # (its last folder forgotten) nothing left to rank: its results go now
                self.gallery.set_items([])
                self.preview.clear()
            self.rerank()  # the same query against the catalog as it is now (no re-embedding)
        elif snapshot.types:  # the results' rows, told their types (the model loaded after they were shown)
            self.gallery.results.tell_kinds(snapshot.item_type)

    def run_waiting_query(self) -> None:
        query, self._waiting_query = self._waiting_query, None
        if query is not None:
            query()

    def _browse(self, snapshot: CatalogSnapshot | None, keep_position: bool = False) -> None:
        """The gallery shows the whole catalog (None: nothing), for there is no query."""
        self._browsed = snapshot
        self.gallery.set_items(browse_items(snapshot) if snapshot is not None else [], keep_position=keep_position)

    # -- what other parts of the window ask ------------------------------------------------------
    def query_file(self) -> str | None:
        """The file the results shown were searched with (None: no query, or a pasted or dropped
        image, whose source is a description such as "the clipboard image"; ``search_path``
        makes every file's path absolute). It is not looked at: this runs at every tab switch,
        and a stat can hang on a network disk; a search with a file gone since says so."""
        source = self.outcome.source if self.outcome is not None else None
        return source if source and Path(source).is_absolute() else None

    def offer_query(self, path: str) -> None:
        """Offer to search with ``path`` here (another tab's query), unless a message is up or
        a search of this tab's own is on its way."""
        searching = self._waiting_query is not None or self.runner.is_running(f"{self.mode}/query")
        if not searching and not self.messages.text():
            # The button names the file: news said beside the offer (a folder being added) read
            # as what a bare "Search" was for.
            name = shown_path(Path(path).name)
            short = name if len(name) <= OFFER_NAME_CHARS else f"{name[:OFFER_NAME_CHARS - 1]}…"
            self.messages.show_message(f"Search with {name} here too?", "info",
                                       action=(f"Search with {short}", lambda: self.search_path(path)), offer=True)


class _ModelNotLoaded(Exception):
    """A query's model could not be loaded (``cause``: why)."""

    def __init__(self, cause: BaseException):
        super().__init__(str(cause))
        self.cause = cause
