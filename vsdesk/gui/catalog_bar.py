"""The catalog row of a tab: which catalog is searched, its menu (a new catalog from a folder;
a folder added to the catalog shown or forgotten; product: its model; the catalog removed),
indexing progress + Cancel."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QDir, QStandardPaths, Qt, Signal
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMenu,
    QProgressBar,
    QPushButton,
    QWidget,
)

from vsdesk.engine.text import names_escaped
from vsdesk.gui import theme
from vsdesk.gui.accessible import name_combo
from vsdesk.gui.elided_label import ElidedLabel
from vsdesk.gui.menu_key import number_key
from vsdesk.gui.settings import Settings, nameable_folder


#: The catalog menu's button, by whether the mode has models to choose from.
MENU_TITLES = {False: "Folders", True: "Folders & model"}
#: Its text on the button: Alt+L opens it (F is the File menu's, O left to the Open… button); the
#: "&" of "Folders & model" shown, not taken as the letter.
MENU_BUTTON_TEXTS = {False: "Fo&lders", True: "Fo&lders && model"}
#: A Forget entry is at most this wide (px): a long path must not make the menu as wide as the screen.
FORGET_ENTRY_WIDTH = 520


def menu_title(mode: str) -> str:
    """The catalog menu's name on ``mode``'s tab, as messages name it ("Folders › …")."""
    return MENU_TITLES[mode == "product"]


class CatalogBar(QWidget):
    catalog_chosen = Signal(str)
    #: Every signal that carries a folder: ``object``, not ``str``: Qt's string drops the bytes
    #: of a name that is not UTF-8 (its lone surrogates), and the folder sent is then none.
    folder_chosen = Signal(object)  # a folder to make a new catalog of
    folder_to_add = Signal(object)  # a folder to add to the catalog shown
    forget_requested = Signal(object)  # one of the catalog's folders, to forget (asked first)
    model_requested = Signal()  # product: index the catalog with another model (asked first)
    remove_requested = Signal()  # remove the catalog shown, not a sample (asked first)
    cancel_requested = Signal()
    details_requested = Signal()  # the status line's link (e.g. "3 skipped") was clicked

    def __init__(self, parent: QWidget | None = None, has_models: bool = False, settings: Settings | None = None):
        """``has_models``: the mode has models to choose from (product): the menu offers them.
        ``settings``: where the folder dialogs' last folder is kept (None: not kept)."""
        super().__init__(parent)
        self._settings = settings
        self._forget_folders: list[str] = []  # the Forget entries' folders, by their ``data()``
        #: Where the folder dialog starts when no folder was chosen before: home until the
        #: user's Pictures folder is found on a worker thread (``set_pictures``): a stat here
        #: could hang the window on a network home.
        self._pictures = QDir.homePath()
        self.combo = QComboBox()
        self.combo.setMinimumContentsLength(18)
        self.combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.combo.currentIndexChanged.connect(self._on_index_changed)
        self._build_menu(has_models)
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(260)
        # Room for "40320/100000" with the bar on both sides of it: at its size hint (95 px) the
        # count filled the bar, half of it in white on the part done.
        self.progress.setMinimumWidth(min(260, 2 * self.progress.fontMetrics().horizontalAdvance("88888/888888")))
        self.progress.setTextVisible(True)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop indexing; what is indexed so far is kept")
        self.cancel_button.clicked.connect(self.cancel_requested)
        self.status = ElidedLabel("")  # a long folder path ("Forgetting …") must not widen the window
        theme.muted(self.status)
        self.status.linkActivated.connect(lambda _link: self.details_requested.emit())
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        label = QLabel("&Catalog:")  # Alt+C: the keyboard's way to the list (no menu has C)
        label.setBuddy(self.combo)  # a screen reader says which list the combo is
        name_combo(self.combo, "Catalog")
        self.combo.setAccessibleDescription("The catalog searched and mapped in this tab")
        layout.addWidget(label)
        layout.addWidget(self.combo)
        layout.addWidget(self.menu_button)
        layout.addWidget(self.progress)
        layout.addWidget(self.cancel_button)
        layout.addWidget(self.status, 1)
        self.set_busy(False)
        self._quiet = False
        self.set_catalog("", (), is_sample=True)

    def _build_menu(self, has_models: bool) -> None:
        # A push button: with its menu it keeps room for the menu's arrow beside its text (a tool
        # button's arrow lay over the end of "Folders & model").
        self.menu_button = QPushButton()
        self.menu_title = MENU_TITLES[has_models]  # as messages name it
        self.menu_button.setText(MENU_BUTTON_TEXTS[has_models])
        self.menu_button.setToolTip("Add a folder to the catalog, forget one, or make a new catalog of a folder"
                                    + ("; the product model it is indexed with" if has_models else ""))
        self.menu = QMenu(self.menu_button)
        self.menu.setToolTipsVisible(True)  # why an entry is unavailable (a sample catalog)
        self.add_action = self.menu.addAction("&Add a folder to this catalog…", self.choose_folder_to_add)
        self.forget_menu = self.menu.addMenu("&Forget a folder of this catalog")
        self.forget_menu.setToolTipsVisible(True)
        self.model_action = None
        if has_models:
            self.model_action = self.menu.addAction("Product &model…", lambda: self.model_requested.emit())
        self.remove_action = self.menu.addAction("&Remove this catalog…", lambda: self.remove_requested.emit())
        self.menu.addSeparator()
        self.new_action = self.menu.addAction("&New catalog from a folder…", self.choose_folder)
        self.new_action.setToolTip("Index one of your own folders (searched recursively) as a catalog of its own")
        self.menu_button.setMenu(self.menu)

    def set_catalog(self, name: str, folders: tuple[str, ...], is_sample: bool, model: str = "",
                    counts: dict[str, str] | None = None, away: tuple[str, ...] = ()) -> None:
        """What the menu offers for the catalog shown: a sample's folder is vsdesk's own (neither
        added to nor forgotten); ``model``: the product model it is indexed with, in words;
        ``counts``: the images of each folder in words ("5 images"), ``away``: its folders away (the Forget entries say so)."""
        self._catalog = name
        self.add_action.setText(f"&Add a folder to “{_short(name)}”…" if name else "&Add a folder to this catalog…")
        self.add_action.setEnabled(bool(name) and not is_sample)
        self.add_action.setToolTip("A sample catalog: make a catalog of your own folder (below), then add "
                                   "folders to it" if is_sample else
                                   "Its images are indexed into this catalog, in the background")
        self.forget_menu.clear()
        self.forget_menu.setTitle(f"&Forget a folder of “{_short(name)}”" if name else "&Forget a folder of this catalog")
        # Each entry's data is its folder's place in this list: a name not UTF-8 given to Qt
        # (``setData``) comes back without its bytes, and forgetting that is no folder of it.
        self._forget_folders = [] if is_sample else list(folders)
        for index, folder in enumerate(self._forget_folders):
            # Numbered for the keyboard ("&1 /photos/2023 — 5 images"): ``number_key``.
            action = self.forget_menu.addAction(self._forget_entry(folder, (counts or {}).get(folder), folder in away,
                                                                   number_key(index + 1)))
            action.setData(index)
            action.setToolTip(f"{names_escaped(folder)}\nIts images leave this catalog (asked first); the files are not touched")
            action.triggered.connect(lambda _checked=False, entry=action: self.forget_requested.emit(self.folder_of(entry)))
        self.forget_menu.setEnabled(bool(self.forget_menu.actions()))
        self.remove_action.setEnabled(bool(name) and not is_sample)
        self.remove_action.setToolTip("A sample catalog is vsdesk's own" if is_sample else
                                      "vsdesk's index and settings of it are deleted (asked first); your images are "
                                      "not touched")
        if self.model_action is not None:
            self.model_action.setText(f"Product &model: {(model or 'the shipped model').replace('&', '&&')} — change…")
            self.model_action.setEnabled(bool(name))

    def _forget_entry(self, folder: str, images: str | None, away: bool, key: str = "") -> str:
        """A Forget entry: its ``key`` ("&1 "), the folder, a long path shortened in the middle
        (its end, the folder's own name, kept; the whole path is in the tooltip), with its
        images or "(away)"."""
        after = ("" if images is None else f" — {images}") + (" (away)" if away else "")
        metrics = QFontMetrics(self.forget_menu.font())
        room = FORGET_ENTRY_WIDTH - metrics.horizontalAdvance(key.replace("&", "") + after)
        shown = metrics.elidedText(names_escaped(folder), Qt.TextElideMode.ElideMiddle, room)
        return key + (shown + after).replace("&", "&&")  # a name's "&" is no shortcut

    def forget_actions(self) -> list:
        """The Forget submenu's entries, one per folder of the catalog shown (``folder_of``)."""
        return self.forget_menu.actions()

    def folder_of(self, action) -> str:
        """The folder a Forget entry forgets, its name as it is (bytes not UTF-8 kept)."""
        return self._forget_folders[action.data()]

    def set_catalogs(self, names: list[str], current: str | None = None) -> None:
        self._quiet = True
        self.combo.clear()
        self.combo.addItems(names)
        if current in names:
            self.combo.setCurrentIndex(names.index(current))
        self._quiet = False

    def select(self, name: str) -> None:
        """Show ``name`` as the catalog chosen, without asking for it again: a catalog opened
        by the window itself (at start, resumed, one given on the command line). One the list
        does not have yet (made since it was read) is added to it."""
        names = self.names()
        if name not in names:
            self.set_catalogs([*names, name], name)
        elif self.combo.currentText() != name:
            self._quiet = True
            self.combo.setCurrentIndex(names.index(name))
            self._quiet = False

    def names(self) -> list[str]:
        return [self.combo.itemText(i) for i in range(self.combo.count())]

    def current(self) -> str:
        return self.combo.currentText()

    def set_busy(self, busy: bool, message: str = "", switchable: bool = False, fixed_because: str = "") -> None:
        """Progress and Cancel shown while ``busy``, the menu off. ``switchable``: the list stays
        on (an index run: another catalog chosen stops it, what it did kept); else
        ``fixed_because`` says (its tooltip) why it is off."""
        self.combo.setToolTip(fixed_because if busy and not switchable else "")
        self.progress.setVisible(busy)
        self.cancel_button.setVisible(busy)
        self.cancel_button.setEnabled(busy)
        if busy:
            self.progress.setRange(0, 0)  # busy until the first progress report
            self.progress.setFormat(message or "%p%")
        self.combo.setEnabled(not busy or switchable)
        self.menu_button.setEnabled(not busy)

    def set_progress(self, done: int, total: int, message: str = "") -> None:
        """``total`` 0: a step that cannot be measured (loading the model): the bar is busy, not
        left full from the step before ("32/32" beside "loading the style model"). A name not
        UTF-8 in ``message`` with its bytes as escapes (Qt drops such bytes)."""
        message = names_escaped(message)
        if total > 0:
            self.progress.setRange(0, total)
            self.progress.setValue(min(done, total))
            self.progress.setFormat(f"{done}/{total}")
        else:
            self.progress.setRange(0, 0)
            self.progress.setFormat(message or "%p%")
        if message:
            self.progress.setToolTip(message)
            self.status.setText(message)

    def set_status(self, text: str, tooltip: str = "", link: str = "") -> None:
        """Plain ``text``, then ``link`` (if any) as a link that emits ``details_requested``. A
        folder's name not UTF-8 in them with its bytes as escapes (Qt drops such bytes)."""
        self.status.set_text(names_escaped(text), link, names_escaped(tooltip))

    def _on_index_changed(self, _index: int) -> None:
        if not self._quiet and self.combo.currentText():
            self.catalog_chosen.emit(self.combo.currentText())

    def choose_folder(self) -> None:
        """A folder to make a new catalog of (the window's File menu lands here too)."""
        if not self.menu_button.isEnabled():
            return  # indexing: one catalog at a time
        folder = self._ask_folder("New catalog from a folder")
        if folder:
            self.folder_chosen.emit(folder)

    def choose_folder_to_add(self) -> None:
        """A folder to add to the catalog shown (the window's File menu lands here too)."""
        if not self.menu_button.isEnabled() or not self.add_action.isEnabled():
            return  # indexing, or a sample catalog shown
        folder = self._ask_folder(f"Add a folder to “{self._catalog}”")
        if folder:
            self.folder_to_add.emit(folder)

    def set_pictures(self, folder: str) -> None:
        """The user's Pictures folder (``pictures_folder``, found off the window's thread)."""
        self._pictures = folder or QDir.homePath()

    def _ask_folder(self, title: str) -> str:
        """The folder dialog, started beside the last folder chosen (in the folder holding it:
        the next one is usually its sibling, and a folder inside it is refused as nested),
        else in the user's Pictures, else home; not in the folder the window was started from."""
        last = self._settings.last_catalog_folder() if self._settings is not None else ""
        start = nameable_folder(str(Path(last).parent)) if last else ""
        folder = QFileDialog.getExistingDirectory(self, title, start or self._pictures)
        if folder and self._settings is not None:
            self._settings.set_last_catalog_folder(folder)
        return folder


def pictures_folder() -> str:
    """The user's Pictures folder, or home if there is none: a stat, for a worker thread
    (QStandardPaths is thread-safe)."""
    pictures = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.PicturesLocation)
    return pictures if pictures and Path(pictures).is_dir() else QDir.homePath()


def _short(name: str, limit: int = 40) -> str:
    """A catalog name as a menu entry shows it: a long one shortened, an "&" no shortcut."""
    return (name if len(name) <= limit else name[: limit - 1] + "…").replace("&", "&&")
