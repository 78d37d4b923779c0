"""The decoded 2-D map as a picture: a mosaic of N x N decoded points, written as a PNG."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from PIL import Image


def write_png(path: str | os.PathLike, pixels: np.ndarray, scale: int = 1) -> Path:
    """A greyscale uint8 array to a PNG, atomically (temp file + os.replace)."""
    path = Path(path)
    image = Image.fromarray(np.asarray(pixels, dtype=np.uint8), "L")
    if scale > 1:
        image = image.resize((image.width * scale, image.height * scale), Image.Resampling.NEAREST)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    try:
        image.save(tmp, format="PNG")
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


def save_grid_png(engine, path: str | os.PathLike, n: int = 20, extent: float = 2.5, scale: int = 1) -> Path:
    """Decode an n x n grid over [-extent, extent]^2 of the map and save it (top row = largest y)."""
    return write_png(path, engine.grid(n, extent), scale)
