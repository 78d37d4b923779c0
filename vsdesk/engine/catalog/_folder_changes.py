"""Which catalog folders changed since the last complete index run, told cheaply (``changed_folders``).

The scan notes the modification time of every folder it walks: a folder's time changes
when an entry in it is added, removed or renamed, so comparing those times later
(``changed_roots``) tells, with one ``stat`` per folder, which folders may hold other files
than when they were indexed; only those are listed, to leave out a change to names an index
run leaves out (``.DS_Store``, ``Thumbs.db``, an editor's temp file). A file written over in
place leaves its folder's time as it was: a ``stat`` per indexed file tells
(``changed_in_place``), by its size and times, its change time too (what an index run reads
again), which no ``touch -r``, ``cp -p`` or ``rsync -t`` puts back.
"""

from __future__ import annotations

import os
import time
from typing import Callable, Iterable

from vsdesk.engine.catalog._folders_away import is_empty_folder
from vsdesk.engine.catalog._path_facts import AWAY, mtime_and_device


#: Seconds ``changed_roots`` may take before it gives up (a huge tree, a slow network disk).
CHANGE_CHECK_BUDGET = 0.1
#: Seconds ``changed_in_place`` may take: a ``stat`` per indexed file and its row read (4,878
#: photos: 40-60 ms on a busy machine, 8 ms of it the stats), so some 10,000 files are checked
#: or more; an image written over beyond those is seen by the next index run.
FILE_CHECK_BUDGET = 0.1


def changed_roots(noted: list[tuple[str, str, int]], roots: list[str], budget: float | None = None,
                  same_entries: Callable[[str, str, float], bool] | None = None,
                  mounts: Iterable[str] = ()) -> list[str] | None:
    """The ``roots`` in which a folder had an entry added, removed or renamed since ``noted``
    (``ScanResult.folder_times`` of the last complete scan) was taken: one ``stat`` per folder
    noted (a new subfolder changes its parent's time). A root noted nowhere was added since.
    A folder whose time moved is a change unless ``same_entries(root, folder, deadline)`` finds
    that it holds the entries it was indexed with (only a name an index run leaves out came or
    went), by the check's ``deadline``.
    None when it cannot be told: nothing noted (an index from before), or the check took
    longer than ``budget`` seconds (default ``CHANGE_CHECK_BUDGET``). A file changed in place
    is not seen (its folder's time stays): ``changed_in_place`` is. A linked folder whose
    target went away, or one of the ``mounts`` (mount points noted by the scan) left empty (a
    disk unplugged) is no change: their entries are kept."""
    if not noted:
        return None
    mounts = set(mounts)
    deadline = time.monotonic() + (CHANGE_CHECK_BUDGET if budget is None else budget)
    by_root: dict[str, list[tuple[str, int]]] = {}
    for root, folder, mtime in noted:
        by_root.setdefault(root, []).append((folder, mtime))
    changed = []
    for root in roots:
        for folder, mtime in by_root.get(root, [(root, None)]):
            if time.monotonic() >= deadline:
                return None  # too big or too slow to tell cheaply: better nothing than a guess
            now = mtime_and_device(folder)[0]
            # A folder removed or renamed changes its parent's time, which tells. One gone
            # while its parent's time stayed is a linked folder whose target is away (a disk
            # unplugged): its entries are kept, so it is no change, as an away root is none.
            # A mount point's time is its disk's: unmounted, it is the empty folder's below.
            if (now != mtime and now != AWAY and not (folder in mounts and is_empty_folder(folder))
                    and not (mtime is not None and same_entries is not None
                             and same_entries(root, folder, deadline))):
                changed.append(root)
                break
    return changed


def changed_in_place(indexed: Iterable[tuple[str, str, int, int, int | None]], budget: float | None = None) -> set[str]:
    """The roots of the ``indexed`` files ((root, path, size, mtime_ns, ctime_ns) as the index
    holds them; ctime_ns None when not noted) whose size or times are not what they were:
    written over (its mtime put back or not), touched. As an index run tells them (it reads
    those again), so that a search does not answer from entries the next run would change
    without saying so. A ``stat`` each, for
    ``budget`` seconds at most (default ``FILE_CHECK_BUDGET``): the files not reached by then
    are not checked. A file that cannot be stat'ed is left to ``changed_roots`` (removed, its
    folder's time tells) or is away with its folder (a disk unplugged: no change)."""
    deadline = time.monotonic() + (FILE_CHECK_BUDGET if budget is None else budget)
    changed: set[str] = set()
    for n, (root, path, size, mtime, ctime) in enumerate(indexed):
        if n % 64 == 0 and time.monotonic() >= deadline:
            break
        if root in changed:
            continue
        try:
            st = os.stat(path)
        except OSError:
            continue
        if (st.st_size, st.st_mtime_ns) != (size, mtime) or ctime not in (None, st.st_ctime_ns):
            changed.add(root)
    return changed
