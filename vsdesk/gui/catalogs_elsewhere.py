"""The list of catalogs, and what other processes (the command line, another vsdesk window) do
to them behind the window's back: a catalog made or removed, the shown one indexed again or its
folders' files changed (seen by a watch on the catalogs' folder and the shown catalog's files,
once they have settled), or the catalog chosen being indexed by another run (shown as it was,
opened again once that run is done): the part of ``TabCatalog`` in the slots "<mode>/catalog-list",
"<mode>/watch" and "<mode>/busy-check"."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from vsdesk.engine.session import DEFAULT_SAMPLE
from vsdesk.engine.text import counted
from vsdesk.gui.catalog_texts import missing_folders_text, outside_change_words, ready_words
from vsdesk.gui.errors import user_message

if TYPE_CHECKING:
    from PySide6.QtCore import QTimer, SignalInstance

    from vsdesk.engine.session import CatalogSnapshot, ModeSession
    from vsdesk.gui.catalog_bar import CatalogBar
    from vsdesk.gui.catalogs_watcher import CatalogsWatcher
    from vsdesk.gui.message_bar import MessageBar
    from vsdesk.gui.worker import TaskRunner

#: While another vsdesk window or command indexes the catalog chosen, whether it is done is
#: looked at this often (a lock taken and let go on the I/O thread; the index is not read).
BUSY_POLL_MS = 3000

#: Changes to the catalogs' files (a catalog made, removed or indexed by the command line) are
#: looked at once they have been quiet this long: an index run writes its index many times.
SETTLE_MS = 1500

#: What the window says of the catalog shown once another process has changed it ("“r” changed
#: by another vsdesk process: 300 images added").
CHANGED_ELSEWHERE = "changed by another vsdesk process: "
#: How news of an update of the catalog shown is told (by another process; by the window's own
#: run, ``TabCatalog._on_opened``): an older one goes when the next is said.
UPDATE_NEWS = (CHANGED_ELSEWHERE, "” brought up to date: ")


class CatalogsElsewhere:
    """Mixed into ``TabCatalog``: uses the attributes declared below, its ``open`` and messages."""

    # What it uses of ``TabCatalog``'s state, all set in its ``__init__`` (declared here for readers
    # and type checkers; tests/test_gui_catalog_mixins.py checks that a built tab has each, and
    # that every ``self.X`` used here is one of these or one of the tab's methods and signals).
    mode: str
    title: str
    name: str
    session: ModeSession
    runner: TaskRunner
    messages: MessageBar
    catalog_bar: CatalogBar
    snapshot: CatalogSnapshot | None
    status_message: SignalInstance
    watch_elsewhere: bool
    _watcher: CatalogsWatcher
    _settle_timer: QTimer
    _busy_timer: QTimer
    _elsewhere_timer: QTimer
    _asked: tuple
    _switching: tuple | None
    _models_seen: dict[str, str | None]
    _said: str
    _said_beside: list[str]
    _indexed_elsewhere: bool
    _seen_indexed_elsewhere: bool
    _outside_change: tuple[CatalogSnapshot, list[str]] | None
    _finishing_left: tuple[str, int] | None

    # -- the list of catalogs ----------------------------------------------------------------------
    def refresh_list(self, select: str | None = None) -> None:
        """List the catalogs again (in the background), and notice what changed behind the
        window's back: the shown catalog removed, indexed again by the command line, or files
        added to or removed from its folders (photos saved there while the window was open)."""
        shown = None if self.is_opening() else self.snapshot
        seen_at_it = self._seen_indexed_elsewhere  # (another process's run, seen since it was opened)

        def look(ctx):
            from vsdesk.engine.catalog import away_folders, is_being_indexed, is_image_link_away

            names = self.session.catalog_names()
            listed = shown is not None and shown.name in names
            changed = listed and self.session.changed_elsewhere(shown)
            # The index opened, a stat per folder and per indexed file (4,878 photos: 40-60 ms on
            # a busy machine; each of the two has a 0.1 s budget); a folder away is no change.
            moved = self.session.changed_folders(shown) if listed and not changed else []
            # Those said away, looked at again: a disk plugged in again brings them back.
            away = away_folders(shown.missing_folders) if shown is not None else {}
            links = tuple(filter(is_image_link_away, shown.image_links_away)) if shown is not None else ()
            busy = listed and not changed and not shown.is_sample and is_being_indexed(shown.name)
            # Changed by a run that stopped before its end (a `vsdesk index` killed): the images it held then.
            # One seen at it and killed before it saved anything changed nothing but its mark.
            stopped = self.session.left_unfinished(shown.name) if (changed or (seen_at_it and listed and not busy)) \
                and not shown.is_sample else None
            return names, changed, moved, away, links, busy, stopped

        self.runner.submit(
            f"{self.mode}/catalog-list",
            look,
            worker="io",
            on_done=lambda result: self._show_list(*result[:5], select, shown, busy=result[5], stopped=result[6]),
            on_error=lambda exc: self.messages.error(user_message(exc, "list the catalogs")),
        )

    def _show_list(self, names: list[str], changed: bool, moved: list[str], away: dict[str, str],
                   links: tuple[str, ...], select: str | None, looked_at=None, busy: bool = False,
                   stopped: int | None = None) -> None:
        current = select or self.name or (names[0] if names else "")
        self.catalog_bar.set_catalogs(names, current)
        if self.is_opening():
            return  # a catalog is being opened: it is what the tab will show
        shown = self.snapshot.name if self.snapshot is not None and not self.snapshot.is_sample else None
        if shown and shown not in names:
            # Removed behind the window's back (`vsdesk catalogs remove`): not searched any more.
            self._tell_removed(shown, "warning", f"The catalog “{shown}” was removed; showing "
                                                 f"“{DEFAULT_SAMPLE[self.mode]}”.")
            self.open(DEFAULT_SAMPLE[self.mode])
        elif (changed or stopped is not None) and self.snapshot is looked_at:
            # Indexed again elsewhere (new files, another model): what is shown is brought up to
            # date, and a query on screen is searched again (embedded again for another model).
            # What that changed is said once it is open, beside the news of the user's own last
            # action ("21 images added from …"), which is still true (``_say_changed_elsewhere``).
            waited = self._busy_timer.isActive()
            kept = [] if waited else \
                [text for text in (self._said, *self._said_beside) if self.messages.kind_of(text) == "info"
                 and not any(news in text for news in UPDATE_NEWS)]  # (news of an earlier update: this one's replaces it)
            if waited:
                # Opened while that run held it ("… is being indexed by another vsdesk window or
                # command", ``_wait_for_other_indexer``): no longer true, taken down as the poll
                # for its end does (``_on_busy_looked_at``). The poll is stopped by ``open``,
                # which still does what waited for that run (folders to add, a model switch).
                self._unsay()
            self._outside_change = (looked_at, kept)
            self._show_indexed_elsewhere(looked_at.name, False)  # (that run is done: it said so until the opening's end)
            for text in kept:
                self.messages.add_message(text, "info")  # (up while it opens)
            if stopped is not None:
                self._say_stopped_elsewhere(looked_at.name, stopped)
            else:
                # Seen being indexed by another vsdesk process (``_show_indexed_elsewhere``): said so.
                by = "by another vsdesk process" if self._seen_indexed_elsewhere else "outside this window"
                self._note_until_opened(f"The catalog “{self.snapshot.name}” was changed {by}; it is brought up to "
                                        "date.")
            self.open(self.snapshot.name)
        elif moved and self.snapshot is looked_at:
            # Images added, removed, renamed or written over in its folders: indexed as opening
            # it does (only what is new), and a query on screen is searched again. The run notes
            # the folders' times and files' stats again, so the same change does not bring it up
            # to date twice.
            self._note_until_opened(f"New, removed, renamed or changed images in {', '.join(moved)}: "
                                    f"the catalog “{self.snapshot.name}” is brought up to date.")
            self.open(self.snapshot.name)
        elif looked_at is not None and self.snapshot is looked_at and (
                away != looked_at.missing_kinds or links != looked_at.image_links_away):
            # A folder or an image link that was away is back (its disk plugged in again): the
            # warning is updated.
            self.snapshot = dataclasses.replace(
                looked_at, missing_folders=tuple(away), missing_kinds=away,
                missing_without_images=tuple(f for f in looked_at.missing_without_images if f in away),
                image_links_away=links)
            if self._unsay() and (away or links):
                self.say("warning", missing_folders_text(self.snapshot), self._forget_away_action(self.snapshot))
        if looked_at is not None and self.snapshot is looked_at and shown in names and not changed and not moved \
                and stopped is None:
            self._show_indexed_elsewhere(looked_at.name, busy)

    def _telling_outside_change(self, name: str, own_folders: tuple[str, ...],
                                snapshot_of: Callable[[Any], CatalogSnapshot]) -> Callable[[Any], tuple]:
        """The task that opens catalog ``name`` (``snapshot_of(ctx)``, its snapshot), returning
        (its snapshot, told): ``told`` is (the snapshot shown before, what another process
        changed since, in words: ``outside_change_words``) when it is opened again for that,
        else None. Worked out on the task's thread: it walks every path, which took the
        window's thread 12-70 ms, up to 130, at 60,000 paths on two busy cores."""
        before = self._outside_change[0] if self._outside_change is not None \
            and self._outside_change[0].name == name else None

        def work(ctx) -> tuple:
            snapshot = snapshot_of(ctx)
            told = None if before is None else (before, outside_change_words(before, snapshot, own_folders=own_folders))
            return snapshot, told

        return work

    def _say_changed_elsewhere(self, snapshot: CatalogSnapshot, told: tuple | None = None) -> str:
        """Once a catalog has opened: if it was opened again because another process changed it,
        what that changed, in the message bar, beside the news of the user's own last action
        that was up (taken down by the opening, still true). Returned: the status line saying
        it ("Style: catalog “r” ready (333 images), changed by …"), or "" if nothing is to say.
        ``told``: the change in words, worked out by the opening (``_telling_outside_change``);
        else (the catalog shown as it was, while another process indexes it) here."""
        self._indexed_elsewhere = False  # (the catalog line said so: ``_show_status`` has put it back)
        self._elsewhere_timer.stop()  # (looked at again if its lock is seen held again)
        self._seen_indexed_elsewhere = False
        outside, self._outside_change = self._outside_change, None
        finishing, self._finishing_left = self._finishing_left, None
        if outside is None or outside[0].name != snapshot.name:
            return ""
        before, kept = outside
        for text in kept:
            self._say_beside(text)
        if finishing is not None and finishing[0] == snapshot.name:
            # What the other run added is said (``_say_stopped_elsewhere``); the rest is the window's.
            own = len(snapshot) - finishing[1]
            if own > 0:
                self._say_beside(f"“{snapshot.name}”: the indexing it left is finished here: "
                                 f"{counted(own, 'image')} added.")
            return ""
        if told is not None and told[0] is before:
            words = told[1]
        else:
            words = outside_change_words(before, snapshot, own_folders=self._asked[0])  # (a folder added here waited for it)
        if not words and snapshot.model != before.model:
            return ""  # another model: ``_say_model_changed_elsewhere`` said it
        words = f"{CHANGED_ELSEWHERE}{words or 'its index was updated'}."
        self._say_beside(f"“{snapshot.name}” {words}")
        return f"{self.title}: {ready_words(snapshot)}, {words}"

    def _say_model_changed_elsewhere(self, snapshot) -> None:
        """Once a catalog has opened: if its model is not the one it had when this window last
        opened it, and this window did not switch it (`vsdesk search --catalog C --model mine`
        re-embeds C and keeps that model), say so once; its probabilities change with it."""
        before = self._models_seen.get(snapshot.name, snapshot.model)
        self._models_seen[snapshot.name] = snapshot.model
        switched_here = self._switching is not None and self._switching[0] == snapshot.name
        if before == snapshot.model or switched_here or snapshot.switch_cancelled:
            return
        text = (f"The catalog “{snapshot.name}” now uses {snapshot.model or 'the shipped model'} "
                "(changed outside this window).")
        self._say_beside(text)

    # -- what another process changes on disk -------------------------------------------------------
    def _watch(self) -> None:
        """Watch the catalogs' folder (a catalog made or removed) and the shown catalog's settings
        and index (found on the I/O thread: the folder may be made, a network home may hang).
        Not the catalog's own folder: its lock file is written each time anyone looks whether it
        is being indexed, looking at it included. A file written again by a rename
        (``catalog.json``) drops its watch: this is done again after each change."""
        name = self.name

        def paths(ctx):
            from vsdesk.engine.catalog import CONFIG_FILE, INDEX_FILE
            from vsdesk.engine.paths import catalogs_dir

            root = catalogs_dir()
            location = root / name if name else None
            found = [root] + ([location / CONFIG_FILE, location / INDEX_FILE]
                              if location is not None and location.is_dir() else [])
            return [str(path) for path in found if path.exists()]

        self.runner.submit(f"{self.mode}/watch", paths, worker="io", on_done=self._set_watched)

    def _set_watched(self, paths: list[str]) -> None:
        self._watcher.watch(self, paths, self._on_disk_change)
        # A run of another process begun before the watch was in place (between the opening and
        # now) wrote its first changes unseen, and goes on writing to SQLite's -wal file only.
        self._look_if_indexed_elsewhere()

    def _on_disk_change(self, _path: str) -> None:
        if not self._settle_timer.isActive():
            # The first write of a burst: another process starting an index run of the catalog
            # shown is said while it runs (its writes may not settle for minutes).
            self._look_if_indexed_elsewhere()
        self._settle_timer.start()  # (again: looked at once the writes have stopped)

    def _look_if_indexed_elsewhere(self) -> None:
        shown = self.snapshot
        if not self.watch_elsewhere or shown is None or shown.is_sample or self.is_opening():
            return  # (the window's own run writes too)
        name = shown.name

        def look(ctx):
            from vsdesk.engine.catalog import is_being_indexed

            return is_being_indexed(name)

        self.runner.submit(f"{self.mode}/elsewhere-check", look, worker="io",
                           on_done=lambda busy: self._on_elsewhere_looked_at(name, busy))

    def _on_elsewhere_looked_at(self, name: str, busy: bool) -> None:
        was = self._indexed_elsewhere
        self._show_indexed_elsewhere(name, busy)
        if was and not self._indexed_elsewhere:
            self._look_after_disk_change()  # done, or stopped (killed): what it changed is taken up at once

    def indexed_elsewhere(self) -> str:
        """The name of the catalog shown while another vsdesk process indexes it, else ""."""
        return self.snapshot.name if self._indexed_elsewhere and self.snapshot is not None else ""

    def _show_indexed_elsewhere(self, name: str, busy: bool) -> None:
        """The catalog line says, while another process indexes the catalog shown, that it does:
        shown as it was, opened again once that run is done (``refresh_list``)."""
        if self.snapshot is None or self.snapshot.name != name or self.is_opening() or busy == self._indexed_elsewhere:
            return
        self._indexed_elsewhere = busy
        self._seen_indexed_elsewhere |= busy
        if busy:  # looked at again until it is done: a run killed writes no more to tell it
            self._elsewhere_timer.start()
        else:
            self._elsewhere_timer.stop()
        self._show_status(self.snapshot, "being indexed by another vsdesk process…" if busy else "")
        self.status_message.emit(f"{self.title}: “{name}” is being indexed by another vsdesk process; shown as it "
                                 "was until that is done" if busy else "")

    def _say_stopped_elsewhere(self, name: str, indexed: int) -> None:
        """Another process's index run of ``name`` stopped before its end (killed), the catalog
        holding ``indexed`` images then: said at once, with that count (the one `vsdesk index`
        says as it stops, "(1151 images indexed)"; not what it added to what the window showed,
        which said "768" for a catalog opened mid-run at 383); the opening that follows finishes
        the rest and says it is its own (``_on_index_progress``, ``_say_changed_elsewhere``)."""
        before, kept = self._outside_change if self._outside_change is not None \
            and self._outside_change[0].name == name else (self.snapshot, [])
        text = f"The other vsdesk process indexing “{name}” stopped before its end, with {counted(indexed, 'image')} indexed."
        self._outside_change = (before, [*kept, text])  # said again once open, beside its own news
        self._finishing_left = (name, indexed)
        self.messages.add_message(text, "info")
        self._said_beside.append(text)  # (taken back as it opens, then said again)
        self._note_until_opened(f"This window finishes the indexing it left of “{name}”.", beside=True)
        self.status_message.emit(f"{self.title}: “{name}”: the other vsdesk process indexing it stopped")

    def _look_after_disk_change(self) -> None:
        if not self.watch_elsewhere:
            return
        self.refresh_list()  # the list again, and the shown catalog brought up to date if it changed
        self._watch()

    # -- a catalog another process indexes ----------------------------------------------------------
    def _wait_for_other_indexer(self, here: bool = False) -> None:
        """Another run is indexing the catalog chosen: no error, just a note, naming the run's
        holder: another vsdesk window or command, or (``here``) this window's own run (an
        earlier one still at its end; its damaged index found by the opening that followed).
        What it held as opening it started is shown (and searched) as it was, if anything; it
        is opened again, brought up to date, once the other run lets go of it."""
        name = self.name
        holder = "an earlier index run of this window" if here else "another vsdesk window or command"
        # A model switch asked (``_asked``) did not start: the catalog keeps its model until the
        # other run lets go of it, then it is switched (not merely "updated").
        switch_to = (self._switching[1] or "the shipped model") if self._switching is not None \
            and self._switching[0] == name else ""
        # Folders asked to be added (the menu, a drop) wait too: said, or the user would think
        # the folder was refused, or forgotten.
        adding = self._asked[0]
        if self.snapshot is not None and self.snapshot.name == name:
            # What another process changed before (the reason it was opened again) is told by the
            # opening once that run lets go, worked out off the GUI thread: not now, on this thread
            # (a walk of every path), for the line said below to replace it at once.
            waiting = self._outside_change, self._finishing_left
            self._outside_change = self._finishing_left = None
            self._on_opened(self.snapshot)
            self._outside_change, self._finishing_left = waiting
            if switch_to:
                then = f"it is shown as it was, with the model it has, and switched to {switch_to} when that is done"
            elif adding:
                then = (f"it is shown as it was, and {', '.join(adding)} {'is' if len(adding) == 1 else 'are'} added "
                        "to it when that is done")
            else:
                then = "it is shown as it was, and updated when that is done"
        else:  # nothing of it could be shown: a new catalog, or another model's vectors
            self.catalog_bar.set_busy(False)
            self.catalog_bar.set_status("Being indexed…" if here else "Being indexed elsewhere…")
            then = f"it is switched to {switch_to} and shown when that is done" if switch_to else \
                "it is shown when that is done"
        self.say("info", f"The catalog “{name}” is being indexed by {holder}; {then}.")
        self.status_message.emit(f"{self.title}: “{name}” is being indexed " + ("here" if here else "elsewhere"))
        self._busy_timer.start()

    def _look_if_still_busy(self) -> None:
        slot = f"{self.mode}/busy-check"
        if self.is_opening() or self.runner.is_running(slot):
            return
        name = self.name

        def look(ctx):
            from vsdesk.engine.catalog import is_being_indexed

            busy = is_being_indexed(name)
            return busy, None if busy else self.session.left_unfinished(name)

        self.runner.submit(slot, look, worker="io",
                           on_done=lambda result: self._on_busy_looked_at(name, *result),
                           on_error=lambda exc: self._on_busy_looked_at(name, False))  # opening says what

    def _on_busy_looked_at(self, name: str, busy: bool, stopped: int | None = None) -> None:
        if busy or name != self.name or not self._busy_timer.isActive():
            return  # still indexed elsewhere, or another catalog chosen meanwhile
        self._busy_timer.stop()
        self._unsay()  # "being indexed by another …": no longer
        if stopped is not None and self.snapshot is not None and self.snapshot.name == name:
            self._say_stopped_elsewhere(name, stopped)  # killed before its end: the window finishes it
        self.open(name, *self._asked)  # folders to add, a model to index it with: still asked
