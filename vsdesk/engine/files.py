"""Small file helpers every part of the engine shares: content hashes and atomic writes.

Atomic = written to a temporary file in the same folder, then ``os.replace``d over the target,
so a reader (or the next run after a crash) sees the old file or the new one, never half of one.
``atomic_path`` is the one place the engine does this; the ``atomic_*`` writers are built on it.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import socket
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np

from vsdesk.engine.text import json_surrogates_escaped

_CHUNK = 1 << 20


def sha256_file(path: str | os.PathLike, progress: Callable[[int], None] | None = None) -> str:
    """Hex SHA-256 of a file's content, read in 1 MiB chunks; ``progress(bytes_done)`` per chunk."""
    digest = hashlib.sha256()
    done = 0
    with open(path, "rb") as fp:
        while chunk := fp.read(_CHUNK):
            digest.update(chunk)
            if progress is not None:
                done += len(chunk)
                progress(done)
    return digest.hexdigest()


def temp_path(directory: str | os.PathLike, suffix: str = "") -> Path:
    """A new, empty file ``.tmp-<pid>-<host>-<random><suffix>`` in ``directory`` (on the
    target's file system, so ``os.replace`` from it is atomic); the caller owns it.

    Unlike ``mkstemp`` (0600), the file gets the permissions any new file of the user gets (0666
    less the umask): the kernel applies the umask, so it is never read or changed here. The
    ``.tmp-`` prefix lets the model cache recognise temp files a crash or a kill left behind,
    and the process id, its start time (where the system tells it: Linux) and host in the name
    tell whether the process that made one still runs (``stale_temp_files``), so a live
    process's temp file is never taken for a leftover.
    """
    me = os.getpid()
    start = process_start(me)
    while True:
        path = Path(directory) / (f".tmp-{me}{'' if start is None else f'.{start}'}-{_host_tag()}-"
                                  f"{secrets.token_hex(8)}{suffix}")
        try:
            os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666))
            return path
        except FileExistsError:  # a random name already taken: draw another
            continue


#: ``temp_path``'s names: the process id, its start time (where known), the host's tag, the
#: random part.
_TEMP_NAME = re.compile(r"\.tmp-(\d+)(?:\.(\d+))?-([0-9a-f]{8})-[0-9a-f]{16}")


def _host_tag() -> str:
    """8 hex digits of the host's name, and where the system tells them (Linux) its machine id
    and this process's pid namespace: a cache folder shared over the network, or by containers
    (each with its own process ids, often under one host name), holds other hosts' temp files,
    whose process ids mean nothing here. Elsewhere (macOS, Windows) the name alone, as before."""
    told = [socket.gethostname(), _read_text("/etc/machine-id")]
    try:
        told.append(os.readlink("/proc/self/ns/pid"))  # "pid:[4026531836]"
    except (OSError, AttributeError):
        pass
    name = "\0".join(part for part in told if part)
    return hashlib.sha256(name.encode("utf-8", "surrogateescape")).hexdigest()[:8]


def _read_text(path: str) -> str:
    try:
        with open(path, encoding="ascii", errors="replace") as fp:
            return fp.read().strip()
    except OSError:
        return ""


def process_start(pid: int) -> str | None:
    """When process ``pid`` started, in clock ticks since boot (the 22nd field of
    /proc/PID/stat, Linux): with its id, it tells the process from a later one given the same
    id. None where it cannot be read (no such process; no /proc: macOS, Windows)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fp:
            stat = fp.read()
        # The name (field 2) is in parentheses and may hold spaces: count from the last ")".
        return stat[stat.rindex(b")") + 2 :].split()[19].decode("ascii")
    except (OSError, ValueError, IndexError):
        return None


def stale_temp_files(directory: str | os.PathLike, own: bool = False) -> list[Path]:
    """The ``temp_path`` files in ``directory`` whose process is no longer running on this host
    (killed, crashed, cut off by a power loss; its id perhaps given to another process since),
    or with ``own``, those of this very process (it is exiting: its threads' writes are
    abandoned). A name of another host, of a process that runs, or in the older form without a
    process id, is never listed."""
    me, host = os.getpid(), _host_tag()
    my_start = process_start(me)
    found = []
    try:
        names = os.listdir(directory)
    except OSError:
        return []
    for name in names:
        match = _TEMP_NAME.match(name)
        if match is None or match[3] != host:
            continue
        pid, start = int(match[1]), match[2]
        mine = pid == me and (start is None or start == my_start)
        if mine if own else (not mine and not process_running(pid, start)):
            found.append(Path(directory) / name)
    return found


def process_running(pid: int, start: str | None = None) -> bool:
    """Whether process ``pid`` runs, and is the one that started at ``start`` (``process_start``)
    where that is told and can be checked. Never asked with ``os.kill`` on Windows, where
    signal 0 would end the process: there it is taken to run."""
    if start is not None and os.path.isdir("/proc/self"):
        return process_start(pid) == start  # None: no such process now
    if os.name == "nt":
        return True  # os.kill(pid, 0) would end the process there: the cache's day-old rule applies
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except OSError:  # it exists, owned by another user (EPERM)
        return True
    return True


def export_target(target: str | os.PathLike) -> Path:
    """``target`` as an absolute path, if a model can be exported to it (``vsdesk models
    export``): a new or empty folder; else ``FileExistsError`` (nothing is overwritten)."""
    target = Path(target).expanduser().absolute()
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise FileExistsError(f"{target} exists and is not an empty folder: nothing is overwritten; give a new folder")
    return target


@contextmanager
def atomic_path(path: str | os.PathLike, suffix: str = "", *, fsync: bool = False) -> Iterator[Path]:
    """Yield a new temporary file beside ``path`` to write; on success it replaces ``path``, on
    any exception it is removed and ``path`` is left as it was.

    The temp name ends with ``path``'s own name, and with ``suffix`` if that name lacks it, so a
    writer that infers the format from the name (PIL) or insists on an ending (NumPy adds
    ``.npy``, Keras wants ``.weights.h5``) sees the right one. Each call gets its own name, so
    two threads or processes writing the same target never share a temp file. ``fsync=True``
    flushes the data to disk before the rename, for a file whose loss would cost the user work.
    """
    path = Path(path)
    ending = path.name if path.name.endswith(suffix) else path.name + suffix
    tmp = temp_path(path.parent, f"-{ending}")
    try:
        yield tmp
        if fsync:
            with open(tmp, "rb+") as fp:
                os.fsync(fp.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def atomic_write_json(path: str | os.PathLike, data: Any, *, fsync: bool = False, **dump_options: Any) -> None:
    # (a folder's name that is not UTF-8: ``json_surrogates_escaped``)
    text = json_surrogates_escaped(json.dumps(data, **dump_options))
    with atomic_path(path, fsync=fsync) as tmp:
        tmp.write_text(text + "\n", encoding="utf-8")


def atomic_save_npy(path: str | os.PathLike, array: np.ndarray) -> None:
    with atomic_path(path, ".npy") as tmp:
        np.save(tmp, array, allow_pickle=False)


def atomic_savez(path: str | os.PathLike, *arrays: np.ndarray, **named: np.ndarray) -> None:
    with atomic_path(path, ".npz") as tmp:
        np.savez(tmp, *arrays, **named)
