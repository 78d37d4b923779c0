"""Small file helpers every part of the engine shares: content hashes and atomic writes.

Atomic = written to a temporary file in the same folder, then ``os.replace``d over the target,
so a reader (or the next run after a crash) sees the old file or the new one, never half of one.
``atomic_path`` is the one place the engine does this; the ``atomic_*`` writers are built on it.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np

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
    """A new, empty file ``.tmp-<random><suffix>`` in ``directory`` (on the target's file
    system, so ``os.replace`` from it is atomic); the caller owns it.

    Unlike ``mkstemp`` (0600), the file gets the permissions any new file of the user gets (0666
    less the umask): the kernel applies the umask, so it is never read or changed here. The
    ``.tmp-`` prefix lets the model cache recognise and clear temp files a crash left behind.
    """
    while True:
        path = Path(directory) / f".tmp-{secrets.token_hex(8)}{suffix}"
        try:
            os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666))
            return path
        except FileExistsError:  # a random name already taken: draw another
            continue


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
    with atomic_path(path, fsync=fsync) as tmp:
        tmp.write_text(json.dumps(data, **dump_options) + "\n", encoding="utf-8")


def atomic_save_npy(path: str | os.PathLike, array: np.ndarray) -> None:
    with atomic_path(path, ".npy") as tmp:
        np.save(tmp, array, allow_pickle=False)


def atomic_savez(path: str | os.PathLike, *arrays: np.ndarray, **named: np.ndarray) -> None:
    with atomic_path(path, ".npz") as tmp:
        np.savez(tmp, *arrays, **named)
