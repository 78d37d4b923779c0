"""The catalog commands end to end with a real mode (VAE): index, search, catalogs list/remove."""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import (
    CLOTHING_DIR,
    REPO,
    STYLE_DIR,
    copy_images,
    fill_disk,
    needs_setpriv,
    run_cli as run,
    without_root_powers,
)
from vsdesk.cli import main


@pytest.fixture
def photos(tmp_path):
    root = copy_images(sorted((CLOTHING_DIR / "images").glob("*.jpg"))[:30], tmp_path / "photos")
    (root / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 cut short")
    return root


def test_catalogs_list_and_remove_without_models(capsys):
    assert run(capsys, "catalogs", "list", "--json")[:2] == (0, "[]\n")
    code, _, err = run(capsys, "catalogs", "remove", "nothing")
    assert code == 2 and err.strip() == "vsdesk: no catalog named 'nothing' (see `vsdesk catalogs list`)"  # as search says it
    code, _, err = run(capsys, "search", "--mode", "vae", "--catalog", "nothing", str(STYLE_DIR / "s_cubism-01.jpg"))
    assert code == 2 and "no catalog named 'nothing'" in err


def test_catalogs_list_names_the_samples_not_made_yet(capsys):
    """A fresh install said "no catalogs yet" and nothing else, though the samples are searchable
    by name: it names those not made yet, with their modes, on stderr as "no catalogs yet" (stdout
    lists the catalogs, and only them); `--json` stays a list of catalogs (docs/cli.md)."""
    from vsdesk.engine.samples import SAMPLE_CATALOGS

    code, out, err = run(capsys, "catalogs", "list")
    assert code == 0 and out == "" and "no catalogs yet" in err
    assert "samples you can search" in err
    for name, (mode, _) in SAMPLE_CATALOGS.items():
        assert re.search(rf"^  {re.escape(name)} +\[{mode}\]", err, re.M), err
    assert run(capsys, "catalogs", "list", "--json")[:2] == (0, "[]\n")


def test_index_says_why_a_folder_cannot_be_indexed(capsys, tmp_path):
    a_file = tmp_path / "photo.jpg"
    a_file.write_bytes(b"x")
    code, _, err = run(capsys, "index", "--mode", "vae", "--catalog", "c", str(tmp_path / "nowhere"))
    assert code == 2 and f"{tmp_path / 'nowhere'}: no such folder" in err
    code, _, err = run(capsys, "index", "--mode", "vae", "--catalog", "c", str(a_file))
    assert code == 2 and f"{a_file}: this is a file, not a folder" in err


@needs_setpriv
def test_a_catalog_removed_whose_files_cannot_all_be_deleted_is_removed_and_says_what_is_left():
    """The catalog's folder renamed aside (the catalog is gone), then its files not deleted (no
    permission here): exit 0, and the folder left said, on stderr and in the JSON; it is deleted
    when catalogs are listed later."""
    from vsdesk.engine import paths
    from vsdesk.engine.catalog import Catalog, catalog_exists, catalog_location, list_catalogs

    Catalog.create("mine", "vae", []).close()
    catalog_location("mine").chmod(0o555)  # its files cannot be deleted; the folder can be renamed
    try:
        done = without_root_powers([sys.executable, "-m", "vsdesk", "catalogs", "remove", "mine", "--json"])
    finally:
        for folder in paths.catalogs_dir().iterdir():
            folder.chmod(0o755)
    assert done.returncode == 0, done.stderr
    [aside] = paths.catalogs_dir().glob(".removed-mine-*")
    report = json.loads(done.stdout)
    assert report["left_over"] == str(aside) and str(aside) in report["warning"]
    assert "warning: catalog 'mine' was removed, but some of its index files could not be deleted" in done.stderr
    assert f"delete the folder {aside}" in done.stderr and "removed catalog 'mine'" in done.stderr
    assert not catalog_exists("mine")
    assert list_catalogs() == [] and not aside.exists()


@pytest.mark.slow
def test_a_data_folder_that_is_a_file_is_a_message_not_a_traceback(capsys, tmp_path, monkeypatch):
    not_a_folder = tmp_path / "afile"
    not_a_folder.write_text("x")
    monkeypatch.setenv("VSDESK_DATA_DIR", str(not_a_folder))
    assert main(["catalogs", "list"]) == 2
    err = capsys.readouterr().err
    assert f"VSDESK_DATA_DIR={not_a_folder}" in err and "is a file" in err and "Traceback" not in err


def test_json_into_a_closed_pipe_ends_quietly():
    """``vsdesk ... --json | head``: the reader leaves first; no traceback, exit 0."""
    proc = subprocess.Popen([sys.executable, "-m", "vsdesk", "catalogs", "list", "--json"], env=os.environ.copy(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()  # gone before anything is written
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 0 and "Traceback" not in err and "BrokenPipe" not in err, err


def test_index_search_list_remove_with_the_vae_mode(capsys, photos, tmp_path):
    code, out, err = run(capsys, "index", "--mode", "vae", "--catalog", "shop", str(photos), "--json")
    assert code == 0, err
    report = json.loads(out)
    assert (report["added"], report["indexed"]) == (30, 30)  # broken.jpg is under skipped only
    assert [s["path"] for s in report["skipped"]] == [str(photos / "broken.jpg")]
    # Each with its reason; not ``image_link_away``, which is said of the folders away only
    # (it came with every skipped file once SkippedFile had it, always false).
    assert [set(s) for s in report["skipped"]] == [{"path", "kind", "message"}]
    assert "broken.jpg" in err and "skipped 1" in err  # the reason is shown to the user

    code, out, err = run(capsys, "index", "--mode", "vae", "--catalog", "shop", "--json")
    again = json.loads(out)
    assert code == 0 and (again["unchanged"], len(again["skipped"])) == (30, 1)

    member = sorted(photos.glob("*.jpg"))[0]
    renamed = tmp_path / "same-content.jpg"  # a copy of a catalog image under another name
    shutil.copy(member, renamed)
    outside = STYLE_DIR / "s_cubism-01.jpg"
    bad = tmp_path / "notes.txt"
    bad.write_text("hello")
    code, out, err = run(capsys, "search", "--mode", "vae", "--catalog", "shop", "-k", "5", "--json",
                         str(member), str(renamed), str(outside), str(bad))
    assert code == 1  # one query failed; the others still have results
    records = json.loads(out)
    assert [r["query"] for r in records] == [str(member), str(renamed), str(outside), str(bad)]
    for record in records[:3]:
        results = record["results"]
        assert len(results) == 5
        assert all(set(r) >= {"path", "score", "label"} for r in results)
        scores = [r["score"] for r in results]
        assert scores == sorted(scores, reverse=True) and all(-1.0001 <= s <= 1.0001 for s in scores)
        assert str(member) not in [r["path"] for r in results]  # the query is not its own result
        assert len(record) > 2  # the VAE's describe() extras are merged into the record
    assert records[3]["results"] == [] and records[3]["error_kind"] == "not-an-image"
    assert "notes.txt" in err

    code, out, _ = run(capsys, "catalogs", "list", "--json")
    listing = json.loads(out)
    assert [(c["name"], c["mode"], c["indexed"], c["skipped"]) for c in listing] == [("shop", "vae", 30, 1)]

    code, _, err = run(capsys, "search", "--mode", "style", "--catalog", "shop", str(outside))
    assert code == 2 and "indexed with mode 'vae'" in err

    assert run(capsys, "catalogs", "remove", "shop")[0] == 0
    assert run(capsys, "catalogs", "list", "--json")[1] == "[]\n"
    assert len(list(photos.iterdir())) == 31  # the user's images are untouched


@pytest.mark.slow
def test_search_a_sample_catalog_indexes_it_first(capsys):
    code, out, err = run(capsys, "search", "--mode", "vae", "--catalog", "style-artworks", "-k", "3",
                         str(STYLE_DIR / "s_impressionist-02.jpg"))
    assert code == 0, err
    assert "indexing" in err and "32 images indexed" in err
    assert "'style-artworks' is the style mode's sample; for --mode vae its images are indexed once into the " \
           "catalog 'style-artworks.vae'" in err
    results = [line for line in out.splitlines() if line[:7].strip().rstrip(".").isdigit()]
    assert len(results) == 3 and not any("s_impressionist-02.jpg" in line for line in results)  # not its own result
    assert out.endswith("/s_impressionist-02.jpg (the same bytes)\n\n")  # its copy, left out: named
    assert out.count("\n  ") >= 3
    code, out, _ = run(capsys, "catalogs", "list", "--json")
    assert json.loads(out)[0]["name"] == "style-artworks.vae"


def test_a_sample_catalog_is_this_installations_sample_folder_only(capsys, tmp_path):
    """Two installations sharing one data folder (a source checkout beside an installed copy, a
    moved bundle): the sample catalog follows the one that opens it, instead of holding both
    samples and showing every result twice."""
    from vsdesk.engine import samples
    from vsdesk.engine.catalog import Catalog

    elsewhere = tmp_path / "other-install" / "samples" / "clothing"
    elsewhere.mkdir(parents=True)
    for src in sorted(samples.sample_folder("clothing").glob("*.jpg"))[:5]:
        shutil.copy(src, elsewhere / src.name)
    Catalog.create("clothing.vae", "vae", [str(elsewhere)]).close()
    code, out, err = run(capsys, "index", "--mode", "vae", "--catalog", "clothing", "--json")
    assert code == 0, err
    ours = samples.sample_folder("clothing")
    assert json.loads(out)["indexed"] == len([p for p in ours.iterdir() if p.suffix == ".jpg"])
    with Catalog.open("clothing.vae") as catalog:
        assert catalog.folders == [str(ours)]
        assert not [path for path in catalog.vectors().paths if path.startswith(str(elsewhere))]


def test_a_missing_folder_is_noted_on_search_and_can_be_forgotten(capsys, photos, tmp_path):
    extra = tmp_path / "usb-stick"
    extra.mkdir()
    for src in sorted((CLOTHING_DIR / "images").glob("*.jpg"))[40:44]:
        shutil.copy(src, extra / src.name)
    assert run(capsys, "index", "--mode", "vae", "--catalog", "shop", str(photos), str(extra))[0] == 0
    shutil.rmtree(extra)  # the stick is unplugged
    query = sorted(photos.glob("*.jpg"))[1]
    code, out, err = run(capsys, "search", "--mode", "vae", "--catalog", "shop", str(query), "-k", "40", "--json")
    assert code == 0 and f"{extra} (a folder of catalog 'shop') is missing" in err
    [record] = json.loads(out)
    assert any(r["path"].startswith(str(extra)) for r in record["results"])  # kept, as said
    assert record["catalog_missing_folders"] == [str(extra)]
    assert record["catalog_missing_folder_kinds"] == {str(extra): "missing-folder"}

    # An index run says the folder is away, and does not count it as a skipped file.
    code, out, err = run(capsys, "index", "--mode", "vae", "--catalog", "shop", "--json")
    report = json.loads(out)
    assert code == 0 and (report["indexed"], report["removed"]) == (34, 0)  # its 4 images are kept
    assert [s["path"] for s in report["skipped"]] == [str(photos / "broken.jpg")]
    assert [(f["path"], f["kind"]) for f in report["missing_folders"]] == [(str(extra), "missing-folder")]
    assert report["kept"] == 4 and "1 folder away (missing): its 4 images kept as they were" in err
    assert "1 file skipped" in err and (f"  note: {extra}: the folder does not exist or is not mounted; its index entries "
                                   f"are kept. `vsdesk catalogs remove-folder shop {extra}` forgets them; moved? "
                                   "`vsdesk index --catalog shop NEW_PLACE` finds its images there without embedding "
                                   "them again") in err
    assert "nothing new in the folders there" in err and "up to date" not in err  # the stick was not looked at
    # So does `catalogs list`.
    code, out, _ = run(capsys, "catalogs", "list", "--json")
    [listed] = json.loads(out)
    assert code == 0 and (listed["skipped"], listed["missing_folders"]) == (1, [str(extra)])
    code, out, _ = run(capsys, "catalogs", "list")
    assert (f"    {extra}\n      note: missing (moved, deleted, or on a disk that is not mounted?); its images are "
            f"kept and still searched. `vsdesk catalogs remove-folder shop {extra}` forgets them; moved? `vsdesk "
            "index --catalog shop NEW_PLACE` finds its images there without embedding them again\n") in out, out
    assert f"    {photos}\n    {extra}\n" in out  # the folder that is there has no note

    code, _, err = run(capsys, "catalogs", "remove-folder", "shop", str(tmp_path / "elsewhere"))
    assert code == 2 and "is not a folder of catalog 'shop'" in err and str(extra) in err
    code, _, err = run(capsys, "catalogs", "remove-folder", "shop", str(extra))
    assert code == 0 and "4 images forgotten" in err
    code, out, err = run(capsys, "search", "--mode", "vae", "--catalog", "shop", str(query), "-k", "40", "--json")
    assert code == 0 and "missing" not in err and json.loads(out)[0]["catalog_missing_folders"] == []
    paths = [r["path"] for r in json.loads(out)[0]["results"]]
    assert len(paths) == 29 and not any(p.startswith(str(extra)) for p in paths)  # 30 photos, less the query
    assert json.loads(run(capsys, "catalogs", "list", "--json")[1])[0]["missing_folders"] == []
    assert len(list(photos.iterdir())) == 31  # the user's photos are untouched


def test_catalogs_list_counts_the_files_skipped_as_the_index_run_does(capsys, tmp_path):
    """A photo format vsdesk cannot read has no entry in ``files``: the run said "1 skipped
    ...", `catalogs list` "0 skipped". (A name that is not UTF-8 is indexed now:
    ``test_names_not_utf8``.)"""
    folder = tmp_path / "photos"
    folder.mkdir()
    images = sorted((CLOTHING_DIR / "images").glob("*.jpg"))
    for src in images[:3]:
        shutil.copy(src, folder / src.name)
    shutil.copy(images[3], os.path.join(folder, os.fsdecode(b"bad\xff.jpg")))
    (folder / "IMG_0001.HEIC").write_bytes(b"\x00\x00\x00\x18ftypheic")
    (folder / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 cut short")
    code, out, err = run(capsys, "index", "--mode", "vae", "--catalog", "shop", str(folder), "--json")
    report = json.loads(out)
    assert code == 0 and report["indexed"] == 4, err
    assert sorted(s["kind"] for s in report["skipped"]) == ["truncated", "unsupported-format"]
    code, out, _ = run(capsys, "catalogs", "list", "--json")
    assert code == 0 and json.loads(out)[0]["skipped"] == 2
    code, out, _ = run(capsys, "catalogs", "list")
    assert code == 0 and "shop  [vae]  4 images, 2 skipped\n" in out


def test_a_new_catalog_of_an_empty_folder_warns_and_loads_no_model(capsys, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    code, out, err = run(capsys, "index", "--mode", "product", "--catalog", "nothing", str(empty), "--json")
    report = json.loads(out)
    assert code == 0 and (report["indexed"], report["model_loaded"], report["no_images"]) == (0, False, [str(empty)])
    assert f"warning: no images found in {empty} (JPEG, PNG, " in err and "loading the" not in err
    assert "up to date" not in err and "no images found\n" in err  # the progress line's last word


def test_a_new_catalogs_folders_are_its_folders_added(capsys, tmp_path):
    """`index --json` of a new catalog: the folders it is made of joined it ("folders_added" was
    {}), with their images counted; not said one by one (the summary says what was indexed)."""
    shop, more = tmp_path / "shop", tmp_path / "more"
    for folder, files in ((shop, range(0, 2)), (more, range(2, 5))):
        folder.mkdir()
        for src in [sorted((CLOTHING_DIR / "images").glob("*.jpg"))[i] for i in files]:
            shutil.copy(src, folder / src.name)
    code, out, err = run(capsys, "index", "--mode", "vae", "--catalog", "new", str(shop), str(more), "--json")
    report = json.loads(out)
    assert code == 0 and report["indexed"] == 5
    assert report["folders_added"] == {str(shop): 2, str(more): 3} and report["created"] is True
    assert "added from" not in err
    code, out, err = run(capsys, "index", "--mode", "vae", "--catalog", "new", "--json")  # a plain update
    assert json.loads(out)["folders_added"] == {} and json.loads(out)["created"] is False


def test_a_folder_of_no_images_is_not_added_to_a_catalog_and_a_folder_added_is_said(capsys, tmp_path):
    """`index --catalog EXISTING FOLDER`: a folder with no image in it is not kept (it would be
    said later as a disk not mounted), one there already is said, one added says how many images:
    a note, even when its name has "not added" in it (the kind was once guessed from the words)."""
    shop, more, empty = tmp_path / "shop", tmp_path / "not added yet", tmp_path / "empty"
    for folder, files in ((shop, range(0, 2)), (more, range(2, 5))):
        folder.mkdir()
        for src in [sorted((CLOTHING_DIR / "images").glob("*.jpg"))[i] for i in files]:
            shutil.copy(src, folder / src.name)
    empty.mkdir()
    assert run(capsys, "index", "--mode", "vae", "--catalog", "c", str(shop))[0] == 0
    code, out, err = run(capsys, "index", "--mode", "vae", "--catalog", "c", str(empty), str(shop), str(more),
                         "--json")
    report = json.loads(out)
    assert code == 0 and report["indexed"] == 5 and report["no_images"] == []
    assert (report["folders_not_added"], report["folders_already"], report["folders_added"]) == (
        [str(empty)], [str(shop)], {str(more): 3})
    assert (f"warning: {empty} holds no images (JPEG, PNG, WebP, AVIF, GIF, BMP, TIFF, PPM/PGM/PBM, ICO, TGA; "
            "searched with its subfolders): not added") in err
    assert f"note: {shop} is already a folder of the catalog “c”: its new images are indexed" in err
    assert f"note: 3 images added from {more}" in err and "warning: 3 images added" not in err
    [listed] = json.loads(run(capsys, "catalogs", "list", "--json")[1])
    assert listed["folders"] == [str(shop), str(more)] and not listed["missing_folders"]
    # Run again to update it: every folder given is the catalog's, which is no news.
    code, out, err = run(capsys, "index", "--catalog", "c", str(shop), str(more), "--json")
    assert code == 0 and json.loads(out)["folders_already"] == [str(shop), str(more)]
    assert "already a folder" not in err, err
    # A catalog whose folders were all forgotten refuses a folder of no images too (it took it,
    # to say it later as a disk not mounted).
    for folder in (shop, more):
        assert run(capsys, "catalogs", "remove-folder", "c", str(folder))[0] == 0
    code, out, err = run(capsys, "index", "--catalog", "c", str(empty), "--json")
    assert code == 0 and json.loads(out)["folders_not_added"] == [str(empty)]
    assert f"warning: {empty} holds no images (" in err and "not added" in err
    [listed] = json.loads(run(capsys, "catalogs", "list", "--json")[1])
    assert listed["folders"] == [] and not listed["missing_folders"]


def test_search_of_a_catalog_with_no_folder_left_says_so_before_loading_a_model(capsys, photos):
    assert run(capsys, "index", "--mode", "product", "--catalog", "c", str(photos))[0] == 0
    assert run(capsys, "catalogs", "remove-folder", "c", str(photos))[0] == 0
    code, _, err = run(capsys, "search", "--catalog", "c", str(photos / os.listdir(photos)[0]))
    assert code == 2 and "loading the" not in err
    assert ("catalog 'c' has no folders; add some with `vsdesk index --mode product --catalog c FOLDER`, or remove it "
            "with `vsdesk catalogs remove c`") in err


def test_a_folder_forgotten_then_added_back_reuses_its_vectors_even_after_runs_in_between(capsys, photos, tmp_path):
    """`catalogs remove-folder` then `index --catalog NAME FOLDER` embeds nothing again, whether
    or not index runs came in between (they dropped the vectors no file used: all re-embedded)."""
    other = copy_images(sorted((CLOTHING_DIR / "images").glob("*.jpg"))[30:36], tmp_path / "other")
    assert run(capsys, "index", "--mode", "vae", "--catalog", "c", str(photos), str(other))[0] == 0
    for runs_between in (0, 2):
        assert run(capsys, "catalogs", "remove-folder", "c", str(photos))[0] == 0
        for _ in range(runs_between):
            code, out, err = run(capsys, "index", "--catalog", "c", "--json")
            assert code == 0 and json.loads(out)["indexed"] == 6, err  # its photos no longer searched
        code, out, err = run(capsys, "index", "--catalog", "c", str(photos), "--json")
        report = json.loads(out)
        assert code == 0 and (report["added"], report["indexed"]) == (30, 36), err
        assert (report["embedded"], report["reused"]) == (0, 30), (runs_between, err)


def _one_photo_twice(folder: Path) -> tuple[Path, Path]:
    """``folder`` holding one clothing photo under two names (a.jpg, b.jpg: the same bytes),
    and that photo (from outside it)."""
    folder.mkdir()
    photo = sorted((CLOTHING_DIR / "images").glob("*.jpg"))[5]
    for name in ("a.jpg", "b.jpg"):
        shutil.copy(photo, folder / name)
    return folder, photo


def test_a_search_whose_only_matches_are_copies_of_the_query_says_so(capsys, tmp_path):
    """The catalog holds the query twice (two names, the same bytes): search printed the header
    and no result line, `--json` gave "results": [] with nothing to say why."""
    twins, photo = _one_photo_twice(tmp_path / "twins")
    assert run(capsys, "index", "--mode", "vae", "--catalog", "twins", str(twins))[0] == 0
    code, out, err = run(capsys, "search", "--mode", "vae", "--catalog", "twins", str(twins / "a.jpg"))
    assert code == 0, err
    # Files, as the window's catalog line counts them (it said "2 images" of one photo).
    assert out.startswith(f"{twins / 'a.jpg'}  (catalog twins, 1 image (2 paths))\n")
    # One file at two paths is one copy, as -k counts it one result (the review: it said 2).
    # ... and which (the query's own file needs no word).
    assert out.endswith("\n  no other images: 1 copy of the query left out\n"
                        f"  left out as a copy of the query: {twins / 'b.jpg'} (the same bytes)\n\n"), out
    code, out, err = run(capsys, "search", "--mode", "vae", "--catalog", "twins", "--json", str(twins / "a.jpg"), str(photo))
    [inside, outside] = json.loads(out)
    assert code == 0 and (inside["results"], inside["copies_left_out"]) == ([], 1)
    assert (outside["results"], outside["copies_left_out"]) == ([], 1)  # a copy from elsewhere: by content
    # A query of other content finds both, and leaves nothing out (the key is always there).
    code, out, _ = run(capsys, "search", "--mode", "vae", "--catalog", "twins", "--json", str(STYLE_DIR / "s_cubism-01.jpg"))
    [other] = json.loads(out)
    assert other["copies_left_out"] == 0
    # one file under two names: one result, its other name in "also"
    [found] = other["results"]
    assert {found["path"], *found["also"]} == {str(twins / "a.jpg"), str(twins / "b.jpg")}


def test_the_same_picture_in_other_bytes_is_left_out_as_a_copy_of_the_query(capsys, tmp_path):
    """The review: a pasted image whose pixels were a catalog image's came back as its own #1
    at 1.000 (only copies with the same bytes were left out). The same picture in other bytes
    (a PNG saved again, as the window's paste makes one) is the model's same vector: a copy of
    the query, in `vsdesk search` as in the window (the engine's one query pipeline)."""
    from PIL import Image

    shop = tmp_path / "shop"
    shop.mkdir()
    for photo in sorted((CLOTHING_DIR / "images").glob("*.jpg"))[:3]:
        Image.open(photo).convert("RGB").save(shop / f"{photo.stem}.png", compress_level=9)
    first = sorted(shop.iterdir())[0]
    again = tmp_path / "again.png"
    Image.open(first).save(again, compress_level=1)
    assert again.read_bytes() != first.read_bytes()  # not a copy by content hash
    assert run(capsys, "index", "--mode", "vae", "--catalog", "shop", str(shop))[0] == 0
    code, out, err = run(capsys, "search", "--catalog", "shop", "--json", str(again))
    [record] = json.loads(out)
    assert code == 0, err
    assert record["copies_left_out"] == 1 and str(first) not in [hit["path"] for hit in record["results"]]
    assert len(record["results"]) == 2
    assert record["copies_left_out_paths"] == [{"path": str(first), "same": "vector"}]


def test_the_style_sample_offline_says_so_in_words_and_what_to_do(capsys, tmp_path, monkeypatch):
    """The review: offline, with VSDESK_STYLE_MIRROR unset, getting the style sample said
    "download failed ([Errno -2] Name or service not known)". The network is faked at its
    boundary: the download site's name cannot be looked up."""
    import socket

    def offline(host, *args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setenv("VSDESK_CACHE_DIR", str(tmp_path / "cache"))  # no sample here yet
    monkeypatch.delenv("VSDESK_STYLE_MIRROR", raising=False)
    monkeypatch.setattr(socket, "getaddrinfo", offline)
    code, _, err = run(capsys, "search", "--catalog", "style-artworks", str(STYLE_DIR / "s_cubism-01.jpg"))
    assert code == 1
    assert ("vsdesk: cannot download the style sample's paintings: no internet connection (Name or service not "
            "known); without internet, point VSDESK_STYLE_MIRROR at a folder holding the 32 artworks, or search "
            "your own pictures: `vsdesk index --mode style --catalog NAME FOLDER`\n") in err
    assert "Errno" not in err


def test_weak_match_is_null_where_the_mode_has_no_threshold(capsys, tmp_path):
    """The review: "weak_match": false in VAE (and product) results even with a best score of
    0.47, which reads as "the match is fine", when only style has a measured threshold. The key
    is kept, null: nothing was measured to tell; the text says nothing of it either way."""
    shop = copy_images(sorted((CLOTHING_DIR / "images").glob("*.jpg"))[:3], tmp_path / "shop")
    assert run(capsys, "index", "--mode", "vae", "--catalog", "shop", str(shop))[0] == 0
    query = STYLE_DIR / "s_cubism-01.jpg"  # a painting among garments: far from all of them
    code, out, err = run(capsys, "search", "--catalog", "shop", "--json", str(query))
    assert code == 0, err
    [record] = json.loads(out)
    assert "weak_match" in record and record["weak_match"] is None and len(record["results"]) == 3
    code, out, err = run(capsys, "search", "--catalog", "shop", str(query))
    assert code == 0 and "low similarity" not in out


def test_a_crop_whose_painting_the_model_sees_as_the_crop_names_the_painting_left_out(capsys, tmp_path):
    """The review: a centre crop (80 %) of a painting of 400 px or less gives style's centre
    window the same 224 x 224 pixels, hence the painting's own vector: the painting was left
    out as a copy of the query, and only --json's count said anything. It is still left out (a
    re-saved copy must not be the first result at 1.000), but named, in --json and in the text;
    the query's own file, when it is a catalog item, is not named."""
    from PIL import Image

    art = copy_images(sorted(STYLE_DIR.glob("s_*.jpg"))[:4], tmp_path / "art")
    painting = art / "s_cubism-01.jpg"
    with Image.open(painting) as image:
        assert max(image.size) <= 400
        w, h = image.size
        crop = image.convert("RGB").crop((w // 10, h // 10, w - w // 10, h - h // 10))
    query = tmp_path / "crop80.png"
    crop.save(query)
    assert run(capsys, "index", "--mode", "style", "--catalog", "art", str(art))[0] == 0
    code, out, err = run(capsys, "search", "--catalog", "art", "--json", str(query), str(painting))
    assert code == 0, err
    cropped, own = json.loads(out)
    assert str(painting) not in [hit["path"] for hit in cropped["results"]] and len(cropped["results"]) == 3
    assert cropped["copies_left_out"] == 1
    assert cropped["copies_left_out_paths"] == [{"path": str(painting), "same": "vector"}]
    assert own["copies_left_out_paths"] == [{"path": str(painting), "same": "path"}]
    code, out, err = run(capsys, "search", "--catalog", "art", str(query), str(painting))
    assert code == 0, err
    for_crop, for_painting = out.split("\n\n")[:2]
    assert (f"left out as a copy of the query: {painting} (the same picture to the model: its vector is the "
            "query's)") in for_crop
    assert "left out" not in for_painting


def test_identical_files_are_one_result_also_at_their_other_places(capsys, tmp_path):
    """The review: a folder backup/ of links to the same photos put every photo twice in the
    results, next to each other with the same score. A file is listed once, with "also" (the
    other paths of the same bytes) in --json and "also at" in the text; k counts files."""
    shop = tmp_path / "shop"
    photos = copy_images(sorted((CLOTHING_DIR / "images").glob("*.jpg"))[40:46], shop / "clothing")
    (shop / "backup").mkdir()
    for photo in sorted(photos.iterdir())[:4]:
        (shop / "backup" / photo.name).symlink_to(photo)
    shutil.copy(sorted(photos.iterdir())[0], shop / "backup" / "renamed.jpg")  # a copy under another name
    assert run(capsys, "index", "--mode", "vae", "--catalog", "shop", str(shop))[0] == 0
    query = str(sorted((CLOTHING_DIR / "images").glob("*.jpg"))[60])
    code, out, err = run(capsys, "search", "--catalog", "shop", "--json", "-k", "5", query)
    assert code == 0, err
    [record] = json.loads(out)
    results = record["results"]
    assert [hit["rank"] for hit in results] == [1, 2, 3, 4, 5]  # five files, none of them twice
    # the keys as before, "also", and "copies" (other files of the same picture: test_search_copies)
    assert set(results[0]) == {"rank", "path", "score", "label", "also", "copies"}
    files = sorted(photos.iterdir())
    groups = [frozenset({str(photo)} | ({str(shop / "backup" / photo.name)} if i < 4 else set())
                        | ({str(shop / "backup" / "renamed.jpg")} if i == 0 else set())) for i, photo in enumerate(files)]
    found = [frozenset([hit["path"], *hit["also"]]) for hit in results]
    assert len(set(found)) == 5 and set(found) <= set(groups), found  # each file once, with all its places
    code, out, err = run(capsys, "search", "--catalog", "shop", "-k", "6", query)
    assert code == 0 and out.count("also at ") == 5, out  # 4 links and 1 copy, under their files
    assert len([line for line in out.splitlines() if line.strip()[:2].rstrip(".").isdigit()]) == 6
    # The review: the path shown was whichever ranked first (backup/, first in path order). It is
    # the real file, not a link to it, and the original, not its later copy; the rest in "also".
    code, out, err = run(capsys, "search", "--catalog", "shop", "--json", "-k", "6", query)
    [record] = json.loads(out)
    assert code == 0 and {hit["path"] for hit in record["results"]} == {str(photo) for photo in files}
    assert {path for hit in record["results"] for path in hit["also"]} == (
        {str(shop / "backup" / photo.name) for photo in files[:4]} | {str(shop / "backup" / "renamed.jpg")})
    # A query whose file the catalog holds at 3 paths (a link, a copy) is one file left out, as
    # -k counts files (it said 3).
    code, out, err = run(capsys, "search", "--catalog", "shop", "--json", str(shop / "backup" / "renamed.jpg"))
    [record] = json.loads(out)
    assert code == 0 and record["copies_left_out"] == 1 and len(record["results"]) == 5
    assert str(files[0]) not in {path for hit in record["results"] for path in [hit["path"], *hit["also"]]}


def test_a_search_kept_to_a_type_whose_only_matches_are_copies_of_the_query_says_so(capsys, tmp_path):
    """The catalog holds the query twice (the same bytes) and nothing else: copies_left_out
    counts one file, and the catalog's size was counted in rows (2 > 1), so --same-class said
    "no other images of the type T", as if other images were of another type."""
    twins, _ = _one_photo_twice(tmp_path / "twins")
    assert run(capsys, "index", "--mode", "product", "--catalog", "twins", str(twins))[0] == 0
    code, out, err = run(capsys, "search", "--mode", "product", "--catalog", "twins", "--same-class",
                         str(twins / "a.jpg"))
    assert code == 0, err
    assert out.endswith("\n  no other images: 1 copy of the query left out\n"
                        f"  left out as a copy of the query: {twins / 'b.jpg'} (the same bytes)\n\n"), out


def test_a_search_with_no_result_line_says_why_in_each_case():
    from vsdesk.cli._search_text import why_no_results

    assert why_no_results({"copies_left_out": 1}, 1) == "no other images: 1 copy of the query left out"
    # --same-class: the catalog's other images are of other types.
    assert why_no_results({"copies_left_out": 1, "same_class": "Shoes"}, 5) == (
        "no other images of the type Shoes (1 copy of the query left out)")
    assert why_no_results({"copies_left_out": 0, "same_class": "Shoes"}, 5) == "no other images of the type Shoes"
    assert why_no_results({"copies_left_out": 0}, 0) == "no images in the catalog"


def test_a_moved_folder_indexed_again_lists_each_image_once_and_says_what_to_drop(capsys, photos, tmp_path):
    """`mv photos moved/photos`, then `vsdesk index --catalog shop moved/photos`: every image was
    listed twice by search (the moved path and the old one, gone, with the same score)."""
    assert run(capsys, "index", "--mode", "vae", "--catalog", "shop", str(photos))[0] == 0
    moved = tmp_path / "moved" / "photos"
    moved.parent.mkdir()
    photos.rename(moved)
    code, out, err = run(capsys, "index", "--mode", "vae", "--catalog", "shop", str(moved), "--json")
    report = json.loads(out)
    assert code == 0 and (report["indexed"], report["moved"], report["added"], report["kept"]) == (30, 30, 0, 0), err
    assert report["found_elsewhere"] == [{"folder": str(photos), "kind": "missing-folder", "images": 30, "moved": 30,
                                          "found_in": [str(moved)]}]
    assert report["missing_without_images"] == [str(photos)] and report["embedded"] == 0
    # (the folder's message does not say its entries are kept: none is)
    assert [f["message"] for f in report["missing_folders"]] == [
        "the folder does not exist or is not mounted; the catalog holds none of its images"]
    assert report["model_loaded"] is False  # known content, broken.jpg too: no model needed
    assert [s["path"] for s in report["skipped"]] == [str(moved / "broken.jpg")]
    assert f"; 30 images of {photos} (missing) found in {moved}: counted as moved" in err
    drop = (f"the catalog holds none of its images; `vsdesk catalogs remove-folder shop {photos}` drops it from the "
            "catalog")
    assert f"  note: {photos} is missing (moved, deleted, or on a disk that is not mounted?); {drop}" in err

    query = sorted(moved.glob("*.jpg"))[1]
    code, out, err = run(capsys, "search", "--mode", "vae", "--catalog", "shop", str(query), "-k", "40", "--json")
    [record] = json.loads(out)
    paths = [r["path"] for r in record["results"]]
    assert code == 0 and len(paths) == len(set(paths)) == 29  # each once, none at the old place
    assert all(p.startswith(str(moved)) for p in paths)
    assert record["catalog_missing_without_images"] == [str(photos)] and f"{drop}" in err
    code, out, _ = run(capsys, "catalogs", "list")
    assert f"    {photos}\n      note: missing (moved, deleted, or on a disk that is not mounted?); {drop}\n" in out
    code, out, _ = run(capsys, "catalogs", "list", "--json")
    assert json.loads(out)[0]["missing_without_images"] == [str(photos)]
    code, _, err = run(capsys, "catalogs", "remove-folder", "shop", str(photos))
    assert code == 0 and "0 images forgotten" in err
    assert json.loads(run(capsys, "catalogs", "list", "--json")[1])[0]["folders"] == [str(moved)]


def test_image_links_away_are_counted_apart_from_the_folders_away(capsys, tmp_path):
    """``pictures/cover.jpg -> usb/cover.jpg`` and ``pictures/cut.jpg -> usb/cut.jpg`` (a file
    that does not decode: skipped), with ``pictures/trip -> disk/trip``, both disks unplugged:
    the summary said the trip's images one too few (it took one image per link away), and the
    note of a link said "forgets them" of its one entry. ``kept_by_links`` is the links' share."""
    images = sorted((CLOTHING_DIR / "images").glob("*.jpg"))
    pictures, usb, trip = tmp_path / "pictures", tmp_path / "usb", tmp_path / "disk" / "trip"
    for folder in (pictures, usb, trip):
        folder.mkdir(parents=True)
    for src in images[:4]:
        shutil.copy(src, pictures / src.name)
    for src in images[40:43]:
        shutil.copy(src, trip / src.name)
    shutil.copy(images[50], usb / "cover.jpg")
    (usb / "cut.jpg").write_bytes(b"not an image" * 50)
    for name in ("cover.jpg", "cut.jpg"):
        os.symlink(usb / name, pictures / name)
    os.symlink(trip, pictures / "trip")
    code, out, err = run(capsys, "index", "--mode", "vae", "--catalog", "shop", str(pictures), "--json")
    assert code == 0 and (json.loads(out)["indexed"], len(json.loads(out)["skipped"])) == (8, 1), err

    usb.rename(tmp_path / "usb-unplugged")
    (tmp_path / "disk").rename(tmp_path / "disk-unplugged")
    code, out, err = run(capsys, "index", "--mode", "vae", "--catalog", "shop", "--json")
    report = json.loads(out)
    assert code == 0 and (report["indexed"], report["removed"], report["kept"], report["kept_by_links"]) == (8, 0, 4, 1)
    assert ("; 1 folder away (missing): its 3 images kept as they were; 2 image links away (their disks are not "
            "mounted?): their entries are kept") in err
    assert (f"  note: {pictures / 'cut.jpg'}: the link leads to {usb / 'cut.jpg'}, in a folder that does not exist "
            "or is not mounted; its entry is kept. Deleting the link forgets its entry at the next index run") in err
    assert (f"  note: {pictures / 'trip'}: the linked folder leads to {trip}, which does not exist or is not "
            "mounted; its index entries are kept. Deleting the link forgets them at the next index run") in err


def test_catalogs_list_and_search_say_image_links_away_with_a_json_key_of_their_own(capsys, tmp_path):
    """``pictures/cover.jpg -> usb/cover.jpg`` and ``pictures/cut.jpg -> usb/cut.jpg`` (it does
    not decode: skipped), the disk unplugged after the run: `catalogs list` and `search` said
    nothing of them (the skipped one only counted as "skipped"), where they say folders away."""
    images = sorted((CLOTHING_DIR / "images").glob("*.jpg"))
    pictures, usb = tmp_path / "pictures", tmp_path / "usb"
    copy_images(images[:4], pictures)
    usb.mkdir()
    shutil.copy(images[50], usb / "cover.jpg")
    (usb / "cut.jpg").write_bytes(b"not an image" * 50)
    for name in ("cover.jpg", "cut.jpg"):
        os.symlink(usb / name, pictures / name)
    code, out, err = run(capsys, "index", "--mode", "vae", "--catalog", "shop", str(pictures), "--json")
    assert code == 0 and json.loads(out)["indexed"] == 5, err
    usb.rename(tmp_path / "usb-unplugged")
    links = [str(pictures / "cover.jpg"), str(pictures / "cut.jpg")]

    code, out, _ = run(capsys, "catalogs", "list")
    assert code == 0 and "shop  [vae]  5 images, 1 skipped\n" in out
    assert (f"    {pictures}\n      note: 2 image links away (their disks are not mounted?): their entries are kept; "
            f"deleting a link forgets its entry at the next index run:\n        {links[0]}\n        {links[1]}\n") in out
    code, out, _ = run(capsys, "catalogs", "list", "--json")
    [listed] = json.loads(out)
    assert (listed["image_links_away"], listed["missing_folders"]) == (links, [])
    query = images[0]
    code, out, err = run(capsys, "search", "--mode", "vae", "--catalog", "shop", str(query), "--json")
    [record] = json.loads(out)
    assert code == 0 and (record["catalog_image_links_away"], record["catalog_missing_folders"]) == (links, [])
    assert (f"note: in catalog 'shop', 2 image links away (their disks are not mounted?): their entries are kept; "
            f"deleting a link forgets its entry at the next index run ({links[0]}, {links[1]})") in err

    (tmp_path / "usb-unplugged").rename(usb)  # plugged in again: nothing said
    code, out, _ = run(capsys, "catalogs", "list")
    assert "image link" not in out
    assert json.loads(run(capsys, "catalogs", "list", "--json")[1])[0]["image_links_away"] == []


def test_a_folder_forgotten_counts_its_files_once_each_as_search_does(capsys, tmp_path):
    """A folder of 3 photos and a folder of links to them (6 paths): `catalogs remove-folder`
    said "6 images forgotten" of 3 files; it counts them as `search` and the window do."""
    shop = copy_images(sorted((CLOTHING_DIR / "images").glob("*.jpg"))[:3], tmp_path / "shop" / "photos")
    (shop.parent / "backup").mkdir()
    for photo in sorted(shop.iterdir()):
        (shop.parent / "backup" / photo.name).symlink_to(photo)
    assert run(capsys, "index", "--mode", "vae", "--catalog", "shop", str(shop.parent))[0] == 0
    code, out, err = run(capsys, "catalogs", "remove-folder", "shop", str(shop.parent), "--json")
    assert code == 0 and "(3 images (6 paths) forgotten)" in err, err
    assert json.loads(out)["forgotten"] == 6  # (the JSON's count of the index's entries, as before)
    assert len(list(shop.iterdir())) == 3  # the files untouched


def test_a_linked_folder_on_an_unplugged_disk_keeps_its_images_and_is_said(capsys, tmp_path):
    """``pictures/trip -> usb/trip``: the disk unplugged, an index run (or opening the catalog in
    the window) dropped the trip's images, and embedded them all again once it was back."""
    images = sorted((CLOTHING_DIR / "images").glob("*.jpg"))
    pictures, trip = tmp_path / "pictures", tmp_path / "usb" / "trip"
    pictures.mkdir()
    trip.mkdir(parents=True)
    for src in images[:4]:
        shutil.copy(src, pictures / src.name)
    for src in images[40:43]:
        shutil.copy(src, trip / src.name)
    os.symlink(trip, pictures / "trip")
    os.symlink(tmp_path / "card" / "dcim", pictures / "camera")  # led nowhere from the start: no note
    code, out, err = run(capsys, "index", "--mode", "vae", "--catalog", "shop", str(pictures), "--json")
    assert code == 0 and json.loads(out)["indexed"] == 7, err

    (tmp_path / "usb").rename(tmp_path / "unplugged")
    code, out, err = run(capsys, "index", "--mode", "vae", "--catalog", "shop", "--json")
    report = json.loads(out)
    assert code == 0 and (report["indexed"], report["removed"], report["kept"], report["skipped"]) == (7, 0, 3, [])
    assert [(f["path"], f["kind"]) for f in report["missing_folders"]] == [(str(pictures / "trip"), "missing-folder")]
    assert (f"  note: {pictures / 'trip'}: the linked folder leads to {trip}, which does not exist or is not "
            "mounted; its index entries are kept. Deleting the link forgets them at the next index run") in err
    assert "1 folder away (missing): its 3 images kept as they were" in err and "camera" not in err
    code, out, err = run(capsys, "search", "--mode", "vae", "--catalog", "shop", str(images[40]), "--json")
    [record] = json.loads(out)
    found = [r["path"] for r in record["results"] if r["path"].startswith(str(pictures / "trip"))]
    assert code == 0 and len(found) == 2  # still searched (the trip's three, less the query itself)
    assert record["catalog_changed_folders"] == [] and "has changed" not in err  # unplugged is no change
    # Said by search too, as it says a catalog folder away (it said nothing of a linked one).
    assert record["catalog_missing_folders"] == [str(pictures / "trip")] and "camera" not in err
    assert record["catalog_missing_folder_kinds"] == {str(pictures / "trip"): "missing-folder"}
    assert (f"note: {pictures / 'trip'} (in a folder of catalog 'shop') is missing (moved, deleted, or on a disk that "
            "is not mounted?); its images are still searched. Deleting the link forgets them at the next index "
            "run") in err
    code, out, _ = run(capsys, "catalogs", "list", "--json")
    assert json.loads(out)[0]["missing_folder_kinds"] == {str(pictures / "trip"): "missing-folder"}

    (tmp_path / "unplugged").rename(tmp_path / "usb")  # plugged in again
    code, out, err = run(capsys, "index", "--mode", "vae", "--catalog", "shop", "--json")
    back = json.loads(out)
    assert code == 0 and (back["unchanged"], back["embedded"], back["missing_folders"]) == (7, 0, [])
    code, out, err = run(capsys, "search", "--mode", "vae", "--catalog", "shop", str(images[40]), "--json")
    assert code == 0 and json.loads(out)[0]["catalog_missing_folders"] == [] and "note" not in err


def test_a_disk_mounted_in_a_catalog_folder_and_unmounted_keeps_its_images_and_is_said(capsys, tmp_path, mount_disk):
    """``pictures/archive`` is a disk's mount point: unmounted, it is an empty folder, and the
    next index run dropped every image on it (all embedded again once it was mounted again)."""
    images = sorted((CLOTHING_DIR / "images").glob("*.jpg"))
    pictures, archive = tmp_path / "pictures", tmp_path / "pictures" / "archive"
    archive.mkdir(parents=True)
    os.utime(archive, ns=(1_600_000_000 * 10**9,) * 2)  # the mount point, made long before the disk's files
    for src in images[:4]:
        shutil.copy(src, pictures / src.name)
    mount_disk(archive)
    for src in images[40:43]:
        shutil.copy(src, archive / src.name)
    code, out, err = run(capsys, "index", "--mode", "vae", "--catalog", "shop", str(pictures), "--json")
    assert code == 0 and json.loads(out)["indexed"] == 7, err
    disk = tmp_path / "disk-contents"  # (a tmpfs is gone with its files: kept here for "the same disk")
    shutil.copytree(archive, disk)

    mount_disk.unmount(archive)
    said = f"{archive} (in a folder of catalog 'shop') is empty (a disk that is not mounted?); its images are still "
    code, out, err = run(capsys, "search", "--mode", "vae", "--catalog", "shop", str(images[40]), "--json")
    [record] = json.loads(out)
    assert code == 0 and f"note: {said}searched. Deleting the empty folder forgets them at the next index run" in err
    assert (record["catalog_missing_folders"], record["catalog_missing_folder_kinds"]) == (
        [str(archive)], {str(archive): "empty-folder"})
    assert record["catalog_changed_folders"] == [] and "has changed" not in err  # unmounted is no change
    assert len([r for r in record["results"] if r["path"].startswith(str(archive))]) == 2  # still searched

    code, out, err = run(capsys, "index", "--mode", "vae", "--catalog", "shop", "--json")
    report = json.loads(out)
    assert code == 0 and (report["indexed"], report["removed"], report["kept"], report["skipped"]) == (7, 0, 3, [])
    assert [(f["path"], f["kind"]) for f in report["missing_folders"]] == [(str(archive), "empty-folder")]
    assert (f"  note: {archive}: a disk was mounted on this folder, which is empty now (the disk is not mounted?); "
            "its index entries are kept. Deleting the empty folder forgets them at the next index run") in err
    assert "1 folder away (empty): its 3 images kept as they were" in err
    code, out, _ = run(capsys, "catalogs", "list")
    assert (f"    {pictures}\n      note: {archive} is empty (a disk that is not mounted?); its images are kept and "
            "still searched. Deleting the empty folder forgets them at the next index run\n") in out

    mount_disk(archive)  # mounted again, the same files
    shutil.copytree(disk, archive, dirs_exist_ok=True)
    code, out, err = run(capsys, "index", "--mode", "vae", "--catalog", "shop", "--json")
    back = json.loads(out)
    assert code == 0 and (back["unchanged"], back["embedded"], back["missing_folders"]) == (7, 0, [])


def test_a_folder_turned_file_and_an_empty_folder_are_said_as_what_they_are(capsys, tmp_path):
    """Not "missing" for all: a file where a catalog folder was, and a folder that is there but
    empty (the mount point of a disk that is not mounted), are each said as such by `search`,
    `catalogs list` and the index run."""
    images = sorted((CLOTHING_DIR / "images").glob("*.jpg"))
    here, filed, emptied = (tmp_path / name for name in ("here", "filed", "emptied"))
    for folder, part in ((here, images[:4]), (filed, images[4:6]), (emptied, images[6:8])):
        folder.mkdir()
        for src in part:
            shutil.copy(src, folder / src.name)
    assert run(capsys, "index", "--mode", "vae", "--catalog", "c", str(here), str(filed), str(emptied))[0] == 0
    shutil.rmtree(filed)
    filed.write_text("a file where the folder was")
    for image in emptied.iterdir():
        image.unlink()  # the disk's mount point, left empty
    kinds = {str(filed): "not-a-folder", str(emptied): "empty-folder"}

    code, out, err = run(capsys, "search", "--mode", "vae", "--catalog", "c", str(images[0]), "-k", "10", "--json")
    assert code == 0 and "missing" not in err
    assert f"note: {filed} (a folder of catalog 'c') is a file now, not a folder; its images are still searched" in err
    assert f"note: {emptied} (a folder of catalog 'c') is empty (a disk that is not mounted?); its images" in err
    [record] = json.loads(out)
    assert record["catalog_missing_folders"] == [str(filed), str(emptied)]
    assert record["catalog_missing_folder_kinds"] == kinds and len(record["results"]) == 7  # all kept, less the query

    code, out, _ = run(capsys, "catalogs", "list", "--json")
    [listed] = json.loads(out)
    assert (listed["missing_folders"], listed["missing_folder_kinds"]) == ([str(filed), str(emptied)], kinds)
    code, out, _ = run(capsys, "catalogs", "list")
    assert code == 0 and "missing" not in out
    assert f"    {filed}\n      note: a file now, not a folder; its images are kept and still searched. " in out
    assert f"    {emptied}\n      note: empty (a disk that is not mounted?); its images are kept" in out

    code, out, err = run(capsys, "index", "--mode", "vae", "--catalog", "c", "--json")
    assert code == 0 and "2 folders away (1 a file now, 1 empty): their 4 images kept as they were" in err
    assert {f["path"]: f["kind"] for f in json.loads(out)["missing_folders"]} == kinds


def test_index_of_a_new_name_without_folders_and_a_name_differing_only_in_case(capsys, photos):
    code, _, err = run(capsys, "index", "--mode", "vae", "--catalog", "newcat")
    assert code == 2 and "no catalog named 'newcat' yet: give the folders to index" in err
    assert run(capsys, "index", "--mode", "vae", "--catalog", "shop", str(photos))[0] == 0
    code, _, err = run(capsys, "index", "--mode", "vae", "--catalog", "SHOP", str(photos))
    assert code == 2 and "a catalog named 'shop' already exists" in err


def test_a_catalog_folder_left_without_settings_is_no_dead_end(capsys, photos):
    from vsdesk.engine.catalog import catalog_location

    catalog_location("shop").mkdir(parents=True)  # a crash between mkdir and writing catalog.json
    code, out, _ = run(capsys, "catalogs", "list")
    assert code == 0 and "shop  [?]  problem: catalog 'shop' has no settings file" in out
    code, _, err = run(capsys, "search", "--mode", "vae", "--catalog", "shop", str(sorted(photos.glob("*.jpg"))[0]))
    assert code == 2 and "`vsdesk catalogs remove shop` removes what is left of it" in err
    code, _, err = run(capsys, "index", "--mode", "vae", "--catalog", "shop", str(photos))
    assert code == 0 and "differing only in case" not in err, err
    (catalog_location("shop") / "catalog.json").unlink()  # an interrupted `catalogs remove`
    code, _, err = run(capsys, "catalogs", "remove", "shop")
    assert code == 0 and not catalog_location("shop").exists()
    assert run(capsys, "catalogs", "list", "--json")[1] == "[]\n"


def test_an_index_run_refused_because_another_indexes_the_catalog_changes_nothing(capsys, photos, tmp_path):
    import fcntl

    from vsdesk.engine.catalog import Catalog

    assert run(capsys, "index", "--mode", "vae", "--catalog", "shop", str(photos))[0] == 0
    more = tmp_path / "more"
    more.mkdir()
    shutil.copy(sorted(photos.glob("*.jpg"))[0], more / "x.jpg")
    with Catalog.open("shop") as catalog, open(catalog.location / ".index.lock", "w") as lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)  # as another vsdesk's index run holds it
        code, _, err = run(capsys, "index", "--mode", "vae", "--catalog", "shop", str(more))
        # Exit 1: the same command works once the other run is done; and what to do meanwhile.
        assert code == 1 and ("catalog 'shop' is being indexed by another vsdesk process; wait for it to finish, or "
                              "search the catalog meanwhile (it holds 30 images so far)") in err, err
        # With --json a script tells "busy, try later" by a key, not by the words (error_kind as before).
        code, out, err = run(capsys, "index", "--mode", "vae", "--catalog", "shop", str(more), "--json")
        report = json.loads(out)
        assert (code, report["error_kind"], report["catalog_busy"]) == (1, "command-failed", True), out
    with Catalog.open("shop") as catalog:
        assert catalog.folders == [str(photos)]  # the refused run added nothing
    assert run(capsys, "index", "--mode", "vae", "--catalog", "shop", str(more))[0] == 0
    with Catalog.open("shop") as catalog:
        assert sorted(catalog.folders) == sorted([str(photos), str(more)]) and catalog.counts()[0] == 31


def test_a_search_while_another_process_indexes_the_catalog_says_its_results_are_partial(capsys, photos):
    import fcntl

    from vsdesk.engine.catalog import Catalog

    assert run(capsys, "index", "--mode", "vae", "--catalog", "shop", str(photos))[0] == 0
    query = str(sorted(photos.glob("*.jpg"))[0])
    code, out, err = run(capsys, "search", "--mode", "vae", "--catalog", "shop", query, "--json")
    assert code == 0 and "another vsdesk process" not in err
    [whole] = json.loads(out)
    assert (whole["catalog_partial"], whole["catalog_partial_reason"]) == (False, None)
    with Catalog.open("shop") as catalog, open(catalog.location / ".index.lock", "w") as lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)  # as another vsdesk's index run holds it
        code, again, err = run(capsys, "search", "--mode", "vae", "--catalog", "shop", query, "--json")
    [partial] = json.loads(again)
    assert code == 0 and partial["results"] == whole["results"]  # answered, from what is indexed
    assert "another vsdesk process is indexing catalog 'shop'; these results are from the 30 images" in err
    # --json says it too (it said nothing: a script could not tell)
    assert (partial["catalog_partial"], partial["catalog_partial_reason"]) == (True, "being-indexed")
    assert {k: v for k, v in partial.items() if not k.startswith("catalog_")} == \
        {k: v for k, v in whole.items() if not k.startswith("catalog_")}
    assert (whole["catalog_changed_folders"], partial["catalog_changed_folders"]) == ([], None)  # not looked at


def test_search_says_when_a_folder_changed_since_the_catalog_was_indexed(capsys, photos, tmp_path):
    assert run(capsys, "index", "--mode", "vae", "--catalog", "shop", str(photos))[0] == 0
    query = str(sorted(photos.glob("*.jpg"))[0])
    code, out, err = run(capsys, "search", "--mode", "vae", "--catalog", "shop", query, "--json")
    assert code == 0 and "has changed" not in err and json.loads(out)[0]["catalog_changed_folders"] == []
    (photos / "new").mkdir()
    shutil.copy(sorted((CLOTHING_DIR / "images").glob("*.jpg"))[50], photos / "new" / "added.jpg")
    code, out, err = run(capsys, "search", "--mode", "vae", "--catalog", "shop", query, "--json")
    assert code == 0 and json.loads(out)[0]["catalog_changed_folders"] == [str(photos)]
    assert (f"note: {photos} (a folder of catalog 'shop') has changed since the catalog was last indexed (images "
            "added, removed, renamed or written over); these results are from the index as it was. `vsdesk index "
            "--mode vae --catalog shop` brings it up to date") in err
    code, out, err = run(capsys, "search", "--mode", "vae", "--catalog", "shop", query)  # the text says it too
    assert code == 0 and "has changed since the catalog was last indexed" in err and "catalog_" not in out
    assert run(capsys, "index", "--mode", "vae", "--catalog", "shop")[0] == 0  # as the note says
    code, out, err = run(capsys, "search", "--mode", "vae", "--catalog", "shop", query, "--json")
    assert code == 0 and "has changed" not in err and json.loads(out)[0]["catalog_changed_folders"] == []
    # A file manager's .DS_Store is no change; an image saved again under its name is one.
    (photos / "new" / ".DS_Store").write_bytes(b"\0" * 4096)
    later = (photos / "new").stat().st_mtime_ns + 1_000_000_000  # (its folder's time moved, surely)
    os.utime(photos / "new", ns=(later, later))
    code, out, err = run(capsys, "search", "--mode", "vae", "--catalog", "shop", query, "--json")
    assert code == 0 and "has changed" not in err and json.loads(out)[0]["catalog_changed_folders"] == []
    with open(photos / "new" / "added.jpg", "r+b") as fp:  # written over, its folder's time as it was
        fp.write(sorted((CLOTHING_DIR / "images").glob("*.jpg"))[51].read_bytes())
    code, out, err = run(capsys, "search", "--mode", "vae", "--catalog", "shop", query, "--json")
    assert code == 0 and json.loads(out)[0]["catalog_changed_folders"] == [str(photos)]
    assert f"note: {photos} (a folder of catalog 'shop') has changed since" in err
    # Written over with its size and mtime put back (`cp -p`, `touch -r`): the next index run
    # reads it again (its change time moved); search said nothing and answered from the old entry.
    assert run(capsys, "index", "--mode", "vae", "--catalog", "shop")[0] == 0
    image = photos / "new" / "added.jpg"
    st, data = image.stat(), bytearray(image.read_bytes())
    data[len(data) // 2] ^= 0xFF
    image.write_bytes(bytes(data))
    os.utime(image, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert (image.stat().st_size, image.stat().st_mtime_ns) == (st.st_size, st.st_mtime_ns)
    code, out, err = run(capsys, "search", "--mode", "vae", "--catalog", "shop", query, "--json")
    assert code == 0 and json.loads(out)[0]["catalog_changed_folders"] == [str(photos)]
    assert f"note: {photos} (a folder of catalog 'shop') has changed since" in err


def test_search_of_a_sample_its_repair_changed_updates_the_index_itself(capsys, tmp_path, monkeypatch):
    """A sample folder is vsdesk's own: after its repair wrote files again (byte-identical),
    search brings the index up to date itself (nothing to embed) instead of telling the user
    to re-index it."""
    import csv

    from vsdesk.engine.catalog import Catalog

    monkeypatch.setenv("VSDESK_CACHE_DIR", str(tmp_path / "cache"))  # its own sample: damaged here
    query = str(sorted((CLOTHING_DIR / "images").glob("*.jpg"))[0])
    search = ("search", "--mode", "vae", "--catalog", "fashion-mnist", "-k", "3", query, "--json")
    code, out, _ = run(capsys, *search)  # indexes the new sample
    [before] = json.loads(out)
    folder = tmp_path / "cache" / "samples" / "fashion-mnist-test"
    rows = list(csv.DictReader(open(folder / "labels.csv", encoding="utf-8")))
    (folder / rows[13]["filename"]).unlink()
    (folder / rows[4000]["filename"]).write_bytes(b"\x89PNG cut short")
    code, out, err = run(capsys, *search)
    [after] = json.loads(out)
    assert code == 0 and "has changed" not in err and "`vsdesk index" not in err
    assert after["catalog_changed_folders"] == [] and after["results"] == before["results"]
    assert "0 added, 0 updated" in err and "(2 of them touched, same content)" in err  # the update it ran
    assert "embedded by the model" not in err
    with Catalog.open("fashion-mnist") as catalog:
        assert catalog.changed_folders() == [] and catalog.counts()[0] == 10000
    code, out, err = run(capsys, *search)  # nothing changed since: no index run at all
    assert code == 0 and "indexed:" not in err and "updated" not in err


def test_search_of_a_sample_whose_index_run_was_cut_off_finishes_it_itself(capsys):
    """A sample is vsdesk's own folder: a search finishes its first index run, cancelled half-way,
    and answers from the whole sample, rather than from part of it with a note to run `vsdesk
    index` on it; but not while another process is indexing it."""
    import fcntl

    from vsdesk.engine import samples
    from vsdesk.engine.catalog import Catalog, index_catalog
    from vsdesk.engine.modes import load_embedder
    from vsdesk.engine.tasks import CancelledError

    catalog = Catalog.open_or_create("style-artworks.vae", "vae", [str(samples.sample_folder("style-artworks"))])
    seen = []
    with catalog, pytest.raises(CancelledError):  # the window's cancel, after the first batch
        index_catalog(catalog, load_embedder("vae"), lambda done, total, message="": seen.append(done),
                      cancelled=lambda: max(seen, default=0) >= 8, batch_size=8)
    with Catalog.open("style-artworks.vae") as catalog:
        assert catalog.unfinished and 8 <= catalog.counts()[0] < 32
        so_far = catalog.counts()[0]
    search = ("search", "--mode", "vae", "--catalog", "style-artworks", "-k", "40",
              str(STYLE_DIR / "s_cubism-01.jpg"), "--json")

    with open(catalog.location / ".index.lock", "w") as lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)  # as another vsdesk's index run holds it
        code, out, err = run(capsys, *search)
    assert code == 0 and "indexed:" not in err and "another vsdesk process is indexing" in err
    [record] = json.loads(out)
    assert record["catalog_partial_reason"] == "being-indexed" and len(record["results"]) == so_far - 1

    code, out, err = run(capsys, *search)
    assert code == 0, err
    assert "did not finish" not in err and "`vsdesk index" not in err and "32 images indexed" in err
    [record] = json.loads(out)
    assert (record["catalog_partial"], record["catalog_partial_reason"]) == (False, None)
    assert len(record["results"]) == 31  # the whole sample, less the query (one of its paintings)
    with Catalog.open("style-artworks.vae") as catalog:
        assert not catalog.unfinished and catalog.counts()[0] == 32


def test_catalogs_list_opens_an_unfinished_catalog_once(capsys, photos, monkeypatch):
    import fcntl

    from vsdesk.engine.catalog import Catalog

    assert run(capsys, "index", "--mode", "vae", "--catalog", "shop", str(photos))[0] == 0
    with Catalog.open("shop") as catalog:
        catalog.mark_unfinished(True)  # as a run killed half-way leaves it
    opened, real_open = [], Catalog.open.__func__

    def counted_open(cls, name):
        opened.append(name)
        return real_open(cls, name)

    monkeypatch.setattr(Catalog, "open", classmethod(counted_open))
    code, out, _ = run(capsys, "catalogs", "list")
    assert code == 0 and "30 images so far, 1 skipped: the last index run did not finish" in out
    assert opened == ["shop"]  # it was opened a second time to ask whether a run holds it
    with open(catalog.location / ".index.lock", "w") as lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)  # as another vsdesk's index run holds it
        code, out, _ = run(capsys, "catalogs", "list")
        assert code == 0 and "30 images so far, 1 skipped: being indexed now" in out
        code, out, _ = run(capsys, "catalogs", "list", "--json")
        assert [(c["unfinished"], c["being_indexed"]) for c in json.loads(out)] == [(True, True)]


class _Terminal(io.StringIO):
    """stderr as a terminal: the progress line is drawn in place."""

    def isatty(self) -> bool:
        return True


def test_on_a_terminal_a_message_starts_on_a_fresh_line_not_after_the_progress_line(monkeypatch):
    from vsdesk.cli._common import StderrProgress, error, print_json

    screen = _Terminal()
    monkeypatch.setattr(sys, "stderr", screen)
    monkeypatch.setattr(sys, "stdout", screen)  # stdout shares the terminal
    progress = StderrProgress("indexing mine")
    progress(0, 0, "scanning folders")
    error("nonexist.jpg: the file does not exist (moved or deleted?)")
    progress(0, 0, "up to date")
    print_json({"indexed": 0})
    text = screen.getvalue()
    assert "\nvsdesk: nonexist.jpg: the file does not exist (moved or deleted?)\n" in text, repr(text)
    assert "\n{\n" in text, repr(text)
    assert "0/0" not in text  # nothing counted yet: "indexing mine: scanning folders"


def test_into_a_log_progress_is_a_line_per_step_and_per_tenth_not_one_per_batch(monkeypatch):
    from vsdesk.cli._common import StderrProgress

    log = io.StringIO()  # not a terminal
    monkeypatch.setattr(sys, "stderr", log)
    now = [0.0]
    progress = StderrProgress("indexing mine", clock=lambda: now[0])
    progress(0, 0, "scanning folders")
    progress(0, 0, "loading the model")
    progress(0, 4878, "indexing 4878 files")
    for done in range(32, 4878, 32):  # a batch every 0.1 s
        now[0] += 0.1
        progress(done, 4878, "indexing")
    progress(4878, 4878, "indexed")
    lines = log.getvalue().splitlines()
    assert lines[:2] == ["indexing mine: scanning folders", "indexing mine: loading the model"]
    assert lines[-1] == "indexing mine 4878/4878 100.0% indexed"
    assert 12 <= len(lines) <= 20, lines  # was 155, one per batch

    log.truncate(0), log.seek(0)
    slow = StderrProgress("indexing big", clock=lambda: now[0])
    for done in range(0, 32 * 6, 32):  # a slow disk: 6 s a batch, far from the next 10 %
        now[0] += 6
        slow(done, 100_000, "indexing")
    assert len(log.getvalue().splitlines()) == 6  # still a sign of life every few seconds


def test_on_a_terminal_index_messages_are_not_glued_to_the_progress_line(photos):
    """`vsdesk index` with stderr on a real (pseudo-)terminal: "loading the vae model ...", the
    summary and the skipped list each start a line, and the output ends with one."""
    import pty

    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "vsdesk", "index", "--mode", "vae", "--catalog", "shop",
                             str(photos)], env=os.environ.copy(), stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=slave)
    os.close(slave)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: every writer closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    assert proc.wait(timeout=120) == 0
    text = b"".join(chunks).decode().replace("\r\n", "\n")
    assert text.endswith("\n"), repr(text[-200:])
    lines = text.split("\n")
    for message in ("loading the vae model ...", "30 images indexed", "skipped 1:"):
        [line] = [line for line in lines if message in line]
        assert line.startswith(message), repr(line)


def test_a_missing_query_is_told_once_and_before_the_model_loads(capsys, photos):
    assert run(capsys, "index", "--mode", "vae", "--catalog", "shop", str(photos))[0] == 0
    missing = str(photos / "nonexist.jpg")
    said = f"{missing}: the file does not exist (moved or deleted?)"
    code, out, err = run(capsys, "search", "--mode", "vae", "--catalog", "shop", missing)
    # A path named on the command line that is not there, and no query answered: exit 2 (README's table).
    assert (code, out) == (2, "")  # said on stderr only, not again on stdout
    assert err.count("nonexist.jpg") == 1 and said in err
    assert "loading" not in err  # no model loaded for nothing
    code, out, err = run(capsys, "search", "--mode", "vae", "--catalog", "shop", missing, "--json")
    assert code == 2 and "loading" not in err
    assert json.loads(out) == [{"query": missing, "error": said, "error_kind": "unreadable", "results": []}]

    good = str(sorted(photos.glob("*.jpg"))[0])
    code, out, err = run(capsys, "search", "--mode", "vae", "--catalog", "shop", missing, good, "-k", "3")
    assert code == 1 and err.count("nonexist.jpg") == 1 and "nonexist.jpg" not in out
    assert err.index(said) < err.index("loading the vae model")  # at once, not after the load
    assert out.startswith(f"{good}  (catalog shop, 30 images)") and out.count("\n    ") == 3  # its 3 results


@needs_setpriv
@pytest.mark.slow
def test_a_folder_given_to_index_that_cannot_be_read_is_said_and_leaves_no_catalog(capsys, photos, tmp_path):
    """`index --catalog u2 unr2`, unr2 unreadable (chmod 000): exit 0, an empty catalog made,
    "up to date", "1 file skipped" (the folder itself). Now: said as such, exit 1 (README: an
    unreadable file is 1), no catalog left; given with a readable folder, that one is indexed,
    the other not added, exit 1. A catalog's own folder that became unreadable is as before:
    its entries kept, the folder listed as skipped, exit 0."""
    locked = tmp_path / "unr2"
    locked.mkdir()
    for photo in sorted(photos.glob("*.jpg"))[:2]:
        shutil.copy(photo, locked)
    vsdesk = [sys.executable, "-m", "vsdesk", "index", "--mode", "vae"]
    locked.chmod(0)
    try:
        alone = without_root_powers([*vsdesk, "--catalog", "u2", str(locked), "--json"])
        assert alone.returncode == 1 and f"vsdesk: cannot read folder {locked}: permission denied" in alone.stderr
        assert "up to date" not in alone.stderr and "loading" not in alone.stderr, alone.stderr
        assert json.loads(alone.stdout) == {
            "catalog": "u2", "mode": "vae", "folders_unreadable": {str(locked): "permission denied"},
            "error": f"cannot read folder {locked}: permission denied; nothing was indexed", "error_kind": "command-failed"}
        assert run(capsys, "catalogs", "list", "--json")[1] == "[]\n"  # no empty catalog left behind
        both = without_root_powers([*vsdesk, "--catalog", "both", str(photos), str(locked), "--json"])
        assert both.returncode == 1 and f"cannot read folder {locked}: permission denied; it was not added" in both.stderr
        report = json.loads(both.stdout)
        assert (report["added"], report["folders_added"]) == (30, {str(photos): 30}), both.stdout
        assert report["folders_unreadable"] == {str(locked): "permission denied"}
        # Review 25: the summary says why the run exits 1, not only the line said before it.
        summary = next(line for line in both.stderr.splitlines() if " indexed in " in line)
        assert summary.endswith(f"; 1 folder could not be read: {locked}"), both.stderr
        assert report["warning"] == f"1 folder could not be read: {locked}"
        locked.chmod(0o755)
        assert run(capsys, "index", "--catalog", "both", str(locked))[0] == 0  # readable again: added
        locked.chmod(0)
        # A folder of the catalog that became unreadable: its entries kept, the folder said as skipped.
        for again in ([], [str(locked)]):
            kept = without_root_powers([*vsdesk, "--catalog", "both", *again, "--json"])
            report = json.loads(kept.stdout)
            assert kept.returncode == 0 and report["indexed"] == 32 and report["folders_unreadable"] == {}, kept.stderr
            assert report["warning"] is None and "could not be read" not in kept.stderr
            assert (str(locked), "unreadable-folder") in [(item["path"], item["kind"]) for item in report["skipped"]]
    finally:
        locked.chmod(0o755)


def test_a_folder_given_as_a_query_is_a_command_to_change(capsys, photos):
    """A folder named as a query was an unreadable file (exit 1, "unreadable"), though it is the
    command that must change, as for a path not there: exit 2 when no query is an image file
    there, its own error_kind, and how to search a folder's images, before any model loads."""
    assert run(capsys, "index", "--mode", "vae", "--catalog", "shop", str(photos))[0] == 0
    said = (f"{photos} is a folder, not an image: search a folder's images by indexing it "
            f"(`vsdesk index --catalog shop {photos}`), then search the catalog")
    code, out, err = run(capsys, "search", "--catalog", "shop", str(photos), "--json")
    assert code == 2 and said in err and "loading" not in err, err
    assert json.loads(out) == [{"query": str(photos), "error": said, "error_kind": "is-a-folder", "results": []}]
    missing = str(photos / "nonexist.jpg")  # with a path not there: still nothing searched
    assert run(capsys, "search", "--catalog", "shop", str(photos), missing)[0] == 2
    good = str(sorted(photos.glob("*.jpg"))[0])  # with an image: it is answered, exit 1
    code, out, err = run(capsys, "search", "--catalog", "shop", str(photos), good, "-k", "3", "--json")
    assert code == 1 and said in err
    folder, answered = json.loads(out)
    assert folder["error_kind"] == "is-a-folder" and len(answered["results"]) == 3
    empty = photos.parent / "empty.jpg"
    empty.write_bytes(b"")  # there, but damaged: a failure outside the command line
    assert run(capsys, "search", "--mode", "vae", "--catalog", "shop", missing, str(empty))[0] == 1


def test_a_folder_given_as_a_query_of_a_sample_is_advised_a_catalog_of_ones_own(capsys, photos):
    """The advice for a folder given as a query named the sample catalog searched (`vsdesk index
    --catalog clothing FOLDER`), which index refuses (review 23): a catalog of the user's own is
    advised, named as the window names one, and the command advised works as it is given."""
    import re
    import shlex

    advice = re.compile(r"`(vsdesk index [^`]*)`")
    code, out, err = run(capsys, "search", "--catalog", "clothing", str(photos), "--json")
    said = (f"{photos} is a folder, not an image: 'clothing' is a sample catalog, which takes no folders: search "
            f"a folder's images by indexing it into a catalog of your own (`vsdesk index --mode product --catalog "
            f"photos-product {photos}`), then search that catalog (`vsdesk search --catalog photos-product IMAGE`)")
    assert code == 2 and said in err and "loading" not in err, err
    assert json.loads(out) == [{"query": str(photos), "error": said, "error_kind": "is-a-folder", "results": []}]
    code, _, err = run(capsys, "search", "--mode", "vae", "--catalog", "clothing", str(photos))
    assert code == 2, err
    command = shlex.split(advice.search(err).group(1))
    assert command[:5] == ["vsdesk", "index", "--mode", "vae", "--catalog"]
    assert run(capsys, *command[1:])[0] == 0  # the advice, followed, works
    code, _, err = run(capsys, "search", "--mode", "vae", "--catalog", "clothing", str(photos))
    assert shlex.split(advice.search(err).group(1)) == command  # the catalog made is the one advised again


def test_a_file_at_two_paths_is_one_image_in_index_and_catalogs_list(capsys, tmp_path):
    """10 files at 20 paths (two folders of the same copies) were "20 images indexed" and "20
    images" in `catalogs list`, where `search` and the window said "10 images (20 paths)" (review
    23): all say it so now; the JSON's counts of paths stay, with the files beside them."""
    files = sorted((CLOTHING_DIR / "images").glob("*.jpg"))[:10]
    a, b = copy_images(files, tmp_path / "a"), copy_images(files, tmp_path / "b")
    code, out, err = run(capsys, "index", "--mode", "vae", "--catalog", "dup", str(a), str(b), "--json")
    report = json.loads(out)
    assert code == 0 and "\n10 images (20 paths) indexed in " in f"\n{err}", err
    assert (report["indexed"], report["added"], report["files"]) == (20, 20, 10)  # paths, paths, files
    code, out, err = run(capsys, "catalogs", "list")
    assert code == 0 and "dup  [vae]  10 images (20 paths), 0 skipped\n" in out, out
    [listed] = json.loads(run(capsys, "catalogs", "list", "--json")[1])
    assert (listed["indexed"], listed["files"]) == (20, 10)
    code, out, _ = run(capsys, "search", "--catalog", "dup", str(files[0]))
    assert code == 0 and "(catalog dup, 10 images (20 paths))" in out  # as it said already
    # Without copies the paths are not said.
    code, out, err = run(capsys, "index", "--mode", "vae", "--catalog", "one", str(a), "--json")
    assert code == 0 and json.loads(out)["files"] == 10 and "\n10 images indexed in " in f"\n{err}", err
    assert "one  [vae]  10 images, 0 skipped\n" in run(capsys, "catalogs", "list")[1]


def test_index_after_a_touch_does_not_load_the_model(capsys, photos):
    """`touch -d 2020-01-01 photo.jpg`: same bytes, new time. The re-run hashes it, finds its
    vector and is done without loading the model (it took seconds, for nothing)."""
    assert run(capsys, "index", "--mode", "vae", "--catalog", "shop", str(photos))[0] == 0
    os.utime(sorted(photos.glob("*.jpg"))[3], (1577836800, 1577836800))
    code, out, err = run(capsys, "index", "--mode", "vae", "--catalog", "shop", "--json")
    report = json.loads(out)
    assert code == 0 and "loading" not in err
    assert (report["touched"], report["updated"], report["embedded"], report["model_loaded"]) == (1, 0, 0, False)


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0 or shutil.which("setpriv") is None,
                    reason="locks a folder against root: needs root and util-linux's setpriv")
def test_a_query_in_a_folder_that_cannot_be_entered_is_an_error_record_not_a_traceback(capsys, photos, tmp_path):
    """Path.is_dir() raises PermissionError there (stat is refused): the whole --json output
    was lost, the good query's results too."""
    assert run(capsys, "index", "--mode", "vae", "--catalog", "shop", str(photos))[0] == 0
    locked = tmp_path / "locked"
    locked.mkdir()
    shutil.copy(photos / sorted(p.name for p in photos.glob("*.jpg"))[0], locked / "a.jpg")
    locked.chmod(0)
    try:  # as a user, not root (whose powers would enter it): CAP_DAC_* dropped
        done = subprocess.run(
            ["setpriv", "--bounding-set", "-dac_override,-dac_read_search", sys.executable, "-m", "vsdesk",
             "search", "--mode", "vae", "--catalog", "shop", "-k", "2", "--json", str(locked / "a.jpg"),
             str(STYLE_DIR / "s_cubism-01.jpg")],
            capture_output=True, text=True, timeout=300, env=os.environ.copy())
    finally:
        locked.chmod(0o755)
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    bad, good = json.loads(done.stdout)
    assert "permission denied" in bad["error"] and len(good["results"]) == 2


def test_a_full_disk_is_one_line_and_the_catalog_survives_it(capsys, photos, small_disk):
    """The reviewer's case: a sound catalog on a full disk was moved aside by `catalogs list`,
    `search` ended in a traceback, and four more lists deleted the sound index."""
    assert run(capsys, "index", "--mode", "vae", "--catalog", "shop", str(photos))[0] == 0
    filler = fill_disk(small_disk)
    for _ in range(5):
        code, out, err = run(capsys, "catalogs", "list", "--json")
        [listed] = json.loads(out)
        assert code == 0 and listed["mode"] == "vae" and "is full: free some space" in listed["problem"]
    query = str(sorted(photos.glob("*.jpg"))[0])
    for command in (["search", "--mode", "vae", "--catalog", "shop", query],
                    ["index", "--mode", "vae", "--catalog", "shop"]):
        code, out, err = run(capsys, *command)
        assert code == 1 and "is full: free some space and run again" in err, err
        assert "Traceback" not in err and len(err.strip().splitlines()) == 1 and out == ""
    filler.unlink()
    code, out, err = run(capsys, "search", "--mode", "vae", "--catalog", "shop", query, "--json")
    assert code == 0 and "indexing" not in err  # as it was: nothing to re-index
    assert len(json.loads(out)[0]["results"]) == 10


def _remove_a_catalog_in_a_read_only_folder(tmp_path):
    """``vsdesk catalogs remove shop`` run without root's powers on a catalog whose folder is
    read-only: (the catalog's folder, the finished command)."""
    from vsdesk.engine.catalog import Catalog, catalog_location

    Catalog.create("shop", "vae", [tmp_path]).close()
    location = catalog_location("shop")
    (location / ".index.lock").unlink(missing_ok=True)
    location.chmod(0o555)
    try:
        removed = without_root_powers([sys.executable, "-m", "vsdesk", "catalogs", "remove", "shop"])
    finally:
        location.chmod(0o755)
    return location, removed


@needs_setpriv
def test_removing_a_catalog_whose_folder_is_read_only_says_what_to_do(capsys, tmp_path):
    """`catalogs remove` of a catalog in a read-only folder named vsdesk's internal lock file
    ("no permission to read or write …/.index.lock"): it speaks of the catalog's folder now."""
    location, removed = _remove_a_catalog_in_a_read_only_folder(tmp_path)
    assert removed.returncode == 1 and ".index.lock" not in removed.stderr, removed.stderr
    assert (f"vsdesk: catalog 'shop' cannot be changed: its folder {location} is read-only (or you may not write "
            f"in it). Make it writable (e.g. `chmod u+w {location}`) and run again; nothing was removed") \
        in removed.stderr
    assert (location / "catalog.json").is_file()


@needs_setpriv
def test_the_chmod_said_for_a_read_only_catalog_folder_names_it_whole_when_pasted(tmp_path, monkeypatch):
    """The `chmod u+w FOLDER` said to be pasted put the folder in bare: a data folder with a
    space or a quote in its name made it another command (review 34, printed commands)."""
    monkeypatch.setenv("VSDESK_DATA_DIR", str(tmp_path / "Bob's data"))
    location, removed = _remove_a_catalog_in_a_read_only_folder(tmp_path)
    commands = [part for part in removed.stderr.split("`")[1::2] if part.startswith("chmod u+w ")]
    assert removed.returncode == 1 and len(commands) == 1, removed.stderr
    pasted = subprocess.run(["bash", "-c", 'chmod() { printf "%s\\0" "$@"; }; ' + commands[0]], capture_output=True,
                            text=True, timeout=30)
    assert pasted.stdout.split("\0")[:-1] == ["u+w", str(location)], (commands, pasted.stderr)


def test_the_command_line_logs_to_the_windows_log_file_and_keeps_its_output_clean(tmp_path):
    """The command line wrote no log: now vsdesk.log in the cache folder, as the window's, gets
    what it did and the tracebacks; stdout holds the --json document alone, and a note (here:
    a recovery of a damaged index) still reaches the user on stderr, and the log as a note."""
    from vsdesk.engine import paths
    from vsdesk.engine.catalog import Catalog

    photos = copy_images(sorted((CLOTHING_DIR / "images").glob("*.jpg"))[:3], tmp_path / "few")
    Catalog.create("shop", "vae", [photos]).close()
    (Catalog.open("shop").location / "index.sqlite").write_bytes(b"overwritten" * 100)
    ran = subprocess.run([sys.executable, "-m", "vsdesk", "index", "--catalog", "shop", "--json"], cwd=REPO,
                         capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(REPO)}, timeout=600)
    assert ran.returncode == 0, ran.stderr
    assert json.loads(ran.stdout)["indexed"] == 3  # stdout: the document alone
    assert "the index file was damaged" in ran.stderr
    logged = (paths.cache_dir() / "vsdesk.log").read_text()
    assert "command line: vsdesk index --catalog shop --json" in logged
    assert "catalog 'shop': the index file was damaged" in logged
    # A note, not "error: …" (bundle52): the command succeeded.
    assert "INFO vsdesk: note: catalog 'shop': the index file was damaged; it was moved to" in logged
    this_run = logged[logged.rindex("command line: vsdesk index --catalog shop --json"):]
    assert "error:" not in this_run, this_run


@needs_setpriv
def test_a_read_only_index_is_searched_and_an_index_run_says_why_it_cannot(capsys, photos, tmp_path):
    assert run(capsys, "index", "--mode", "vae", "--catalog", "shop", str(photos))[0] == 0
    code, out, _ = run(capsys, "search", "--mode", "vae", "--catalog", "shop", str(sorted(photos.glob("*.jpg"))[0]),
                       "--json")
    expected = json.loads(out)
    more = tmp_path / "more"
    more.mkdir()
    shutil.copy(sorted(photos.glob("*.jpg"))[0], more / "x.jpg")
    from vsdesk.engine.catalog import catalog_location

    index = catalog_location("shop") / "index.sqlite"
    index.chmod(0o444)
    try:
        vsdesk = [sys.executable, "-m", "vsdesk"]
        searched = without_root_powers([*vsdesk, "search", "--mode", "vae", "--catalog", "shop",
                                        str(sorted(photos.glob("*.jpg"))[0]), "--json"])
        indexed = without_root_powers([*vsdesk, "index", "--mode", "vae", "--catalog", "shop", str(more)])
    finally:
        index.chmod(0o644)
    assert searched.returncode == 0 and json.loads(searched.stdout) == expected, searched.stderr
    assert indexed.returncode == 1 and "Traceback" not in indexed.stderr
    assert f"{index} is read-only, so it can be searched as it is but not updated" in indexed.stderr
    # Made writable again, as the message says: the run works, without root's powers too.
    again = without_root_powers([*vsdesk, "index", "--mode", "vae", "--catalog", "shop", str(more), "--json"])
    assert again.returncode == 0 and json.loads(again.stdout)["indexed"] == 31, again.stderr


def test_an_index_run_that_goes_on_with_an_interrupted_one_says_so_on_a_line_of_its_own(capsys, photos):
    """`vsdesk index` after a run cut off (Ctrl+C, a kill, the window closed during it) said
    "indexing shop 3/3 100.0% indexing": nothing of where the run came from."""
    from vsdesk.engine.catalog import Catalog

    assert run(capsys, "index", "--mode", "vae", "--catalog", "shop", str(photos))[0] == 0
    for src in sorted((CLOTHING_DIR / "images").glob("*.jpg"))[40:43]:
        shutil.copy(src, photos / src.name)
    with Catalog.open("shop") as catalog:
        catalog.mark_unfinished(True)  # as a run stopped midway leaves it (tests/test_catalog.py runs one)
    code, out, err = run(capsys, "index", "--catalog", "shop", "--json")
    assert code == 0 and json.loads(out)["resumed"] is True and json.loads(out)["added"] == 3
    assert "indexing shop: resuming the index run interrupted last time: 3 images left\n" in err, err
    code, out, err = run(capsys, "index", "--catalog", "shop", "--json")
    assert json.loads(out)["resumed"] is False and "resuming" not in err


@needs_setpriv
def test_a_catalog_whose_folder_is_read_only_is_searched_and_an_index_run_says_why_it_cannot(capsys, photos):
    """The catalog's folder read-only, its index file writable (a catalog copied from a
    read-only share, say): a search reads, it needs to write nothing, so it works. It failed
    with "index.sqlite is read-only, so it cannot be updated": SQLite could not make its -wal
    and -shm files beside the index."""
    assert run(capsys, "index", "--mode", "vae", "--catalog", "shop", str(photos))[0] == 0
    query = str(sorted(photos.glob("*.jpg"))[0])
    expected = json.loads(run(capsys, "search", "--mode", "vae", "--catalog", "shop", query, "--json")[1])
    from vsdesk.engine.catalog import catalog_location

    location = catalog_location("shop")
    location.chmod(0o555)
    try:
        vsdesk = [sys.executable, "-m", "vsdesk"]
        searched = without_root_powers([*vsdesk, "search", "--mode", "vae", "--catalog", "shop", query, "--json"])
        listed = without_root_powers([*vsdesk, "catalogs", "list", "--json"])
        indexed = without_root_powers([*vsdesk, "index", "--mode", "vae", "--catalog", "shop"])
        left = sorted(p.name for p in location.iterdir())
    finally:
        location.chmod(0o755)
    assert searched.returncode == 0, searched.stderr
    assert json.loads(searched.stdout) == expected
    assert listed.returncode == 0 and json.loads(listed.stdout)[0]["indexed"] == 30, listed.stdout
    assert indexed.returncode == 1 and "Traceback" not in indexed.stderr
    assert f"its folder {location} is read-only" in indexed.stderr, indexed.stderr
    assert not [name for name in left if name.endswith(("-wal", "-shm"))]


def test_an_unfinished_read_only_catalog_is_not_advised_an_index_run_that_cannot_work(capsys, photos):
    """A search of a catalog whose last run did not finish said "`vsdesk index …` finishes it",
    though its folder is read-only and that run can only fail."""
    assert run(capsys, "index", "--mode", "vae", "--catalog", "shop", str(photos))[0] == 0
    from vsdesk.engine.catalog import Catalog, catalog_location

    with Catalog.open("shop") as catalog:
        catalog.mark_unfinished(True)  # as a run killed midway leaves it
    location = catalog_location("shop")
    query = str(sorted(photos.glob("*.jpg"))[0])
    location.chmod(0o555)
    try:
        searched = without_root_powers([sys.executable, "-m", "vsdesk", "search", "--mode", "vae", "--catalog",
                                        "shop", query])
    finally:
        location.chmod(0o755)
    assert searched.returncode == 0, searched.stderr
    assert "did not finish" in searched.stderr and "read-only, so it cannot be finished here" in searched.stderr
    assert "finishes it" not in searched.stderr, searched.stderr


def test_an_index_run_of_a_catalog_on_a_read_only_disk_offers_no_chmod(capsys, photos, tmp_path, mount_disk):
    """The catalog's folder on a disk mounted read-only: `chmod u+w` (as said for a folder that
    is only not writable) cannot help there, and was said all the same."""
    from vsdesk.engine.catalog import catalog_location

    assert run(capsys, "index", "--mode", "vae", "--catalog", "shop", str(photos))[0] == 0
    location = catalog_location("shop")
    kept = shutil.copytree(location, tmp_path / "kept")
    mount_disk(location)
    shutil.copytree(kept, location, dirs_exist_ok=True)
    subprocess.run(["mount", "-o", "remount,ro", str(location)], check=True)
    code, _, err = run(capsys, "index", "--mode", "vae", "--catalog", "shop")
    assert code == 1 and (f"vsdesk: catalog 'shop': its folder {location} is read-only (on a disk mounted "
                          "read-only), so it can be searched as it is but not updated") in err, err
    assert "chmod" not in err


def test_a_new_catalog_in_a_data_folder_on_a_read_only_disk_is_refused_with_a_message(capsys, photos, mount_disk):
    """Creating a catalog where its folder cannot be made (the catalogs folder on a disk mounted
    read-only) ended in a traceback (OSError: Read-only file system, from mkdir), exit 1."""
    from vsdesk.engine import paths

    catalogs = mount_disk(paths.catalogs_dir())
    subprocess.run(["mount", "-o", "remount,ro", str(catalogs)], check=True)
    code, _, err = run(capsys, "index", "--mode", "vae", "--catalog", "shop", str(photos))
    assert code == 1 and err.strip().endswith(
        f"vsdesk: catalog 'shop' cannot be created: {catalogs} is on a disk mounted read-only; set VSDESK_DATA_DIR "
        "to a folder on a writable disk and run again; nothing was changed"), err
    assert "Traceback" not in err and list(catalogs.iterdir()) == []


def test_a_data_folder_on_a_read_only_disk_without_a_catalogs_folder_is_said_not_a_traceback(capsys, photos,
                                                                                               mount_disk):
    """The data folder there, its catalogs folder not yet: making it raised OSError (Read-only
    file system) as a traceback, from `catalogs list` as from `index`. Exit 1, a read-only disk
    in README's table (it exited 2, the code of a data folder named as a file). `catalogs list`
    writes nothing (review 34: it failed so): none to list."""
    from vsdesk.engine import paths

    data = mount_disk(paths.data_dir())
    subprocess.run(["mount", "-o", "remount,ro", str(data)], check=True)
    assert run(capsys, "catalogs", "list", "--json")[:2] == (0, "[]\n")
    code, _, err = run(capsys, "index", "--mode", "vae", "--catalog", "shop", str(photos))
    assert code == 1 and err.strip().endswith(f"vsdesk: cannot make vsdesk's catalogs folder {data / 'catalogs'}: "
                                              "Read-only file system; set VSDESK_DATA_DIR to a folder that can be "
                                              "written"), err


def test_a_new_catalog_whose_model_cannot_load_is_not_left_even_with_a_file_skipped(capsys, photos, read_only_disk,
                                                                                   monkeypatch):
    """The style model cannot be made (its cache on a read-only disk): a new catalog of a folder
    holding a file that cannot be read was left behind, "0 images so far, 1 skipped", while one
    of a clean folder was not. Its skip records are the scan's notes, no image: it goes too."""
    (photos / "self.jpg").symlink_to("self.jpg")  # a loop: skipped as the scan meets it, before the model loads
    monkeypatch.setenv("VSDESK_CACHE_DIR", str(read_only_disk))
    # (A process of its own: this one may hold the style model already, from another test.)
    ran = subprocess.run([sys.executable, "-m", "vsdesk", "index", "--mode", "style", "--catalog", "odd", str(photos)],
                         capture_output=True, text=True, timeout=300, cwd=str(REPO))
    err = ran.stderr
    assert ran.returncode == 1 and "vsdesk: model 'vgg16' is not available (" in err and "read-only disk" in err, err
    code, out, _ = run(capsys, "catalogs", "list", "--json")
    assert code == 0 and json.loads(out) == [], out


def test_a_damaged_index_found_by_catalogs_list_is_said_there_and_by_the_next_search(capsys, photos):
    from vsdesk.engine.catalog import catalog_location

    assert run(capsys, "index", "--mode", "vae", "--catalog", "shop", str(photos))[0] == 0
    (catalog_location("shop") / "index.sqlite").write_bytes(b"overwritten by something else" * 100)
    code, out, err = run(capsys, "catalogs", "list")
    assert code == 0 and "problem: catalog 'shop': the index file was damaged" in out
    code, out, _ = run(capsys, "catalogs", "list", "--json")
    [listed] = json.loads(out)
    assert "moved to" in listed["problem"] and (listed["mode"], listed["folders"]) == ("vae", [str(photos)])
    code, out, err = run(capsys, "search", "--mode", "vae", "--catalog", "shop", str(sorted(photos.glob("*.jpg"))[0]))
    assert code == 0 and "the index file was damaged" in err and "30 images indexed" in err
    code, out, _ = run(capsys, "catalogs", "list", "--json")
    assert [(c["indexed"], c["problem"]) for c in json.loads(out)] == [(30, None)]


def test_a_damaged_settings_file_is_rebuilt_and_the_catalog_is_not_embedded_again(capsys, photos):
    from vsdesk.engine.catalog import catalog_location

    import sqlite3

    assert run(capsys, "index", "--mode", "vae", "--catalog", "shop", str(photos))[0] == 0
    with sqlite3.connect(catalog_location("shop") / "index.sqlite") as conn:
        conn.execute("DELETE FROM meta WHERE key = 'mode'")  # from before the mode was kept: the key tells it
    conn.close()
    (catalog_location("shop") / "catalog.json").write_text("")  # emptied by a crash
    code, out, _ = run(capsys, "catalogs", "list", "--json")
    [listed] = json.loads(out)
    assert (listed["mode"], listed["folders"], listed["indexed"]) == ("vae", [str(photos)], 30)
    assert "rebuilt from the index: mode vae" in listed["problem"]
    code, out, err = run(capsys, "search", "--mode", "vae", "--catalog", "shop", str(sorted(photos.glob("*.jpg"))[0]))
    assert code == 0 and "rebuilt from the index" in err and "30 unchanged" in err, err
    assert "embedded by the model" not in err, err


def test_ctrl_c_during_index_says_what_is_kept_and_that_the_same_command_goes_on(tmp_path):
    import re
    import signal

    folder = tmp_path / "many"
    folder.mkdir()
    for src in sorted((CLOTHING_DIR / "images").glob("*.jpg"))[:400]:
        os.symlink(src, folder / src.name)
    process = subprocess.Popen(
        [sys.executable, "-m", "vsdesk", "index", "--mode", "vae", "--catalog", "many", "--batch-size", "8",
         str(folder), "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=os.environ.copy(),
        # As from a terminal: a test run in the background (CI) may have Ctrl+C ignored, and
        # Python then keeps ignoring it.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    for line in process.stderr:  # into a pipe: a line per tenth
        found = re.search(r"indexing many (\d+)/400", line)
        if found and int(found.group(1)) > 0:
            process.send_signal(signal.SIGINT)  # as Ctrl+C does
            break
    rest = process.stderr.read()
    out = process.stdout.read()
    assert process.wait(timeout=120) == 130, rest
    said = re.search(r"interrupted: what catalog 'many' has indexed so far is kept \((\d+) images? indexed\); "
                     r"the same command goes on from there", rest)
    assert said and "Traceback" not in rest, rest
    # --json prints the report of what was done (it printed nothing), said to be interrupted.
    report = json.loads(out)
    assert (report["catalog"], report["interrupted"], report["error_kind"]) == ("many", True, "interrupted"), out
    assert report["indexed"] == report["added"] == report["embedded"] == int(said.group(1))
    # The folder given holds what the run added so far, not the 0 it joined the catalog with.
    assert report["folders_added"] == {str(folder): report["added"]}, out
    listed = subprocess.run([sys.executable, "-m", "vsdesk", "catalogs", "list", "--json"], capture_output=True,
                            text=True, env=os.environ.copy(), timeout=120)
    [info] = json.loads(listed.stdout)
    assert info["indexed"] == int(said.group(1)) < 400 and info["unfinished"] is True
    assert info["being_indexed"] is False
    # Told until a run completes: by `catalogs list`, and by a search, which answers from what is there.
    listed = subprocess.run([sys.executable, "-m", "vsdesk", "catalogs", "list"], capture_output=True,
                            text=True, env=os.environ.copy(), timeout=120)
    assert (f"{info['indexed']} images so far, 0 skipped: the last index run did not finish; "
            "`vsdesk index --mode vae --catalog many` finishes it") in listed.stdout, listed.stdout
    searched = subprocess.run([sys.executable, "-m", "vsdesk", "search", "--mode", "vae", "--catalog", "many",
                               "-k", "3", str(next(folder.iterdir())), "--json"], capture_output=True, text=True,
                              env=os.environ.copy(), timeout=120)
    assert searched.returncode == 0, searched.stderr
    assert (f"note: the last index run of catalog 'many' did not finish; these results are from the "
            f"{info['indexed']} images indexed so far") in searched.stderr, searched.stderr
    [record] = json.loads(searched.stdout)
    assert (record["catalog_partial"], record["catalog_partial_reason"]) == (True, "unfinished")
    assert len(record["results"]) == 3 and record["catalog_changed_folders"] is None  # partial: not looked at


@pytest.mark.slow
def test_an_index_run_whose_model_is_not_there_leaves_no_catalog_behind(capsys, photos, tmp_path):
    """`index --model nosuch` used to create the catalog, then fail: an empty catalog was left for
    `catalogs list` and the window to show. A catalog that existed before is never removed."""
    code, _, err = run(capsys, "index", "--mode", "product", "--catalog", "x", "--model", "nosuch", str(photos))
    assert code == 2 and "no product model in" in err and "nosuch" in err  # an unknown model: a usage error
    assert run(capsys, "catalogs", "list", "--json")[1] == "[]\n"
    # A model whose settings are there but not its weights fails only as it loads: the catalog
    # this command created is removed again, as it holds nothing.
    half = tmp_path / "half-a-model"
    half.mkdir()
    shutil.copy(REPO / "resources" / "models" / "product" / "product.json", half)
    code, _, err = run(capsys, "index", "--mode", "product", "--catalog", "x", "--model", str(half), str(photos))
    assert code == 1 and "product.weights.h5 is missing" in err
    assert run(capsys, "catalogs", "list", "--json")[1] == "[]\n"
    empty = tmp_path / "empty"
    empty.mkdir()
    assert run(capsys, "index", "--mode", "product", "--catalog", "kept", str(empty))[0] == 0  # no model needed
    code, _, err = run(capsys, "index", "--mode", "product", "--catalog", "kept", "--model", str(half), str(photos))
    assert code == 1 and "product.weights.h5 is missing" in err
    [info] = json.loads(run(capsys, "catalogs", "list", "--json")[1])  # empty, but not this command's
    assert (info["name"], info["folders"], info["indexed"]) == ("kept", [str(empty)], 0)


def test_ctrl_c_while_a_new_catalogs_model_loads_leaves_no_catalog_and_says_so(photos):
    import signal

    process = subprocess.Popen(
        [sys.executable, "-m", "vsdesk", "index", "--mode", "vae", "--catalog", "new", str(photos)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=os.environ.copy(),
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))  # as from a terminal
    for line in process.stderr:
        if "loading the vae model" in line:  # TensorFlow takes seconds to load: Ctrl+C lands in it
            process.send_signal(signal.SIGINT)
            break
    rest = process.stderr.read()
    assert process.wait(timeout=120) == 130, rest
    assert "interrupted before any image was indexed; catalog 'new' was not created" in rest, rest
    assert "Traceback" not in rest and "is kept" not in rest, rest
    listed = subprocess.run([sys.executable, "-m", "vsdesk", "catalogs", "list", "--json"], capture_output=True,
                            text=True, env=os.environ.copy(), timeout=120)
    assert listed.stdout == "[]\n", listed.stdout


def _interrupted_while_loading(argv: list[str], mode: str) -> tuple[int, str, str]:
    """Runs `vsdesk ARGV` and sends it SIGINT (as Ctrl+C does) as it says it loads the model,
    which takes seconds (TensorFlow): (exit code, stdout, stderr)."""
    import signal

    process = subprocess.Popen(
        [sys.executable, "-m", "vsdesk", *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=os.environ.copy(), preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))  # as from a terminal
    said = []
    for line in process.stderr:
        said.append(line)
        if f"loading the {mode} model" in line:
            process.send_signal(signal.SIGINT)
            break
    said.append(process.stderr.read())
    out = process.stdout.read()
    return process.wait(timeout=120), out, "".join(said)


def test_search_text_says_scores_with_3_decimals_as_the_window_does_and_json_keeps_them_whole(capsys, photos):
    """The text said "0.6872" where the window's captions and tips say "0.687"."""
    code, _, err = run(capsys, "index", "--mode", "vae", "--catalog", "shop", str(photos))
    assert code == 0, err
    query = str(sorted(photos.glob("*.jpg"))[0])
    code, out, err = run(capsys, "search", "--mode", "vae", "--catalog", "shop", "-k", "5", "--json", query)
    scores = [hit["score"] for hit in json.loads(out)[0]["results"]]
    assert code == 0 and len(scores) == 5 and any(round(s, 3) != s for s in scores)  # (more than 3 decimals)
    code, out, err = run(capsys, "search", "--mode", "vae", "--catalog", "shop", "-k", "5", query)
    ranked = [line.split()[:2] for line in out.splitlines() if line.startswith("    ") and line.split()[0][:-1].isdigit()]
    assert code == 0 and ranked == [[f"{rank}.", f"{score:.3f}"] for rank, score in enumerate(scores, 1)], out


def test_ctrl_c_while_search_loads_its_model_still_prints_its_json(capsys, tmp_path, photos):
    """A script running `vsdesk search --json` and sending SIGINT during the model load got no
    JSON at all: it gets the list of records, each query not answered marked "interrupted", and
    exit code 130."""
    empty = tmp_path / "empty"
    empty.mkdir()
    assert run(capsys, "index", "--mode", "vae", "--catalog", "shop", str(empty))[0] == 0  # no model needed
    good, missing = str(sorted(photos.glob("*.jpg"))[0]), str(tmp_path / "nonexist.jpg")
    code, out, err = _interrupted_while_loading(
        ["search", "--mode", "vae", "--catalog", "shop", good, missing, "--json"], "vae")
    assert code == 130 and "vsdesk: interrupted" in err and "Traceback" not in err, err
    assert json.loads(out) == [
        {"query": good, "error": "interrupted", "error_kind": "interrupted", "results": []},
        {"query": missing, "error": f"{missing}: the file does not exist (moved or deleted?)",
         "error_kind": "unreadable", "results": []},
    ]


@pytest.mark.slow
def test_ctrl_c_while_index_loads_the_model_it_was_given_still_prints_its_json(tmp_path, photos):
    """`index --model NAME` loads the model before the run (the catalog may hold another one's
    vectors): Ctrl+C there printed no JSON, unlike one during the run."""
    code, out, err = _interrupted_while_loading(
        ["index", "--mode", "product", "--catalog", "shop", "--model", "product", str(photos), "--json"], "product")
    assert code == 130 and "Traceback" not in err, err
    assert json.loads(out) == {"catalog": "shop", "mode": "product", "interrupted": True,
                               "error": "interrupted", "error_kind": "interrupted"}


def test_with_json_a_search_or_index_that_cannot_be_made_still_prints_one_json_document(capsys, photos, tmp_path):
    """With --json, stdout held JSON when some queries could not be read, and nothing when the
    command failed as a whole (no such catalog, another mode's, a bad option): a script had two
    cases to parse. The message is on stderr as before, with the same exit code."""
    query, missing = str(sorted(photos.glob("*.jpg"))[0]), str(tmp_path / "nonexist.jpg")
    code, out, err = run(capsys, "search", "--mode", "vae", "--catalog", "nothing", query, missing, "--json")
    said = "no catalog named 'nothing' (see `vsdesk catalogs list`)"
    assert code == 2 and said in err
    assert json.loads(out) == [
        {"query": query, "error": said, "error_kind": "command-failed", "results": []},
        {"query": missing, "error": f"{missing}: the file does not exist (moved or deleted?)",
         "error_kind": "unreadable", "results": []},
    ]
    # A count refused by the command line, as `index --batch-size 0` is: the command line's document.
    with pytest.raises(SystemExit) as exit_:
        run(capsys, "search", "--mode", "vae", "--catalog", "nothing", query, "-k", "0", "--json")
    out, err = capsys.readouterr()
    said = "search: argument -k: must be 1 or more, not 0"
    assert (exit_.value.code, json.loads(out)) == (2, {"error": said, "error_kind": "usage"}) and f"vsdesk: {said}" in err
    code, out, err = run(capsys, "index", "--mode", "vae", "--catalog", "c", str(tmp_path / "nowhere"), "--json")
    assert code == 2 and f"{tmp_path / 'nowhere'}: no such folder" in err
    assert json.loads(out) == {"catalog": "c", "mode": "vae", "error": f"{tmp_path / 'nowhere'}: no such folder",
                               "error_kind": "command-failed"}
    code, out, err = run(capsys, "index", "--mode", "vae", "--catalog", "c", str(tmp_path / "nowhere"))
    assert (code, out) == (2, "")  # without --json: the message alone, on stderr


@pytest.mark.slow
def test_product_results_carry_the_type_the_model_predicts_for_them(capsys, tmp_path):
    """A user's own catalog has no labels: each result has the type the model predicts for it
    (the one `--same-class` keeps to, and the window shows under the thumbnail), in --json as
    "predicted" and in the text beside the path."""
    import csv

    with open(CLOTHING_DIR / "images.csv", newline="") as fp:
        rows = list(csv.DictReader(fp))
    shop = tmp_path / "shop"
    shop.mkdir()
    for label in ("Shoes", "Dress", "Pants"):
        for row in [r for r in rows if r["label"] == label][:3]:
            shutil.copy(CLOTHING_DIR / "images" / f"{row['image']}.jpg", shop)
    query = str(CLOTHING_DIR / "images" / f"{next(r for r in rows if r['label'] == 'Shoes')['image']}.jpg")
    if (shop / os.path.basename(query)).exists():
        query = str(CLOTHING_DIR / "images" / f"{[r for r in rows if r['label'] == 'Shoes'][3]['image']}.jpg")
    assert run(capsys, "index", "--mode", "product", "--catalog", "shop", str(shop))[0] == 0
    code, out, err = run(capsys, "search", "--mode", "product", "--catalog", "shop", "-k", "9", "--json", query)
    assert code == 0, err
    [record] = json.loads(out)
    results = record["results"]
    assert len(results) == 9 and all(r["label"] is None for r in results)  # the label stays as it was
    types = {r["path"]: r["predicted"] for r in results}
    assert {"Shoes", "Dress"} <= set(types.values()), types  # predicted per item, not one for all
    # --same-class keeps exactly the results of the query's type, as their "predicted" says.
    code, out, _ = run(capsys, "search", "--mode", "product", "--catalog", "shop", "-k", "9", "--json",
                       "--same-class", query)
    [kept] = json.loads(out)
    assert code == 0 and kept["same_class"] == record["predicted"]
    assert sorted(r["path"] for r in kept["results"]) == sorted(p for p, t in types.items() if t == kept["same_class"])
    assert all(r["predicted"] == kept["same_class"] for r in kept["results"])
    code, out, _ = run(capsys, "search", "--mode", "product", "--catalog", "shop", "-k", "9", query)
    lines = [line for line in out.splitlines() if str(shop) in line]
    assert code == 0 and len(lines) == 9
    for line in lines:
        path = next(p for p in types if p in line)
        assert line.endswith(f"{path}  [{types[path]} (predicted)]"), line


@pytest.mark.slow
def test_product_text_says_a_results_type_is_not_computed_as_a_querys(capsys, tmp_path):
    """The review: in a catalog of clothing photos, a flat grey PNG and a gradient JPEG, the grey
    one was "predicted: Skirt" as a query and "[T-Shirt (predicted)]" as a result. A query's type
    is every member's, on the photo and its mirror image; a result's is the first member's from
    its stored vector (the index keeps one pass per photo: the others would cost three more).
    The text says so once, under results typed by the model; --json's facts stay as they were."""
    import numpy as np
    from PIL import Image

    from vsdesk.cli._search_text import ITEM_TYPE_NOTE

    shop = tmp_path / "C"
    shop.mkdir()
    for photo in sorted((CLOTHING_DIR / "images").glob("*.jpg"))[:6]:
        shutil.copy(photo, shop)
    Image.new("RGB", (300, 300), (128, 128, 128)).save(shop / "flat_grey.png")
    x = np.linspace(0, 255, 3000)[None, :]
    gradient = np.zeros((2000, 3000, 3), np.uint8)
    gradient[..., 0], gradient[..., 2] = 255 - x, x
    Image.fromarray(gradient).save(shop / "huge.jpg", quality=90)
    grey, huge = str(shop / "flat_grey.png"), str(shop / "huge.jpg")
    assert run(capsys, "index", "--mode", "product", "--catalog", "C", str(shop))[0] == 0
    code, out, err = run(capsys, "search", "--catalog", "C", "-k", "8", "--json", grey, huge)
    assert code == 0, err
    as_query = json.loads(out)[0]["predicted"]
    as_result = next(hit["predicted"] for hit in json.loads(out)[1]["results"] if hit["path"] == grey)
    assert as_query != as_result, (as_query, as_result)  # the two ways, on a picture they disagree on
    code, out, err = run(capsys, "search", "--catalog", "C", "-k", "8", grey, huge)
    assert code == 0, err
    assert f"{grey}  [{as_result} (predicted)]" in out and f"predicted: {as_query}" in out
    assert out.count(ITEM_TYPE_NOTE) == 1 and out.rstrip().endswith(ITEM_TYPE_NOTE), out
    assert "stored when it was indexed" in ITEM_TYPE_NOTE and "mirror image" in ITEM_TYPE_NOTE


def test_product_text_results_say_each_item_type_before_its_folder_label(capsys, tmp_path):
    """The review: in a catalog of labelled folders (shop/tops/...), `vsdesk search` printed
    "[tops]" where the window says "T-Shirt · tops"; --json had the type ("predicted"). The text
    says the type the window shows, then the label when that is something else (a folder
    named after a class, "Dress", is its type: said once)."""
    import csv

    with open(CLOTHING_DIR / "images.csv", newline="") as fp:
        rows = list(csv.DictReader(fp))
    shop = tmp_path / "shop"
    for folder, label in (("tops", "T-Shirt"), ("Dress", "Dress")):
        copy_images([CLOTHING_DIR / "images" / f"{row['image']}.jpg"
                     for row in [r for r in rows if r["label"] == label][:3]], shop / folder)
    query = str(CLOTHING_DIR / "images" / f"{[r for r in rows if r['label'] == 'T-Shirt'][5]['image']}.jpg")
    assert run(capsys, "index", "--mode", "product", "--catalog", "shop", str(shop))[0] == 0
    code, out, err = run(capsys, "search", "--catalog", "shop", "-k", "6", "--json", query)
    [record] = json.loads(out)
    assert code == 0 and {hit["label"] for hit in record["results"]} == {"tops", "Dress"}, err
    code, out, err = run(capsys, "search", "--catalog", "shop", "-k", "6", query)
    lines = [line for line in out.splitlines() if str(shop) in line]
    assert code == 0 and len(lines) == 6, out
    for hit in record["results"]:
        [line] = [line for line in lines if f" {hit['path']}  [" in line]
        tag = line.split(f"{hit['path']}  ")[1]
        if hit["label"] == "tops":  # its predicted type, kids' wear when yes, then its folder's name
            assert tag.startswith(f"[{hit['predicted']} · ") and tag.endswith(" · tops]"), line
        else:  # the folder's name is a class: the item's own type, said once
            assert tag in ("[Dress]", "[Dress · kids]"), line


def test_product_text_says_outerwear_where_json_and_same_class_keep_the_models_outwear(capsys, tmp_path):
    """The review (11): the Clothing Dataset's misspelt "Outwear" was printed to a person. The
    text says "Outerwear"; --json keeps the model's label; a folder "Outerwear/" is of that type."""
    import csv

    with open(CLOTHING_DIR / "images.csv", newline="") as fp:
        rows = list(csv.DictReader(fp))
    coats = [CLOTHING_DIR / "images" / f"{row['image']}.jpg" for row in rows if row["label"] == "Outwear"][:4]
    shop = tmp_path / "shop"
    copy_images(coats[:3], shop / "Outerwear")
    copy_images([CLOTHING_DIR / "images" / f"{row['image']}.jpg" for row in rows if row["label"] == "Shoes"][:3],
                shop / "backup")
    assert run(capsys, "index", "--mode", "product", "--catalog", "shop", str(shop))[0] == 0
    code, out, err = run(capsys, "search", "--catalog", "shop", "-k", "6", "--json", str(coats[3]))
    [record] = json.loads(out)
    assert code == 0 and record["predicted"] == "Outwear", err  # the model's label, for programs
    assert {hit["predicted"] for hit in record["results"] if hit["label"] == "Outerwear"} == {"Outwear"}
    code, out, err = run(capsys, "search", "--catalog", "shop", "-k", "6", str(coats[3]))
    assert code == 0 and "predicted: Outerwear" in out, out
    assert "Outwear" not in out.replace(str(shop), ""), out
    assert sum("  [Outerwear" in line for line in out.splitlines()) == 3, out  # (a kids coat: "· kids")
    code, out, err = run(capsys, "search", "--catalog", "shop", "-k", "6", "--same-class", "--json", str(coats[3]))
    [record] = json.loads(out)
    assert code == 0 and sorted(hit["label"] for hit in record["results"]) == ["Outerwear"] * 3, err


def _shop_of_an_imported_model(capsys, photos, tmp_path, monkeypatch):
    """Catalog "shop" of ``photos``, indexed with the product model imported as "mine" (its
    members' int8 fast-path files kept in its folder) and an empty model cache: no backbone
    weights, so a member whose file does not load must be converted again, which cannot be
    done once the cache is read-only (``_read_only``). (the cache, each member's int8 file)."""
    from vsdesk.engine.product import embedder, fast, model, model_store

    cache = tmp_path / "cache"
    cache.mkdir()  # (reading the cache makes no folder: this one is made read-only below)
    monkeypatch.setenv("VSDESK_CACHE_DIR", str(cache))
    assert run(capsys, "models", "import", "product/mine", str(REPO / "resources" / "models" / "product"))[0] == 0
    assert run(capsys, "index", "--mode", "product", "--model", "mine", "--catalog", "shop", str(photos))[0] == 0
    folder = model_store.model_dir("mine")
    meta = model.read_meta(folder)
    keys = [fast.model_file_key(embedder.weights_key(folder, meta.backbone, member=m), meta.size,
                                fast.calibration_identity(), meta.backbone) for m in range(meta.members)]
    return cache, [fast.model_file(folder, key) for key in keys]


@contextlib.contextmanager
def _read_only(cache):
    for path in [cache, *cache.rglob("*")]:
        path.chmod(0o555 if path.is_dir() else 0o444)
    try:
        yield
    finally:
        for path in [cache, *cache.rglob("*")]:
            path.chmod(0o755 if path.is_dir() else 0o644)


@needs_setpriv
@pytest.mark.slow
def test_a_damaged_member_fails_the_load_as_a_missing_one_does(capsys, photos, tmp_path, monkeypatch):
    """The product model's second member, which only a query's class probabilities need, has a
    damaged int8 file, and the cache, where it would be converted again, is read-only. Its
    file missing failed the load (exit 1, in words); damaged, it was read only at the first
    query: the search answered without the queries' facts and exited 0 (with --same-class, each
    query failed alone). Both are now a failure of the load, said once, in the same words."""
    cache, members = _shop_of_an_imported_model(capsys, photos, tmp_path, monkeypatch)
    members[1].write_bytes(b"not a flatbuffer")
    queries = [str(path) for path in sorted(photos.glob("*.jpg"))[:2]]
    search = [sys.executable, "-m", "vsdesk", "search", "--catalog", "shop", "-k", "3", *queries]
    with _read_only(cache):
        runs = [without_root_powers([*search, *options]) for options in (["--json", "--same-class"], ["--json"], [])]
    for ran in runs:
        assert ran.returncode == 1 and "Traceback" not in ran.stderr, ran.stderr
        assert "vsdesk: model 'efficientnet-lite0' is not available (" in ran.stderr, ran.stderr
        assert ran.stderr.count("does not load") == 1, ran.stderr  # the damaged file, read once
    for ran in runs[:2]:
        assert [record["error_kind"] for record in json.loads(ran.stdout)] == ["command-failed"] * 2, ran.stdout


@needs_setpriv
@pytest.mark.slow
def test_a_damaged_second_member_does_not_stop_an_index_run_and_is_said_at_the_next_search(
        capsys, photos, tmp_path, monkeypatch):
    """An index run reads the product model's first member alone (the vectors and their key);
    the others only add a query's class probabilities. `index` loaded them all the same, so a
    damaged second member (the cache read-only: it cannot be converted again) stopped the run.
    The run indexes now; the next search, which needs every member, fails the load in words."""
    cache, members = _shop_of_an_imported_model(capsys, photos, tmp_path, monkeypatch)
    members[1].write_bytes(b"not a flatbuffer")
    new = photos / "new.jpg"  # to be embedded: the run loads the model
    shutil.copy(CLOTHING_DIR / "images" / sorted(os.listdir(CLOTHING_DIR / "images"))[40], new)
    vsdesk = [sys.executable, "-m", "vsdesk"]
    with _read_only(cache):
        index = without_root_powers([*vsdesk, "index", "--catalog", "shop", "--json"])
        search = without_root_powers([*vsdesk, "search", "--catalog", "shop", "-k", "3", str(new)])
    assert index.returncode == 0 and "Traceback" not in index.stderr, index.stderr
    assert json.loads(index.stdout)["added"] == 1 and "does not load" not in index.stderr
    assert search.returncode == 1 and "Traceback" not in search.stderr, search.stderr
    assert "vsdesk: model 'efficientnet-lite0' is not available (" in search.stderr, search.stderr
    assert search.stderr.count("does not load") == 1, search.stderr


@needs_setpriv
@pytest.mark.slow
def test_a_member_that_cannot_be_loaded_fails_the_command_in_words(capsys, photos, tmp_path, monkeypatch):
    """A member's int8 file missing (not damaged) with a read-only cache ended `vsdesk search` in
    a traceback: its conversion, due at the load (``warm_up``), was outside the load's error
    handling. The first member's file damaged did the same in search and index (read at the
    first use). Each is now a failure of the load: exit 1, in words, and the JSON document."""
    cache, members = _shop_of_an_imported_model(capsys, photos, tmp_path, monkeypatch)
    second = members[1].read_bytes()
    members[1].unlink()
    query = str(sorted(photos.glob("*.jpg"))[0])
    vsdesk = [sys.executable, "-m", "vsdesk"]
    with _read_only(cache):
        missing = without_root_powers([*vsdesk, "search", "--catalog", "shop", "--json", query])
    members[1].write_bytes(second)  # no conversion due: the first member is read at its first use
    members[0].write_bytes(b"not a flatbuffer")
    shutil.copy(CLOTHING_DIR / "images" / sorted(os.listdir(CLOTHING_DIR / "images"))[40], photos / "new.jpg")
    with _read_only(cache):
        damaged = without_root_powers([*vsdesk, "search", "--catalog", "shop", query])
        index = without_root_powers([*vsdesk, "index", "--catalog", "shop", "--json"])
    for ran in (missing, damaged, index):
        assert ran.returncode == 1 and "Traceback" not in ran.stderr, ran.stderr
        assert "vsdesk: model 'efficientnet-lite0' is not available (" in ran.stderr, ran.stderr
    [record] = json.loads(missing.stdout)
    assert record["error"].startswith("model 'efficientnet-lite0' is not available (")
    assert (record["error_kind"], record["results"]) == ("command-failed", [])
    assert json.loads(index.stdout)["error"].startswith("model 'efficientnet-lite0' is not available (")


def test_every_option_of_these_commands_has_a_help_text_that_states_its_default():
    """`vsdesk vae decode --help` listed x, y, --out and --weights without a word; `train vae
    --seed`, `catalogs remove NAME` ... too. (`train product`, `eval product` and `models` are
    checked with their own commands' tests.)"""
    import argparse

    from vsdesk.cli import build_parser

    def options(parser, path):
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    yield from options(sub, (*path, name))
            elif not isinstance(action, (argparse._HelpAction, argparse._VersionAction)):
                yield " ".join(path), action

    checked = 0
    for command, action in options(build_parser(), ()):
        if command in ("train product", "eval product") or command.startswith("models"):
            continue
        name = "/".join(action.option_strings) or action.dest
        assert action.help, f"vsdesk {command} {name}: no help"
        if action.default not in (None, False):
            assert "default" in action.help, f"vsdesk {command} {name}: default {action.default!r} not said"
        checked += 1
    assert checked > 40


def test_a_search_with_many_queries_says_how_far_it_is_on_stderr(capsys, photos):
    """`vsdesk search` with 240 product photos said "loading the product model ..." and then
    nothing for 95 s: from QUERY_PROGRESS_FROM queries it counts them on stderr as it reads,
    embeds and describes them; --json's stdout is the same document; one query says nothing more."""
    from vsdesk.cli._search_command import QUERY_PROGRESS_FROM

    queries = sorted(str(p) for p in photos.glob("*.jpg") if p.name != "broken.jpg")[:QUERY_PROGRESS_FROM]
    code, _, err = run(capsys, "index", "--mode", "vae", "--catalog", "mine", str(photos))
    assert code == 0, err
    code, out, err = run(capsys, "search", "--mode", "vae", "--catalog", "mine", "-k", "2", "--json", *queries)
    assert code == 0, err
    records = json.loads(out)
    assert [record["query"] for record in records] == queries and all(len(r["results"]) == 2 for r in records)
    lines = err.splitlines()  # (not a terminal here: a line per step and per tenth)
    n = QUERY_PROGRESS_FROM
    assert any(line.startswith("query 0/") and line.endswith("reading") for line in lines), err
    # Each step ends at 100 % (in a log "reading" stopped at 90 %, as did "embedding" at its last batch).
    for step in ("reading", "embedding", "describing"):
        last = [line for line in lines if line.startswith("query ") and line.endswith(f"% {step}")][-1]
        assert last == f"query {n}/{n} 100.0% {step}", err
    assert lines[-1] == f"query {n}/{n} 100.0% describing", err
    code, out, err = run(capsys, "search", "--mode", "vae", "--catalog", "mine", "-k", "2", "--json", queries[0])
    assert code == 0 and "query " not in err, err


def test_a_folder_that_was_always_empty_is_not_called_a_disk_away(capsys, tmp_path):
    """A new catalog is made of the folders it is given, images or not (docs/catalogs.md): one
    of an empty folder was then listed as "empty (a disk that is not mounted?)", a guess meant
    for a folder whose images the catalog keeps. It holds none of them: "empty", and how to drop it."""
    empty = tmp_path / "empty"
    empty.mkdir()
    assert run(capsys, "index", "--mode", "vae", "--catalog", "emptycat", str(empty))[0] == 0
    code, out, _ = run(capsys, "catalogs", "list")
    assert code == 0 and "disk" not in out, out
    assert out.endswith(f"    {empty}\n      note: empty; the catalog holds none of its images; `vsdesk catalogs "
                        f"remove-folder emptycat {empty}` drops it from the catalog\n"), out


def _pasted_into_bash(command: str) -> list[bytes]:
    """The words bash gives ``command`` (a `vsdesk …` command as printed) when it is pasted."""
    said = subprocess.run(["bash", "-c", "vsdesk() { printf '%s\\0' \"$@\"; }; " + command], capture_output=True,
                          timeout=30, check=True).stdout
    return said.split(b"\0")[:-1]


def test_the_commands_said_for_a_folder_named_in_bytes_not_utf8_can_be_pasted_into_bash(capsys, tmp_path):
    """A folder whose name is not UTF-8 was printed in the remove-folder command with its bytes
    as Python's escapes (caf\\xe9), unquoted: pasted into a shell, that named another folder. It
    is quoted as bash takes it ($'…\\xe9…'), and the command drops it."""
    empty = tmp_path / os.fsdecode(b"caf\xe9 photos")  # Latin-1 bytes, as an old archive gives them
    empty.mkdir()
    assert run(capsys, "index", "--mode", "vae", "--catalog", "emptycat", str(empty))[0] == 0
    code, out, _ = run(capsys, "catalogs", "list")
    command = out.split("`")[-2]
    assert code == 0 and command.startswith("vsdesk catalogs remove-folder emptycat $'"), out
    words = _pasted_into_bash(command)
    assert words == [b"catalogs", b"remove-folder", b"emptycat", os.fsencode(empty)]
    assert run(capsys, *(os.fsdecode(word) for word in words))[0] == 0  # the command as pasted drops it
    assert json.loads(run(capsys, "catalogs", "list", "--json")[1])[0]["folders"] == []
    # A folder away: its remove-folder command as well; any other name in plain shell quotes.
    from vsdesk.engine.catalog import how_to_forget

    gone = str(tmp_path / os.fsdecode(b"it's \xe9t\xe9"))
    forget = how_to_forget(gone, "shop", [gone])
    assert _pasted_into_bash(forget.split("`")[1]) == [b"catalogs", b"remove-folder", b"shop", os.fsencode(gone)]
    plain = str(tmp_path / "my photos")
    assert f"`vsdesk catalogs remove-folder shop '{plain}'`" in how_to_forget(plain, "shop", [plain])


def _install(root: Path, sample: Path) -> Path:
    """A vsdesk installation's resources at ``root``: the shipped models, and a clothing sample
    of three of its photos (the wheel's 340 take minutes to index here)."""
    root.mkdir()
    (root / "models").symlink_to(sample.parent.parent / "models")
    folder = root / "samples" / "clothing"
    folder.mkdir(parents=True)
    for name in sorted(p.name for p in sample.glob("*.jpg"))[:3]:
        shutil.copy2(sample / name, folder / name)
    shutil.copy2(sample / "labels.csv", folder / "labels.csv")
    return root


def test_catalogs_list_says_a_sample_folder_of_another_install_is_replaced_not_missing(capsys, tmp_path, monkeypatch):
    """The review (31, 2): vsdesk installed again into a new environment with the same home;
    `catalogs list` said the clothing sample's folder, inside the old installation, "missing"
    and offered `catalogs remove-folder` for it, while the next search takes the new
    installation's folder by itself."""
    from vsdesk.engine import paths

    shipped = paths.resources_dir() / "samples" / "clothing"
    old, new = _install(tmp_path / "old", shipped), _install(tmp_path / "new", shipped)
    monkeypatch.setattr(paths, "resources_dir", lambda: old)
    code, _, err = run(capsys, "index", "--mode", "product", "--catalog", "clothing")
    assert code == 0, err
    shutil.rmtree(old)  # the old environment deleted
    monkeypatch.setattr(paths, "resources_dir", lambda: new)
    code, out, _ = run(capsys, "catalogs", "list")
    assert code == 0
    assert "a sample of another vsdesk install: the next search or index run uses this install's copy" in out
    assert "missing" not in out and "remove-folder" not in out
    code, out, _ = run(capsys, "catalogs", "list", "--json")
    [info] = json.loads(out)
    assert info["other_install_sample_folders"] == [str(old / "samples" / "clothing")]
    code, _, err = run(capsys, "search", "--mode", "product", "--catalog", "clothing",
                       str(new / "samples" / "clothing" / sorted(p.name for p in (new / "samples" / "clothing").glob("*.jpg"))[0]))
    assert code == 0, err
    code, out, _ = run(capsys, "catalogs", "list")
    assert str(new / "samples" / "clothing") in out and str(old) not in out
    assert "note:" not in out  # this installation's own sample: nothing to say


def test_a_stop_during_an_index_run_is_said_at_once_not_after_the_batch(tmp_path):
    """The review (session 24): SIGTERM to a style index ended it 12.5 s later, after the batch
    the model was in, with nothing said meanwhile. The stop is said on stderr at once."""
    import re
    import signal
    import time

    from conftest import STYLE_DIR

    folder = copy_images(sorted(STYLE_DIR.glob("s_*.jpg"))[:24], tmp_path / "art")
    process = subprocess.Popen([sys.executable, "-m", "vsdesk", "index", "--mode", "style", "--catalog", "art",
                                "--batch-size", "12", str(folder)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, env=os.environ.copy())
    lines, sent, said_at = [], None, None
    for line in process.stderr:
        lines.append(line)
        found = re.search(r"indexing art (\d+)/24", line)
        if sent is None and found and int(found.group(1)) > 0:  # the model is at the next batch
            process.send_signal(signal.SIGTERM)
            sent = time.monotonic()
        if sent is not None and "stopping after the current step" in line:
            said_at = time.monotonic()
    assert process.wait(timeout=120) == 143, "".join(lines)
    ended = time.monotonic()
    err = "".join(lines)
    assert sent is not None, err
    said = "vsdesk: stopping after the current step…"
    assert said in err and err.index(said) < err.index("interrupted: what catalog 'art'"), err
    assert said_at is not None and err.count(said) == 1, err
    print(f"said {said_at - sent:.2f} s after the signal, ended {ended - sent:.2f} s after it")
