"""One catalog (``Catalog``): opened, created or recovered, its settings changed under its lock,
and what its index holds read (counts, skipped files, vectors, folders changed since indexed).

Its files on disk are ``_ondisk``'s, its lock ``_locking``'s, its errors ``_errors``'s; what its
index holds is read by ``_index_contents``'s part of it, and its folders as the index knows
them (changed, away) by ``_catalog_folders``'s; all the catalogs together (listed,
removed) are ``_catalogs``'s, and an index run is ``_indexer``'s.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from vsdesk.engine import paths
from vsdesk.engine.catalog._errors import (
    CatalogBusy,
    CatalogError,
    CatalogExists,
    CatalogModeMismatch,
    CatalogNotFound,
    CatalogStorageError,
    is_corruption,
    no_such_catalog,
    storage_error,
)
from vsdesk.engine.catalog._catalog_folders import CatalogFolders
from vsdesk.engine.catalog._index_contents import IndexContents, VectorSet
from vsdesk.engine.catalog._leftovers import clear_removal_leftovers
from vsdesk.engine.catalog._locking import LOCK_PATIENCE, held_here, lock_catalog
from vsdesk.engine.catalog._ondisk import (
    CONFIG_FILE,
    INDEX_FILE,
    SCHEMA_VERSION,
    TABLES,
    catalog_location,
    check_index_file,
    connect_index,
    is_damaged,
    make_index,
    missing_settings,
    on_read_only_disk,
    read_config,
    settings_in_index,
    short_note,
    write_json,
    write_schema,
)
from vsdesk.engine.catalog._scan import (
    is_within,
    why_not_a_folder,
)
from vsdesk.engine.text import counted

log = logging.getLogger(__name__)


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


class Catalog(IndexContents, CatalogFolders):
    """A named set of folders indexed with one mode. Use ``Catalog.open``/``create``, not the
    constructor. Thread-safe: one SQLite connection guarded by a lock."""

    def __init__(self, location: Path, config: dict, recovered: str | None = None):
        self.location = location
        #: Which folder it is: another of the same name is another catalog (``_storage``).
        self._folder = _folder_identity(location)
        self._config = config
        self._lock = threading.RLock()
        self._conn: sqlite3.Connection | None = None
        self._vectors_cache: tuple[int, VectorSet, list[str]] | None = None
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

    # -- opening, creating, recovering ----------------------------------------------------

    @classmethod
    def create(cls, name: str, mode: str, folders=()) -> "Catalog":
        from vsdesk.engine.modes import MODES

        if mode not in MODES:
            raise CatalogError(f"unknown mode {mode!r}; choose one of {', '.join(MODES)}")
        location = catalog_location(name)
        if (location / CONFIG_FILE).exists():
            raise CatalogExists(f"a catalog named {name!r} already exists")
        twin = next((c.name for c in paths.catalogs_dir().iterdir()
                     if c.name.lower() == name.lower() and c.name != name), None)
        if twin is not None:  # on a case-insensitive disk (macOS, Windows) they would be one folder
            raise CatalogExists(f"a catalog named {twin!r} already exists; names differing only in case are one")
        # A folder without settings (a crash right after mkdir, an interrupted remove) is taken
        # over: a sound index in it is reconciled with the folders by the next run, and one of
        # another mode has its vectors dropped on opening (see _claim_for_mode).
        location.mkdir(parents=True, exist_ok=True)
        clear_removal_leftovers()  # (what a crash mid-removal left: its space back)
        config = {"name": name, "mode": mode, "folders": [], "created": time.time()}
        with lock_catalog(location, name, "it was not created", patience=LOCK_PATIENCE):
            if (location / CONFIG_FILE).exists():  # made by another process meanwhile
                raise CatalogExists(f"a catalog named {name!r} already exists")
            write_json(location / CONFIG_FILE, config)
        catalog = cls(location, config)
        for folder in folders:
            catalog.add_folder(folder)
        return catalog

    @classmethod
    def open(cls, name: str) -> "Catalog":
        location = catalog_location(name)
        config_path = location / CONFIG_FILE
        if not config_path.is_file():
            if location.is_dir():
                raise CatalogNotFound(missing_settings(name, location))
            raise no_such_catalog(name)
        note = None
        try:
            config = read_config(config_path)
        except FileNotFoundError:  # removed by another process since it was looked for
            raise no_such_catalog(name) from None
        except OSError as exc:  # no permission, a disk error: says nothing about its content
            raise storage_error(config_path, exc, name) from None
        except ValueError as exc:
            config, note = _rebuild_config(name, location, f"{exc}")
        config["name"] = name
        return cls(location, config, note)

    @classmethod
    def open_or_create(cls, name: str, mode: str, folders=(), only: bool = False) -> "Catalog":
        """Open ``name`` (checking its mode) and add ``folders``, or create it. ``only``: the
        catalog's folders become exactly ``folders``; others are forgotten (a sample catalog is
        the sample folder of the installation that opens it, whichever else shares the data)."""
        try:
            catalog = cls.open(name)
        except CatalogNotFound:
            return cls.create(name, mode, folders)
        if catalog.mode != mode:
            catalog.close()
            raise CatalogModeMismatch(
                f"catalog {name!r} is indexed with mode {catalog.mode!r}, not {mode!r}; "
                f"use --mode {catalog.mode} or another catalog name"
            )
        added = {catalog.add_folder(folder) for folder in folders}
        if only:
            for other in set(catalog.folders) - added:
                catalog.remove_folder(other)
        return catalog

    @property
    def index_path(self) -> Path:
        return self.location / INDEX_FILE

    def _open_index(self) -> None:
        """Open the index, and bring it in line with the catalog (``_settle``) under the
        catalog's lock: a damaged file moved aside, another mode's vectors dropped, the model
        noted. When another process holds the lock (an index run), nothing is changed: the
        index is searched as it is (another mode's vectors left out, ``_foreign``), and the
        change is made by whoever holds the lock next (``exclusive``). So too when this
        process holds it (its run, mid-way, in another thread or ``Catalog``): it is not
        waited for, and is left to that holder. Only the tables are made without the lock
        (``_make_tables``), so that a new index can be read at all."""
        with self._storage():
            problem = self._connect_and_check()
            if problem is None and not self.read_only:
                self._make_tables()
            if problem is None and (not self._unsettled() or self.read_only):
                return self._note_kept()  # (a read-only index is searched as it is)
            outcome = (f"its index file is damaged ({problem}): it is moved aside and rebuilt from the images "
                       "then") if problem else ""
            with contextlib.ExitStack() as held:
                try:
                    held.enter_context(lock_catalog(self.location, self.name, outcome, patience=LOCK_PATIENCE))
                except CatalogBusy:
                    if problem is not None:  # nothing to search: its next holder rebuilds it
                        here = held_here(self.location)
                        raise CatalogBusy(f"catalog {self.name!r}: its index file is damaged ({problem}), and "
                                          f"{'this' if here else 'another'} vsdesk process is indexing it: try "
                                          "again once it has finished (the index is then rebuilt from the "
                                          "images)", here=here) from None
                    return self._note_kept()
                except CatalogStorageError:  # the lock file cannot be made: a read-only folder, a full disk
                    if problem is not None:
                        raise  # (its own words: what to do before the damaged file can be moved aside)
                    return self._note_kept()  # searched as it is
                if problem is not None:
                    problem = self._connect_and_check()  # again: its last holder may have rebuilt it
                if problem is not None:
                    self._move_aside(problem)
                    self._conn = self._connect()
                if not self.read_only:
                    self._settle()
        self._note_kept()

    def _connect_and_check(self) -> str | None:
        """(Re)connect to the index; what is wrong with the file, if it is damaged."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        problem = check_index_file(self.index_path)
        if problem is None:
            try:
                self._conn = self._connect()
                problem = self._check_connection()
            except sqlite3.Error as exc:
                if not is_corruption(exc):
                    raise  # locked, full, read-only ...: a sound file, left as it is
                problem = f"the database cannot be read ({exc})"
        return problem

    def _note_kept(self) -> None:
        """The recovery note kept in the index (with any from earlier opens); a read-only index,
        or one found without its tables, keeps none."""
        try:
            self.recovered = short_note(self._meta("recovered")) or self.recovered
        except CatalogError:
            pass

    def _unsettled(self) -> bool:
        """Whether the index needs what ``_settle`` writes (its tables, its marks, another mode's
        vectors dropped, a recovery note kept); sets ``_foreign``, which hides another mode's
        vectors until they are dropped."""
        from vsdesk.engine.modes import mode_of_vectors_key

        tables = self._table_names()
        if "meta" not in tables:
            return True
        meta = dict(self.conn.execute("SELECT key, value FROM meta"))
        stored = meta.get("mode") or mode_of_vectors_key(meta.get("embedder_key"))
        self._foreign = stored not in (None, self.mode)
        return (not set(TABLES) <= tables or not {"schema", "version", "uid"} <= meta.keys()
                or meta.get("mode") != self.mode or meta.get("model") != self.model or self._foreign
                or bool(self._unsaved_note))

    def _table_names(self) -> set[str]:
        return {row[0] for row in self.conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}

    def _settle(self) -> None:
        """Write what the index lacks (``_unsettled``); the caller holds the catalog's lock."""
        self._make_tables()  # (after a damaged file was moved aside: a new one)
        with self._lock, self._conn:
            self._claim_for_mode()
            self._mark_model()
            if self._unsaved_note:
                # Kept in the index until an index run completes: whoever opened the catalog
                # first (`catalogs list`, the window's list), the next search or index run
                # still says what happened.
                self._conn.execute(
                    "INSERT INTO meta VALUES ('recovered', ?) "
                    "ON CONFLICT (key) DO UPDATE SET value = value || '; ' || excluded.value",
                    (self._unsaved_note,),
                )
        self._foreign, self._unsaved_note = False, None

    def _make_tables(self) -> None:
        """The index's tables and its schema, version and uid, where any is missing (a new
        index): nothing a run could undo, so made without the catalog's lock. Written only
        when missing: a write waits for another process's run to commit its batch."""
        tables = self._table_names()
        if set(TABLES) <= tables and self.conn.execute(
                "SELECT COUNT(*) FROM meta WHERE key IN ('schema', 'version', 'uid')").fetchone()[0] == 3:
            return
        with self._lock, self._conn:
            write_schema(self._conn)

    def _claim_for_mode(self) -> None:
        """Mark the index with the catalog's mode (catalog.json can be rebuilt from it). An index
        of another mode was left by an earlier catalog of this name and taken over by ``create``:
        its vectors are another model's and must never answer this catalog's searches, so they
        go; its file rows stay, and the next run embeds those files again."""
        from vsdesk.engine.modes import mode_of_vectors_key

        meta = dict(self._conn.execute("SELECT key, value FROM meta WHERE key IN ('mode', 'embedder_key')"))
        stored = meta.get("mode") or mode_of_vectors_key(meta.get("embedder_key"))
        if stored not in (None, self.mode):
            self._conn.execute("DELETE FROM vectors")
            self._conn.execute("DELETE FROM meta WHERE key IN ('embedder_key', 'dim')")
            self._bump_version()
        if meta.get("mode") != self.mode:
            self._conn.execute("INSERT OR REPLACE INTO meta VALUES ('mode', ?)", (self.mode,))

    def _mark_model(self) -> None:
        """Keep the catalog's model (``set_model``) in the index too: catalog.json is rebuilt from it."""
        stored = self._conn.execute("SELECT value FROM meta WHERE key = 'model'").fetchone()
        if (stored[0] if stored else None) != self.model:
            self._conn.execute("DELETE FROM meta WHERE key = 'model'")
            if self.model is not None:
                self._conn.execute("INSERT INTO meta VALUES ('model', ?)", (self.model,))

    def forget_recovery(self) -> None:
        """The note in ``recovered`` has been acted on: the index was rebuilt by a complete run."""
        if self.recovered:
            with self._lock, self._storage(), self.conn:
                self.conn.execute("DELETE FROM meta WHERE key = 'recovered'")
            self.recovered = None

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

    def _connect(self) -> sqlite3.Connection:
        make_index(self.index_path)  # (a new one whole: never an empty file another process sees)
        conn, self.read_only = connect_index(self.index_path)
        return conn

    def _check_connection(self) -> str | None:
        assert self._conn is not None
        row = self._conn.execute("PRAGMA quick_check").fetchone()
        if not row or row[0] != "ok":
            # SQLite's answer can be a hundred lines (a line per bad page): for the log, not for
            # the message, which the window and `catalogs list` show.
            log.info("catalog %r: %s failed its integrity check:\n%s", self.name, self.index_path,
                     row[0] if row else "no answer")
            return "the database failed its integrity check"
        tables = {r[0] for r in self._conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if tables and not {"meta", "files", "vectors"} <= tables:
            return "the database does not hold a vsdesk index"
        if "meta" in tables:
            schema = self._conn.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
            if schema and int(schema[0]) > SCHEMA_VERSION:
                raise CatalogError(
                    f"catalog {self.name!r} was written by a newer vsdesk (index schema {schema[0]})"
                )
        return None

    def _move_aside(self, problem: str) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            except sqlite3.Error:
                pass
            self._conn = None
        stamp = time.strftime("%Y%m%d-%H%M%S")
        moved = self.location / f"{INDEX_FILE}.damaged-{stamp}"
        n = 1
        while moved.exists():
            moved = self.location / f"{INDEX_FILE}.damaged-{stamp}-{n}"
            n += 1
        os.replace(self.index_path, moved)
        for suffix in ("-wal", "-shm"):
            side = Path(str(self.index_path) + suffix)
            if side.exists():
                os.replace(side, Path(str(moved) + suffix))
        self._prune_damaged(keep=3)
        # (info: the log keeps it; the command line and the window say ``recovered``)
        log.info("catalog %r: the index file was damaged (%s); moved to %s", self.name, problem, moved)
        self.recovered = self._unsaved_note = (
            f"catalog {self.name!r}: the index file was damaged; it was moved to {moved} and the catalog "
            "is indexed again from its images (nothing of your files is lost)"
        )

    def _prune_damaged(self, keep: int) -> None:
        """Damaged index copies are kept for a look, the last few only: each is as big as the
        index, and the catalog is rebuilt from the images (which are never touched)."""
        copies = sorted(self.location.glob(f"{INDEX_FILE}.damaged-*"), key=lambda p: p.stat().st_mtime)
        stems = list(dict.fromkeys(str(p).removesuffix("-wal").removesuffix("-shm") for p in copies))
        for stem in stems[:-keep]:
            if not is_damaged(Path(stem)):
                # Never delete an index that reads fine: older vsdesk versions moved sound
                # indexes aside on a full disk or a lock, and such a copy may be the only one.
                continue
            for suffix in ("", "-wal", "-shm"):
                Path(stem + suffix).unlink(missing_ok=True)

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
                prefix = path.rstrip(os.sep) + os.sep
                cur = self.conn.execute(
                    "DELETE FROM files WHERE root = ? OR substr(path, 1, ?) = ?", (path, len(prefix), prefix)
                )
                forgotten = cur.rowcount + self.conn.execute("DELETE FROM scan_skipped WHERE root = ?",
                                                             (path,)).rowcount
                if forgotten:
                    self._bump_version()
                self.conn.execute("DELETE FROM folder_times WHERE root = ?", (path,))  # added again: not indexed
                self.conn.execute("DELETE FROM attached_folders WHERE root = ?", (path,))

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
                                  f"(e.g. `chmod u+w {path}`) and run again")

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
        remedy = f"; to update it, make {path} writable (e.g. `chmod u+w {path}`)" if fixable else ""
        return f"“{self.name}” {where}: searched as it is ({counts}); it cannot be updated{remedy}"

    def _read_only_place(self) -> tuple[str, Path, bool]:
        """What may not be written ("folder", the catalog's folder; or "index", its index file),
        and whether making it writable can help (not on a disk mounted read-only)."""
        what, path = ("folder", self.location) if not os.access(self.location, os.W_OK) else \
            ("index", self.index_path)
        return what, path, not on_read_only_disk(path)

    def info(self) -> CatalogInfo:
        from vsdesk.engine.catalog._indexer import is_being_indexed  # it imports this module

        indexed, skipped = self.counts()
        unfinished = self.unfinished
        return CatalogInfo(self.name, self.mode, self.folders, indexed, skipped, self.version, str(self.location),
                           problem=self.recovered, model=self.model, unfinished=unfinished,
                           being_indexed=unfinished and is_being_indexed(self),
                           **away_fields(self.away_folders(), self))


def _rebuild_config(name: str, location: Path, damage: str) -> tuple[dict, str]:
    """Settings for catalog ``name`` whose catalog.json is damaged, from its sound index: the
    folders its images were indexed from, and the mode (and model) the index is marked with,
    or that its vectors' key tells. Raises ``CatalogError`` when they cannot be told reliably:
    nothing is guessed, and the damaged file is left as it is."""
    config_path = location / CONFIG_FILE
    mode, model, folders = settings_in_index(location / INDEX_FILE)
    if mode is None or not folders:
        listed = "".join(f"\n    {folder}" for folder in folders)
        raise CatalogError(
            f"catalog {name!r}: its settings file {config_path} is damaged ({damage}). Your images are "
            f"untouched; `vsdesk catalogs remove {name}` and indexing the folders again rebuilds it"
            + (f"; its images were indexed from:{listed}" if listed else "")
        )
    config = {"name": name, "mode": mode, "folders": folders, "created": time.time()}
    if model is not None:
        config["model"] = model
    told = f"mode {mode}{f', model {model}' if model else ''}, folders {', '.join(folders)}"
    try:
        with lock_catalog(location, name, patience=LOCK_PATIENCE):  # a change of the catalog
            moved = location / f"{CONFIG_FILE}.damaged-{time.strftime('%Y%m%d-%H%M%S')}"
            try:
                os.replace(config_path, moved)  # kept for a look: it is small
            except OSError as exc:
                raise storage_error(config_path, exc, name) from None
            write_json(config_path, config)
    except CatalogBusy:  # searched with the settings read from the index; the file left for later
        who = "this" if held_here(location) else "another"  # (an index run in another of its threads)
        return config, (f"catalog {name!r}: its settings file is damaged ({damage}); they were read from the "
                        f"index ({told}), and the file is rebuilt once {who} vsdesk process has finished "
                        "indexing the catalog")
    return config, f"catalog {name!r}: its settings file was damaged ({damage}; moved to {moved}) and was rebuilt " \
                   f"from the index: {told}"


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
