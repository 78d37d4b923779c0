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
import multiprocessing
import os
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None

log = logging.getLogger(__name__)

#: Seconds the other process is given: SQLite's check of the index (as long as the one that
#: found the damage) and a lock probe. Past it the damage is not confirmed, and nothing is moved.
CONFIRM_TIMEOUT = 120.0
#: Seconds another connection to the index is waited for to close (a look holds it for
#: milliseconds; a search or a map for longer): past it the index is left as it is.
IN_USE_PATIENCE = 5.0
#: SQLite's lock bytes in the file (os_unix.c: PENDING_BYTE + 2, SHARED_SIZE).
_SHARED_FIRST, _SHARED_SIZE = 0x40000002, 510


def _look_from_here(path: str, patience: float, answer) -> None:
    """Run in a process of its own (``confirm_damage``): SQLite's quick check of the index, and
    whether another connection has it open. Each connection to an index in WAL mode holds a read
    lock on SQLite's "shared" bytes of the file for as long as it is open (that is how the last
    one to close knows it is the last): a write lock on them that cannot be had says someone has
    it open. This process holds no connection to it by then, so closing its file descriptor
    releases nobody's lock."""
    said: dict = {}
    try:
        said["size"] = os.stat(path).st_size
        conn = sqlite3.connect(path, timeout=5, isolation_level=None)
        try:
            said["check"] = (conn.execute("PRAGMA quick_check").fetchone() or ["no answer"])[0]
        finally:
            conn.close()
    except sqlite3.Error as exc:
        said["error"], said["code"] = str(exc), getattr(exc, "sqlite_errorcode", None)
    except OSError as exc:
        said["error"] = str(exc)  # (gone, unreadable: nothing proven)
    if fcntl is not None:  # (Windows: an open file cannot be renamed there anyway)
        try:
            fd = os.open(path, os.O_RDWR)
        except OSError:
            fd = None  # (may not be written: not told)
        if fd is not None:
            deadline = time.monotonic() + patience
            try:
                while True:  # (a look at the catalog holds it for milliseconds: waited for)
                    try:
                        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, _SHARED_SIZE, _SHARED_FIRST, os.SEEK_SET)
                        said["in_use"] = False
                        break
                    except OSError:
                        said["in_use"] = True
                        if time.monotonic() > deadline:
                            break
                        time.sleep(0.05)
            finally:
                os.close(fd)
    answer.send(said)
    answer.close()


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
    # (multiprocessing, not ``sys.executable -c``: in the PyInstaller bundle that is vsdesk itself)
    context = multiprocessing.get_context("spawn")
    receiving, sending = context.Pipe(duplex=False)
    look = context.Process(target=_look_from_here, args=(str(path), IN_USE_PATIENCE, sending), daemon=True)
    try:
        look.start()
        sending.close()
        if not receiving.poll(CONFIRM_TIMEOUT):
            raise TimeoutError(f"no answer in {CONFIRM_TIMEOUT:.0f} s")
        said = receiving.recv()
    except (OSError, EOFError, TimeoutError) as exc:
        log.info("the check of %s in a process of its own failed (%s)", path, exc)
        return DamageVerdict(None, False, f"no answer ({exc})")
    finally:
        receiving.close()
        if look.is_alive():
            look.join(1)
        if look.is_alive():
            look.kill()
        look.join()
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
