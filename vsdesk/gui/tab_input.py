"""What comes into a tab from the desktop, and results going out to it: drops, the clipboard,
the file dialog, paths given at start, and a result opened with the desktop's application.

Every stat of a path the user gave is a task on the I/O thread (a network disk that stopped
answering hangs a stat); what is found is handed to the ``TabQuery`` (a file: searched) or the
``TabCatalog`` (a folder: opened or offered as a catalog).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Qt, QUrl
from PySide6.QtGui import QGuiApplication, QImage
from PySide6.QtWidgets import QFileDialog, QHeaderView, QTreeView, QWidget

from vsdesk.engine.imageio import IMAGE_SUFFIXES
from vsdesk.engine.text import counted, shown_path
from vsdesk.gui.drop_payload import DropPayload, local_path, read_drag
from vsdesk.gui.errors import user_message
from vsdesk.gui.gallery import GalleryView, copy_file_path
from vsdesk.gui.message_bar import MessageBar
from vsdesk.gui.query_area import QueryArea
from vsdesk.gui.settings import Settings, nameable_folder
from vsdesk.gui.tab_catalog import TabCatalog
from vsdesk.gui.tab_query import TabQuery
from vsdesk.gui.worker import TaskRunner
from vsdesk.gui.worker_job import TaskContext

NOTHING_TO_PASTE = "The clipboard holds no image and no image file path."
IMAGE_FILTER = "Images (" + " ".join(f"*{s}" for s in sorted(IMAGE_SUFFIXES)) + ");;All files (*)"


class TabInput(QObject):
    def __init__(self, *, mode: str, runner: TaskRunner, settings: Settings, catalog: TabCatalog, query: TabQuery,
                 query_area: QueryArea, gallery: GalleryView, messages: MessageBar, parent: QWidget):
        super().__init__(parent)  # the tab: the file dialog's parent
        self.mode = mode
        self.runner = runner
        self.settings = settings
        self.catalog = catalog
        self.query = query
        self.query_area = query_area
        self.gallery = gallery
        self.messages = messages
        self._drag: DropPayload | None = None  # what the drag over the window holds

    # -- drag and drop ---------------------------------------------------------------------------
    # Accepted as a copy, never as the move a source may propose: vsdesk only reads what is
    # dropped, and a source told "moved" removes its original (a Qt list view deletes its row).
    def drag_enter(self, event) -> None:
        self._drag = read_drag(event.mimeData())
        if self._drag is not None and self._drag.needs_look():
            self._look_for_folders(self._drag)
        self.drag_move(event)

    def drag_move(self, event) -> None:
        verdict = self._drag.acceptable() if self._drag is not None else False
        if verdict is False:
            event.ignore()  # the cursor says no: a drop would only be refused
        else:  # (not known yet, a stat on its way: accepted, as the drop says what it finds)
            event.setDropAction(Qt.DropAction.CopyAction)
            event.accept()
        self.query_area.set_drag_highlight(verdict is True)

    def drag_leave(self) -> None:
        self._drag = None
        self.query_area.set_drag_highlight(False)

    def _look_for_folders(self, payload: DropPayload) -> None:
        """Which of the dragged paths (none an image by its name) are folders, asked on the I/O
        thread (a stat can hang on a network disk); the highlight follows the answer, the cursor
        at the next move."""
        paths = list(payload.paths)

        def answered(folders: list[str]) -> None:
            payload.folders = folders
            if payload is self._drag:
                self.query_area.set_drag_highlight(bool(folders))

        self.runner.submit(f"{self.mode}/drag-look", lambda ctx: [p for p in paths if _is_dir(Path(p))],
                           worker="io", urgent=True, on_done=answered)

    def drop(self, event) -> None:
        self.query_area.set_drag_highlight(False)
        payload = read_drag(event.mimeData())
        self._drag = None
        if payload is None and event.mimeData().hasUrls():
            self.messages.warning("Only files on this computer can be searched (the drop held web links).")
        elif payload is None:
            event.ignore()
            return
        elif payload.paths:
            self.open_paths(payload.paths, "dropped")
        else:
            self.query.search_qimage(QImage(event.mimeData().imageData()), "the dropped image")
        event.setDropAction(Qt.DropAction.CopyAction)
        event.accept()

    # -- the file dialog and the clipboard -------------------------------------------------------
    def choose_file(self) -> None:
        # In the folder of the last image the user opened or dropped to search with (the working
        # folder the window was started from is rarely where the user's pictures are).
        start = nameable_folder(self.settings.last_query_folder())
        path = ask_for_image(self.parent(), "Search with an image", start)
        if path:
            self.query.search_path(path, opened=True)

    def paste(self) -> None:
        mime = QGuiApplication.clipboard().mimeData()
        if mime is not None and mime.hasImage():
            image = QGuiApplication.clipboard().image()
            if not image.isNull():
                self.query.search_qimage(image, "the clipboard image")
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

    # -- paths -----------------------------------------------------------------------------------
    def handle_urls(self, urls: list[QUrl]) -> None:
        """Dropped or pasted URLs: folders are offered as catalogs, the first file is searched."""
        local = [local_path(u) for u in urls if u.isLocalFile()]
        if not local:
            self.messages.warning("Only files on this computer can be searched (the drop held web links).")
            return
        self.open_paths(local, "dropped")

    def open_paths(self, paths: list[str], how: str, only_if_there: bool = False) -> None:
        """Files or folders dropped, pasted or given at start (``how``): a folder alone is offered
        as a catalog, else the first file that is there is searched (if none is, the first one:
        the search says why), and the note says what was left aside. Which is which is asked on
        the I/O thread: a stat can hang on a network disk that stopped answering.
        ``only_if_there``: a pasted text that names nothing is not a path."""
        paths = [str(Path(p).expanduser().absolute()) for p in paths]  # no I/O: the working folder

        def sort(ctx: TaskContext) -> tuple[list[str], list[str]]:
            return [p for p in paths if _is_dir(Path(p))], [p for p in paths if _exists(Path(p))]

        self.runner.submit(
            f"{self.mode}/open-paths", sort, worker="io",
            on_done=lambda result: self._open_sorted_paths(paths, *result, how, only_if_there),
            on_error=lambda exc: self._paths_not_sorted(exc, paths, how),
        )

    def _paths_not_sorted(self, exc: BaseException, paths: list[str], how: str) -> None:
        """Which of the paths are folders could not be told: said, and the catalog whose
        opening waited for them (the tab's start, ``open_once_looked_up``) is opened all the same."""
        self.catalog.open_if_waiting()
        given = shown_path(paths[0]) if len(paths) == 1 else counted(len(paths), "path")
        self.messages.error(user_message(exc, f"look at {given} ({how})"))

    def _open_sorted_paths(self, paths: list[str], folders: list[str], there: list[str], how: str,
                           only_if_there: bool) -> None:
        files = [p for p in paths if p not in folders]
        if not (folders and not files):
            self.catalog.open_if_waiting()  # no folder to look up: the tab's start waited for nothing
        if only_if_there and not there:
            self.messages.warning(NOTHING_TO_PASTE)
            return
        if folders and not files:
            self.catalog.offer_folder(folders[0])
            return
        searched = next((p for p in files if p in there), files[0])
        aside = []
        if len(files) > 1:
            missing = [shown_path(Path(p).name) for p in files if p not in there]
            aside.append(f"searching with {shown_path(Path(searched).name)}"
                         + (f" ({', '.join(missing)} not found)" if missing and searched != files[0] else ""))
        if folders:
            aside.append(f"{counted(len(folders), 'folder')} left aside (a folder given alone becomes a catalog)")
        given = " and ".join(counted(n, what) for n, what in ((len(files), "file"), (len(folders), "folder")) if n)
        note = f"{given} {how}: {'; '.join(aside)}." if aside else ""
        self.query.search_path(searched, note, opened=True)

    # -- results opened with the desktop ---------------------------------------------------------
    def open_if_there(self, path: str) -> None:
        """A result (or its folder) is opened by the desktop once the I/O thread has seen it is
        there; a missing one (a catalog on an unplugged disk) is said here, not left to the
        desktop's opener, which would fail where the user does not see it. Each path has a
        slot of its own: two results double-clicked in quick succession are both opened (in one
        slot, the second cancelled the first's check, and the first was never opened)."""
        self.runner.submit(
            f"{self.mode}/open:{path}", lambda ctx: _exists(Path(path)), worker="io",
            on_done=lambda there: self.gallery.open_path(path) if there else self._on_open_missing(path),
        )

    # About an image of the catalog shown: taken down when the user turns to another catalog.
    def _on_open_missing(self, path: str) -> None:
        self.catalog.say(
            "warning", f"Cannot open {shown_path(path)}: it is not there (moved or deleted, or on a disk that is not "
                       "plugged in?).",
            action=("Copy path", lambda: copy_file_path(path)),
        )

    def on_open_failed(self, path: str) -> None:
        copy = ("Copy path", lambda: copy_file_path(path))
        if not any(item.path == path for item in self.gallery.results.items()):  # a folder ("Open containing folder")
            self.catalog.say("warning", f"Nothing opened {shown_path(path)}: this desktop has no application set up "
                                        "to open it.", action=copy)
            return
        # An image double-clicked: what a new user tried, looking for a search with it (only in
        # the right-click menu): offered here, the way to it said.
        self.catalog.say(
            "warning", f"Nothing opened {shown_path(path)}: this desktop has no application set up to open it. To "
                       "search with this image instead: “Search with it” (or right-click an image › Search from this "
                       "result).",
            action=("Search with it", lambda: self.query.search_path(path)), other=copy,
        )


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


#: The Open… dialog's size, at most (and at most 90 % of the window's): Qt's own dialog opened at
#: about 630×410, its size column cut to "342…tes" and its dates to "28 11 2…6 17:55".
OPEN_DIALOG_SIZE = (960, 600)


def ask_for_image(parent: QWidget, title: str, start: str) -> str:
    """An image file the user chooses in the desktop's file dialog (or Qt's, sized to show its
    columns whole), "" for none."""
    dialog = QFileDialog(parent, title, start, IMAGE_FILTER)
    dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
    dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptOpen)
    fit_file_dialog(dialog, parent)
    try:
        return dialog.selectedFiles()[0] if dialog.exec() and dialog.selectedFiles() else ""
    finally:
        dialog.deleteLater()


def fit_file_dialog(dialog: QFileDialog, parent: QWidget) -> None:
    """Qt's own file dialog (the desktop's ignores this) big enough for its columns: the size,
    type and date columns as wide as what they show."""
    window = parent.window()
    width, height = OPEN_DIALOG_SIZE
    dialog.resize(min(width, window.width() * 9 // 10), min(height, window.height() * 9 // 10))
    for view in dialog.findChildren(QTreeView):
        for column in range(1, view.header().count()):
            view.header().setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
