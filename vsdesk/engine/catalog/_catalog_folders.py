"""A catalog's folders as its index knows them (``Catalog``'s part, ``CatalogFolders``): their
times, linked folders, mount points and links to single images at the last complete run, which
of them are changed or away now, and what the index holds in one of them.
"""

from __future__ import annotations

import os
import sqlite3
from typing import Iterable

from vsdesk.engine.catalog._index_contents import SEARCHED, SEARCHED_FILES
from vsdesk.engine.catalog._folder_changes import changed_in_place, changed_roots
from vsdesk.engine.catalog._folders_away import attached_away_kind, away_folders, is_away
from vsdesk.engine.catalog._path_columns import folder_range_sql
from vsdesk.engine.catalog._scan import (
    MOUNT,
    is_image_link_away,
    is_within,
    listed_entries,
)


#: ``Catalog.changed_folders`` checks catalogs of this many folders at most (a stat each, ~5 us
#: when cached: /usr's 15,000 took 75 ms), so a search is never slowed by a bigger tree; the
#: time budget (``_folder_changes.CHANGE_CHECK_BUDGET``) covers a slow disk.
MAX_CHECKED_FOLDERS = 10_000


class CatalogFolders:
    """``Catalog``'s folders as its index knows them; its connection, lock and errors
    (``_storage``) are ``Catalog``'s."""

    def note_folder_times(self, noted: list[tuple[str, str, int]], away: Iterable[str] = (),
                          attached: Iterable[tuple[str, str, str]] = (),
                          image_links: Iterable[tuple[str, str]] = ()) -> None:
        """Keep the folder times of a complete scan (``ScanResult.folder_times``), which
        ``changed_folders`` compares with, and its linked folders and mount points
        (``ScanResult.attached``) and links to single images (``ScanResult.image_links``),
        which tell later that a disk is away. The folders ``away`` in that scan (roots missing,
        empty, not mounted; linked folders leading nowhere; mount points left empty; image links
        away) keep what was noted before for them and the folders in them: their entries were
        kept as they were, so a disk that comes back unchanged is not "changed", and one still
        away is still told."""
        away = list(away)
        with self._lock, self._storage(), self.conn:
            self.conn.execute("BEGIN IMMEDIATE")
            for table, columns, rows in (
                ("folder_times", "folder, root, mtime_ns", [(folder, root, mtime) for root, folder, mtime in noted]),
                ("attached_folders", "folder, kind, root", [(folder, kind, root) for root, folder, kind in attached]),
                ("image_links", "link, root", [(link, root) for root, link in image_links]),
            ):
                kept = [row for row in self.conn.execute(f"SELECT {columns} FROM {table}")
                        if any(is_within(row[0], folder) for folder in away)] if away else []
                for root in {root for root, _, _ in noted}:
                    self.conn.execute(f"DELETE FROM {table} WHERE root = ?", (root,))
                # The rows kept go in last: over the scan's AWAY of the same folder.
                marks = ", ".join("?" * len(columns.split(",")))
                self.conn.executemany(f"INSERT OR REPLACE INTO {table} ({columns}) VALUES ({marks})", rows + kept)
                # Roots no longer in the catalog (removed folders) are forgotten.
                roots = set(self.folders)
                for (root,) in self.conn.execute(f"SELECT DISTINCT root FROM {table}").fetchall():
                    if root not in roots:
                        self.conn.execute(f"DELETE FROM {table} WHERE root = ?", (root,))

    def attached_folders(self) -> list[tuple[str, str, str]]:
        """(folder, kind, root) of the linked folders and mount points (kind ``LINK``, ``MOUNT``)
        in the catalog's folders at its last complete index run (and those away since, kept):
        by path. None noted for an index made before they were (nor a read-only one of then)."""
        with self._lock:
            try:
                return self.conn.execute(
                    "SELECT folder, kind, root FROM attached_folders ORDER BY folder, kind").fetchall()
            except sqlite3.Error:  # a read-only index from before the table
                return []

    def away_folders(self) -> dict[str, str]:
        """The catalog's folders that are away (``_scan.away_folders``: missing, a file now,
        empty), then the linked folders and mount points in the others (``attached_folders``)
        that are away now (``attached_away_kind``: a link leading nowhere, a mount point left
        empty) and hold indexed files: each with its kind, one of ``AWAY_KINDS``. What an index
        run would say in ``missing_folders``, for a search or the window to say; cheap (a
        ``stat`` per linked folder and mount point, a look in the index for one away)."""
        folders = self.folders
        kinds = away_folders(folders)
        for folder, kind, root in self.attached_folders():
            if root not in folders or any(is_within(folder, other) for other in kinds):
                continue  # (its root, or a linked folder it is in, is away: said as that)
            away = attached_away_kind(folder, kind)
            if away is not None and self.holds_files(folder):
                kinds[folder] = away
        return kinds

    def image_links_away(self, folders_away: Iterable[str] | None = None) -> list[str]:
        """The links to single images noted by the last complete index run (and those away since,
        kept) that lead nowhere now, into a folder that is not there (``is_image_link_away``:
        their disk unplugged?), and at which the index holds an entry: kept, as a linked folder
        away is. By path. Those in one of ``folders_away`` (default: ``away_folders()``) are
        left out: said as that folder. Cheap: a ``stat`` or two per link noted (none noted, one
        look at an empty table); none for an index made before they were noted."""
        with self._lock:
            try:
                noted = self.conn.execute("SELECT link, root FROM image_links ORDER BY link").fetchall()
            except sqlite3.Error:  # a read-only index from before the table
                return []
        if not noted:
            return []
        folders = self.folders
        away = list(self.away_folders() if folders_away is None else folders_away)
        return [link for link, root in noted
                if root in folders and not any(is_within(link, folder) for folder in away)
                and is_image_link_away(link) and self._holds_entry(link)]

    def _holds_entry(self, path: str) -> bool:
        """The index holds an entry (an image, or a file skipped) at ``path``."""
        with self._lock, self._storage():
            return self.conn.execute("SELECT 1 FROM files WHERE path = ?", (path,)).fetchone() is not None

    def holds_files(self, folder: str) -> bool:
        """The index holds files inside ``folder`` (a range of the primary key: no full scan), or
        at it (a link with an image's name that is away, said as a linked folder is)."""
        with self._lock, self._storage():
            inside, params = folder_range_sql("path", folder)
            return self.conn.execute(f"SELECT 1 FROM files WHERE path = ? OR {inside} LIMIT 1",
                                     (folder, *params)).fetchone() is not None

    def folder_counts(self, folder: str) -> tuple[int, int]:
        """(indexed images, skipped files) of ``folder``, one of the catalog's folders, as
        ``counts`` counts the whole catalog: what ``remove_folder`` would forget (the window
        says it before asking)."""
        where, params = _in_folder(folder)
        with self._lock, self._storage():
            indexed = self.conn.execute(f"{SEARCHED} AND {where}", (self.embedder_key, *params)).fetchone()[0]
            skipped = self.conn.execute(f"SELECT COUNT(*) FROM files WHERE status = 'skipped' AND {where}",
                                        params).fetchone()[0]
            in_scan = self._scan_skipped(f"SELECT COUNT(*) FROM scan_skipped WHERE {where}", params)
        return indexed, skipped + (in_scan[0][0] if in_scan else 0)

    def folder_hashes(self, folder: str) -> set[str]:
        """The contents (hashes) of the indexed images of ``folder``, one of the catalog's
        folders, as ``remove_folder`` picks them: a range of the index, not every entry read."""
        where, params = _in_folder(folder)
        with self._lock, self._storage():
            rows = self.conn.execute(f"SELECT DISTINCT sha256 FROM files WHERE status = 'ok' AND sha256 IS NOT NULL "
                                     f"AND sha256 != '' AND {where}", params)
            return {sha256 for (sha256,) in rows}

    def folder_files(self, folder: str) -> int:
        """How many files the indexed images of ``folder`` (``folder_counts``) are: the paths of
        one content (a link to a folder of the same files) count once, as the window's catalog
        menu counts them ("5 images (10 paths)"; the confirmation said "10 images")."""
        with self._lock, self._storage():
            where, params = _in_folder(folder)
            return self.conn.execute(f"{SEARCHED_FILES} AND {where}", (self.embedder_key, *params)).fetchone()[0]

    def changed_folders(self) -> list[str] | None:
        """The catalog's folders in which images were added, removed, renamed or written over
        since its last complete index run (folders away are left to ``is_away``). Cheap: a
        ``stat`` per subfolder, a listing of those whose time moved (a name an index run leaves
        out, such as ``.DS_Store``, is no change), then a ``stat`` per indexed file for as long
        as its budget allows (``_folder_changes.changed_roots``,
        ``_folder_changes.changed_in_place``). None when it cannot be told: an index from before
        the times were kept, a tree of folders too big or too slow to check."""
        with self._lock:
            try:
                noted = self.conn.execute("SELECT root, folder, mtime_ns FROM folder_times LIMIT ?",
                                          (MAX_CHECKED_FOLDERS + 1,)).fetchall()
            except sqlite3.Error:  # a read-only index from before the table: nothing to compare with
                return None
        if len(noted) > MAX_CHECKED_FOLDERS:
            return None
        roots = [f for f in self.folders if not is_away(f)]
        mounts = [folder for folder, kind, _ in self.attached_folders() if kind == MOUNT]
        changed = changed_roots(noted, roots, same_entries=self._holds_as_indexed, mounts=mounts)
        if changed is None:
            return None
        rest = set(roots) - set(changed)
        written_over = self._changed_in_place(rest) if rest else set()
        return [root for root in roots if root in changed or root in written_over]

    def _holds_as_indexed(self, root: str, folder: str, deadline: float) -> bool:
        """Whether ``folder`` (in catalog folder ``root``) holds what the last complete run found
        there of what a run takes up: the same images (same size and time) and subfolders. Its
        time moved, so something came or went: if not these, a name a run leaves out. A labels
        file at a catalog folder's top may have been written again: that is not known cheaply.
        Not known by ``deadline`` either (a huge folder, a slow disk): then it is a change."""
        try:
            listed = listed_entries(folder, deadline)
        except OSError:  # (TimeoutError too)
            return False
        if listed.labels_file and folder == root:
            return False
        start = len(folder.rstrip(os.sep) + os.sep)  # where a name starts in a path inside it
        in_files, in_times = folder_range_sql("path", folder, True), folder_range_sql("folder", folder, True)
        try:
            with self._lock:
                images = {path[start:]: (size, mtime) for path, size, mtime in self.conn.execute(
                    f"SELECT path, size, mtime_ns FROM files WHERE {in_files[0]}", in_files[1])}
                folders = {found[start:] for (found,) in self.conn.execute(
                    f"SELECT folder FROM folder_times WHERE {in_times[0]}", in_times[1])}
        except sqlite3.Error:
            return False
        return listed.images == images and listed.folders == folders

    def _changed_in_place(self, roots: set[str]) -> set[str]:
        """Of ``roots``, those with an indexed file written over or touched (``changed_in_place``),
        with the change times noted (``file_ctimes``; none in an index from before it)."""
        columns = "f.root, f.path, f.size, f.mtime_ns"
        try:
            with self._lock:
                try:
                    rows = self.conn.execute(f"SELECT {columns}, c.ctime_ns FROM files f "
                                             "LEFT JOIN file_ctimes c ON c.path = f.path")
                except sqlite3.OperationalError as exc:  # a read-only index from before the table
                    if "no such table" not in str(exc):
                        raise
                    rows = self.conn.execute(f"SELECT {columns}, NULL FROM files f")
                return changed_in_place(row for row in rows if row[0] in roots)
        except sqlite3.Error:
            return set()


def _in_folder(folder: str) -> tuple[str, tuple]:
    """(A WHERE clause, its parameters) for the rows of one catalog folder, as ``remove_folder``
    picks them: its root, or a path inside it."""
    inside, params = folder_range_sql("path", folder)
    return f"(root = ? OR {inside})", (folder, *params)
