"""Copies of one picture as different files (a JPEG and its PNG export, a re-saved or resized
copy, one turned by its EXIF orientation): told apart from different pictures, so that search
results show each picture once (``query.fold_same_pictures``).

Two results are the same picture when both of these agree (measured by
``scripts/measure_copies.py``; the numbers in docs/catalogs.md, "The same picture in other files"):

- the model: their vectors' cosine is at least the mode's ``SAME_PICTURE_COSINE``; alone it
  cannot tell a copy from a different photo of a similar product (product: a WebP copy at 0.974,
  two different photos of 1,000 up to 0.953), and it is the cheap first test;
- the picture itself: a perceptual hash of the grey picture (``Signature.bits``, 256 DCT signs)
  within ``MAX_BITS_DIFFERING`` bits, and the same colours (``Signature.colours``, a 4 x 4
  chroma thumbnail, within ``MAX_CHROMA_DIFFERENCE``): a greyscale version, a recoloured one,
  a crop (its content shifted) are not folded.

    judge = SamePicture("product", matrix, paths, hashes)
    judge.heads(ranked_rows)        # each row: the better-ranked row it is the same picture as, or None
    judge.of_query(vector, signature, row)

Signatures are read from the files at search time, only for results the model already calls
the same (a few per query), and kept for the process per content hash and the file as it is
now (path, size, time): nothing is stored in the catalog, so every catalog folds without being
indexed again.

VAE mode does not fold (no ``SAME_PICTURE_COSINE``): Fashion-MNIST's 28 x 28 grey items have no
colour to tell apart and few distinct DCT signs; among its 10,000 test images, 9 pairs of
clearly different garments (a plaid and a plain shirt, two different boots) were within
``MAX_BITS_DIFFERING`` bits at a VAE cosine of at least 0.95.
"""

from __future__ import annotations

import os
import threading
from typing import NamedTuple, Sequence

import numpy as np
from PIL import Image

#: The cosine from which the model calls two pictures the same, per mode: below every re-saved
#: copy measured (JPEG q60 under style: 0.954) and the 5th percentile of resized ones (product
#: 0.970); the few below it are not folded (kept apart is the safe side). Style sees a half-size
#: copy as another picture (0.54-0.86, as close as different ones: 0.83), so it is not folded
#: there. High enough that the files' signatures are read for a few results per query. No VAE:
#: it does not fold (the module's docstring).
SAME_PICTURE_COSINE = {"style": 0.95, "product": 0.95}


def folds_copies(mode: str | None) -> bool:
    """Whether a search in ``mode`` folds copies of one picture (not VAE's): where it does not,
    no picture's signature is needed, not even a pasted query's."""
    return mode in SAME_PICTURE_COSINE


#: Of ``Signature.bits``' 256: copies differ by at most 14, different photos by at least 56.
MAX_BITS_DIFFERING = 32
#: Of a chroma value (0-255) in any of the 4 x 4 cells: copies at most 2, a 2 % crop 7, a
#: greyscale version of a colour photo up to 78.
MAX_CHROMA_DIFFERENCE = 8

#: A file whose picture has more pixels than this as decoded (a JPEG reduced by its decoder) is
#: not signed, so not folded: a search does not decode a 48 MP PNG (1.3 s) for it. Pillow reads
#: the size from the file's header and refuses before decoding (``load_image``'s ``max_pixels``).
MAX_SIGNED_PIXELS = 20_000_000

#: The picture is decoded to at least this many pixels a side (a JPEG reduced by its decoder),
#: then reduced to 64 x 64; its lowest 16 x 16 DCT frequencies give the bits.
_DECODE_AT, _SIDE, _KEPT = 256, 64, 16


class Signature(NamedTuple):
    """Small, as thousands are kept (``signature_of_file``): about 200 bytes."""

    bits: int  # 256 bits
    colours: bytes  # Cb and Cr of a 4 x 4 thumbnail, 0-255


def bits_differing(a: Signature, b: Signature) -> int:
    return (a.bits ^ b.bits).bit_count()


def _dct_matrix(n: int) -> np.ndarray:
    """The orthonormal DCT-II matrix: ``m @ x`` is the DCT of the column ``x``."""
    k = np.arange(n)[:, None]
    m = np.cos(np.pi * (2 * np.arange(n)[None, :] + 1) * k / (2 * n)) * np.sqrt(2.0 / n)
    m[0] /= np.sqrt(2.0)
    return m


_DCT = _dct_matrix(_SIDE)


def signature(image: Image.Image) -> Signature:
    """``image``'s signature (decoded, EXIF orientation applied, at least ``_DECODE_AT`` a side
    for the same bits as ``signature_of_file``): the signs of its lowest DCT frequencies against
    their median (the constant term, the brightness, left out), as pHash (Zauner 2010) does with
    8 x 8; 16 x 16 tells apart photos on the same plain background (8 x 8: two different
    clothing photos 6 bits apart, a PNG copy of one 6 bits from it)."""
    grey = np.asarray(image.convert("L").resize((_SIDE, _SIDE), Image.BOX), dtype=np.float64)
    low = (_DCT @ grey @ _DCT.T)[:_KEPT, :_KEPT].ravel()
    bits = low > np.median(low[1:])
    bits[0] = False
    colours = np.asarray(image.convert("YCbCr").resize((4, 4), Image.BOX), dtype=np.uint8)[..., 1:]
    return Signature(int.from_bytes(np.packbits(bits).tobytes(), "big"), colours.tobytes())


def chroma_difference(a: Signature, b: Signature) -> int:
    return int(np.abs(np.frombuffer(a.colours, np.uint8).astype(np.int16) - np.frombuffer(b.colours, np.uint8)).max())


def same_signature(a: Signature, b: Signature) -> bool:
    return bits_differing(a, b) <= MAX_BITS_DIFFERING and chroma_difference(a, b) <= MAX_CHROMA_DIFFERENCE


#: Signatures by (content hash, path, size, modification time): the catalog's hash says which
#: picture a row was indexed as, the file's stat that the file still holds it (one changed since
#: indexing keys a new entry, not the old hash's).
_known: dict[tuple, Signature] = {}
_known_lock = threading.Lock()


def signature_of_file(path: str | os.PathLike, content_hash: str | None = None) -> Signature | None:
    """The signature of the picture in ``path``, or None when it cannot be read now (away, damaged,
    over ``MAX_SIGNED_PIXELS``): such a file is not folded. Kept for the process with
    ``content_hash`` (the catalog's SHA-256); a None is not kept: a file plugged back in is
    folded at the next search."""
    from vsdesk.engine.imageio import ImageError, load_image

    try:
        stat = os.stat(path)
    except OSError:
        return None
    key = (content_hash, os.fspath(path), stat.st_size, stat.st_mtime_ns) if content_hash else None
    if key:
        with _known_lock:
            if key in _known:
                return _known[key]
    try:
        found = signature(load_image(path, min_size=_DECODE_AT, max_pixels=MAX_SIGNED_PIXELS))
    except (ImageError, OSError):
        return None
    if key:
        with _known_lock:
            if len(_known) > 100_000:  # (about 50 MB with their keys: a long session over big catalogs)
                _known.clear()
            _known[key] = found
    return found


class SamePicture:
    """Which rows of a catalog (``matrix``: its vectors, L2-normalised; ``paths``, ``hashes``:
    its files) are the same picture as a better-ranked one, or as a query (the module's rule)."""

    def __init__(self, mode: str, matrix: np.ndarray, paths: Sequence[str], hashes: Sequence[str] | None):
        self.cosine = SAME_PICTURE_COSINE[mode]
        self.matrix, self.paths, self.hashes = matrix, paths, hashes

    def signature(self, row: int) -> Signature | None:
        return signature_of_file(self.paths[row], self.hashes[row] if self.hashes else None)

    def _same_files(self, a: int, b: int) -> bool:
        first, second = self.signature(a), self.signature(b)
        return first is not None and second is not None and same_signature(first, second)

    def heads(self, rows: Sequence[int]) -> list[int | None]:
        """For each of ``rows`` (a ranking, best first), the row before it that it is the same
        picture as (the first one not itself a copy of another), or None: the pictures kept.
        Each row is compared with the pictures kept so far only: the model's cosines of all of
        them at once (pair by pair in Python, 48 results ranked twice as deep took 60 ms a
        query, where ranking takes 0.5 ms), the files' signatures where it calls them the same."""
        rows = list(rows)
        kept = np.empty((len(rows), self.matrix.shape[1]), dtype=self.matrix.dtype)
        kept_rows: list[int] = []
        found: list[int | None] = []
        for row in rows:
            vector = self.matrix[row]
            # NumPy's own loop, not BLAS: OpenBLAS's threads waited 120 ms a query for this small
            # product on a busy 2-core machine (as ``search.score_blocks`` found for the scores).
            close = np.flatnonzero(np.einsum("id,d->i", kept[:len(kept_rows)], vector) >= self.cosine)
            head = next((kept_rows[j] for j in close if self._same_files(kept_rows[j], row)), None)
            if head is None:
                kept[len(kept_rows)] = vector
                kept_rows.append(row)
            found.append(head)
        return found

    def of_query(self, vector: np.ndarray, query: Signature | None, row: int) -> bool:
        """Whether catalog row ``row`` is the same picture as a query (its ``vector`` as
        embedded; ``query``: its signature, None when it has none)."""
        if query is None or float(self.matrix[row] @ np.asarray(vector, dtype=np.float32)) < self.cosine:
            return False
        found = self.signature(row)
        return found is not None and same_signature(query, found)
