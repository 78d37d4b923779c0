"""Query images for the worker threads: previews, clipboard images, pictures inside extras.

Everything here runs in a worker: QImage (unlike QPixmap and widgets) is safe off the GUI thread.
"""

from __future__ import annotations

import base64
from typing import Any

import numpy as np
from PIL import Image
from PySide6.QtCore import QBuffer, QByteArray, QIODevice
from PySide6.QtGui import QImage

from vsdesk.engine.imageio import ImageError, load_image
from vsdesk.gui.thumbnails import pil_to_qimage

QUERY_PREVIEW = 420


def query_preview(image: Image.Image) -> QImage:
    small = image.copy()
    small.thumbnail((QUERY_PREVIEW, QUERY_PREVIEW), Image.Resampling.BILINEAR)
    return pil_to_qimage(small)


def decode_extras(extras: dict[str, Any]) -> dict[str, Any]:
    """Images inside ``describe()`` output (``*_png`` data URLs) -> uint8 arrays named without
    ``_png``, decoded here in the worker by the one decoder, so the panel only displays."""
    out = dict(extras)
    for key, value in extras.items():
        if key.endswith("_png") and isinstance(value, str) and value.startswith("data:image/"):
            try:
                raw = base64.b64decode(value.split(",", 1)[1])
                out[key[: -len("_png")]] = np.asarray(load_image(raw).convert("L"))
            except (ValueError, ImageError):
                pass  # a picture we cannot show is left out, the facts stay
    return out


def qimage_to_png(image: QImage) -> bytes:
    """Clipboard image -> PNG bytes for the one decoder (runs in the worker; QImage is fine there)."""
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    buffer.close()
    return bytes(data.data())
