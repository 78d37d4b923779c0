"""One image file as an index run reads it: its entry in the index (``FileRow``), compared with
the file the scan found (``is_unchanged``), and read, hashed and decoded in a pool thread.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
from dataclasses import dataclass
from typing import Container

import numpy as np

from vsdesk.engine.catalog._folders_away import is_empty_folder
from vsdesk.engine.catalog._scan import BROKEN_LINK, FileStat, is_image_link_away, link_to_nothing
from vsdesk.engine.embedding import Embedder
from vsdesk.engine.imageio import ImageError, load_image


#: The size a changed file is decoded at to tell, before the model is loaded, whether it is an
#: image at all (JPEG decoding skips the detail beyond it: quick; a cut-short file still fails).
_CHECK_DECODE_SIZE = 224


@dataclass
class FileRow:
    path: str
    root: str
    size: int
    mtime_ns: int
    sha256: str | None
    label: str | None
    status: str
    kind: str | None = None
    message: str | None = None
    #: Kept apart (``file_ctimes``), not in ``values``; None: not noted (an index from before).
    ctime_ns: int | None = None

    def values(self) -> tuple:
        return (self.path, self.root, self.size, self.mtime_ns, self.sha256, self.label,
                self.status, self.kind, self.message)


def index_rows(conn: sqlite3.Connection) -> dict[str, FileRow]:
    """Every entry of the index, by path, with its change time where one is noted (one read:
    a second one of ``file_ctimes`` matched in Python cost a fifth more on 50,000 entries)."""
    columns = "f.path, root, size, mtime_ns, sha256, label, status, error_kind, error_message"
    try:
        rows = conn.execute(f"SELECT {columns}, c.ctime_ns FROM files f LEFT JOIN file_ctimes c ON c.path = f.path")
    except sqlite3.OperationalError as exc:  # a read-only index from before the table: none noted
        if "no such table" not in str(exc):  # a locked database, a disk error: said, not "none noted"
            raise
        rows = conn.execute(f"SELECT {columns} FROM files f")
    return {r[0]: FileRow(*r) for r in rows}


def is_unchanged(row: FileRow | None, stat: FileStat, known: Container[str]) -> bool:
    """Whether a run leaves the file found at ``stat.path`` as the index holds it (``row``): the
    same size and time, and skipped then (for the reason kept), or its content has a vector in
    ``known`` (the run's model's). Else the run reads it (``_Plan.todo``)."""
    return same_stat(row, stat) and (row.status == "skipped" or row.sha256 in known)


def same_stat(row: FileRow | None, stat: FileStat) -> bool:
    """Whether the file at ``stat.path`` has the size and times its index entry ``row`` noted.
    A change time alone differing (a file written over, its size and mtime put back; but also
    a rename, a ``chmod``, a copy with its times) sends it to be read and hashed again: embedded
    only when its content changed. One not noted (an index from before) is taken as the same."""
    if row is None or (row.size, row.mtime_ns) != (stat.size, stat.mtime_ns):
        return False
    return None in (row.ctime_ns, stat.ctime_ns) or row.ctime_ns == stat.ctime_ns


def settle_file(stat: FileStat, known: frozenset[str], skips: dict[str, FileRow], decode: bool = True) -> FileRow | None:
    """In a pool thread: the row of a changed file if it can be had without the model (a known
    content hash, the same bytes as an earlier skip (``skips``, by hash), or a file that
    cannot be read or decoded), else None. ``decode`` False: a file of new content is not
    decoded (the model is needed anyway; ``_process`` decodes it)."""
    row, data = read_file(stat)
    if data is None:
        return row  # unreadable: skipped, whatever the model
    row.sha256 = hashlib.sha256(data).hexdigest()
    if row.sha256 in known:
        return row
    old = skips.get(row.sha256)
    if old is not None:  # the same bytes fail to decode the same way
        row.status, row.kind, row.message = "skipped", old.kind, old.message
        return row
    if not decode:
        return None
    # A file that does not decode (an image written over by a cut-short one) needs no model:
    # loading it (seconds) to embed nothing was the cost. (Decoded again, at the model's size,
    # by ``_process`` when some other file needs the model: only the few in flight twice.)
    try:
        load_image(data, min_size=_CHECK_DECODE_SIZE)
    except ImageError as exc:
        row.status, row.kind, row.message = "skipped", exc.kind, exc.reason
        return row
    return None


#: The status of the row of a file deleted between the scan and its reading (``read_file``):
#: it is not there, so it is neither indexed nor skipped, and its entry goes (never written).
GONE = "gone"
#: The status of the row of a file missing at its reading because its disk went (unplugged
#: mid-run, ``_away_now``): away, as the next scan says, not deleted. Its entry is left as it
#: is (nothing written, nothing counted; a file new to the catalog is not added this run).
AWAY_NOW = "away"


def read_file(stat: FileStat) -> tuple[FileRow, bytes | None]:
    """The file's row and its bytes; None and a skipped row when it cannot be read, a ``GONE``
    row when it was deleted since the scan listed it (its folder too, or not), or an
    ``AWAY_NOW`` one when its disk went (``_away_now``)."""
    row = FileRow(stat.path, stat.root, stat.size, stat.mtime_ns, None, stat.label, "ok", ctime_ns=stat.ctime_ns)
    try:
        with open(stat.path, "rb") as fp:
            return row, fp.read()
    except OSError as exc:
        # Not there at all: deleted. A link there whose file is gone is a broken link, as the
        # next scan says (``_write`` counts it so).
        if isinstance(exc, (FileNotFoundError, NotADirectoryError)):
            if not os.path.lexists(stat.path):
                row.status = AWAY_NOW if _away_now(stat) else GONE
                return row, None
            if is_image_link_away(stat.path):  # its target's folder went: a link away, not broken
                row.status = AWAY_NOW
                return row, None
            broken = link_to_nothing(stat.path)
            if broken is not None:
                row.status, row.kind, row.message = "skipped", BROKEN_LINK, broken
                return row, None
        row.status, row.kind = "skipped", "unreadable"
        row.message = ("permission denied: the file cannot be read" if isinstance(exc, PermissionError)
                       else f"the file cannot be read ({exc.strerror or exc})")
        return row, None


def _away_now(stat: FileStat) -> bool:
    """A file missing at its reading is away, not deleted, as the next scan would tell it: its
    catalog folder is away or cannot be listed (a disk unplugged, a share gone), or the linked
    folder or mount point the scan reached it through (``FileStat.attached_at``: another disk)
    leads nowhere or is left empty. A subfolder deleted or emptied in a catalog folder that is
    there and on its disk is a deletion, as the next scan finds it: its entries go now. (The
    scan tells a mount point by its device, from the ``stat`` it makes anyway; one it could
    not tell, such as a bind mount of the same disk, is taken for a plain folder, as the next
    run takes it.) A listing's first entry or a ``stat`` or two, asked only of a file missing."""
    if not _there_with_entries(stat.root):
        return True
    attached = stat.attached_at
    return attached is not None and (not os.path.isdir(attached) or is_empty_folder(attached))


def _there_with_entries(folder: str) -> bool:
    """``folder`` can be listed and holds something: not away (``away_kind``), not unreadable."""
    try:
        with os.scandir(folder) as entries:
            return next(entries, None) is not None
    except OSError:
        return False


def read_and_prepare(stat: FileStat, known: frozenset[str], embedder: Embedder,
                      decode_size: int | None) -> tuple[FileRow, np.ndarray | None]:
    """In a pool thread: read, hash and (unless the hash is known) decode + preprocess."""
    row, data = read_file(stat)
    if data is None:
        return row, None
    row.sha256 = hashlib.sha256(data).hexdigest()
    if row.sha256 in known:
        return row, None
    try:
        image = load_image(data, min_size=decode_size)
        array = np.asarray(embedder.preprocess(image))
    except ImageError as exc:
        row.status, row.kind, row.message = "skipped", exc.kind, exc.reason
        return row, None
    except Exception as exc:  # noqa: BLE001 - a model's preprocess failing on one odd image
        row.status, row.kind, row.message = "skipped", "unusable", f"cannot be prepared for the model ({exc})"
        return row, None
    return row, array


def hash_of(stat: FileStat) -> str | None:
    """The file's content hash, read; None when it cannot be read."""
    _row, data = read_file(stat)
    return None if data is None else hashlib.sha256(data).hexdigest()
