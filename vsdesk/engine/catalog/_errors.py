"""A catalog's errors, and SQLite's and the OS's errors on its files said as one of them: what
went wrong in words the user can act on."""

from __future__ import annotations

import errno
import shutil
import sqlite3
from pathlib import Path

from vsdesk.engine.text import shell_quoted


class CatalogError(Exception):
    """A catalog problem the user can act on; ``str()`` is the message to show."""


class CatalogNotFound(CatalogError):
    pass


def no_such_catalog(name: str) -> CatalogNotFound:
    """There is no catalog ``name``: none was made, or another process removed it meanwhile."""
    return CatalogNotFound(f"no catalog named {name!r} (see `vsdesk catalogs list`)")


class CatalogExists(CatalogError):
    pass


class CatalogChanged(CatalogError):
    """The catalog holds other images or folders than the user was told when asked whether to
    remove it (``remove_catalog``'s ``expect``): nothing was removed; ask again."""


class CatalogModeMismatch(CatalogError):
    pass


class CatalogBusy(CatalogError):
    """The catalog is being indexed. ``here``: by this process (its own index run, in another
    thread or another ``Catalog`` of it), not by another vsdesk window or command."""

    def __init__(self, message: str = "", here: bool = False):
        super().__init__(message)
        self.here = here


class CatalogDamaged(CatalogError):
    """A look at the catalog (``Catalog.open(name, look=True)``) found its index file damaged:
    left as it is, for the next open to move aside and rebuild, and to say so."""


class CatalogStorageError(CatalogError):
    """A catalog file cannot be read or written just now: another program locks it, the disk is
    full, the file or disk is read-only, no permission, a disk error. The file is sound and is
    left exactly as it is; the message says what to do before running again."""


def _primary_code(exc: BaseException) -> int | None:
    """SQLite's primary result code (Python gives the extended one, e.g. SQLITE_IOERR_WRITE)."""
    code = getattr(exc, "sqlite_errorcode", None)
    return None if code is None else code & 0xFF


def is_corruption(exc: BaseException) -> bool:
    """Only these say the file itself is bad. Every other error (locked, disk full, read-only,
    no permission, I/O, cannot open) is about the circumstances: the file is sound and must be
    left alone, or a healthy index would be thrown away and rebuilt for nothing."""
    return _primary_code(exc) in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB)


def is_not_a_database(exc: BaseException) -> bool:
    """SQLite found no database in the file (its header is not SQLite's: overwritten, cut off)."""
    return _primary_code(exc) == sqlite3.SQLITE_NOTADB


def _nearly_full(folder: Path) -> bool:
    """SQLite reports some writes that failed for want of space as I/O errors: ask the disk."""
    try:
        return shutil.disk_usage(folder).free < 1 << 20
    except OSError:
        return False


def storage_error(path: Path, exc: BaseException, name: str | None = None) -> CatalogError:
    """A SQLite or OS error on one of our files, as a message that says what to do."""
    code, err = _primary_code(exc), getattr(exc, "errno", None)
    if is_corruption(exc):  # found in use, after the checks on opening passed
        text = (f"the index file {path} is damaged ({exc}); your images are untouched. "
                f"`vsdesk catalogs remove {shell_quoted(name or path.parent.name)}` and indexing the folders again rebuilds it")
        return CatalogError(f"catalog {name!r}: {text}" if name else text)
    if code == sqlite3.SQLITE_FULL or err in (errno.ENOSPC, errno.EDQUOT) or (
        code == sqlite3.SQLITE_IOERR and _nearly_full(path.parent)  # e.g. the -shm file cannot grow
    ):
        text = f"the disk holding {path} is full: free some space and run again"
    elif code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
        text = f"{path} is locked by another program: close that program (or let it finish) and run again"
    elif code == sqlite3.SQLITE_READONLY or err == errno.EROFS:
        text = (f"{path} is read-only, so it cannot be updated: make it, its folder and any -wal or -shm "
                f"file beside it writable (e.g. `chmod u+w {shell_quoted(str(path))}*`) and run again")
    elif code in (sqlite3.SQLITE_PERM, sqlite3.SQLITE_AUTH, sqlite3.SQLITE_CANTOPEN) or err in (errno.EACCES,
                                                                                             errno.EPERM):
        text = (f"no permission to read or write {path} ({exc}): check that you may read and write it "
                f"and its folder {path.parent}, and run again")
    elif code == sqlite3.SQLITE_IOERR or err == errno.EIO:
        text = f"{path} cannot be read or written (a disk error: {exc}): check the disk and run again"
    else:
        text = f"{path} cannot be used ({exc})"
    text += "; nothing is lost"
    return CatalogStorageError(f"catalog {name!r}: {text}" if name else text)


def being_indexed(name: str, outcome: str = "", here: bool = False) -> CatalogBusy:
    """The error of a catalog another vsdesk process holds (``lock_catalog``); ``outcome``: what
    became of the change refused ("nothing was changed"). ``here``: held by this process (its
    index run, in another thread or another ``Catalog`` of it)."""
    text = f"catalog {name!r} is being indexed by {'this' if here else 'another'} vsdesk process"
    return CatalogBusy(f"{text}; {outcome}: try again once it has finished" if outcome else text, here=here)
