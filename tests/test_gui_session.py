"""The Qt-free search session behind the window: re-weighing, map placement, labels."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from vsdesk.engine.map_colours import (COLOUR_SLOTS, PREDICTED, UNLABELLED_SLOT, colouring, label_codes,
                                      label_colours, shipped_classes)
from vsdesk.engine.session import Hit, place_on_map, reweigh_style_query
from vsdesk.engine.text import shown_class


def _unit(x):
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


def test_reweighing_the_query_mixes_style_and_subject_cosines_as_asked():
    rng = np.random.default_rng(0)
    style_dim, subject_dim, w0 = 40, 24, 0.2
    s, u = _unit(rng.normal(size=(50, style_dim))), _unit(rng.normal(size=(50, subject_dim)))
    stored = np.concatenate([np.sqrt(1 - w0) * s, np.sqrt(w0) * u], axis=1).astype(np.float32)  # as blend() does
    embedder = SimpleNamespace(config=SimpleNamespace(subject_weight=w0, style_dim=style_dim))
    query = stored[0]
    for w in (0.0, 0.2, 0.7, 1.0):
        scores = stored @ reweigh_style_query(embedder, query, w)
        expected = (1 - w) * (s @ s[0]) + w * (u @ u[0])
        np.testing.assert_allclose(scores, expected, atol=1e-5)


def test_style_only_vectors_are_left_alone():
    embedder = SimpleNamespace(config=SimpleNamespace(subject_weight=0.0, style_dim=8))
    query = np.ones(8, np.float32)
    assert reweigh_style_query(embedder, query, 0.9) is query


def test_query_is_placed_among_its_closest_neighbours():
    xy = np.array([[0, 0], [10, 0], [0, 10], [100, 100]], np.float32)
    hits = [Hit(1, "b", 0.95, ""), Hit(2, "c", 0.5, ""), Hit(3, "d", 0.1, "")]
    x, y = place_on_map(hits, xy)
    assert np.hypot(x - 10, y) < 1.0  # dominated by the best neighbour
    assert place_on_map([], xy) is None


def test_labels_become_codes_with_unlabelled_items_grouped():
    names, codes = label_codes(["cat", "", "dog", "cat"])
    assert names == ["cat", "dog", "unlabelled"]
    assert codes.tolist() == [0, 2, 1, 0]


def test_a_class_has_one_colour_in_every_catalog_and_other_labels_colours_of_their_own():
    shipped = list(shipped_classes())  # the shipped model's product.json
    assert len(shipped) == 17 and {"Dress", "Shoes", "T-Shirt"} <= set(shipped)
    dress, shoes, tshirt = (shipped.index(name) for name in ("Dress", "Shoes", "T-Shirt"))
    classes = ["Blazer", "Dress", "Shoes", "T-Shirt"]  # a model of the user's own
    labelled, _ = label_codes(["Shoes", "Not sure", "Dress", "Other", "Shoes", ""])
    predicted, _ = label_codes([f"T-Shirt{PREDICTED}", f"Dress{PREDICTED}"])
    by_name = dict(zip(labelled, label_colours(labelled, classes)))
    assert (by_name["Dress"], by_name["Shoes"], by_name["unlabelled"]) == (dress, shoes, UNLABELLED_SLOT)
    # Not a class: a colour no class has (neutral greys could not be told apart), each its own.
    assert by_name["Not sure"] >= len(shipped) and by_name["Other"] >= len(shipped)
    assert by_name["Not sure"] != by_name["Other"]
    assert label_colours(predicted, classes) == [dress, tshirt]  # Dress (predicted), T-Shirt (predicted)
    assert label_colours(["dress", "SHOES", "t_shirt"], classes) == [dress, shoes, tshirt]  # a folder's own spelling
    assert label_colours(["Dresses", "Shoe"], classes) == [dress, shoes]  # a folder renamed keeps its class's colour
    both = label_colours(["Dress", "Dresses"], classes)
    assert both[0] == dress and both[1] not in (dress, UNLABELLED_SLOT)  # the class's own name has it
    # A name keeps its colour from catalog to catalog when the slot it starts at is free.
    assert dict(zip(["New", "Skip"], label_colours(["New", "Skip"], classes)))["New"] == \
        dict(zip(["New", "Zebra"], label_colours(["New", "Zebra"], classes)))["New"]


def test_a_class_spelt_as_its_data_set_does_and_as_it_is_said_is_one_legend_entry_of_one_colour():
    """A catalog with both an `Outwear/` and an `Outerwear/` folder showed two legend entries
    reading "Outerwear", in two colours."""
    shipped = list(shipped_classes())
    labels = ["Outwear", "Outerwear", "Dress", "Outwear", f"Outwear{PREDICTED}"]
    shown = colouring(labels, shipped)
    said = [shown_class(name) for name in shown.names]
    assert sorted(said) == ["Dress", "Outerwear", f"Outerwear{PREDICTED}"]
    assert shown.codes[0] == shown.codes[1] == shown.codes[3] != shown.codes[4]
    outerwear = shown.colours[shown.codes[0]]
    assert outerwear == shipped.index("Outwear")  # the class's own colour, on every map


def test_the_same_labels_have_the_same_colours_under_models_of_other_classes():
    """The review: Dress was red under the shipped model, blue under the user's `mine` (its six
    class folders), in one catalog with the same images.csv labels: a class took the slot of its
    place in the map's model's classes."""
    shipped = list(shipped_classes())
    mine = ["Dress", "Hat", "Pants", "Shoes", "Skirt", "T-Shirt"]  # the review's model: its class folders
    labels, _ = label_codes(["Blazer", "Dress", "Hat", "Shoes", "T-Shirt", "Sandals", "New", ""])
    assert label_colours(labels, mine) == label_colours(labels, shipped)
    by_name = dict(zip(labels, label_colours(labels, mine)))
    assert by_name["Dress"] == shipped.index("Dress") and by_name["Blazer"] == shipped.index("Blazer")
    # The map by the model's own classes (predicted) too.
    predicted = [f"{name}{PREDICTED}" for name in mine]
    assert label_colours(predicted, mine) == [shipped.index(name) for name in mine]
    # Its folders' own spelling, as a model trained on "dresses/", "t_shirt/" ... has its classes.
    folders = ["dresses", "hat", "pants", "shoes", "skirt", "t_shirt"]
    assert label_colours(folders, folders) == label_colours(mine, shipped)


def test_any_twelve_labels_have_twelve_colours_that_can_be_told_apart():
    """Folder names that are no class (the review's Dresses, New, Not_sure, Other, Skip ...) came
    out in four similar greys; each now has a colour of its own, with or without classes."""
    from vsdesk.gui.scatter import PALETTE, colour_of

    assert len(PALETTE) == COLOUR_SLOTS
    names = ["Dresses", "New", "Not_sure", "Other", "Skip", "holiday 2019", "Mum's", "x", "Zebra", "ÉTÉ",
             "scans", "to sort"]
    products = ["Blazer", "Blouse", "Body", "Dress", "Hat", "Hoodie", "Longsleeve", "Outwear", "Pants", "Polo",
                "Shirt", "Shoes", "Shorts", "Skirt", "T-Shirt", "Top", "Undershirt"]
    for classes in ([], products):
        colours = [colour_of(slot) for slot in label_colours(names, classes)]
        assert len(set(colours)) == len(names), colours
        rgb = np.array([[int(c[i:i + 2], 16) for i in (1, 3, 5)] for c in colours], float)
        gaps = np.linalg.norm(rgb[:, None] - rgb[None], axis=-1)[np.triu_indices(len(names), 1)]
        assert gaps.min() > 40, gaps.min()  # the old greys were 30-40 apart
    # The review's catalog: every class (a folder renamed "Dresses") and five names of its own.
    review = [c for c in products if c != "Dress"] + ["Dresses", "New", "Not_sure", "Other", "Skip"]
    assert len(set(label_colours(review, products))) == len(review)


def test_a_map_with_too_many_labels_groups_the_rarest_in_grey_and_says_so():
    from vsdesk.engine.map_colours import GROUPED_SLOT, colouring

    labels = [f"folder {i:02d}" for i in range(30) for _ in range(40 - i)] + [""] * 3
    shown = colouring(labels, [])
    assert len(shown.names) == COLOUR_SLOTS + 2 and shown.names[-1] == "6 rarer labels"
    assert shown.colours[-1] == GROUPED_SLOT and shown.colours[shown.names.index("unlabelled")] == UNLABELLED_SLOT
    assert len(set(shown.colours[:-1])) == COLOUR_SLOTS + 1  # the 24 commonest, and 'unlabelled'
    grouped = [label for label, code in zip(labels, shown.codes) if code == len(shown.names) - 1]
    assert sorted(set(grouped)) == [f"folder {i}" for i in range(24, 30)]  # the rarest
    assert [shown.names[code] for code in shown.codes[:40]] == ["folder 00"] * 40
    few = colouring([f"folder {i:02d}" for i in range(COLOUR_SLOTS)], [])  # few enough: none grouped
    assert few.names[-1] == "folder 23" and sorted(few.colours) == list(range(COLOUR_SLOTS))


def test_a_folder_catalog_name_is_not_taken_in_another_case():
    from vsdesk.engine.session import folder_catalog_name

    assert folder_catalog_name("style", "/home/me/Photos", {"photos-style"}) == "Photos-style-2"
    assert folder_catalog_name("style", "/home/me/Photos", set()) == "Photos-style"


def test_a_catalog_made_for_a_dropped_folder_reads_the_catalogs_settings_once(tmp_path, monkeypatch):
    """Every catalog's settings file was read twice: once to look for a catalog of the folder,
    once more for the names taken."""
    import vsdesk.engine.catalog as catalogs
    from vsdesk.engine.catalog import Catalog
    from vsdesk.engine.session import ModeSession

    photos = tmp_path / "Photos"
    photos.mkdir()
    Catalog.create("Photos-style", "style", []).close()  # its name is taken
    real_settings, reads = catalogs.catalog_settings, []

    def catalog_settings():
        reads.append(1)
        return real_settings()

    monkeypatch.setattr(catalogs, "catalog_settings", catalog_settings)
    session = ModeSession("style")
    name = session.create_folder_catalog(str(photos))
    assert (name, len(reads)) == ("Photos-style-2", 1)
    assert session.create_folder_catalog(str(photos)) == name and len(reads) == 2  # found, and reused


def test_the_product_models_a_new_catalog_can_have_are_the_shipped_one_and_the_users_each_in_words(tmp_path):
    """What the window's Product tab offers when a folder is added: the shipped model first,
    then each model of the store (here a real one: the shipped model's held-out twin, copied in
    as `models import` does) whose metadata reads; a damaged one is left out, as `models list`
    leaves it out. The catalog made keeps the model chosen, for every later run."""
    import shutil

    from vsdesk.engine.catalog import Catalog
    from vsdesk.engine.modes import catalog_model
    from vsdesk.engine.product.model import default_dir, read_meta
    from vsdesk.engine.product.model_store import heldout_twin_dir, store_dir
    from vsdesk.engine.session import ModeSession

    session = ModeSession("product")
    assert [c.name for c in session.model_choices()] == [None]  # nobody's model yet: nothing to ask
    shutil.copytree(heldout_twin_dir(default_dir(), read_meta(default_dir())), store_dir() / "twin")
    (store_dir() / "damaged").mkdir()
    (store_dir() / "damaged" / "product.json").write_text("{not json")
    shipped, twin = session.model_choices()
    assert (shipped.name, shipped.title) == (None, "The shipped model")
    assert (twin.name, twin.title) == ("product/twin", "product/twin") and len(twin.classes) == 17
    assert twin.details == ("17 classes (Blazer, Blouse, Body, Dress, Hat, Hoodie and 11 more) and a kids' wear "
                            "flag · trained on 3,593 photos · held-out accuracy 0.86")
    assert ModeSession("style").model_choices() == []  # one model: nothing to choose
    photos = tmp_path / "shop"
    photos.mkdir()
    name = session.create_folder_catalog(str(photos), twin.name)
    with Catalog.open(name) as catalog:
        assert catalog.model == "product/twin" and catalog_model(catalog) == ("product/twin", "")
    assert session.create_folder_catalog(str(photos), None) == name  # a catalog already: its model kept
    with Catalog.open(name) as catalog:
        assert catalog.model == "product/twin"


def test_the_window_lists_a_catalog_whose_index_was_damaged_and_says_why_it_indexes_it_again(tmp_path):
    """The window's catalog list reads the settings only (it never opens an index); the catalog
    stays in the list and opening it tells the user why everything is indexed again."""
    import shutil

    from conftest import CLOTHING_DIR
    from vsdesk.engine.catalog import Catalog
    from vsdesk.engine.session import ModeSession

    photos = tmp_path / "photos"
    photos.mkdir()
    for src in sorted((CLOTHING_DIR / "images").glob("*.jpg"))[:6]:
        shutil.copy(src, photos / src.name)
    with Catalog.create("shop", "vae", [photos]) as catalog:
        index = catalog.index_path
    session = ModeSession("vae")
    session.open_catalog("shop")
    index.write_bytes(b"overwritten by something else" * 100)
    assert "shop" in session.catalog_names()
    told = []  # why everything is indexed again is told as the run starts (it can take minutes)
    snapshot = session.open_catalog("shop", lambda done, total, message: told.append(("progress", message)),
                                    noted=lambda note: told.append(("noted", note)))
    assert told[0][0] == "noted" and "the index file was damaged" in told[0][1]
    assert [what for what, _ in told].count("noted") == 1
    assert len(snapshot.paths) == 6 and "the index file was damaged" in snapshot.note
    assert "damaged" not in session.open_catalog("shop").note  # said once


def test_an_indexed_catalog_opens_without_its_model_and_is_searched_from_its_index_at_once(tmp_path, monkeypatch):
    """The window's opening, as `vsdesk index` runs: a catalog whose images are all indexed by
    its model needs no model to be shown and mapped. Its index, read first, is told (and is the
    catalog searched from then on); the model loaded afterwards adds the classes it predicts."""
    import shutil

    from conftest import CLOTHING_DIR
    from vsdesk.engine import modes
    from vsdesk.engine.session import ModeSession

    photos = sorted((CLOTHING_DIR / "images").glob("*.jpg"))[:6]
    shop = tmp_path / "shop"
    shop.mkdir()
    for src in photos[:5]:
        shutil.copy(src, shop / src.name)
    name = ModeSession("product").create_folder_catalog(str(shop))
    ModeSession("product").open_catalog(name)  # indexed (the model loaded: there was something to embed)

    loads = []
    load_embedder = modes.load_embedder
    monkeypatch.setattr(modes, "load_embedder", lambda *a, **k: loads.append(a) or load_embedder(*a, **k))
    session = ModeSession("product")
    told = []
    snapshot = session.open_catalog(name, shown=lambda stored: told.append((stored, session.catalog)))
    assert loads == [] and session.embedder is None  # no model to open it
    [(stored, searched)] = told
    assert stored is searched and stored.same_rows(snapshot) and len(snapshot) == 5  # searched before the run
    assert snapshot.predictions_pending and snapshot.predicted_colouring is None and not any(snapshot.labels)
    completed, fits = session.load_model()
    assert loads == [("product",)] and fits and completed.same_rows(snapshot) and session.catalog is completed
    assert not completed.predictions_pending and all(label.endswith(PREDICTED) for label in completed.labels)

    shutil.copy(photos[5], shop / "new.jpg")
    told.clear()
    again = ModeSession("product").open_catalog(name, shown=told.append)  # something to embed: loaded
    assert len(again) == 6 and not again.predictions_pending
    # What it held, shown during the run: then, once the run has loaded the model to embed the
    # new image, with the types it predicts (the gallery's captions), not only when it ends.
    [stored, typed] = told
    assert len(stored) == 5 and stored.predictions_pending and not stored.types
    assert typed.same_rows(stored) and not typed.predictions_pending and len(typed.types) == 5
    folder = tmp_path / "new-folder"
    folder.mkdir()
    shutil.copy(shop / "new.jpg", folder / "new.jpg")
    told.clear()
    ModeSession("product").open_catalog(ModeSession("product").create_folder_catalog(str(folder)), shown=told.append)
    assert told == [None]  # nothing indexed yet: nothing to show before the run


def test_a_query_answered_while_another_models_catalog_opens_is_embedded_by_the_shown_catalogs_model(
    tmp_path, monkeypatch
):
    """The window answers a query in the pauses of indexing (an urgent task on the same thread).
    While a catalog of another product model opens, the catalog still shown is the old one: the
    query must be embedded by its model, not by the one being loaded for the new catalog."""
    # The Keras runtime: the models' keys differ all the same, without converting the twin's
    # members to TFLite first (half a minute here; the conversion is tested in test_product).
    monkeypatch.setenv("VSDESK_PRODUCT_RUNTIME", "tf")
    import shutil

    import pytest

    from conftest import CLOTHING_DIR
    from vsdesk.engine.catalog import Catalog
    from vsdesk.engine.imageio import load_image
    from vsdesk.engine.product.model import default_dir, read_meta
    from vsdesk.engine.product.model_store import heldout_twin_dir
    from vsdesk.engine.session import ModeSession, StaleQuery

    photos = sorted((CLOTHING_DIR / "images").glob("*.jpg"))
    shown, mine = tmp_path / "shown", tmp_path / "mine"
    for folder, picked in ((shown, photos[:4]), (mine, photos[4:7])):
        folder.mkdir()
        for src in picked:
            shutil.copy(src, folder / src.name)
    other = tmp_path / "other-model"
    shutil.copytree(heldout_twin_dir(default_dir(), read_meta(default_dir())), other)
    with Catalog.create("mine", "product", [mine]) as catalog:
        catalog.set_model(str(other))  # as `vsdesk index --model` leaves it

    session = ModeSession("product")
    before = session.open_catalog(session.create_folder_catalog(str(shown)))
    query = photos[10]
    answered = []

    def cancelled():  # called between indexing's batches, where the window runs urgent queries
        if not answered:
            answered.append(session.query(load_image(query), str(query), k=3))
        return False

    after = session.open_catalog("mine", cancelled=cancelled)
    [outcome] = answered
    assert outcome.catalog == before.name and outcome.model_key == before.model_key
    assert outcome.extras["model"] == "product" and len(outcome.hits) == 3
    assert after.model_key != before.model_key and session.embedder.meta.name == "product-heldout"
    with pytest.raises(StaleQuery, match="another model"):  # never ranked across models
        session.rerank(outcome)
    again = session.query(load_image(query), str(query), k=3)
    assert again.catalog == "mine" and again.model_key == after.model_key and len(again.hits) == 3


def test_the_folders_changed_under_the_catalog_shown_are_told_only_when_the_window_should_index_them(tmp_path):
    """What the window asks when the user is back (``changed_folders``): the folders of the
    catalog shown where files were added or removed, unless another run is at it or did not
    finish, or the catalog is a sample (vsdesk's own folder); a folder away is no change."""
    import dataclasses
    import shutil

    import pytest

    from conftest import CLOTHING_DIR
    from vsdesk.engine.catalog import Catalog
    from vsdesk.engine.catalog._store import lock_catalog
    from vsdesk.engine.session import ModeSession
    from vsdesk.engine.tasks import CancelledError

    photos = sorted((CLOTHING_DIR / "images").glob("*.jpg"))
    folder = tmp_path / "disk" / "shop"
    folder.mkdir(parents=True)
    for src in photos[:3]:
        shutil.copy(src, folder / src.name)
    session = ModeSession("vae")
    snapshot = session.open_catalog(session.create_folder_catalog(str(folder)))
    assert session.changed_folders(snapshot) == []
    shutil.copy(photos[3], folder / photos[3].name)  # saved there
    assert session.changed_folders(snapshot) == [str(folder)]
    with Catalog.open(snapshot.name) as catalog, lock_catalog(catalog.location, catalog.name):  # another process indexes it
        assert session.changed_folders(snapshot) == []
    assert session.changed_folders(dataclasses.replace(snapshot, is_sample=True)) == []
    with pytest.raises(CancelledError):  # the window's own run, cancelled: resumed when asked
        session.open_catalog(snapshot.name, cancelled=lambda: True)
    with Catalog.open(snapshot.name) as catalog:
        assert catalog.unfinished
    assert session.changed_folders(snapshot) == []
    snapshot = session.open_catalog(snapshot.name)
    assert len(snapshot) == 4 and session.changed_folders(snapshot) == []
    (tmp_path / "disk").rename(tmp_path / "unplugged")
    assert session.changed_folders(snapshot) == []


def test_a_catalogs_folders_and_model_change_as_the_command_line_changes_them(tmp_path, monkeypatch):
    """What the window's catalog menu does, in the engine: a folder added joins the catalog in
    its index run (`vsdesk index --catalog NAME FOLDER`), a folder inside one of its folders or
    holding one is said; a folder forgotten leaves the index and nothing else (`catalogs
    remove-folder`); another product model is kept before the run and embeds every image again
    (`--model`), and a run cancelled midway goes on with it."""
    import shutil

    import pytest

    from conftest import CLOTHING_DIR
    from vsdesk.engine.catalog import Catalog, CatalogError
    from vsdesk.engine.product.import_export import import_folder
    from vsdesk.engine.product.model import default_dir, read_meta
    from vsdesk.engine.product.model_store import heldout_twin_dir
    from vsdesk.engine.session import ModeSession
    from vsdesk.engine.tasks import CancelledError

    monkeypatch.setenv("VSDESK_PRODUCT_RUNTIME", "tf")  # Keras: the twin is not converted (30 s)
    photos = sorted((CLOTHING_DIR / "images").glob("*.jpg"))[:9]
    shop, more = tmp_path / "shop", tmp_path / "more"
    for folder, files in ((shop, photos[:3]), (more / "sub", photos[3:9])):
        folder.mkdir(parents=True)
        for src in files:
            shutil.copy(src, folder / src.name)
    session = ModeSession("product")
    name = session.create_folder_catalog(str(shop))
    assert len(session.open_catalog(name)) == 3

    snapshot = session.open_catalog(name, add_folders=(str(more / "sub"),))
    assert len(snapshot) == 9 and snapshot.folders == (str(shop), str(more / "sub"))
    assert snapshot.note == f"6 images added from {more / 'sub'}"  # said when done
    snapshot = session.open_catalog(name, add_folders=(str(more / "sub"),))  # the same again
    assert snapshot.note == f"{more / 'sub'} is already a folder of the catalog “{name}”: its new images are indexed"
    (tmp_path / "empty" / "sub").mkdir(parents=True)
    (tmp_path / "empty" / "notes.txt").write_text("no image here")
    snapshot = session.open_catalog(name, add_folders=(str(tmp_path / "empty"),))  # not kept, said
    assert snapshot.folders == (str(shop), str(more / "sub")) and len(snapshot) == 9
    assert snapshot.note == (f"{tmp_path / 'empty'} holds no images (JPEG, PNG, WebP, AVIF, GIF, BMP, TIFF, "
                             "PPM/PGM/PBM, ICO, TGA; searched with its subfolders): not added")
    assert not snapshot.missing_folders  # not said later as a disk not mounted
    assert session.folder_counts(name, str(more / "sub")) == (6, 0, 6)  # (images, skipped, files)
    snapshot = session.open_catalog(name, add_folders=(str(more),))  # holds a folder of the catalog
    assert snapshot.folders == (str(shop), str(more)) and len(snapshot) == 9
    assert snapshot.note == (f"{more} holds {more / 'sub'}, a folder of the catalog “{name}”: the catalog keeps "
                             f"{more} alone, and its images with it")
    snapshot = session.open_catalog(name, add_folders=(str(more / "sub"),))  # inside one
    assert snapshot.folders == (str(shop), str(more)) and len(snapshot) == 9
    assert snapshot.note == f"{more / 'sub'} is inside {more}, a folder of the catalog “{name}”: its images are " \
                            "indexed as part of it"
    with pytest.raises(CatalogError, match="sample catalog"):
        session.open_catalog("clothing", add_folders=(str(shop),))

    with Catalog.open(name) as catalog:
        contents = catalog.folder_hashes(str(more))
    assert session.forget_folder(name, str(more)) == (6, 6, contents)  # (paths, files, contents)
    assert len(contents) == 6
    assert session.open_catalog(name).folders == (str(shop),) and len(session.catalog) == 3
    assert len(list(more.rglob("*.jpg"))) == 6  # the images are where they were
    with pytest.raises(CatalogError, match="is not a folder of catalog"):
        session.forget_folder(name, str(more))

    import_folder("mine", heldout_twin_dir(default_dir(), read_meta(default_dir())))  # `models import`
    shipped_key = session.catalog.model_key
    stops = iter([False, True])  # cancelled at its first batch: no image embedded with it yet
    with pytest.raises(CancelledError):
        session.open_catalog(name, model="product/mine", cancelled=lambda: next(stops, True))
    with Catalog.open(name) as catalog:
        assert catalog.model is None  # the switch undone: the model it had
    snapshot = ModeSession("product").open_catalog(name, model="product/mine")
    assert snapshot.model == "product/mine" and len(snapshot) == 3 and snapshot.model_key != shipped_key
    with Catalog.open(name) as catalog:
        assert catalog.model == "product/mine"  # kept: `vsdesk search` and the next start use it too
    snapshot = ModeSession("product").open_catalog(name, model=None)  # back to the shipped model
    assert snapshot.model is None and snapshot.model_key == shipped_key and len(snapshot) == 3
    Catalog.create("art", "style", [shop]).close()
    with pytest.raises(CatalogError, match="the style mode has one model"):  # said before any model loads
        ModeSession("style").open_catalog("art", model="product/mine")


def test_a_model_switch_cancelled_midway_goes_back_to_the_model_the_catalog_had(tmp_path, monkeypatch):
    """Cancel while a catalog is embedded again with another product model: the catalog has
    the model it had again, every image searched with it (its vectors are still there), and
    says so; the window, `catalogs list` and `search` count the same images. A switch cut off
    without the window to undo it (a kill) counts, everywhere, the images of the new model."""
    import pytest

    from vsdesk.engine.catalog import Catalog, index_catalog, list_catalogs
    from vsdesk.engine.modes import load_embedder
    from vsdesk.engine.session import INDEX_BATCH, ModeSession
    from vsdesk.engine.tasks import CancelledError

    name, shipped_key = _shop_indexed_with_the_shipped_model(tmp_path, monkeypatch)
    session = ModeSession("product")
    batches = []  # cancelled once a first batch is embedded with the new model
    with pytest.raises(CancelledError):
        session.open_catalog(name, model="product/mine", cancelled=lambda: bool(batches),
                             progress=lambda done, total, _message: batches.append(done) if done else None)
    snapshot = session.snapshot(name)  # what the window shows after a cancel
    assert snapshot.switch_cancelled and snapshot.model is None and snapshot.model_key == shipped_key
    assert len(snapshot) == INDEX_BATCH + 3
    assert snapshot.note == f"model switch cancelled: “{name}” is still indexed with the shipped model"
    [info] = [info for info in list_catalogs() if info.name == name]
    assert (info.indexed, info.model, info.unfinished) == (INDEX_BATCH + 3, None, False)  # `catalogs list`
    with Catalog.open(name) as catalog:
        assert catalog.embedder_key == shipped_key and len(catalog.vectors().paths) == INDEX_BATCH + 3

    # Cut off midway with nothing to undo it (as soon as the new model is the catalog's; the
    # first batch's vectors of it are there, kept for a switch to it again): the catalog searches
    # the images of the new model, and counts those, not the entries of the old model's images.
    with Catalog.open(name) as catalog, pytest.raises(CancelledError):
        index_catalog(catalog, load_embedder("product", model="product/mine"), batch_size=INDEX_BATCH,
                      cancelled=lambda: catalog.embedder_key != shipped_key)
    with Catalog.open(name) as catalog:
        searched = len(catalog.vectors().paths)
        assert catalog.embedder_key != shipped_key and 0 < searched < INDEX_BATCH + 3
        assert catalog.counts()[0] == searched
    [info] = [info for info in list_catalogs() if info.name == name]
    assert info.indexed == searched and info.unfinished


def _shop_indexed_with_the_shipped_model(tmp_path, monkeypatch) -> tuple[str, str]:
    """A product catalog of INDEX_BATCH + 3 images indexed with the shipped model (it keeps no
    model of its own), and the user's model "product/mine" installed: (its name, its key)."""
    from conftest import CLOTHING_DIR, copy_images
    from vsdesk.engine.product.import_export import import_folder
    from vsdesk.engine.product.model import default_dir, read_meta
    from vsdesk.engine.product.model_store import heldout_twin_dir
    from vsdesk.engine.session import INDEX_BATCH, ModeSession

    monkeypatch.setenv("VSDESK_PRODUCT_RUNTIME", "tf")  # Keras: the twin is not converted (30 s)
    shop = copy_images(sorted((CLOTHING_DIR / "images").glob("*.jpg"))[:INDEX_BATCH + 3], tmp_path / "shop")
    session = ModeSession("product")
    name = session.create_folder_catalog(str(shop))
    shipped_key = session.open_catalog(name).model_key
    import_folder("mine", heldout_twin_dir(default_dir(), read_meta(default_dir())))  # `models import`
    return name, shipped_key


def test_a_run_without_a_model_switch_cancelled_midway_leaves_the_catalogs_model_as_it_was(tmp_path, monkeypatch):
    """A session whose model is another one than the catalog's (its default, given to the
    session) indexes it with that model, but no switch was asked: cancelled midway, the
    catalog's stored model is the one it had (the run did not write the session's)."""
    import pytest

    from vsdesk.engine.catalog import Catalog
    from vsdesk.engine.session import ModeSession
    from vsdesk.engine.tasks import CancelledError

    name, shipped_key = _shop_indexed_with_the_shipped_model(tmp_path, monkeypatch)
    batches = []  # cancelled once a first batch is embedded
    with pytest.raises(CancelledError):
        ModeSession("product", model="product/mine").open_catalog(
            name, cancelled=lambda: bool(batches),
            progress=lambda done, total, _message: batches.append(done) if done else None)
    with Catalog.open(name) as catalog:
        assert catalog.embedder_key != shipped_key  # the run did embed with the session's model
        assert catalog.model is None  # as it was


def test_a_catalog_is_removed_and_its_images_kept(tmp_path):
    """`catalogs remove` from the window (its menu): vsdesk's index and settings of the catalog
    go, the images stay; a sample is vsdesk's own and is not removed."""
    import pytest

    from vsdesk.engine.catalog import Catalog, CatalogError, catalog_exists
    from vsdesk.engine.session import ModeSession

    photos = tmp_path / "photos"
    photos.mkdir()
    (photos / "a.jpg").write_bytes(b"not looked at")
    Catalog.create("mine", "style", [photos]).close()
    session = ModeSession("style")
    session.remove_catalog("mine")
    assert not catalog_exists("mine") and (photos / "a.jpg").read_bytes() == b"not looked at"
    with pytest.raises(CatalogError, match="sample catalog"):
        session.remove_catalog("style-artworks")


def test_a_session_default_model_is_kept_by_the_catalog_once_its_run_completes(tmp_path, monkeypatch):
    """A session whose default model is not the shipped one indexes a catalog that keeps no
    model of its own with it: once the run completes, the catalog keeps that model, so a
    session with another default (the window after a change, `vsdesk search`) searches it
    with it, instead of embedding it all again with the shipped one."""
    from vsdesk.engine.catalog import Catalog
    from vsdesk.engine.session import ModeSession

    name, shipped_key = _shop_indexed_with_the_shipped_model(tmp_path, monkeypatch)
    mine = ModeSession("product", model="product/mine").open_catalog(name)
    assert mine.model_key != shipped_key
    with Catalog.open(name) as catalog:
        assert catalog.model == "product/mine"
    again = ModeSession("product").open_catalog(name)  # the shipped model as the default
    assert again.model == "product/mine" and again.model_key == mine.model_key and again.version == mine.version


def test_a_cancelled_switch_goes_back_under_the_catalogs_lock(tmp_path, monkeypatch, caplog):
    """The window's Cancel of a model switch puts the old model back under the catalog's lock,
    model and vectors key together: when another process takes the catalog as the cancelled
    run lets it go, nothing is put back (neither), it is logged, and the cancel goes on."""
    import logging
    import os
    import subprocess
    import sys

    import pytest

    from conftest import REPO
    from vsdesk.engine.catalog import Catalog
    from vsdesk.engine.session import ModeSession
    from vsdesk.engine.tasks import CancelledError

    name, shipped_key = _shop_indexed_with_the_shipped_model(tmp_path, monkeypatch)
    with Catalog.open(name) as catalog:
        location = catalog.location
    # Another process that waits for the catalog's lock (blocking), holding it until its stdin closes.
    script = ("import fcntl, sys, time\nfp = open(sys.argv[1], 'w')\nprint('waiting', flush=True)\n"
              "fcntl.flock(fp.fileno(), fcntl.LOCK_EX)\nprint('held', flush=True)\nsys.stdin.read()")
    holder = None
    batches = []

    def cancelled() -> bool:
        nonlocal holder
        if not batches:
            return False
        if holder is None:  # once a first batch is embedded with the new model
            holder = subprocess.Popen([sys.executable, "-c", script, str(location / ".index.lock")], cwd=REPO,
                                      env=os.environ.copy(), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                      text=True)
            assert holder.stdout.readline().strip() == "waiting"
        return True

    # The other process takes the catalog as the cancelled run lets it go, before the switch
    # back asks for it: waited for here, since which of two processes gets a lock let go is the
    # scheduler's choice (a fixed sleep lost that race on a loaded machine).
    switch_back = ModeSession._switch_back
    held = []

    def once_the_other_holds_it(self, *args):
        held.append(holder.stdout.readline().strip())
        return switch_back(self, *args)

    monkeypatch.setattr(ModeSession, "_switch_back", once_the_other_holds_it)

    try:
        with caplog.at_level(logging.WARNING), pytest.raises(CancelledError):
            ModeSession("product").open_catalog(name, model="product/mine", cancelled=cancelled,
                                                 progress=lambda done, total, _m: batches.append(done) if done else None)
        assert held == ["held"]
        with Catalog.open(name) as catalog:  # as the cancelled run left it: nothing put back
            assert catalog.model == "product/mine" and catalog.embedder_key != shipped_key
        assert "the model it had was not put back" in caplog.text
    finally:
        if holder is not None:
            holder.stdin.close()
            holder.wait(timeout=60)


def test_a_search_kept_to_a_type_reads_the_types_the_loaded_model_gave_the_catalog(tmp_path, monkeypatch):
    """"Only results of the type T" read each item's type by classifying the whole catalog again
    (once per catalog version), though the catalog shown was told the same types by the same
    model when it loaded. It reads those now, with the same results; types another model gave,
    or that a folder label ending as a prediction could make differ, are worked out again."""
    import dataclasses
    import shutil

    from conftest import CLOTHING_DIR
    from vsdesk.engine import product
    from vsdesk.engine.session import ModeSession

    photos = sorted((CLOTHING_DIR / "images").glob("*.jpg"))[:8]
    shop = tmp_path / "shop"
    shop.mkdir()
    for src in photos:
        shutil.copy(src, shop / src.name)
    session = ModeSession("product")
    snapshot = session.open_catalog(session.create_folder_catalog(str(shop)))
    assert snapshot.types and not snapshot.predictions_pending  # told by the model it loaded
    worked_out = []
    real = product.item_classes
    monkeypatch.setattr(product, "item_classes", lambda *a: worked_out.append(a) or real(*a))
    kept = session.query(photos[0].read_bytes(), str(shop / photos[0].name), 8, {"same_class": True})
    assert worked_out == []  # the snapshot's types, not the catalog classified again
    labels = [label.removesuffix(PREDICTED) for label in snapshot.labels]
    expected = real(session.embedder, labels, snapshot.vectors)
    assert list(session._item_classes(snapshot)) == list(expected)
    wanted = kept.extras["predicted"]
    same_type = {path for path, kind in zip(snapshot.paths, expected) if kind == wanted}
    assert {hit.path for hit in kept.hits} == same_type - {str(shop / photos[0].name)}

    # types another model gave (this one's reference gone) or none: classified again, the same
    for other in (dataclasses.replace(snapshot, types_by=None, version=snapshot.version + 1),
                  dataclasses.replace(snapshot, labels=["dress (predicted)"] * len(snapshot), labels_predicted=False,
                                      version=snapshot.version + 2)):
        worked_out.clear()
        session._item_classes(other)
        assert len(worked_out) == 1


def test_a_catalogs_files_held_twice_are_folded_once_per_version_not_at_every_snapshot(tmp_path, monkeypatch):
    """``fold_catalog`` (the browse view's each file once) reads a time and a real path per row
    of a file held twice: it ran at every snapshot, two or more per opening. It runs once per
    catalog version; a new version (a copy saved since) is folded again."""
    import os
    import shutil

    from test_catalog import HistogramEmbedder, clothing_images
    from vsdesk.engine.catalog import Catalog, index_catalog
    from vsdesk.engine.session import ModeSession

    photos, backup = tmp_path / "photos", tmp_path / "photos" / "backup"
    backup.mkdir(parents=True)
    for src in clothing_images(4):
        shutil.copy(src, photos / src.name)
        shutil.copy(src, backup / src.name)  # each file held twice
    with Catalog.create("twice", "style", [photos]) as catalog:
        index_catalog(catalog, HistogramEmbedder())
    real_realpath, looked_up = os.path.realpath, []

    def realpath(path, *args, **kwargs):
        looked_up.append(path)
        return real_realpath(path, *args, **kwargs)

    monkeypatch.setattr(os.path, "realpath", realpath)
    session = ModeSession("style")
    first = session.snapshot("twice")
    assert len(first.browse) == 4 and len(looked_up) == 8  # each path of each file held twice, once
    session.catalog = None  # another catalog shown meanwhile: this one's snapshot made again
    again = session.snapshot("twice")
    assert again is not first and again.browse == first.browse and len(looked_up) == 8
    shutil.copy(clothing_images(1, start=4)[0], backup / "saved-since.jpg")
    shutil.copy(clothing_images(1, start=4)[0], photos / "saved-since.jpg")
    with Catalog.open("twice") as catalog:
        index_catalog(catalog, HistogramEmbedder())
    looked_up.clear()
    assert len(session.snapshot("twice").browse) == 5 and len(looked_up) == 10  # a new version: folded again


def test_weak_match_is_null_for_no_catalog_or_an_empty_one_where_the_mode_has_no_threshold(tmp_path):
    """``weak_match`` is None (null) where the mode has no measured threshold (VAE, product):
    a search of a catalog with images said so, but one with no catalog open, or an empty one,
    said False ("the match is fine"), which nothing measured."""
    from conftest import CLOTHING_DIR, copy_images
    from vsdesk.engine.imageio import load_image
    from vsdesk.engine.session import ModeSession

    query = sorted((CLOTHING_DIR / "images").glob("*.jpg"))[0]
    session = ModeSession("vae")
    assert session.catalog is None
    assert session.query(load_image(query), str(query), k=3).weak_match is None  # no catalog open
    (tmp_path / "empty").mkdir()
    empty = session.open_catalog(session.create_folder_catalog(str(tmp_path / "empty")))
    assert empty is not None and len(empty) == 0 and session.catalog is empty
    assert session.query(load_image(query), str(query), k=3).weak_match is None  # an empty one
    shop = copy_images(sorted((CLOTHING_DIR / "images").glob("*.jpg"))[1:4], tmp_path / "shop")
    session.open_catalog(session.create_folder_catalog(str(shop)))
    assert session.query(load_image(query), str(query), k=3).weak_match is None  # as with images


#: Another vsdesk process forgetting folder argv[2] of catalog argv[1]: one commit, as
#: `vsdesk catalogs remove-folder` makes it.
FORGET_FOLDER = """
import sys
from vsdesk.engine.catalog import Catalog
with Catalog.open(sys.argv[1]) as catalog:
    catalog.remove_folder(sys.argv[2])
"""


def _forget_in_another_process(name: str, folder) -> None:
    import os
    import subprocess
    import sys

    from conftest import REPO

    done = subprocess.run([sys.executable, "-c", FORGET_FOLDER, name, str(folder)], cwd=REPO, env=os.environ.copy(),
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]


def _vae_shop(tmp_path):
    """Catalog "shop" (VAE mode, indexed by the VAE) of folder a (6 clothing photos) and b (4);
    (a, b)."""
    import shutil

    from conftest import CLOTHING_DIR
    from vsdesk.engine.catalog import Catalog
    from vsdesk.engine.session import ModeSession

    photos = sorted((CLOTHING_DIR / "images").glob("*.jpg"))[:10]
    a, b = tmp_path / "a", tmp_path / "b"
    for folder, files in ((a, photos[:6]), (b, photos[6:])):
        folder.mkdir()
        for src in files:
            shutil.copy(src, folder / src.name)
    Catalog.create("shop", "vae", [a, b]).close()
    assert len(ModeSession("vae").open_catalog("shop").paths) == 10
    return a, b


def test_a_catalog_opened_while_another_process_commits_is_of_one_version_of_its_index(tmp_path, monkeypatch):
    """The window's snapshot read the catalog's vectors, then (other reads between) their hashes:
    a `remove-folder` committed in between gave 10 rows and 6 hashes, and the catalog was not
    opened ("unexpected error (IndexError …)"). Rows, hashes and version are read in one read
    transaction. The other process's commit is made, for certain, between the snapshot's reads
    (at its ``skipped_count``)."""
    from vsdesk.engine.catalog import Catalog
    from vsdesk.engine.session import ModeSession

    _, b = _vae_shop(tmp_path)
    with Catalog.open("shop") as catalog:
        before = catalog.version
    skipped_count, committed = Catalog.skipped_count, []

    def skipped_count_after_another_commit(catalog):
        if not committed:
            committed.append(_forget_in_another_process("shop", b))
        return skipped_count(catalog)

    monkeypatch.setattr(Catalog, "skipped_count", skipped_count_after_another_commit)
    snapshot = ModeSession("vae").snapshot("shop")
    assert committed
    assert len(snapshot.paths) == len(snapshot.hashes) == len(snapshot.vectors) == 10
    assert snapshot.version == before
    later = ModeSession("vae").snapshot("shop")  # the change is seen on the next opening
    assert len(later.paths) == len(later.hashes) == 6 and later.version > before


def test_a_snapshot_counts_each_folders_images_where_it_is_made_not_on_the_windows_thread(tmp_path):
    """The catalog line's count of each folder's images walked every path on the window's thread,
    twice per opening (6-45 ms at 40,000 images): the snapshot is told them where it is made
    (the opening's worker), files and paths as the line says them; one made without them
    (another process's, an older vsdesk's) is counted by the window as before."""
    import dataclasses
    import shutil

    from test_catalog import HistogramEmbedder, clothing_images
    from vsdesk.engine.catalog import Catalog, index_catalog
    from vsdesk.engine.session import ModeSession
    from vsdesk.gui.catalog_texts import folder_count_words

    photos, other = tmp_path / "photos", tmp_path / "other"
    (photos / "backup").mkdir(parents=True)
    other.mkdir()
    for src in clothing_images(4):
        shutil.copy(src, photos / src.name)
        shutil.copy(src, photos / "backup" / src.name)  # each file held twice
    shutil.copy(src, other / src.name)
    with Catalog.create("counted", "style", [photos, other]) as catalog:
        index_catalog(catalog, HistogramEmbedder())
    snapshot = ModeSession("style").snapshot("counted")
    assert snapshot.folder_counts == {str(photos): (4, 8), str(other): (1, 1)}
    said = {str(photos): "4 images (8 paths)", str(other): "1 image"}
    assert folder_count_words(snapshot) == said
    assert folder_count_words(dataclasses.replace(snapshot, folder_counts={})) == said


def test_the_map_of_a_catalog_another_process_changes_meanwhile_is_the_map_of_the_snapshot(tmp_path, monkeypatch):
    """The map checked the catalog's version, then read its vectors: a commit in between gave
    more (or fewer) rows than the snapshot's, and "Could not finish the map" (an IndexError). The
    version and the rows are read in one step; a catalog changed since the snapshot maps the
    snapshot. The other process commits, for certain, just after the map reads the version."""
    from vsdesk.engine.catalog import Catalog
    from vsdesk.engine.session import ModeSession

    _, b = _vae_shop(tmp_path)
    session = ModeSession("vae")
    snapshot = session.snapshot("shop")
    version, committed = Catalog.version, []

    def version_then_another_commit(catalog):
        read = version.fget(catalog)
        if not committed:
            committed.append(_forget_in_another_process("shop", b))
        return read

    monkeypatch.setattr(Catalog, "version", property(version_then_another_commit))
    partials = []
    found = session.projection(snapshot, partial=partials.append)
    assert committed
    assert list(found.paths) == snapshot.paths and found.xy.shape == (10, 2) and np.isfinite(found.xy).all()
    assert all(len(xy) == 10 for xy in partials)  # (the window draws them over the snapshot's points)


#: `vsdesk` commands on catalog "shop" (folder argv[1] forgotten, then added back and indexed:
#: its vectors are kept, so no model is loaded), each a commit, until the file argv[2] is made.
FORGET_AND_ADD_BACK = """
import os, sys
from vsdesk.engine.catalog import Catalog
from vsdesk.engine.session import ModeSession

rounds = 0
while not os.path.exists(sys.argv[2]) and rounds < 400:
    with Catalog.open("shop") as catalog:
        catalog.remove_folder(sys.argv[1])
    ModeSession("vae").open_catalog("shop", add_folders=(sys.argv[1],))
    rounds += 1
print(rounds)
"""


def test_snapshots_taken_while_another_process_commits_in_a_loop_are_each_of_one_version(tmp_path):
    """The window opening a catalog again and again while a real other process forgets a folder
    and adds it back in a tight loop: no snapshot fails, each is whole (rows, hashes, vectors)."""
    import os
    import subprocess
    import sys
    import time

    from conftest import REPO
    from vsdesk.engine.session import ModeSession

    _, b = _vae_shop(tmp_path)
    stop = tmp_path / "stop"
    other = subprocess.Popen([sys.executable, "-c", FORGET_AND_ADD_BACK, str(b), str(stop)], cwd=REPO,
                             env=os.environ.copy(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    sizes, failures = set(), []
    try:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and other.poll() is None:
            try:
                snapshot = ModeSession("vae").snapshot("shop")
                assert len(snapshot.paths) == len(snapshot.hashes) == len(snapshot.vectors), snapshot.version
                sizes.add(len(snapshot.paths))
            except Exception as exc:  # noqa: BLE001 - every failure is the finding
                failures.append(f"{type(exc).__name__}: {exc}")
    finally:
        stop.touch()
        out, err = other.communicate(timeout=120)
    assert other.returncode == 0, err[-2000:]
    assert failures == [], failures[:5]
    assert int(out.split()[-1]) > 3 and sizes <= {6, 10} and len(sizes) == 2  # (both really were at it)


def test_a_linked_folder_away_is_told_a_link_by_the_snapshot_not_by_the_windows_words(tmp_path):
    """Task guiio33: the window's warning on a linked folder away ("deleting the link forgets
    them") looked at the disk (``os.path.islink``) on the GUI thread, where a stat can hang on a
    network disk. The snapshot, made on the I/O thread, tells which folders away are links."""
    import shutil

    from conftest import CLOTHING_DIR
    from vsdesk.engine.catalog import Catalog
    from vsdesk.engine.session import ModeSession
    from vsdesk.gui.catalog_texts import missing_folders_text

    photos = sorted((CLOTHING_DIR / "images").glob("*.jpg"))[:4]
    shop, usb = tmp_path / "shop", tmp_path / "usb" / "trip"
    for folder, files in ((shop, photos[:2]), (usb, photos[2:])):
        folder.mkdir(parents=True)
        for src in files:
            shutil.copy(src, folder / src.name)
    (shop / "trip").symlink_to(usb, target_is_directory=True)
    Catalog.create("shop", "vae", [shop]).close()
    session = ModeSession("vae")
    assert len(session.open_catalog("shop").paths) == 4
    usb.rename(tmp_path / "usb" / "elsewhere")  # its disk unplugged: the link leads nowhere
    snapshot = ModeSession("vae").snapshot("shop")  # (a new window's: ``session`` keeps the one it made)
    link = str(shop / "trip")
    assert snapshot.missing_kinds == {link: "missing-folder"} and snapshot.links_away == (link,)
    said = missing_folders_text(snapshot)
    assert said.startswith(f"The folder {link} in the catalog “shop” is missing") and \
        "Deleting the link forgets them at the next index run." in said, said
    (shop / "trip").unlink()  # the disk is not looked at again for the words: they are the snapshot's
    assert missing_folders_text(snapshot) == said


def test_an_opening_says_that_it_reads_the_index_before_it_is_shown_and_after_its_last_image(tmp_path):
    """The review (session 24): opening a 15k catalog said only "Opening “photos”…" for 21-33 s,
    and the window's own update sat at "427/427 indexed" for ~20 s: the index being read (its
    vectors, then again after the run, with the classes predicted) was never said."""
    import shutil

    from conftest import CLOTHING_DIR
    from vsdesk.engine.session import ModeSession

    photos = sorted((CLOTHING_DIR / "images").glob("*.jpg"))[:8]
    shop = tmp_path / "shop"
    shop.mkdir()
    for src in photos[:6]:
        shutil.copy(src, shop / src.name)
    session = ModeSession("vae")
    name = session.create_folder_catalog(str(shop))
    first = []
    session.open_catalog(name, lambda done, total, message: first.append(message))
    assert "reading the index of 0 images" not in first  # a new catalog: nothing to read before its run
    for src in photos[6:]:
        shutil.copy(src, shop / src.name)
    said = []
    session.open_catalog(name, lambda done, total, message: said.append(message),
                         shown=lambda stored: said.append(("shown", len(stored))))
    assert said[:2] == ["reading the index of 6 images", ("shown", 6)], said
    assert said[-2:] == ["indexed", "reading the index of 8 images"], said
