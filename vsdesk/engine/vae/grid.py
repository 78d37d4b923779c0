"""The decoded 2-D map as a picture: a mosaic of N x N decoded points, written as a PNG."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import numpy as np
from PIL import Image

from vsdesk.engine.files import atomic_path


def write_png(path: str | os.PathLike, pixels: np.ndarray, scale: int = 1) -> Path:
    """A greyscale uint8 array to an image file, atomically (temp file + os.replace): PNG, or the
    format the name's ending asks for (``.jpg``, ``.webp`` ...). Its folder must exist: a
    mistyped path is an error, not new folders."""
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(errno.EISDIR, "it is a folder; give a file name such as map.png", str(path))
    image = Image.fromarray(np.asarray(pixels, dtype=np.uint8), "L")
    if scale > 1:
        image = image.resize((image.width * scale, image.height * scale), Image.Resampling.NEAREST)
    with atomic_path(path) as tmp:
        image.save(tmp, format=Image.registered_extensions().get(path.suffix.lower(), "PNG"))
    return path


def save_grid_png(engine, path: str | os.PathLike, n: int = 20, extent: float = 2.5, scale: int = 1) -> Path:
    """Decode an n x n grid over [-extent, extent]^2 of the map and save it (top row = largest y)."""
    return write_png(path, engine.grid(n, extent), scale)
