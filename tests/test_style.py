"""Style mode: configuration, sketch, labels (fast, no model) and the real evaluation (VGG16 on the
32 style artworks, both configurations in one run) with the issue's targets."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import REPO, STYLE_DIR

from vsdesk.engine.style import DEFAULT, NOTEBOOK, StyleConfig, make_config
from vsdesk.engine.style import descriptor
from vsdesk.engine.style.evaluate import LabelError, label_from_name, labelled_images, retrieval_metrics

MAX_BYTES = 16 * 1024


def test_importing_the_style_engine_and_cli_loads_no_tensorflow():
    code = (
        "import sys\n"
        "import vsdesk.engine.style, vsdesk.engine.style.embedder, vsdesk.engine.style.evaluate\n"
        "import vsdesk.engine.style.notebook, vsdesk.engine.bench.style, vsdesk.engine.models.vgg16\n"
        "import vsdesk.cli.style_commands\n"
        "from vsdesk.cli import build_parser; build_parser()\n"
        "heavy = [m for m in ('tensorflow', 'keras', 'onnx', 'h5py', 'PySide6') if m in sys.modules]\n"
        "print(heavy)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


def test_default_embedding_fits_in_16_kb_and_keys_follow_the_configuration():
    assert DEFAULT.bytes_per_image <= MAX_BYTES
    assert DEFAULT.dim * 4 == DEFAULT.bytes_per_image
    assert NOTEBOOK.dim == 64 * 64 + 128 * 128 + 256 * 256  # 86,016 floats, as the notebook stored
    blended = make_config(subject_weight=0.3)
    assert blended.bytes_per_image <= MAX_BYTES
    assert len({DEFAULT.key, NOTEBOOK.key, blended.key, make_config(subject_weight=0.31).key}) == 4
    assert make_config(subject_weight=None) == DEFAULT
    with pytest.raises(ValueError):
        make_config(subject_weight=1.5)
    with pytest.raises(ValueError):
        StyleConfig(layers=("block9_conv1",), size=224)


def test_count_sketch_is_fixed_and_keeps_similarities():
    rng = np.random.default_rng(1)
    # Gram-like vectors: a shared component plus individual parts, so cosines spread over 0..1.
    common = rng.random(32896)
    x = np.stack([common * rng.random() + rng.random(32896) for _ in range(12)])
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    a = descriptor.count_sketch(x, "block3_conv1", 640, seed=0)
    b = descriptor.count_sketch(x, "block3_conv1", 640, seed=0)
    np.testing.assert_array_equal(a, b)  # no state: the same entry always lands in the same bucket
    assert not np.allclose(a, descriptor.count_sketch(x, "block4_conv1", 640, seed=0))
    a /= np.linalg.norm(a, axis=1, keepdims=True)
    exact, sketched = x @ x.T, a @ a.T
    assert np.abs(exact - sketched).max() < 0.1
    # Hash values are pinned: a NumPy upgrade must not silently change stored vectors.
    bucket, sign = descriptor.sketch_plan("block2_conv1", 8256, 640, 0)
    assert bucket[:4].tolist() == PINNED_BUCKETS and sign[:4].tolist() == PINNED_SIGNS


PINNED_BUCKETS = [563, 206, 460, 57]
PINNED_SIGNS = [-1.0, -1.0, -1.0, 1.0]


def test_blend_mixes_cosines_by_the_subject_weight():
    rng = np.random.default_rng(2)
    style = rng.normal(size=(2, 40))
    style /= np.linalg.norm(style, axis=1, keepdims=True)
    subject = rng.normal(size=(2, 8))
    config = make_config(subject_weight=0.25)
    v = descriptor.blend(style, subject, config)
    centred = subject - subject.mean(axis=1, keepdims=True)  # the default centres each part
    unit = centred / np.linalg.norm(centred, axis=1, keepdims=True)
    expected = 0.75 * style[0] @ style[1] + 0.25 * unit[0] @ unit[1]
    assert v[0] @ v[1] == pytest.approx(expected, abs=1e-6)
    np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-6)


def test_labels_from_names_and_from_labels_csv(tmp_path):
    assert label_from_name("s_cubism-07.jpg") == "cubism"
    assert label_from_name("s_impressionist-16.jpg") == "impressionist"
    assert label_from_name("Baroque_3.png") == "baroque"
    files, labels = labelled_images(STYLE_DIR)  # has a labels.csv
    assert len(files) == 32 and labels.count("cubism") == 16 and labels.count("impressionist") == 16
    (tmp_path / "a1.jpg").write_bytes(b"x")
    with pytest.raises(LabelError, match="two labels"):
        labelled_images(tmp_path)


def test_labels_from_first_level_subfolders_as_a_catalog_labels(tmp_path):
    """A folder of one subfolder per label (no image of its own, no labels.csv) is labelled by
    those subfolders, images at any depth below them; hidden names left out."""
    import shutil

    for label, pattern in (("cubism", "s_cubism-0[1-3].jpg"), ("impressionism", "s_impressionist-0[1-2].jpg")):
        (tmp_path / label).mkdir()
        for path in sorted(STYLE_DIR.glob(pattern)):
            shutil.copy(path, tmp_path / label / path.name)
    (tmp_path / "impressionism" / "more").mkdir()
    shutil.copy(STYLE_DIR / "s_impressionist-09.jpg", tmp_path / "impressionism" / "more" / "x.jpg")
    (tmp_path / ".thumbnails").mkdir()
    shutil.copy(STYLE_DIR / "s_cubism-09.jpg", tmp_path / ".thumbnails" / "t.jpg")
    files, labels = labelled_images(tmp_path)
    assert labels == ["cubism"] * 3 + ["impressionism"] * 3
    assert tmp_path / "impressionism" / "more" / "x.jpg" in files
    from vsdesk.engine.style.evaluate import label_source

    assert label_source(tmp_path) == "subfolders"


def test_a_single_label_says_where_labels_come_from(tmp_path):
    for name in ("p1.jpg", "p2.jpg", "p3.jpg"):
        (tmp_path / name).write_bytes(b"x")
    with pytest.raises(LabelError) as caught:
        labelled_images(tmp_path)
    message = str(caught.value)
    assert "found ['p']" in message and "p1.jpg -> p" in message and "file-name prefix" in message
    assert "labels.csv" in message and "subfolder per label" in message
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(LabelError, match="no image files, neither in it nor in subfolders"):
        labelled_images(empty)
    (tmp_path / "labels.csv").write_text("filename,label\nother.jpg,a\n")
    with pytest.raises(LabelError, match="no image of it is listed in its labels.csv"):
        labelled_images(tmp_path)


def test_retrieval_metrics_on_known_rankings():
    perfect = np.array([[1, 0], [1, 0.1], [0, 1], [0.1, 1]], float)
    m = retrieval_metrics(perfect, ["a", "a", "b", "b"], ks=(1, 3))
    assert m == {"p@1": 1.0, "p@3": pytest.approx(1 / 3), "map": 1.0}
    swapped = retrieval_metrics(perfect, ["a", "b", "a", "b"], ks=(1,))
    # Each query ranks the other class first: APs 1/3, 1/2, 1/3, 1/2.
    assert swapped["p@1"] == 0.0 and swapped["map"] == pytest.approx(5 / 12)


def test_an_image_alone_in_its_label_is_a_distractor_not_a_query(tmp_path):
    from vsdesk.engine.style.evaluate import LabelError, labelled_images

    x = np.array([[1, 0], [1, 0.1], [0, 1], [0.1, 1], [0.7, 0.7]], float)
    m = retrieval_metrics(x, ["a", "a", "b", "b", "c"], ks=(1, 3))
    assert np.isfinite(m["map"])
    assert m["p@1"] == 1.0 and m["p@3"] == pytest.approx(1 / 3)  # four queries, c among the others
    for name in ("s_cubism-1.jpg", "s_realism-1.jpg"):
        (tmp_path / name).write_bytes(b"x")
    with pytest.raises(LabelError, match="one image only"):
        labelled_images(tmp_path)


def test_leave_one_out_with_expansion_ranks_as_a_catalog_search_of_the_others():
    """The eval's fast leave-one-out scores are n separate ``search_catalog`` calls (an outside
    picture against a catalog of the other images), with database augmentation and query expansion."""
    from vsdesk.engine.search import search_catalog
    from vsdesk.engine.style.config import QUERY_EXPANSION, QueryExpansion
    from vsdesk.engine.style.evaluate import leave_one_out_scores

    rng = np.random.default_rng(3)
    x = rng.normal(size=(20, 12)) + 2 * rng.normal(size=(3, 12))[rng.integers(0, 3, 20)]
    x = (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)
    for expansion in (QUERY_EXPANSION, QueryExpansion(n=2, database_n=0), QueryExpansion(n=0, database_n=4, alpha=1.0)):
        scores = leave_one_out_scores(x, expansion)
        for i in range(len(x)):
            others = [j for j in range(len(x)) if j != i]
            found = search_catalog(([str(j) for j in others], [None] * len(others), x[others]), x[i],
                                   k=len(others), expansion=expansion)[0]
            assert [r.index for r in found] == np.argsort(-scores[i, others], kind="stable").tolist()
            np.testing.assert_allclose([r.score for r in found], np.sort(scores[i, others])[::-1], atol=1e-5)


def test_search_expansion_pulls_in_the_neighbours_neighbours():
    """alpha-QE + alpha-DBA on a chain a - b - c: c is far from the query a, near b; expansion
    lifts c above the unrelated d (plain cosine ranks d first)."""
    from vsdesk.engine.search import expand, top_k
    from vsdesk.engine.style.config import QueryExpansion

    def unit(*v):
        v = np.array(v, np.float32)
        return v / np.linalg.norm(v)

    a = unit(1, 0, 0, 0)
    catalog = np.stack([unit(1, 1, 0, 0), unit(0.3, 1, 0.9, 0), unit(0.5, -0.3, 0, 1)])  # b, c, d
    assert [h.index for h in top_k(catalog, a, 3)[0]] == [0, 2, 1]
    matrix, query = expand(catalog, a, QueryExpansion(n=1, database_n=1, alpha=1.0))
    assert [h.index for h in top_k(matrix, query, 3)[0]] == [0, 1, 2]
    np.testing.assert_allclose(np.linalg.norm(matrix, axis=1), 1.0, atol=1e-6)


def test_centre_window_keeps_pixel_scale():
    from PIL import Image

    from vsdesk.engine.style.embedder import centre_window

    wide = Image.new("RGB", (1600, 900))
    out = centre_window(wide, 224, 400)  # 1600 x 900 -> 400 x 225, then the central 224 x 224
    assert out.size == (224, 224)
    assert centre_window(Image.new("RGB", (900, 100)), 224, 400).size == (224, 224)  # short side up to 224
    assert DEFAULT.decode_size == 400 and NOTEBOOK.decode_size == 224


@pytest.mark.slow
def test_eval_style_cli_on_the_real_artworks(capsys):
    """Both configurations in one run, real VGG16 weights, the 32 artworks: the default (centre
    224 px window at 400 px scale, search with alpha-DBA + alpha-QE) meets the issue's targets
    (mAP >= 0.90, P@5 >= 0.92); measured 0.940 / 0.969, without expansion 0.872 / 0.950."""
    from vsdesk.cli import main

    assert main(["eval", "style", "--data", str(STYLE_DIR), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    for name in ("default", "notebook"):
        assert {"p@5", "p@10", "map", "bytes_per_image"} <= set(result[name])
    default, notebook = result["default"], result["notebook"]
    assert default["bytes_per_image"] <= MAX_BYTES
    assert notebook["bytes_per_image"] == 86016 * 4
    assert default["map"] >= 0.90 and default["p@5"] >= 0.92, result
    plain = default["without_query_expansion"]
    assert plain["map"] >= 0.85 and plain["p@5"] >= 0.92, result
    assert default["query_expansion"] == {"n": 3, "database_n": 3, "alpha": 3.0}
    # The notebook's configuration (issue: mAP ~0.79, P@5 ~0.81) is measurably worse.
    assert 0.70 < notebook["map"] < default["map"] - 0.05, result
    assert notebook["p@5"] < default["p@5"] - 0.05, result


def test_eval_style_leaves_an_unreadable_file_out_and_says_so(capsys, tmp_path):
    import shutil

    from vsdesk.cli import main

    for path in sorted(STYLE_DIR.glob("s_cubism-0[1-3].jpg")) + sorted(STYLE_DIR.glob("s_impressionist-0[1-3].jpg")):
        shutil.copy(path, tmp_path / path.name)
    (tmp_path / "s_cubism-99.jpg").write_bytes(b"")
    assert main(["eval", "style", "--data", str(tmp_path), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["images"] == 6 and result["labels"] == {"cubism": 3, "impressionist": 3}
    assert [item["path"] for item in result["left_out"]] == [str(tmp_path / "s_cubism-99.jpg")]
    assert "empty" in result["left_out"][0]["reason"]

    # a labels.csv that lists only some images, and one that is not there: all said
    (tmp_path / "labels.csv").write_text(
        "filename,label\ns_cubism-01.jpg,a\ns_cubism-02.jpg,a\ns_cubism-03.jpg,b\n"
        "s_impressionist-01.jpg,b\nmissing.jpg,b\n"
    )
    assert main(["eval", "style", "--data", str(tmp_path), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["images"] == 4 and result["labels"] == {"a": 2, "b": 2}
    reasons = {Path(item["path"]).name: item["reason"] for item in result["left_out"]}
    assert reasons["s_impressionist-02.jpg"] == reasons["s_cubism-99.jpg"] == "not listed in labels.csv"
    assert reasons["missing.jpg"] == "listed in labels.csv, but not in the folder"


def test_eval_style_cli_on_a_folder_of_label_subfolders(capsys, tmp_path):
    """`eval style --data DIR` with DIR/cubism/*.jpg, DIR/impressionism/*.jpg: scored, not
    'no image files' (exit 1)."""
    import shutil

    from vsdesk.cli import main

    for label, pattern in (("cubism", "s_cubism-0[1-3].jpg"), ("impressionism", "s_impressionist-0[1-3].jpg")):
        (tmp_path / label).mkdir()
        for path in sorted(STYLE_DIR.glob(pattern)):
            shutil.copy(path, tmp_path / label / path.name)
    assert main(["eval", "style", "--data", str(tmp_path), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["images"] == 6 and result["labels"] == {"cubism": 3, "impressionism": 3}
    assert result["labels_from"] == "subfolders" and result["left_out"] == []


def test_eval_style_text_says_how_the_default_ranks_and_what_seconds_times(capsys, tmp_path):
    """The text said "leave-one-out retrieval by cosine" and printed 2 rows, while the default
    ranks with alpha-DBA + alpha-QE on a 20 % subject blend (in --json's config only): it now
    says so, prints the default's plain-cosine row (``without_query_expansion``) too, and what
    the seconds column times."""
    import shutil

    from vsdesk.cli import main

    for path in sorted(STYLE_DIR.glob("s_cubism-0[1-3].jpg")) + sorted(STYLE_DIR.glob("s_impressionist-0[1-3].jpg")):
        shutil.copy(path, tmp_path / path.name)
    assert main(["eval", "style", "--data", str(tmp_path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].endswith("leave-one-out retrieval: each image the query, all the others the database"), lines
    assert lines[1] == ("  default: centre 224 x 224 px window of the picture reduced to 400 px, cosine 80 % style + 20 % subject "
                        "(block5_pool), alpha-DBA + alpha-QE (3 database / 3 query neighbours, alpha 3), as style "
                        "search ranks"), lines
    assert lines[2] == "  notebook: raw Gram matrices of block1_conv1-block3_conv1 at 224 px, plain cosine"
    assert [line.split()[0] for line in lines[4:7]] == ["default", "default,", "notebook"], lines
    assert lines[5].startswith("default, plain cosine ") and lines[5].split()[-1] == "14,336"  # no time of its own
    assert lines[6].split()[-2] == "344,064"
    assert lines[7].startswith("seconds: embedding every image with that configuration and ranking them all")
    assert main(["eval", "style", "--data", str(tmp_path), "--subject-weight", "0"]) == 0
    assert ", style cosine alone, " in capsys.readouterr().out


def test_embedder_vectors_are_unit_float32_and_the_same_in_either_precision(monkeypatch):
    """Real VGG16 on real artworks (plus a greyscale and a tiny image): shape, norm, dtype; the
    mixed-bfloat16 network (used on CPUs with native bfloat16) gives the float32 vectors."""
    from PIL import Image

    from vsdesk.engine.imageio import load_image
    from vsdesk.engine.style import load_embedder

    files = sorted(STYLE_DIR.glob("s_*.jpg"))[::8]
    images = [load_image(p) for p in files] + [Image.new("RGB", (17, 40), (120, 30, 200))]
    images.append(load_image(files[0]).convert("L").convert("RGB"))
    vectors = {}
    for precision in ("float32", "bfloat16"):
        monkeypatch.setenv("VSDESK_STYLE_PRECISION", precision)
        embedder = load_embedder()
        assert embedder.mode == "style" and embedder.dim == DEFAULT.dim and embedder.key == DEFAULT.key
        v = embedder.embed_images(images)
        assert v.shape == (len(images), DEFAULT.dim) and v.dtype == np.float32
        np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
        vectors[precision] = v
    agreement = np.sum(vectors["float32"] * vectors["bfloat16"], axis=1)
    assert agreement.min() > 0.99, agreement
    info = embedder.describe(images[0], vectors["bfloat16"][0])
    assert json.loads(json.dumps(info))["layers"] == list(DEFAULT.layers)


def test_search_as_text_shows_results_and_one_short_model_line(capsys, tmp_path):
    """`vsdesk search --mode style` for a person: the results and at most a line on the model;
    the configuration's lists and dicts (layers, query_expansion ...) are for --json only."""
    import shutil

    from vsdesk.cli import main

    folder = tmp_path / "art"
    folder.mkdir()
    for path in sorted(STYLE_DIR.glob("s_cubism-0[1-4].jpg")) + sorted(STYLE_DIR.glob("s_impressionist-0[1-3].jpg")):
        shutil.copy(path, folder / path.name)
    assert main(["index", "--mode", "style", "--catalog", "art", str(folder)]) == 0
    query = str(STYLE_DIR / "s_cubism-05.jpg")
    assert main(["search", "--mode", "style", "--catalog", "art", "-k", "3", query, "--json"]) == 0
    [record] = json.loads(capsys.readouterr().out)
    assert record["layers"] == list(DEFAULT.layers) and record["dim"] == DEFAULT.dim  # --json as before
    assert main(["search", "--mode", "style", "--catalog", "art", "-k", "3", query]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"{query}  (catalog art, 7 images)"
    assert lines[1] == (f"  model: VGG16 Gram matrices of {len(DEFAULT.layers)} layers + {DEFAULT.subject_weight:.0%} "
                        f"subject, {DEFAULT.dim:,} numbers per image")
    assert [line.split()[0] for line in lines[2:5]] == ["1.", "2.", "3."]
    # cubism-05's closest paintings (cubism-06, -09, -15) are not among these 7: its best here
    # scores 0.71, below most true matches' (``WEAK_MATCH_SCORE``), and the text says so under the
    # results, without calling them wrong (the review: right answers score that low too).
    assert lines[5:] == ["  (low similarity: the best result scores below most true matches; it may still be right, "
                         "or there may be no close match in this catalog)", ""]


def _quarters(path) -> list:
    from PIL import Image

    image = Image.open(path).convert("RGB")
    w, h = image.size
    return [image.crop((x, y, x + w // 2, y + h // 2)) for x in (0, w // 2) for y in (0, h // 2)]


def test_a_detail_of_a_painting_finds_its_painting_before_clothing_photos():
    """The review: a quarter of a painting, in a catalog of paintings and clothing photos, ranked
    garments above its source. The quarter was magnified to 400 px, so its brushwork was twice
    its source's size; it now keeps its pixel scale (``centre_window``)."""
    from conftest import CLOTHING_DIR

    from vsdesk.engine.imageio import load_image
    from vsdesk.engine.query import embed_queries, rank_queries
    from vsdesk.engine.style import load_embedder

    embedder = load_embedder()
    paintings = sorted(STYLE_DIR.glob("s_*.jpg"))[::4]  # 8: cubist and impressionist
    photos = sorted((CLOTHING_DIR / "images").glob("*.jpg"))[::200][:24]
    catalog = [*paintings, *photos]
    vectors = embedder.embed_images([load_image(p, min_size=embedder.decode_size) for p in catalog])
    details = [crop for path in paintings for crop in _quarters(path)]  # 32 quarters
    queries = np.stack([q.vector for q in embed_queries(embedder, details)])
    ranked = rank_queries(embedder, ([str(p) for p in catalog], [None] * len(catalog), vectors), None, queries, 3,
                          sources=[None] * len(details), query_hashes=[None] * len(details))
    sources = [str(path) for path in paintings for _ in range(4)]
    first = [found[0].path for found in ranked]
    assert sum(top == source for top, source in zip(first, sources)) >= 31, first  # was 28
    assert all(top in map(str, paintings) for top in first), first  # a painting first, never a garment (was 3)


def test_a_right_best_result_with_a_low_score_is_not_called_wrong(capsys, tmp_path):
    """The review: quarters of paintings that found their painting first but scored below
    ``WEAK_MATCH_SCORE`` were told "these are only the closest there are", which was false. The
    flag (and its --json key) stays; the text says what a low score means: it may still be right."""
    import shutil

    from vsdesk.cli import main

    folder = tmp_path / "paintings"
    folder.mkdir()
    source = STYLE_DIR / "s_impressionist-12.jpg"
    for path in [*sorted(STYLE_DIR.glob("s_*.jpg"))[::4], source]:  # 9 paintings
        shutil.copy(path, folder / path.name)
    assert main(["index", "--mode", "style", "--catalog", "art9", str(folder)]) == 0
    query = tmp_path / "quarter.png"
    _quarters(source)[3].save(query)  # its lower right quarter: found first at 0.73 (measured)
    capsys.readouterr()
    assert main(["search", "--mode", "style", "--catalog", "art9", "-k", "1", str(query), "--json"]) == 0
    [record] = json.loads(capsys.readouterr().out)
    assert Path(record["results"][0]["path"]).name == source.name and record["weak_match"] is True
    assert main(["search", "--mode", "style", "--catalog", "art9", "-k", "1", str(query)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[2].split()[:2] == ["1.", f"{record['results'][0]['score']:.3f}"] and source.name in lines[2]
    assert lines[3] == ("  (low similarity: the best result scores below most true matches; it may still be right, "
                        "or there may be no close match in this catalog)")


def test_the_weak_match_note_is_only_given_at_the_weight_it_was_measured_at():
    """``WEAK_MATCH_SCORE`` (0.78) was measured at the default subject weight: scores at another
    slider weight are on another scale, so the note is not given there (``rank_queries``), even
    for a best score below 0.78; at the default weight, whether given as the slider's value or
    not at all, it is."""
    from conftest import CLOTHING_DIR

    from vsdesk.engine.imageio import load_image
    from vsdesk.engine.query import embed_queries, rank_queries
    from vsdesk.engine.style import load_embedder
    from vsdesk.engine.style.config import WEAK_MATCH_SCORE

    embedder = load_embedder()
    garments = sorted((CLOTHING_DIR / "images").glob("*.jpg"))[::400][:8]  # nothing of a painting's style
    vectors = embedder.embed_images([load_image(p, min_size=embedder.decode_size) for p in garments])
    painting = load_image(STYLE_DIR / "s_impressionist-07.jpg", min_size=embedder.decode_size)
    [query] = embed_queries(embedder, [painting])
    catalog = ([str(p) for p in garments], [None] * len(garments), vectors)

    def best(weight):
        [found] = rank_queries(embedder, catalog, None, query.vector[None], 3, sources=[None], query_hashes=[None],
                               subject_weight=weight)
        return found[0].score, found.weak_match

    own = embedder.config.subject_weight
    for weight in (None, own):
        score, weak = best(weight)
        assert score < WEAK_MATCH_SCORE and weak, (weight, score)
    for weight in (0.0, 0.5):
        score, weak = best(weight)
        assert score < WEAK_MATCH_SCORE and not weak, (weight, score)  # low, but not said at this weight


def test_a_painting_among_garments_only_is_said_to_be_a_weak_match(capsys, tmp_path):
    """The review: with nothing of its style in the catalog, a painting's best results (garments)
    came with no sign that they were weak. Its best score is below ``WEAK_MATCH_SCORE`` (measured:
    docs/style.md), said in `vsdesk search`'s text and --json; a painting among paintings is not."""
    import shutil

    from conftest import CLOTHING_DIR

    from vsdesk.cli import main

    for name, files in (("garments", sorted((CLOTHING_DIR / "images").glob("*.jpg"))[::400][:8]),
                        ("paintings", sorted(STYLE_DIR.glob("s_impressionist-0[1-6].jpg")))):
        folder = tmp_path / name
        folder.mkdir()
        for path in files:
            shutil.copy(path, folder / path.name)
        assert main(["index", "--mode", "style", "--catalog", name, str(folder)]) == 0
    capsys.readouterr()
    queries = [str(STYLE_DIR / "s_impressionist-07.jpg"), str(STYLE_DIR / "s_cubism-07.jpg")]
    assert main(["search", "--mode", "style", "--catalog", "garments", "-k", "3", *queries, "--json"]) == 0
    assert [record["weak_match"] for record in json.loads(capsys.readouterr().out)] == [True, True]
    assert main(["search", "--mode", "style", "--catalog", "paintings", "-k", "3", queries[0], "--json"]) == 0
    assert [record["weak_match"] for record in json.loads(capsys.readouterr().out)] == [False]
    assert main(["search", "--mode", "style", "--catalog", "garments", "-k", "3", queries[0]]) == 0
    assert "low similarity: the best result scores below most true matches" in capsys.readouterr().out


def test_eval_style_reads_its_folder_in_one_walk_as_an_index_run_does(capsys, tmp_path, monkeypatch):
    """`eval style --data` walked the folder tree three times (where the labels come from, asked
    twice, then the images; the command asked twice more) and not as `vsdesk index` walks it:
    a linked folder below a label's subfolder was not followed, and with a labels.csv a hidden
    file (macOS's "._photo.jpg") was said "not listed" while a hidden image it lists dropped out
    unsaid. Now one walk, the index's: every folder listed once, the same images, hidden names
    left out as the index leaves them out (and said when labels.csv lists one)."""
    import collections
    import os
    import shutil

    from vsdesk.cli import main
    from vsdesk.engine.catalog import scan_folders

    data, outside = tmp_path / "data", tmp_path / "outside"
    for label, pattern in (("cubism", "s_cubism-0[1-3].jpg"), ("impressionism", "s_impressionist-0[1-2].jpg")):
        (data / label).mkdir(parents=True)
        for path in sorted(STYLE_DIR.glob(pattern)):
            shutil.copy(path, data / label / path.name)
    (outside / "more").mkdir(parents=True)
    shutil.copy(STYLE_DIR / "s_impressionist-09.jpg", outside / "more" / "x.jpg")
    (data / "impressionism" / "linked").symlink_to(outside / "more")  # photos on another disk
    (data / ".thumbnails").mkdir()
    shutil.copy(STYLE_DIR / "s_cubism-09.jpg", data / ".thumbnails" / "t.jpg")
    shutil.copy(STYLE_DIR / "s_cubism-08.jpg", data / "cubism" / ".hidden.jpg")

    listed = collections.Counter()  # folders of this test listed, and how often
    for name in ("scandir", "listdir"):
        real = getattr(os, name)

        def spy(path=".", real=real):
            if str(os.path.realpath(path)).startswith(str(tmp_path)):
                listed[os.path.realpath(path)] += 1
            return real(path)

        monkeypatch.setattr(os, name, spy)
    assert main(["eval", "style", "--data", str(data), "--json"]) == 0
    monkeypatch.undo()
    result = json.loads(capsys.readouterr().out)
    assert listed and set(listed.values()) == {1}, listed
    assert result["labels_from"] == "subfolders" and result["labels"] == {"cubism": 3, "impressionism": 3}
    assert result["images"] == len(scan_folders([str(data)]).files) == 6  # what an index run takes

    own = tmp_path / "own"
    own.mkdir()
    for path in sorted(STYLE_DIR.glob("s_cubism-0[1-2].jpg")) + sorted(STYLE_DIR.glob("s_impressionist-0[1-2].jpg")):
        shutil.copy(path, own / path.name)
    (own / "._s_cubism-01.jpg").write_bytes(b"\x00\x05\x16\x07 AppleDouble")  # no photo: left out unsaid
    shutil.copy(STYLE_DIR / "s_cubism-03.jpg", own / ".s_cubism-03.jpg")
    (own / "labels.csv").write_text("filename,label\ns_cubism-01.jpg,a\ns_cubism-02.jpg,a\ns_impressionist-01.jpg,b\n"
                                    "s_impressionist-02.jpg,b\n.s_cubism-03.jpg,a\n")
    assert main(["eval", "style", "--data", str(own), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert (result["labels_from"], result["images"]) == ("labels.csv", 4)
    assert [(Path(item["path"]).name, item["reason"].split(":")[0]) for item in result["left_out"]] == [
        (".s_cubism-03.jpg", 'listed in labels.csv, but hidden (its name starts with ".")')]
