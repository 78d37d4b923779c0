"""Catalogs: persistence, incremental re-runs, moves by hash, labels, skipped files, recovery."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from conftest import (
    CLOTHING_DIR,
    REPO,
    STYLE_DIR,
    copy_images,
    fill_disk,
    lose_pages,
    needs_setpriv,
    without_root_powers,
)
from vsdesk.engine.catalog import (
    Catalog,
    CatalogDamaged,
    CatalogError,
    CatalogExists,
    CatalogModeMismatch,
    CatalogNotFound,
    FoundElsewhere,
    IndexReport,
    catalog_settings,
    images_to_embed,
    index_catalog,
    list_catalogs,
    no_images_words,
    remove_catalog,
)
from vsdesk.engine.embedding import Embedder, l2_normalise
from vsdesk.engine.tasks import CancelledError
from vsdesk.engine.text import RESUMING


class HistogramEmbedder(Embedder):
    """A small real embedder without TensorFlow: a joint RGB colour histogram (4x4x4 = 64 bins).
    Used to exercise catalog mechanics quickly; the end-to-end tests use a real mode."""

    mode = "style"
    dim = 64
    decode_size = 64

    def __init__(self, key: str = "histogram-v1"):
        self.key = key
        self.calls = 0

    def preprocess(self, image):
        small = np.asarray(image.resize((32, 32)), dtype=np.uint8) // 64
        codes = small[..., 0].astype(np.int64) * 16 + small[..., 1] * 4 + small[..., 2]
        return np.bincount(codes.ravel(), minlength=64).astype(np.float32)

    def embed(self, batch):
        self.calls += len(batch)
        return l2_normalise(np.sqrt(batch))


def clothing_images(n: int, start: int = 0) -> list[Path]:
    return sorted((CLOTHING_DIR / "images").glob("*.jpg"))[start : start + n]


@pytest.fixture
def photos(tmp_path) -> Path:
    """A user folder: 12 photos in two class subfolders."""
    root = tmp_path / "photos"
    for i, src in enumerate(clothing_images(12)):
        sub = root / ("a" if i % 2 else "b")
        sub.mkdir(parents=True, exist_ok=True)
        shutil.copy(src, sub / src.name)
    return root


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    return {str(p): (p.stat().st_size, p.stat().st_mtime_ns) for p in folder.rglob("*")}


def test_create_index_and_reopen(photos):
    before = snapshot(photos)
    emb = HistogramEmbedder()
    with Catalog.create("mine", "style", [photos]) as catalog:
        report = index_catalog(catalog, emb, batch_size=5)
        assert (report.added, report.indexed, report.embedded) == (12, 12, 12)
        version = catalog.version
    assert snapshot(photos) == before  # nothing written into the user's folder
    with Catalog.open("mine") as catalog:
        paths, labels, matrix = catalog.vectors()
        assert matrix.shape == (12, 64) and matrix.dtype == np.float32
        assert np.allclose(np.linalg.norm(matrix, axis=1), 1, atol=1e-5)
        assert sorted(set(labels)) == ["a", "b"]  # class subfolders
        assert paths == sorted(paths) and catalog.version == version
        assert len(set(catalog.hashes())) == 12
    with pytest.raises(CatalogExists):
        Catalog.create("mine", "style", [photos])
    with pytest.raises(CatalogNotFound):
        Catalog.open("other")


def test_rerun_is_incremental_moves_are_recognised(photos):
    emb = HistogramEmbedder()
    catalog = Catalog.create("mine", "style", [photos])
    index_catalog(catalog, emb)
    assert emb.calls == 12
    again = index_catalog(catalog, emb)
    assert (again.unchanged, again.added, again.embedded, emb.calls) == (12, 0, 0, 12)

    files = sorted(photos.rglob("*.jpg"))
    files[0].rename(files[0].with_name("renamed.jpg"))  # rename
    (photos / "c").mkdir()
    files[1].rename(photos / "c" / files[1].name)  # move to another class
    files[2].unlink()  # delete
    shutil.copy(clothing_images(1, start=20)[0], photos / "a" / "new.jpg")  # new
    with Image.open(files[3]) as im:  # change content in place
        im.rotate(90).save(files[3])
    version = catalog.version
    report = index_catalog(catalog, emb)
    assert (report.moved, report.removed, report.added, report.updated) == (2, 1, 1, 1)
    assert report.embedded == 2 and emb.calls == 14  # only the new and the changed file
    assert report.unchanged == 8 and report.indexed == 12
    assert catalog.version > version
    paths, labels, matrix = catalog.vectors()
    assert len(paths) == len(set(paths)) == 12 and all(os.path.exists(p) for p in paths)
    assert labels[paths.index(str(photos / "c" / files[1].name))] == "c"
    # The vectors of the deleted file and of the changed file's old content are kept (a few, far
    # below the bound: ``test_vectors_no_file_uses_are_kept_up_to_a_bound_then_all_dropped``).
    rows = catalog.conn.execute("SELECT COUNT(*) FROM vectors").fetchone()[0]
    assert rows == 14 and catalog.counts() == (12, 0)


def test_vectors_no_file_uses_are_kept_up_to_a_bound_then_all_dropped(tmp_path, monkeypatch):
    """A folder forgotten keeps its vectors through the runs after it (its content back is not
    embedded again) while the vectors no file uses are no more than those in use, or than
    ``UNUSED_VECTORS_KEPT_BYTES`` of them; beyond it, a complete run drops them all."""
    from vsdesk.engine.catalog import _index_run

    big = copy_images(clothing_images(12), tmp_path / "big")
    small = copy_images(clothing_images(4, start=12), tmp_path / "small")
    catalog = Catalog.create("mine", "style", [big, small])
    index_catalog(catalog, HistogramEmbedder())
    stored = "SELECT COUNT(*) FROM vectors"

    catalog.remove_folder(small)  # 4 unused, 12 in use: kept through a run
    index_catalog(catalog, HistogramEmbedder())
    assert catalog.conn.execute(stored).fetchone()[0] == 16 and catalog.counts() == (12, 0)
    assert len(catalog.vectors().paths) == 12  # never searched
    emb = HistogramEmbedder()
    report = index_catalog(catalog, emb, add_folders=[small])
    assert (report.embedded, report.reused, emb.calls) == (0, 4, 0)

    # The bytes' floor aside (64 MB: 200,000 of these 64-D vectors), the bound is the vectors in use.
    monkeypatch.setattr(_index_run, "UNUSED_VECTORS_KEPT_BYTES", 0)
    catalog.remove_folder(big)  # 12 unused, 4 in use: all dropped at the end of the run
    index_catalog(catalog, HistogramEmbedder())
    assert catalog.conn.execute(stored).fetchone()[0] == 4
    emb = HistogramEmbedder()
    report = index_catalog(catalog, emb, add_folders=[big])
    assert (report.embedded, report.reused, emb.calls) == (12, 0, 12)


def test_new_model_key_reembeds(photos):
    catalog = Catalog.create("mine", "style", [photos])
    index_catalog(catalog, HistogramEmbedder("v1"))
    emb2 = HistogramEmbedder("v2")
    report = index_catalog(catalog, emb2)
    assert report.embedded == 12 and report.updated == 12
    assert catalog.embedder_key == "v2"
    assert catalog.conn.execute("SELECT DISTINCT key FROM vectors").fetchall() == [("v2",)]


def test_mode_is_fixed_per_catalog(photos):
    catalog = Catalog.create("mine", "style", [photos])
    with pytest.raises(CatalogModeMismatch):
        Catalog.open_or_create("mine", "vae", [])

    class VaeLike(HistogramEmbedder):
        mode = "vae"

    with pytest.raises(CatalogModeMismatch):
        index_catalog(catalog, VaeLike())


def test_bad_files_and_unreadable_folders_are_skipped_and_listed(photos):
    (photos / "empty.jpg").write_bytes(b"")
    (photos / "text.png").write_text("not an image")
    good = sorted(photos.rglob("*.jpg"))[0].read_bytes()
    (photos / "cut.jpg").write_bytes(good[: len(good) // 3])
    locked = photos / "locked"
    locked.mkdir()
    shutil.copy(clothing_images(1, start=30)[0], locked / "x.jpg")
    locked.chmod(0)
    try:
        catalog = Catalog.create("mine", "style", [photos])
        report = index_catalog(catalog, HistogramEmbedder())
        kinds = {Path(s.path).name: s.kind for s in report.skipped}
        assert kinds["empty.jpg"] == "empty" and kinds["text.png"] == "not-an-image"
        assert kinds["cut.jpg"] in ("truncated", "corrupt")
        root_user = os.geteuid() == 0  # root reads any folder (as in some CI containers)
        if not root_user:
            assert kinds["locked"] == "unreadable-folder"
        assert report.indexed == (13 if root_user else 12)
        assert all(s.message for s in report.skipped)
        # A re-run does not retry unchanged broken files, but still lists them.
        again = index_catalog(catalog, HistogramEmbedder())
        assert {Path(s.path).name for s in again.skipped} == set(kinds)
        assert catalog.skipped() == sorted(again.skipped)  # the locked folder too, as the run says
        assert again.unchanged == report.indexed and again.added == 0  # the broken ones: skipped only
        assert report.added + report.updated + report.moved + report.unchanged == report.indexed
    finally:
        locked.chmod(0o755)


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="the test above covers it")
@pytest.mark.skipif(shutil.which("setpriv") is None, reason="needs util-linux's setpriv")
def test_as_root_an_unreadable_folder_is_still_checked_without_roots_powers(photos):
    """Root reads every folder, so the test above cannot lock one; here the scan runs in a
    process without root's power to override permissions (CAP_DAC_OVERRIDE and
    CAP_DAC_READ_SEARCH dropped), which a locked folder then stops as it stops a user."""
    locked = photos / "locked"
    locked.mkdir()
    shutil.copy(clothing_images(1, start=30)[0], locked / "x.jpg")
    locked.chmod(0)
    code = ("import json, sys; from vsdesk.engine.catalog import scan_folders; "
            "r = scan_folders([sys.argv[1]]); print(json.dumps([len(r.files), r.unreadable]))")
    try:
        run = subprocess.run(
            ["setpriv", "--bounding-set", "-dac_override,-dac_read_search", sys.executable, "-c", code, str(photos)],
            capture_output=True, text=True, timeout=60, cwd=str(REPO), env={**os.environ, "PYTHONPATH": str(REPO)},
        )
    finally:
        locked.chmod(0o755)
    assert run.returncode == 0, run.stderr
    found, unreadable = json.loads(run.stdout)
    assert found == 12  # every other photo
    [(path, kind, message)] = unreadable
    assert path == str(locked) and kind == "unreadable-folder" and "permission" in message.lower()


def test_a_file_name_in_another_encoding_is_indexed_with_its_own_bytes(photos):
    """Bytes that are not UTF-8 in a name (an old archive, a network share) were skipped ("rename
    the file to index it"): the index keeps such a path as its bytes, and gives the same back."""
    bad = os.fsdecode(b"caf\xe9 photo.jpg")  # Latin-1 bytes, as a Windows share may give them
    shutil.copy(clothing_images(1, start=30)[0], os.path.join(photos, bad))
    catalog = Catalog.create("mine", "style", [photos])
    report = index_catalog(catalog, HistogramEmbedder())
    assert report.indexed == 13 and report.skipped == []
    assert os.path.join(photos, bad) in catalog.indexed().vectors.paths  # the name as it is, its byte not lost
    version = catalog.version
    again = index_catalog(catalog, HistogramEmbedder())
    assert again.unchanged == 13 and catalog.version == version and catalog.changed_folders() == []
    os.rename(os.path.join(photos, bad), os.path.join(photos, os.fsdecode(b"caf\xe8.jpg")))
    renamed = index_catalog(catalog, HistogramEmbedder())
    assert (renamed.indexed, renamed.skipped, catalog.counts()) == (13, [], (13, 0))
    paths = catalog.indexed().vectors.paths
    assert len(paths) == len(set(paths)) == 13 and os.path.join(photos, os.fsdecode(b"caf\xe8.jpg")) in paths


def test_linked_folders_are_followed_once_and_loops_end(photos, tmp_path):
    elsewhere = tmp_path / "other-disk"
    elsewhere.mkdir()
    for src in clothing_images(3, start=40):
        shutil.copy(src, elsewhere / src.name)
    os.symlink(elsewhere, photos / "linked")  # photos kept on another disk
    os.symlink(elsewhere, photos / "a" / "again")  # the same folder linked twice
    os.symlink(photos, photos / "b" / "loop")  # a link back to the root
    catalog = Catalog.create("mine", "style", [photos])
    report = index_catalog(catalog, HistogramEmbedder())
    assert report.indexed == 12 + 3 and not report.skipped
    linked = [p for p in catalog.vectors().paths if "other-disk" in os.path.realpath(p)]
    assert len(linked) == 3  # once, through one of the two links


def test_avif_photos_are_indexed_and_heic_ones_listed_with_what_to_do(photos):
    with Image.open(clothing_images(1, start=50)[0]) as im:
        im.save(photos / "phone.avif")
    (photos / "IMG_0001.HEIC").write_bytes(b"\x00\x00\x00\x18ftypheic")  # a HEIF header
    catalog = Catalog.create("mine", "style", [photos])
    report = index_catalog(catalog, HistogramEmbedder())
    assert report.indexed == 13 and str(photos / "phone.avif") in catalog.vectors().paths
    [skipped] = report.skipped
    assert skipped.path.endswith("IMG_0001.HEIC") and skipped.kind == "unsupported-format"
    assert "convert them to JPEG" in skipped.message
    assert catalog.counts() == (13, 1) and catalog.skipped() == [skipped]  # as the run said
    catalog.remove_folder(photos)
    assert catalog.counts() == (0, 0) and catalog.skipped() == []


def test_labels_from_labels_csv(tmp_path):
    root = tmp_path / "art"
    root.mkdir()
    for src in sorted(STYLE_DIR.glob("*.jpg"))[::8]:
        shutil.copy(src, root / src.name)
    shutil.copy(STYLE_DIR / "labels.csv", root / "labels.csv")  # filename,style
    catalog = Catalog.create("art", "style", [root])
    index_catalog(catalog, HistogramEmbedder())
    paths, labels, _ = catalog.vectors()
    assert [Path(p).name.split("-")[0][2:] for p in paths] == labels


def test_missing_folder_keeps_its_entries_and_is_said_as_a_folder_not_a_skipped_file(photos, tmp_path):
    catalog = Catalog.create("mine", "style", [photos])
    index_catalog(catalog, HistogramEmbedder())
    photos.rename(tmp_path / "unplugged")  # like an unmounted disk
    report = index_catalog(catalog, HistogramEmbedder())
    assert report.removed == 0 and report.indexed == 12
    [away] = report.missing_folders
    assert (away.path, away.kind) == (str(photos), "missing-folder") and "entries are kept" in away.message
    assert not report.skipped  # it was counted as a skipped file: "1 skipped"
    assert "0 files skipped" in report.summary() and report.kept == 12
    assert "1 folder away (missing): its 12 images kept as they were" in report.summary()
    assert report.as_dict()["missing_folders"] == [away._asdict()]
    (tmp_path / "unplugged").rename(photos)  # back, unchanged: the run while it was away changed nothing
    assert catalog.changed_folders() == []
    photos.rename(tmp_path / "unplugged")
    photos.write_bytes(b"a file where the folder was")
    report = index_catalog(catalog, HistogramEmbedder())
    assert (report.indexed, [f.kind for f in report.missing_folders], report.skipped) == (12, ["not-a-folder"], [])
    assert "1 folder away (a file now): its 12 images kept as they were" in report.summary()


def test_an_empty_mount_point_keeps_its_entries_and_they_are_reused_when_the_disk_is_back(photos, tmp_path):
    """An unmounted disk usually leaves its mount point behind, an empty folder: its entries
    are kept as a missing folder's are (they were all dropped, and embedded again on its return)."""
    catalog = Catalog.create("mine", "style", [photos])
    index_catalog(catalog, HistogramEmbedder())
    photos.rename(tmp_path / "unplugged")
    photos.mkdir()  # the mount point, empty
    report = index_catalog(catalog, HistogramEmbedder())
    assert report.removed == 0 and report.indexed == 12 and not report.skipped
    [away] = report.missing_folders
    assert away.kind == "empty-folder" and away.path == str(photos) and "not mounted" in away.message
    assert "1 folder away (empty): its 12 images kept as they were" in report.summary()
    photos.rmdir()
    (tmp_path / "unplugged").rename(photos)  # the disk is back
    assert catalog.changed_folders() == []  # as it was at the run before it went away
    report = index_catalog(catalog, HistogramEmbedder())
    assert report.added == 0 and report.unchanged == 12 and not report.skipped and not report.missing_folders
    # A folder emptied by hand is the same to vsdesk: `catalogs remove-folder` forgets it.
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    assert not index_catalog(Catalog.create("new", "style", [fresh]), HistogramEmbedder()).missing_folders  # nothing to keep


def _counting_loader(loads: list):
    def loader():
        loads.append(1)
        return HistogramEmbedder()
    return loader


def test_a_moved_folder_counts_as_moved_and_each_image_is_listed_once(photos, tmp_path):
    """``mv photos moved/photos`` and the new place indexed into the same catalog: the old
    folder's entries were kept (a folder away), so every image was listed twice, once at a path
    that is gone. Their content is seen in the new place: they are forgotten, counted as moved."""
    loads = []
    catalog = Catalog.create("mine", "style", [photos])
    index_catalog(catalog, _counting_loader(loads))
    moved = tmp_path / "moved" / "photos"
    moved.parent.mkdir()
    photos.rename(moved)
    report = index_catalog(catalog, _counting_loader(loads), add_folders=[moved])
    assert (report.moved, report.added, report.removed, report.kept, report.indexed) == (12, 0, 0, 0, 12)
    assert (report.model_loaded, report.embedded, len(loads)) == (False, 0, 1)  # known content: no model
    assert [f.kind for f in report.missing_folders] == ["missing-folder"]
    assert report.found_elsewhere == [FoundElsewhere(str(photos), "missing-folder", 12, 12, [str(moved)])]
    assert report.missing_without_images == [str(photos)]
    assert report.summary().endswith(f"; 12 images of {photos} (missing) found in {moved}: counted as moved")
    assert report.as_dict()["found_elsewhere"] == [{"folder": str(photos), "kind": "missing-folder", "images": 12,
                                                    "moved": 12, "found_in": [str(moved)]}]
    paths = catalog.vectors().paths
    assert len(paths) == 12 and all(p.startswith(str(moved) + os.sep) for p in paths)
    assert catalog.holds_files(str(moved)) and not catalog.holds_files(str(photos))
    [info] = list_catalogs()
    assert (info.indexed, info.missing_without_images) == (12, (str(photos),))
    again = index_catalog(catalog, _counting_loader(loads))
    assert (again.unchanged, again.removed, again.found_elsewhere, again.missing_without_images) == (
        12, 0, [], [str(photos)])
    assert again.summary().endswith("; 1 folder away (missing) with no images in the index")
    # The old place comes back (copied back from a backup): its files are indexed again by
    # their hash, without the model; both places are then listed, each once.
    shutil.copytree(moved, photos)
    back = index_catalog(catalog, _counting_loader(loads))
    assert (back.added, back.unchanged, back.embedded, back.model_loaded, len(loads)) == (12, 12, 0, False, 1)
    assert len(set(catalog.vectors().paths)) == 24 and not back.missing_folders


def test_a_skipped_file_of_a_moved_folder_is_no_image_removed(photos, tmp_path):
    """A folder holding a file that is no image, moved and indexed in its new place: the
    skipped entry found elsewhere was counted as an image removed ("1 removed" of a catalog
    that held 12 images before and after), as ``_drop`` did before it counted images only."""
    (photos / "text.jpg").write_text("not an image")
    catalog = Catalog.create("mine", "style", [photos])
    assert index_catalog(catalog, HistogramEmbedder()).indexed == 12
    moved = tmp_path / "moved" / "photos"
    moved.parent.mkdir()
    photos.rename(moved)
    report = index_catalog(catalog, HistogramEmbedder(), add_folders=[moved])
    assert [Path(s.path).name for s in report.skipped] == ["text.jpg"]
    assert (report.moved, report.added, report.removed, report.indexed) == (12, 0, 0, 12)
    assert " 0 removed," in report.summary()
    assert catalog.counts() == (12, 1)  # the skipped file listed once, at its new place


def test_a_copy_made_while_a_disk_is_unplugged_loses_nothing(photos, tmp_path):
    """The disk holding a catalog folder is unplugged and some of its photos are copied into
    another folder of the catalog (from a backup): those are listed once, from the copies; the
    others are kept. Plugged in again, the disk's files are all back, by hash, without the model."""
    loads = []
    local = tmp_path / "local"
    local.mkdir()
    for src in clothing_images(2, start=40):
        shutil.copy(src, local / src.name)
    on_disk = sorted(photos.rglob("*.jpg"))
    shutil.copy(on_disk[0], local / "copied-before.jpg")  # a copy indexed before the disk went
    catalog = Catalog.create("mine", "style", [photos, local])
    assert index_catalog(catalog, _counting_loader(loads)).indexed == 15
    photos.rename(tmp_path / "unplugged")
    for path in on_disk[1:6]:
        shutil.copy(tmp_path / "unplugged" / path.relative_to(photos), local / path.name)
    report = index_catalog(catalog, _counting_loader(loads))
    assert (report.added, report.moved, report.removed, report.kept, report.indexed) == (0, 5, 1, 6, 14)
    assert (report.model_loaded, len(loads)) == (False, 1)
    assert report.found_elsewhere == [FoundElsewhere(str(photos), "missing-folder", 6, 5, [str(local)])]
    assert report.missing_without_images == []
    assert (f"; 6 images of {photos} (missing) found in {local}: listed once, from there (5 new there: counted "
            f"as moved); 1 folder away (missing): its 6 images kept as they were") in report.summary()
    hashes = catalog.hashes()
    assert len(hashes) == len(set(hashes)) == 14  # each image once
    (tmp_path / "unplugged").rename(photos)  # plugged in again
    back = index_catalog(catalog, _counting_loader(loads))
    assert (back.added, back.embedded, back.model_loaded, len(loads)) == (6, 0, False, 1)
    assert back.indexed == 20 and not back.missing_folders and not back.found_elsewhere
    assert set(map(str, on_disk)) <= set(catalog.vectors().paths)  # every photo of the disk


def test_images_to_embed_counts_what_a_run_with_a_model_would_embed(photos):
    """What the window's "Product model" dialog says a switch embeds: not the images indexed
    (it said 12 for a catalog whose run was cancelled at 4, or whose new model's vectors were
    half there), but the files found less those with a vector of that model already."""
    catalog = Catalog.create("mine", "style", [photos])
    seen = []
    with pytest.raises(CancelledError):  # the first run cut off: some indexed, all found
        index_catalog(catalog, HistogramEmbedder("old-v1"), lambda done, total, message="": seen.append(done),
                      cancelled=lambda: max(seen, default=0) >= 4, batch_size=4)
    kept = catalog.counts()[0]
    assert 4 <= kept < 12
    assert images_to_embed(catalog, ["old-", "new-", None]) == [12 - kept, 12, 12]
    index_catalog(catalog, HistogramEmbedder("old-v1"))
    assert images_to_embed(catalog, ["old-", "new-"]) == [0, 12]
    seen.clear()  # a switch to another model cancelled midway: its vectors so far stay, and count
    with pytest.raises(CancelledError):
        index_catalog(catalog, HistogramEmbedder("new-v1"), lambda done, total, message="": seen.append(done),
                      cancelled=lambda: max(seen, default=0) >= 4, batch_size=4)
    [old, new] = images_to_embed(catalog, ["old-", "new-"])
    assert old == 0 and 0 < new <= 8, new
    shutil.copy(clothing_images(1, start=20)[0], photos / "saved-since.jpg")  # a file saved since
    assert images_to_embed(catalog, ["old-", "new-"]) == [1, new + 1]
    catalog.close()


def test_images_to_embed_does_not_count_a_moved_file_that_a_run_does_not_embed(photos):
    """A file moved or renamed within the catalog keeps its size and time, and a run finds its
    content known by its hash: not embedded again. The count said 1 for it (every path the
    index did not hold was new), so the "Product model" dialog promised work a run never did."""
    catalog = Catalog.create("mine", "style", [photos])
    index_catalog(catalog, HistogramEmbedder("old-v1"))
    first = sorted((photos / "a").iterdir())[0]
    (photos / "kept").mkdir()
    os.rename(first, photos / "kept" / "renamed.jpg")
    assert images_to_embed(catalog, ["old-", "new-"]) == [0, 12]
    report = index_catalog(catalog, HistogramEmbedder("old-v1"))
    assert (report.embedded, report.moved) == (0, 1)
    catalog.close()


def test_images_to_embed_on_an_index_damaged_since_it_was_opened_says_so_as_a_catalog_error(photos):
    """Its queries were made outside ``Catalog._storage``: a damaged index raised SQLite's own
    error, which the window's "Product model" entry did not expect, and the dialog never opened
    ("Could not list the product models"); a ``CatalogError`` lets it fall back to the
    catalog's own count."""
    catalog = Catalog.create("mine", "style", [photos])
    index_catalog(catalog, HistogramEmbedder("old-v1"))
    catalog.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    page = catalog.conn.execute("PRAGMA page_size").fetchone()[0]
    with open(catalog.index_path, "r+b") as index:  # its pages but the first (the schema) overwritten
        index.seek(page)
        index.write(b"overwritten by something else" * (catalog.index_path.stat().st_size // 29))
    catalog.conn.execute("PRAGMA shrink_memory")  # (pages read before: read again)
    with pytest.raises(CatalogError, match="is damaged"):
        images_to_embed(catalog, ["old-", "new-"])
    catalog.close()


def test_cancel_keeps_committed_batches(photos):
    catalog = Catalog.create("mine", "style", [photos])
    seen = []

    def progress(done, total, message=""):
        seen.append(done)

    cancelled_run = IndexReport()
    with pytest.raises(CancelledError):
        index_catalog(catalog, HistogramEmbedder(), progress, cancelled=lambda: max(seen, default=0) >= 4,
                      batch_size=4, report=cancelled_run)
    kept = catalog.counts()[0]
    assert 4 <= kept < 12
    # The caller has the report of what was done: what the catalog holds, said to be interrupted.
    assert (cancelled_run.interrupted, cancelled_run.indexed, cancelled_run.added) == (True, kept, kept)
    assert "interrupted before the end" in cancelled_run.summary()
    # Said until a run completes, in every process that opens the catalog.
    assert catalog.unfinished and [i.unfinished for i in list_catalogs()] == [True]
    report = index_catalog(catalog, HistogramEmbedder())
    assert report.added == 12 - kept and report.indexed == 12
    assert not catalog.unfinished and [i.unfinished for i in list_catalogs()] == [False]


class InterruptedEmbedder(HistogramEmbedder):
    """Ctrl+C arriving while the model embeds its ``at``-th batch (as SIGINT does, in the
    thread that runs TensorFlow)."""

    def __init__(self, at: int):
        super().__init__()
        self.at, self.batches = at, 0

    def embed(self, batch):
        self.batches += 1
        if self.batches == self.at:
            raise KeyboardInterrupt
        return super().embed(batch)


def test_an_interrupted_run_reports_what_its_index_holds_and_no_more(photos):
    """The report of a run stopped by Ctrl+C counts the batches committed, not the files read
    since: a broken file read after the last commit was counted as skipped, and is not in the
    index (the next run finds it)."""
    good = sorted(photos.rglob("*.jpg"))[0].read_bytes()
    (photos / "a" / "zz-cut.jpg").write_bytes(good[: len(good) // 3])  # read after a's 6 photos
    catalog = Catalog.create("mine", "style", [photos])
    report = IndexReport()
    with pytest.raises(KeyboardInterrupt):
        index_catalog(catalog, InterruptedEmbedder(at=2), batch_size=4, report=report)
    indexed, skipped = catalog.counts()
    assert (indexed, skipped) == (4, 0)  # the first batch
    assert (report.interrupted, report.indexed, report.added, report.embedded, len(report.skipped)) == (
        True, indexed, indexed, indexed, skipped)
    assert report.as_dict()["interrupted"] is True and catalog.unfinished
    again = index_catalog(catalog, HistogramEmbedder())
    assert (again.interrupted, again.added, again.indexed, len(again.skipped)) == (False, 8, 12, 1)


def test_a_run_says_its_rate_and_time_left_once_they_mean_something(tmp_path):
    """The progress said only "5576/7978 indexing": no rate, no time left. On a fake clock (a
    second per report), 40 real photos in batches of 2."""
    folder = tmp_path / "photos"
    folder.mkdir()
    for src in clothing_images(40):
        shutil.copy(src, folder / src.name)
    catalog = Catalog.create("mine", "style", [folder])
    ticks = iter(range(10_000))
    said = []
    index_catalog(catalog, HistogramEmbedder(), lambda done, total, message="": said.append((done, total, message)),
                  batch_size=2, clock=lambda: float(next(ticks)))
    counted_steps = [(done, message) for done, total, message in said if total]
    assert counted_steps[0] == (0, "indexing 40 files")
    assert all(message == "indexing" for done, message in counted_steps[1:] if 0 < done < 20)  # too soon
    assert (22, "indexing · 2.0 images/s · a few seconds left") in counted_steps
    assert counted_steps[-1] == (40, "indexed")


def test_a_reindex_counts_the_files_to_embed_as_its_work_and_the_moves_apart(photos):
    """The review (session 24): a re-index said "indexing 1313 files" when 813 of them were
    moves (nothing to embed), and its rate counted them. The work is the files to embed."""
    loads = []
    catalog = Catalog.create("mine", "style", [photos])
    index_catalog(catalog, _counting_loader(loads))
    (photos / "a").rename(photos / "renamed")  # its 6 images moved
    shutil.copy(clothing_images(1, start=20)[0], photos / "b" / "new.jpg")
    shutil.copy(clothing_images(1, start=21)[0], photos / "b" / "new2.jpg")
    said = []
    report = index_catalog(catalog, _counting_loader(loads), lambda done, total, message="": said.append(
        (done, total, message)), batch_size=1)
    assert (report.added, report.moved, report.embedded) == (2, 6, 2)
    counted_steps = [(done, total, message) for done, total, message in said if total]
    assert (0, 8, "checking 8 new or changed files") in counted_steps, counted_steps
    assert (0, 2, "indexing 2 files (6 moved or renamed: nothing to embed)") in counted_steps, counted_steps
    indexing = [(done, total) for done, total, message in counted_steps if message.startswith("index")]
    assert all(total == 2 and done <= 2 for done, total in indexing) and indexing[-1] == (2, 2), indexing

    # The same with the model loaded already (the window's own update): it said "192/230 indexing"
    # for 30 new images and 200 moved.
    (photos / "renamed").rename(photos / "a")
    shutil.copy(clothing_images(1, start=22)[0], photos / "b" / "new3.jpg")
    said.clear()
    report = index_catalog(catalog, HistogramEmbedder(), lambda done, total, message="": said.append(
        (done, total, message)), batch_size=1)
    assert (report.added, report.moved, report.embedded) == (1, 6, 1)
    assert (0, 1, "indexing 1 file (6 moved or renamed: nothing to embed)") in said, said


def test_the_progress_says_copies_of_indexed_images_apart_from_moves(photos):
    """The review (session 24): 100 files renamed and 3 byte-identical copies added said
    "(103 moved or renamed: nothing to embed)" while the report said "3 added, 100 moved"."""
    catalog = Catalog.create("mine", "style", [photos])
    index_catalog(catalog, HistogramEmbedder())
    (photos / "a").rename(photos / "renamed")  # its 6 images moved
    for i, image in enumerate(sorted((photos / "b").iterdir())[:2]):  # 2 copies of images indexed
        shutil.copy(image, photos / "b" / f"copy{i}.jpg")
    said = []
    report = index_catalog(catalog, HistogramEmbedder(), lambda done, total, message="": said.append(
        (done, total, message)))
    assert (report.added, report.moved, report.embedded) == (2, 6, 0)
    assert (0, 0, "indexing 0 files (6 moved or renamed, 2 copies: nothing to embed)") in said, said


def test_a_run_that_goes_on_with_an_interrupted_one_says_so(photos):
    """The window closed during an index run, opened again, went on with it silently ("136/2472
    indexing"): a run the user did not start. The run says it resumes, and how much is left."""
    catalog = Catalog.create("mine", "style", [photos])
    with pytest.raises(KeyboardInterrupt):
        index_catalog(catalog, InterruptedEmbedder(at=2), batch_size=4)
    said = []
    report = index_catalog(catalog, HistogramEmbedder(), lambda done, total, message="": said.append(message))
    assert f"{RESUMING}: 8 images left" in said and report.resumed and report.as_dict()["resumed"] is True
    said.clear()
    (photos / "a" / sorted(p.name for p in (photos / "a").iterdir())[0]).unlink()
    shutil.copy(clothing_images(1, start=30)[0], photos / "a" / "new.jpg")
    again = index_catalog(catalog, HistogramEmbedder(), lambda done, total, message="": said.append(message))
    assert not again.resumed and "indexing 1 file" in said and not [m for m in said if RESUMING in m]


def test_a_linked_folder_whose_disk_is_unplugged_keeps_its_entries_and_is_no_change(photos, tmp_path):
    """``photos/trip -> usb/trip``: the disk unplugged leaves a link that leads nowhere. Its
    images were dropped by the next run (and all embedded again when the disk came back)."""
    usb = tmp_path / "usb"
    (usb / "trip" / "day1").mkdir(parents=True)
    for src in clothing_images(3, start=40):
        shutil.copy(src, usb / "trip" / "day1" / src.name)
    os.symlink(usb / "trip", photos / "trip")
    catalog = Catalog.create("mine", "style", [photos])
    assert index_catalog(catalog, HistogramEmbedder()).indexed == 15
    usb.rename(tmp_path / "unplugged")
    assert catalog.changed_folders() == []  # what the window asks: no run for a disk unplugged
    report = index_catalog(catalog, HistogramEmbedder())
    assert (report.removed, report.indexed, report.kept, report.skipped) == (0, 15, 3, [])
    [away] = report.missing_folders
    assert (away.path, away.kind) == (str(photos / "trip"), "missing-folder")
    assert f"the linked folder leads to {usb / 'trip'}, which does not exist" in away.message
    assert "1 folder away (missing): its 3 images kept as they were" in report.summary()
    assert len(catalog.vectors().paths) == 15 and catalog.changed_folders() == []
    (tmp_path / "unplugged").rename(usb)  # plugged in again, unchanged
    assert catalog.changed_folders() == []
    emb = HistogramEmbedder()
    back = index_catalog(catalog, emb)
    assert (back.unchanged, back.added, back.embedded, emb.calls, back.missing_folders) == (15, 0, 0, 0, [])
    shutil.copy(clothing_images(1, start=43)[0], usb / "trip" / "day1" / "new.jpg")  # a change on it is one
    assert catalog.changed_folders() == [str(photos)]


def test_a_disk_mounted_below_a_catalog_folder_keeps_its_entries_while_unmounted(photos, tmp_path, mount_disk):
    """``photos/archive`` is where a disk is mounted (fstab, a USB disk): unmounted, it is an
    empty folder, which the next run took for a folder emptied by hand: every image on the disk
    was dropped, and all embedded again once it was mounted again."""
    archive = photos / "archive"
    archive.mkdir()
    os.utime(archive, ns=(1_600_000_000 * 10**9,) * 2)  # the mount point, made long before the disk's files
    mount_disk(archive)
    (archive / "2020").mkdir()
    for src in clothing_images(3, start=40):
        shutil.copy(src, archive / "2020" / src.name)
    catalog = Catalog.create("mine", "style", [photos])
    with sqlite3.connect(catalog.index_path) as conn:
        conn.execute("DROP TABLE attached_folders")  # an index written before the mount points were noted
    catalog.close()
    catalog = Catalog.open("mine")  # read as it was; the next complete run notes them
    assert catalog.attached_folders() == [] and catalog.away_folders() == {}
    assert index_catalog(catalog, HistogramEmbedder()).indexed == 15
    assert catalog.attached_folders() == [(str(archive), "mount", str(photos))]

    mount_disk.unplug(archive)  # (its files kept as they were, change times too, as a disk keeps them)
    assert os.listdir(archive) == [] and not os.path.ismount(archive)
    assert catalog.changed_folders() == []  # what `search` and the window ask: no run for a disk unmounted
    assert catalog.away_folders() == {str(archive): "empty-folder"}  # what they say
    report = index_catalog(catalog, HistogramEmbedder())
    assert (report.removed, report.indexed, report.kept, report.skipped) == (0, 15, 3, [])
    [away] = report.missing_folders
    assert (away.path, away.kind) == (str(archive), "empty-folder") and "not mounted" in away.message
    assert "1 folder away (empty): its 3 images kept as they were" in report.summary()
    assert len(catalog.vectors().paths) == 15 and catalog.changed_folders() == []
    again = index_catalog(catalog, HistogramEmbedder())  # still away: still kept and said
    assert (again.removed, again.kept, [f.path for f in again.missing_folders]) == (0, 3, [str(archive)])
    assert list_catalogs()[0].missing_kinds == {str(archive): "empty-folder"}

    mount_disk.plug_back(archive)  # mounted again, the same files
    assert catalog.changed_folders() == [] and catalog.away_folders() == {}
    emb = HistogramEmbedder()
    back = index_catalog(catalog, emb)
    assert (back.unchanged, back.added, back.embedded, emb.calls, back.missing_folders) == (15, 0, 0, 0, [])
    assert catalog.attached_folders() == [(str(archive), "mount", str(photos))]

    # A subfolder emptied by hand, on no disk of its own, is forgotten as before.
    for image in (photos / "a").iterdir():
        image.unlink()
    emptied = index_catalog(catalog, HistogramEmbedder())
    assert (emptied.removed, emptied.indexed, emptied.missing_folders) == (6, 9, [])
    # So is the empty mount point of a disk the user deleted (the way out the note gives).
    mount_disk.unmount(archive)
    archive.rmdir()
    assert catalog.changed_folders() == [str(photos)] and catalog.away_folders() == {}
    gone = index_catalog(catalog, HistogramEmbedder())
    assert (gone.removed, gone.indexed, gone.missing_folders) == (3, 6, []) and catalog.attached_folders() == []


def test_a_link_that_always_led_nowhere_is_no_note_and_a_link_loop_ends(photos, tmp_path):
    os.symlink(tmp_path / "usb" / "trip", photos / "trip")  # a disk never plugged in since the link was made
    os.symlink(photos / "a" / sorted(os.listdir(photos / "a"))[0], photos / "cover.jpg")  # a file, not a folder
    os.symlink(photos / "b" / "loop", photos / "b" / "loop")  # leads to itself
    catalog = Catalog.create("mine", "style", [photos])
    report = index_catalog(catalog, HistogramEmbedder())
    assert (report.indexed, report.missing_folders) == (13, [])
    assert [(s.path, s.kind) for s in report.skipped] == [(str(photos / "b" / "loop"), "unreadable")]
    (tmp_path / "usb" / "trip").mkdir(parents=True)  # the disk plugged in: a change
    shutil.copy(clothing_images(1, start=40)[0], tmp_path / "usb" / "trip" / "x.jpg")
    assert catalog.changed_folders() == [str(photos)]
    assert index_catalog(catalog, HistogramEmbedder()).added == 1


def test_changed_folders_tells_files_added_removed_or_renamed_since_the_last_complete_run(photos, tmp_path):
    catalog = Catalog.create("mine", "style", [photos])
    assert catalog.changed_folders() is None  # never indexed: nothing to compare with
    index_catalog(catalog, HistogramEmbedder())
    assert catalog.changed_folders() == []
    new = photos / "a" / "new.jpg"
    shutil.copy(clothing_images(1, start=40)[0], new)  # added in a subfolder
    assert catalog.changed_folders() == [str(photos)]
    assert index_catalog(catalog, HistogramEmbedder()).added == 1 and catalog.changed_folders() == []
    new.rename(photos / "b" / "moved.jpg")  # renamed into another subfolder
    assert catalog.changed_folders() == [str(photos)]
    index_catalog(catalog, HistogramEmbedder())
    (photos / "c" / "d").mkdir(parents=True)  # a new subfolder: its parent's time changes
    shutil.copy(clothing_images(1, start=41)[0], photos / "c" / "d" / "deep.jpg")
    assert catalog.changed_folders() == [str(photos)]
    index_catalog(catalog, HistogramEmbedder())
    (photos / "c" / "d" / "deep.jpg").unlink()  # removed
    assert catalog.changed_folders() == [str(photos)]
    index_catalog(catalog, HistogramEmbedder())
    assert catalog.changed_folders() == []

    other = tmp_path / "other"
    other.mkdir()
    shutil.copy(clothing_images(1, start=42)[0], other / "x.jpg")
    catalog.add_folder(other)  # not indexed yet
    assert catalog.changed_folders() == [str(other)]
    index_catalog(catalog, HistogramEmbedder())
    assert catalog.changed_folders() == []
    other.rename(tmp_path / "unplugged")  # away: said as missing, not as changed
    assert catalog.changed_folders() == []
    (tmp_path / "unplugged").rename(other)
    assert catalog.changed_folders() == []  # back as it was
    catalog.remove_folder(other)
    catalog.add_folder(other)  # forgotten and added again: its images are no longer in the index
    assert catalog.changed_folders() == [str(other)]
    index_catalog(catalog, HistogramEmbedder())

    # A run that does not complete keeps the times of the last complete one.
    shutil.copy(clothing_images(1, start=43)[0], other / "y.jpg")
    with pytest.raises(CancelledError):
        index_catalog(catalog, HistogramEmbedder(), cancelled=lambda: True)
    assert catalog.changed_folders() == [str(other)]


def _folder_time_moved(folder: Path) -> None:
    """The folder's time set a second later, as a change of its entries moves it (a change
    within the file system's time step could leave it where it was: the check would not look)."""
    later = folder.stat().st_mtime_ns + 1_000_000_000
    os.utime(folder, ns=(later, later))


def test_changed_folders_leaves_out_changes_to_names_an_index_run_leaves_out(photos):
    """A file manager's .DS_Store or Thumbs.db, an editor's backup or temp file: the folder's time
    moved, and every search said the folder had changed (the window indexed it again for nothing)."""
    catalog = Catalog.create("mine", "style", [photos])
    index_catalog(catalog, HistogramEmbedder())
    (photos / ".DS_Store").write_bytes(b"\0" * 6148)
    (photos / "Thumbs.db").write_bytes(b"thumbs")
    (photos / "a" / "notes.txt").write_text("sizes")
    (photos / "a" / "photo.jpg~").write_bytes(b"an editor's backup")
    (photos / "b" / ".goutputstream-4TQ2X1").write_bytes(b"a save under way")
    (photos / "b" / "clip.heic").write_bytes(b"HEIC photos are not read")  # said as skipped by the run
    for folder in (photos, photos / "a", photos / "b"):
        _folder_time_moved(folder)
    assert catalog.changed_folders() == []

    # What an index run takes up still tells: an image added, removed or renamed, a folder.
    (photos / "b" / "clip.heic").unlink()
    _folder_time_moved(photos / "b")
    assert catalog.changed_folders() == []
    image = next((photos / "a").glob("*.jpg"))
    image.rename(photos / "a" / "renamed.jpg")
    assert catalog.changed_folders() == [str(photos)]
    (photos / "a" / "renamed.jpg").rename(image)
    _folder_time_moved(photos / "a")
    # Back under its name, but a rename moves the file's change time, which the next run reads
    # again (content the same: nothing embedded): the check says what that run would do.
    assert catalog.changed_folders() == [str(photos)]
    index_catalog(catalog, HistogramEmbedder())
    assert catalog.changed_folders() == []  # back as it was indexed
    (photos / "c").mkdir()  # a new folder: the run looks into it
    assert catalog.changed_folders() == [str(photos)]
    (photos / "c").rmdir()
    _folder_time_moved(photos)
    assert catalog.changed_folders() == []
    # An image replaced under its name (a copy made aside, then renamed over it, as rsync does).
    other = clothing_images(1, start=40)[0]
    shutil.copy(other, photos / "b" / ".incoming")
    os.replace(photos / "b" / ".incoming", photos / "b" / next((photos / "b").glob("*.jpg")).name)
    assert catalog.changed_folders() == [str(photos)]
    assert index_catalog(catalog, HistogramEmbedder()).updated == 1 and catalog.changed_folders() == []
    # A labels file at a folder's top may have been rewritten: its folder's time moving tells.
    (photos / "labels.csv").write_text("filename,label\n")
    assert index_catalog(catalog, HistogramEmbedder()).indexed == 12 and catalog.changed_folders() == []
    (photos / "Thumbs.db").unlink()
    _folder_time_moved(photos)
    assert catalog.changed_folders() == [str(photos)]


def test_changed_folders_sees_an_image_changed_in_place(photos, tmp_path, monkeypatch):
    """An image saved again under its name (an editor writing over the file) leaves its folder's
    time as it was: searches said nothing until the next index run."""
    other = tmp_path / "other"
    other.mkdir()
    shutil.copy(clothing_images(1, start=40)[0], other / "x.jpg")
    catalog = Catalog.create("mine", "style", [photos, other])
    index_catalog(catalog, HistogramEmbedder())
    image = sorted((photos / "a").glob("*.jpg"))[0]
    folder_time = (photos / "a").stat().st_mtime_ns
    with open(image, "r+b") as fp:  # written over, as an editor saving it does
        fp.write(clothing_images(1, start=41)[0].read_bytes())
    assert (photos / "a").stat().st_mtime_ns == folder_time  # nothing else tells
    assert catalog.changed_folders() == [str(photos)]
    report = index_catalog(catalog, HistogramEmbedder())
    assert (report.updated, report.embedded) == (1, 1) and catalog.changed_folders() == []
    os.utime(other / "x.jpg", ns=(10**18, 10**18))  # touched: its content may have changed
    assert catalog.changed_folders() == [str(other)]
    assert index_catalog(catalog, HistogramEmbedder()).touched == 1 and catalog.changed_folders() == []
    # A stat per indexed file, within its own time budget: a catalog too big for it is not
    # said to be unknown for that (its added, removed or renamed files are still told).
    os.utime(other / "x.jpg", ns=(10**17, 10**17))
    from vsdesk.engine.catalog import _folder_changes

    monkeypatch.setattr(_folder_changes, "FILE_CHECK_BUDGET", 0.0)
    assert catalog.changed_folders() == []
    (other / "y.jpg").write_bytes((other / "x.jpg").read_bytes())
    _folder_time_moved(other)
    assert catalog.changed_folders() == [str(other)]


def _written_over_with_its_times_put_back(image: Path, by_rename: bool = False) -> None:
    """``image`` written over with other bytes of its size, its mtime put back after: what
    ``touch -r`` or ``cp -p`` leave (``by_rename``: a new file renamed over it, as ``rsync -t``
    does, which moves its folder's time too). Only its change time tells."""
    st = image.stat()
    data = bytearray(image.read_bytes())
    data[len(data) // 2] ^= 0xFF
    written = image.with_name(".new-" + image.name) if by_rename else image
    written.write_bytes(bytes(data))
    os.utime(written, ns=(st.st_atime_ns, st.st_mtime_ns))
    if by_rename:
        written.rename(image)
    assert (image.stat().st_size, image.stat().st_mtime_ns) == (st.st_size, st.st_mtime_ns)


@pytest.mark.parametrize("by_rename", [False, True])
def test_changed_folders_sees_an_image_written_over_with_its_times_put_back(photos, by_rename):
    """The index run reads such a file again (its change time moved): the quick check of
    `search` and the window compared sizes and mtimes only, so they said nothing and searched
    the old entry until the next run."""
    catalog = Catalog.create("mine", "style", [photos])
    index_catalog(catalog, HistogramEmbedder())
    assert catalog.changed_folders() == []
    _written_over_with_its_times_put_back(sorted((photos / "a").glob("*.jpg"))[0], by_rename)
    assert catalog.changed_folders() == [str(photos)]
    report = index_catalog(catalog, HistogramEmbedder())  # what the run makes of it, as the check said
    assert (report.updated, report.embedded) == (1, 1) and catalog.changed_folders() == []


def test_changed_folders_says_nothing_when_it_cannot_tell_cheaply(photos, monkeypatch):
    from vsdesk.engine.catalog import _catalog_folders, _folder_changes, listed_entries

    catalog = Catalog.create("mine", "style", [photos])
    index_catalog(catalog, HistogramEmbedder())
    shutil.copy(clothing_images(1, start=40)[0], photos / "new.jpg")
    assert catalog.changed_folders() == [str(photos)]
    monkeypatch.setattr(_folder_changes, "CHANGE_CHECK_BUDGET", 0.0)  # a slow network disk: out of time at once
    assert catalog.changed_folders() is None
    monkeypatch.undo()
    monkeypatch.setattr(_catalog_folders, "MAX_CHECKED_FOLDERS", 2)  # a tree of more folders than are checked
    assert catalog.changed_folders() is None
    monkeypatch.undo()
    with catalog.conn:
        catalog.conn.execute("DELETE FROM folder_times")  # an index made before the times were kept
    assert catalog.changed_folders() is None
    # A folder whose time moved is listed to tell a change from a .DS_Store; a listing that
    # takes too long (thousands of files on a slow disk) is given up, and the folder is not
    # said to be unchanged.
    for i in range(300):
        (photos / f"note-{i}.txt").write_text("")
    with pytest.raises(TimeoutError):
        listed_entries(str(photos), deadline=0.0)
    assert len(listed_entries(str(photos)).images) == 1  # new.jpg


def test_list_and_remove_never_touch_images(photos):
    before = snapshot(photos)
    Catalog.create("one", "style", [photos]).close()
    Catalog.create("two", "vae", []).close()
    assert [(i.name, i.mode) for i in list_catalogs()] == [("one", "style"), ("two", "vae")]
    remove_catalog("one")
    assert [i.name for i in list_catalogs()] == ["two"]
    assert snapshot(photos) == before


def test_catalog_settings_are_read_without_opening_any_index(photos):
    """The window lists catalogs each time it is activated: from their settings alone, not by
    checking every index (a cost that grows with its size, and a write)."""
    from vsdesk.engine.catalog import catalog_location, catalog_settings

    with Catalog.create("shop", "style", [photos / "a"]) as catalog:
        index_catalog(catalog, HistogramEmbedder())
        index = catalog.index_path
    with Catalog.create("other", "style", [photos / "b"]) as catalog:
        index_catalog(catalog, HistogramEmbedder())
    catalog_location("leftover").mkdir()  # an interrupted remove: its name is still taken
    damaged = b"overwritten by something else" * 100
    index.write_bytes(damaged)
    assert catalog_settings() == [("leftover", "?", []), ("other", "style", [str(photos / "b")]),
                                  ("shop", "style", [str(photos / "a")])]
    assert index.read_bytes() == damaged  # not opened, so not moved aside: opening it does that
    (catalog_location("other") / "catalog.json").write_text("{")  # cut off: rebuilt from the index
    assert ("other", "style", [str(photos / "b")]) in catalog_settings()


def test_the_settings_file_has_the_permissions_of_any_new_file_of_the_user(photos, new_file_mode):
    with Catalog.create("mine", "style", [photos]) as catalog:
        assert (catalog.location / "catalog.json").stat().st_mode & 0o777 == new_file_mode


def test_a_settings_write_cut_short_by_a_crash_does_not_block_removing_the_catalog(photos):
    with Catalog.create("mine", "style", [photos]) as catalog:
        location = catalog.location
    (location / ".tmp-0123456789abcdef-catalog.json").write_text('{"na')  # the temp file it left
    remove_catalog("mine")
    assert not location.exists()


def test_a_catalog_folder_without_settings_is_listed_taken_over_or_removed(photos):
    """A crash between mkdir and writing catalog.json, or an interrupted remove, left a folder
    that was a dead end: not listed, not found, and not creatable ("differing only in case")."""
    from vsdesk.engine.catalog import catalog_location

    catalog_location("mine").mkdir(parents=True)
    [listed] = list_catalogs()
    assert listed.name == "mine" and "has no settings file" in listed.problem
    with pytest.raises(CatalogNotFound, match="has no settings file"):
        Catalog.open("mine")
    with Catalog.open_or_create("mine", "style", [photos]) as catalog:  # `vsdesk index --catalog mine FOLDER`
        assert index_catalog(catalog, HistogramEmbedder()).indexed == 12
    assert [(i.name, i.mode, i.indexed, i.problem) for i in list_catalogs()] == [("mine", "style", 12, None)]
    with pytest.raises(CatalogExists) as twin:
        Catalog.create("MINE", "style", [photos])
    assert "a catalog named 'mine' already exists; names differing only in case are one" in str(twin.value)
    with pytest.raises(CatalogExists) as same:
        Catalog.create("mine", "style", [photos])
    assert "differing only in case" not in str(same.value)

    (catalog_location("mine") / "catalog.json").unlink()  # a remove interrupted after this file
    before = snapshot(photos)
    remove_catalog("mine")
    assert not catalog_location("mine").exists() and list_catalogs() == [] and snapshot(photos) == before


def test_a_sound_index_left_without_settings_is_reused_when_its_mode_is_the_same(indexed, photos):
    (indexed.parent / "catalog.json").unlink()
    with Catalog.create("mine", "style", [photos]) as catalog:
        report = index_catalog(catalog, HistogramEmbedder())
    assert (report.embedded, report.unchanged, report.indexed) == (0, 12, 12)


def test_an_index_of_another_mode_left_without_settings_never_answers_for_the_new_catalog(indexed, photos):
    class VaeLike(HistogramEmbedder):  # the same key: only the mode tells them apart
        mode = "vae"

    (indexed.parent / "catalog.json").unlink()
    emb = VaeLike()
    with Catalog.create("mine", "vae", [photos]) as catalog:
        assert catalog.vectors().paths == []  # the style vectors are gone
        report = index_catalog(catalog, emb)
    assert (report.embedded, report.indexed, emb.calls) == (12, 12, 12)


def test_removing_a_catalog_folder_never_deletes_files_vsdesk_did_not_write(indexed, photos):
    from vsdesk.engine.catalog import CatalogError

    notes = indexed.parent / "my-notes.txt"
    notes.write_text("kept")
    with pytest.raises(CatalogError, match="holds files vsdesk did not write \\(my-notes.txt\\)"):
        remove_catalog("mine")
    assert notes.read_text() == "kept" and indexed.exists()
    notes.unlink()
    remove_catalog("mine")
    assert not indexed.parent.exists()


def test_a_folder_in_a_catalogs_folder_is_never_deleted_whatever_its_name(indexed, photos):
    """vsdesk writes no folder into a catalog's folder: one there is the user's, even named like
    our files (a copy of the index kept as "index.sqlite.old/"). Removing the catalog, or
    clearing a removal's leftovers, deleted it with everything in it (rmtree)."""
    from vsdesk.engine import paths
    from vsdesk.engine.catalog import CatalogError

    kept = indexed.parent / "index.sqlite.old" / "photo.jpg"
    kept.parent.mkdir()
    shutil.copy(clothing_images(1)[0], kept)
    with pytest.raises(CatalogError, match="holds files vsdesk did not write \\(index.sqlite.old\\)"):
        remove_catalog("mine")
    assert kept.is_file() and indexed.exists()
    aside = indexed.parent.rename(paths.catalogs_dir() / ".removed-mine-0123abcd")  # a crash mid-removal
    assert list_catalogs() == []
    assert (aside / "index.sqlite.old" / "photo.jpg").is_file()


@pytest.mark.parametrize("damage", ["cut off", "emptied"])
def test_a_damaged_settings_file_is_rebuilt_from_the_index(indexed, photos, damage):
    """The index holds each image's folder and is marked with the mode and model: the settings
    come back from it, and nothing is embedded again."""
    with Catalog.open("mine") as catalog:
        catalog.set_model("my-model")  # a trained product model, say: kept in the index too
    settings = indexed.parent / "catalog.json"
    settings.write_text(settings.read_text()[:20] if damage == "cut off" else "")
    [listed] = list_catalogs()
    assert (listed.mode, listed.folders, listed.model, listed.indexed) == ("style", [str(photos)], "my-model", 12)
    assert "settings file was damaged" in listed.problem and "rebuilt from the index" in listed.problem
    [aside] = indexed.parent.glob("catalog.json.damaged-*")
    assert str(aside) in listed.problem and len(aside.read_text()) == (20 if damage == "cut off" else 0)
    with Catalog.open("mine") as catalog:
        assert catalog.recovered == listed.problem  # said until an index run
        report = index_catalog(catalog, HistogramEmbedder())
        assert (report.embedded, report.unchanged) == (0, 12) and report.recovered == listed.problem
    assert [i.problem for i in list_catalogs()] == [None]


def test_a_damaged_settings_file_met_while_this_process_indexes_the_catalog_says_so(indexed, photos):
    """The catalog's lock held by this process (an index run in another of its threads): the
    settings come from the index, and the file is rebuilt once this process, not "another",
    has finished."""
    from vsdesk.engine.catalog._store import lock_catalog

    settings = indexed.parent / "catalog.json"
    settings.write_text(settings.read_text()[:20])
    with lock_catalog(indexed.parent, "mine"):
        with Catalog.open("mine") as catalog:
            assert catalog.folders == [str(photos)]
            assert "rebuilt once this vsdesk process has finished indexing" in catalog.recovered
    assert not list(indexed.parent.glob("catalog.json.damaged-*"))  # left for the lock's holder
    [listed] = list_catalogs()
    assert "was rebuilt from the index" in listed.problem


def test_damaged_settings_whose_mode_cannot_be_told_are_not_guessed_the_folders_are_listed(indexed, photos):
    from vsdesk.engine.catalog import CatalogError

    with sqlite3.connect(indexed) as conn:  # an index from before the mode was kept in it
        conn.execute("DELETE FROM meta WHERE key = 'mode'")  # (and the test model's key tells no mode)
    conn.close()
    settings = indexed.parent / "catalog.json"
    settings.write_text("{")
    with pytest.raises(CatalogError) as failure:
        Catalog.open("mine")
    message = str(failure.value)
    assert "is damaged" in message and "vsdesk catalogs remove mine" in message
    assert f"its images were indexed from:\n    {photos}" in message
    assert settings.read_text() == "{"  # left as it is
    before = snapshot(photos)
    remove_catalog("mine")
    assert snapshot(photos) == before and not list_catalogs()


def test_damaged_settings_without_an_index_say_how_to_rebuild_and_can_be_removed(photos):
    from vsdesk.engine.catalog import CatalogError

    with Catalog.create("mine", "style", [photos]) as catalog:
        settings = catalog.location / "catalog.json"
    settings.write_text(settings.read_text()[:20])  # cut off mid-write, before any indexing
    with pytest.raises(CatalogError) as failure:
        Catalog.open("mine")
    assert "damaged" in str(failure.value) and "vsdesk catalogs remove mine" in str(failure.value)
    before = snapshot(photos)
    remove_catalog("mine")
    assert snapshot(photos) == before and not list_catalogs()


@pytest.mark.parametrize("damage", ["truncate", "garbage", "empty"])
def test_damaged_index_is_moved_aside_and_rebuilt(photos, damage):
    with Catalog.create("mine", "style", [photos]) as catalog:
        index_catalog(catalog, HistogramEmbedder())
        index_file = catalog.index_path
    data = index_file.read_bytes()
    if damage == "truncate":
        index_file.write_bytes(data[: len(data) // 2])
    elif damage == "garbage":
        index_file.write_bytes(data[:100] + os.urandom(len(data) - 100))
    else:
        index_file.write_bytes(b"")
    catalog = Catalog.open("mine")
    assert catalog.recovered and "damaged" in catalog.recovered
    aside = list(index_file.parent.glob("index.sqlite.damaged-*"))
    assert aside and aside[0].stat().st_size == len(data) // 2 if damage == "truncate" else aside
    report = index_catalog(catalog, HistogramEmbedder())
    assert report.indexed == 12 and report.recovered
    assert catalog.conn.execute("PRAGMA quick_check").fetchone()[0] == "ok"


def test_an_index_moved_aside_by_a_listing_is_still_told_until_it_is_rebuilt(indexed):
    """`catalogs list` (or the window's list of catalogs) may be what finds the damage: the note
    is kept in the new index, shown as the catalog's problem, and given by the next index run."""
    indexed.write_bytes(b"not a database at all" * 10)
    [listed] = list_catalogs()
    assert "the index file was damaged" in listed.problem and "moved to" in listed.problem
    assert listed.mode == "style" and listed.indexed == 0
    [again] = list_catalogs()
    assert again.problem == listed.problem  # not lost by being listed
    with Catalog.open("mine") as catalog:
        assert catalog.recovered == listed.problem
        report = index_catalog(catalog, HistogramEmbedder())
        assert report.recovered == listed.problem and report.indexed == 12
    [rebuilt] = list_catalogs()
    assert rebuilt.problem is None and rebuilt.indexed == 12
    with Catalog.open("mine") as catalog:
        assert catalog.recovered is None


def test_a_damaged_index_is_said_in_one_short_sentence_and_sqlites_lines_go_to_the_log(indexed, caplog):
    """SQLite's integrity check answers with up to a hundred lines: they went into the message,
    which `catalogs list` printed in 110 lines and the window showed taller than the screen."""
    lose_pages(indexed)
    with caplog.at_level("INFO", logger="vsdesk.engine.catalog"):
        [listed] = list_catalogs()
    [aside] = _damaged_copies(indexed.parent)
    assert "\n" not in listed.problem and "never used" not in listed.problem, listed.problem
    assert listed.problem == (f"catalog 'mine': the index file was damaged; it was moved to "
                              f"{indexed.parent / aside} and the catalog is indexed again from its images "
                              "(nothing of your files is lost)")
    assert "Page 4 is never used" in caplog.text  # the details, for whoever looks into it


def test_a_recovery_note_an_older_vsdesk_kept_with_sqlites_lines_is_said_without_them(indexed):
    lines = "\n".join(["*** in database main ***", "Page 48: btreeInitPage() returns error code 11",
                       *(f"Page {n} is never used" for n in range(16, 100))])
    old = (f"catalog 'mine': the index file was damaged (the database failed its integrity check ({lines})); "
           f"it was moved to {indexed}.damaged-1 and the catalog is indexed again on its next search or index "
           "run (your images are untouched)")
    conn = sqlite3.connect(indexed)
    conn.execute("INSERT INTO meta VALUES ('recovered', ?)", (old,))
    conn.commit()
    conn.close()
    with Catalog.open("mine") as catalog:
        assert catalog.recovered == (f"catalog 'mine': the index file was damaged; it was moved to {indexed}.damaged-1 "
                                     "and the catalog is indexed again on its next search or index run "
                                     "(your images are untouched)")


def test_only_the_last_three_damaged_copies_are_kept(photos):
    with Catalog.create("mine", "style", [photos]) as catalog:
        index_file = catalog.index_path
    for _ in range(5):  # damaged again and again (a failing disk)
        index_file.write_bytes(b"not a database at all" * 10)
        Catalog.open("mine").close()
    aside = sorted(p.name for p in index_file.parent.glob("index.sqlite.damaged-*"))
    assert len([name for name in aside if not name.endswith(("-wal", "-shm"))]) == 3, aside


def _sha256(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


def _damaged_copies(catalog_dir: Path) -> list[str]:
    return sorted(p.name for p in catalog_dir.glob("index.sqlite.damaged-*"))


@pytest.fixture
def indexed(photos) -> Path:
    """A sound, indexed catalog "mine" (12 photos); its index file."""
    with Catalog.create("mine", "style", [photos]) as catalog:
        index_catalog(catalog, HistogramEmbedder())
        return catalog.index_path


HOLD_LOCK = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("PRAGMA locking_mode=EXCLUSIVE")  # as a database browser or a backup tool may
conn.execute("BEGIN EXCLUSIVE")
conn.execute("INSERT OR REPLACE INTO meta VALUES ('other-program', 'was here')")
print("locked", flush=True)
sys.stdin.readline()
conn.execute("ROLLBACK")
"""


def test_an_index_locked_by_another_program_is_a_message_and_left_as_it_is(indexed, monkeypatch):
    from vsdesk.engine.catalog import CatalogStorageError
    from vsdesk.engine.catalog import _ondisk

    monkeypatch.setattr(_ondisk, "BUSY_TIMEOUT", 0.2)  # the wait for the lock (30 s) made short
    before = _sha256(indexed)
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(indexed)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        for _ in range(4):  # opened again and again while it is locked (the old code pruned then)
            with pytest.raises(CatalogStorageError) as failure:
                Catalog.open("mine")
            assert "is locked by another program" in str(failure.value) and str(indexed) in str(failure.value)
        [listed] = list_catalogs()
        assert "locked by another program" in listed.problem
    finally:
        holder.communicate("\n", timeout=30)
    assert _damaged_copies(indexed.parent) == [] and _sha256(indexed) == before
    with Catalog.open("mine") as catalog:
        assert catalog.recovered is None and catalog.counts() == (12, 0)


def _without_root_powers(code: str, *args: str) -> dict:
    """``code`` run without root's powers over file permissions; it prints one JSON object."""
    run = without_root_powers([sys.executable, "-c", code, *args])
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout.splitlines()[-1])


_OPEN = """
import json
from vsdesk.engine.catalog import Catalog, CatalogError
try:
    with Catalog.open("mine") as catalog:
        print(json.dumps({"indexed": catalog.counts()[0], "recovered": catalog.recovered}))
except CatalogError as exc:
    print(json.dumps({"error": type(exc).__name__, "message": str(exc)}))
"""

@needs_setpriv
def test_an_index_that_may_not_be_read_is_a_message_and_left_as_it_is(indexed):
    before = _sha256(indexed)
    indexed.chmod(0)
    try:
        for _ in range(4):
            result = _without_root_powers(_OPEN)
            assert result["error"] == "CatalogStorageError", result
            assert "no permission to read or write" in result["message"] and str(indexed) in result["message"]
    finally:
        indexed.chmod(0o644)
    assert _damaged_copies(indexed.parent) == [] and _sha256(indexed) == before


def test_a_full_disk_is_a_message_and_the_index_is_left_as_it_is(small_disk, indexed):
    from vsdesk.engine.catalog import CatalogStorageError

    before = _sha256(indexed)
    filler = fill_disk(small_disk)
    for _ in range(5):  # the old code moved it aside, then pruned it, on the 5th open
        with pytest.raises(CatalogStorageError) as failure:
            Catalog.open("mine")
        assert f"the disk holding {indexed} is full: free some space" in str(failure.value)
    [listed] = list_catalogs()
    assert "is full" in listed.problem
    assert _damaged_copies(indexed.parent) == [] and _sha256(indexed) == before
    filler.unlink()
    with Catalog.open("mine") as catalog:
        assert catalog.recovered is None and catalog.counts() == (12, 0)


def test_a_disk_full_while_indexing_is_a_message_and_keeps_what_was_indexed(small_disk, indexed, photos):
    from vsdesk.engine.catalog import CatalogStorageError

    for src in clothing_images(6, start=60):
        shutil.copy(src, photos / src.name)
    with Catalog.open("mine") as catalog:
        filler = fill_disk(small_disk)
        with pytest.raises(CatalogStorageError, match="is full: free some space and run again"):
            index_catalog(catalog, HistogramEmbedder())
        filler.unlink()
        assert catalog.counts() == (12, 0)  # what was indexed before
        report = index_catalog(catalog, HistogramEmbedder())
        assert (report.added, report.indexed) == (6, 18)
    assert _damaged_copies(indexed.parent) == []


_SEARCH_AND_INDEX = """
import json, sys
sys.path.insert(0, "tests")
from test_catalog import HistogramEmbedder
from vsdesk.engine.catalog import Catalog, CatalogError, index_catalog
with Catalog.open("mine") as catalog:
    found = {"read_only": catalog.read_only, "vectors": len(catalog.vectors().paths)}
    try:
        index_catalog(catalog, HistogramEmbedder(), add_folders=[sys.argv[1]])
    except CatalogError as exc:
        found.update(error=type(exc).__name__, message=str(exc), folders=catalog.folders)
print(json.dumps(found))
"""


@needs_setpriv
def test_a_read_only_index_is_searched_as_it_is_and_updating_it_says_why_it_cannot(indexed, photos, tmp_path):
    more = tmp_path / "more"
    more.mkdir()
    shutil.copy(clothing_images(1, start=60)[0], more / "new.jpg")
    before = _sha256(indexed)
    indexed.chmod(0o444)
    try:
        found = _without_root_powers(_SEARCH_AND_INDEX, str(more))
    finally:
        indexed.chmod(0o644)
    assert found["read_only"] and found["vectors"] == 12  # searchable
    assert found["error"] == "CatalogStorageError" and "is read-only" in found["message"]
    assert str(indexed) in found["message"] and found["folders"] == [str(photos)]  # a refused run adds nothing
    assert _damaged_copies(indexed.parent) == [] and _sha256(indexed) == before
    # No read-only -wal/-shm files left beside it: they kept the index read-only once made writable.
    assert not list(indexed.parent.glob("index.sqlite-*"))


def test_pruning_never_deletes_a_sound_index_copy(indexed):
    """An older vsdesk moved sound indexes aside (a full disk, a lock): such a copy may be the
    user's only one, so only copies proven damaged are pruned."""
    sound = indexed.with_name("index.sqlite.damaged-20200101-000000")
    shutil.copy(indexed, sound)
    os.utime(sound, (1577836800, 1577836800))  # the oldest: the first to go
    for _ in range(4):
        indexed.write_bytes(b"not a database at all" * 10)
        Catalog.open("mine").close()
    copies = [name for name in _damaged_copies(indexed.parent) if not name.endswith(("-wal", "-shm"))]
    assert sound.name in copies and len(copies) == 4  # the sound one and the last three damaged
    assert sqlite3.connect(sound).execute("SELECT COUNT(*) FROM files").fetchone()[0] == 12


def test_vectors_are_cached_until_version_changes(photos):
    catalog = Catalog.create("mine", "style", [photos])
    index_catalog(catalog, HistogramEmbedder())
    first = catalog.vectors()
    assert catalog.vectors() is first
    (sorted(photos.rglob("*.jpg"))[0]).unlink()
    index_catalog(catalog, HistogramEmbedder())
    assert len(catalog.vectors().paths) == 11


def test_model_is_loaded_only_when_something_needs_embedding(photos):
    loads = []
    loader = _counting_loader(loads)

    catalog = Catalog.create("mine", "style", [photos])
    assert index_catalog(catalog, loader).model_loaded and len(loads) == 1
    again = index_catalog(catalog, loader)
    assert (again.model_loaded, again.unchanged, len(loads)) == (False, 12, 1)
    sorted(photos.rglob("*.jpg"))[0].unlink()  # a removal needs no model either
    gone = index_catalog(catalog, loader)
    assert (gone.model_loaded, gone.removed, gone.indexed, len(loads)) == (False, 1, 11, 1)
    shutil.copy(clothing_images(1, start=40)[0], photos / "a" / "new.jpg")
    added = index_catalog(catalog, loader)
    assert (added.model_loaded, added.added, added.indexed, len(loads)) == (True, 1, 12, 2)


def test_changed_files_whose_content_is_known_need_no_model(photos, tmp_path):
    """Touched (same bytes, new time), moved or renamed files are hashed first; the model is
    loaded only when some content is new."""
    loads = []
    loader = _counting_loader(loads)

    (photos / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 cut short")
    catalog = Catalog.create("mine", "style", [photos])
    first = index_catalog(catalog, loader)
    assert (first.model_loaded, first.indexed, len(first.skipped)) == (True, 12, 1)
    before = catalog.vectors()
    stored = dict(zip(before.paths, before.matrix.tolist()))
    for path in photos.rglob("*.jpg"):  # `touch -d 2020-01-01`, the broken file too
        os.utime(path, (1577836800, 1577836800))
    touched = index_catalog(catalog, loader)
    # Said unchanged: they were "12 updated (0 embedded, 12 reused)", though nothing a user cares about changed.
    assert (touched.model_loaded, touched.updated, touched.unchanged, touched.touched, touched.embedded,
            touched.reused, len(loads)) == (False, 0, 12, 12, 0, 0, 1)
    assert "12 unchanged (12 of them touched, same content); 1 file skipped" in touched.summary()
    assert [(Path(s.path).name, s.kind) for s in touched.skipped] == [("broken.jpg", first.skipped[0].kind)]
    after = catalog.vectors()
    assert dict(zip(after.paths, after.matrix.tolist())) == stored
    again = index_catalog(catalog, loader)  # the new times are stored: nothing to read now
    assert (again.model_loaded, again.unchanged, again.updated) == (False, 12, 0)

    member = sorted(photos.rglob("*.jpg"))[0]
    member.rename(member.with_name("renamed.jpg"))
    moved = index_catalog(catalog, loader)
    assert (moved.model_loaded, moved.moved, moved.removed, moved.indexed, len(loads)) == (False, 1, 0, 12, 1)

    shutil.copy(clothing_images(1, start=40)[0], photos / "a" / "new.jpg")
    os.utime(member.with_name("renamed.jpg"))  # touched again, now
    added = index_catalog(catalog, loader)  # new content among touched files: the model, once
    assert (added.model_loaded, added.added, added.touched, added.embedded, len(loads)) == (True, 1, 1, 1, 2)
    assert len(catalog.vectors().paths) == 13


def test_an_image_written_over_by_a_cut_short_file_is_said_left_out_and_loads_no_model(photos):
    """An indexed JPEG written over by a truncated one: the re-run said "0 updated, 0 removed,
    12 unchanged, 1 skipped" while the catalog lost an image, and loaded the model (9 s) to
    embed nothing. And "(12 embedded, 0 reused)" right after "1 skipped" read as the skipped
    files' count."""
    loads = []
    loader = _counting_loader(loads)

    (photos / "notes.jpg").write_bytes(b"not an image")
    catalog = Catalog.create("mine", "style", [photos])
    first = index_catalog(catalog, loader)
    said = first.summary()
    assert said.index("12 embedded by the model") < said.index("; 1 file skipped"), said
    image = sorted((photos / "a").glob("*.jpg"))[0]
    data = image.read_bytes()
    image.write_bytes(data[: len(data) // 2])  # a copy cut short over it
    report = index_catalog(catalog, loader)
    assert (report.model_loaded, len(loads), report.indexed, report.now_unreadable, report.unchanged) == (
        False, 1, 11, 1, 11)
    assert str(image) in [s.path for s in report.skipped] and len(report.skipped) == 2
    assert "11 unchanged, 1 now unreadable, left out; 2 files skipped" in report.summary(), report.summary()
    again = index_catalog(catalog, loader)  # nothing changed since: said skipped, no more
    assert (again.now_unreadable, len(again.skipped), again.indexed, len(loads)) == (0, 2, 11, 1)


def test_a_link_to_a_missing_file_is_skipped_with_its_reason(photos, tmp_path):
    """`dangling.jpg` -> a file that is not there was in no skipped list; an image indexed
    through a link whose file is gone was kept, at a path that leads nowhere."""
    shutil.copy(clothing_images(1, start=40)[0], tmp_path / "kept_elsewhere.jpg")
    os.symlink(tmp_path / "kept_elsewhere.jpg", photos / "cover.jpg")
    os.symlink(tmp_path / "never_there.jpg", photos / "a" / "dangling.jpg")
    catalog = Catalog.create("mine", "style", [photos])
    first = index_catalog(catalog, HistogramEmbedder())
    assert first.indexed == 13
    assert [(Path(s.path).name, s.kind, s.message) for s in first.skipped] == [
        ("dangling.jpg", "broken-link", f"a link to a missing file ({tmp_path / 'never_there.jpg'})")]
    (tmp_path / "kept_elsewhere.jpg").unlink()
    report = index_catalog(catalog, HistogramEmbedder())
    assert (report.indexed, report.removed) == (12, 1)
    assert sorted((Path(s.path).name, s.kind) for s in report.skipped) == [
        ("cover.jpg", "broken-link"), ("dangling.jpg", "broken-link")]
    assert sorted(Path(s.path).name for s in catalog.skipped()) == ["cover.jpg", "dangling.jpg"]  # as listed


def test_a_folder_without_images_is_said_and_a_new_catalog_of_it_loads_no_model(photos, tmp_path):
    """A new catalog of an empty folder loaded the model (6.5 s for product), said "up to date"
    and nothing about the folder holding no images."""
    loads = []
    empty, notes, broken = tmp_path / "empty", tmp_path / "notes", tmp_path / "broken"
    for folder in (empty, notes, broken):
        folder.mkdir()
    (notes / "todo.txt").write_text("not an image")
    (broken / "cut.jpg").write_bytes(b"\xff\xd8\xff\xe0 cut short")
    catalog = Catalog.create("mine", "style", [empty, notes])
    report = index_catalog(catalog, _counting_loader(loads))
    assert (report.model_loaded, len(loads), report.indexed) == (False, 0, 0)
    assert report.no_images == [str(empty), str(notes)]
    assert no_images_words(str(empty)) == (f"no images found in {empty} (JPEG, PNG, WebP, AVIF, GIF, BMP, TIFF, "
                                           "PPM/PGM/PBM, ICO, TGA; searched with its subfolders)")
    assert report.as_dict()["no_images"] == [str(empty), str(notes)]
    # A folder of photos beside them: indexed (with the model), the empty one still said; a
    # folder whose only image is broken is not "without images": its file is listed as skipped.
    catalog.add_folder(photos)
    catalog.add_folder(broken)
    report = index_catalog(catalog, _counting_loader(loads))
    assert (report.model_loaded, report.indexed, report.no_images) == (True, 12, [str(empty), str(notes)])
    assert [Path(s.path).name for s in report.skipped] == ["cut.jpg"]


def test_a_changed_model_is_loaded_and_embeds_an_unchanged_folder_again(photos):
    """``model_key`` (what the loader's model key starts with, read without loading it) tells
    an unchanged catalog that its vectors are another model's, say after an upgrade."""
    catalog = Catalog.create("mine", "style", [photos])
    index_catalog(catalog, HistogramEmbedder("histogram-v1"))
    same = index_catalog(catalog, lambda: HistogramEmbedder("histogram-v1:q8"), model_key="histogram-v1")
    assert (same.model_loaded, same.model_changed, same.unchanged) == (False, False, 12)
    new = HistogramEmbedder("histogram-v2")
    changed = index_catalog(catalog, lambda: new, model_key="histogram-v2")
    assert (changed.model_loaded, changed.model_changed, changed.embedded, new.calls) == (True, True, 12, 12)
    assert "every image was embedded again" in changed.summary()
    assert catalog.embedder_key == "histogram-v2" and len(catalog.vectors().paths) == 12
    again = index_catalog(catalog, lambda: HistogramEmbedder("histogram-v2"), model_key="histogram-v2")
    assert (again.model_loaded, again.model_changed, again.unchanged) == (False, False, 12)


def test_each_mode_tells_its_model_key_without_loading_it():
    """``modes.vectors_key_prefix`` is how the key of each mode's loaded model starts, and is
    read without importing TensorFlow (so an unchanged `vsdesk index` stays instant)."""
    from vsdesk.engine.modes import load_embedder

    keys = {mode: load_embedder(mode).key for mode in ("style", "product", "vae")}
    code = ("import sys, json; from vsdesk.engine.modes import vectors_key_prefix\n"
            "prefixes = {m: vectors_key_prefix(m) for m in ('style', 'product', 'vae')}\n"
            "print(json.dumps(['tensorflow' in sys.modules, prefixes]))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    imported_tensorflow, prefixes = json.loads(out.splitlines()[-1])
    assert not imported_tensorflow
    assert prefixes["style"] == keys["style"] and prefixes["vae"] == keys["vae"]
    assert keys["product"].startswith(prefixes["product"]) and keys["product"].endswith(":q8")


def test_clothing_dataset_layout_gives_labels(tmp_path):
    """images/<id>.jpg with images.csv (image,sender_id,label,kids) beside the folder."""
    root = tmp_path / "clothing" / "images"
    root.mkdir(parents=True)
    lines = (CLOTHING_DIR / "images.csv").read_text().splitlines()
    header, rows = lines[0], lines[1:9]
    for row in rows:
        shutil.copy(CLOTHING_DIR / "images" / f"{row.split(',')[0]}.jpg", root)
    (tmp_path / "clothing" / "images.csv").write_text("\n".join([header, *rows]) + "\n")
    catalog = Catalog.create("clothes", "style", [root])
    index_catalog(catalog, HistogramEmbedder())
    paths, labels, _ = catalog.vectors()
    expected = {r.split(",")[0]: r.split(",")[2] for r in rows}
    assert labels == [expected[Path(p).stem] for p in paths]


def test_second_indexer_on_the_same_catalog_is_refused(photos):
    from vsdesk.engine.catalog import CatalogBusy
    from vsdesk.engine.catalog._store import lock_catalog

    catalog = Catalog.create("mine", "style", [photos])
    with lock_catalog(catalog.location, catalog.name):  # as this process's run holds it (another's: test_catalog_lock)
        with pytest.raises(CatalogBusy, match="being indexed by this vsdesk process"):
            index_catalog(catalog, HistogramEmbedder())
    assert index_catalog(catalog, HistogramEmbedder()).indexed == 12


def test_folders_are_absolute_and_nested_ones_merge(photos, monkeypatch):
    monkeypatch.chdir(photos.parent)
    catalog = Catalog.create("mine", "style", ["photos/a"])
    assert catalog.folders == [str(photos / "a")]
    catalog.add_folder(photos)  # the parent covers the child
    assert catalog.folders == [str(photos)]
    catalog.add_folder(photos / "b")  # already covered
    assert catalog.folders == [str(photos)]
    with pytest.raises(CatalogError, match="missing: no such folder"):
        catalog.add_folder(photos / "missing")
    with pytest.raises(CatalogError, match="this is a file, not a folder"):
        catalog.add_folder(next((photos / "a").iterdir()))


def test_remove_folder_forgets_its_entries_only(photos):
    catalog = Catalog.create("mine", "style", [photos / "a"])
    index_catalog(catalog, HistogramEmbedder())
    catalog.add_folder(photos)  # merged into the parent: entries move to the parent root
    assert index_catalog(catalog, HistogramEmbedder()).indexed == 12
    roots = {r[0] for r in catalog.conn.execute("SELECT DISTINCT root FROM files")}
    assert roots == {str(photos)}
    catalog.remove_folder(photos)
    assert catalog.counts() == (0, 0) and catalog.vectors().matrix.shape[0] == 0
    assert len(list(photos.rglob("*.jpg"))) == 12


def test_folder_counts_are_what_removing_the_folder_forgets(photos, tmp_path):
    """The window says how many images a folder holds before it forgets it: the count is what
    ``remove_folder`` then takes out, skipped files apart, and nothing of the other folders."""
    (photos / "a" / "empty.jpg").write_bytes(b"")  # skipped (a row of its own)
    (photos / "b" / "photo.heic").write_bytes(b"\0" * 64)  # skipped by the scan (no row in files)
    other = tmp_path / "photos-2"  # a name that starts as the first folder's does
    other.mkdir()
    for src in clothing_images(3, start=20):
        shutil.copy(src, other / src.name)
    catalog = Catalog.create("mine", "style", [photos, other])
    index_catalog(catalog, HistogramEmbedder())
    assert catalog.counts() == (15, 2)
    assert catalog.folder_counts(str(photos)) == (12, 2) and catalog.folder_counts(str(other)) == (3, 0)
    catalog.remove_folder(photos)
    assert catalog.counts() == (3, 0) and catalog.folder_counts(str(photos)) == (0, 0)
    assert len(list(photos.rglob("*.jpg"))) == 13  # the images, the empty one too, are all there


def test_one_file_is_one_file_in_the_progress_and_the_summary(tmp_path):
    folder = tmp_path / "one"
    folder.mkdir()
    shutil.copy(clothing_images(1)[0], folder / "photo.jpg")
    messages = []
    report = index_catalog(Catalog.create("mine", "style", [folder]), HistogramEmbedder(),
                           progress=lambda done, total, message="": messages.append(message))
    assert "indexing 1 file" in messages and "indexing 1 files" not in messages
    assert report.summary().startswith("1 image indexed in ") and ": 1 added" in report.summary()


def test_a_bad_file_is_described_in_the_same_words_by_index_and_by_a_query(photos):
    """The index decodes a file's bytes (read once, to hash them); a query decodes the path: the
    same file gets the same sentence from `vsdesk index` and `vsdesk search`."""
    from vsdesk.engine.imageio import ImageError, load_image

    (photos / "empty.jpg").write_bytes(b"")
    (photos / "text.png").write_text("not an image")
    good = sorted(photos.rglob("*.jpg"))[0].read_bytes()
    (photos / "cut.jpg").write_bytes(good[: len(good) // 3])
    report = index_catalog(Catalog.create("mine", "style", [photos]), HistogramEmbedder())
    indexed = {Path(s.path).name: s.message for s in report.skipped}
    for name in ("empty.jpg", "text.png", "cut.jpg"):
        with pytest.raises(ImageError) as caught:
            load_image(photos / name)
        assert indexed[name] == caught.value.reason, name
    assert indexed["empty.jpg"] == "the file is empty (0 bytes)"


def test_what_a_crash_mid_removal_left_goes_when_catalogs_are_listed_or_one_is_created(photos):
    """A removal renames the catalog's folder aside, then deletes it: a crash in between left
    the folder for good. Now it goes later; only such folders, holding only our files, and not
    one another process is deleting now (its lock file held)."""
    import fcntl

    from vsdesk.engine import paths
    from vsdesk.engine.catalog import catalog_location

    asides = {"one": ".removed-one-0123abcd", "two": ".removed-two-89abcdef", "three": ".removed-three-01234567",
              "four": ".removed-four"}
    for name in asides:
        with Catalog.create(name, "style", [photos]) as catalog:
            index_catalog(catalog, HistogramEmbedder())
    crashed, being_deleted, with_a_user_file, named_otherwise = (
        catalog_location(name).rename(paths.catalogs_dir() / aside) for name, aside in asides.items())
    (with_a_user_file / "notes.txt").write_text("mine")
    before = snapshot(photos)
    with open(being_deleted / ".index.lock", "w") as held:  # as another process's removal holds it
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)
        assert list_catalogs() == []
        assert not crashed.exists() and being_deleted.exists()
        Catalog.create("new", "style", []).close()
        assert being_deleted.exists()
    Catalog.create("newer", "style", []).close()
    assert not being_deleted.exists()
    assert with_a_user_file.exists() and (with_a_user_file / "notes.txt").read_text() == "mine"
    assert named_otherwise.exists()
    assert snapshot(photos) == before


def test_a_removal_whose_folder_another_clean_up_finished_says_nothing_was_left(photos):
    """Between a removal deleting its lock file and the folder, another process's clean-up
    (``clear_removal_leftovers``) may remove the folder, then empty: the removal said "some of
    its index files could not be deleted" (FileNotFoundError), naming a folder that is gone."""
    from vsdesk.engine import paths
    from vsdesk.engine.catalog._leftovers import delete_aside

    with Catalog.create("mine", "style", [photos]) as catalog:
        index_catalog(catalog, HistogramEmbedder())
    aside = (paths.catalogs_dir() / "mine").rename(paths.catalogs_dir() / ".removed-mine-0123abcd")
    assert delete_aside(aside) is None and not aside.exists()
    assert delete_aside(aside) is None  # (gone already, by the other process's hand)


def test_images_to_embed_counts_each_new_content_once_and_no_copy_of_a_known_one(photos):
    """A copy of an indexed image with a new time (copied, or touched) was counted as an image
    to embed, and so was each copy of one new image: a run finds their bytes known by their
    hash, or embeds them once. The count is what a run embeds."""
    catalog = Catalog.create("mine", "style", [photos])
    index_catalog(catalog, HistogramEmbedder("old-v1"))
    first, second = sorted((photos / "a").iterdir())[:2]
    shutil.copy(first, photos / "copy-of-first.jpg")  # (a new time: not taken for a move)
    os.utime(second, ns=(second.stat().st_atime_ns, second.stat().st_mtime_ns + 10**9))  # touched
    new = clothing_images(1, start=20)[0]
    shutil.copy(new, photos / "new.jpg")
    shutil.copy(new, photos / "b" / "new-again.jpg")
    assert images_to_embed(catalog, ["old-", "new-"]) == [1, 13]  # (15 files; 13 contents)
    assert index_catalog(catalog, HistogramEmbedder("old-v1")).embedded == 1
    assert images_to_embed(catalog, ["old-", "new-"]) == [0, 13]
    assert index_catalog(catalog, HistogramEmbedder("new-v1")).embedded == 13
    catalog.close()


def test_counting_a_model_switch_reads_no_file_the_index_has_as_it_is(photos, monkeypatch):
    """Before a switch to a model with no vector in the catalog every file is a candidate, and
    each of the files of a size another shares was read in full to be hashed: on a big catalog
    most of them. The index's hash of a file unchanged since (size and time) is the same."""
    from vsdesk.engine.catalog import _file_reading

    catalog = Catalog.create("mine", "style", [photos])
    index_catalog(catalog, HistogramEmbedder("old-v1"))
    first = sorted((photos / "a").iterdir())[0]
    shutil.copy(first, photos / "copy-of-first.jpg")  # (a new time: it must be read, and is one content)
    read = []
    real_read = _file_reading.read_file
    monkeypatch.setattr(_file_reading, "read_file", lambda stat: (read.append(stat.path), real_read(stat))[1])
    count = images_to_embed(catalog, ["new-"])
    assert read == [str(photos / "copy-of-first.jpg")]
    monkeypatch.undo()
    assert count == [index_catalog(catalog, HistogramEmbedder("new-v1")).embedded]
    catalog.close()


def test_a_temp_index_left_by_a_crash_is_cleared_by_the_next_run_and_nothing_else(photos):
    """``make_index`` builds a new index under a temp name and links it into place: a crash
    before the temp name was removed (or mid-way) left a file as big as an index in the
    catalog's folder until the catalog was removed."""
    catalog = Catalog.create("mine", "style", [photos])
    index_catalog(catalog, HistogramEmbedder())
    location = catalog.location
    linked = location / f".tmp-{'a' * 32}-index.sqlite"  # killed after the link: a name of the index
    os.link(catalog.index_path, linked)
    stale = [location / f".tmp-{'b' * 32}-index.sqlite{suffix}" for suffix in ("", "-wal")]  # killed mid-way
    for path in stale:
        path.write_bytes(b"half an index")
        os.utime(path, (1, 1))
    fresh = location / f".tmp-{'c' * 32}-index.sqlite"  # another process making one just now
    fresh.write_bytes(b"being made")
    not_ours = [location / ".tmp-notes-index.sqlite", location / f".tmp-{'d' * 32}-index.sqlite.bak"]
    for path in not_ours:
        path.write_bytes(b"the user's")
        os.utime(path, (1, 1))
    report = index_catalog(catalog, HistogramEmbedder())
    assert report.indexed == 12 and report.unchanged == 12
    assert not linked.exists() and not any(path.exists() for path in stale)
    assert fresh.exists() and all(path.read_bytes() == b"the user's" for path in not_ours)
    catalog.close()
    with Catalog.open("mine") as again:
        assert again.counts()[0] == 12  # the index itself is whole


def test_a_link_to_an_image_on_a_disk_that_is_away_keeps_its_entry(photos, tmp_path):
    """``photos/cover.jpg -> usb/covers/cover.jpg``: the disk unplugged, the link was taken for
    a broken one: its entry dropped, and the image embedded again once the disk was back (a
    linked folder away keeps its entries). A link whose folder is there and file gone is broken."""
    usb = tmp_path / "usb"
    (usb / "covers").mkdir(parents=True)
    for src in clothing_images(2, start=40):
        shutil.copy(src, usb / "covers" / src.name)
    first, second = sorted((usb / "covers").iterdir())
    os.symlink(first, photos / "cover.jpg")
    os.symlink(second, photos / "a" / "back.jpg")
    catalog = Catalog.create("mine", "style", [photos])
    assert index_catalog(catalog, HistogramEmbedder()).indexed == 14
    usb.rename(tmp_path / "unplugged")
    report = index_catalog(catalog, HistogramEmbedder())
    assert (report.removed, report.indexed, report.kept, report.skipped) == (0, 14, 2, [])
    assert sorted((away.path, away.kind) for away in report.missing_folders) == [
        (str(photos / "a" / "back.jpg"), "missing-folder"), (str(photos / "cover.jpg"), "missing-folder")]
    assert all(f"the link leads to {usb / 'covers'}" in away.message and away.message.endswith(
        "its entry is kept") for away in report.missing_folders)
    assert report.summary().endswith("; 2 image links away (their disks are not mounted?): their entries are kept")
    assert "folder" not in report.summary()
    (tmp_path / "unplugged").rename(usb)  # plugged in again, unchanged
    emb = HistogramEmbedder()
    back = index_catalog(catalog, emb)
    assert (back.unchanged, back.added, back.embedded, emb.calls, back.missing_folders) == (14, 0, 0, 0, [])
    second.unlink()  # its folder there, the file gone: broken
    broken = index_catalog(catalog, HistogramEmbedder())
    assert (broken.removed, broken.indexed, broken.missing_folders) == (1, 13, [])
    assert [(s.path, s.kind) for s in broken.skipped] == [(str(photos / "a" / "back.jpg"), "broken-link")]
    usb.rename(tmp_path / "unplugged")  # a link never indexed (broken before) whose disk is away: broken still
    again = index_catalog(catalog, HistogramEmbedder())
    assert [(s.path, s.kind) for s in again.skipped] == [(str(photos / "a" / "back.jpg"), "broken-link")]
    assert [away.path for away in again.missing_folders] == [str(photos / "cover.jpg")]
    assert "; 1 image link away (its disk is not mounted?): its entry is kept" in again.summary()
    catalog.close()


def test_the_kept_count_of_folders_away_leaves_out_image_links_away_and_their_skipped_files(photos, tmp_path):
    """The summary counted the images kept for folders away as all those kept less one per
    image link away: a link whose file was skipped (it does not decode) keeps an entry but no
    image, so the folders' count was one too low. Kept images are counted apart, by the run."""
    usb, disk = tmp_path / "usb", tmp_path / "disk"
    (usb / "covers").mkdir(parents=True)
    good = shutil.copy(clothing_images(1, start=40)[0], usb / "covers" / "cover.jpg")
    (usb / "covers" / "cut.jpg").write_bytes(b"not an image" * 50)  # skipped: it does not decode
    os.symlink(good, photos / "cover.jpg")
    os.symlink(usb / "covers" / "cut.jpg", photos / "a" / "cut.jpg")
    (disk / "shoes").mkdir(parents=True)
    for src in clothing_images(3, start=50):
        shutil.copy(src, disk / "shoes" / src.name)
    os.symlink(disk / "shoes", photos / "shoes")  # a linked folder, on the other disk
    catalog = Catalog.create("mine", "style", [photos])
    first = index_catalog(catalog, HistogramEmbedder())
    assert (first.indexed, [s.path for s in first.skipped]) == (16, [str(photos / "a" / "cut.jpg")])
    usb.rename(tmp_path / "usb-unplugged")
    disk.rename(tmp_path / "disk-unplugged")
    report = index_catalog(catalog, HistogramEmbedder())
    assert (report.removed, report.indexed, report.kept, report.kept_by_links) == (0, 16, 4, 1)
    assert sorted(away.path for away in report.missing_folders) == [
        str(photos / "a" / "cut.jpg"), str(photos / "cover.jpg"), str(photos / "shoes")]
    assert ("; 1 folder away (missing): its 3 images kept as they were; 2 image links away (their disks are not "
            "mounted?): their entries are kept") in report.summary()
    assert report.as_dict()["kept"] == 4 and report.as_dict()["kept_by_links"] == 1
    (tmp_path / "disk-unplugged").rename(disk)  # the folder back: only the links are away
    links_only = index_catalog(catalog, HistogramEmbedder())
    assert (links_only.kept, links_only.kept_by_links, links_only.unchanged) == (1, 1, 15)
    assert "folder" not in links_only.summary()
    shutil.copy(tmp_path / "usb-unplugged" / "covers" / "cover.jpg", photos / "copy.jpg")  # the link's image, here
    found = index_catalog(catalog, HistogramEmbedder())
    assert (found.kept, found.kept_by_links, found.moved, found.indexed) == (0, 0, 1, 16)
    assert found.summary().endswith("; 1 image link away (its disk is not mounted?): its entry is kept")
    catalog.close()


def test_images_to_embed_leaves_out_files_a_run_skips_again(photos):
    """A file recorded as skipped (it does not decode) with the same size and time is skipped
    again by a run with any model, moved or copied too (its bytes are known as skipped): the
    count of a model switch leaves it out, and reads none of it to tell."""
    data = clothing_images(1, start=30)[0].read_bytes()
    (photos / "cut.jpg").write_bytes(data[: len(data) // 2])
    (photos / "a" / "notes.jpg").write_bytes(b"not an image" * 50)
    catalog = Catalog.create("mine", "style", [photos])
    first = index_catalog(catalog, HistogramEmbedder("old-v1"))
    assert (first.indexed, len(first.skipped)) == (12, 2)
    os.rename(photos / "a" / "notes.jpg", photos / "b" / "notes.jpg")  # moved: its size and time kept
    shutil.copy(photos / "cut.jpg", photos / "cut-again.jpg")  # copied: a new time, the same bytes
    assert images_to_embed(catalog, ["old-", "new-", None]) == [0, 12, 12]
    assert index_catalog(catalog, HistogramEmbedder("new-v1")).embedded == 12
    catalog.close()


def test_a_look_at_a_damaged_index_leaves_it_to_the_open_that_rebuilds_it_and_says_why(indexed, photos):
    """The window's background look (has the catalog changed?) opened a damaged index and rebuilt
    it under the catalog's lock: the user's open of the catalog meanwhile found the lock taken by
    this very process and said it was "being indexed by an earlier index run of this window"."""
    lose_pages(indexed)
    before = _sha256(indexed)
    with pytest.raises(CatalogDamaged, match="its index file is damaged"):
        Catalog.open("mine", look=True)
    assert _damaged_copies(indexed.parent) == [] and _sha256(indexed) == before  # only looked at
    # A look never takes the lock: one while this process's open holds it (the race) is not
    # told "being indexed", and leaves the index to that open.
    with Catalog.open("mine") as sound, sound.exclusive():
        lose_pages(indexed)
        with pytest.raises(CatalogDamaged):
            Catalog.open("mine", look=True)
    with Catalog.open("mine") as catalog:  # the user's open: moves it aside, rebuilds it, says why
        assert catalog.recovered and "the index file was damaged" in catalog.recovered
        assert index_catalog(catalog, HistogramEmbedder()).indexed == 12
    assert len(_damaged_copies(indexed.parent)) == 2


def test_damaged_settings_are_only_read_by_a_look_and_rebuilt_by_the_next_open(indexed, photos):
    (indexed.parent / "catalog.json").write_text("{not json")
    assert ("mine", "style", [str(photos)]) in catalog_settings()  # (the window's list: a look)
    assert (indexed.parent / "catalog.json").read_text() == "{not json"
    with Catalog.open("mine") as catalog:
        assert "settings file was damaged" in catalog.recovered
    assert json.loads((indexed.parent / "catalog.json").read_text())["mode"] == "style"


def test_image_links_away_are_told_after_the_run_as_folders_away_are(photos, tmp_path):
    """``photos/cover.jpg -> usb/covers/cover.jpg`` and ``photos/a/cut.jpg -> usb/covers/cut.jpg``
    (it does not decode: skipped), the disk unplugged after the run: the catalog said nothing
    of them (only folders and mount points were noted), so `catalogs list`, `search` and the
    window did not either. The run notes its image links; a link away is told with a stat, a
    link whose file was deleted from a folder that is there (broken) is not, nor one in a
    folder away (said as that folder)."""
    usb, cam = tmp_path / "usb", tmp_path / "cam"
    (usb / "covers").mkdir(parents=True)
    cam.mkdir()
    good = shutil.copy(clothing_images(1, start=40)[0], usb / "covers" / "cover.jpg")
    (usb / "covers" / "cut.jpg").write_bytes(b"not an image" * 50)
    deleted = shutil.copy(clothing_images(1, start=41)[0], cam / "deleted.jpg")
    os.symlink(good, photos / "cover.jpg")
    os.symlink(usb / "covers" / "cut.jpg", photos / "a" / "cut.jpg")
    os.symlink(deleted, photos / "b" / "deleted.jpg")
    catalog = Catalog.create("mine", "style", [photos])
    assert index_catalog(catalog, HistogramEmbedder()).indexed == 14
    assert catalog.image_links_away() == [] and catalog.info().image_links_away == ()
    usb.rename(tmp_path / "usb-unplugged")
    os.unlink(deleted)  # its folder there: a broken link, not a disk away
    links = [str(photos / "a" / "cut.jpg"), str(photos / "cover.jpg")]
    assert catalog.image_links_away() == links and catalog.info().image_links_away == tuple(links)
    assert catalog.away_folders() == {} and catalog.info().missing_folders == ()  # not folders
    report = index_catalog(catalog, HistogramEmbedder())  # noted again while away: still told
    assert [(away.path, away.image_link_away) for away in sorted(report.missing_folders)] == [
        (link, True) for link in links]
    assert catalog.image_links_away() == links
    photos.rename(tmp_path / "photos-away")  # the catalog folder itself away: said as that folder
    assert catalog.image_links_away() == [] and list(catalog.away_folders()) == [str(photos)]
    (tmp_path / "photos-away").rename(photos)
    (tmp_path / "usb-unplugged").rename(usb)  # plugged in again
    assert catalog.image_links_away() == []
    catalog.close()


def test_an_index_from_before_image_links_were_noted_tells_none_opened_only_to_look(photos, tmp_path):
    """An index without the ``image_links`` table (written before it was made) is read as it
    is, only looked at too (no table made): no link away is told, nothing fails."""
    usb = tmp_path / "usb"
    usb.mkdir()
    os.symlink(shutil.copy(clothing_images(1, start=40)[0], usb / "cover.jpg"), photos / "cover.jpg")
    catalog = Catalog.create("mine", "style", [photos])
    index_catalog(catalog, HistogramEmbedder())
    catalog.close()
    with sqlite3.connect(catalog.index_path) as conn:
        conn.execute("DROP TABLE image_links")
    usb.rename(tmp_path / "unplugged")
    with Catalog.open("mine", look=True) as looked:
        assert looked.image_links_away() == [] and looked.info().image_links_away == ()
    with Catalog.open("mine") as opened:  # the table made again, empty: told by the next run
        assert opened.image_links_away() == []
        index_catalog(opened, HistogramEmbedder())
        assert opened.image_links_away() == [str(photos / "cover.jpg")]


def test_an_image_link_away_is_told_by_the_scan_not_by_its_message(photos, tmp_path):
    """``SkippedFile.image_link_away`` is set by the scan's sorting (``Dangling.image_link``):
    its entry found elsewhere, its message no longer ends as an image link's, yet the report
    (``--json`` too) still tells it a link, not a linked folder."""
    usb = tmp_path / "usb"
    (usb / "shoes").mkdir(parents=True)
    cover = shutil.copy(clothing_images(1, start=40)[0], usb / "cover.jpg")
    for src in clothing_images(2, start=50):
        shutil.copy(src, usb / "shoes" / src.name)
    os.symlink(cover, photos / "cover.jpg")
    os.symlink(usb / "shoes", photos / "shoes")
    catalog = Catalog.create("mine", "style", [photos])
    assert index_catalog(catalog, HistogramEmbedder()).indexed == 15
    usb.rename(tmp_path / "unplugged")
    shutil.copy(tmp_path / "unplugged" / "cover.jpg", photos / "copy.jpg")  # the link's image, here
    report = index_catalog(catalog, HistogramEmbedder())
    away = {folder.path: folder for folder in report.missing_folders}
    assert away[str(photos / "cover.jpg")].message.endswith("the catalog holds none of its images")
    assert (away[str(photos / "cover.jpg")].image_link_away, away[str(photos / "shoes")].image_link_away) == (
        True, False)
    assert [(f["path"], f["image_link_away"]) for f in report.as_dict()["missing_folders"]] == [
        (str(photos / "cover.jpg"), True), (str(photos / "shoes"), False)]
    catalog.close()
