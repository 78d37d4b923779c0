"""A catalog's lock: an index run holds it from start to end, every other change of the catalog
while it is made (``lock_catalog``); an ``flock`` on a file in the catalog's folder, so that it
keeps other vsdesk processes out, and a set of the locks this process holds, so that its own
is told from another's."""

from __future__ import annotations

import contextlib
import errno
import os
import threading
import time
from pathlib import Path
from typing import Iterator

from vsdesk.engine.catalog._errors import CatalogStorageError, being_indexed, no_such_catalog, storage_error
from vsdesk.engine.text import shell_quoted

try:
    import fcntl
except ImportError:  # Windows: no advisory locks; two processes at once are the user's choice
    fcntl = None  # type: ignore[assignment]

#: Held (``flock``) by an index run and by every other change of a catalog (``Catalog.exclusive``).
LOCK_FILE = ".index.lock"
#: How long a change waits for the lock held a moment by another process's look at it
#: (``is_being_indexed``); an index run holds it for longer, and the change is refused.
LOCK_PATIENCE = 0.2


#: The catalogs whose lock this process holds (``lock_catalog``), by location. An flock is per
#: open file, so this process would wait for its own lock as for another's, and be told of
#: "another vsdesk process"; this says it is its own, at once.
_held_here: set[Path] = set()
_held_here_lock = threading.Lock()


def _held_key(location: Path) -> Path:
    return Path(os.path.realpath(location))


def held_here(location: Path) -> bool:
    """Whether this process holds the lock of the catalog in ``location`` (an index run in one of
    its threads): it is not waited for, and is not another process's."""
    with _held_here_lock:
        return _held_key(location) in _held_here


@contextlib.contextmanager
def lock_catalog(location: Path, name: str, outcome: str = "", shared: bool = False,
                 patience: float = 0.0) -> Iterator[None]:
    """The lock of the catalog in ``location``: an index run holds it from start to end, and
    every other change (a folder added or forgotten, another model, the catalog removed) while
    it is made, so that none is undone by a run of another process (which would put back a
    forgotten folder's entries, or write its own settings over the change). Never waited for:
    ``CatalogBusy`` (``being_indexed``) when another holds it, after ``patience`` seconds at
    most. ``shared``: only a look (``is_being_indexed``), which does not keep other looks out.
    Held by this process (a run in another thread, or in this one through another ``Catalog``:
    ``exclusive`` is re-entrant for its own), ``CatalogBusy`` at once, said as this process's."""
    key = _held_key(location)
    with _held_here_lock:
        if key in _held_here:
            raise being_indexed(name, outcome, here=True)
        if not shared:
            _held_here.add(key)
    try:
        with _flock(location, name, outcome, shared, patience):
            yield
    finally:
        if not shared:
            with _held_here_lock:
                _held_here.discard(key)


@contextlib.contextmanager
def _flock(location: Path, name: str, outcome: str, shared: bool, patience: float) -> Iterator[None]:
    """The lock file's ``flock``, kept from other processes (``lock_catalog``)."""
    if fcntl is None:
        yield
        return
    path = location / LOCK_FILE
    try:
        fp = open(path, "w")
    except OSError as exc:  # a read-only or full disk
        if exc.errno == errno.ENOENT and not location.is_dir():  # removed by another process meanwhile
            raise no_such_catalog(name) from None
        if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):  # (the lock file is ours, not the user's)
            raise CatalogStorageError(
                f"catalog {name!r} cannot be changed: its folder {location} is read-only (or you may not write "
                f"in it). Make it writable (e.g. `chmod u+w {shell_quoted(str(location))}`) and run again; "
                f"{outcome or 'nothing was changed'}") from None
        raise storage_error(path, exc, name) from None
    with fp:
        deadline = time.monotonic() + patience
        while True:
            try:
                fcntl.flock(fp.fileno(), (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | fcntl.LOCK_NB)
                break
            except OSError:
                if time.monotonic() >= deadline:
                    raise being_indexed(name, outcome) from None
                time.sleep(0.02)
        try:
            yield
        finally:
            fcntl.flock(fp.fileno(), fcntl.LOCK_UN)


@contextlib.contextmanager
def held_if_free(path: Path) -> Iterator[bool]:
    """An ``flock`` on the lock file ``path`` if no other process holds it: whether it is held.
    Never made (no O_CREAT): a folder renamed aside for removal (``remove_catalog``) is not
    written into; gone or held by another, False."""
    if fcntl is None:
        yield True  # (Windows: no advisory locks; a file in use there cannot be deleted anyway)
        return
    try:
        fd = os.open(path, os.O_RDWR)
    except OSError:
        yield False
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            free = True
        except OSError:
            free = False
        yield free
    finally:
        os.close(fd)  # (releases the lock)
