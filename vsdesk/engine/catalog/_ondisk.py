"""A catalog on disk: one folder per catalog under ``paths.catalogs_dir()``.

    <catalogs_dir>/<name>/catalog.json     name, mode, folders (small; written temp + os.replace)
    <catalogs_dir>/<name>/index.sqlite     files, vectors, meta, folder_times, attached_folders,
                                           scan_skipped, image_links (SQLite in WAL mode)

The JSON holds what the user chose, the SQLite what we computed; so a damaged index can be moved
aside and rebuilt from the JSON without asking the user anything. The other way round, a damaged
JSON is rebuilt from a sound index: its files' folders, and the mode and model it is marked with
(meta ``mode``/``model``; an older index's vectors key tells the mode).

Here: their names and the index's schema, the settings file written whole and read back, a
connection to the index (read-only where it may not be written), and the checks that tell a
damaged index file from a sound one.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import stat
import time
import uuid
from pathlib import Path

from vsdesk.engine import paths
from vsdesk.engine.catalog._errors import CatalogError, is_corruption, storage_error
from vsdesk.engine.catalog._locking import LOCK_FILE
from vsdesk.engine.catalog._path_columns import IndexConnection
from vsdesk.engine.files import atomic_write_json
from vsdesk.engine.text import shell_quoted

SCHEMA_VERSION = 1
#: Seconds to wait for another program's lock on an index before giving up with a message.
BUSY_TIMEOUT = 30.0
CONFIG_FILE = "catalog.json"
INDEX_FILE = "index.sqlite"
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")

TABLES = ("meta", "files", "vectors", "folder_times", "attached_folders", "scan_skipped", "image_links",
          "file_ctimes")
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS files (
    path TEXT PRIMARY KEY,
    root TEXT NOT NULL,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    sha256 TEXT,
    label TEXT,
    status TEXT NOT NULL CHECK (status IN ('ok', 'skipped')),
    error_kind TEXT,
    error_message TEXT
);
CREATE INDEX IF NOT EXISTS files_sha256 ON files (sha256);
CREATE TABLE IF NOT EXISTS vectors (
    sha256 TEXT NOT NULL,
    key TEXT NOT NULL,
    vector BLOB NOT NULL,
    PRIMARY KEY (sha256, key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS folder_times (
    folder TEXT PRIMARY KEY,
    root TEXT NOT NULL,
    mtime_ns INTEGER NOT NULL
) WITHOUT ROWID;
-- The linked folders and mount points of the last complete scan (``ScanResult.attached``): an
-- index from before it has none, and is indexed as it was then.
CREATE TABLE IF NOT EXISTS attached_folders (
    folder TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('link', 'mount')),
    root TEXT NOT NULL,
    PRIMARY KEY (folder, kind)
) WITHOUT ROWID;
-- The links to single images of the last complete scan (``ScanResult.image_links``), and those
-- away since, kept: a search tells them away (``image_links_away``). An index from before it has
-- none (a read-only one never gets it): its links away are told by its next index run.
CREATE TABLE IF NOT EXISTS image_links (
    link TEXT PRIMARY KEY,
    root TEXT NOT NULL
) WITHOUT ROWID;
-- What the last index run's scan skipped without an entry in ``files``: a photo format
-- vsdesk cannot read, a file or folder that cannot be listed. Counted
-- and listed with the skipped files (``counts``, ``skipped``) as the run reported them.
CREATE TABLE IF NOT EXISTS scan_skipped (
    path TEXT PRIMARY KEY,
    root TEXT NOT NULL,
    kind TEXT NOT NULL,
    message TEXT NOT NULL
) WITHOUT ROWID;
-- The change time (st_ctime_ns) of each entry of ``files`` as its last reading found it: a file
-- written over with its size and modification time put back (``touch -r``, ``cp -p``) has a
-- new one, which no program can set back. A table apart, not a column: an index from before
-- gets it in place when opened (as any table it lacks), and an older vsdesk, which inserts
-- rows of ``files`` by their nine columns, still opens and writes the index.
CREATE TABLE IF NOT EXISTS file_ctimes (
    path TEXT PRIMARY KEY,
    ctime_ns INTEGER NOT NULL
) WITHOUT ROWID;
"""


def validate_name(name: str) -> str:
    if not isinstance(name, str) or not NAME_RE.match(name):
        raise CatalogError(
            f"invalid catalog name {name!r}: use 1-64 ASCII letters (a-z, A-Z), digits, '.', '_' or '-', starting with a letter or digit"
        )
    return name


def catalog_location(name: str) -> Path:
    """Where catalog ``name`` is, or would be: nothing is made (a catalog that is not there, on
    a read-only home, is "no catalog named", not the folder's problem); ``create`` makes it."""
    return paths.catalogs_location() / validate_name(name)


def write_json(path: Path, data: dict) -> None:
    # fsync before the rename, so that a power cut cannot leave an empty file where the user's
    # folder choices were.
    try:
        atomic_write_json(path, data, fsync=True, indent=2, ensure_ascii=False)
    except OSError as exc:  # the old file is intact: os.replace is all or nothing
        raise storage_error(path, exc) from None


def on_read_only_disk(path: str | os.PathLike) -> bool:
    """Whether ``path`` is on a file system mounted read-only (where no chmod helps)."""
    try:
        return bool(os.statvfs(path).f_flag & os.ST_RDONLY)
    except (OSError, AttributeError):  # gone, or a system without statvfs: not known to be
        return False


def connect_index(path: Path) -> tuple[sqlite3.Connection, bool]:
    """A connection to the index at ``path``, and whether it is read-only (may not be written)."""
    read_only = path.exists() and not os.access(path, os.W_OK)
    # SQLite makes its -wal and -shm files beside the index, even to read it: in a folder that
    # may not be written (a catalog on a read-only share), a writable index can be read only
    # this way, and can be updated no more than a read-only one.
    read_only = read_only or (path.exists() and not os.access(path.parent, os.W_OK))
    wal = Path(f"{path}-wal")
    if read_only and (not wal.exists() or wal.stat().st_size == 0):
        # Immutable: SQLite creates no -wal/-shm files. Beside a read-only index they would be
        # read-only too, stay, and keep the index read-only once it is made writable again;
        # and on a read-only disk they cannot be made at all. An index nobody may write is not
        # changed meanwhile (else SQLite's usual way is taken below, which reads the -wal).
        immutable = f"{path.as_uri()}?immutable=1"
        return sqlite3.connect(immutable, uri=True, check_same_thread=False, isolation_level=None,
                               factory=IndexConnection), True
    conn = sqlite3.connect(path, check_same_thread=False, timeout=BUSY_TIMEOUT, isolation_level=None,
                           factory=IndexConnection)  # (paths not UTF-8 stored as they are)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: durable at checkpoint, never corrupt
    except sqlite3.Error:
        conn.close()  # not left open until collected (it would keep a full disk busy)
        raise
    return conn, read_only


def write_schema(conn: sqlite3.Connection) -> None:
    """The index's tables and its schema, version and uid, where any is missing."""
    conn.executescript(_SCHEMA)
    conn.execute("INSERT OR IGNORE INTO meta VALUES ('schema', ?)", (str(SCHEMA_VERSION),))
    conn.execute("INSERT OR IGNORE INTO meta VALUES ('version', '0')")
    conn.execute("INSERT OR IGNORE INTO meta VALUES ('uid', ?)", (uuid.uuid4().hex,))


def make_index(path: Path) -> None:
    """A new index at ``path``, made whole in one step, unless there is one. SQLite makes an
    empty file first and writes it at the first change: another process opening the catalog
    in between (`vsdesk search` while `vsdesk index` creates it) took the empty file for a
    damaged one and moved it aside under the first one's feet ("disk I/O error", "database
    disk image is malformed"), or both switched it to WAL at once ("locked"). So the index is
    made under another name, tables and all, and linked in place: never over one another
    process made meanwhile, which is used instead. Where it cannot be made (a read-only
    folder, a full disk), nothing is done: connecting says why, in words."""
    if path.exists():
        return
    made = path.with_name(f".tmp-{uuid.uuid4().hex}-{path.name}")  # (``MADE_INDEX_RE``: removed with the catalog)
    try:
        conn = sqlite3.connect(made, isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode=WAL")  # kept in the file
            with conn:
                write_schema(conn)
        finally:
            conn.close()  # (the last connection: its -wal is written into the file and deleted)
        os.link(made, path)
    except (OSError, sqlite3.Error):
        pass  # made by another process meanwhile (FileExistsError), or cannot be made here
    finally:
        for suffix in ("", "-wal", "-shm"):
            try:
                Path(f"{made}{suffix}").unlink(missing_ok=True)
            except OSError:
                pass


#: The names ``make_index`` builds a new index under (with its -wal and -shm): only these are
#: ever cleared as a crash's leftovers (``clear_made_index_leftovers``).
MADE_INDEX_RE = re.compile(r"\.tmp-[0-9a-f]{32}-" + re.escape(INDEX_FILE) + r"(-wal|-shm)?")
#: Seconds after which a temp index that is not linked into place is a crash's leftover, not
#: one another process is making now (that takes milliseconds).
MADE_INDEX_AGE = 60.0


def clear_made_index_leftovers(location: Path) -> list[Path]:
    """Delete the temp files a crash in ``make_index`` left in the catalog folder ``location``
    (killed between linking the index into place and removing its temp name, or mid-way): each
    is as big as an index, and stayed until the catalog was removed. Only files named exactly
    as ``make_index`` names them; a name of the index itself (linked, not yet unlinked) at any
    time, another only once it is ``MADE_INDEX_AGE`` old: ``make_index`` runs without the
    catalog's lock, and a new one of another process is never taken. The caller holds the
    catalog's lock. Returns the files deleted; one that cannot be is tried again next time."""
    index = location / INDEX_FILE
    deleted = []
    try:
        entries = [entry for entry in location.iterdir() if MADE_INDEX_RE.fullmatch(entry.name)]
    except OSError:
        return deleted
    for entry in entries:
        try:
            st = entry.lstat()
            linked = index.exists() and os.path.samestat(st, index.stat())
            if not stat.S_ISREG(st.st_mode) or not (linked or time.time() - st.st_mtime > MADE_INDEX_AGE):
                continue
            entry.unlink()
        except OSError:
            continue
        deleted.append(entry)
    return deleted


def read_config(path: Path) -> dict:
    """The settings in ``path``; ``ValueError`` when they are damaged (cut off, emptied)."""
    config = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(config, dict) or "mode" not in config or not isinstance(config.get("folders"), list):
        raise ValueError("missing keys")
    return config


def settings_in_index(path: Path) -> tuple[str | None, str | None, list[str]]:
    """(mode, model, folders) as the index at ``path`` holds them; (None, None, []) when it is
    missing, damaged or cannot be read now."""
    try:
        if not path.is_file() or check_index_file(path) is not None:
            return None, None, []
        conn, _ = connect_index(path)
        try:
            if conn.execute("PRAGMA quick_check").fetchone() != ("ok",):
                return None, None, []
            meta = dict(conn.execute("SELECT key, value FROM meta"))
            folders = [row[0] for row in conn.execute("SELECT DISTINCT root FROM files ORDER BY root")]
        finally:
            conn.close()
    except (sqlite3.Error, OSError):
        return None, None, []
    return stored_mode(meta), meta.get("model"), folders


def stored_mode(meta: dict[str, str]) -> str | None:
    """The mode an index is marked with (its ``meta`` rows), or that its vectors' key tells (an
    index from before the mark); None when neither tells."""
    from vsdesk.engine.modes import mode_of_vectors_key

    return meta.get("mode") or mode_of_vectors_key(meta.get("embedder_key"))


#: What an earlier vsdesk kept of SQLite's integrity check in a recovery note: every line of it,
#: up to a hundred (the window grew taller than the screen to show them).
_CHECK_DUMP = re.compile(r" \(the database failed its integrity check \(.*?\)\)(?=; it was moved)", re.DOTALL)


def short_note(note: str | None) -> str | None:
    """A recovery note kept in an index by an older vsdesk, without SQLite's integrity-check
    output; any other line break made a space (the note is one sentence)."""
    if not note:
        return note
    return " ".join(_CHECK_DUMP.sub("", note).split("\n"))


def check_index_file(path: Path) -> str | None:
    """A look before SQLite opens the file, by ``os.stat`` alone: missing is fine (new), empty is
    damaged (cut off). All else is SQLite's to say, through a connection: a file that is not a
    database (``SQLITE_NOTADB``), one cut short of the size its header gives (``SQLITE_CORRUPT``,
    minding the -wal), a bad page (its check). The file is never opened here: closing any file
    descriptor of it releases every POSIX lock this process holds on it, those of SQLite's own
    connections too (sqlite.org/howtocorrupt.html, 2.2). The window looked at the index so while
    its connection to it was open: another process's `vsdesk index`, closing last as it
    believed, checkpointed and deleted the -wal and -shm under it, and the window read a sound
    index as "malformed", moved it aside and rebuilt it, or wrote into the deleted -wal.
    A file that cannot be stat'ed (no permission, a disk error) raises the ``OSError``."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return None
    if size == 0:
        return EMPTY_FILE
    return None


#: ``check_index_file``'s words for an empty index: told by ``os.stat``, never a stale view.
EMPTY_FILE = "the database file is empty (cut off?)"
#: SQLite's words for ``SQLITE_NOTADB``, said as the file's problem.
NOT_A_DATABASE = "the file is not a SQLite database (truncated or overwritten)"


def is_damaged(path: Path) -> bool:
    """True only when ``path`` (a moved-aside index copy) is proven damaged; a copy that reads
    fine, or cannot be checked now, is not."""
    try:
        if check_index_file(path) is not None:
            return True
        conn = sqlite3.connect(f"{path.as_uri()}?immutable=1", uri=True)  # a copy: nobody writes it
        try:
            row = conn.execute("PRAGMA quick_check").fetchone()
        finally:
            conn.close()
    except sqlite3.Error as exc:
        return is_corruption(exc)
    except OSError:
        return False
    return not row or row[0] != "ok"


def missing_settings(name: str, location: Path) -> str:
    return (f"catalog {name!r} has no settings file ({location / CONFIG_FILE} is missing: an interrupted "
            f"`vsdesk catalogs remove`?). `vsdesk catalogs remove {shell_quoted(name)}` removes what is left of it; "
            f"`vsdesk index --mode MODE --catalog {shell_quoted(name)} FOLDER...` makes it a catalog again")


#: What we write into a catalog's folder (catalog.json, its temp and damaged copies, the index,
#: its -wal/-shm and damaged copies, the indexing lock): nothing else is ever removed with it.
# ".tmp-" and ".catalog.json.": temp files of an interrupted catalog.json write, named by
# files.atomic_path now and by the older mkstemp code before.
OUR_FILES = (CONFIG_FILE, f".{CONFIG_FILE}.", ".tmp-", INDEX_FILE, LOCK_FILE)
