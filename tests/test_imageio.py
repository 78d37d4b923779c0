"""The one decoder against a corpus of bad and odd files, all generated here.

Every bad file must give a typed ``ImageError`` whose message names the file and says what is
wrong; every odd-but-valid file must come back as a fully loaded 8-bit RGB image that looks right.
"""

from __future__ import annotations

import io
import os
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.conftest import STYLE_DIR
from vsdesk.engine import imageio
from vsdesk.engine.imageio import (
    CorruptImageError,
    EmptyFileError,
    ImageError,
    ImageTooLargeError,
    NotAnImageError,
    TruncatedImageError,
    UnreadableFileError,
    load_image,
)

REAL_JPEG = STYLE_DIR / "s_impressionist-01.jpg"


def _png_bytes(image: Image.Image, **params) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG", **params)
    return buffer.getvalue()


def _photo() -> Image.Image:
    return load_image(REAL_JPEG)


def _jpeg_bytes(image: Image.Image, **params) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90, **params)
    return buffer.getvalue()


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _png16_rgb(width: int = 8, height: int = 6) -> bytes:
    """A 48-bit RGB PNG written by hand (Pillow cannot write one): red ramp, full-scale blue."""
    rows = b""
    for _ in range(height):
        row = b"\x00"
        for x in range(width):
            row += struct.pack(">HHH", x * 65535 // (width - 1), 0, 65535)
        rows += row
    header = struct.pack(">IIBBBBB", width, height, 16, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header)
            + _png_chunk(b"IDAT", zlib.compress(rows)) + _png_chunk(b"IEND", b""))


def _exif_rotated_jpeg() -> bytes:
    """A 60x20 landscape JPEG whose EXIF says 'rotate 90° clockwise' (orientation 6)."""
    image = Image.new("RGB", (60, 20), (200, 30, 30))
    exif = Image.Exif()
    exif[0x0112] = 6
    return _jpeg_bytes(image, exif=exif.tobytes())


def _palette_with_transparency() -> bytes:
    image = Image.new("P", (10, 10), 0)
    image.putpalette([0, 0, 0, 255, 0, 0] + [0] * 762)
    image.paste(1, (0, 0, 5, 10))  # left half red, right half index 0 = transparent
    return _png_bytes(image, transparency=0)


def _animated_gif() -> bytes:
    frames = [Image.new("P", (16, 16), i) for i in (1, 2, 3)]
    for frame in frames:
        frame.putpalette([0, 0, 0, 0, 255, 0, 255, 0, 0, 0, 0, 255] + [0] * 756)
    buffer = io.BytesIO()
    frames[0].save(buffer, "GIF", save_all=True, append_images=frames[1:], duration=50, loop=0)
    return buffer.getvalue()


def _save(image: Image.Image, fmt: str, **params) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **params)
    return buffer.getvalue()


def _bomb_png() -> bytes:
    # 30,000 x 30,000 black pixels compress to about a megabyte: the classic decompression bomb.
    return _png_bytes(Image.new("1", (30000, 30000)))


BAD_FILES: dict[str, tuple[object, type[ImageError], str]] = {
    # name: (content or maker, expected error, a word the message must contain)
    "empty.jpg": (b"", EmptyFileError, "empty"),
    "empty.png": (b"", EmptyFileError, "empty"),
    "text-named.jpg": (b"hello, this is a text file\n" * 20, NotAnImageError, "not an image"),
    "random-bytes.png": (bytes(np.random.default_rng(1).integers(0, 256, 4096, dtype=np.uint8)), NotAnImageError, "not an image"),
    "html-named.png": (b"<!doctype html><html><body>404 Not Found</body></html>", NotAnImageError, "not an image"),
    "pdf-named.jpg": (b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n", NotAnImageError, "not an image"),
    "svg.svg": (b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>', NotAnImageError, "not an image"),
    "zip-named.png": (b"PK\x03\x04" + b"\x00" * 200, NotAnImageError, "not an image"),
    "truncated-half.jpg": (lambda: _jpeg_bytes(_photo())[: len(_jpeg_bytes(_photo())) // 2], TruncatedImageError, "truncated"),
    "truncated-header-only.jpg": (lambda: _jpeg_bytes(_photo())[:600], TruncatedImageError, "truncated"),
    "truncated.png": (lambda: _png_bytes(_photo())[:5000], TruncatedImageError, "truncated"),
    "truncated.gif": (lambda: _save(_photo().convert("P"), "GIF")[:3000], TruncatedImageError, "truncated"),
    "truncated.webp": (lambda: _save(_photo(), "WEBP")[:2000], TruncatedImageError, "truncated"),
    "truncated.bmp": (lambda: _save(_photo(), "BMP")[:10000], TruncatedImageError, "truncated"),
    "png-signature-only.png": (b"\x89PNG\r\n\x1a\n", CorruptImageError, "damaged"),
    "png-bad-crc.png": (lambda: _png_bytes(_photo())[:40] + b"\xff\xff\xff\xff" + _png_bytes(_photo())[44:], CorruptImageError, "damaged"),
    "jpeg-soi-only.jpg": (b"\xff\xd8\xff", CorruptImageError, ""),
    "bomb.png": (_bomb_png, ImageTooLargeError, "megapixels"),
}


def _write(tmp_path: Path, name: str, content) -> Path:
    data = content() if callable(content) else content
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_bad_file_gives_typed_error_with_clear_message(tmp_path, name):
    content, error_type, word = BAD_FILES[name]
    path = _write(tmp_path, name, content)
    with pytest.raises(ImageError) as caught:
        load_image(path)
    error = caught.value
    # A subclass of the expected family: truncated files are sometimes detected as damaged.
    allowed = (error_type, CorruptImageError) if error_type is TruncatedImageError else (error_type,)
    assert isinstance(error, allowed), f"{name}: {type(error).__name__}: {error}"
    assert str(path) in str(error)
    assert word.lower() in str(error).lower() or isinstance(error, CorruptImageError)
    assert "Traceback" not in str(error) and len(error.reason) < 300


@pytest.mark.parametrize("name, cut", [("photo-cut-in-its-header.jpg", 100), ("cut-in-its-first-chunk.png", 20)])
def test_a_file_cut_inside_its_header_is_called_truncated_in_our_words(tmp_path, name, cut):
    """Cut this early, Pillow fails at open with its own text ("Truncated File Read"); the user
    reads the sentence of any truncated file, not "the image header is damaged (Truncated ...)"."""
    whole = REAL_JPEG.read_bytes() if name.endswith(".jpg") else _png_bytes(_photo())
    path = tmp_path / name
    path.write_bytes(whole[:cut])
    with pytest.raises(OSError, match="Truncated File Read"):
        Image.open(path)  # the path under test: Pillow notices at open, not at load
    with pytest.raises(TruncatedImageError) as caught:
        load_image(path)
    assert caught.value.reason == "the file is truncated (incomplete download or copy?)"
    assert str(caught.value) == f"{path}: the file is truncated (incomplete download or copy?)"


def test_folder_named_like_an_image(tmp_path):
    folder = tmp_path / "holiday.jpg"
    folder.mkdir()
    with pytest.raises(UnreadableFileError, match="folder"):
        load_image(folder)


def test_missing_file_and_broken_symlink(tmp_path):
    with pytest.raises(UnreadableFileError, match="does not exist"):
        load_image(tmp_path / "gone.jpg")
    link = tmp_path / "dangling.jpg"
    link.symlink_to(tmp_path / "nowhere.jpg")
    with pytest.raises(UnreadableFileError, match="does not exist"):
        load_image(link)


def test_fifo_is_refused_instead_of_blocking(tmp_path):
    fifo = tmp_path / "pipe.png"
    os.mkfifo(fifo)
    with pytest.raises(UnreadableFileError, match="regular file"):
        load_image(fifo)


def test_pixel_limit_is_configurable(tmp_path):
    path = _write(tmp_path, "photo.jpg", _jpeg_bytes(_photo()))
    assert load_image(path).size == _photo().size
    with pytest.raises(ImageTooLargeError, match="limit"):
        load_image(path, max_pixels=1000)


def test_a_jpeg_over_the_limit_is_decoded_reduced_when_that_is_within_it(tmp_path):
    """The limit is on the pixels decoded: JPEG decodes at 1/2 to 1/8 size when asked for less."""
    path = _write(tmp_path, "camera.jpg", _jpeg_bytes(_photo().resize((4000, 3000))))  # 12 megapixels
    with pytest.raises(ImageTooLargeError, match="limit of 5 megapixels"):
        load_image(path, max_pixels=5_000_000)  # decoded whole: over the limit
    assert load_image(path, max_pixels=5_000_000, min_size=224).size == (500, 375)  # decoded at 1/8
    with pytest.raises(ImageTooLargeError, match=r"12 megapixels, 0.188 megapixels even reduced, more than the limit of 0.1"):
        load_image(path, max_pixels=100_000, min_size=224)
    png = _write(tmp_path, "scan.png", b"")
    Image.new("RGB", (4000, 3000), "white").save(png)
    with pytest.raises(ImageTooLargeError, match="12 megapixels, more than"):  # no reduced decoding for PNG
        load_image(png, max_pixels=5_000_000, min_size=224)


def _pixel(image: Image.Image, xy=(0, 0)) -> tuple[int, int, int]:
    return image.getpixel(xy)


ODD_FILES = {
    # name: (content or maker, check on the decoded RGB image)
    "cmyk.jpg": (lambda: _jpeg_bytes(Image.new("CMYK", (20, 10), (0, 255, 255, 0))),
                 lambda im: im.size == (20, 10) and _pixel(im)[0] > 200 and _pixel(im)[1] < 60),
    "grey16.png": (lambda: _png_bytes(Image.fromarray(np.full((8, 8), 65535, np.uint16))),
                   lambda im: _pixel(im) == (255, 255, 255)),
    "grey16-mid.png": (lambda: _png_bytes(Image.fromarray(np.full((8, 8), 32768, np.uint16))),
                       lambda im: 120 <= _pixel(im)[0] <= 135),
    "rgb48.png": (_png16_rgb, lambda im: _pixel(im) == (0, 0, 255) and _pixel(im, (7, 0))[0] == 255),
    "int32.tif": (lambda: _save(Image.fromarray(np.full((5, 5), 1000, np.int32), "I"), "TIFF"),
                  lambda im: im.mode == "RGB" and im.size == (5, 5)),
    "float.tif": (lambda: _save(Image.fromarray(np.full((5, 5), 0.5, np.float32), "F"), "TIFF"),
                  lambda im: 120 <= _pixel(im)[0] <= 135),
    "palette-transparent.png": (_palette_with_transparency,
                                lambda im: _pixel(im, (1, 1)) == (255, 0, 0) and _pixel(im, (8, 1)) == (255, 255, 255)),
    "rgba-transparent.png": (lambda: _png_bytes(Image.new("RGBA", (6, 6), (0, 0, 0, 0))),
                             lambda im: _pixel(im) == (255, 255, 255)),
    "rgba-half.png": (lambda: _png_bytes(Image.new("RGBA", (6, 6), (0, 0, 0, 128))),
                      lambda im: 120 <= _pixel(im)[0] <= 135),
    "la.png": (lambda: _png_bytes(Image.new("LA", (6, 6), (0, 0))), lambda im: _pixel(im) == (255, 255, 255)),
    "bilevel.bmp": (lambda: _save(Image.new("1", (9, 9), 1), "BMP"), lambda im: _pixel(im) == (255, 255, 255)),
    "grey.jpg": (lambda: _jpeg_bytes(_photo().convert("L")), lambda im: im.mode == "RGB" and im.size == _photo().size),
    "exif-rotated.jpg": (_exif_rotated_jpeg, lambda im: im.size == (20, 60)),
    "exif-garbage.jpg": (lambda: _jpeg_bytes(Image.new("RGB", (30, 20), "blue"), exif=b"Exif\x00\x00garbage-not-tiff"),
                         lambda im: im.size == (30, 20)),
    "animated.gif": (_animated_gif, lambda im: _pixel(im) == (0, 255, 0)),
    "animated.webp": (lambda: _save(Image.new("RGB", (16, 16), (255, 0, 0)), "WEBP", save_all=True,
                                    append_images=[Image.new("RGB", (16, 16), (0, 0, 255))], lossless=True),
                      lambda im: _pixel(im) == (255, 0, 0)),
    "multipage.tif": (lambda: _save(Image.new("RGB", (7, 7), "green"), "TIFF", save_all=True,
                                    append_images=[Image.new("RGB", (7, 7), "red")]),
                      lambda im: _pixel(im) == (0, 128, 0)),
    "one-pixel.png": (lambda: _png_bytes(Image.new("RGB", (1, 1), (1, 2, 3))), lambda im: _pixel(im) == (1, 2, 3)),
    "thin-strip.png": (lambda: _png_bytes(Image.new("RGB", (1, 5000), "white")), lambda im: im.size == (1, 5000)),
    "garbage-after-end.jpg": (lambda: _jpeg_bytes(Image.new("RGB", (12, 12), "red")) + b"trailing junk" * 10,
                              lambda im: im.size == (12, 12)),
    "png-named.txt": (lambda: _png_bytes(Image.new("RGB", (4, 4), "red")), lambda im: _pixel(im) == (255, 0, 0)),
    "icon.ico": (lambda: _save(Image.new("RGBA", (32, 32), (0, 0, 255, 255)), "ICO"), lambda im: _pixel(im) == (0, 0, 255)),
    "pixmap.ppm": (lambda: _save(Image.new("RGB", (3, 3), (10, 20, 30)), "PPM"), lambda im: _pixel(im) == (10, 20, 30)),
    "ycbcr.jpg": (lambda: _jpeg_bytes(_photo(), subsampling=0), lambda im: im.size == _photo().size),
    "real-photo.jpg": (lambda: REAL_JPEG.read_bytes(), lambda im: im.size == Image.open(REAL_JPEG).size),
}


@pytest.mark.parametrize("name", sorted(ODD_FILES))
def test_odd_but_valid_files_become_rgb(tmp_path, name):
    content, check = ODD_FILES[name]
    image = load_image(_write(tmp_path, name, content))
    assert image.mode == "RGB"
    assert check(image), f"{name}: {image.size} first pixel {_pixel(image)}"


def test_corpus_has_at_least_30_files():
    assert len(BAD_FILES) + len(ODD_FILES) + 4 >= 30


def test_bytes_and_streams_decode_like_paths():
    data = REAL_JPEG.read_bytes()
    from_path = np.asarray(load_image(REAL_JPEG))
    assert np.array_equal(np.asarray(load_image(data)), from_path)
    assert np.array_equal(np.asarray(load_image(io.BytesIO(data))), from_path)
    with pytest.raises(EmptyFileError):
        load_image(b"")


def test_draft_decoding_keeps_enough_pixels(tmp_path):
    big = _photo().resize((1600, 1200))
    path = _write(tmp_path, "big.jpg", _jpeg_bytes(big))
    small = load_image(path, min_size=224)
    assert min(small.size) >= 224 and small.size[0] < 1600


def test_user_files_are_never_modified(tmp_path):
    path = _write(tmp_path, "exif-rotated.jpg", _exif_rotated_jpeg)
    before = (path.read_bytes(), path.stat().st_mtime_ns)
    load_image(path)
    assert (path.read_bytes(), path.stat().st_mtime_ns) == before


def test_decoder_does_not_leave_pillow_limit_to_chance():
    # We enforce our own limit with our own message; Pillow's global bomb check is off.
    assert Image.MAX_IMAGE_PIXELS is None
    assert imageio.DEFAULT_MAX_PIXELS >= 50_000_000


@pytest.mark.parametrize("value", ["abc", "", "0", "-5", "1e400"])
def test_a_bad_pixel_limit_in_the_environment_is_reported_and_the_default_kept(value):
    env = {**os.environ, "VSDESK_MAX_PIXELS": value}
    code = "from vsdesk.engine import imageio; print(imageio.DEFAULT_MAX_PIXELS)"
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert int(done.stdout) == imageio.MAX_PIXELS_DEFAULT
    assert ("VSDESK_MAX_PIXELS" in done.stderr) == bool(value)


def test_the_bad_pixel_limit_report_is_a_warning_that_the_importer_can_silence():
    env = {**os.environ, "VSDESK_MAX_PIXELS": "abc"}
    code = "from vsdesk.engine import imageio; print(imageio.DEFAULT_MAX_PIXELS)"
    done = subprocess.run([sys.executable, "-W", "ignore::UserWarning", "-c", code], env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and int(done.stdout) == imageio.MAX_PIXELS_DEFAULT
    assert done.stderr == ""  # importing the engine prints nothing of its own


def test_the_pixel_limit_from_the_environment_applies_and_names_itself(tmp_path):
    path = tmp_path / "big.png"
    Image.new("RGB", (2000, 1500), "white").save(path)  # 3 megapixels
    code = (
        "import sys; from vsdesk.engine.imageio import load_image, ImageTooLargeError\n"
        f"try: load_image({str(path)!r})\n"
        "except ImageTooLargeError as e: print(e)\n"
    )
    env = {**os.environ, "VSDESK_MAX_PIXELS": "2e6"}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert "3 megapixels" in done.stdout and "limit of 2 megapixels (VSDESK_MAX_PIXELS)" in done.stdout, done


def test_a_jpeg_damaged_in_the_middle_is_called_damaged_and_one_cut_short_truncated(tmp_path):
    """Pillow says "truncated" for both; a file that still ends with its end marker was not cut."""
    whole = bytearray(REAL_JPEG.read_bytes())
    damaged = bytearray(whole)
    for i in range(2000, len(damaged) - 2, 97):  # full length, still ending with FF D9
        damaged[i] = 0xFF
    (tmp_path / "damaged.jpg").write_bytes(bytes(damaged))
    (tmp_path / "cut.jpg").write_bytes(bytes(whole[: len(whole) * 6 // 10]))
    with pytest.raises(CorruptImageError) as caught:
        load_image(tmp_path / "damaged.jpg")
    assert "damaged" in caught.value.reason and "truncated" not in caught.value.reason
    with pytest.raises(TruncatedImageError):
        load_image(tmp_path / "cut.jpg")
