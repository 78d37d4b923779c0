"""Small file helpers every part of the engine shares: content hashes and atomic writes.

Atomic = written to a temporary file in the same folder, then ``os.replace``d over the target,
so a reader (or the next run after a crash) sees the old file or the new one, never half of one.
"""

from __future__ import annotations

import hashlib
import json
import os
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


@contextmanager
def atomic_path(path: str | os.PathLike, suffix: str = "") -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it replaces ``path``, else it is removed.

    ``suffix`` keeps an ending that a writer insists on (NumPy adds ``.npy``, Keras wants
    ``.weights.h5``).
    """
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}{suffix}")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def atomic_write_json(path: str | os.PathLike, data: Any, **dump_options: Any) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(data, **dump_options) + "\n", encoding="utf-8")


def atomic_save_npy(path: str | os.PathLike, array: np.ndarray) -> None:
    with atomic_path(path, ".npy") as tmp:
        np.save(tmp, array, allow_pickle=False)


def atomic_savez(path: str | os.PathLike, *arrays: np.ndarray, **named: np.ndarray) -> None:
    with atomic_path(path, ".npz") as tmp:
        np.savez(tmp, *arrays, **named)
