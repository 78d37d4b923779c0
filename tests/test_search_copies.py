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


def test_a_folded_picture_is_shown_at_its_oldest_file_whichever_ranks_first(capsys, shop):
    """Which of a picture's files ranks first changes from query to query: the result shows
    the oldest (the one the copies were made from), the same in every search, at the best
    file's place and score. Here the file ranked last of the three is made the oldest."""
    import os

    folder, original, query = shop
    assert run(capsys, "index", "--mode", "product", "--catalog", "shop", str(folder))[0] == 0
    [each] = _search(capsys, "-k", "3", "--show-copies", str(query))
    ranked = [hit["path"] for hit in each["results"]]
    assert set(ranked) == {str(folder / original.name), str(folder / "exported.png"), str(folder / "resaved.jpg")}
    for age, path in enumerate(reversed(ranked)):  # the last ranked the oldest
        os.utime(path, (1_600_000_000 + age * 100, 1_600_000_000 + age * 100))
    [record] = _search(capsys, "-k", "3", str(query))
    first = record["results"][0]
    assert first["path"] == ranked[-1] and sorted(first["copies"]) == sorted(ranked[:-1])
    assert first["score"] == each["results"][0]["score"]


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


#: Fashion-MNIST test images among which the review found different garments the picture rule
#: calls the same (within 32 hash bits, VAE cosine 0.95 or more): a plaid and a plain shirt, two
#: different boots; 1728's nearest is such a different shirt.
FASHION_CLOSE = (1608, 1728, 3839, 5225, 5380, 5604, 6933, 7375, 8052, 8434)


def test_vae_mode_folds_no_different_garments_and_leaves_none_out_as_the_query(capsys, tmp_path):
    import gzip

    import numpy as np

    from conftest import FASHION_MNIST_DIR

    raw = gzip.open(FASHION_MNIST_DIR / "t10k-images-idx3-ubyte.gz").read()[16:]
    images = np.frombuffer(raw, np.uint8).reshape(-1, 28, 28)
    shop = tmp_path / "shop"
    shop.mkdir()
    for i in FASHION_CLOSE:
        Image.fromarray(images[i], "L").save(shop / f"{i}.png")
    query = tmp_path / "query.png"
    query.write_bytes((shop / "1728.png").read_bytes())
    assert run(capsys, "index", "--mode", "vae", "--catalog", "shop", str(shop))[0] == 0
    code, out, err = run(capsys, "search", "--mode", "vae", "--catalog", "shop", "--json", "-k", "10", str(query))
    assert code == 0, err
    [record] = json.loads(out)
    assert [copy["path"] for copy in record["copies_left_out_paths"]] == [str(shop / "1728.png")]
    assert {hit["path"] for hit in record["results"]} == {str(shop / f"{i}.png") for i in FASHION_CLOSE if i != 1728}
    assert all(hit["copies"] == [] for hit in record["results"])


def test_a_pasted_picture_is_signed_only_in_a_mode_that_folds_copies(shop, tmp_path):
    """VAE mode folds no copies, yet the window's session signed a pasted query's picture (a DCT
    of it) for a fold that never came: the VAE query has no signature now, its results as
    before; a product query pasted keeps one (the previous test: its copies are left out)."""
    from vsdesk.engine.copies import signature
    from vsdesk.engine.imageio import load_image
    from vsdesk.engine.session import ModeSession

    folder, original, _query = shop
    pasted = load_image(original)
    product = ModeSession("product")
    product.open_catalog(product.create_folder_catalog(str(folder)))
    assert product.query(pasted, "clipboard image", k=3).query_signature == signature(pasted)
    vae = ModeSession("vae")
    vae.open_catalog(vae.create_folder_catalog(str(folder)))
    found = vae.query(pasted, "clipboard image", k=3)
    assert found.query_signature is None
    assert len(found.hits) == 3 and all(hit.copies == () for hit in found.hits)


def test_many_copies_of_one_picture_are_looked_for_only_so_deep(capsys, tmp_path, monkeypatch):
    """210 byte-different files of one blank picture: the search ranks (and reads the pictures
    of) at most ``deepest_folded(k)`` files to fill k, not the whole catalog."""
    from PIL import PngImagePlugin

    import vsdesk.engine.copies as copies

    shop = tmp_path / "shop"
    shop.mkdir()
    for i in range(210):
        info = PngImagePlugin.PngInfo()
        info.add_text("copy", str(i))  # other bytes, the same picture
        Image.new("RGB", (64, 64), (240, 240, 240)).save(shop / f"blank{i}.png", pnginfo=info)
    assert run(capsys, "index", "--mode", "product", "--catalog", "shop", str(shop))[0] == 0
    read = []
    real = copies.signature
    monkeypatch.setattr(copies, "signature", lambda image: read.append(1) or real(image))
    record = _search(capsys, "-k", "3", str(sorted(PHOTOS.glob("*.jpg"))[100]))[0]
    assert len(record["results"]) == 1 and len(record["results"][0]["copies"]) >= 100
    assert len(read) <= 1 + 200  # the query's and at most deepest_folded(3) files


def test_a_file_s_signature_follows_the_file_away_back_changed_or_too_large(tmp_path, monkeypatch):
    """Not kept while a file cannot be read (back, it is folded again), read anew once the file
    changed under the catalog's hash, and not read at all beyond ``MAX_SIGNED_PIXELS``."""
    import os

    import vsdesk.engine.copies as copies
    from vsdesk.engine.imageio import load_image

    photos = sorted(PHOTOS.glob("*.jpg"))
    path = tmp_path / "a.jpg"
    assert copies.signature_of_file(path, "hash-of-a") is None  # away (a disk unplugged)
    path.write_bytes(photos[100].read_bytes())
    first = copies.signature_of_file(path, "hash-of-a")
    assert first == copies.signature(load_image(photos[100], min_size=256))
    path.write_bytes(photos[200].read_bytes())  # changed since indexing: the catalog's hash is old
    os.utime(path, ns=(1, 1))
    changed = copies.signature_of_file(path, "hash-of-a")
    assert changed == copies.signature(load_image(photos[200], min_size=256)) and changed != first

    big = tmp_path / "big.png"
    Image.new("L", (5000, 4100), 128).save(big)  # 20.5 megapixels
    decoded = []
    monkeypatch.setattr(copies, "signature", lambda image: decoded.append(image.size))
    assert copies.signature_of_file(big, "hash-of-big") is None and decoded == []


def test_style_mode_folds_a_re_saved_artwork_into_its_original(capsys, tmp_path):
    """Style (real VGG16) folds copies too (``SAME_PICTURE_COSINE["style"]``): a painting
    re-saved as JPEG q85 is one result with it, and k = 6 is filled with six different
    paintings of the seven files. Broken folding lists the copy as a result of its own."""
    from conftest import STYLE_DIR

    art = tmp_path / "art"
    art.mkdir()
    paintings = sorted(STYLE_DIR.glob("s_cubism-0[1-3].jpg")) + sorted(STYLE_DIR.glob("s_impressionist-0[1-3].jpg"))
    for path in paintings:
        (art / path.name).write_bytes(path.read_bytes())
    original = art / paintings[0].name
    Image.open(original).convert("RGB").save(art / "resaved.jpg", quality=85)
    assert run(capsys, "index", "--mode", "style", "--catalog", "art", str(art))[0] == 0
    query = STYLE_DIR / "s_cubism-05.jpg"  # another cubist painting: not a copy of any
    code, out, err = run(capsys, "search", "--catalog", "art", "--json", "-k", "6", str(query))
    assert code == 0, err
    [record] = json.loads(out)
    results = {hit["path"]: hit["copies"] for hit in record["results"]}
    picture = {str(original), str(art / "resaved.jpg")}
    assert len(results) == 6 and len(picture & set(results)) == 1
    [shown] = picture & set(results)
    assert results[shown] == list(picture - {shown})
    assert set(results) - picture == {str(art / path.name) for path in paintings[1:]}
    assert all(copies == [] for path, copies in results.items() if path != shown)
