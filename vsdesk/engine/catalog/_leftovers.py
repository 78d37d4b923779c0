"""A removed catalog's folder is renamed aside (``remove_catalog``), then deleted: what a crash
or a failed delete leaves between the two is deleted later (``clear_removal_leftovers``, when
catalogs are listed or one is created), never a folder another process is deleting."""

from __future__ import annotations

import errno
import logging
import re
import uuid
from pathlib import Path

from vsdesk.engine import paths
from vsdesk.engine.catalog._errors import CatalogError
from vsdesk.engine.catalog._locking import LOCK_FILE, held_if_free
from vsdesk.engine.catalog._ondisk import NAME_RE, OUR_FILES

log = logging.getLogger(__name__)

#: How a catalog's folder being removed is renamed: hidden, and not a catalog's name
#: (``NAME_RE``), so that it is never listed, opened or taken for one.
_ASIDE = ".removed-"
#: Such a folder, by its whole name: the only ones ``clear_removal_leftovers`` deletes.
_ASIDE_RE = re.compile(re.escape(_ASIDE) + NAME_RE.pattern.strip("^$") + "-[0-9a-f]{8}")


def aside_name(name: str) -> str:
    """The name catalog ``name``'s folder is renamed to while it is removed: a new one each time."""
    return f"{_ASIDE}{name}-{uuid.uuid4().hex[:8]}"


def check_only_ours(location: Path, outcome: str) -> None:
    """``CatalogError`` if the folder ``location`` holds a file vsdesk did not write: it is not
    ours to delete (``outcome``: what became of the removal). vsdesk writes no folder there: one
    is the user's, whatever its name (a copy of the index kept as "index.sqlite.old/")."""
    others = sorted(p.name for p in location.iterdir()
                    if not p.name.startswith(OUR_FILES) or (p.is_dir() and not p.is_symlink()))
    if others:
        shown = ", ".join(others[:5]) + (", ..." if len(others) > 5 else "")
        raise CatalogError(f"{location} holds files vsdesk did not write ({shown}); {outcome}")


def delete_aside(aside: Path) -> OSError | None:
    """Delete a catalog's folder renamed aside, its lock file last: while the file is there, its
    lock says whether another process is deleting the folder. What failed, if anything."""
    for attempt in range(3):
        try:
            for entry in aside.iterdir():
                if entry.name != LOCK_FILE:
                    entry.unlink(missing_ok=True)  # (files only: a folder is not ours, ``check_only_ours``)
            (aside / LOCK_FILE).unlink(missing_ok=True)
            aside.rmdir()
            return None
        except FileNotFoundError:
            # The folder itself: emptied, another process's clean-up (``clear_removal_leftovers``)
            # removed it between its lock file and its rmdir here. Deleted, then.
            return None
        except OSError as exc:
            # Another process that looked the folder up by its name just before it was renamed
            # can still make a file in it (SQLite's -wal or -shm): gone on a second pass.
            if exc.errno != errno.ENOTEMPTY or attempt == 2:
                return exc
    return None


def clear_removal_leftovers() -> list[Path]:
    """Delete the folders that removals left renamed aside, in the catalogs' folder only: named
    exactly as ``aside_name`` names them, holding only our files, and not being deleted by
    another process now (it holds their lock file). What cannot be deleted is tried again next
    time. Returns the folders deleted."""
    deleted = []
    root = paths.catalogs_location()  # (not made: a listing writes nothing when there is nothing to delete)
    for aside in sorted(root.iterdir()) if root.is_dir() else ():
        if not _ASIDE_RE.fullmatch(aside.name) or aside.is_symlink() or not aside.is_dir():
            continue
        try:
            check_only_ours(aside, "it is left as it is")
        except (CatalogError, OSError) as exc:
            log.info("a removed catalog's folder is left: %s", exc)
            continue
        with held_if_free(aside / LOCK_FILE) as free:
            if free:
                failure = delete_aside(aside)
            elif not (aside / LOCK_FILE).exists():
                # Its remover deletes the lock file last: the rest is gone, or going. Only an
                # empty folder is removed (rmdir), never one another process is still emptying.
                failure = _rmdir(aside)
            else:
                continue  # another process is deleting it now
        if failure is None:
            deleted.append(aside)
        else:
            log.info("a removed catalog's folder %s could not be deleted: %s", aside, failure)
    return deleted


def _rmdir(folder: Path) -> OSError | None:
    try:
        folder.rmdir()
    except OSError as exc:
        return exc
    return None
