"""Which folders are away: a catalog folder missing, a file now, or left empty (the mount point
of a disk that is not mounted); a linked folder or mount point in one whose disk is unplugged.

Their images are kept and searched, and the user is told (``_away_words`` has the words).
"""

from __future__ import annotations

import os
import stat
from typing import Iterable

from vsdesk.engine.catalog._scan import LINK


def attached_away_kind(folder: str, kind: str) -> str | None:
    """How a subfolder noted as ``kind`` (``LINK`` or ``MOUNT``, see ``ScanResult.attached``)
    is away now, one of ``AWAY_KINDS``: a link that leads nowhere is missing, a mount point
    left empty is empty. None when it is there, or was deleted (its images are then forgotten
    by the next index run, as those of any folder deleted)."""
    if kind == LINK:
        return "missing-folder" if os.path.islink(folder) and not os.path.exists(folder) else None
    return "empty-folder" if is_empty_folder(folder) else None


def why_not_a_folder(path: str) -> str | None:
    """Why ``path`` cannot be a catalog folder, in words; None when it can."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return "no such folder"
    except PermissionError:
        return "permission denied: a folder on its path cannot be opened"
    except OSError as exc:
        return f"it cannot be read ({exc.strerror or exc})"
    return None if stat.S_ISDIR(mode) else "this is a file, not a folder"


def is_away(folder: str) -> bool:
    """A catalog folder that is missing, a file, or there but empty (the mount point of a disk
    that is not mounted): its images are kept and searched, and the user is told."""
    return away_kind(folder) is not None


def away_kind(folder: str) -> str | None:
    """How a catalog folder is away, one of ``AWAY_KINDS`` (as the index run would say it);
    None when it is a folder with something in it."""
    if os.path.isdir(folder):
        return "empty-folder" if is_empty_folder(folder) else None
    return "not-a-folder" if os.path.exists(folder) else "missing-folder"


def away_folders(folders: Iterable[str]) -> dict[str, str]:
    """The ``folders`` that are away, each with its kind (``away_kind``), in their order."""
    return {str(folder): kind for folder in folders if (kind := away_kind(str(folder)))}


def is_empty_folder(path: str) -> bool:
    """A folder with nothing at all in it (False for a missing or unreadable one)."""
    try:
        with os.scandir(path) as entries:
            return next(entries, None) is None
    except OSError:
        return False
