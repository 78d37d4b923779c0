"""A catalog opened, created or recovered (``Catalog``'s part, ``CatalogOpening``): its index
checked, a damaged one moved aside, brought in line with the catalog (``_settle``) under its
lock; a damaged catalog.json rebuilt from a sound index (``_rebuild_config``).
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import sqlite3
import time
from pathlib import Path
from typing import TYPE_CHECKING

from vsdesk.engine import paths
from vsdesk.engine.catalog._errors import (
    CatalogBusy,
    CatalogDamaged,
    CatalogError,
    CatalogExists,
    CatalogModeMismatch,
    CatalogNotFound,
    CatalogStorageError,
    is_corruption,
    is_not_a_database,
    no_such_catalog,
    storage_error,
)
from vsdesk.engine.catalog._damage import confirm_damage
from vsdesk.engine.catalog._leftovers import clear_removal_leftovers
from vsdesk.engine.catalog._locking import LOCK_PATIENCE, held_here, lock_catalog
from vsdesk.engine.catalog._ondisk import (
    CONFIG_FILE,
    EMPTY_FILE,
    INDEX_FILE,
    NOT_A_DATABASE,
    SCHEMA_VERSION,
    TABLES,
    catalog_location,
    check_index_file,
    connect_index,
    is_damaged,
    make_index,
    missing_settings,
    read_config,
    settings_in_index,
    short_note,
    stored_mode,
    write_json,
    write_schema,
)
from vsdesk.engine.text import shell_quoted

if TYPE_CHECKING:
    from vsdesk.engine.catalog._store import Catalog

log = logging.getLogger(__name__)


def _cannot_create(name: str, location: Path, exc: OSError) -> CatalogError:
    """Why catalog ``name``'s folder cannot be made, and what to do: a disk mounted read-only
    takes no chmod, so another data folder; a full disk or no permission in storage_error's words."""
    if exc.errno == errno.EROFS:
        return CatalogStorageError(f"catalog {name!r} cannot be created: {location.parent} is on a disk mounted "
                                   "read-only; set VSDESK_DATA_DIR to a folder on a writable disk and run again; "
                                   "nothing was changed")
    return storage_error(location, exc, name)


class CatalogOpening:
    """How ``Catalog`` is opened, created or recovered; its connection, lock and errors
    (``_storage``) are ``Catalog``'s."""

    # -- opening, creating, recovering ----------------------------------------------------

    @classmethod
    def create(cls, name: str, mode: str, folders=()) -> "Catalog":
        from vsdesk.engine.modes import MODES

        if mode not in MODES:
            raise CatalogError(f"unknown mode {mode!r}; choose one of {', '.join(MODES)}")
        location = catalog_location(name)
        if (location / CONFIG_FILE).exists():
            raise CatalogExists(f"a catalog named {name!r} already exists")
        root = paths.catalogs_dir()  # made here, or said as a folder problem with its way out
        twin = next((c.name for c in root.iterdir()
                     if c.name.lower() == name.lower() and c.name != name), None)
        if twin is not None:  # on a case-insensitive disk (macOS, Windows) they would be one folder
            raise CatalogExists(f"a catalog named {twin!r} already exists; names differing only in case are one")
        # A folder without settings (a crash right after mkdir, an interrupted remove) is taken
        # over: a sound index in it is reconciled with the folders by the next run, and one of
        # another mode has its vectors dropped on opening (see _claim_for_mode).
        try:
            location.mkdir(parents=True, exist_ok=True)
        except OSError as exc:  # a read-only or full disk, no permission: nothing was made
            raise _cannot_create(name, location, exc) from None
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
    def open(cls, name: str, look: bool = False) -> "Catalog":
        """Catalog ``name``, its index checked and brought in line with it (``_open_index``).
        ``look``: the window's background looks (whether it changed, the catalogs listed) only
        read it, and never take its lock: the user's open of the catalog meanwhile found the
        lock taken by this very process, repairing it, and said it was "being indexed". A
        damaged index raises ``CatalogDamaged`` and is left for the next open, which moves it
        aside, rebuilds it and says why; damaged settings are read from the index, not rebuilt."""
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
            config, note = _rebuild_config(name, location, f"{exc}", rebuild=not look)
        config["name"] = name
        return cls(location, config, note, look=look)

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

    def _open_index(self) -> None:
        """Open the index, and bring it in line with the catalog (``_settle``) under the
        catalog's lock: a damaged file moved aside, another mode's vectors dropped, the model
        noted. When another process holds the lock (an index run), nothing is changed: the
        index is searched as it is (another mode's vectors left out, ``_foreign``), and the
        change is made by whoever holds the lock next (``exclusive``). So too when this
        process holds it (its run, mid-way, in another thread or ``Catalog``): it is not
        waited for, and is left to that holder. Only the tables are made without the lock
        (``_make_tables``), so that a new index can be read at all. A look (``open``'s
        ``look``) changes nothing under the lock, and leaves a damaged index as it is."""
        with self._storage():
            problem = self._connect_and_check()
            if self._look:
                if problem is not None:
                    raise CatalogDamaged(f"catalog {self.name!r}: its index file is damaged ({problem}); it is "
                                         "moved aside and rebuilt from the images when the catalog is opened")
                self._unsettled()  # (only for ``_foreign``: another mode's vectors are never searched)
                return self._note_kept()
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
                if problem not in (None, EMPTY_FILE):  # (SQLite's verdict, given in this process)
                    problem = self._confirmed(problem)
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
                problem = NOT_A_DATABASE if is_not_a_database(exc) else f"the database cannot be read ({exc})"
        return problem

    def _confirmed(self, problem: str) -> str | None:
        """``problem``, once a process of its own finds the index damaged too and nobody has it
        open (``confirm_damage``): only then is it moved aside, and the catalog rebuilt from its
        images (minutes for a large one). None when the index reads fine there and here again
        (this process's view was stale). Raises ``CatalogStorageError`` when it reads fine there
        only, or when it is damaged but open elsewhere; either way it is left as it is.
        The caller holds the catalog's lock."""
        self.close()  # (not counted as someone else's connection)
        verdict = confirm_damage(self.index_path, problem)
        log.info("catalog %r: its index was found damaged here (%s); in a process of its own: %s",
                 self.name, problem, verdict.said)
        if verdict.problem is None:
            again = self._connect_and_check()
            if again is None:
                return None
            raise CatalogStorageError(
                f"catalog {self.name!r}: its index file could not be read just now ({again}), though it reads "
                "fine from another process: it was left as it is (nothing is rebuilt). Try again; if it "
                "persists, close the other vsdesk windows and commands")
        if verdict.in_use:  # (not ``CatalogBusy``: nobody is indexing it)
            raise CatalogStorageError(
                f"catalog {self.name!r}: its index file is damaged ({problem}), and another vsdesk window or "
                "command (or another task of this one) has it open: it is moved aside and rebuilt from the "
                "images once that has closed it; try again then")
        return verdict.problem

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
        tables = self._table_names()
        if "meta" not in tables:
            return True
        meta = dict(self.conn.execute("SELECT key, value FROM meta"))
        self._foreign = stored_mode(meta) not in (None, self.mode)
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
        meta = dict(self._conn.execute("SELECT key, value FROM meta WHERE key IN ('mode', 'embedder_key')"))
        if stored_mode(meta) not in (None, self.mode):
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
        tables = self._table_names()
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
        # Its -wal and -shm belong to it (the -wal holds its last commits): left here they would
        # be read as the new index's. Renamed only because nobody has it open (``_confirmed``).
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


def _rebuild_config(name: str, location: Path, damage: str, rebuild: bool = True) -> tuple[dict, str]:
    """Settings for catalog ``name`` whose catalog.json is damaged, from its sound index: the
    folders its images were indexed from, and the mode (and model) the index is marked with,
    or that its vectors' key tells. Raises ``CatalogError`` when they cannot be told reliably:
    nothing is guessed, and the damaged file is left as it is. The file is rebuilt from them
    (under the catalog's lock) unless ``rebuild`` is False (a look: left for the next open)."""
    config_path = location / CONFIG_FILE
    mode, model, folders = settings_in_index(location / INDEX_FILE)
    if mode is None or not folders:
        listed = "".join(f"\n    {folder}" for folder in folders)
        raise CatalogError(
            f"catalog {name!r}: its settings file {config_path} is damaged ({damage}). Your images are "
            f"untouched; `vsdesk catalogs remove {shell_quoted(name)}` and indexing the folders again rebuilds it"
            + (f"; its images were indexed from:{listed}" if listed else "")
        )
    config = {"name": name, "mode": mode, "folders": folders, "created": time.time()}
    if model is not None:
        config["model"] = model
    told = f"mode {mode}{f', model {model}' if model else ''}, folders {', '.join(folders)}"
    if not rebuild:
        return config, (f"catalog {name!r}: its settings file is damaged ({damage}); they were read from the "
                        f"index ({told}), and the file is rebuilt when the catalog is opened")
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
