"""One function to turn any file a user may have into an RGB picture, or a clear error.

Every part of vsdesk (indexing, queries, thumbnails, the GUI) decodes through ``load_image`` so
that an odd file behaves the same everywhere: EXIF rotation applied, any mode made RGB (alpha
composited on white), a pixel limit against decompression bombs, and a typed ``ImageError``
with a sentence a person can read instead of a stack trace.
"""

from __future__ import annotations

import io
import os
import stat
import warnings
from pathlib import Path
from typing import BinaryIO

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

#: File name endings that indexing looks at. Decoding itself trusts the content, not the name.
IMAGE_SUFFIXES = frozenset(
    ".jpg .jpeg .jpe .jfif .png .bmp .gif .tif .tiff .webp .avif .ppm .pgm .pbm .pnm .ico .tga".split()
)
#: The formats of ``IMAGE_SUFFIXES`` in words, for a message about a folder holding none.
IMAGE_FORMATS = "JPEG, PNG, WebP, AVIF, GIF, BMP, TIFF, PPM/PGM/PBM, ICO, TGA"
#: Photo formats we cannot decode (Pillow has no HEIF reader): indexing lists them as skipped
#: with what to do, rather than passing over them in silence.
UNSUPPORTED_SUFFIXES = {".heic": "HEIC", ".heif": "HEIF"}

#: Default pixel limit (width x height). 100 megapixels covers any camera; bombs are far larger.
MAX_PIXELS_DEFAULT = 100_000_000


def _max_pixels_from_env() -> int:
    """``VSDESK_MAX_PIXELS`` (a count of pixels, "2e8" allowed); a value that is not a positive
    number is reported and the default kept, rather than failing every command at import.

    Reported as a warning, not printed: the engine is a library, and whoever imports it (the
    CLI, the GUI, a test) decides whether and where warnings are shown."""
    text = os.environ.get("VSDESK_MAX_PIXELS", "").strip()
    if not text:
        return MAX_PIXELS_DEFAULT
    try:
        value = int(float(text))
    except (ValueError, OverflowError):
        value = 0
    if value < 1:
        warnings.warn(f"vsdesk: VSDESK_MAX_PIXELS={text!r} is not a positive number of pixels (width x height); "
                      f"using {MAX_PIXELS_DEFAULT:,}", stacklevel=2)
        return MAX_PIXELS_DEFAULT
    return value


DEFAULT_MAX_PIXELS = _max_pixels_from_env()

# We enforce our own limit (with a clear error) before decoding; Pillow's global check would
# otherwise warn or raise with its own wording at half or twice our limit.
Image.MAX_IMAGE_PIXELS = None


class ImageError(Exception):
    """A file that cannot be used as an image. ``str(error)`` is meant for the user."""

    kind = "unreadable"

    def __init__(self, source: str, reason: str):
        super().__init__(f"{source}: {reason}")
        self.source = source
        self.reason = reason


class UnreadableFileError(ImageError):
    kind = "unreadable"


class EmptyFileError(ImageError):
    kind = "empty"


class NotAnImageError(ImageError):
    kind = "not-an-image"


class TruncatedImageError(ImageError):
    kind = "truncated"


class CorruptImageError(ImageError):
    kind = "corrupt"


class ImageTooLargeError(ImageError):
    kind = "too-large"


Source = str | os.PathLike | bytes | BinaryIO

#: One sentence for an empty file whether it is decoded from its path (a query) or from its
#: bytes (indexing reads each file once to hash it): the user sees the same words either way.
EMPTY_REASON = "the file is empty (0 bytes)"


#: What a file cut short (an incomplete download or copy) is called, wherever Pillow notices it.
TRUNCATED_REASON = "the file is truncated (incomplete download or copy?)"


def _is_truncation(exc: BaseException) -> bool:
    """Pillow's ways of saying the data ended early: "image file is truncated", "Truncated File
    Read" (``ImageFile._safe_read``), or an EOFError."""
    return isinstance(exc, EOFError) or "truncated" in str(exc).lower()


#: How a whole file of a format ends (a JPEG's EOI marker, a PNG's IEND chunk): Pillow says
#: "truncated" for data damaged in the middle too, and such a file was not cut short.
_END_MARKERS = {"JPEG": b"\xff\xd9", "PNG": b"IEND\xaeB`\x82"}


def _ends_whole(fp: BinaryIO, image_format: str | None) -> bool:
    marker = _END_MARKERS.get(image_format or "")
    if marker is None:
        return False
    try:
        fp.seek(0, os.SEEK_END)
        fp.seek(max(0, fp.tell() - 64))
        return marker in fp.read(64)  # a camera may write a few bytes after it
    except (OSError, ValueError):
        return False


def load_image(
    source: Source,
    *,
    max_pixels: int | None = None,
    min_size: int | None = None,
    name: str | None = None,
) -> Image.Image:
    """Decode ``source`` (a path, raw bytes or a binary file) into a fully loaded RGB image.

    ``min_size`` lets JPEG decoding skip detail that will be thrown away: the decoder scales by
    1/2, 1/4 or 1/8 while both sides stay at least ``min_size`` pixels (several times faster for
    camera photos that are resized to 224 px anyway).
    ``name``: what an error calls the image (bytes ``read_file`` read: the file's path).
    Raises a subclass of ``ImageError`` for anything that is not a usable image.
    """
    limit = DEFAULT_MAX_PIXELS if max_pixels is None else max_pixels
    source_name, fp = _open_source(source)
    name = name or source_name
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Pillow warns on odd EXIF/ICC; we report errors ourselves.
            image = _decode(name, fp, limit, min_size)
    finally:
        fp.close()
    return image


def check_file(path: str | os.PathLike) -> None:
    """The checks ``load_image`` makes on a path before decoding (it exists, is a regular file,
    can be opened, is not empty), without decoding: a command can refuse a missing query at
    once, before it spends seconds loading a model. Raises the same ``ImageError``."""
    _name, fp = _open_source(path)
    fp.close()


def read_file(path: str | os.PathLike) -> bytes:
    """A file's bytes, with the checks and words of ``load_image`` on a path: read once, then
    decoded as often as needed (``load_image(data, name=path)``: a preview and the model's input)."""
    name, fp = _open_source(path)
    try:
        return fp.read()
    except OSError as exc:
        raise UnreadableFileError(name, f"the file cannot be read ({exc.strerror or exc})") from None
    finally:
        fp.close()


def _open_source(source: Source) -> tuple[str, BinaryIO]:
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        if not data:
            raise EmptyFileError("<data>", EMPTY_REASON)
        return "<data>", io.BytesIO(data)
    if hasattr(source, "read"):
        return getattr(source, "name", "<stream>"), source  # type: ignore[return-value]
    path = Path(os.fspath(source))
    name = str(path)
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise UnreadableFileError(name, "the file does not exist (moved or deleted?)") from None
    except PermissionError:  # a folder on its path that cannot be entered
        raise UnreadableFileError(name, "permission denied: a folder on its path cannot be opened") from None
    except OSError as exc:
        raise UnreadableFileError(name, f"the file cannot be read ({exc.strerror or exc})") from None
    if stat.S_ISDIR(mode):
        raise UnreadableFileError(name, "this is a folder, not an image file")
    if not stat.S_ISREG(mode):
        # A FIFO or device would block or never end; only regular files are images.
        raise UnreadableFileError(name, "not a regular file (a pipe, socket or device)")
    try:
        fp = open(path, "rb")  # noqa: SIM115 - closed by load_image
        size = os.fstat(fp.fileno()).st_size
    except FileNotFoundError:
        raise UnreadableFileError(name, "the file does not exist (moved or deleted?)") from None
    except PermissionError:
        raise UnreadableFileError(name, "permission denied: the file cannot be read") from None
    except OSError as exc:
        raise UnreadableFileError(name, f"the file cannot be read ({exc.strerror or exc})") from None
    if size == 0:
        fp.close()
        raise EmptyFileError(name, EMPTY_REASON)
    return name, fp


def _decode(name: str, fp: BinaryIO, limit: int, min_size: int | None) -> Image.Image:
    try:
        image = Image.open(fp)
    except UnidentifiedImageError:
        kind = _sniff(fp)
        if kind:
            raise CorruptImageError(name, f"starts like a {kind} file but its header is damaged") from None
        raise NotAnImageError(name, "not an image file, or an image format vsdesk cannot read") from None
    except Image.DecompressionBombError:
        raise ImageTooLargeError(name, "the image is too large to open safely") from None
    except (OSError, ValueError, SyntaxError, EOFError) as exc:
        # A file cut inside its header (a JPEG within its APP segments, a PNG within its first
        # chunk) fails here rather than at load(), in Pillow's words ("Truncated File Read"):
        # the same sentence as a file cut later, not Pillow's text.
        if _is_truncation(exc):
            raise TruncatedImageError(name, TRUNCATED_REASON) from None
        raise CorruptImageError(name, f"the image header is damaged ({exc})") from None

    width, height = image.size
    if width <= 0 or height <= 0:
        raise CorruptImageError(name, f"the image has no pixels ({width}x{height})")
    if min_size and image.format == "JPEG":
        image.draft("RGB", (min_size, min_size))
    # The limit is on the pixels decoded: a JPEG is decoded at 1/2, 1/4 or 1/8 of its size when
    # no more is needed, so a 100-megapixel camera photo is decoded as 1.6 megapixels and can
    # be searched with; a PNG or TIFF is decoded whole.
    decoded = image.size[0] * image.size[1]
    if decoded > limit:
        reduced = f", {_megapixels(decoded)} even reduced" if decoded < width * height else ""
        raise ImageTooLargeError(
            name,
            f"the image is {width}x{height} = {_megapixels(width * height)}{reduced}, "
            f"more than the limit of {_megapixels(limit)} (VSDESK_MAX_PIXELS)",
        )
    try:
        image.seek(0)  # animated GIF/PNG/WebP: the first frame
        image.load()
    except (OSError, ValueError, SyntaxError, EOFError, IndexError, ZeroDivisionError) as exc:
        if (_is_truncation(exc) or "broken data stream" in str(exc)) and not _ends_whole(fp, image.format):
            raise TruncatedImageError(name, TRUNCATED_REASON) from None
        raise CorruptImageError(name, f"the image data is damaged ({str(exc) or type(exc).__name__})") from None
    except MemoryError:
        raise ImageTooLargeError(name, "not enough memory to decode this image") from None

    image = _apply_orientation(image)
    try:
        return to_rgb(image)
    except (OSError, ValueError) as exc:
        raise CorruptImageError(name, f"the image's colour mode {image.mode} cannot be converted ({exc})") from None


_SIGNATURES = {
    b"\xff\xd8\xff": "JPEG",
    b"\x89PNG\r\n\x1a\n": "PNG",
    b"GIF8": "GIF",
    b"BM": "BMP",
    b"II*\x00": "TIFF",
    b"MM\x00*": "TIFF",
}


def _sniff(fp: BinaryIO) -> str | None:
    """Name the format a file claims by its first bytes, to tell 'damaged' from 'not an image'."""
    try:
        fp.seek(0)
        head = fp.read(16)
    except OSError:
        return None
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WebP"
    return next((kind for magic, kind in _SIGNATURES.items() if head.startswith(magic)), None)


def _apply_orientation(image: Image.Image) -> Image.Image:
    """Rotate as the camera's EXIF orientation says; a broken EXIF block is ignored, not fatal."""
    try:
        return ImageOps.exif_transpose(image) or image
    except Exception:  # noqa: BLE001 - malformed EXIF comes in endless varieties
        return image


def to_rgb(image: Image.Image) -> Image.Image:
    """Any Pillow mode to 8-bit RGB; transparency is composited on white."""
    mode = image.mode
    if mode == "RGB":
        return image
    if mode in ("I;16", "I;16L", "I;16B", "I;16N", "I", "F"):
        return Image.fromarray(_to_uint8(np.asarray(image)), "L").convert("RGB")
    has_alpha = mode in ("RGBA", "LA", "PA", "RGBa", "La") or (
        mode == "P" and "transparency" in image.info
    ) or (mode in ("L", "RGB") and "transparency" in image.info)
    if has_alpha:
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB")
    return image.convert("RGB")


def _to_uint8(array: np.ndarray) -> np.ndarray:
    """High bit-depth greyscale to 8 bits, keeping the file's own brightness scale."""
    is_float = array.dtype.kind == "f"
    array = array.astype(np.float64)
    if array.size == 0:
        return array.astype(np.uint8)
    high = float(np.nanmax(array))
    if is_float and high <= 1.0 and float(np.nanmin(array)) >= 0.0:
        scale = 255.0  # floating point image in 0..1
    elif high <= 255:
        scale = 1.0
    else:
        scale = 255.0 / 65535.0 if high <= 65535 else 255.0 / high
    return np.clip(np.nan_to_num(array) * scale, 0, 255).astype(np.uint8)


def is_image_name(path: str | os.PathLike) -> bool:
    return Path(path).suffix.lower() in IMAGE_SUFFIXES


def _megapixels(pixels: int) -> str:
    return f"{pixels / 1e6:.0f} megapixels" if pixels >= 10_000_000 else f"{pixels / 1e6:.3g} megapixels"
