"""Sample data: Fashion-MNIST arrays (local copies and the download path), sample folders."""

from __future__ import annotations

import csv
import functools
import hashlib
import http.server
import json
import os
import shutil
import threading
from pathlib import Path

import numpy as np
import pytest

from conftest import FASHION_MNIST_DIR, STYLE_DIR
from vsdesk.engine import paths, samples
from vsdesk.engine.imageio import load_image
from vsdesk.engine.samples import FASHION_MNIST_CLASSES, SampleDataError, _fashion_mnist, load_fashion_mnist


@pytest.fixture
def http_root(tmp_path):
    """A local HTTP server on 127.0.0.1 serving a temporary folder: the faked network."""
    root = tmp_path / "www"
    root.mkdir()
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield root, f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def no_local_fashion(tmp_path, monkeypatch):
    """Hide every local Fashion-MNIST copy except the shipped test set."""
    empty = tmp_path / "no-fashion"
    empty.mkdir()
    monkeypatch.setenv(samples.ENV_FASHION_MNIST, str(empty))
    monkeypatch.setattr(_fashion_mnist, "DEBIAN_FASHION_MNIST", empty)
    monkeypatch.setenv("VSDESK_CACHE_DIR", str(tmp_path / "cache"))


@pytest.fixture
def own_fashion_sample(tmp_path, monkeypatch) -> Path:
    """A cache of the test's own holding the Fashion-MNIST sample folder, for a test that
    damages it: a copy, with its files' times (which the sample's record of them keeps), of the
    one in the session's cache, made there once, as any first use makes it. Each such test
    encoded the 10,000 images again in its own cache (6-15 s a test; a copy takes about 1 s)."""
    made = samples.sample_folder("fashion-mnist")  # the session's cache (conftest)
    own = tmp_path / "cache"
    shutil.copytree(made, own / "samples" / made.name)  # copy2: sizes and mtimes as recorded
    monkeypatch.setenv("VSDESK_CACHE_DIR", str(own))
    return own / "samples" / made.name


def test_shipped_test_set_loads_with_classes():
    images, labels = load_fashion_mnist("test")
    assert images.shape == (10000, 28, 28) and images.dtype == np.uint8
    assert labels.shape == (10000,) and labels.dtype == np.int64
    assert np.bincount(labels).tolist() == [1000] * 10  # the test set is balanced
    assert len(FASHION_MNIST_CLASSES) == 10 and FASHION_MNIST_CLASSES[9] == "Ankle boot"


def test_train_set_from_local_copy(monkeypatch):
    monkeypatch.setenv(samples.ENV_FASHION_MNIST, str(FASHION_MNIST_DIR))
    images, labels = load_fashion_mnist("train")
    assert images.shape == (60000, 28, 28) and labels.shape == (60000,)
    assert labels[:5].tolist() == [9, 0, 0, 3, 0]  # the published first labels
    assert 60 < images.mean() < 90  # real pictures, not zeros


def test_train_set_downloaded_with_md5_check(no_local_fashion, http_root):
    root, url = http_root
    for name in ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"):
        shutil.copy(FASHION_MNIST_DIR / name, root / name)
    with pytest.raises(SampleDataError, match="not found locally"):
        load_fashion_mnist("train", download=False)
    images, labels = load_fashion_mnist("train", urls=[url + "missing/", url])  # first URL 404s
    assert images.shape == (60000, 28, 28) and labels.shape == (60000,)
    # Cached: the second call needs no network at all.
    images2, _ = load_fashion_mnist("train", download=False)
    assert np.array_equal(images, images2)


def test_download_with_wrong_checksum_is_rejected(no_local_fashion, http_root):
    root, url = http_root
    (root / "train-labels-idx1-ubyte.gz").write_bytes(b"\x1f\x8b not the real file")
    shutil.copy(FASHION_MNIST_DIR / "train-images-idx3-ubyte.gz", root)
    with pytest.raises(SampleDataError, match="checksum") as failure:
        load_fashion_mnist("train", urls=[url])
    assert "VSDESK_FASHION_MNIST_DIR" in str(failure.value)
    assert not list((paths.cache_dir() / "fashion-mnist").glob("train-labels*"))


def test_fashion_mnist_sample_folder_is_materialised_once():
    folder = samples.sample_folder("fashion-mnist")
    rows = list(csv.DictReader(open(folder / "labels.csv", encoding="utf-8")))
    assert len(rows) == 10000
    assert {r["label"] for r in rows} == set(FASHION_MNIST_CLASSES)
    first = folder / rows[0]["filename"]
    assert first.is_file() and first.parent.name == "Ankle-boot"
    assert samples.sample_folder("fashion-mnist") == folder


def test_fashion_mnist_sample_brings_back_lost_and_damaged_images(own_fashion_sample):
    folder = samples.sample_folder("fashion-mnist")  # its own: it is damaged here
    assert folder == own_fashion_sample
    rows = list(csv.DictReader(open(folder / "labels.csv", encoding="utf-8")))
    deleted, truncated, replaced, overwritten, kept, touched = (
        folder / rows[i]["filename"] for i in (3, 4000, 9999, 6000, 5, 7))
    before = {p: p.read_bytes() for p in (deleted, truncated, replaced, overwritten, folder / "labels.csv")}
    kept_stat, touched_ino = kept.stat(), touched.stat().st_ino
    deleted.unlink()
    truncated.write_bytes(before[truncated][:100])  # a PNG cut short, as a disk fault leaves it
    replaced.write_bytes(before[replaced] + b"\0" * 64)
    overwritten.write_bytes(np.random.default_rng(0).bytes(len(before[overwritten])))  # in place, same size
    os.utime(touched, ns=(touched.stat().st_atime_ns, touched.stat().st_mtime_ns + 10**9))  # only its time
    (folder / "labels.csv").unlink()
    shutil.rmtree(folder / "Sandal")  # a whole class folder cleaned away

    assert samples.sample_folder("fashion-mnist") == folder
    for path, data in before.items():
        assert path.read_bytes() == data, path.name
    assert len(list((folder / "Sandal").glob("*.png"))) == 1000
    assert kept.stat().st_ino == kept_stat.st_ino and kept.stat().st_mtime_ns == kept_stat.st_mtime_ns  # not written again
    assert touched.stat().st_ino == touched_ino  # compared, found right: not written again
    record = json.loads((folder / ".sizes.json").read_text())
    assert record[touched.relative_to(folder).as_posix()] == [touched.stat().st_size, touched.stat().st_mtime_ns]
    image = load_image(truncated)  # the PNG decodes to the test set's image again
    images, _ = load_fashion_mnist("test")
    assert np.array_equal(np.asarray(image)[..., 0], images[4000])


@pytest.mark.parametrize("older", ["none", "sizes-only"])
def test_fashion_mnist_sample_without_a_record_of_times_is_checked_once(own_fashion_sample, older):
    """A folder written before the record, or before it kept mtimes (sizes only): each image
    encoded again and compared with its file, the damaged ones rewritten (one damaged in place,
    its size unchanged, too), the others left as they are; the record is then made."""
    folder = samples.sample_folder("fashion-mnist")
    assert folder == own_fashion_sample
    record = folder / ".sizes.json"
    if older == "none":
        record.unlink()
    else:
        record.write_text(json.dumps({rel: os.path.getsize(folder / rel) for rel in json.loads(record.read_text())}))
    rows = list(csv.DictReader(open(folder / "labels.csv", encoding="utf-8")))
    truncated, overwritten, kept = (folder / rows[i]["filename"] for i in (7, 9, 8))
    good = {path: path.read_bytes() for path in (truncated, overwritten)}
    truncated.write_bytes(good[truncated][: len(good[truncated]) // 2])
    overwritten.write_bytes(bytes(len(good[overwritten])))  # in place, same size
    kept_ino = kept.stat().st_ino
    samples.sample_folder("fashion-mnist")
    assert {path: path.read_bytes() for path in good} == good
    assert kept.stat().st_ino == kept_ino
    stats = json.loads(record.read_text())
    assert len(stats) == 10001 and stats["labels.csv"] == [(folder / "labels.csv").stat().st_size,
                                                          (folder / "labels.csv").stat().st_mtime_ns]


def test_style_artworks_brought_back_from_mirror(tmp_path, monkeypatch):
    monkeypatch.setenv("VSDESK_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("VSDESK_STYLE_MIRROR", str(STYLE_DIR))
    folder = samples.sample_folder("style-artworks")
    (folder / "s_cubism-03.jpg").unlink()
    damaged = bytearray((folder / "s_impressionist-07.jpg").read_bytes())
    damaged[5000:5100] = bytes(100)  # damaged in place: same size, other bytes
    (folder / "s_impressionist-07.jpg").write_bytes(bytes(damaged))
    (folder / "labels.csv").write_text("filename,label\n")
    samples.sample_folder("style-artworks")
    for name, sha in samples.STYLE_ARTWORKS.items():
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == sha
    labels = dict(csv.reader(open(folder / "labels.csv", encoding="utf-8")))
    assert len(labels) == 33 and labels["s_cubism-03.jpg"] == "cubism"


def _prepared_twice_at_once() -> tuple[Path, dict[str, int]]:
    """The style sample prepared by two processes at once (the window and `vsdesk index`), the
    second finishing last: its copying waits (its progress callback) until the first has
    finished. -> the folder, and the inode of each file as the first left it."""
    copying, first_done, failures = threading.Event(), threading.Event(), []

    def wait_for_the_first(*_):
        copying.set()
        assert first_done.wait(60)

    def second():
        try:
            samples.sample_folder("style-artworks", progress=wait_for_the_first)
        except BaseException as exc:  # noqa: BLE001 - said by the test below
            failures.append(exc)

    thread = threading.Thread(target=second)
    thread.start()
    try:
        assert copying.wait(60)  # the second is making its folder; the first starts now
        folder = samples.sample_folder("style-artworks")
        first = {p.name: p.stat().st_ino for p in folder.iterdir()}
    finally:
        first_done.set()
        thread.join(60)
    assert not failures
    return folder, first


def test_two_processes_preparing_a_sample_at_once_keep_the_first_complete_folder(tmp_path, monkeypatch):
    """The second to finish once deleted the first's complete folder (perhaps being indexed
    already) to put its own in."""
    monkeypatch.setenv("VSDESK_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("VSDESK_STYLE_MIRROR", str(STYLE_DIR))
    folder, first = _prepared_twice_at_once()
    assert {p.name: p.stat().st_ino for p in folder.iterdir()} == first  # the very files, not a copy
    assert len(first) == 32 + 2  # the artworks, labels.csv, .complete
    assert [p.name for p in folder.parent.iterdir()] == ["style-artworks"]  # the second's copy is gone


def test_an_incomplete_sample_folder_is_replaced_by_a_complete_one(tmp_path, monkeypatch):
    """A folder without ".complete" (an older layout) is vsdesk's, in its cache: replaced, by
    the first of two processes preparing the sample at once. The second, which found it
    incomplete too, once deleted what was there when it finished: the first's complete folder."""
    monkeypatch.setenv("VSDESK_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("VSDESK_STYLE_MIRROR", str(STYLE_DIR))
    old = paths.cache_dir() / "samples" / "style-artworks"
    old.mkdir(parents=True)
    (old / "s_cubism-01.jpg").write_bytes(b"an older layout's half-copied file")
    folder, first = _prepared_twice_at_once()
    assert folder == old and (folder / ".complete").is_file()
    written = hashlib.sha256((folder / "s_cubism-01.jpg").read_bytes()).hexdigest()
    assert written == samples.STYLE_ARTWORKS["s_cubism-01.jpg"]
    assert {p.name: p.stat().st_ino for p in folder.iterdir()} == first  # the first's, kept by the second
    assert [p.name for p in folder.parent.iterdir()] == ["style-artworks"]  # the old one and the second's copy gone


def test_style_artworks_repair_without_a_source_keeps_the_sample(tmp_path, monkeypatch, http_root):
    """No mirror and the download failing: the sample opens with what it has, as before."""
    root, url = http_root  # serves nothing: every download is a 404
    monkeypatch.setenv("VSDESK_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("VSDESK_STYLE_MIRROR", str(STYLE_DIR))
    folder = samples.sample_folder("style-artworks")
    (folder / "s_cubism-03.jpg").unlink()
    monkeypatch.delenv("VSDESK_STYLE_MIRROR")
    assert samples.sample_folder("style-artworks", style_base_url=url) == folder
    assert not (folder / "s_cubism-03.jpg").exists()
    assert len(list(folder.glob("*.jpg"))) == 31


def test_style_artworks_from_mirror_checked(monkeypatch):
    monkeypatch.setenv("VSDESK_STYLE_MIRROR", str(STYLE_DIR))
    folder = samples.sample_folder("style-artworks")
    files = sorted(p.name for p in folder.glob("*.jpg"))
    assert files == sorted(samples.STYLE_ARTWORKS)
    labels = dict(csv.reader(open(folder / "labels.csv", encoding="utf-8")))
    assert labels["s_cubism-01.jpg"] == "cubism" and labels["s_impressionist-16.jpg"] == "impressionist"


def test_a_mirror_that_is_not_there_or_lacks_artworks_is_said_so(tmp_path, monkeypatch):
    """VSDESK_STYLE_MIRROR=/no/such/folder, offline, said "mirror … did not have a matching
    copy"; a mirror holding some of the 32 artworks did not say which it lacked. The network is
    faked at its boundary: the download site's name cannot be looked up."""
    import socket

    def offline(host, *args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", offline)
    monkeypatch.setenv("VSDESK_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("VSDESK_STYLE_MIRROR", str(tmp_path / "no_such_folder"))
    with pytest.raises(SampleDataError) as failure:
        samples.sample_folder("style-artworks")
    assert f"VSDESK_STYLE_MIRROR names {tmp_path / 'no_such_folder'}, a folder that does not exist" in str(
        failure.value)
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    names = sorted(samples.STYLE_ARTWORKS)
    for name in names[5:]:
        shutil.copy(STYLE_DIR / name, mirror / name)
    monkeypatch.setenv("VSDESK_STYLE_MIRROR", str(mirror))
    with pytest.raises(SampleDataError) as failure:
        samples.sample_folder("style-artworks")
    assert (f"mirror {mirror} lacks 5 of the 32 artworks (or holds other copies): {names[0]}, {names[1]}, "
            f"{names[2]} and 2 more") in str(failure.value)


def test_style_artworks_download_path(tmp_path, monkeypatch, http_root, new_file_mode):
    root, url = http_root
    monkeypatch.setenv("VSDESK_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("VSDESK_STYLE_MIRROR", raising=False)
    for p in STYLE_DIR.glob("*.jpg"):
        shutil.copy(p, root / p.name)
    folder = samples.sample_folder("style-artworks", style_base_url=url)
    for name, sha in samples.STYLE_ARTWORKS.items():
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == sha
        assert (folder / name).stat().st_mode & 0o777 == new_file_mode  # like the user's other files


def test_style_artworks_tampered_download_fails_and_leaves_nothing(tmp_path, monkeypatch, http_root):
    root, url = http_root
    monkeypatch.setenv("VSDESK_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("VSDESK_STYLE_MIRROR", raising=False)
    for p in STYLE_DIR.glob("*.jpg"):
        shutil.copy(p, root / p.name)
    (root / "s_cubism-05.jpg").write_bytes(b"tampered")
    with pytest.raises(SampleDataError, match="s_cubism-05.jpg") as failure:
        samples.sample_folder("style-artworks", style_base_url=url)
    assert "VSDESK_STYLE_MIRROR" in str(failure.value)  # what to do without the network
    assert not (Path(tmp_path / "cache" / "samples" / "style-artworks")).exists()


def test_clothing_sample_is_small_and_labelled():
    folder = samples.sample_folder("clothing")
    files = [p for p in folder.rglob("*.jpg")]
    assert 200 <= len(files) <= 600
    assert sum(p.stat().st_size for p in folder.rglob("*")) < 10_000_000
    rows = list(csv.DictReader(open(folder / "labels.csv", encoding="utf-8")))
    assert {r["filename"] for r in rows} == {p.relative_to(folder).as_posix() for p in files}
    assert len({r["label"] for r in rows}) == 17
    assert (folder / "LICENSE").is_file()
