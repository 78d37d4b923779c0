"""Whether the folders given to be indexed can be listed: one that cannot (no read or search
permission, a disk error) is not added, by `vsdesk index` and the window alike, in the same words.

Without that check, the scan sees such a folder as one unreadable entry and indexes nothing of
it: the folder became a catalog folder, a new catalog of it was made empty, and the run said
"0 images added" or "up to date". These stat and list folders: for the I/O thread.
"""

from __future__ import annotations

import os
from typing import Iterable

from vsdesk.engine.catalog._scan import is_within


def why_not_listed(path: str) -> str | None:
    """Why the images of folder ``path`` cannot be listed, in words ("permission denied"); None
    when they can. Listing needs read permission, opening its entries search (x) permission."""
    try:
        with os.scandir(path):
            pass
    except PermissionError:
        return "permission denied"
    except OSError as exc:
        return (exc.strerror or str(exc)).lower()
    return None if os.access(path, os.R_OK | os.X_OK) else "permission denied"


def unreadable_folders(folders: Iterable[str], catalog_folders: Iterable[str] = ()) -> dict[str, str]:
    """The ``folders`` (as given) that cannot be listed, each with why. One that is a folder of
    the catalog already (``catalog_folders``), or inside one, is left out: the index run keeps
    its entries and says it skipped it, as for any catalog folder that became unreadable."""
    catalog_folders = list(catalog_folders)
    found = {}
    for folder in folders:
        path = os.path.abspath(os.path.expanduser(folder))
        if any(is_within(path, other) for other in catalog_folders):
            continue
        why = why_not_listed(path)
        if why:
            found[folder] = why
    return found


def unreadable_words(folders: dict[str, str]) -> str:
    """``unreadable_folders`` said: "cannot read folder /x: permission denied; cannot read …"."""
    return "; ".join(f"cannot read folder {folder}: {why}" for folder, why in folders.items())
