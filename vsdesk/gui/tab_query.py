"""A tab's queries: an image read and its preview decoded on the I/O thread, decoded for the
model, embedded and searched on the TensorFlow thread, its results shown; re-ranked when a
search option changes, longer when the user scrolls to their end, searched again when the
catalog changes, and held back while the catalog first opens.

``TabQuery`` owns the tab's "<mode>/query" slot on the runner: a newer query supersedes an
older one and a stale result is dropped by the runner. It reads the catalog shown from the
``TabCatalog`` it is given; the tab tells it when that catalog is left or opened.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QImage

from vsdesk.engine.imageio import load_image, read_file
from vsdesk.engine.session import CatalogSnapshot, ModeSession, QueryOutcome
from vsdesk.engine.query import WEAK_MATCH
from vsdesk.engine.text import counted, sentence
from vsdesk.gui.errors import user_message
from vsdesk.gui.gallery import GalleryView
from vsdesk.gui.message_bar import MessageBar
from vsdesk.gui.panels.base import ModePanel, Note
from vsdesk.gui.preview import ItemPreview
from vsdesk.gui.query_area import QueryArea
from vsdesk.gui.query_images import decode_extras, qimage_to_png, query_preview
from vsdesk.gui.query_results import browse_items, copies_note, no_results_text, query_in_catalog_as, result_items
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


class TabQuery(QObject):
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
        self._submit_query(lambda ctx: read_file(path), path, Path(path).name, note)

    def search_qimage(self, image: QImage, description: str) -> None:
        image = image.copy()  # QImage is safe to hand to a worker; widgets and pixmaps are not
        self._submit_query(lambda ctx: qimage_to_png(image), description, description, "")

    def _submit_query(self, read, source: str, name: str, note: str) -> None:
        self._searching_again_for = ""  # a new query: embedded by the catalog's model anyway
        if note:
            self.messages.info(note)
        else:
            self.messages.clear()
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

    def _say_results(self, outcome: QueryOutcome, size: int, elapsed: float) -> None:
        """How many results, from what, in the status bar: after a search, and after a re-rank
        (the type box, kids' wear), which left the first search's count there ("16 results" with 8)."""
        found = counted(len(outcome.hits), "result")
        kept = self.panel.results_kept_to(outcome.extras)
        filtered = self.panel.results_filtered(outcome.extras)
        self.status_message.emit(
            f"{self.title}: {found}{f' of the type {kept}' if kept else ''}{f' ({filtered})' if filtered else ''} "
            f"from “{outcome.catalog}” "
            f"({counted(size, 'image')}) in {elapsed:.2f} s"
        )

    def _on_query_failed(self, exc: BaseException, name: str) -> None:
        """A query that cannot be read or searched replaces nothing: the results shown stay,
        with their query's image and name (not this file's: beside the error they would read
        as its answer), their facts, the item picked and its ring on the map; the error says
        what went wrong. Without results, the image that was being searched goes."""
        self._searching_again_for = ""
        self.messages.error(user_message(exc, f"search with {name}"))
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
        self.messages.show_message(f"{said}. The search with {name} is kept.", "error",
                                   action=("Try again", lambda: self._embed_again(kept)))
        self._say_whose_results_are_kept()
        self.results_shown.emit()

    def _say_whose_results_are_kept(self) -> None:
        """Under the error of a search that failed: the results kept, if they are another
        catalog's (the chosen one's model failed to search the query again), say so. The note
        that said it while the chosen catalog opened went under the error, and the results
        were left under the chosen catalog's name."""
        outcome = self.outcome
        if outcome is not None and outcome.catalog != self.catalog.name:
            self.messages.add_message(f"The results shown are still those of “{outcome.catalog}”.", "info")

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
                           on_error=lambda exc: self.messages.error(user_message(exc, "re-rank the results")))

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
            name = Path(path).name
            short = name if len(name) <= OFFER_NAME_CHARS else f"{name[:OFFER_NAME_CHARS - 1]}…"
            self.messages.show_message(f"Search with {name} here too?", "info",
                                       action=(f"Search with {short}", lambda: self.search_path(path)), offer=True)

    # -- notes on the results --------------------------------------------------------------------
    def _caption_query(self, outcome: QueryOutcome) -> None:
        """The query's name under it; "in this catalog" after it when the catalog holds the
        query itself under another name (the quick start's dress is in the sample catalog):
        said there, calmly, not as a note in the message bar, which read as a problem."""
        if self._last_query is None:
            return
        inside = query_in_catalog_as(outcome)
        if inside:
            self.query_area.set_caption(self._last_query[3], "in this catalog", tooltip=(
                f"This catalog holds the query itself, as {Path(inside).name} (the same bytes), so it is "
                "not among its own results."))
        else:
            self.query_area.set_caption(self._last_query[3])

    def _say_results_are_from_another_catalog(self) -> bool:
        """Whether the results shown are another catalog's, the chosen one being indexed (then
        the message bar says so)."""
        outcome = self.outcome
        searching_again = bool(self._searching_again_for) and self.runner.is_running(f"{self.mode}/query")
        if outcome is None or outcome.catalog == self.catalog.name or not (self.catalog.is_opening() or searching_again):
            return False
        if self.catalog.is_opening():
            # Being opened (its folders scanned, its index read) is not being indexed: an indexed
            # catalog opened on a busy machine was said to be "still being indexed".
            doing = "indexed" if self.catalog.is_indexing() else "opened"
            why = f"“{self.catalog.name}” is still being {doing}, and the results follow it once it is ready."
        else:  # open, its model (another) loading to search the query again: a minute, the first time
            model = f"model {self.catalog.snapshot.model}" if self.catalog.snapshot and self.catalog.snapshot.model \
                else "its model"
            why = f"the query is being searched again in “{self.catalog.name}” with {model}; its results follow."
        self.messages.info(f"These results are from “{outcome.catalog}”: {why}")
        self._results_from_other_catalog = True
        self._grey_results(True)  # the other catalog's, greyed: never read as this one's
        return True

    def _grey_results(self, grey: bool) -> None:
        """The results and the panel's facts (probabilities, model) greyed while they are another
        catalog's, or shown plainly again."""
        self.gallery.setEnabled(not grey)
        self.panel.setEnabled(not grey)

    def _forget_results_were_from_another_catalog(self, outcome: QueryOutcome) -> None:
        """The results follow the chosen catalog now (re-ranked, or searched again by its
        model): the note that they were another catalog's goes."""
        if self._results_from_other_catalog and outcome.catalog == self.catalog.name:
            self._results_from_other_catalog = False
            self._grey_results(False)
            if self.messages.kind == "info":
                self.messages.clear()

    def _show_results_note(self, outcome: QueryOutcome) -> None:
        """What the results need said: none found (and why), or the panel's note on its options
        (e.g. results kept to a product type that is a guess); a note of ours no longer true goes."""
        note, beside = None, False
        if self.catalog.snapshot is not None and len(self.catalog.snapshot):
            note = self.panel.results_note(outcome.extras, len(outcome.hits))
        if outcome.nothing_to_compare:
            note = None  # not the catalog's doing: the empty gallery says why (``no_results_text``)
        elif note is None and not outcome.hits and outcome.left_out:  # (as `vsdesk search` says it)
            copies = f"{outcome.left_out} {'copy' if outcome.left_out == 1 else 'copies'}"  # its file, bytes or vector
            note = Note("info", f"No other images: the catalog “{self.catalog.name}” holds only the query "
                                f"itself ({copies} of it, left out).")
        elif note is None and not outcome.hits and self.catalog.failure:
            # Why it could not be opened, again: that message was replaced by this one.
            note = Note("warning", f"No results: the catalog “{self.catalog.name}” has no indexed images. "
                                   f"{self.catalog.failure}", self.catalog.failure_action)
        elif note is None and not outcome.hits:
            note = Note("warning", f"No results: the catalog “{self.catalog.name}” has no indexed images yet"
                                   " (see the message above or add a folder).")
            # Beside what opening the catalog said of it (its last folder forgotten, none of its
            # files readable ...), which it points to: that message said what just happened.
            beside = True
        elif note is None and outcome.weak_match:  # (as `vsdesk search` says it)
            note = Note("info", f"{sentence(WEAK_MATCH)}.")
        copies = copies_note(outcome)
        if note is not None:
            note = note._replace(text=f"{note.text} {copies}" if copies else note.text)
            if self._note_said:
                self.messages.remove_message(self._note_said)  # (the same note, said again: not twice)
            if beside and self.messages.text():
                self.messages.add_message(note.text, note.kind, note.action)
            else:
                self.messages.show_message(note.text, note.kind, note.action)
        elif copies:  # beside what is up (e.g. what was done with the files given), not instead
            if self._note_said:
                self.messages.remove_message(self._note_said)
            self.messages.add_message(copies, "info")
        elif self._note_said and self.messages.text() == self._note_said:
            self.messages.clear()  # the option it was about was changed back
        self._note_said = note.text if note is not None else copies

    def _browse(self, snapshot: CatalogSnapshot | None, keep_position: bool = False) -> None:
        """The gallery shows the whole catalog (None: nothing), for there is no query."""
        self._browsed = snapshot
        self.gallery.set_items(browse_items(snapshot) if snapshot is not None else [], keep_position=keep_position)


class _ModelNotLoaded(Exception):
    """A query's model could not be loaded (``cause``: why)."""

    def __init__(self, cause: BaseException):
        super().__init__(str(cause))
        self.cause = cause
