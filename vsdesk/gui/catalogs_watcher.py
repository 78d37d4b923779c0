"""One watch on vsdesk's catalog files for the whole window, shared by its tabs.

Each tab watches the catalogs' folder (a catalog made or removed by the command line) and the
shown catalog's settings and index. Three tabs made three ``QFileSystemWatcher``s watching the
same folder (three inotify watches, three wake-ups for each change): here one watcher holds the
union of what the tabs want, and tells each tab of the changes to its own paths.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QFileSystemWatcher, QObject


class CatalogsWatcher(QObject):
    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._watcher = QFileSystemWatcher(self)
        self._watcher.directoryChanged.connect(self._on_change)
        self._watcher.fileChanged.connect(self._on_change)
        self._wanted: dict[int, tuple[set[str], Callable[[str], None]]] = {}  # by the owner's id()

    def watch(self, owner: QObject, paths: list[str], on_change: Callable[[str], None]) -> None:
        """``owner`` wants ``paths`` watched (those it wanted before and not now no longer):
        ``on_change(path)`` is called when one of them changes. A file written again by a rename
        drops its watch (Qt's and inotify's way): call this again after each change."""
        self._wanted[id(owner)] = (set(paths), on_change)  # (owners live as long as the watcher: the tabs)
        self._sync()

    def watched(self) -> set[str]:
        return set(self._watcher.files()) | set(self._watcher.directories())

    def _sync(self) -> None:
        wanted = set().union(*(paths for paths, _on_change in self._wanted.values()))
        watched = self.watched()
        if watched - wanted:
            self._watcher.removePaths(sorted(watched - wanted))
        if wanted - watched:
            self._watcher.addPaths(sorted(wanted - watched))

    def _on_change(self, path: str) -> None:
        for paths, on_change in list(self._wanted.values()):
            if path in paths:
                on_change(path)


__all__ = ["CatalogsWatcher"]
