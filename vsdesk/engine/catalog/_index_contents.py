"""What a catalog's index holds, read (``Catalog``'s part, ``IndexContents``): its marks
(version, uid, the model's key, unfinished), its counts, the files it skipped and its vectors.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from typing import Iterable, Iterator, NamedTuple

import numpy as np

from vsdesk.engine.catalog._file_reading import FileRow, index_rows
from vsdesk.engine.catalog._scan import is_within


class SkippedFile(NamedTuple):
    path: str
    kind: str
    message: str
    #: Of ``IndexReport.missing_folders``: a link to one image whose disk is away (one entry,
    #: not a folder's), as the scan sorted it (``_scan.Dangling.image_link``).
    image_link_away: bool = False


class VectorSet(NamedTuple):
    """Indexed images of a catalog in a fixed order (by path): row i of ``matrix`` is ``paths[i]``."""

    paths: list[str]
    labels: list[str | None]
    matrix: np.ndarray  # (n, dim) float32, rows L2-normalised


class IndexContents:
    """What ``Catalog``'s index holds, read (and its marks and skipped files noted); its
    connection, lock and errors (``_storage``) are ``Catalog``'s."""

    def _meta(self, key: str) -> str | None:
        with self._lock, self._storage():
            row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    @property
    def version(self) -> int:
        """Increases with every committed change to the indexed set (files, labels, vectors)."""
        return int(self._meta("version") or 0)

    @property
    def uid(self) -> str:
        """Unique per index file (a rebuilt index gets a new one); with ``version`` it keys caches."""
        return self._meta("uid") or ""

    @property
    def embedder_key(self) -> str | None:
        """The ``Embedder.key`` the catalog was last indexed with (None while it holds another
        mode's vectors, not dropped yet: see ``_open_index``)."""
        return None if self._foreign else self._meta("embedder_key")

    @property
    def dim(self) -> int | None:
        value = None if self._foreign else self._meta("dim")
        return int(value) if value else None

    @property
    def unfinished(self) -> bool:
        """True while an index run is under way, or when the last one stopped before the end
        (cancelled, killed, a full disk): the catalog then holds the images indexed so far."""
        return self._meta("unfinished") is not None

    def mark_unfinished(self, unfinished: bool) -> None:
        """Set by an index run as it starts, cleared as it completes: an interrupted run stays
        told (``catalogs list``, the next search) until a run completes."""
        with self._lock, self._storage(), self.conn:
            if unfinished:
                self.conn.execute("INSERT OR REPLACE INTO meta VALUES ('unfinished', ?)",
                                  (time.strftime("%Y-%m-%dT%H:%M:%S"),))
            else:
                self.conn.execute("DELETE FROM meta WHERE key = 'unfinished'")
        if unfinished:
            # The mark went to the write-ahead log, not the index file a window showing the
            # catalog watches: touched, so that it sees a run start (and, killed before it
            # saved anything, stop) even when the run adds no folder.
            with contextlib.suppress(OSError):
                os.utime(self.index_path)

    def _bump_version(self) -> None:
        self.conn.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'version'")

    @contextlib.contextmanager
    def write_transaction(self, new_version: bool = True) -> Iterator[None]:
        """One transaction of an index run's writes, under the catalog's lock: all or nothing.
        ``new_version``: what is searched changes with it (``version``, which keys caches)."""
        with self._lock, self.conn:
            self.conn.execute("BEGIN IMMEDIATE")
            yield
            if new_version:
                self._bump_version()

    def file_entries(self) -> dict[str, FileRow]:
        """Every entry of the index (images and files skipped), by path."""
        with self._lock, self._storage():
            return index_rows(self.conn)

    def hashes_with_vectors(self, key_prefix: str) -> set[str]:
        """The content hashes that have a vector under a key starting with ``key_prefix`` (how a
        model's keys start, ``modes.vectors_key_prefix``): those a run with it does not embed."""
        with self._lock, self._storage():
            return {sha for (sha,) in self.conn.execute(
                "SELECT DISTINCT sha256 FROM vectors WHERE substr(key, 1, ?) = ?", (len(key_prefix), key_prefix))}

    def counts(self) -> tuple[int, int]:
        """(indexed images, skipped files): those the last index run reported as skipped, the
        ones its scan passed over (``note_scan_skipped``) too. An image is indexed when it has
        a vector of the catalog's model (``embedder_key``): the rows ``vectors()`` searches. A
        run switching models that stopped midway leaves entries without one, not counted."""
        with self.read_transaction():  # (the key and the counts of one version)
            indexed = self.conn.execute(SEARCHED, (self.embedder_key,)).fetchone()[0]
            skipped = self.conn.execute("SELECT COUNT(*) FROM files WHERE status = 'skipped'").fetchone()[0]
            in_scan = self._scan_skipped("SELECT COUNT(*) FROM scan_skipped")
        return indexed, skipped + (in_scan[0][0] if in_scan else 0)

    def skipped_count(self) -> int:
        """``counts``' skipped files alone: what a snapshot needs. Its count of the images
        searched joins each entry with its vector (1.2 s for 15,254 images on a busy machine,
        twice per opening of a catalog); this is a few milliseconds."""
        with self.read_transaction():
            skipped = self.conn.execute("SELECT COUNT(*) FROM files WHERE status = 'skipped'").fetchone()[0]
            in_scan = self._scan_skipped("SELECT COUNT(*) FROM scan_skipped")
        return skipped + (in_scan[0][0] if in_scan else 0)

    def entry_count(self) -> int:
        """How many entries of images the index holds (a few milliseconds for 15k: no join):
        the figure an opening says while it reads them (``ModeSession.open_catalog``)."""
        with self.read_transaction():
            return self.conn.execute("SELECT COUNT(*) FROM files WHERE status = 'ok'").fetchone()[0]

    def file_count(self) -> int:
        """How many files the indexed images (``counts``) are: the paths of one content (a folder
        and a link to it, a backup copy) count once, as ``folder_files`` counts a folder's and
        `vsdesk search` and the window count a catalog's ("10 images (20 paths)")."""
        with self._lock, self._storage():
            return self.conn.execute(SEARCHED_FILES, (self.embedder_key,)).fetchone()[0]

    def restore_key(self, key: str | None, dim: int | None) -> bool:
        """Make ``key`` (and ``dim``) the catalog's model again, after a run that switched to
        another model was cancelled: the old model's vectors are still there (they go only at the
        end of a complete run), so its images are searched again, all of them. Whether the
        catalog is whole with it (every image has a vector of ``key``): then it is no longer
        said unfinished."""
        self.check_writable()
        with self._lock, self._storage(), self.conn:
            self.conn.execute("BEGIN IMMEDIATE")
            for name, value in (("embedder_key", key), ("dim", None if dim is None else str(int(dim)))):
                if value is None:
                    self.conn.execute("DELETE FROM meta WHERE key = ?", (name,))
                else:
                    self.conn.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (name, value))
            self._bump_version()  # what is searched changed
            searched = self.conn.execute(SEARCHED, (key,)).fetchone()[0]
            entries = self.conn.execute("SELECT COUNT(*) FROM files WHERE status = 'ok'").fetchone()[0]
            whole = searched == entries
            if whole:
                self.conn.execute("DELETE FROM meta WHERE key = 'unfinished'")
        return whole

    def skipped(self) -> list[SkippedFile]:
        """Every file (or folder) the catalog could not index, with why, by path."""
        with self._lock, self._storage():
            rows = self.conn.execute(
                "SELECT path, error_kind, error_message FROM files WHERE status = 'skipped'"
            ).fetchall()
            rows += self._scan_skipped("SELECT path, kind, message FROM scan_skipped")
        return sorted(SkippedFile(*row) for row in rows)

    def _scan_skipped(self, query: str, params: tuple = ()) -> list[tuple]:
        """``query`` on ``scan_skipped``; nothing from a read-only index made before it."""
        try:
            return self.conn.execute(query, params).fetchall()
        except sqlite3.OperationalError as exc:
            if "no such table" not in str(exc):  # (not added on opening a read-only index)
                raise
            return []

    def note_scan_skipped(self, skipped: Iterable[SkippedFile]) -> None:
        """Keep what an index run's scan skipped without an entry in ``files`` (a format vsdesk
        cannot read, a file or folder that cannot be listed), in place of what the run before
        noted, so that ``counts`` and ``skipped`` say what the run said. A path is kept as it
        is, a name not UTF-8 too (``_path_columns``): ``skipped`` gives paths, not text."""
        roots = self.folders
        rows = sorted({(item.path, next((root for root in roots if is_within(item.path, root)), ""),
                        item.kind, item.message) for item in skipped})
        with self._lock, self._storage(), self.conn:
            self.conn.execute("BEGIN IMMEDIATE")
            # (sorted here: SQLite sorts a name not UTF-8, a BLOB, after every TEXT)
            if sorted(self.conn.execute("SELECT path, root, kind, message FROM scan_skipped").fetchall()) == rows:
                return  # (the catalog's version unchanged: nothing changed)
            self.conn.execute("DELETE FROM scan_skipped")
            self.conn.executemany("INSERT OR REPLACE INTO scan_skipped VALUES (?, ?, ?, ?)", rows)
            self._bump_version()

    def vectors(self) -> VectorSet:
        """All indexed images (sorted by path) with their vectors; cached until ``version`` changes."""
        return self.indexed().vectors

    def hashes(self) -> list[str]:
        """Content SHA-256 of each row of ``vectors()`` (same order). Read with them, use
        ``indexed()``: another process's commit between two calls gives rows of two versions."""
        return self.indexed().hashes

    def indexed(self) -> "Indexed":
        """``vectors()``, their ``hashes()``, the model's key and the ``version`` they are, read
        in one read transaction: of one version of the index, whatever another process commits
        meanwhile (the index is in WAL mode). Cached until ``version`` changes."""
        with self.read_transaction():
            version = self.version
            cached = self._vectors_cache
            if cached is not None and cached.version == version:
                return cached
            key, dim = self.embedder_key, self.dim
            rows = self.conn.execute(
                "SELECT f.path, f.label, f.sha256, v.vector FROM files f "
                "JOIN vectors v ON v.sha256 = f.sha256 AND v.key = ? "
                "WHERE f.status = 'ok' ORDER BY f.path",
                (key,),
            ).fetchall()
        if rows and dim:
            matrix = np.frombuffer(b"".join(r[3] for r in rows), dtype="<f4").reshape(len(rows), dim)
            matrix = matrix.astype(np.float32)  # own, writable, native order
        else:
            matrix = np.zeros((0, dim or 0), np.float32)
        found = Indexed(version, key, VectorSet([r[0] for r in rows], [r[1] for r in rows], matrix),
                        [r[2] for r in rows])
        with self._lock:
            self._vectors_cache = found
        return found

    @contextlib.contextmanager
    def read_transaction(self) -> Iterator[None]:
        """The reads inside (under the catalog's lock) see one version of the index: another
        process's commit lands before or after all of them, never between two. Inside a
        transaction already (an index run's), that one."""
        with self._lock, self._storage():
            conn = self.conn
            if conn.in_transaction:
                yield
                return
            conn.execute("BEGIN")
            try:
                yield
            finally:
                if conn.in_transaction:  # (an error may have ended it)
                    conn.execute("COMMIT")  # (nothing written: it only ends the read)


class Indexed(NamedTuple):
    """What a catalog searches, of one version of its index (``IndexContents.indexed``)."""

    version: int
    key: str | None  # the model's (``embedder_key``)
    vectors: VectorSet
    hashes: list[str]  # content SHA-256 per row of ``vectors``


#: The entries searched: those with a vector of the key given (as ``vectors()`` joins them).
#: (A set of the key's hashes, not a join: looking each entry's vector up by its primary key
#: took 0.7-1.2 s for 15,254 images, run twice as a catalog opened; this takes 0.05 s. A hash
#: has one vector per key, so the count is the same.)
_SEARCHED_ROWS = "FROM files f WHERE f.status = 'ok' AND f.sha256 IN (SELECT sha256 FROM vectors WHERE key = ?)"
#: How many images are searched: their paths (a file at two paths is two).
SEARCHED = f"SELECT COUNT(*) {_SEARCHED_ROWS}"
#: How many files those are: the paths of one content count once (a folder and a link to it).
SEARCHED_FILES = f"SELECT COUNT(DISTINCT f.sha256) {_SEARCHED_ROWS}"
