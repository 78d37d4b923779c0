"""What an index run says of files that change under it: deleted between the scan that lists
them and their reading, pipes with an image's name, written over with their size and mtime put
back (review 26, findings 5 to 7)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageOps

from test_catalog import HistogramEmbedder, clothing_images
from vsdesk.engine.catalog import Catalog, CatalogError, index_catalog
from vsdesk.engine.catalog import _index_run


@pytest.fixture
def photos(tmp_path) -> Path:
    """A user folder of 12 photos."""
    root = tmp_path / "photos"
    root.mkdir()
    for src in clothing_images(12):
        shutil.copy(src, root / src.name)
    return root


def _new_time(paths: list[Path]) -> None:
    """A modification time a second later for each of ``paths``: the next run reads them again."""
    for path in paths:
        st = path.stat()
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))


def _delete_after_the_scan(monkeypatch, files: list[Path], targets: list[Path] | None = None) -> None:
    """The next index run's scan lists ``files``, which are deleted as soon as it has: a user
    deleting photos while the run reads the folder (the true boundary: listing, then reading).
    With ``targets``, those are deleted instead (the files that links ``files`` lead to)."""
    real_scan = _index_run.scan_folders

    def scan_then_delete(roots):
        result = real_scan(roots)
        assert all(str(path) in result.files for path in files)  # listed ...
        for path in files if targets is None else targets:
            path.unlink()  # ... then gone before they are read
        monkeypatch.setattr(_index_run, "scan_folders", real_scan)  # once
        return result

    monkeypatch.setattr(_index_run, "scan_folders", scan_then_delete)


def test_photos_deleted_during_a_first_run_are_not_there_not_unreadable(photos, monkeypatch):
    """They were listed as "the file cannot be read (No such file or directory) [unreadable]"
    and kept as skipped entries; the next run counted those as images removed."""
    deleted = sorted(photos.glob("*.jpg"))[::3]  # 4 of 12
    _delete_after_the_scan(monkeypatch, deleted)
    catalog = Catalog.create("mine", "style", [photos])
    report = index_catalog(catalog, HistogramEmbedder())
    assert report.skipped == [] and catalog.skipped() == []
    assert (report.added, report.removed, report.indexed) == (8, 0, 8)
    assert catalog.counts() == (8, 0)
    again = index_catalog(catalog, HistogramEmbedder())
    assert (again.added, again.removed, again.unchanged, again.skipped) == (0, 0, 8, [])


def test_images_changed_then_deleted_during_a_run_are_removed_and_said_once(photos, monkeypatch):
    catalog = Catalog.create("mine", "style", [photos])
    assert index_catalog(catalog, HistogramEmbedder()).indexed == 12
    deleted = sorted(photos.glob("*.jpg"))[:4]
    _new_time(deleted)
    _delete_after_the_scan(monkeypatch, deleted)
    report = index_catalog(catalog, HistogramEmbedder())
    assert report.skipped == [] and catalog.skipped() == []
    assert (report.removed, report.unchanged, report.indexed, report.now_unreadable) == (4, 8, 8, 0)
    again = index_catalog(catalog, HistogramEmbedder())
    assert (again.removed, again.unchanged, again.skipped) == (0, 8, [])


def test_a_skipped_file_deleted_is_no_image_removed(photos):
    """The next run after 1,333 vanished files said "1333 removed" of a catalog that held as
    many images before and after: the entries of skipped files were counted as images."""
    (photos / "text.jpg").write_text("not an image")
    catalog = Catalog.create("mine", "style", [photos])
    report = index_catalog(catalog, HistogramEmbedder())
    assert [Path(s.path).name for s in report.skipped] == ["text.jpg"] and report.indexed == 12
    (photos / "text.jpg").unlink()
    again = index_catalog(catalog, HistogramEmbedder())
    assert (again.removed, again.unchanged, again.indexed, again.skipped) == (0, 12, 12, [])
    assert catalog.counts() == (12, 0)


def test_a_pipe_named_like_an_image_is_listed_as_skipped_with_why(photos):
    """It was left out without a word, in no skipped list, even with --json (as a query it is
    refused in these words)."""
    os.mkfifo(photos / "pipe.jpg")
    catalog = Catalog.create("mine", "style", [photos])
    report = index_catalog(catalog, HistogramEmbedder())  # (and does not hang reading it)
    said = [(Path(s.path).name, s.kind, s.message) for s in report.skipped]
    assert said == [("pipe.jpg", "unreadable", "not a regular file (a pipe, socket or device)")]
    assert report.indexed == 12 and catalog.counts() == (12, 1)
    assert [Path(s.path).name for s in catalog.skipped()] == ["pipe.jpg"]
    again = index_catalog(catalog, HistogramEmbedder())
    assert [Path(s.path).name for s in again.skipped] == ["pipe.jpg"] and again.removed == 0


# -- a file written over with its size and modification time put back --------------------------

def _write_over_keeping_size_and_mtime(path: Path, image: Image.Image) -> None:
    """``path`` written with ``image`` (a BMP of the same size: the same byte count), then its
    modification time put back to the nanosecond, as ``touch -r`` or ``cp -p`` do."""
    before = path.stat()
    image.save(path, format="BMP")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = path.stat()
    assert (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    assert after.st_ctime_ns != before.st_ctime_ns  # (the kernel's: no program sets it back)


@pytest.fixture
def bmps(tmp_path) -> Path:
    """A user folder of 6 photos saved as BMP (whose size is that of their pixels only)."""
    root = tmp_path / "bmps"
    root.mkdir()
    for src in clothing_images(6):
        with Image.open(src) as im:
            im.convert("RGB").resize((64, 48)).save(root / f"{src.stem}.bmp")
    return root


def _counting_loader(loads: list):
    def loader():
        loads.append(1)
        return HistogramEmbedder()
    return loader


def test_a_file_written_over_with_its_size_and_mtime_put_back_is_embedded_again(bmps):
    """It kept its old vector: the index compared the size and mtime only (review 26, t9b)."""
    catalog = Catalog.create("mine", "style", [bmps])
    index_catalog(catalog, HistogramEmbedder())
    target = sorted(bmps.glob("*.bmp"))[0]
    paths, _, matrix = catalog.vectors()
    old = matrix[paths.index(str(target))].copy()
    with Image.open(target) as im:
        _write_over_keeping_size_and_mtime(target, ImageOps.invert(im.convert("RGB")))
    loads: list = []
    report = index_catalog(catalog, _counting_loader(loads))
    assert (report.updated, report.embedded, report.unchanged, len(loads)) == (1, 1, 5, 1)
    paths, _, matrix = catalog.vectors()
    assert not np.allclose(matrix[paths.index(str(target))], old)  # the new picture's vector
    again = index_catalog(catalog, _counting_loader(loads))
    assert (again.unchanged, again.touched, len(loads)) == (6, 0, 1)  # noted: not read again


def test_a_file_whose_change_time_alone_moved_is_read_not_embedded(bmps):
    """A chmod (or a rename, a copy with its times) sets the change time too: the file is
    hashed again, found the same, and neither embedded nor the model loaded."""
    catalog = Catalog.create("mine", "style", [bmps])
    index_catalog(catalog, HistogramEmbedder())
    target = sorted(bmps.glob("*.bmp"))[0]
    target.chmod(0o600)
    loads: list = []
    report = index_catalog(catalog, _counting_loader(loads))
    assert (report.unchanged, report.touched, report.embedded, len(loads)) == (6, 1, 0, 0)


def test_an_index_from_before_change_times_gets_them_in_place_without_reading(bmps):
    """An index made before the change times were kept: its table is made when the catalog is
    opened, the times noted by the next run without reading a file, and from then on a file
    written over with its size and mtime put back is seen."""
    catalog = Catalog.create("mine", "style", [bmps])
    index_catalog(catalog, HistogramEmbedder())
    catalog.conn.execute("DROP TABLE file_ctimes")  # as an index of the vsdesk before
    catalog.close()
    catalog = Catalog.open("mine")
    loads: list = []
    report = index_catalog(catalog, _counting_loader(loads))
    assert (report.unchanged, report.touched, report.embedded, len(loads)) == (6, 0, 0, 0)
    assert catalog.conn.execute("SELECT COUNT(*) FROM file_ctimes").fetchone()[0] == 6
    target = sorted(bmps.glob("*.bmp"))[1]
    with Image.open(target) as im:
        _write_over_keeping_size_and_mtime(target, ImageOps.invert(im.convert("RGB")))
    report = index_catalog(catalog, _counting_loader(loads))
    assert (report.updated, report.embedded, len(loads)) == (1, 1, 1)


def test_an_error_reading_the_change_times_is_said_not_taken_for_an_index_from_before(bmps):
    """Only a missing table means "none noted": another error reading the change times (here
    SQLite's interrupt; a locked database or a disk error alike) is said, where it made every
    file's change time "not noted" and a file written over went unseen."""
    catalog = Catalog.create("mine", "style", [bmps])
    index_catalog(catalog, HistogramEmbedder())
    assert all(row.ctime_ns is not None for row in catalog.file_entries().values())

    def interrupt_the_change_times(sql: str) -> None:
        if "file_ctimes" in sql:
            catalog.conn.interrupt()

    catalog.conn.set_trace_callback(interrupt_the_change_times)
    with pytest.raises(CatalogError, match="interrupted"):
        catalog.file_entries()
    catalog.conn.set_trace_callback(None)
    catalog.conn.execute("DROP TABLE file_ctimes")  # an index from before them: none noted
    entries = catalog.file_entries()
    assert len(entries) == 6 and all(row.ctime_ns is None for row in entries.values())


def _said_skipped(report) -> list[tuple[str, str, str]]:
    return [(Path(s.path).name, s.kind, s.message) for s in report.skipped]


def _link_to_a_photo_elsewhere(photos: Path, tmp_path: Path) -> tuple[Path, Path]:
    """(photos/link.jpg, the photo it leads to, in a folder outside the catalog's)."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    target = elsewhere / "target.jpg"
    shutil.copy(clothing_images(1, start=30)[0], target)
    link = photos / "link.jpg"
    link.symlink_to(target)
    return link, target


@pytest.mark.parametrize("indexed_before", [False, True])
def test_a_link_whose_file_is_deleted_during_a_run_is_a_broken_link_as_the_next_run_says(
        photos, tmp_path, monkeypatch, indexed_before):
    """It was listed as "the file cannot be read (No such file or directory)" [unreadable] (an
    image indexed before: "now unreadable"), and by the next run as a broken link (removed)."""
    link, target = _link_to_a_photo_elsewhere(photos, tmp_path)
    broken = [("link.jpg", "broken-link", f"a link to a missing file ({target})")]
    catalog = Catalog.create("mine", "style", [photos])
    if indexed_before:
        assert index_catalog(catalog, HistogramEmbedder()).indexed == 13
        _new_time([target])
    _delete_after_the_scan(monkeypatch, [link], targets=[target])
    report = index_catalog(catalog, HistogramEmbedder())
    assert _said_skipped(report) == broken
    assert (report.removed, report.now_unreadable, report.indexed) == (int(indexed_before), 0, 12)
    assert [(Path(s.path).name, s.kind) for s in catalog.skipped()] == [("link.jpg", "broken-link")]
    assert catalog.counts() == (12, 1)
    again = index_catalog(catalog, HistogramEmbedder())  # what the run after says of it: the same
    assert _said_skipped(again) == broken
    assert (again.removed, again.unchanged, again.indexed, catalog.counts()) == (0, 12, 12, (12, 1))


def _unplug_after_the_scan(monkeypatch, listed: list[Path], unplug) -> None:
    """The next index run's scan lists ``listed``, then ``unplug()`` takes their folder away (a
    disk unplugged while the run reads it: the true boundary, listing then reading)."""
    real_scan = _index_run.scan_folders

    def scan_then_unplug(roots):
        result = real_scan(roots)
        assert all(str(path) in result.files for path in listed)
        unplug()
        monkeypatch.setattr(_index_run, "scan_folders", real_scan)  # once
        return result

    monkeypatch.setattr(_index_run, "scan_folders", scan_then_unplug)


def _entries_and_vectors(catalog):
    vectors = catalog.vectors()
    return catalog.file_entries(), {path: row.tobytes() for path, row in zip(vectors.paths, vectors.matrix)}


@pytest.mark.parametrize("how", ["catalog folder missing", "mount point left empty", "linked folder leading nowhere"])
def test_a_folder_unplugged_during_a_run_keeps_its_entries_as_the_next_run_would(
        photos, tmp_path, monkeypatch, mount_disk, how):
    """Every file of a disk unplugged mid-run that was still to be read was "gone": its entry
    dropped and counted removed, where the next run calls the folder away and keeps them."""
    disk = photos / "disk"  # a disk in the catalog folder: mounted there, or linked to
    if how == "linked folder leading nowhere":
        (tmp_path / "elsewhere").mkdir()
        disk.symlink_to(tmp_path / "elsewhere")
    else:
        disk.mkdir()
        if how == "mount point left empty":
            mount_disk(disk)
    for path in sorted(photos.glob("*.jpg"))[:6]:
        shutil.move(path, disk / path.name)
    unplugged = photos if how == "catalog folder missing" else disk
    catalog = Catalog.create("mine", "style", [photos])
    assert index_catalog(catalog, HistogramEmbedder()).indexed == 12
    on_disk = sorted(unplugged.rglob("*.jpg"))
    _new_time(on_disk)
    before = _entries_and_vectors(catalog)
    away = tmp_path / "unplugged"  # the disk's files, as they were, to plug it back

    def unplug():
        if how == "catalog folder missing":
            photos.rename(away)
        elif how == "mount point left empty":
            mount_disk.unplug(disk)  # the mount point, without its disk
        else:
            (tmp_path / "elsewhere").rename(away)

    _unplug_after_the_scan(monkeypatch, on_disk, unplug)
    report = index_catalog(catalog, HistogramEmbedder())
    assert (report.removed, report.now_unreadable, report.skipped, report.indexed) == (0, 0, [], 12)
    assert _entries_and_vectors(catalog) == before  # untouched: nothing written
    if how == "catalog folder missing":  # plugged back
        away.rename(photos)
    elif how == "mount point left empty":
        mount_disk.plug_back(disk)
    else:
        away.rename(tmp_path / "elsewhere")
    again = index_catalog(catalog, HistogramEmbedder())
    assert (again.added, again.removed, again.unchanged, again.skipped, again.indexed) == (0, 0, 12, [], 12)


@pytest.mark.parametrize("how", ["subfolder deleted", "its last file deleted"])
def test_a_subfolder_deleted_during_a_run_is_dropped_by_that_run(photos, tmp_path, monkeypatch, how):
    """A plain subfolder deleted (or emptied) while the run read it was taken for a disk
    unplugged: its entries were kept, and only the next run dropped them. Its catalog folder is
    there, on its disk: the subfolder is no disk of its own, and its files are gone."""
    sub = photos / "sub"
    sub.mkdir()
    for path in sorted(photos.glob("*.jpg"))[:3 if how == "subfolder deleted" else 1]:
        path.rename(sub / path.name)
    catalog = Catalog.create("mine", "style", [photos])
    assert index_catalog(catalog, HistogramEmbedder()).indexed == 12
    deleted = sorted(sub.glob("*.jpg"))
    _new_time(deleted)
    new = sub / "new.jpg"  # new to the catalog: never added
    shutil.copy(clothing_images(1, start=20)[0], new)
    _unplug_after_the_scan(monkeypatch, deleted + [new],
                           lambda: shutil.rmtree(sub) if how == "subfolder deleted" else [p.unlink() for p in sub.iterdir()])
    report = index_catalog(catalog, HistogramEmbedder())
    assert (report.removed, report.added, report.now_unreadable, report.skipped) == (len(deleted), 0, 0, [])
    assert report.missing_folders == [] and report.indexed == 12 - len(deleted)
    assert not any(path.startswith(str(sub)) for path in catalog.file_entries())
    again = index_catalog(catalog, HistogramEmbedder())  # nothing left for the next run to drop
    assert (again.removed, again.unchanged, again.indexed) == (0, 12 - len(deleted), 12 - len(deleted))


@pytest.mark.parametrize("indexed_before", [False, True])
def test_a_link_whose_target_folder_is_unplugged_during_a_run_is_away_not_unreadable(
        photos, tmp_path, monkeypatch, indexed_before):
    """It was said "the file cannot be read (No such file or directory)" [unreadable] (an image
    indexed before: "now unreadable", its entry a skipped one): the next run calls it away."""
    link, target = _link_to_a_photo_elsewhere(photos, tmp_path)
    catalog = Catalog.create("mine", "style", [photos])
    if indexed_before:
        assert index_catalog(catalog, HistogramEmbedder()).indexed == 13
        _new_time([target])
    before = _entries_and_vectors(catalog)
    _unplug_after_the_scan(monkeypatch, [link], lambda: target.parent.rename(tmp_path / "unplugged"))
    report = index_catalog(catalog, HistogramEmbedder())
    assert (report.removed, report.now_unreadable, report.skipped) == (0, 0, [])
    assert catalog.skipped() == []
    if indexed_before:
        assert _entries_and_vectors(catalog) == before and report.indexed == 13
    else:  # new: not added this run
        assert str(link) not in catalog.file_entries() and report.indexed == 12
    (tmp_path / "unplugged").rename(target.parent)  # plugged back
    again = index_catalog(catalog, HistogramEmbedder())
    assert (again.added, again.removed, again.skipped, again.indexed) == (1 - indexed_before, 0, [], 13)


def test_a_folders_contents_are_its_images_hashes_not_a_neighbours_of_a_like_name(tmp_path):
    """``Catalog.folder_hashes`` (what a forget of the folder keeps, read from its range of the
    index): the hashes of the images inside it, a subfolder's too, not those of "photos2"
    beside it (a name that starts like it)."""
    import hashlib

    photos, beside = tmp_path / "photos", tmp_path / "photos2"
    for folder, images in ((photos, clothing_images(3)), (beside, clothing_images(2, start=10))):
        (folder / "sub").mkdir(parents=True)
        for i, src in enumerate(images):
            shutil.copy(src, (folder / "sub" if i == 0 else folder) / src.name)
    catalog = Catalog.create("mine", "style", [photos, beside])
    index_catalog(catalog, HistogramEmbedder())
    for folder in (photos, beside):
        expected = {hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.rglob("*.jpg")}
        assert catalog.folder_hashes(str(folder)) == expected and len(expected) in (2, 3)
