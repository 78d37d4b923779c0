"""Whether an index this process found damaged really is, asked of a process of its own before
the index is moved aside and rebuilt (``confirm_damage``).

This process's view can be wrong while the file is sound: SQLite shares one view of an index's
-wal and -shm among all the connections of a process, so a fresh connection here sees what the
others see, stale or not (an index looked at while another process's `vsdesk index` closed it
read "malformed" here, and checked ok everywhere else). And a move aside must wait until no one
has the index open: a connection left on the moved file would, on closing last, checkpoint and
delete the -wal and -shm by their names, which are the new index's by then.
"""

from __future__ import annotations

import json
import logging
import subprocess
from dataclasses import dataclass
from pathlib import Path

from vsdesk.engine.child_process import INDEX_LOOK_MODULE, start_child

log = logging.getLogger(__name__)

#: Seconds the other process is given: SQLite's check of the index (as long as the one that
#: found the damage) and a lock probe. Past it the damage is not confirmed, and nothing is moved.
CONFIRM_TIMEOUT = 120.0
#: Seconds another connection to the index is waited for to close (a look holds it for
#: milliseconds; a search or a map for longer): past it the index is left as it is.
IN_USE_PATIENCE = 5.0


@dataclass(frozen=True)
class DamageVerdict:
    #: What is wrong with the file as a process of its own reads it; None: it reads fine there,
    #: or could not be told (locked, a disk error, no answer in time).
    problem: str | None
    #: Another connection (of any process, this one included) has the index open now.
    in_use: bool
    #: What the other process said, for the log.
    said: str


def confirm_damage(path: Path, problem_here: str) -> DamageVerdict:
    """Ask a process of its own whether the index at ``path`` is damaged (``problem_here``: what
    this process found), and whether anyone has it open. Called under the catalog's lock, with
    this ``Catalog``'s connection closed, only once damage was found: its cost (a Python start,
    some 0.1-0.5 s, SQLite's quick check again, and up to ``IN_USE_PATIENCE`` for another connection
    to close) is paid on that path alone."""
    # (a child of vsdesk's own, ``index_look``: multiprocessing's "spawn" imported the caller's
    # main module again, and a script without a ``__main__`` guard ran itself there)
    try:
        said = _look_in_child(path)
    except (OSError, ValueError, subprocess.TimeoutExpired) as exc:
        log.info("the check of %s in a process of its own failed (%s)", path, exc)
        return DamageVerdict(None, False, f"no answer ({exc})")
    code = said.get("code")
    code = None if code is None else code & 0xFF
    if said.get("size") == 0:
        problem = problem_here  # (an empty file is a new database to SQLite, not told by it)
    elif code in (11, 26):  # SQLITE_CORRUPT, SQLITE_NOTADB
        problem = problem_here
    elif "error" not in said and said.get("check") != "ok":
        problem = problem_here
    else:
        problem = None  # sound there, or not told (locked, I/O): nothing proves it damaged
    return DamageVerdict(problem, bool(said.get("in_use")), json.dumps(said)[:2000])


def _look_in_child(path: Path) -> dict:
    """What ``index_look`` says of the index at ``path`` in a child: a JSON object (``ValueError``
    if it is not one: the child failed)."""
    child = start_child(INDEX_LOOK_MODULE, [str(path), str(IN_USE_PATIENCE)])
    try:
        out, _ = child.communicate(timeout=CONFIRM_TIMEOUT)
    finally:
        if child.poll() is None:
            child.kill()
            child.communicate()
    lines = out.decode("utf-8", "replace").strip().splitlines()
    said = json.loads(lines[-1]) if lines else None
    if not isinstance(said, dict):
        raise ValueError(f"no answer from the child (exit code {child.returncode})")
    return said
