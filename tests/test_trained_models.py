"""Trained models are the user's work, kept with their data (not in the cache, which cache
cleaners empty); those an earlier vsdesk trained into the cache are moved there, never lost."""

from __future__ import annotations

import json
import shutil

from conftest import REPO
from vsdesk.cli import main
from vsdesk.engine import paths
from vsdesk.engine.product import model as product_model
from vsdesk.engine.product import model_store

SHIPPED_TWIN = REPO / "resources" / "models" / "product-heldout"
#: A model folder's small files: enough for its metadata to be read and the model listed.
LIGHT = ("product.json", "baseline.npz", "train-photos.npy")


def former_store():
    """Where an earlier vsdesk kept trained product models: the cache's models/product."""
    return paths.cache_dir() / "models" / "product"


def put_model(folder, files=None, twin: str = ""):
    """A copy of the shipped twin (or of some of its files), as training left it; ``twin``
    names a held-out twin in its metadata, as `train product --retrain-on-all` does."""
    folder.mkdir(parents=True)
    for path in SHIPPED_TWIN.iterdir():
        if files is None or path.name in files:
            shutil.copy(path, folder / path.name)
    if twin:
        meta = json.loads((folder / "product.json").read_text())
        (folder / "product.json").write_text(json.dumps({**meta, "heldout_twin": twin}))
    return {path.name: path.read_bytes() for path in folder.iterdir()}


def listed(capsys) -> dict:
    capsys.readouterr()
    assert main(["models", "list", "--json"]) == 0
    return {row["name"]: row for row in json.loads(capsys.readouterr().out)}


def test_a_model_trained_into_the_cache_earlier_is_moved_to_the_data_folder_and_still_works(
        capsys, tmp_path, monkeypatch, session_dirs):
    from vsdesk.engine.product import load_embedder

    # A cache of its own: under xdist the session's models/ (the former store in it too) is both
    # workers', and any look at the other worker's store moved these models into its data folder.
    monkeypatch.setenv("VSDESK_CACHE_DIR", str(tmp_path / "cache"))
    old = former_store()
    files = put_model(old / "old", twin="old-heldout")
    put_model(old / "old-heldout", files=LIGHT)
    store = paths.data_dir() / "models" / "product"
    rows = listed(capsys)  # the first look at the store moves them, with no word from the user
    assert rows["product/old"]["path"] == str(store / "old") and rows["product/old"]["source"] == "trained"
    assert "product/old-heldout" in rows
    assert not old.exists()  # nothing of them is left in the cache
    assert {path.name: path.read_bytes() for path in (store / "old").iterdir()} == files
    assert model_store.user_dir("old") == store / "old"
    meta = product_model.read_meta(store / "old")  # its twin, for `eval product`, found beside it
    assert model_store.heldout_twin_dir(store / "old", meta) == store / "old-heldout"
    # A catalog that names the model by its former folder finds it in its new place.
    assert model_store.model_dir(str(old / "old")) == store / "old"
    monkeypatch.setenv("VSDESK_CACHE_DIR", str(session_dirs / "cache"))  # the backbone as converted there
    embedder = load_embedder("old")
    assert embedder.folder == store / "old" and embedder.classes == meta.classes


def test_a_model_named_by_its_cache_folder_through_a_link_is_found_once_moved(tmp_path, monkeypatch, capsys):
    """Review 22: a model named by its folder in the cache's former store (a catalog indexed with
    ``--model ~/.cache/vsdesk/models/product/NAME``) is found in the store once moved. The folders
    were compared as written, so a cache folder that is a link (to a bigger disk) and the path the
    catalog kept through its target were two places: the model was looked for where it was no more."""
    real = tmp_path / "big-disk" / "cache"
    real.mkdir(parents=True)
    (tmp_path / "cache").symlink_to(real, target_is_directory=True)
    monkeypatch.setenv("VSDESK_CACHE_DIR", str(tmp_path / "cache"))
    put_model(former_store() / "old", files=LIGHT)
    kept = real / "models" / "product" / "old"  # the same folder, by its real path
    assert "product/old" in listed(capsys)  # the first look at the store moves it
    assert not kept.exists()
    assert model_store.model_dir(str(kept)) == paths.data_dir() / "models" / "product" / "old"


def test_a_model_moved_across_disks_is_copied_checked_then_deleted(small_disk, tmp_path, monkeypatch, capsys):
    """The data folder on a disk of its own (a 3 MB tmpfs): no rename there, a copy."""
    monkeypatch.setenv("VSDESK_CACHE_DIR", str(tmp_path / "cache"))  # a cache of this test's own
    files = put_model(former_store() / "light", files=LIGHT)
    store = small_disk / "data" / "models" / "product"
    assert listed(capsys)["product/light"]["path"] == str(store / "light")
    assert {path.name: path.read_bytes() for path in (store / "light").iterdir()} == files
    assert not former_store().exists()
    assert [p.name for p in store.iterdir()] == ["light"]  # no copy left half-way


def test_a_model_that_does_not_fit_the_data_disk_stays_whole_in_the_cache_and_is_used_there(
        small_disk, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("VSDESK_CACHE_DIR", str(tmp_path / "cache"))
    files = put_model(former_store() / "big", files=("product.json", "product.weights.h5"))  # 5.6 MB > 3 MB
    rows = listed(capsys)
    assert rows["product/big"]["path"] == str(former_store() / "big")  # listed, where it is
    assert {path.name: path.read_bytes() for path in (former_store() / "big").iterdir()} == files
    store = small_disk / "data" / "models" / "product"
    assert not store.exists() or list(store.iterdir()) == []  # the failed copy was cleaned up
    assert model_store.user_dir("big") == former_store() / "big"  # used (and removable) there
    assert main(["models", "remove", "product/big"]) == 0
    assert not (former_store() / "big").exists()


def test_moving_a_folder_never_loses_either_copy(tmp_path):
    source, target = tmp_path / "cache" / "m", tmp_path / "data" / "m"
    files = put_model(source, files=LIGHT)
    # A move interrupted after its copy was in place, before the original went: it goes now.
    shutil.copytree(source, target)
    assert paths.move_folder(source, target)
    assert not source.exists() and {p.name: p.read_bytes() for p in target.iterdir()} == files
    # A folder of that name holding other files: both are kept as they are.
    put_model(source, files=LIGHT)
    (target / "baseline.npz").write_bytes(b"another model's")
    assert not paths.move_folder(source, target)
    assert {p.name: p.read_bytes() for p in source.iterdir()} == files
    assert (target / "baseline.npz").read_bytes() == b"another model's"


def test_a_model_of_the_same_name_already_in_the_store_wins_and_the_cache_copy_is_kept(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("VSDESK_CACHE_DIR", str(tmp_path / "cache"))
    put_model(paths.data_dir() / "models" / "product" / "same", files=LIGHT)
    (paths.data_dir() / "models" / "product" / "same" / "baseline.npz").write_bytes(b"the newer one")
    put_model(former_store() / "same", files=LIGHT)
    assert listed(capsys)["product/same"]["path"] == str(paths.data_dir() / "models" / "product" / "same")
    assert (former_store() / "same" / "product.json").is_file()  # not deleted: it differs


def test_train_vae_writes_to_the_data_folder_by_default_and_an_earlier_output_is_moved(tmp_path, monkeypatch):
    monkeypatch.setenv("VSDESK_CACHE_DIR", str(tmp_path / "cache"))
    earlier = paths.cache_dir() / "models" / "vae-trained"
    earlier.mkdir(parents=True)
    (earlier / "vae.json").write_text("{}")
    out = paths.trained_vae_dir()
    assert out == paths.data_dir() / "models" / "vae-trained"
    assert (out / "vae.json").read_text() == "{}" and not earlier.exists()


def test_cache_and_data_in_one_folder_moves_nothing(tmp_path, monkeypatch, capsys):
    """VSDESK_CACHE_DIR and VSDESK_DATA_DIR both set to one folder: the store is the former one."""
    monkeypatch.setenv("VSDESK_CACHE_DIR", str(tmp_path / "vsdesk"))
    monkeypatch.setenv("VSDESK_DATA_DIR", str(tmp_path / "vsdesk"))
    put_model(former_store() / "here", files=LIGHT)
    assert listed(capsys)["product/here"]["path"] == str(former_store() / "here")


def test_catalogs_list_says_which_catalogs_models_are_gone(tmp_path, capsys):
    """Settings alone (no indexing): a model of the store there, one removed, a folder not found."""
    from vsdesk.engine.catalog import Catalog

    put_model(paths.data_dir() / "models" / "product" / "here", files=LIGHT)
    kept = {"here": "product/here", "removed": "product/removed", "away": str(tmp_path / "unplugged" / "model")}
    for name, model in kept.items():
        with Catalog.create(name, "product", [str(tmp_path)]) as catalog:
            catalog.set_model(model)
    capsys.readouterr()
    assert main(["catalogs", "list", "--json"]) == 0
    problems = {info["name"]: info["model_problem"] for info in json.loads(capsys.readouterr().out)}
    assert problems["here"] is None
    assert problems["removed"].startswith("its model product/removed is no longer installed: its next search or "
                                          "index run embeds it again with the shipped model")
    assert problems["away"].startswith(f"its model's folder {kept['away']} cannot be found")
    assert "`vsdesk index --mode product --catalog away --model product`" in problems["away"]
    assert main(["catalogs", "list"]) == 0
    out = capsys.readouterr().out
    assert f"    note: {problems['removed']}" in out and f"    note: {problems['away']}" in out


def test_removing_a_model_whose_folder_holds_something_of_the_users_removes_nothing(capsys):
    """A trained model is its only copy, and its folder may have gained the user's notes or a
    folder of theirs: removal is refused and every file stays (files were once deleted one by
    one before the folder's rmdir failed on the subfolder). A folder of model files alone goes
    whole, with no hidden remnant left beside it."""
    store = paths.data_dir() / "models" / "product"
    folder = store / "mine"
    files = put_model(folder, files=LIGHT)
    (folder / "exports").mkdir()
    (folder / "exports" / "predictions.csv").write_text("photo,type\n")
    (folder / "notes.txt").write_text("trained on the spring photos")
    capsys.readouterr()
    assert main(["models", "remove", "product/mine"]) == 1
    err = capsys.readouterr().err
    assert "exports" in err and "notes.txt" in err and "nothing removed" in err
    assert {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()} == {
        **files, "notes.txt": b"trained on the spring photos"}
    assert (folder / "exports" / "predictions.csv").read_text() == "photo,type\n"
    shutil.rmtree(folder / "exports")
    (folder / "notes.txt").unlink()
    assert main(["models", "remove", "product/mine"]) == 0
    assert list(store.iterdir()) == []


def test_a_bare_model_name_is_not_taken_by_a_folder_here_that_holds_no_model(tmp_path, monkeypatch):
    """`--model NAME` with a folder of that name in the current folder (the photos a model is
    named after: `vsdesk train product --data shoes` names it "shoes"; a folder of photos named
    product-heldout) took that folder for the model: "no product model in shoes". A folder here
    is the model only when it holds one (an export); the shipped twin's name, once the user
    trained a model of that name, is its folder's path, which `eval product` then says."""
    store = paths.data_dir() / "models" / "product"
    shipped_twin = product_model.default_dir().parent / "product-heldout"
    here = tmp_path / "here"
    monkeypatch.chdir(here.mkdir() or here)
    (here / "shoes").mkdir()
    (here / "product-heldout").mkdir()
    put_model(store / "shoes", files=LIGHT)
    assert model_store.model_dir("shoes") == store / "shoes"
    assert model_store.model_dir("product-heldout") == shipped_twin
    put_model(here / "export", files=LIGHT)  # a model folder here, named by its name: still found
    assert model_store.model_dir("export").resolve() == here / "export"

    assert model_store.name_to_give(shipped_twin) == "product-heldout"
    assert model_store.name_to_give(store / "shoes") == "shoes"
    put_model(store / "product-heldout", files=LIGHT)  # the user's own model of the twin's name
    assert model_store.model_dir("product-heldout") == store / "product-heldout"
    assert model_store.name_to_give(shipped_twin) == str(shipped_twin)
    assert model_store.model_dir(model_store.name_to_give(shipped_twin)) == shipped_twin


def test_models_list_shows_the_shipped_held_out_twin_that_model_takes(capsys, tmp_path):
    """`eval product --model product-heldout` and `search --model product-heldout` took the
    shipped model's held-out twin, which `models list` did not show: it is listed after the
    shipped model, as shipped, saying what it is, under the name --model finds it by; a trained
    model's twin (`--retrain-on-all`) says whose it is too."""
    shipped_twin = product_model.default_dir().parent / "product-heldout"
    rows = listed(capsys)
    assert list(rows).index("product-heldout") == list(rows).index("product") + 1
    twin = rows["product-heldout"]
    assert (twin["ready"], twin["source"], twin["heldout_twin_of"]) == (True, "resource", "product")
    assert twin["path"] == str(shipped_twin / "product.weights.h5") and "held-out twin" in twin["description"]
    assert rows["product"]["heldout_twin_of"] is None
    assert model_store.model_dir("product-heldout") == shipped_twin  # the name listed is the one --model takes
    assert main(["models", "list"]) == 0
    out = capsys.readouterr().out
    assert any(line.startswith("product-heldout ") and " resource " in line for line in out.splitlines()), out
    assert ("\nproduct-heldout: held-out twin of the shipped product model, shipped with it: the same recipe "
            "trained without 52 of its 280 contributors") in out, out
    assert "`--model product-heldout` uses it" in out
    # It is listed, so `models fetch` and `models remove` know it (shipped: ready, and kept).
    assert main(["models", "fetch", "product-heldout"]) == 0 and "shipped with vsdesk" in capsys.readouterr().out
    assert main(["models", "remove", "product-heldout"]) == 0 and shipped_twin.is_dir()

    store = paths.data_dir() / "models" / "product"
    put_model(store / "mine", files=LIGHT, twin="mine-heldout")
    put_model(store / "mine-heldout", files=LIGHT)
    put_model(store / "product-heldout", files=LIGHT)  # the user's own, of the twin's name
    rows = listed(capsys)
    assert rows["product/mine-heldout"]["heldout_twin_of"] == "product/mine"
    assert rows["product/mine"]["heldout_twin_of"] is None
    # `--model product-heldout` is now the user's: the shipped twin is listed by its folder.
    assert "product-heldout" not in rows and rows[str(shipped_twin)]["heldout_twin_of"] == "product"
    assert rows["product/product-heldout"]["source"] == "trained"


def test_index_of_a_catalog_with_no_folders_says_so_before_the_model_it_would_use(capsys):
    """Review 34: a catalog of a removed model, its folders all forgotten: `index` noted "it is
    embedded again with the shipped model", then failed with "has no folders": nothing was."""
    from vsdesk.engine.catalog import Catalog

    with Catalog.create("emptied", "product", []) as catalog:
        catalog.set_model("product/removed")
    capsys.readouterr()
    assert main(["index", "--catalog", "emptied", "--json"]) == 2
    captured = capsys.readouterr()
    assert json.loads(captured.out)["error"].startswith("catalog 'emptied' has no folders")
    assert captured.err.startswith("vsdesk: catalog 'emptied' has no folders") and "embedded again" not in captured.err, \
        captured.err
