"""One catalog (``Catalog``): its settings changed under its lock, its index's errors said
(``_storage``), and what it says of itself (``info``). Its other parts: opened, created or
recovered (``_catalog_opening``), what its index holds read (``_index_contents``: counts,
skipped files, vectors), and its folders as the index knows them (``_catalog_folders``:
changed since indexed, away).

Its files on disk are ``_ondisk``'s, its lock ``_locking``'s, its errors ``_errors``'s; all the
catalogs together (listed, removed) are ``_catalogs``'s, and an index run is ``_indexer``'s.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from vsdesk.engine.catalog._catalog_folders import CatalogFolders
from vsdesk.engine.catalog._catalog_opening import CatalogOpening
from vsdesk.engine.catalog._errors import (
    CatalogError,
    CatalogNotFound,
    CatalogStorageError,
    storage_error,
)
from vsdesk.engine.catalog._index_contents import Indexed, IndexContents
from vsdesk.engine.catalog._locking import LOCK_PATIENCE, lock_catalog
from vsdesk.engine.catalog._ondisk import (
    CONFIG_FILE,
    INDEX_FILE,
    on_read_only_disk,
    read_config,
    write_json,
)
from vsdesk.engine.catalog._folders_away import why_not_a_folder
from vsdesk.engine.catalog._path_columns import folder_range_sql
from vsdesk.engine.catalog._scan import is_within
from vsdesk.engine.text import counted, shell_quoted


@dataclass(frozen=True)
class CatalogInfo:
    name: str
    mode: str
    folders: list[str]
    indexed: int
    skipped: int
    version: int
    location: str
    problem: str | None = None  # set when the catalog could not be opened, or its index was rebuilt
    model: str | None = None  # the model it is indexed with, when not the mode's shipped one
    unfinished: bool = False  # its last index run stopped before the end (cancelled, killed, failed)
    being_indexed: bool = False  # unfinished because a run (in any process) is at it now
    #: Folders away (missing, a file now, empty), the catalog's own and linked folders or mount
    #: points in them (``Catalog.away_folders``): their images are kept.
    missing_folders: tuple[str, ...] = ()
    #: Each of those with its kind (``AWAY_KINDS``: missing-folder, not-a-folder, empty-folder).
    missing_kinds: dict[str, str] = field(default_factory=dict)
    #: Those of ``missing_folders`` of which the index holds no entry (its images were found
    #: elsewhere, or it never held any): nothing is kept for them (``how_to_drop``).
    missing_without_images: tuple[str, ...] = ()
    #: Links to single images in its folders that lead into a folder not there now (their disk
    #: unplugged?), and whose entries are kept (``Catalog.image_links_away``): not folders, so
    #: in none of the above.
    image_links_away: tuple[str, ...] = ()
    #: How many files its ``indexed`` images (paths) are: a file at several paths once
    #: (``Catalog.file_count``); None when the catalog could not be opened.
    files: int | None = None


class Catalog(CatalogOpening, IndexContents, CatalogFolders):
    """A named set of folders indexed with one mode. Use ``Catalog.open``/``create``, not the
    constructor. Thread-safe: one SQLite connection guarded by a lock."""

    def __init__(self, location: Path, config: dict, recovered: str | None = None, look: bool = False):
        self.location = location
        #: Only looked at (``open``'s ``look``): its index is read, never repaired or settled.
        self._look = look
        #: Which folder it is: another of the same name is another catalog (``_storage``).
        self._folder = _folder_identity(location)
        self._config = config
        self._lock = threading.RLock()
        self._conn: sqlite3.Connection | None = None
        self._vectors_cache: Indexed | None = None
        #: The thread holding the catalog's lock through this object (``exclusive``), if any.
        self._holder: int | None = None
        #: A message when the index file was found damaged and moved aside, or catalog.json
        #: rebuilt from the index (on this open or an earlier one), and no index run has
        #: completed since; else None.
        self.recovered: str | None = recovered
        self._unsaved_note = recovered  # (not in the index yet: ``_settle`` keeps it)
        #: The index file may not be written (a read-only file or disk): it can be searched as
        #: it is, not updated.
        self.read_only = False
        #: The index holds another mode's vectors, not dropped yet (another process held the
        #: lock when it was opened): they are never searched (``embedder_key``).
        self._foreign = False
        try:
            self._open_index()
        except BaseException:
            self.close()  # a file we cannot use is not held open (nor its disk kept busy)
            raise

    @property
    def index_path(self) -> Path:
        return self.location / INDEX_FILE

    @contextlib.contextmanager
    def _storage(self):
        """SQLite and OS errors on the index become a ``CatalogError`` that says what to do. Its
        folder gone: another process removed the catalog (``remove_catalog`` renames the folder
        aside first), which is said, not a disk error or a permission; so too when one of that
        name was made again meanwhile (another folder: this one's files were deleted under it)."""
        try:
            yield
        except (sqlite3.Error, OSError) as exc:
            if not self._still_there():
                raise _removed_since_opened(self.name) from None
            raise storage_error(self.index_path, exc, self.name) from None

    def _still_there(self) -> bool:
        """Whether this catalog's folder is where it was opened: not removed, nor made again
        since (another folder, or the same inode number given again: made at another time)."""
        if _folder_identity(self.location) != self._folder:
            return False
        try:
            return read_config(self.location / CONFIG_FILE).get("created") == self._config.get("created")
        except FileNotFoundError:
            return False
        except (OSError, ValueError):
            return True  # cannot be told: not said to be removed

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def __enter__(self) -> "Catalog":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def conn(self) -> sqlite3.Connection:
        if self._conn is None:
            raise CatalogError(f"catalog {self.name!r} is closed")
        return self._conn

    # -- settings ---------------------------------------------------------------------------

    @property
    def name(self) -> str:
        return self._config["name"]

    @property
    def mode(self) -> str:
        return self._config["mode"]

    @property
    def folders(self) -> list[str]:
        return list(self._config["folders"])

    @property
    def model(self) -> str | None:
        """The model the catalog is indexed and searched with, when it is not the mode's shipped
        one (product mode: a model trained with `vsdesk train product --out NAME`); None: shipped."""
        return self._config.get("model")

    @contextlib.contextmanager
    def exclusive(self, outcome: str = "nothing was changed") -> Iterator[None]:
        """Hold the catalog's lock (``lock_catalog``) while changing it: ``CatalogBusy`` at once
        when another process indexes it (``outcome``: what the message says became of the
        change). The settings are read again once it is held: another process may have changed
        them since this catalog was opened, and a change is made to what is there now.
        Re-entrant in the thread holding it (an index run adds its folders)."""
        if self._holder == threading.get_ident():
            yield
            return
        with lock_catalog(self.location, self.name, outcome, patience=LOCK_PATIENCE):
            self._holder = threading.get_ident()
            try:
                self._read_settings_again()
                with self._storage():
                    if not self.read_only and self._unsettled():  # left by an open while another held it
                        self._settle()
                yield
            finally:
                self._holder = None

    def _read_settings_again(self) -> None:
        try:
            config = read_config(self.location / CONFIG_FILE)
        except FileNotFoundError:
            raise _removed_since_opened(self.name) from None
        except (OSError, ValueError):
            return  # cannot be read just now, or damaged: the ones it was opened with are written
        config["name"] = self.name
        self._config = config

    def set_model(self, model: str | None) -> None:
        """Keep ``model`` (None: the shipped one) for the next runs, the window's too."""
        if self._config.get("model") == model:
            return
        with self.exclusive("its model was not changed"):
            if self._config.get("model") == model:
                return
            if model is None:
                self._config.pop("model", None)
            else:
                self._config["model"] = model
            write_json(self.location / CONFIG_FILE, self._config)
            if not self.read_only:
                with self._lock, self._storage(), self.conn:
                    self._mark_model()

    def add_folder(self, folder) -> str:
        """Add a folder (made absolute); indexing picks it up. Returns the stored path."""
        path = os.path.abspath(os.path.expanduser(os.fspath(folder)))
        problem = why_not_a_folder(path)
        if problem:
            raise CatalogError(f"{path}: {problem}")
        covering = self._covering(path)
        if covering is None:  # (else nothing changes: no lock needed)
            with self.exclusive(f"{path} was not added"):
                covering = self._covering(path)  # in the settings as they are now
                if covering is None:
                    folders = self._config["folders"]
                    self._config["folders"] = [f for f in folders if not is_within(f, path)] + [path]
                    write_json(self.location / CONFIG_FILE, self._config)
                    covering = path
        return covering

    def _covering(self, path: str) -> str | None:
        """The catalog's folder that is ``path`` or holds it, if any."""
        folders = self._config["folders"]
        return path if path in folders else next((other for other in folders if is_within(path, other)), None)

    def remove_folder(self, folder) -> None:
        """Forget a folder and its index entries (the images themselves are never touched)."""
        self.check_writable()
        path = os.path.abspath(os.path.expanduser(os.fspath(folder)))
        with self.exclusive():  # a run of another process would put its entries (and it) back
            self._config["folders"] = [f for f in self._config["folders"] if f != path]
            write_json(self.location / CONFIG_FILE, self._config)
            with self._lock, self._storage(), self.conn:
                self.conn.execute("BEGIN IMMEDIATE")
                inside, params = folder_range_sql("path", path)
                cur = self.conn.execute(f"DELETE FROM files WHERE root = ? OR {inside}", (path, *params))
                forgotten = cur.rowcount + self.conn.execute("DELETE FROM scan_skipped WHERE root = ?",
                                                             (path,)).rowcount
                if forgotten:
                    self._bump_version()
                self.conn.execute("DELETE FROM folder_times WHERE root = ?", (path,))  # added again: not indexed
                self.conn.execute("DELETE FROM attached_folders WHERE root = ?", (path,))
                self.conn.execute("DELETE FROM image_links WHERE root = ?", (path,))

    def check_writable(self) -> None:
        """Raise ``CatalogStorageError`` when the index may not be written (before any change)."""
        if not self.read_only:
            return
        what, path, fixable = self._read_only_place()
        said = f"catalog {self.name!r}: its {what} {path} is read-only"
        if not fixable:
            raise CatalogStorageError(f"{said} (on a disk mounted read-only), so it can be searched as it is but "
                                      "not updated")
        raise CatalogStorageError(f"{said}, so it can be searched as it is but not updated: make it writable "
                                  f"(e.g. `chmod u+w {shell_quoted(str(path))}`) and run again")

    def read_only_note(self, indexed: int, found: int | None = None) -> str:
        """What the window says of a read-only catalog it opens and searches as it is, without
        the error ``check_writable`` raises for an index run it cannot do: ``indexed`` images
        searched, of the ``found`` in its folders (when the last run did not finish). The remedy
        only where one helps: no chmod makes a disk mounted read-only writable."""
        what, path, fixable = self._read_only_place()
        where = "is on a read-only disk" if not fixable else (
            "is in a folder that may not be written" if what == "folder" else "has an index that may not be written")
        counts = counted(indexed, "image") + " indexed" if found is None else \
            f"{indexed} of {counted(found, 'image')} indexed: its last index run did not finish"
        remedy = f"; to update it, make {path} writable (e.g. `chmod u+w {shell_quoted(str(path))}`)" if fixable else ""
        return f"“{self.name}” {where}: searched as it is ({counts}); it cannot be updated{remedy}"

    def _read_only_place(self) -> tuple[str, Path, bool]:
        """What may not be written ("folder", the catalog's folder; or "index", its index file),
        and whether making it writable can help (not on a disk mounted read-only)."""
        what, path = ("folder", self.location) if not os.access(self.location, os.W_OK) else \
            ("index", self.index_path)
        return what, path, not on_read_only_disk(path)

    def info(self) -> CatalogInfo:
        from vsdesk.engine.catalog._indexer import is_being_indexed  # it imports this module

        with self.read_transaction():  # (counts, files and version of one version of the index)
            (indexed, skipped), files = self.counts(), self.file_count()
            version, unfinished = self.version, self.unfinished
        away = self.away_folders()
        return CatalogInfo(self.name, self.mode, self.folders, indexed, skipped, version, str(self.location),
                           problem=self.recovered, model=self.model, unfinished=unfinished,
                           being_indexed=unfinished and is_being_indexed(self),
                           image_links_away=tuple(self.image_links_away(away)), files=files,
                           **away_fields(away, self))


def away_fields(kinds: dict[str, str], catalog: Catalog | None = None) -> dict:
    """``CatalogInfo``'s fields on the folders that are away (``kinds``: each with its kind);
    which of them hold no entry is told by ``catalog`` (none without it)."""
    empty = tuple(folder for folder in kinds if not catalog.holds_files(folder)) if catalog is not None else ()
    return {"missing_folders": tuple(kinds), "missing_kinds": kinds, "missing_without_images": empty}


def _folder_identity(folder: Path) -> tuple[int, int] | None:
    """(device, inode) of ``folder``; None when it is gone."""
    try:
        found = folder.stat()
    except OSError:
        return None
    return found.st_dev, found.st_ino


def _removed_since_opened(name: str) -> CatalogNotFound:
    return CatalogNotFound(f"catalog {name!r} was removed (`vsdesk catalogs remove`?) since it was opened")
