"""Copies of one picture as different files (a PNG export, a re-saved JPEG) are one search
result, with real photos and the real product model, through `vsdesk search` (the engine's one
query pipeline, which the window's session shares)."""

from __future__ import annotations

import json

import pytest
from PIL import Image

from conftest import CLOTHING_DIR, run_cli as run

PHOTOS = CLOTHING_DIR / "images"
#: Two different photos of similar items that the product model puts closest among 1,000
#: clothing photos (cosine 0.953, scripts/measure_copies.py): as close as the model's view of a
#: picture and its copy, yet not the same picture.
SIMILAR = ("1dfed9b7-d0c3-4c6b-aa8b-e827b3558c0c.jpg", "57948e3b-4f45-4ec2-adc1-f80658cf40a4.jpg")


@pytest.fixture
def shop(tmp_path):
    """A catalog folder: photo A with its PNG export and a JPEG q85 re-save (other bytes, the
    same picture), the two similar photos, and eight other photos."""
    shop = tmp_path / "shop"
    shop.mkdir()
    photos = sorted(PHOTOS.glob("*.jpg"))
    original = photos[100]
    (shop / original.name).write_bytes(original.read_bytes())
    picture = Image.open(original).convert("RGB")
    picture.save(shop / "exported.png")
    picture.save(shop / "resaved.jpg", quality=85)
    for name in SIMILAR:
        (shop / name).write_bytes((PHOTOS / name).read_bytes())
    for photo in photos[200:208]:
        (shop / photo.name).write_bytes(photo.read_bytes())
    query = tmp_path / "query.jpg"  # A cut by 2 % (not a copy: see docs): A ranks first
    picture.crop((picture.width // 50, picture.height // 50, picture.width, picture.height)).save(query, quality=90)
    return shop, original, query


def _search(capsys, *argv):
    code, out, err = run(capsys, "search", "--catalog", "shop", "--json", *argv)
    assert code == 0, err
    return json.loads(out)


def test_copies_of_one_picture_are_one_result_and_k_is_filled_with_different_pictures(capsys, shop):
    folder, original, query = shop
    assert run(capsys, "index", "--mode", "product", "--catalog", "shop", str(folder))[0] == 0
    [record] = _search(capsys, "-k", "10", str(query))
    paths = [hit["path"] for hit in record["results"]]
    picture = {str(folder / original.name), str(folder / "exported.png"), str(folder / "resaved.jpg")}
    # The best-ranked of the three files, the two others its copies.
    first = record["results"][0]
    assert first["path"] in picture and set(first["copies"]) == picture - {first["path"]}
    assert len(picture & set(paths)) == 1
    # 13 files, 11 pictures: k = 10 different ones, none of them listing copies but the first
    assert len(paths) == 10 == len(set(paths))
    assert all(hit["copies"] == [] for hit in record["results"][1:])
    # The two similar photos are two results: the model alone would have called them the same.
    assert {str(folder / name) for name in SIMILAR} <= set(paths)
    # The text output says them under the result.
    code, out, _ = run(capsys, "search", "--catalog", "shop", "-k", "3", str(query))
    assert code == 0
    assert all(f"a copy at {path}" in out for path in first["copies"])


def test_show_copies_lists_every_copy_as_a_result(capsys, shop):
    folder, original, query = shop
    assert run(capsys, "index", "--mode", "product", "--catalog", "shop", str(folder))[0] == 0
    [record] = _search(capsys, "-k", "3", "--show-copies", str(query))
    assert {hit["path"] for hit in record["results"]} == {
        str(folder / original.name), str(folder / "exported.png"), str(folder / "resaved.jpg")}
    assert all(hit["copies"] == [] for hit in record["results"])


def test_the_query_s_picture_in_other_files_is_left_out_as_its_copies(capsys, shop, tmp_path):
    """A re-saved copy of A as the query: A and both its copies are the query (left out, named
    "picture" unless the model gives one the query's very vector), and k is still filled."""
    folder, original, _ = shop
    query = tmp_path / "again.jpg"
    Image.open(original).convert("RGB").save(query, quality=70)
    assert run(capsys, "index", "--mode", "product", "--catalog", "shop", str(folder))[0] == 0
    [record] = _search(capsys, "-k", "10", str(query))
    left_out = {copy["path"]: copy["same"] for copy in record["copies_left_out_paths"]}
    assert set(left_out) == {str(folder / original.name), str(folder / "exported.png"), str(folder / "resaved.jpg")}
    assert set(left_out.values()) <= {"picture", "vector"}
    assert record["copies_left_out"] == 3
    assert len(record["results"]) == 10 and not set(left_out) & {hit["path"] for hit in record["results"]}


def test_the_window_s_session_folds_copies_and_leaves_out_those_of_a_pasted_picture(shop):
    """The window's search (``ModeSession``) ranks as `vsdesk search` does: the hit says its
    copies (their rows select it on the map); a pasted picture (no file, so no content hash)
    re-saved as JPEG q70 is the same picture as A, whose three files are then left out."""
    import io

    from vsdesk.engine.imageio import load_image
    from vsdesk.engine.session import ModeSession

    folder, original, query = shop
    session = ModeSession("product")
    session.open_catalog(session.create_folder_catalog(str(folder)))
    found = session.query(load_image(query), str(query), k=4)
    picture = {str(folder / original.name), str(folder / "exported.png"), str(folder / "resaved.jpg")}
    first = found.hits[0]
    assert {first.path, *first.copies} == picture and len(first.copy_rows) == 2
    assert len(found.hits) == 4 and not picture & {hit.path for hit in found.hits[1:]}

    data = io.BytesIO()
    load_image(original).save(data, "JPEG", quality=70)
    pasted = session.query(load_image(data.getvalue()), "clipboard image", k=4)
    assert {copy.path for copy in pasted.copies} == picture and pasted.left_out == 3
    assert len(pasted.hits) == 4 and not picture & {hit.path for hit in pasted.hits}
