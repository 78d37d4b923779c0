"""The child process that looks at a catalog's index for ``catalog._damage.confirm_damage``:
SQLite's quick check of it, and whether another connection has it open, told to the parent as
one JSON object on stdout. Started by ``child_process`` (never multiprocessing's "spawn": a
user's script without a ``__main__`` guard ran itself again in that child); it imports only the
standard library, so that it starts in moments.
"""

from __future__ import annotations

import json
import os
import sqlite3
import sys
import time

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None

#: SQLite's lock bytes in the file (os_unix.c: PENDING_BYTE + 2, SHARED_SIZE).
_SHARED_FIRST, _SHARED_SIZE = 0x40000002, 510


def look(path: str, patience: float) -> dict:
    """SQLite's quick check of the index at ``path`` ("check", or "error" and its "code"), its
    "size", and whether another connection has it open ("in_use"). Each connection to an index
    in WAL mode holds a read lock on SQLite's "shared" bytes of the file for as long as it is
    open (that is how the last one to close knows it is the last): a write lock on them that
    cannot be had within ``patience`` seconds says someone has it open. This process holds no
    connection to it by then, so closing its file descriptor releases nobody's lock."""
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
    in_use = _in_use(path, patience)
    if in_use is not None:
        said["in_use"] = in_use
    return said


def _in_use(path: str, patience: float) -> bool | None:
    """Whether another connection has the index open, or None: not told (Windows, where an
    open file cannot be renamed anyway; a file that may not be written)."""
    if fcntl is None:
        return None
    try:
        fd = os.open(path, os.O_RDWR)
    except OSError:
        return None
    deadline = time.monotonic() + patience
    try:
        while True:  # (a look at the catalog holds it for milliseconds: waited for)
            try:
                fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, _SHARED_SIZE, _SHARED_FIRST, os.SEEK_SET)
                return False
            except OSError:
                if time.monotonic() > deadline:
                    return True
                time.sleep(0.05)
    finally:
        os.close(fd)


def main(arguments: list[str]) -> int:
    """The child: ``arguments`` are the index's path and the patience in seconds."""
    said = look(arguments[0], float(arguments[1]))
    sys.stdout.write(json.dumps(said) + "\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
