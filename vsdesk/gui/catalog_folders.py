"""A folder made a catalog of its own (its product model asked first when the user has others),
offered as one when it is dropped or pasted, or added to the catalog shown (as `vsdesk index
--catalog NAME FOLDER` does): the folders' part of ``TabCatalog``, in the slots "<mode>/add-folder"
and "<mode>/folder-lookup"."""

from __future__ import annotations

from typing import TYPE_CHECKING

from vsdesk.engine.text import sentence
from vsdesk.gui.errors import user_message

if TYPE_CHECKING:
    from vsdesk.engine.session import CatalogSnapshot, ModeSession
    from vsdesk.gui.catalog_bar import CatalogBar
    from vsdesk.gui.message_bar import MessageBar
    from vsdesk.gui.model_dialog import ModelChoiceDialog
    from vsdesk.gui.worker import TaskRunner


class CatalogFolders:
    """Mixed into ``TabCatalog``: uses the attributes declared below, its ``open`` and messages."""

    # What it uses of ``TabCatalog``'s state, all set in its ``__init__`` (declared here for readers
    # and type checkers; tests/test_gui_catalog_mixins.py checks that a built tab has each, and
    # that every ``self.X`` used here is one of these or one of the tab's methods and signals).
    mode: str
    name: str
    session: ModeSession
    runner: TaskRunner
    messages: MessageBar
    catalog_bar: CatalogBar
    snapshot: CatalogSnapshot | None
    model_dialog: ModelChoiceDialog | None
    _offered: tuple[str, str] | None
    _open_when_looked_up: bool
    _said: str
    _until_opened: str

    # -- folders -----------------------------------------------------------------------------------
    def add_folder(self, folder: str) -> None:
        """Make a catalog of a user's folder and index it (in the background). A new catalog of a
        mode with models of the user's to choose from (product: trained or imported ones) is
        indexed with the one the user chooses first (``ModelChoiceDialog``)."""
        def look(ctx):  # the catalogs' and models' small files, the folder listed: here, not on the window's thread
            from vsdesk.engine.catalog import unreadable_folders
            from vsdesk.engine.session import no_catalog_words

            if self.session.folder_catalog(folder):
                return []
            unreadable = unreadable_folders([folder])  # before a model is asked: as `vsdesk index` does
            return no_catalog_words(unreadable) if unreadable else self.session.model_choices()

        self.runner.submit(
            f"{self.mode}/add-folder",  # its own slot: a refresh of the list must not cancel it
            look,
            worker="io",
            on_done=lambda choices: self._choose_model(folder, choices),
            on_error=lambda exc: self.messages.error(user_message(exc, f"add the folder {folder}")),
        )

    def _choose_model(self, folder: str, choices: list | str) -> None:
        if isinstance(choices, str):  # the folder cannot be listed: said, no catalog made
            self.messages.warning(f"{sentence(choices)}.")
            return
        if len(choices) < 2:  # the shipped model alone (no trained ones), or a catalog already
            self._create_folder_catalog(folder, None)
            return
        from vsdesk.gui.model_dialog import ModelChoiceDialog

        dialog = ModelChoiceDialog(folder, choices, self.parent())
        self.model_dialog = dialog

        def answered(result: int) -> None:
            self.model_dialog = None
            dialog.deleteLater()
            if result == ModelChoiceDialog.DialogCode.Accepted:
                self._create_folder_catalog(folder, dialog.chosen())

        dialog.finished.connect(answered)
        dialog.open()  # window-modal; the window keeps painting

    def _create_folder_catalog(self, folder: str, model: str | None) -> None:
        # Said now, not as the folder is given: while the model is asked, nothing is indexed.
        self._note_until_opened(f"Adding {folder} as a catalog; indexing runs in the background.")

        def add(ctx):
            before = set(self.session.catalog_names())
            name = self.session.create_folder_catalog(folder, model)
            return name, self.session.catalog_names(), name in before

        self.runner.submit(
            f"{self.mode}/add-folder",
            add,
            worker="io",
            on_done=lambda result: self._on_folder_added(folder, *result),
            on_error=lambda exc: self.messages.error(user_message(exc, f"add the folder {folder}")),
        )

    def offer_folder(self, folder: str) -> None:
        """A dropped or pasted folder: its catalog is opened if it has one; else it is offered."""
        self.runner.submit(
            f"{self.mode}/folder-lookup",
            lambda ctx: self.session.folder_catalog(folder),  # reads the catalogs' files: not here
            worker="io",
            on_done=lambda name: self._on_folder_looked_up(folder, name),
            on_error=lambda exc: self._on_folder_looked_up(folder, None),  # it is then offered
        )

    def _folder_offer(self, folder: str, shown: str | None) -> tuple:
        """The message offering a dropped folder: added to ``shown``, the user's catalog shown,
        or made a catalog of its own (None: the sample shown, only that)."""
        new = ("New catalog", lambda: self.add_folder(folder))
        if shown is not None:
            return (f"Add the folder “{folder}” to the catalog “{shown}”, or make it a catalog of its own? "
                    "Its images are indexed in the background.", "info",
                    (f"Add to “{shown}”", lambda: self.add_folder_to_catalog(folder)), new)
        return (f"Add the folder “{folder}” as a catalog to search? Its images are indexed in the background.",
                "info", ("Add folder", new[1]))

    def _offer_to_shown(self) -> None:
        """The user's catalog is shown: an offer of a folder made before it was (a folder given at
        start, while it opened) now offers to add the folder to it too."""
        snapshot = self.snapshot
        if self._offered is None or snapshot is None or snapshot.is_sample or snapshot.name != self.name:
            return
        text, folder = self._offered
        offer = self._folder_offer(folder, snapshot.name)
        if offer[0] != text and self.messages.remove_message(text):
            self._offered = (offer[0], folder)
            self.messages.add_message(*offer, offer=True)

    def _offer_again(self) -> None:
        """The catalog shown is left: an offer up to add a folder to it now offers a catalog of
        the folder only (its button named the catalog left)."""
        if self._offered is not None and self.messages.remove_message(self._offered[0]):
            offer = self._folder_offer(self._offered[1], None)
            self._offered = (offer[0], self._offered[1])
            self.messages.add_message(*offer, offer=True)

    def open_once_looked_up(self) -> bool:
        """The tab starts while a folder given at launch is being looked up: the catalog chosen
        before (the sample, often) is opened once that is done, if the folder is no catalog of
        its own; else a run of it began only to be stopped, and a sample stopped so was left
        "0 images so far … did not finish" for good. Whether the opening waits."""
        # (paths given are first sorted into folders and files, then a folder is looked up)
        slots = (f"{self.mode}/open-paths", f"{self.mode}/folder-lookup")
        self._open_when_looked_up = any(self.runner.is_running(slot) for slot in slots)
        return self._open_when_looked_up

    def open_if_waiting(self, found: str | None = None) -> None:
        """The paths given are sorted, or the folder looked up (``found``: its catalog, if it
        has one): the catalog chosen before is opened now if the tab's start waited for that,
        unless the folder's catalog is another, which its look-up opens."""
        if self._open_when_looked_up:
            self._open_when_looked_up = False
            if found is None or found == self.name:
                self.open(self.name)

    def _on_folder_looked_up(self, folder: str, name: str | None) -> None:
        self.open_if_waiting(name)
        if name is None:
            shown = self.snapshot.name if self.snapshot is not None and not self.snapshot.is_sample else None
            offer = self._folder_offer(folder, shown if shown == self.name else None)  # (not one being left)
            self._offered = (offer[0], folder)
            if self._said and self.messages.says(self._said):
                # What is up about the catalog shown (it could not be opened ...) is still true.
                self.messages.add_message(*offer, offer=True)
            else:
                self.messages.show_message(*offer, offer=True)
        elif name == self.name:
            self.messages.info(f"{folder} is the catalog “{name}”, the one open here.")
        else:
            self.messages.info(f"{folder} is the catalog “{name}”: it is opened.")
            self.catalog_bar.set_catalogs(self.catalog_bar.names(), name)
            self.open(name)

    def _on_folder_added(self, folder: str, name: str, names: list[str], existed: bool) -> None:
        if existed:
            self._drop_note()  # this note replaces "Adding …" and stays
            self._tell("info", f"{folder} is already the catalog “{name}”: it is brought up to date.")
        self.catalog_bar.set_catalogs(names, name)
        self.open(name)

    # -- a folder added to the catalog shown ----------------------------------------------------------
    def choose_folder_to_add(self) -> None:
        """The window's menu: a folder to add to the catalog shown, chosen in the file dialog;
        a sample shown is said not to take one, rather than the entry doing nothing."""
        if self._refuse_sample():
            return
        self.catalog_bar.choose_folder_to_add()

    def _refuse_sample(self) -> bool:
        """Whether the catalog shown cannot take a folder (a sample, or none shown yet): said."""
        if self.snapshot is None or self.snapshot.name != self.name:
            self._until_opened = f"The catalog “{self.name}” is opening: a folder can be added to it once it is shown."
            self._tell("info", self._until_opened)  # (beside an offer up: a folder given at start)
            return True
        if self.snapshot.is_sample:
            self.messages.warning(f"Folders are added to a catalog of your own, not to the sample “{self.name}”: "
                                  f"make a catalog of the folder ({self.catalog_bar.menu_title} › New "
                                  "catalog from a folder…).")
            return True
        return False

    def add_folder_to_catalog(self, folder: str) -> None:
        """Index ``folder`` into the catalog shown (in its run, as `vsdesk index --catalog NAME
        FOLDER` does): with the progress and the Cancel of any index run. A run of it under way
        gives way to this one, which goes on from where it was."""
        name = self.name
        if self._refuse_sample():
            return
        catalog_folders = self.snapshot.folders

        def look(ctx):  # a stat or two, a listing: on a network disk that stopped answering, not here
            from vsdesk.engine.catalog import unreadable_folders, unreadable_words, why_not_a_folder

            problem = why_not_a_folder(folder)
            if problem:
                return f"Could not add {folder} to the catalog “{name}”: {problem}."
            # One that cannot be listed is not added, as `vsdesk index` refuses it, in its words
            # (one of the catalog's folders already is left to the run, which says it skipped).
            unreadable = unreadable_folders([folder], catalog_folders)
            if unreadable:
                return f"{sentence(unreadable_words(unreadable))}; it was not added to the catalog “{name}”."
            return None

        self.runner.submit(
            f"{self.mode}/add-folder", look, worker="io",
            on_done=lambda refusal: self._add_to_catalog(name, folder, refusal),
            on_error=lambda exc: self.messages.error(user_message(exc, f"add the folder {folder}")),
        )

    def _add_to_catalog(self, name: str, folder: str, refusal: str | None) -> None:
        if refusal:
            self.messages.warning(refusal)
            return
        if name != self.name:
            return  # another catalog was chosen meanwhile
        self._note_until_opened(f"Adding {folder} to the catalog “{name}”; its images are indexed in the background.")
        self.open(name, add_folders=(folder,))
