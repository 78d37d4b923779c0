"""The Fashion-MNIST data set as arrays (``load_fashion_mnist``): the VAE trains on its 60,000
training images, and the ``fashion-mnist`` sample is its test set.

It reads a local copy (``VSDESK_FASHION_MNIST_DIR``, Debian's ``/usr/share/datasets/fashion-mnist``,
the shipped test set, an earlier download) or downloads from the upstream URLs, with MD5 checks.
"""

from __future__ import annotations

import gzip
import hashlib
import os
from pathlib import Path
from typing import Iterable

import numpy as np

from vsdesk.engine import paths
from vsdesk.engine.samples._download import SampleDataError, download_file


FASHION_MNIST_CLASSES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)

ENV_FASHION_MNIST = "VSDESK_FASHION_MNIST_DIR"
DEBIAN_FASHION_MNIST = Path("/usr/share/datasets/fashion-mnist")

#: Upstream download locations, tried in order (the second is the GitHub repository itself).
FASHION_MNIST_URLS = (
    "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
    "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
)

#: file -> (MD5 of the .gz as published upstream, MD5 of its decompressed content).
#: Debian re-writes the gzip header (so the .gz MD5 differs) but not the content: local copies
#: are checked by content, downloads by both.
_FASHION_FILES = {
    "train-images-idx3-ubyte.gz": ("8d4fb7e6c68d591d4c3dfef9ec88bf0d", "f4a8712d7a061bf5bd6d2ca38dc4d50a"),
    "train-labels-idx1-ubyte.gz": ("25c81989df183df01b3e8a0aad5dffbe", "9018921c3c673c538a1fc5bad174d6f9"),
    "t10k-images-idx3-ubyte.gz": ("bef4ecab320f06d8554ea6380940ec79", "8181f5470baa50b63fa0f6fddb340f0a"),
    "t10k-labels-idx1-ubyte.gz": ("bb300cfdad3c16e7a12a480ee83cd310", "15d484375f8d13e6eb1aabb0c3f46965"),
}
_SPLIT_PREFIX = {"train": "train", "test": "t10k"}


def load_fashion_mnist(
    split: str = "train",
    *,
    download: bool = True,
    urls: Iterable[str] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Fashion-MNIST ``split`` ("train": 60,000 images, "test": 10,000) as
    ``(images uint8 (n, 28, 28), labels int64 (n,))``; class names in ``FASHION_MNIST_CLASSES``.

    Local copies are preferred; otherwise the files are downloaded once (``urls`` overrides the
    upstream locations, for tests) into the cache directory. Every file's content is MD5-checked.
    Raises ``SampleDataError`` when no source works.
    """
    if split not in _SPLIT_PREFIX:
        raise ValueError(f"split must be 'train' or 'test', not {split!r}")
    prefix = _SPLIT_PREFIX[split]
    images = _load_idx(f"{prefix}-images-idx3-ubyte.gz", download, urls)
    labels = _load_idx(f"{prefix}-labels-idx1-ubyte.gz", download, urls)
    if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
        raise SampleDataError(f"Fashion-MNIST {split}: images {images.shape} and labels {labels.shape} do not match")
    return images, labels.astype(np.int64)


def _fashion_candidates(name: str) -> list[Path]:
    dirs = []
    if os.environ.get(ENV_FASHION_MNIST):
        dirs.append(Path(os.environ[ENV_FASHION_MNIST]).expanduser())
    dirs += [
        paths.resources_dir() / "samples" / "fashion-mnist",
        DEBIAN_FASHION_MNIST,
        _fashion_download_dir(create=False),
    ]
    return [d / name for d in dirs]


def _fashion_download_dir(create: bool = True) -> Path:
    """Where Fashion-MNIST is downloaded to; ``create`` False: only looked in (not made: a
    read-only home reads a copy found elsewhere)."""
    if not create:
        return paths.cache_location() / "fashion-mnist"
    path = paths.cache_dir() / "fashion-mnist"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _load_idx(name: str, download: bool, urls: Iterable[str] | None) -> np.ndarray:
    gz_md5, raw_md5 = _FASHION_FILES[name]
    problems = []
    for path in _fashion_candidates(name):
        if not path.is_file():
            continue
        try:
            return _parse_idx(path, raw_md5)
        except (OSError, EOFError, SampleDataError, gzip.BadGzipFile) as exc:
            problems.append(f"{path}: {exc}")
    if not download:
        raise SampleDataError(f"Fashion-MNIST file {name} not found locally" + _joined(problems))
    dest = _fashion_download_dir() / name
    for base in urls or FASHION_MNIST_URLS:
        url = base.rstrip("/") + "/" + name
        try:
            download_file(url, dest, md5=gz_md5)
            return _parse_idx(dest, raw_md5)
        except (OSError, EOFError, SampleDataError, gzip.BadGzipFile) as exc:
            problems.append(f"{url}: {exc}")
    raise SampleDataError(f"cannot get Fashion-MNIST file {name}" + _joined(problems) +
                          f"\n  without internet, point {ENV_FASHION_MNIST} at a folder holding the .gz files")


def _joined(problems: list[str]) -> str:
    return (":\n  " + "\n  ".join(problems)) if problems else ""


def _parse_idx(path: Path, raw_md5: str) -> np.ndarray:
    """An idx file (gzipped): big-endian magic (0, 0, dtype 0x08 = uint8, ndim), dims, data."""
    with gzip.open(path, "rb") as fp:
        data = fp.read()
    if hashlib.md5(data).hexdigest() != raw_md5:  # noqa: S324 - integrity check, not security
        raise SampleDataError("content does not match the published MD5 (damaged or different file)")
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] != 0x08:
        raise SampleDataError("not an idx file of unsigned bytes")
    ndim = data[3]
    dims = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    offset = 4 + 4 * ndim
    return np.frombuffer(data, dtype=np.uint8, offset=offset).reshape(dims).copy()
