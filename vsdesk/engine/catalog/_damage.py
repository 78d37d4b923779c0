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
import sys
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

#: Seconds the other process is given: SQLite's check of the index (as long as the one that
#: found the damage) and a lock probe. Past it the damage is not confirmed, and nothing is moved.
CONFIRM_TIMEOUT = 120.0

# Run with ``python -I``: the standard library only. Each connection to an index in WAL mode
# holds a read lock on SQLite's "shared" bytes of the file for as long as it is open (that is
# how the last one to close knows it is the last): a write lock on them that cannot be had
# says someone has the index open. This process holds no connection to it by then, so closing
# its file descriptor releases nobody's lock.
_CHECK = r"""
import json, os, sqlite3, sys
path = sys.argv[1]
said = {"size": os.stat(path).st_size}
try:
    conn = sqlite3.connect(path, timeout=5, isolation_level=None)
    try:
        said["check"] = (conn.execute("PRAGMA quick_check").fetchone() or ["no answer"])[0]
    finally:
        conn.close()
except sqlite3.Error as exc:
    said["error"] = str(exc)
    said["code"] = getattr(exc, "sqlite_errorcode", None)
try:
    import fcntl
except ImportError:  # Windows: an open file cannot be renamed there anyway
    fcntl = None
if fcntl is not None:
    try:
        fd = os.open(path, os.O_RDWR)
    except OSError:
        pass  # (may not be written: not told)
    else:
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 510, 0x40000002, os.SEEK_SET)
            said["in_use"] = False
        except OSError:
            said["in_use"] = True
        finally:
            os.close(fd)
print(json.dumps(said))
"""


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
    some 50 ms, and SQLite's quick check again) is paid on that path alone."""
    try:
        done = subprocess.run([sys.executable, "-I", "-c", _CHECK, str(path)], capture_output=True,
                              text=True, timeout=CONFIRM_TIMEOUT, check=False)
        said = json.loads(done.stdout.strip().splitlines()[-1])
    except (OSError, subprocess.SubprocessError, ValueError, IndexError) as exc:
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
