"""The files of the samples made in the cache, written the first time and repaired later.

- ``fashion-mnist``: the test set written out as PNGs in class subfolders, with a ``labels.csv``;
  checked by size and mtime against the record ``.sizes.json``, then byte for byte.
- ``style-artworks``: 32 paintings copied from a local mirror folder (``VSDESK_STYLE_MIRROR``)
  or downloaded from GitHub, every file checked against the SHA-256 recorded below.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import shutil
from pathlib import Path
from typing import Iterable

import numpy as np

from vsdesk.engine import paths
from vsdesk.engine.files import atomic_path, atomic_write_json, sha256_file
from vsdesk.engine.samples._download import DownloadUnreachable, SampleDataError, SampleOffline, download_file
from vsdesk.engine.samples._fashion_mnist import FASHION_MNIST_CLASSES, load_fashion_mnist
from vsdesk.engine.tasks import Cancelled, Progress, check_cancelled


def _class_dirname(label: str) -> str:
    return label.replace("/", "-").replace(" ", "-")


#: The Fashion-MNIST sample's record of every file it checked or wrote: path -> [size,
#: mtime_ns]. (The name is from when it held sizes only; such a record is rebuilt.)
_FASHION_RECORD = ".sizes.json"

_Stat = tuple[int, int]  # (size, mtime_ns): one stat gives both


def sync_fashion_mnist(folder: Path, progress: Progress, cancelled: Cancelled) -> None:
    """Write the Fashion-MNIST files of ``folder`` that are missing or not as written.

    The check is a stat per file against the record (about 25 ms for the 10,000): a file whose
    size or mtime differs from it (deleted, truncated, replaced, or damaged in place with its
    size unchanged) is encoded again and compared byte for byte, and written again if it
    differs (a file only touched is left as it is). Reading every file to hash it would cost
    several times more on each opening of the sample.
    """
    expected = _read_record(folder / _FASHION_RECORD)
    if expected is not None and _file_stats(folder, expected) == expected:
        return  # the common case: all there
    images, labels = load_fashion_mnist("test")
    classes = [FASHION_MNIST_CLASSES[int(label)] for label in labels]
    rels = [f"{_class_dirname(cls)}/test-{i:05d}.png" for i, cls in enumerate(classes)]
    stats = _file_stats(folder, [*rels, "labels.csv"])
    # Without a record (a folder being built, or one from before the record or its mtimes),
    # every image is encoded and compared: about 1 s, once.
    todo = [i for i, rel in enumerate(rels) if expected is None or stats.get(rel) != expected.get(rel)]
    _write_fashion_pngs(folder, images, rels, todo, stats, progress, cancelled)
    checked = [rels[i] for i in todo]
    if expected is None or stats.get("labels.csv") != expected.get("labels.csv"):
        _write_if_different(folder / "labels.csv", _labels_csv(zip(rels, classes)), _size(stats, "labels.csv"))
        checked.append("labels.csv")
    # The files checked have the right bytes now: their stats (new if written) are the record.
    record = {**stats, **_file_stats(folder, checked)}
    if record != expected:
        atomic_write_json(folder / _FASHION_RECORD, {rel: list(stat) for rel, stat in record.items()})


def _read_record(path: Path) -> dict[str, _Stat] | None:
    """The record as {path: (size, mtime_ns)}; None when there is none, or it is damaged or in
    the older sizes-only form (then made again)."""
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or not record:
        return None
    if not all(isinstance(v, list) and len(v) == 2 and all(isinstance(x, int) for x in v) for v in record.values()):
        return None
    return {rel: (v[0], v[1]) for rel, v in record.items()}


def _file_stats(folder: Path, names: Iterable[str]) -> dict[str, _Stat]:
    """(size, mtime_ns) of each of ``names`` in ``folder`` that is there (strings, not Paths:
    10,000 stats)."""
    base = str(folder) + os.sep
    stats = {}
    for name in names:
        try:
            st = os.stat(base + name)
        except OSError:
            continue
        stats[name] = (st.st_size, st.st_mtime_ns)
    return stats


def _write_fashion_pngs(folder: Path, images: np.ndarray, rels: list[str], todo: list[int],
                        stats: dict[str, _Stat], progress: Progress, cancelled: Cancelled) -> None:
    """Encode images ``todo`` and write those whose file (of ``stats`` as found) differs."""
    from PIL import Image

    for label in FASHION_MNIST_CLASSES:
        (folder / _class_dirname(label)).mkdir(exist_ok=True)
    for n, i in enumerate(todo):
        if n % 500 == 0:
            check_cancelled(cancelled)
            progress(n, len(todo), "writing Fashion-MNIST images")
        buffer = io.BytesIO()
        Image.fromarray(images[i], "L").save(buffer, "PNG", optimize=False, compress_level=1)
        _write_if_different(folder / rels[i], buffer.getvalue(), _size(stats, rels[i]))
    if todo:
        progress(len(todo), len(todo), "Fashion-MNIST images written")


def _size(stats: dict[str, _Stat], name: str) -> int | None:
    return stats[name][0] if name in stats else None


def _write_if_different(path: Path, data: bytes, size: int | None) -> None:
    """Write ``data`` to ``path`` (atomically) unless the file holds it already. ``size`` is the
    file's as found (None: not there): a file of another size is not read."""
    if size == len(data):
        try:
            if path.read_bytes() == data:
                return
        except OSError:  # unreadable: written again
            pass
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def _labels_csv(rows: Iterable[tuple[str, str]]) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(("filename", "label"))
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


#: Upstream of the style artworks: the repository pinned at the commit the shared copy came from.
STYLE_BASE_URL = (
    "https://raw.githubusercontent.com/ikatsov/tensor-house-data/"
    "5ab47f00b7eb1013a84f7bd744b2a08a8e9f1405/search/images-by-style/"
)

#: SHA-256 of every style artwork (computed from the reference copy).
STYLE_ARTWORKS = {
    "s_cubism-01.jpg": "afd59085991058739acfb3006ff90013767c59a0d971579102a5faa3a21eb6fd",
    "s_cubism-02.jpg": "9a29630a7c3e3b356d0c85fe09e18d666c5d826616ed50cd9510ecafd07e7131",
    "s_cubism-03.jpg": "10dc837ed4cffa1517eacba5e15d3b4fedd9574340f70aa19dcbb6cf34f05922",
    "s_cubism-04.jpg": "7cea48057eb6f7e487ef7d22fe719d4976dc45a333a5fd358e5644865c053e99",
    "s_cubism-05.jpg": "96cea0365790623f4e9713f26672118fb129aab1117af4f07d5b2ed63d4b0ea8",
    "s_cubism-06.jpg": "c4f29ec7a9326b77e35f73ae4a2f0a9b7fd4846efe71c28b9f1f3b2dfddd8b87",
    "s_cubism-07.jpg": "2d91f66f35e1ccc39df97d75264f227a0554e6939c815f997fda5efb852563c3",
    "s_cubism-08.jpg": "7b53931a725ae4b02df4621c99870fbc2a6d98a5d289163124934248164e2818",
    "s_cubism-09.jpg": "306efbe48212f580f427a0d33841040d840c66d5057cc2d07d90c24256bd6fe1",
    "s_cubism-10.jpg": "74eda1b6de5eb413fa81ace443a01f5dc8a5ce886300d264212e7d4d8260bfad",
    "s_cubism-11.jpg": "946f988bab789edf1c2c5eef231410e8ccc35b387abd53c3c1f99e5658b9b066",
    "s_cubism-12.jpg": "b87768774c51a54261e10c70b030f06e9d2a7e2959f9253f1fe9a18772b0bc15",
    "s_cubism-13.jpg": "0705470fe4b06ce25de7c85c23d4560155a44d1ee727809c565c8e671abc2b28",
    "s_cubism-14.jpg": "a3f8085c27988dd190cd38243cda6d7fb3517e8b5f556d204944e686aa1923ae",
    "s_cubism-15.jpg": "aaf05a61c6203d80c41fe45c06afe85637ffe38a980184bab2b3147aeaeb342b",
    "s_cubism-16.jpg": "802ae6d05f3e282d1c723168d01911c1910bf7639bc87ce91ba44f1c17028329",
    "s_impressionist-01.jpg": "2652db62d6365320f7f0b3bb1bb895dfbabb0dd000b5df053bdad142f4746c6d",
    "s_impressionist-02.jpg": "a82a9909b49e7925052de6949d19904d66cbe58f175f6b7b67abf3cbfdece69b",
    "s_impressionist-03.jpg": "8ebe5c25368e9b9480befda1f035e55035e61d54e1247d08b2a90d01d6a96505",
    "s_impressionist-04.jpg": "037badfe49a18f20ca26a46f19716a00bd76e21de7f9b4e870239360ef6aafe0",
    "s_impressionist-05.jpg": "9a7d17b1e48bcaa07864a1bbdf951b45b8beb354a90f3f060a190d50c13fe480",
    "s_impressionist-06.jpg": "363b5937a62f716c65353260c5267d64aef59dafc3871730be733d24256f2a33",
    "s_impressionist-07.jpg": "8c68ba6e43928b1adbf93253899c9d5b7ac36cb4eeb9adc63def369bfdbbe12b",
    "s_impressionist-08.jpg": "d189ad83bb0bd622024653105cba1503f710ed96c17169a273816f3cc40a5168",
    "s_impressionist-09.jpg": "7b7f11c34868a8f935adb79342bf567aaa7fb40cd9b64aed8ec1fa2e2b923bd8",
    "s_impressionist-10.jpg": "2a56f58e89df210e0a1797f08fa18e7117d89534e9c5059cbc07b601cc5b914f",
    "s_impressionist-11.jpg": "72633d30e9ff75aeba5215e1263b34f423351dd59165e8a189edf154e421b020",
    "s_impressionist-12.jpg": "89222ed6c7dfb6fe298c62a74623c9663345cce5bf06ae0684d30445c5f62142",
    "s_impressionist-13.jpg": "0bb6d525ec1d2e9090045906d30ff3b7a8731c14aeef5b0a338df65aad7df11f",
    "s_impressionist-14.jpg": "b7ee9a1a0aee3f6f6d3809005139f2f24a9dd2488240fe1c7386bc61fa1df29f",
    "s_impressionist-15.jpg": "6e6261da14250c648e9c87fbb1865ff838f162e68eb37b0bfa331165495deda3",
    "s_impressionist-16.jpg": "58d5b03564d14a0d29a9097d5953763589b85353a71cb7bf3a09e151d5773781",
}


def sync_style_artworks(folder: Path, progress: Progress, cancelled: Cancelled, base_url: str | None) -> None:
    """Fetch the artworks of ``folder`` that are missing or do not match their SHA-256.

    Hashing the 32 files (1.5 MB) takes a few ms, so every kind of damage is found.
    """
    todo = [name for name, sha in sorted(STYLE_ARTWORKS.items()) if not _has_content(folder / name, sha)]
    for i, name in enumerate(todo):
        check_cancelled(cancelled)
        progress(i, len(todo), f"fetching {name}")
        _fetch_artwork(name, folder / name, base_url)
    if todo:
        progress(len(todo), len(todo), "style artworks ready")
    labels_csv = _labels_csv((name, name.split("-")[0].removeprefix("s_")) for name in sorted(STYLE_ARTWORKS))
    if not _has_content(folder / "labels.csv", hashlib.sha256(labels_csv).hexdigest()):
        with atomic_path(folder / "labels.csv") as tmp:
            tmp.write_bytes(labels_csv)


def _has_content(path: Path, sha256: str) -> bool:
    try:
        return sha256_file(path) == sha256
    except OSError:
        return False


def _mirror_words(mirror_dir: Path) -> str:
    """Why the mirror folder gave no artwork, in words: it is not there, or which it lacks
    (hashing its files is a few ms, once, on the way to an error)."""
    if not mirror_dir.is_dir():
        what = "a file, not a folder" if mirror_dir.exists() else "a folder that does not exist"
        return f"{paths.ENV_STYLE_MIRROR} names {mirror_dir}, {what}"
    lacking = [name for name, sha in sorted(STYLE_ARTWORKS.items()) if not _has_content(mirror_dir / name, sha)]
    shown = ", ".join(lacking[:3]) + (f" and {len(lacking) - 3} more" if len(lacking) > 3 else "")
    return f"mirror {mirror_dir} lacks {len(lacking)} of the {len(STYLE_ARTWORKS)} artworks (or holds other copies): {shown}"


def _fetch_artwork(name: str, dest: Path, base_url: str | None) -> None:
    """Artwork ``name`` into ``dest`` (atomically): from the mirror folder if it has a matching
    copy, else downloaded; checked against its SHA-256 either way."""
    sha = STYLE_ARTWORKS[name]
    mirror = os.environ.get(paths.ENV_STYLE_MIRROR)
    mirror_dir = Path(mirror).expanduser() if mirror else None
    if mirror_dir is not None and _has_content(mirror_dir / name, sha):
        with atomic_path(dest) as tmp:
            shutil.copyfile(mirror_dir / name, tmp)
        return
    base = (base_url or os.environ.get("VSDESK_STYLE_BASE_URL") or STYLE_BASE_URL).rstrip("/") + "/"
    where = (f" ({_mirror_words(mirror_dir)})" if mirror_dir else
             f"; without internet, point {paths.ENV_STYLE_MIRROR} at a folder holding the {len(STYLE_ARTWORKS)} "
             "artworks")
    try:
        download_file(base + name, dest, sha256=sha)
    except DownloadUnreachable as exc:
        if not mirror_dir:  # offline, with nothing set up: the way on without the sample
            where += ", or search your own pictures: `vsdesk index --mode style --catalog NAME FOLDER`"
        raise SampleOffline(f"cannot download the style sample's paintings: {exc}{where}",
                            "style-artworks", exc.why) from None
    except (OSError, SampleDataError) as exc:
        raise SampleDataError(f"cannot get style artwork {name}: {exc}{where}") from None
