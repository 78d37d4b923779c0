"""Re-saved copies of a training photo (re-encoded, resized, PNG), told by how they look.

``vsdesk eval product --data`` leaves out the copies of the model's training photos: the same
bytes (``train-photos.npy``), and, here, the same picture saved again, which has other bytes. A
picture's look is a grey difference hash (dHash) of 16 x 16 bits: the sign of the brightness
step between neighbouring cells of the picture shrunk to 17 x 16 pixels. Measured on the Clothing
Dataset (docs/product.md, "Near copies"; ``scripts/add_train_looks.py --measure``): a training
photo saved again (JPEG down to quality 40, WebP, PNG, halved, quartered, 10 % brighter) stays
within 25 bits of its own look,
while no photo of the held-out twin's 52 held-out contributors comes within 43 bits of any of its
3,593 training photos: ``NEAR`` (32 bits) tells them apart with no false alarm there. A crop is
not caught (a 2 % border off moves it 30 bits on median).

The hash alone sees the background too: a user's own photos, taken on one sheet, may come within
``NEAR`` of each other (review 21: two different tees on the same pink sheet, 31 bits apart). So
a candidate is confirmed against its training photo by a second, independent measure: the
correlation of their 24 x 24 grey thumbnails (``same_picture``). Measured
(``scripts/add_train_looks.py --measure``, 400 training photos): re-saves as above correlate
0.991 or more with their own photo, an eighth of the size 0.966 or more; that pair 0.869.

An eighth of the size moves the look up to 44 bits (median 20): ``NEAR`` caught 378 of those
400. Confirmed by the thumbnails, a candidate may be further: ``NEAR_CONFIRMED`` (48 bits)
catches all 400 (40 bits: 397), and the other re-saves as before. Measured the same way (29 Nov):
at 48 bits 3 of the twin's 1,049 held-out photos are candidates (56 bits: 8), and their
thumbnails correlate 0.787 at most with the training photo's, so none is confirmed; in the
review's data (56 photos scored, 240 trained on) the two tees (31 bits, 0.869) are the only
candidate at 48 bits too, and not confirmed. Where the training photo is not at hand (its data
moved), the hash alone decides, within ``NEAR``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

import numpy as np

#: Cells per side of the hash: 16 x 16 = 256 bits, kept as 32 bytes.
SIZE = 16
#: Looks this many bits apart or fewer are the same picture (the hash alone).
NEAR = 32
#: ... and up to this many, when their thumbnails confirm it (``same_picture``).
NEAR_CONFIRMED = 48
#: JPEG decoding may skip detail down to this many pixels a side (the look needs 17 x 16).
DECODE_SIZE = 256
#: Thumbnail side (pixels) of the second measure, and the correlation it confirms a copy from.
THUMB = 24
ALIKE = 0.93


def look(path: "str | Path | bytes") -> np.ndarray | None:
    """The look (32 bytes) of a picture (its file, or its bytes), or None when it cannot be read."""
    from PIL import Image

    from vsdesk.engine.imageio import ImageError, load_image

    try:
        image = load_image(path, min_size=DECODE_SIZE)
    except ImageError:
        return None
    grey = np.asarray(image.convert("L").resize((SIZE + 1, SIZE), Image.Resampling.BOX), dtype=np.int16)
    return np.packbits((grey[:, 1:] > grey[:, :-1]).ravel())


def looks(paths: Iterable[str | Path]) -> np.ndarray:
    """(n, 32) uint8: the looks of the readable pictures (unreadable ones left out)."""
    found = [value for value in map(look, paths) if value is not None]
    return np.array(found, dtype=np.uint8).reshape(len(found), SIZE * SIZE // 8)


def thumbnail(path: "str | Path | bytes") -> np.ndarray | None:
    """A picture's grey THUMB x THUMB thumbnail, centred and of unit length (None: unreadable)."""
    from PIL import Image

    from vsdesk.engine.imageio import ImageError, load_image

    try:
        image = load_image(path, min_size=DECODE_SIZE)
    except ImageError:
        return None
    grey = np.asarray(image.convert("L").resize((THUMB, THUMB), Image.Resampling.BOX), dtype=np.float32).ravel()
    grey -= grey.mean()
    return grey / max(float(np.linalg.norm(grey)), 1e-6)  # (a flat picture: all zeros, alike nothing)


def same_picture(a: "str | Path | bytes", b: "str | Path | bytes") -> bool:
    """Whether two pictures whose looks are near are the same picture, by their thumbnails."""
    first, second = thumbnail(a), thumbnail(b)
    return first is not None and second is not None and float(first @ second) >= ALIKE


def distance(a: np.ndarray, b: np.ndarray) -> int:
    """How many bits two looks differ by."""
    return int(np.unpackbits(np.bitwise_xor(a, b)).sum())


def nearest(queries: list[np.ndarray | None], known: np.ndarray, within: int = NEAR) -> list[int | None]:
    """For each look (None: unreadable), the index in ``known`` of the nearest one when it is
    within ``within`` bits, else None."""
    found = [i for i, value in enumerate(queries) if value is not None]
    answer: list[int | None] = [None] * len(queries)
    if not found or not len(known):
        return answer
    bits = np.unpackbits(np.stack([queries[i] for i in found]), axis=1).astype(np.float32)
    reference = np.unpackbits(known, axis=1).astype(np.float32)
    for start in range(0, len(found), 256):  # (a few MB at a time)
        part = bits[start:start + 256]
        # Hamming distance from bit counts: |a| + |b| - 2 a.b
        distance = part.sum(1)[:, None] + reference.sum(1)[None, :] - 2 * part @ reference.T
        for i, row in zip(found[start:start + 256], distance):
            closest = int(row.argmin())
            answer[i] = closest if row[closest] <= within else None
    return answer


def near(queries: list[np.ndarray | None], known: np.ndarray, within: int = NEAR) -> list[bool]:
    """Whether each look (None: unreadable, never near) is within ``within`` bits of one of
    ``known`` ((n, 32) uint8)."""
    return [index is not None for index in nearest(queries, known, within)]
