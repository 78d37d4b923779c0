"""A folder of the catalog shown forgotten (`vsdesk catalogs remove-folder`), or the catalog
removed (`vsdesk catalogs remove`), once the user has agreed to the confirmation that says what
goes (never the images): the removals' part of ``TabCatalog``, counted in the slots
"<mode>/folder-count" and "<mode>/remove-look", done in the catalog's own slot "<mode>/catalog"."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt

from vsdesk.engine.session import DEFAULT_SAMPLE, CatalogSnapshot
from vsdesk.engine.text import counted, image_count, names_escaped
from vsdesk.gui.catalog_texts import forget_words, missing_folders_text
from vsdesk.gui.errors import user_message

if TYPE_CHECKING:
    from PySide6.QtWidgets import QMessageBox

    from vsdesk.engine.session import ModeSession
    from vsdesk.gui.catalog_bar import CatalogBar
    from vsdesk.gui.message_bar import MessageBar
    from vsdesk.gui.worker import TaskRunner


class CatalogRemovals:
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
    confirm_dialog: QMessageBox | None
    _said_once_open: tuple[str, list[tuple[str, str]]] | None
    _said: str
    _forgotten: tuple[str, str, set[str]] | None

    def ask_to_forget_folder(self, folder: str) -> None:
        """Forget ``folder`` of the catalog shown, once the user has agreed, told how many images
        it holds and that the files are not touched (`vsdesk catalogs remove-folder`)."""
        name = self.name
        if self.snapshot is None or self.snapshot.name != name or folder not in self.snapshot.folders:
            return  # (a menu of the catalog shown before: it has none of this one's folders)
        self.runner.submit(
            f"{self.mode}/folder-count",
            lambda ctx: self.session.folder_counts(name, folder),  # the index: not on this thread
            worker="io",
            on_done=lambda counts: self._confirm_forget(name, folder, *counts),
            on_error=lambda exc: self.messages.error(user_message(exc, f"forget the folder {folder}")),
        )

    def _confirm_forget(self, name: str, folder: str, images: int, skipped: int, files: int) -> None:
        from PySide6.QtWidgets import QMessageBox

        if name != self.name:
            return  # another catalog chosen meanwhile
        if self.is_opening():  # (the menu waits for the run; a missing folder's warning may not)
            self.messages.add_message(f"The catalog “{name}” is being indexed: forget {folder} once that is done, "
                                      "or Cancel it first.", "info")
            return
        last = self.snapshot is not None and self.snapshot.folders == (folder,)
        self._confirm(
            "Forget a folder", f"Forget the folder {folder} in the catalog “{name}”?",
            forget_words(images, skipped, files)
            + (" It is the catalog's last folder: the catalog is then empty, with no folder and no image "
               "(add a folder to it, or remove it, afterwards)." if last else "")
            + "\n\nYour files are not deleted, moved or changed: adding the folder again indexes them again.",
            ("Forget folder", QMessageBox.ButtonRole.AcceptRole),
            on_yes=lambda: self._forget(name, folder),
            on_no=self._say_missing_again,  # its "Forget folder…" took the warning down: still true
        )

    def _confirm(self, title: str, text: str, informative: str, yes: tuple, on_yes: Callable[[], None],
                 on_no: Callable[[], None]) -> None:
        """Ask before a change (``yes``: its button's text and role), Cancel the default button
        (Enter changes nothing); window-modal, so the window keeps painting. ``text`` names a
        user's folder or catalog: shown as plain text (a folder "Tom & Jerry's <b>x</b>" is no markup),
        a name not UTF-8 with its bytes as escapes (Qt drops such bytes)."""
        from PySide6.QtWidgets import QMessageBox

        box = QMessageBox(QMessageBox.Icon.Question, title, names_escaped(text), parent=self.parent())
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.setInformativeText(names_escaped(informative))
        accept = box.addButton(*yes)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        self.confirm_dialog = box

        def answered(_result: int) -> None:
            self.confirm_dialog = None
            box.deleteLater()
            (on_yes if box.clickedButton() is accept else on_no)()

        box.finished.connect(answered)
        box.open()

    def _say_missing_again(self) -> None:
        """The missing folders' warning, up again if the catalog shown still has folders away
        and nothing else is said (the message bar takes a message down when its button is used)."""
        snapshot = self.snapshot
        if snapshot is not None and snapshot.name == self.name and snapshot.missing_folders \
                and not self.messages.text():
            self.say("warning", missing_folders_text(snapshot), self._forget_away_action(snapshot))

    def ask_to_remove_catalog(self, again: bool = False) -> None:
        """Remove the catalog shown (not a sample) once the user has agreed, told that only
        vsdesk's index and settings of it go, never the images (`vsdesk catalogs remove`). What
        it holds is read again first, on the I/O thread: the command line may have indexed a
        folder into it since it was shown, and the question must name every image and folder
        the removal takes (``again``: it changed while the user was asked before)."""
        snapshot = self.snapshot
        if snapshot is None or snapshot.name != self.name or snapshot.is_sample or self.is_opening():
            return
        name = snapshot.name
        self.runner.submit(
            f"{self.mode}/remove-look",
            lambda ctx: self.session.removal_facts(name),  # the catalog's files: not on this thread
            worker="io",
            on_done=lambda facts: self._confirm_removal(name, *facts, again=again),
            on_error=lambda exc: self.messages.error(user_message(exc, f"remove the catalog “{name}”")),
        )

    def _confirm_removal(self, name: str, images: int, folders: tuple[str, ...], busy: bool,
                         again: bool = False) -> None:
        from PySide6.QtWidgets import QMessageBox

        if name != self.name or self.is_opening():
            return  # another catalog chosen, or an index run started, meanwhile
        if busy:  # the removal would be refused: said now, not after the user has agreed
            self.messages.add_message(f"The catalog “{name}” is being indexed by another vsdesk window or command: "
                                      "it can be removed once that is done.", "info")
            return
        shown = ", ".join(folders)
        searched = f": its {counted(images, 'image')} {'is' if images == 1 else 'are'} no longer searched" \
            if images else ""
        changed = ("It was changed while you were asked (another vsdesk window or command indexed it); this is "
                   "what it holds now.\n\n" if again else "")

        def remove() -> None:
            if self.name != name:
                return  # another catalog chosen meanwhile (the dialog is window-modal: from code)
            if self.is_opening():  # changed elsewhere while asked, and being brought up to date
                self.messages.add_message(f"Nothing was removed: the catalog “{name}” changed while you were asked "
                                          "and is being brought up to date; remove it once it is shown.", "info")
                return
            self._remove_catalog(name, (images, folders))

        def cancelled() -> None:
            snapshot = self.snapshot
            if snapshot is not None and snapshot.name == name and not snapshot.folders and not self.messages.text():
                self._say_no_folder(snapshot)  # its button took it down: still true

        self._confirm(
            "Remove a catalog", f"Remove the catalog “{name}”?",
            f"{changed}vsdesk's index and settings of it are deleted{searched}."
            + (f"\n\nYour images are not deleted, moved or changed: they stay in {shown}, and a new catalog of "
               "the folder indexes them again." if folders else
               "\n\nNo image is deleted, moved or changed: only vsdesk's own files go."),
            ("Remove catalog", QMessageBox.ButtonRole.DestructiveRole), on_yes=remove, on_no=cancelled,
        )

    def _say_no_folder(self, snapshot: CatalogSnapshot, lead: str = "") -> None:
        """A catalog of the user's with no folder left (the last one forgotten): what can be done,
        after ``lead`` (what became of that folder: one message, its button the removal)."""
        self.say("warning", (f"{lead} " if lead else "") + f"The catalog “{snapshot.name}” has no folder now: add one "
                             f"({self.catalog_bar.menu_title} › Add a folder to “{snapshot.name}”…), or remove the "
                             "catalog.", action=("Remove this catalog…", self.ask_to_remove_catalog))

    def _remove_catalog(self, name: str, expected: tuple[int, tuple[str, ...]]) -> None:
        """On the TensorFlow thread, in the catalog's own slot: never in the middle of its index run.
        Then the sample is shown. ``expected``: (images, folders) as the confirmation said them;
        if it holds others now, nothing is removed and the user is asked again."""
        self.catalog_bar.set_busy(True, "removing")
        self.catalog_bar.set_status(f"Removing “{name}”…")

        def removed(done) -> None:  # ``Removed``, or None: it changed meanwhile
            self.catalog_bar.set_busy(False)
            if done is None:
                if self.snapshot is not None:
                    self._show_status(self.snapshot)
                self.ask_to_remove_catalog(again=True)
                return
            self._unsay()
            # Said now, not once the sample has opened: that may fail (offline) or take a while.
            said = f"The catalog “{name}” was removed (vsdesk's index and settings of it); no image was touched."
            if done.left_over is not None:  # removed all the same: its folder is hidden, tried again later
                said += (f" Some of its index files could not be deleted ({done.why}): the folder {done.left_over} "
                         "holds only vsdesk's files, and can be deleted to free their space.")
            self._tell_removed(name, "warning" if done.left_over is not None else "info", said)
            self.refresh_list(select=DEFAULT_SAMPLE[self.mode])
            self.open(DEFAULT_SAMPLE[self.mode])

        self.runner.submit(
            f"{self.mode}/catalog",
            lambda ctx: self.session.remove_catalog(name, expected),
            label=f"{self.title}: removing “{name}”",
            on_done=removed,
            on_error=lambda exc: self._change_failed(exc, f"remove the catalog “{name}”"),
        )

    def _forget(self, name: str, folder: str) -> None:
        """On the TensorFlow thread, in the catalog's own slot: never in the middle of its index run."""
        self.catalog_bar.set_busy(True, "forgetting")
        self.catalog_bar.set_status(f"Forgetting {folder}…")

        def forgotten(done: tuple[int, int, set[str]]) -> None:  # (paths, files, contents)
            paths, files, hashes = done
            text = (f"The catalog “{name}” no longer searches {folder} ({image_count(files, paths)} forgotten); "
                    "the files themselves were not touched.")
            self._said_once_open = (name, [("", text)])
            self._forgotten = (name, text, hashes)  # its vectors kept? said once open (``say_if_vectors_kept``)
            self.open(name)  # shown without them, its map made again

        self.runner.submit(
            f"{self.mode}/catalog",
            lambda ctx: self.session.forget_folder(name, folder),  # (its contents read in the same opening)
            label=f"{self.title}: forgetting {folder} · “{name}”",
            on_done=forgotten,
            on_error=lambda exc: self._change_failed(exc, f"forget the folder {folder}"),
        )

    def say_if_vectors_kept(self) -> None:
        """Once the catalog a folder was forgotten in has opened (its run may drop the vectors
        no file uses, when they are many: docs/catalogs.md): if that folder's are still kept,
        its news says that adding it back is quick. Only then: it is not always true."""
        forgotten, self._forgotten = self._forgotten, None
        if forgotten is None or self.snapshot is None or self.snapshot.name != forgotten[0]:
            return
        name, text, hashes = forgotten

        def kept(yes: bool) -> None:
            if yes and self._said == text and self.messages.remove_message(text):
                self.say("info", f"{text[:-1]}; adding it back later is quick (its images' vectors are kept).")

        self.runner.submit(f"{self.mode}/vectors-kept", lambda ctx: self.session.vectors_kept(name, hashes),
                           worker="io", on_done=kept)

    def _change_failed(self, exc: BaseException, what: str) -> None:
        """A change to the catalog shown (a folder forgotten, the catalog removed) that could not
        be made: the bar as it was, and why."""
        self.catalog_bar.set_busy(False)
        if self.snapshot is not None:
            self._show_status(self.snapshot)
        self.say("error", user_message(exc, what))
