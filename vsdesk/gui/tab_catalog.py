"""A tab's catalog: opened and indexed in the background, cancelled, a folder made a catalog,
its folders added and forgotten and its product model changed (as `vsdesk index --catalog NAME
FOLDER`, `catalogs remove-folder` and `--model` do), the list of catalogs, and what another
process (the command line) changed behind the window's back.

``TabCatalog`` owns the tab's catalog slots on the runner ("<mode>/catalog", "/model",
"/catalog-list", "/watch", "/busy-check", "/add-folder", "/folder-lookup", "/folder-count",
"/remove-look", "/models") and speaks through the catalog bar, the message bar and its dialogs
(asked window-modal: the window keeps painting); what the rest of the tab does when a catalog is
left, opened or could not be opened is wired by the tab to its signals.

Here: opening and indexing, the model loaded for queries, and what is said when that fails. Its
other parts are mixed into the class, one module each: ``CatalogsElsewhere``
(catalogs_elsewhere.py) the list and what other processes change, ``CatalogFolders``
(catalog_folders.py) a folder made a catalog or added to the one shown, ``CatalogRemovals``
(catalog_removals.py) a folder forgotten and the catalog removed, ``CatalogModelSwitch``
(catalog_model_switch.py) another product model, ``CatalogMessages`` (catalog_messages.py) the
messages and when each is taken down; catalog_texts.py holds the texts that describe a catalog.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QWidget

from vsdesk.engine.session import DEFAULT_SAMPLE, KEEP_MODEL, CatalogSnapshot, ModeSession
from vsdesk.engine.text import RESUMING, counted, sentence
from vsdesk.gui.catalog_bar import CatalogBar
from vsdesk.gui.catalog_folders import CatalogFolders
from vsdesk.gui.catalog_messages import CatalogMessages
from vsdesk.gui.catalog_model_switch import CatalogModelSwitch
from vsdesk.gui.catalog_removals import CatalogRemovals
from vsdesk.gui.catalog_texts import (
    cancelled_words,
    folder_count_words,
    image_count_words,
    missing_folders_text,
    model_name,
    model_words,
    skipped_tooltip,
)
from vsdesk.gui.catalogs_elsewhere import BUSY_POLL_MS, SETTLE_MS, CatalogsElsewhere
from vsdesk.gui.catalogs_watcher import CatalogsWatcher
from vsdesk.gui.errors import sample_offline_brief, sample_offline_text, user_message
from vsdesk.gui.message_bar import MessageBar
from vsdesk.gui.settings import Settings
from vsdesk.gui.thumbnails import ThumbnailCache
from vsdesk.gui.worker import TaskRunner

log = logging.getLogger(__name__)


#: The steps of an index run (``vsdesk.engine.catalog``'s progress words) once it has files to
#: go through; a sample's preparation before it says others ("writing Fashion-MNIST images").
INDEX_STEPS = ("checking", "indexing", "indexed", RESUMING)


class TabCatalog(CatalogMessages, CatalogsElsewhere, CatalogFolders, CatalogRemovals, CatalogModelSwitch, QObject):
    #: (text) for the window's status bar
    status_message = Signal(str)
    #: the catalog shown is left for another: what is shown of it goes
    leaving = Signal()
    #: (name) a catalog starts opening (indexing runs in the background)
    opening = Signal(str)
    #: (words) the step the opening or its index run is at, as the catalog line says it
    #: ("reading the index of 15254 images"): said where the map is awaited too (an object, not
    #: a str: Qt's strings lose a name's bytes that are not UTF-8)
    step_said = Signal(object)
    #: (snapshot) the catalog to show and search: what it holds as opening it starts (before its
    #: index run), then as the run left it; the same rows again, told more, once the model has
    #: loaded (the classes it predicts: ``CatalogSnapshot.same_rows``)
    shown = Signal(object)
    #: (name) nothing of the catalog being opened can be shown before it is indexed (a new one,
    #: or one of another model's vectors)
    indexing = Signal(str)
    #: (snapshot) the catalog is open: indexed, or as far as a cancel let indexing go
    opened = Signal(object)
    #: the catalog could not be opened, and there is no other to go back to
    failed = Signal()

    def __init__(self, *, mode: str, title: str, session: ModeSession, runner: TaskRunner, settings: Settings,
                 cache: ThumbnailCache, catalog_bar: CatalogBar, messages: MessageBar, parent: QWidget,
                 watcher: CatalogsWatcher | None = None):
        """``watcher``: the window's, shared by its tabs (by default one of its own)."""
        super().__init__(parent)  # the tab: the skipped files dialog's parent
        self.mode = mode
        self.title = title
        self.session = session
        self.runner = runner
        self.settings = settings
        self.cache = cache
        self.catalog_bar = catalog_bar
        self.messages = messages
        self.snapshot: CatalogSnapshot | None = None
        self.name = settings.catalog(mode) or ""
        self._index_progress = (0, 0)  # (done, total) of the index run under way, as last told
        self._step = ""  # the step of the index run under way, as last told ("indexing")
        self._cancelled_here: set[str] = set()  # catalogs whose run the user cancelled in this window
        #: An info note ("Adding …", "… is brought up to date") up until the catalog opens.
        self._note = ""
        #: The dialog asking which model indexes a folder added, or the catalog, while it is open.
        self.model_dialog = None
        #: The dialog asking whether to forget a folder, while it is open.
        self.confirm_dialog = None
        #: (text, folder) of the last offer of a dropped folder (it may be up still).
        self._offered: tuple[str, str] | None = None
        #: The tab started while a folder given at launch was looked up: it opens a catalog then.
        self._open_when_looked_up = False
        #: Said while the catalog opens, true until it has: "… is opening: a folder can be added
        #: to it once it is shown", "Indexing cancelled … [Resume indexing]" (until it runs again).
        self._until_opened = ""
        #: (catalog, [(run, words)]) to say once that catalog has opened: what was done to it
        #: before, or that the index run of the catalog ``run`` was stopped for it (``run``: ""
        #: for the other notes). A run's note is dropped once that catalog is chosen again.
        self._said_once_open: tuple[str, list[tuple[str, str]]] | None = None
        #: The message up about the catalog shown (missing folders, an error opening it ...): it
        #: goes when another catalog opens, or when it is no longer true.
        self._said = ""
        #: News about it said beside other messages (``_say_beside``): taken back with it.
        self._said_beside: list[str] = []
        #: Why the catalog chosen could not be opened, as said (the message may be gone by the
        #: time a search finds it empty: the search's note says it again); "" once one opens.
        self.failure = ""
        #: The same in a few words, for the map's place and the status line ("the sample
        #: paintings could not be downloaded"); "" once one opens.
        self.failure_brief = ""
        #: What to do about it (a button's text and callback), or None.
        self.failure_action: tuple[str, Callable[[], None]] | None = None
        #: Looks whether the catalog chosen is still being indexed by another process (it is
        #: opened again once it is not).
        self._busy_timer = QTimer(self)
        self._busy_timer.setInterval(BUSY_POLL_MS)
        self._busy_timer.timeout.connect(self._look_if_still_busy)
        #: The catalogs' folder, and the shown catalog's files: what the command line
        #: changes there (a catalog made, removed, or indexed again) is looked at once it has
        #: settled (``refresh_list``), not only when the user comes back to the window.
        self.watch_elsewhere = True
        self._watcher = watcher if watcher is not None else CatalogsWatcher(self)
        self._settle_timer = QTimer(self)
        self._settle_timer.setSingleShot(True)
        self._settle_timer.setInterval(SETTLE_MS)
        self._settle_timer.timeout.connect(self._look_after_disk_change)
        #: Whether the catalog shown is being indexed by another vsdesk process (the command
        #: line), as last looked at: said in the catalog line until that run is done.
        self._indexed_elsewhere = False
        #: Whether it was, since it was last opened: what changed it, when that is found, is said
        #: to be another vsdesk process (``refresh_list``); it may be done by then.
        self._seen_indexed_elsewhere = False
        #: While indexed by another process, whether it is done is looked at this often: a
        #: run killed writes nothing more for the watch to see.
        self._elsewhere_timer = QTimer(self)
        self._elsewhere_timer.setInterval(BUSY_POLL_MS)
        self._elsewhere_timer.timeout.connect(self._look_if_indexed_elsewhere)
        #: (catalog, images it held) when another process's run of it stopped before its end (a
        #: kill) and this window took over the rest: its news then says what it added itself.
        self._finishing_left: tuple[str, int] | None = None
        #: (catalog, news, contents) of a folder forgotten, until that catalog has opened again.
        self._forgotten: tuple[str, str, set[str]] | None = None
        #: (the snapshot shown before, the news of the user's own last action still up) while
        #: the catalog is opened again because another process changed it (``_say_changed_elsewhere``).
        self._outside_change: tuple[CatalogSnapshot, list[str]] | None = None
        #: (catalog, text) of the news that the catalog was removed: taken down when a catalog
        #: of that name is shown again (made again by the command line), no longer true then.
        self._removed_said: tuple[str, str] | None = None
        self._switching: tuple | None = None  # (catalog, model) of the model switch running
        self._asked: tuple = ((), KEEP_MODEL)  # what the last ``open`` was asked beside the name
        #: Each catalog's model when this window last opened it (a change by another process is said).
        self._models_seen: dict[str, str | None] = {}

    def is_opening(self) -> bool:
        return self.runner.is_running(f"{self.mode}/catalog")

    def is_indexing(self) -> bool:
        """Whether the catalog chosen is being indexed (files to check or embed), not merely
        opened (its folders scanned, its index read: nothing new found yet)."""
        return self.is_opening() and self._index_progress[1] > 0 and self._step.startswith(INDEX_STEPS)

    # -- opening and indexing ----------------------------------------------------------------------
    def open(self, name: str, add_folders: tuple[str, ...] = (), model=KEEP_MODEL) -> None:
        """Index ``name`` incrementally in the background, then show it and its map.
        ``add_folders`` join it, ``model`` (product) is the one it is indexed with from now on:
        ``ModeSession.open_catalog``."""
        name = name or DEFAULT_SAMPLE[self.mode]
        self._say_run_stopped(name)
        if name != self.name:
            self._outside_change = None  # (another catalog chosen as the one changed elsewhere reopened)
            self._finishing_left = None
        elif self._busy_timer.isActive():
            # Folders to add or a model to switch to, waiting for another process's run
            # (``_wait_for_other_indexer``): an opening of the same catalog meanwhile (brought
            # up to date once that run changed it) still does them; the window promised it.
            add_folders, model = self._still_asked(add_folders, model)
        self.name = name
        self._busy_timer.stop()  # (about the catalog chosen before, or this one: opened now)
        self._asked = (add_folders, model)  # asked again once another process's run is done
        self.settings.set_catalog(self.mode, name)
        self.catalog_bar.select(name)  # (opened from code, the list showed the catalog left)
        if self.snapshot is not None and self.snapshot.name != name:
            self._unsay()  # about the catalog left (its folders, one of its images): no longer true here
            self._offer_again()
            # The menu offered the catalog left's folders: until this one is shown (it may fail,
            # or wait for another process), it offers none (a folder of one forgotten in the other).
            self.catalog_bar.set_catalog("", (), is_sample=False)
            self.leaving.emit()
        self._take_back_until_opened()  # "Indexing cancelled …": it runs again
        self._index_progress, self._step = (0, 0), ""
        # A model switch stopped by another catalog chosen would go back to the model it had
        # (as a Cancel does): the list is off until it is done, the user's choice not lost.
        switching = model is not KEEP_MODEL and not (self.snapshot is not None and self.snapshot.name == name
                                                      and self.snapshot.model == model)
        self._switching = (name, model) if switching else None
        self.catalog_bar.set_busy(True, f"opening {name}", switchable=not switching,
                                  fixed_because=f"“{name}” is indexed with another model: another catalog can "
                                                "be chosen once that is done (or cancelled)")
        self.catalog_bar.set_status(f"Opening “{name}”…")
        self.opening.emit(name)
        # The model is loaded by the run only if an image must be embedded: what the catalog
        # holds is shown (and searched) as soon as its index is read, and the model is loaded
        # for queries once the catalog is open (``_load_model``).
        self.runner.submit(
            f"{self.mode}/catalog",
            self._telling_outside_change(name, add_folders, lambda ctx: self.session.open_catalog(
                name, ctx.progress, ctx.cancelled, shown=lambda stored: ctx.partial(stored, force=True),
                add_folders=add_folders, model=model, noted=lambda note: ctx.partial(note, force=True))),
            label=f"{self.title}: opening “{name}”…",
            on_progress=self._on_index_progress,
            on_partial=self._on_stored,
            on_done=lambda opened: self._on_opened(opened[0], told=opened[1]),
            on_error=self._on_failed,
            on_cancelled=lambda: self._on_index_cancelled(name),
        )

    def _still_asked(self, add_folders: tuple[str, ...], model) -> tuple[tuple[str, ...], object]:
        """What an opening of the catalog that waits for another process's run is to do: the
        folders asked before and now (each once), and the model asked now, else the one before."""
        waiting_folders, waiting_model = self._asked
        folders = tuple(dict.fromkeys((*waiting_folders, *add_folders)))
        return folders, (waiting_model if model is KEEP_MODEL else model)

    def _say_run_stopped(self, name: str) -> None:
        """Another catalog (``name``) chosen during the index run of the one chosen before: that
        run stops at its next batch (superseded), what it indexed kept and gone on with when
        that catalog is next opened (``RESUMING``); said once ``name`` has opened. A note still
        waiting for the catalog left (A's run stopped to open B, and C chosen before B opened)
        goes on to ``name``, not lost with B; but not a note about ``name``'s own run (A→B→A:
        A's run goes on, as A opens)."""
        if name == self.name:
            return
        pending, notes = self._said_once_open, []
        if pending is not None and pending[0] == self.name:
            self._said_once_open = None
            notes = [(run, words) for run, words in pending[1] if run != name]
        stopped = self._run_stopped_text(name)
        notes += [(self.name, stopped)] if stopped else []
        if notes:
            self._said_once_open = (name, notes)

    def _run_stopped_text(self, name: str) -> str:
        """What to say of the run of the catalog left for ``name``, if one was under way, or ""."""
        if self._busy_timer.isActive():  # waiting for another process's run: what it was to do is not done
            return self._not_done_text(name)
        done, total = self._index_progress
        if not self.is_opening() or not total:
            return ""
        if self._switching is not None and self._switching[0] == self.name:
            # (Opened from code, the list off: a folder of another catalog dropped.) The run
            # stops as a Cancel does: the catalog goes back to the model it had.
            model = self._switching[1] or "the shipped model"
            return (f"The switch of “{self.name}” to {model} was stopped to open “{name}”: it keeps the model it "
                    "had; the images embedded so far are kept for when it is switched again.")
        return (f"The index run of “{self.name}” was stopped to open “{name}”: the images it indexed are kept, "
                f"and it goes on when “{self.name}” is opened again.")

    def _not_done_text(self, name: str) -> str:
        """What to say when ``name`` is chosen while the catalog shown waits for another process's
        run to switch its model or add folders (``_wait_for_other_indexer``): that is not done
        (it was dropped without a word), or ""."""
        why = (f"it waited for another vsdesk process to finish indexing it, and “{name}” was chosen "
               "meanwhile")
        if self._switching is not None and self._switching[0] == self.name:
            model = self._switching[1] or "the shipped model"
            return (f"“{self.name}” was not switched to {model}: {why}. It keeps the model it has; to switch it, "
                    f"choose it again and then “{self.catalog_bar.menu_title}” ▸ Product model once that run is done.")
        adding = self._asked[0]
        if adding:
            return (f"{', '.join(adding)} {'was' if len(adding) == 1 else 'were'} not added to “{self.name}”: {why}. "
                    f"Add {'it' if len(adding) == 1 else 'them'} again once that run is done.")
        return ""

    def _on_stored(self, snapshot: CatalogSnapshot | str | None) -> None:
        """What the catalog held as opening it started: shown while the run brings it up to date.
        A text: why the run is long (its index was damaged), said until the catalog is open."""
        if isinstance(snapshot, str):
            self._note_until_opened(f"{sentence(snapshot)}. Indexing it again can take a few minutes.")
        elif snapshot is None:
            self.indexing.emit(self.name)
        else:
            self._show(snapshot)

    def _show(self, snapshot: CatalogSnapshot) -> None:
        self.snapshot = snapshot
        if self._removed_said is not None and self._removed_said[0] == snapshot.name:
            self.messages.remove_message(self._removed_said[1])  # made again: "was removed" is no longer true
            self._removed_said = None
        self.catalog_bar.set_catalog(snapshot.name, snapshot.folders, snapshot.is_sample, model_name(snapshot),
                                     folder_count_words(snapshot), snapshot.missing_folders)
        self._offer_to_shown()
        self.shown.emit(snapshot)

    def _load_model(self) -> None:
        """The model of the catalog open, loaded in the background for its queries (a query
        given meanwhile loads it itself), unless it is; then the catalog is shown with what
        only the model tells (product: the classes it predicts for its images)."""
        if self.session.embedder is not None and not (self.snapshot and self.snapshot.predictions_pending):
            return
        slot = f"{self.mode}/model"
        self.runner.submit(
            slot,
            lambda ctx: self.session.load_model(ctx.progress),
            label=f"{self.title}: loading the model for searching…",
            urgent=self.parent().isVisible(),  # the tab in view: before other tabs' catalogs
            on_progress=lambda _done, _total, message: self._on_model_progress(message),
            on_done=lambda result: self._on_model_loaded(*result),
            on_error=self._on_model_failed,
        )

    def _on_model_failed(self, exc: BaseException) -> None:
        said = user_message(exc, f"load the {self.title} model")
        if said not in self.messages.text():  # a query's message says it already, with "Try again"
            self.say("error", said)

    def _on_model_progress(self, message: str) -> None:
        if message:  # "loading the product model", "converting model …"
            self.status_message.emit(f"{self.title}: {message}")
            self.runner.relabel(f"{self.mode}/model", f"{self.title}: {message}")

    def _on_model_loaded(self, snapshot: CatalogSnapshot | None, fits: bool) -> None:
        # Replaces "loading the … model", which would otherwise stay up beside "Ready".
        self.status_message.emit(f"{self.title}: model loaded, ready to search")
        if snapshot is None or self.is_opening() or not snapshot.same_rows(self.snapshot):
            return  # another catalog, or another opening under way: the model serves it as it is
        if not fits:
            # Indexed by this model at another precision (a runtime setting changed): its vectors
            # cannot be compared with this one's, so the catalog is embedded again with it.
            self._note_until_opened(f"The {self.title} model runs here at another precision than the one that "
                                    f"indexed “{snapshot.name}”: its images are embedded again.")
            self.open(snapshot.name)
        elif snapshot is not self.snapshot:
            self._show(snapshot)

    def _on_index_progress(self, done: int, total: int, message: str) -> None:
        self._index_progress = (done, total)
        # A run cut off last time (the window closed, a kill), not one the user cancelled here
        # and resumes now (the "Indexing cancelled" message's "Resume indexing").
        if message.startswith(RESUMING) and self._finishing_left is not None and self._finishing_left[0] == self.name:
            self._note_until_opened(f"This window finishes the indexing it left of “{self.name}”: "
                                    f"{counted(total, 'image')} left.", beside=True)  # (beside: that the other stopped)
        elif message.startswith(RESUMING) and self.name not in self._cancelled_here:
            self._note_until_opened(f"Resuming the index run of “{self.name}” that stopped before its end last time "
                                    f"(cancelled, or the window closed during it): "
                                    f"{counted(total, 'image')} left; the images indexed before are kept.")
        # The run's progress is said in one place, the catalog line: its bar ("168/3982") and its
        # words ("indexing · 15 images/s · about 4 min left"). The status bar said it twice more.
        self.catalog_bar.set_progress(done, total, message)
        step = message.partition(" · ")[0]
        if step and step != self._step:
            self._step = step
            self.step_said.emit(step)
            # The status bar's activity names the step ("loading the model", then "indexing");
            # its message line, which said the step before (a model loading), is cleared.
            self.status_message.emit("")
            self.runner.relabel(f"{self.mode}/catalog", f"{self.title}: {step.split(':')[0]} · “{self.name}”")

    def note_closing(self) -> None:
        """The window closes: an index run under way stops (its batches are kept, the catalog
        stays marked unfinished), and the next opening resumes it and says so (``RESUMING``).
        The log says it too, for whoever wonders later where that run came from."""
        done, total = self._index_progress
        if not self.is_opening() or not total:  # (an opening queued, or with nothing to index, is no run)
            return
        if not self._step.startswith(INDEX_STEPS):
            # A sample catalog's images being prepared ("writing Fashion-MNIST images", "fetching
            # …"), which set the same progress: no index run yet.
            log.info("the window was closed while the catalog %r was being prepared (%s: %d of %d done): what "
                     "was done is kept, and it goes on when the catalog is next opened", self.name, self._step,
                     done, total)
            return
        log.info("the window was closed during the index run of catalog %r (%d of %d files done): what was "
                 "indexed is kept, and the run resumes when the catalog is next opened", self.name, done, total)

    def cancel(self) -> None:
        self.catalog_bar.cancel_button.setEnabled(False)
        self.catalog_bar.set_status("Cancelling…")
        self.runner.cancel(f"{self.mode}/catalog")

    def _on_index_cancelled(self, name: str) -> None:
        self._cancelled_here.add(name)
        self.runner.submit(
            f"{self.mode}/catalog",
            self._telling_outside_change(name, self._asked[0], lambda ctx: self.session.snapshot(name)),
            on_done=lambda opened: self._on_opened(opened[0], cancelled=True, told=opened[1]),
            on_error=self._on_failed,
        )

    def _on_opened(self, snapshot: CatalogSnapshot, cancelled: bool = False, told: tuple | None = None) -> None:
        """``told``: what another process changed in it, as its opening's task told it
        (``_telling_outside_change``)."""
        self.failure, self.failure_action, self.failure_brief = "", None, ""
        self._show(snapshot)
        self._unsay()  # about the catalog shown before, or about this one as it was
        self.cache.forget_errors()  # opened again once its disk is back: its thumbnails are tried again
        self.catalog_bar.set_busy(False)
        self._show_status(snapshot)
        self._drop_note()  # e.g. "Adding … indexing runs in the background": it has run
        self._take_back_until_opened()  # e.g. "… is opening: a folder can be added once it is shown"
        said_once_open, self._said_once_open = self._said_once_open, None
        once_open = " ".join(words for _run, words in said_once_open[1]) \
            if said_once_open is not None and said_once_open[0] == snapshot.name else ""
        if not snapshot.folders and not snapshot.is_sample:  # its last folder forgotten: said in one message
            self._say_no_folder(snapshot, once_open)
        elif once_open:
            self.say("info", once_open)  # e.g. a folder forgotten
        if snapshot.folders and not len(snapshot) and not cancelled and not snapshot.is_sample:
            either = "file or folder" if snapshot.skipped == 1 else "files or folders"  # (a folder not listed is one)
            found = f"{snapshot.skipped} {either} that cannot be read" if snapshot.skipped else "no image files"
            self.say("warning", f"The catalog “{snapshot.name}” has {found} in {', '.join(snapshot.folders)}"
                                 " (searched recursively): add a folder of images.")
        if cancelled and not snapshot.switch_cancelled:  # (a switch undone: its note says so)
            self.say("warning", cancelled_words(snapshot),
                      action=("Resume indexing", lambda: self.open(snapshot.name)))
            self._until_opened = self._said  # no longer true once indexing runs again
        if snapshot.note:
            self.say("info", sentence(snapshot.note) + ".")
        if (snapshot.missing_folders or snapshot.image_links_away) and not self.messages.text():
            self.say("warning", missing_folders_text(snapshot), self._forget_away_action(snapshot))
        if snapshot.changes:  # an update: what changed in its folders, as `vsdesk index` reports it
            self._say_beside(f"“{snapshot.name}” brought up to date: {snapshot.changes}.")
        self.say_if_vectors_kept()
        self._say_model_changed_elsewhere(snapshot)
        changed_elsewhere = self._say_changed_elsewhere(snapshot, told)
        self.opened.emit(snapshot)  # (the tab's status line: "catalog “r” ready (333 images)")
        if changed_elsewhere:
            self.status_message.emit(changed_elsewhere)  # "… ready (333 images), changed by …": after it, or it goes at once
        self._load_model()
        self._watch()

    def _show_status(self, snapshot: CatalogSnapshot, also: str = "") -> None:
        """The catalog line: its images and model, and ``also`` ("being indexed by …")."""
        self.catalog_bar.set_status(f"{image_count_words(snapshot)}{model_words(snapshot)}"
                                    + (f" · {also}" if also else ""),
                                    skipped_tooltip(snapshot.skipped_files),
                                    link=f"{snapshot.skipped} skipped: why?" if snapshot.skipped else "")

    def _forget_away_action(self, snapshot: CatalogSnapshot):
        """The missing folders' warning offers to forget the one folder of the catalog away (as
        the menu does, asked first); a linked folder or mount point inside one is not one."""
        away = [folder for folder in snapshot.missing_folders if folder in snapshot.folders]
        if len(away) != 1 or snapshot.is_sample:
            return None
        return ("Forget folder…", lambda: self.ask_to_forget_folder(away[0]))

    def _on_failed(self, exc: BaseException) -> None:
        # Imported here, not at the top: the worker has loaded the catalog package by now, and
        # the window's start-up need not (about 60 ms).
        from vsdesk.engine.catalog import CatalogBusy, CatalogNotFound
        from vsdesk.engine.samples import SampleOffline

        if isinstance(exc, CatalogBusy):
            self._wait_for_other_indexer(here=exc.here)
            return
        self.catalog_bar.set_busy(False)
        self.catalog_bar.set_status("")
        self._take_back_until_opened()
        # The status line said the last step ("fetching s_cubism-01.jpg"): it failed.
        self.status_message.emit(f"{self.title}: could not open the catalog “{self.name}”")
        self._unsay()
        if isinstance(exc, SampleOffline):
            self._say_sample_offline(exc)
            return
        said = user_message(exc, f"open the catalog “{self.name}”")
        self.failure, self.failure_action = said, None
        self.failure_brief = f"“{self.name}” could not be opened"
        if isinstance(exc, CatalogNotFound) and self.name != DEFAULT_SAMPLE[self.mode]:
            # The remembered catalog was removed (e.g. `vsdesk catalogs remove`): back to the
            # sample, with the message kept up (not the sample's to take back).
            self._tell_removed(self.name, "error", said)
            self.refresh_list(select=DEFAULT_SAMPLE[self.mode])
            self.open(DEFAULT_SAMPLE[self.mode])
            return
        self.say("error", said)  # taken back once another catalog opens
        self.failed.emit()

    def _say_sample_offline(self, exc) -> None:
        """The sample could not be downloaded for want of a connection (``SampleOffline``): a
        warning, not an error (nothing is broken: it is tried again at the next start), in
        words for a person, with what to do instead (a catalog of their own folder), and the
        command line's words (the ``VSDESK_STYLE_MIRROR`` way round, for experts) in the log."""
        log.warning("sample %s not available: %s", exc.sample, exc)
        text = sample_offline_text(exc, self.catalog_bar.menu_title)
        self.failure, self.failure_action = text, ("New catalog from a folder…", self.catalog_bar.choose_folder)
        self.failure_brief = sample_offline_brief(exc)
        # One button: a folder offered (given at start-up) keeps its own, said beside it (``_tell``).
        self.say("warning", text, None if self.messages.has_offer() else self.failure_action)
        self.failed.emit()

    def show_skipped_files(self) -> None:
        """Every file the catalog could not index, with its full path and the reason."""
        from vsdesk.gui.skipped_dialog import SkippedFilesDialog

        if self.snapshot is not None and self.snapshot.skipped_files:
            SkippedFilesDialog(self.snapshot.name, self.snapshot.skipped_files, self.parent()).open()
