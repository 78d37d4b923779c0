"""The VAE's command line with the shipped model: `eval vae --json` keys, `vae describe`."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import numpy as np
import pytest

from tests.conftest import CLOTHING_DIR
from vsdesk.cli import main as cli_main

pytestmark = pytest.mark.slow


def test_eval_json_has_exactly_the_issue_keys(capsys):
    code = cli_main(["eval", "vae", "--json", "--test-limit", "200", "--clothing-dir", str(CLOTHING_DIR / "images"),
                     "--clothing-count", "20"])
    assert code == 0
    result = json.loads(capsys.readouterr().out)
    assert set(result) == {"search", "map2d", "test_elbo", "auroc", "baseline"}
    assert set(result["search"]) == {"dims", "knn1", "knn5"}
    assert set(result["map2d"]) == {"knn1", "knn5"}
    assert set(result["auroc"]) == {"digits", "clothing"}
    assert set(result["baseline"]) == {"knn1", "knn5"}
    # 200 test images against the full 60,000 (shipped training latents): near the full figures.
    assert result["search"]["knn5"] > 0.85 and result["map2d"]["knn5"] > 0.8
    assert result["search"]["knn5"] > result["baseline"]["knn5"]
    assert result["auroc"]["digits"] > 0.9
    code = cli_main(["eval", "vae", "--test-limit", "200", "--clothing-dir", str(CLOTHING_DIR / "images"),
                     "--clothing-count", "20"])
    out = capsys.readouterr().out
    assert code == 0 and f"(20 images of {CLOTHING_DIR / 'images'})" in out  # which photos: it matters


def test_describe_any_photo_and_refuse_a_non_image(tmp_path, capsys):
    photo = sorted((CLOTHING_DIR / "images").glob("*.jpg"))[7]
    junk = tmp_path / "notes.jpg"
    junk.write_text("not a picture")
    code = cli_main(["vae", "describe", str(photo), str(junk), "--json", "-k", "3"])
    captured = capsys.readouterr()
    assert code == 1  # as `vsdesk search`: every query answered or explained, exit 1 if one failed
    records = json.loads(captured.out)
    assert [r["query"] for r in records] == [str(photo), str(junk)]
    assert len(records[0]["train_neighbours"]) == 3
    # the second signal, beside the anomaly (keys added, none renamed)
    assert 0 <= records[0]["nearness"]["percentile"] <= 100 and "test images" in records[0]["nearness"]["definition"]
    assert 0 <= records[0]["anomaly"]["percentile"] <= 100
    assert records[1]["error_kind"] == "not-an-image" and "notes.jpg" in records[1]["error"]
    assert "notes.jpg" in captured.err
    # As text, a high nearness is followed by what it means, as the window says it; a low one is not.
    from PIL import Image

    from tests.conftest import STYLE_DIR
    from vsdesk.engine.samples import load_fashion_mnist
    from vsdesk.engine.vae.nearness import HIGH_NOTE

    manet, boot = STYLE_DIR / "s_impressionist-05.jpg", tmp_path / "ankle-boot.png"
    Image.fromarray(load_fashion_mnist("test")[0][0]).save(boot)  # a Fashion-MNIST test item
    code = cli_main(["vae", "describe", str(photo), str(manet), str(boot), "-k", "2"])
    out = capsys.readouterr().out
    assert code == 0 and "of 10 neighbours" in out  # the vote's size, not -k
    assert f"nearness percentile {records[0]['nearness']['percentile']:.1f}," in out
    said = dict(line.split(": ", 1) for line in out.splitlines())
    assert said[str(manet)].endswith(f"). {HIGH_NOTE}") and not said[str(boot)].endswith(HIGH_NOTE)
    assert said[str(photo)].endswith(HIGH_NOTE) == (records[0]["nearness"]["percentile"] >= 95)


def test_describe_tells_a_missing_file_before_loading_the_model(tmp_path, capsys, monkeypatch):
    import vsdesk.engine.vae as vae

    def no_model(*args, **kwargs):
        raise AssertionError("the model was loaded for a query that does not exist")

    monkeypatch.setattr(vae, "load_engine", no_model)
    code = cli_main(["vae", "describe", str(tmp_path / "gone.jpg"), "--json"])
    captured = capsys.readouterr()
    [record] = json.loads(captured.out)
    # A path named on the command line that is not there: exit 2 (README), as `index` of a missing folder.
    assert code == 2 and record["error_kind"] == "unreadable" and "does not exist" in record["error"]
    assert captured.err.count("gone.jpg") == 1
    (tmp_path / "empty.jpg").write_bytes(b"")  # there, but damaged: a failure outside the command line
    assert cli_main(["vae", "describe", str(tmp_path / "gone.jpg"), str(tmp_path / "empty.jpg")]) == 1
    # A folder given as the image: the command must change (exit 2), said as such, no model loaded.
    code = cli_main(["vae", "describe", str(tmp_path), "--json"])
    captured = capsys.readouterr()
    [record] = json.loads(captured.out)
    assert code == 2 and record["error_kind"] == "is-a-folder", record
    assert record["error"] == (f"{tmp_path} is a folder, not an image: give the image files in it "
                               f"(`vsdesk vae describe {tmp_path}/*.jpg`)")


def test_decode_writes_the_format_its_name_asks_for_and_refuses_a_folder_or_nan(tmp_path, capsys):
    from PIL import Image

    assert cli_main(["vae", "decode", "0.5", "0.2", "--out", str(tmp_path / "point.jpg")]) == 0
    assert "wrote" in capsys.readouterr().err
    with Image.open(tmp_path / "point.jpg") as image:
        assert image.format == "JPEG" and image.size == (28, 28)
    assert cli_main(["vae", "decode", "0", "0", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "it is a folder" in err and ".tmp" not in err  # no temporary file name in the message
    assert cli_main(["vae", "decode", "nan", "0", "--out", str(tmp_path / "x.png")]) == 2
    assert not (tmp_path / "x.png").exists()


def test_decode_and_grid_make_no_folders_and_decode_says_a_point_far_off_the_map(tmp_path, capsys):
    """`vae decode 0 0 --out /nonexist/d.png` made /nonexist; `vae decode 9 9` drew a point far
    outside the learned map without a word."""
    for argv in (["decode", "0", "0"], ["grid", "--n", "2"]):
        out = tmp_path / "no-such-folder" / "deeper" / "p.png"
        assert cli_main(["vae", *argv, "--out", str(out)]) == 2
        err = capsys.readouterr().err
        assert f"cannot write {out}: the folder {out.parent} does not exist" in err
        assert not (tmp_path / "no-such-folder").exists()
    assert cli_main(["vae", "decode", "9", "-9", "--out", str(tmp_path / "far.png")]) == 0
    err = capsys.readouterr().err
    assert "note: (9, -9) is outside the part of the map the model learned" in err
    assert (tmp_path / "far.png").is_file()  # decoded all the same
    assert cli_main(["vae", "decode", "2.4", "-1", "--out", str(tmp_path / "near.png")]) == 0
    assert "note" not in capsys.readouterr().err


def test_describe_decodes_a_query_at_the_models_decode_size_as_search_does(tmp_path, capsys, monkeypatch):
    """`vae describe` hard-coded the VAE's decode size (128 px) where `vsdesk search` and the
    window ask the model (``decode_size``): equal today, apart as soon as one changes, and the
    JPEG reduction step changes the anomaly score by nats. With another decode size both
    commands still give the same facts."""
    import shutil

    from tests.conftest import STYLE_DIR
    from vsdesk.engine.vae import VaeEmbedder

    folder = tmp_path / "photos"
    folder.mkdir()
    for src in sorted((CLOTHING_DIR / "images").glob("*.jpg"))[:3]:
        shutil.copy(src, folder / src.name)
    query = str(STYLE_DIR / "s_impressionist-03.jpg")  # 400 x 311: 1/2 at 128 px, 1/4 at 64 px

    def facts(*argv):
        assert cli_main([*argv, "--json", query]) == 0
        [record] = json.loads(capsys.readouterr().out)
        return record["anomaly"]["score"], record["map2d"], record["votes"]

    at_128 = facts("vae", "describe")
    monkeypatch.setattr(VaeEmbedder, "decode_size", 64)
    assert cli_main(["index", "--mode", "vae", "--catalog", "shop", str(folder)]) == 0
    searched = facts("search", "--mode", "vae", "--catalog", "shop", "-k", "1")
    assert facts("vae", "describe") == searched
    assert searched[0] != at_128[0]  # the decode size does change the score


def test_search_as_text_says_what_the_vae_found_in_words(tmp_path, capsys):
    """`vsdesk search --mode vae` for a person: the category with its vote, the anomaly
    percentile in words, the map position; no base64 PNGs, vote dicts or neighbour lists
    (those are in --json, unchanged)."""
    import shutil

    from tests.conftest import STYLE_DIR
    from vsdesk.engine.vae.nearness import HIGH_NOTE

    folder = tmp_path / "photos"
    folder.mkdir()
    for src in sorted((CLOTHING_DIR / "images").glob("*.jpg"))[:8]:
        shutil.copy(src, folder / src.name)
    assert cli_main(["index", "--mode", "vae", "--catalog", "shop", str(folder)]) == 0
    painting = str(STYLE_DIR / "s_cubism-01.jpg")
    assert cli_main(["search", "--mode", "vae", "--catalog", "shop", "-k", "2", painting, "--json"]) == 0
    [record] = json.loads(capsys.readouterr().out)
    assert {"votes", "anomaly", "input_png", "reconstruction_png", "train_neighbours", "map2d"} <= set(record)
    assert cli_main(["search", "--mode", "vae", "--catalog", "shop", "-k", "2", painting]) == 0
    text = capsys.readouterr().out
    lines = text.splitlines()
    category, votes = record["category"], record["votes"]
    assert f"  category: {category} ({votes[category]} of the 10 nearest training images" in text
    percentile = record["anomaly"]["percentile"]
    assert f": {100 - percentile:.1f} % of the Fashion-MNIST training images are more unusual (anomaly percentile " \
        f"{percentile:.1f})" in text and "  anomaly: " in text
    assert f"  map position: ({record['map2d'][0]:.2f}, {record['map2d'][1]:.2f})" in lines
    near = (f"  nearness: its nearest training images are less alike to it than for {record['nearness']['percentile']:.1f} % "
            "of the Fashion-MNIST items")
    assert near in lines  # the second signal, in words
    assert record["nearness"]["percentile"] >= 95  # high, as artworks' are: what that means is said after it
    assert lines[lines.index(near) + 1] == f"  {HIGH_NOTE}"
    for raw in ("data:image", "base64", "train_neighbours", "votes", "{", "'", "definition", "category_index"):
        assert raw not in text, raw
    assert max(len(line) for line in lines) < 200 and len(lines) == 1 + 5 + 2 + 1  # query, facts, results, blank


def test_a_picture_of_one_flat_colour_is_said_to_have_no_object_not_called_typical(tmp_path, capsys):
    """The review: a blank white or black picture was "Sandal (100% of 10 neighbours)", "Typical:
    98.9 % of the training images are more unusual". It has no object; --json keeps its keys."""
    from PIL import Image

    blanks = []
    for name, colour in (("white.png", "white"), ("black.png", "black")):
        Image.new("RGB", (400, 300), colour).save(tmp_path / name)
        blanks.append(str(tmp_path / name))
    photo = str(sorted((CLOTHING_DIR / "images").glob("*.jpg"))[7])  # a garment on a plain background
    assert cli_main(["vae", "describe", *blanks, photo]) == 0
    lines = capsys.readouterr().out.splitlines()
    for blank, line in zip(blanks, lines):
        assert line == f"{blank}: no object found: the picture is (nearly) one flat colour, a smooth gradient or noise " \
            "(nothing to compare with Fashion-MNIST's items)"
    assert "of 10 neighbours" in lines[2] and "no object" not in lines[2]
    assert cli_main(["vae", "describe", "--json", "-k", "1", blanks[0], photo]) == 0
    blank, garment = json.loads(capsys.readouterr().out)
    assert blank["object_found"] is False and blank["note"].startswith("no object found")
    assert {"category", "votes", "anomaly", "map2d", "input_png", "train_neighbours"} <= set(blank)
    assert garment["object_found"] is True and "note" not in garment


def test_a_query_with_no_object_has_no_results_no_category_and_no_place(tmp_path, capsys):
    """The review: a blank picture was "No object found", yet `vsdesk search --mode vae` gave it
    results ("0.831 Sandal") and `vae describe --json` "category": "Sandal", "confidence": 1.0
    beside "object_found": false. Flat colours (made with Pillow) have no results, category,
    confidence, neighbours or map place (the keys stay); a Fashion-MNIST picture and a clothing
    photo in the same run still have them. Exit 0: each query was read and answered."""
    from PIL import Image

    from vsdesk.engine.samples import load_fashion_mnist

    blanks = []
    for name, colour in (("white.png", "white"), ("black.jpg", "black"), ("grey.png", (128, 128, 128))):
        Image.new("RGB", (640, 480), colour).save(tmp_path / name)
        blanks.append(str(tmp_path / name))
    images, labels = load_fashion_mnist("test")
    item = tmp_path / "fmnist.png"
    Image.fromarray(images[0], "L").save(item)  # an Ankle boot (label 9)
    photo = str(sorted((CLOTHING_DIR / "images").glob("*.jpg"))[7])
    folder = tmp_path / "photos"
    folder.mkdir()
    for src in sorted((CLOTHING_DIR / "images").glob("*.jpg"))[:6]:
        shutil.copy(src, folder / src.name)
    for i in range(1, 7):
        Image.fromarray(images[i], "L").save(folder / f"fmnist-{i}.png")
    assert cli_main(["index", "--mode", "vae", "--catalog", "shop", str(folder)]) == 0
    capsys.readouterr()
    queries = [*blanks, str(item), photo]
    assert cli_main(["search", "--mode", "vae", "--catalog", "shop", "-k", "3", "--json", *queries]) == 0
    records = json.loads(capsys.readouterr().out)
    for record in records[:3]:
        assert record["results"] == [] and record["nothing_to_compare"] == \
            "no object found in the picture: nothing to compare", record["query"]
        assert record["object_found"] is False and record["note"].startswith("no object found")
        assert record["category"] is None and record["confidence"] is None and record["map2d"] is None
        assert record["train_neighbours"] == [] and record["votes"] == {} and record["anomaly"] is None
    for record in records[3:]:
        assert len(record["results"]) == 3 and record["nothing_to_compare"] is None, record["query"]
        assert record["object_found"] is True and record["category"] and len(record["map2d"]) == 2
    assert records[3]["category"] == "Ankle boot"
    assert cli_main(["search", "--mode", "vae", "--catalog", "shop", "-k", "3", blanks[0], photo]) == 0
    blank_text, photo_text = capsys.readouterr().out.split("\n\n")[:2]
    assert blank_text.splitlines()[1:] == ["  no results: no object found in the picture: nothing to compare"]
    assert "typical" not in blank_text.lower() and "category" not in blank_text and "Sandal" not in blank_text
    high = records[4]["nearness"]["percentile"] >= 95  # (what a high nearness means: a line of its own)
    assert photo_text.count("\n  ") == 4 + high + 3 and "  category: " in photo_text  # facts and results

    assert cli_main(["vae", "describe", "--json", *blanks[:1], str(item), photo]) == 0
    blank, fmnist, garment = json.loads(capsys.readouterr().out)
    assert blank["category"] is None and blank["confidence"] is None and blank["train_neighbours"] == []
    assert blank["map2d"] is None and blank["input_png"].startswith("data:image/png")
    assert set(blank) >= set(garment) - {"note"}  # the keys stay
    assert fmnist["category"] == "Ankle boot" and fmnist["confidence"] > 0.5 and len(fmnist["train_neighbours"]) == 5
    assert garment["category"] and len(garment["train_neighbours"]) == 5 and len(garment["map2d"]) == 2


def test_a_details_error_written_over_several_lines_reads_as_one_line_without_escapes():
    from vsdesk.cli._search_text import vae_facts

    message = ("cannot get Fashion-MNIST file train-images-idx3-ubyte.gz:\n"
               "  http://mirror-a/train-images-idx3-ubyte.gz: download failed (no network)\n"
               "  without internet, point VSDESK_FASHION_MNIST_DIR at a folder holding the .gz files")
    [line] = vae_facts({"describe_error": message})
    assert line == ("note: the query's details could not be computed (cannot get Fashion-MNIST file "
                    "train-images-idx3-ubyte.gz: http://mirror-a/train-images-idx3-ubyte.gz: download failed "
                    "(no network); without internet, point VSDESK_FASHION_MNIST_DIR at a folder holding the .gz files)")


def test_a_vae_trained_elsewhere_is_imported_with_its_metadata_and_training_latents(tmp_path, capsys, monkeypatch):
    """`train vae --out DIR` writes the weights with vae.json and the training latents beside them;
    `models import vae DIR/vae.weights.h5` brings them along, so queries need neither the network
    nor the Fashion-MNIST training set (they used to, and `vae describe` failed offline)."""
    import shutil

    from tests.conftest import REPO
    from vsdesk.engine import paths

    monkeypatch.setenv("VSDESK_CACHE_DIR", str(tmp_path / "cache"))  # the import must not outlive the test
    monkeypatch.setenv("VSDESK_FASHION_MNIST_DIR", str(tmp_path / "no-fashion-mnist-here"))
    trained = tmp_path / "myvae"
    shutil.copytree(REPO / "resources" / "models" / "vae", trained)  # as `train vae --out` writes it
    assert cli_main(["models", "import", "vae", str(trained / "vae.weights.h5")]) == 0
    cached = sorted(p.name for p in paths.models_dir().iterdir() if p.name.startswith("vae-"))
    stem = next(name for name in cached if name.endswith(".weights.h5")).removesuffix(".weights.h5")
    assert {f"{stem}.json", f"{stem}.train_latents.npz", f"{stem}.nearness.json"} <= set(cached)
    capsys.readouterr()
    photo = sorted((CLOTHING_DIR / "images").glob("*.jpg"))[7]
    assert cli_main(["vae", "describe", str(photo), "--json", "-k", "3"]) == 0
    [record] = json.loads(capsys.readouterr().out)
    assert len(record["train_neighbours"]) == 3 and not record.get("describe_error")
    assert cli_main(["models", "remove", "vae"]) == 0  # the weights and what came with them
    assert not [p for p in paths.models_dir().iterdir() if p.name.startswith(stem)]


def test_models_export_vae_carries_the_nearness_reference_and_import_takes_it_back(tmp_path, capsys, monkeypatch):
    """`models export vae FOLDER` writes the weights in use with everything that belongs with
    them, the nearness reference made for them included (weights imported without one get it
    made now, not at the copy's first query); `models import vae` takes it all back."""
    from tests.conftest import REPO
    from vsdesk.engine import paths
    from vsdesk.engine.models.cache import companion_path
    from vsdesk.engine.vae import nearness
    from vsdesk.engine.vae.engine import VaeEngine

    monkeypatch.setenv("VSDESK_CACHE_DIR", str(tmp_path / "cache"))  # the imports must not outlive the test
    shipped = REPO / "resources" / "models" / "vae"
    expected = {"vae.weights.h5", "vae.json", "vae.train_latents.npz", "vae.nearness.json"}
    assert cli_main(["models", "export", "vae", str(tmp_path / "shipped"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"model": "vae", "path": str(tmp_path / "shipped")}
    assert {p.name for p in (tmp_path / "shipped").iterdir()} == expected
    assert (tmp_path / "shipped" / "vae.nearness.json").read_bytes() == (shipped / "vae.nearness.json").read_bytes()
    assert cli_main(["models", "export", "vae", str(tmp_path / "shipped")]) == 2  # nothing overwritten
    said = capsys.readouterr().err
    assert "not an empty folder" in said and "exporting" not in said  # refused before it said it was exporting

    # Weights brought in without a reference (an import without it works; it is made on first use) ...
    bare = tmp_path / "bare"
    bare.mkdir()
    for name in ("vae.weights.h5", "vae.json", "vae.train_latents.npz"):
        shutil.copy(shipped / name, bare)
    assert cli_main(["models", "import", "vae", str(bare / "vae.weights.h5")]) == 0
    stored = VaeEngine.load().weights_path
    assert stored.parent == paths.models_dir() and not companion_path(stored, nearness.SUFFIX).exists()
    # ... are exported with one, made for them; imported again, it comes along and is used as it is.
    assert cli_main(["models", "export", "vae", str(tmp_path / "again")]) == 0
    record = json.loads((tmp_path / "again" / "vae.nearness.json").read_text(encoding="utf-8"))
    made = nearness.quantiles_from(record, VaeEngine.load().weights_sha256)
    assert made is not None and np.allclose(made, VaeEngine.load(shipped / "vae.weights.h5").nearness_quantiles(),
                                            atol=1e-4)  # the same weights: the same reference
    assert cli_main(["models", "remove", "vae"]) == 0
    assert cli_main(["models", "import", "vae", str(tmp_path / "again" / "vae.weights.h5")]) == 0
    stored = VaeEngine.load().weights_path
    assert companion_path(stored, nearness.SUFFIX).read_bytes() == (tmp_path / "again" / "vae.nearness.json").read_bytes()


def test_models_export_vae_says_a_folder_not_utf8_as_product_export_does(tmp_path, capsys, monkeypatch):
    """`models export vae` printed its folder as it is and in ``shlex.quote``'s quotes: a folder
    named in bytes that are not UTF-8 stopped the command on a UTF-8 stdout after the copy, and
    its `models import` command could not be pasted. Said as `models export product/NAME` says it."""
    monkeypatch.setenv("VSDESK_CACHE_DIR", str(tmp_path / "cache"))
    folder = tmp_path / os.fsdecode(b"caf\xe9 vae")
    assert cli_main(["models", "export", "vae", str(folder)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"vae: exported to {str(tmp_path)}/caf\\xe9 vae; "), out
    command = out.split("`")[1]
    pasted = subprocess.run(["bash", "-c", "vsdesk() { printf '%s\\0' \"$@\"; }; " + command], capture_output=True,
                            timeout=30, check=True).stdout.split(b"\0")[:-1]
    assert pasted == [b"models", b"import", b"vae", os.fsencode(folder / "vae.weights.h5")]


def test_models_export_vae_onto_a_full_disk_leaves_no_folder_behind(tmp_path, capsys, monkeypatch, small_disk):
    """The copy failing (a full disk), its files were removed but the folders it had made for
    them stayed: an empty folder the user did not have. Nothing of the export is left."""
    monkeypatch.setenv("VSDESK_CACHE_DIR", str(tmp_path / "cache"))
    target = small_disk / "exports" / "vae"  # a 3 MB disk, for 11 MB of files
    assert cli_main(["models", "export", "vae", str(target)]) == 1
    assert "No space left on device" in capsys.readouterr().err
    assert not (small_disk / "exports").exists()


def test_json_stays_valid_utf8_for_a_file_name_that_is_not_utf8(tmp_path):
    """Such a name (an old archive's) reaches Python as lone surrogates, which used to be
    written as raw bytes: output no JSON reader accepts."""
    import os
    import shutil
    import subprocess
    import sys

    name = os.fsdecode(b"bad\xffname.jpg")
    shutil.copy(sorted((CLOTHING_DIR / "images").glob("*.jpg"))[3], tmp_path / name)
    done = subprocess.run([sys.executable, "-m", "vsdesk", "vae", "describe", "--json", "-k", "1", name],
                          cwd=tmp_path, capture_output=True, timeout=300, env=os.environ.copy())
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    [record] = json.loads(done.stdout.decode("utf-8"))  # strict UTF-8
    assert os.fsencode(record["query"]) == b"bad\xffname.jpg" and record["category"]


def test_ctrl_c_while_the_nearness_is_measured_says_the_training_is_saved(tmp_path):
    """The weights and vae.json are saved and the checkpoint cleared before the test images'
    nearness is measured: a Ctrl+C there said "run the same command again to resume from the
    last epoch", which would train it all again."""
    import signal
    import sys

    out = tmp_path / "out"
    process = subprocess.Popen(
        [sys.executable, "-m", "vsdesk", "train", "vae", "--epochs", "1", "--limit", "256", "--out", str(out),
         "--checkpoint-dir", str(tmp_path / "ckpt")], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=os.environ.copy(), preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))  # as from a terminal
    said = []
    for line in process.stderr:
        said.append(line)
        if "measuring the test images' nearness" in line:
            process.send_signal(signal.SIGINT)  # as Ctrl+C does
            break
    said.append(process.stderr.read())
    process.stdout.read()
    code, err = process.wait(timeout=300), "".join(said)
    assert code == 130 and "Traceback" not in err, err
    assert ("interrupted while measuring the test images' nearness; the training is saved "
            f"({out / 'vae.weights.h5'}) and the first query will measure it") in err, err
    assert "resume" not in err, err
    assert (out / "vae.weights.h5").is_file() and (out / "vae.json").is_file()


def _train_argv(tmp_path) -> list[str]:
    return ["train", "vae", "--epochs", "1", "--limit", "256", "--out", str(tmp_path / "out"),
            "--checkpoint-dir", str(tmp_path / "ckpt")]


def test_a_nearness_reference_that_cannot_be_written_keeps_the_training(tmp_path, capsys):
    """A full disk (any OSError) writing the nearness reference failed the whole training after
    vae.json was written; the reference is an extra the first query makes. Here its file cannot
    be written for real: a folder is where it goes."""
    reference = tmp_path / "out" / "vae.nearness.json"
    reference.mkdir(parents=True)
    code = cli_main(_train_argv(tmp_path))
    err = capsys.readouterr().err
    assert code == 0, err
    assert (f"the test images' nearness was not measured (Is a directory: {reference}); the first query will "
            "measure it") in err, err
    assert (tmp_path / "out" / "vae.weights.h5").is_file() and (tmp_path / "out" / "vae.json").is_file()
    assert reference.is_dir() and not (tmp_path / "ckpt").exists()


def test_ctrl_c_as_the_checkpoint_is_cleared_says_the_training_is_saved(tmp_path, capsys, monkeypatch):
    """vae.json is written, then the checkpoint cleared: a Ctrl+C between the two said "run the
    same command again to resume". The signal is sent for real at that instant (the clearing
    itself runs unchanged)."""
    import signal

    from vsdesk.engine.vae.train import Checkpoint

    clear = Checkpoint.clear

    def ctrl_c_then_clear(self):
        assert (tmp_path / "out" / "vae.json").is_file()
        os.kill(os.getpid(), signal.SIGINT)
        clear(self)

    monkeypatch.setattr(Checkpoint, "clear", ctrl_c_then_clear)
    # As from a terminal: pytest-xdist's workers ignore SIGINT, and vsdesk keeps an ignored
    # SIGINT ignored (as `nohup` intends), so the Ctrl+C would be lost there.
    before = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        code = cli_main(_train_argv(tmp_path))
    finally:
        signal.signal(signal.SIGINT, before)
    err = capsys.readouterr().err
    assert code == 130, err
    assert (f"interrupted once the training was saved ({tmp_path / 'out' / 'vae.weights.h5'}); the test images' "
            "nearness was not measured: the first query will measure it") in err, err
    assert "resume" not in err and (tmp_path / "out" / "vae.json").is_file()
