"""``vsdesk eval product``: a product model and the frozen-backbone baseline, scored in one run.

Test data is either the held-out contributors of the model's own training data (recognised by
its fingerprint), or any labelled CSV/folder given. Labels the model does not know ('Not sure',
'Other', 'Skip', or a user's extra class) are left out of the scores and counted. A model trained
on every contributor of its data has no held-out split there: its held-out twin (the same recipe
trained with contributors held out) is scored in its place, and the result says so.

The baseline is what the original notebook would do with this backbone: frozen ImageNet Lite0
pooled features and a logistic regression, fitted by ``train`` on the same training images as
the model and saved beside it (``baseline.npz``); for a model without one, it is
cross-validated by contributor on the test data itself.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from vsdesk.engine import paths
from vsdesk.engine.embedding import l2_normalise
from vsdesk.engine.product import backbones, familiarity, load_embedder, model_store, near_copy
from vsdesk.engine.product import model as product_model
from vsdesk.engine.product.data import Dataset, group_split, load_dataset
from vsdesk.engine.product.features import BackboneConfig, decode_many, trunk_features
from vsdesk.engine.product.metrics import classification_report, precision_at_k, precision_at_k_max
from vsdesk.engine.tasks import Cancelled, Progress, check_cancelled, never_cancelled, no_progress
from vsdesk.engine.text import counted, shell_quoted


def _scores(y: np.ndarray, probs: np.ndarray, vectors: np.ndarray, classes: list[str]) -> dict[str, Any]:
    report = classification_report(y, probs, classes)
    return {
        "accuracy": report["accuracy"],
        "accuracy_5class": report["accuracy_5class"],
        "macro_f1": report["macro_f1"],
        "p@10": precision_at_k(vectors, y, 10),
        "per_class_recall": report["per_class_recall"],
        "confusion_matrix": report["confusion_matrix"],
    }


def _training_data_candidates(meta: product_model.ProductMeta) -> list[Path]:
    """Where the data a model was trained on may be. A relative path is the shipped model's,
    relative to the source checkout (not to the current folder, which would make ``eval`` depend
    on where it is run), and nowhere where vsdesk is installed (``_not_shipped``); a model
    trained here also keeps the absolute path it was given."""
    source = meta.data
    candidates = []
    checkout = paths.source_checkout()
    if source and os.path.isabs(source):
        candidates.append(Path(source))
    elif source and checkout is not None:
        candidates.append(checkout / source)
    if meta.data_absolute:
        candidates.append(Path(meta.data_absolute))
    return [path.resolve() for path in dict.fromkeys(candidates)]


def _training_data(meta: product_model.ProductMeta) -> Dataset | None:
    for path in _training_data_candidates(meta):
        try:
            if path.exists():
                return load_dataset(path)
        except ValueError:
            continue
    return None


def _unseen_in_training(dataset: Dataset, meta: product_model.ProductMeta,
                        folder: Path) -> tuple[Dataset, int, int, list[str] | None]:
    """The photos the model never saw, and what was left out: (photos of contributors it was
    trained on, copies of its training photos, re-saved copies of them: {"path", "training_photo"}
    each, or None for a model that keeps no looks of its training photos).

    The targets are about senders never seen in training, so given data that names its
    contributors (e.g. a fuller copy of the Clothing Dataset) is scored on the others only.
    Whatever the data's form (class folders too), a file whose bytes are those of a training
    photo (``train-photos.npy``) is left out: a copy would score as if it were new; and so is
    one that looks like one (``train-looks.npy``): the same photo re-encoded, resized, a PNG."""
    seen = set(meta.train_groups)
    keep = [i for i, item in enumerate(dataset.items) if not (item.group and item.group in seen)]
    by_contributor = len(dataset.items) - len(keep)
    trained_on = product_model.load_train_photos(folder)
    copies = 0
    if trained_on is not None and keep:
        digests = {int(d) for d in trained_on}
        copy = [product_model.file_digest(dataset.items[i].path) in digests for i in keep]
        copies = sum(copy)
        keep = [i for i, c in zip(keep, copy) if not c]
    looks = product_model.load_train_looks(folder)
    near_copies = None if looks is None else []
    if looks is not None and keep:
        kept_looks = [near_copy.look(dataset.items[i].path) for i in keep]
        nearest = near_copy.nearest(kept_looks, looks, within=near_copy.NEAR_CONFIRMED)
        finder = _TrainingPhotoFinder(meta, folder, looks)
        resaved = []
        for i, index, kept_look in zip(keep, nearest, kept_looks):
            if index is None:
                continue
            item = dataset.items[i]
            original = finder.find(index, item.label)
            # The hash sees the background too: confirmed by the thumbnails where the training
            # photo is at hand; where it is not (its data moved), the hash alone decides, nearer.
            if (near_copy.same_picture(item.path, original) if original is not None
                    else near_copy.distance(kept_look, looks[index]) <= near_copy.NEAR):
                resaved.append(i)
                near_copies.append({"path": str(item.path),
                                    "training_photo": None if original is None else str(original)})
        left_out = set(resaved)  # (once, not for each photo kept)
        keep = [i for i in keep if i not in left_out]
    if not keep:
        resaved_count = len(near_copies or [])
        why = "come from contributors the model was trained on" if not copies + resaved_count else "were seen in training"
        twin = model_store.heldout_twin_dir(folder, meta)
        # The twin learnt without some contributors: scored on its own data, it has unseen photos.
        hint = (f", or score its held-out twin on the photos it was not trained on: `vsdesk eval product --model "
                f"{shell_quoted(model_store.name_to_give(twin))}` (without --data)" if twin is not None else "")
        raise ValueError(f"all {by_contributor + copies + resaved_count} test photos {why}; give photos of other "
                         f"contributors{hint}")
    kept = dataset.subset(keep) if len(keep) < len(dataset.items) else dataset
    return kept, by_contributor, copies, near_copies


class _TrainingPhotoFinder:
    """The training photo of a stored look, from the model's training data where it still is.

    ``train-looks.npy`` holds the looks in the training photos' order: their data's (``train``)
    or by path (the shipped models: ``scripts/add_train_looks.py``). So the photo at the look's
    place among the data's files that are training photos (by their digests,
    ``train-photos.npy``: 0.2-0.9 s for the shipped data) is tried first, its look checked.
    Only failing that (the data changed since) are the looks of every photo computed, the given
    label's first (a re-save keeps its class): 7 s for the twin's 3,593 training photos, some
    12 s for the data's 4,600 (``scripts/add_train_looks.py --measure``, a busy machine)."""

    def __init__(self, meta: product_model.ProductMeta, folder: Path, looks: np.ndarray):
        self._meta, self._folder, self._wanted = meta, folder, looks
        self._items: list | None = None
        self._in_order: list[list[str]] = []  # the training photos, in each order they may be stored in
        self._looks: dict[str, bytes | None] = {}

    def find(self, index: int, label: str) -> Path | None:
        if self._items is None:
            self._read_training_data()
        key = bytes(self._wanted[index])
        for order in self._in_order:  # straight to it
            if index < len(order) and self._look(order[index]) == key:
                return Path(order[index])
        first = sorted(self._items, key=lambda it: it.label.casefold() != label.casefold())
        for item in first:
            if self._look(str(item.path)) == key:
                return Path(item.path)
        return None

    def _read_training_data(self) -> None:
        data = _training_data(self._meta)
        self._items = list(data.items) if data is not None else []
        digests = product_model.load_train_photos(self._folder)
        if digests is None or not self._items:
            return
        trained = {int(d) for d in digests}
        photos = [str(it.path) for it in self._items if product_model.file_digest(it.path) in trained]
        self._in_order = [photos, sorted(photos)]

    def _look(self, path: str) -> bytes | None:
        if path not in self._looks:
            value = near_copy.look(path)
            self._looks[path] = None if value is None else bytes(value)
        return self._looks[path]


def _match_case(dataset: Dataset, classes: list[str]) -> tuple[Dataset, dict[str, str]]:
    """Test labels that name a model class but for case ("Dress" for "dress": class folders
    are named by hand) relabelled to it, and which were: {given label: class}. Only where the
    class is unambiguous (not both "dress" and "Dress" among the model's classes)."""
    by_folded: dict[str, list[str]] = {}
    for c in classes:
        by_folded.setdefault(c.casefold(), []).append(c)
    known = set(classes)
    recased: dict[str, str] = {}
    for label in dict.fromkeys(dataset.labels):
        matches = by_folded.get(label.casefold(), [])
        if label not in known and len(matches) == 1:
            recased[label] = matches[0]
    if not recased:
        return dataset, recased
    items = [replace(it, label=recased.get(it.label, it.label)) for it in dataset.items]
    relabelled = Dataset(items, dataset.root, dataset.has_groups, dataset.has_kids, dict(dataset.excluded),
                         list(dataset.missing_files))
    return relabelled, recased


def near_class(label: str, classes: list[str]) -> str | None:
    """The model class a left-out test label may have meant ("dresses" -> "Dress",
    "tshirts" -> "T-Shirt"), or None: a hint for a class folder named by hand, never applied."""
    import difflib

    def folded(name: str) -> str:
        return "".join(ch for ch in name.casefold() if ch.isalnum())

    by_folded = {folded(c): c for c in classes}
    word = folded(label)
    for stem in (word, word.removesuffix("es"), word.removesuffix("s")):
        if stem in by_folded:
            return by_folded[stem]
    close = difflib.get_close_matches(word, list(by_folded), n=1, cutoff=0.75)
    return by_folded[close[0]] if close else None


def _split_like_training(dataset: Dataset, meta: product_model.ProductMeta, data) -> tuple[np.ndarray, np.ndarray]:
    cfg = meta.training
    fraction = cfg.get("test_fraction", 0.2)
    if fraction <= 0:  # `train product --hold-out 0`
        given = f"{data} is that data" if data is not None else f"it is at {dataset.root}"
        others = "of other contributors " if dataset.has_groups else ""
        raise ValueError(
            f"model {meta.name!r} was trained on all of its data (nothing held out), and {given}: every photo "
            f"there was seen in training; give labelled photos {others}it has not seen with --data"
        )
    return group_split(dataset, fraction, cfg.get("seed", 0))


def evaluate(
    data: str | Path | None = None,
    model: str | None = None,
    *,
    progress: Progress = no_progress,
    cancelled: Cancelled = never_cancelled,
) -> dict[str, Any]:
    """Scores of the model and the baseline. ``data`` None: the model's own held-out split.
    The data is read and checked before TensorFlow is imported (seconds): a CSV without its
    columns or an empty folder is told at once."""
    folder = model_store.model_dir(model)
    meta = product_model.read_meta(folder)
    classes = list(meta.classes)
    index = {c: i for i, c in enumerate(classes)}
    given, dataset, recased, outside = _labelled_data(data, meta)

    own_data = dataset.fingerprint() == meta.data_fingerprint
    twin = model_store.heldout_twin_dir(folder, meta)
    if own_data and meta.training.get("test_fraction", 0.2) <= 0 and twin is not None:
        return _twin_in_place(data, meta, twin, progress, cancelled)
    test_set, protocol, seen, near_copies = _test_set(dataset, meta, folder, data, own_data)

    config = BackboneConfig(meta.size, meta.first_top_block, meta.backbone)
    test_feats = trunk_features(
        [it.path for it in test_set.items], config,
        progress=lambda d, t, m="": progress(d, t, "test features"), cancelled=cancelled,
    )
    ok = test_feats["ok"]
    y_test = np.array([index[it.label] for it in test_set.items])[ok]
    plain = test_feats["plain"][ok]
    if not len(y_test):
        raise ValueError("none of the test images could be decoded")

    # The model as the app runs it (int8 TFLite by default): probabilities as a query shows them
    # (all members, mirror-averaged), search vectors as indexing stores them (the plain image).
    embedder = load_embedder(model)
    files = [it.path for it, k in zip(test_set.items, ok) if k]
    probs, vectors, flat, turned = _through_embedder(embedder, files, progress, cancelled)
    result: dict[str, Any] = {"default": _scores(y_test, probs, vectors, classes)}
    result["item_types"] = _item_types(embedder, y_test, probs, vectors)
    result.update(_unfamiliar_shares(embedder.familiarity, vectors[:, : embedder.features_dim], flat, turned))

    base_probs, base_test, baseline_protocol = _baseline(meta, folder, plain, y_test, test_set, ok, cancelled)
    result["baseline"] = _scores(y_test, base_probs, base_test, classes)
    # The same for both: small classes cap it (a class of 6 test photos: 5 of 10 neighbours at best).
    result["p@10_max"] = precision_at_k_max(y_test, 10)
    result["model"] = {"name": meta.name, "backbone": meta.backbone, "folder": str(folder),
                       "runtime": embedder.runtime, "precision": embedder.precision, "members": meta.members}
    result["classes"] = classes
    result["test_images"] = int(len(y_test))
    # null where the data names no contributors (class folders): not "0 contributors"
    result["test_contributors"] = (len({it.group for it, k in zip(test_set.items, ok) if k and it.group})
                                   if test_set.has_groups else None)
    result["undecodable"] = int((~ok).sum())
    result["left_out_labels"] = outside
    result["labels_matched_ignoring_case"] = recased
    result["left_out_seen_in_training"] = seen
    # Of those, the training photos saved again (other bytes, the same picture: ``near_copy``),
    # counted and named; null where that cannot be told (the model's own data, or a model that
    # keeps no looks of its training photos).
    result["near_copies_of_training"] = None if near_copies is None else len(near_copies)
    result["near_copies_of_training_paths"] = None if near_copies is None else [c["path"] for c in near_copies]
    # ... and the training photo each is a copy of (null: its training data is not at hand)
    result["near_copies_of_training_matches"] = near_copies
    result["missing_files"] = list(given.missing_files)
    # Of given data (not the model's own, whose held-out split is a part of it): all it held.
    result["given_images"] = None if own_data else len(given.items) + sum(given.excluded.values())
    result["protocol"] = protocol
    result["baseline_protocol"] = baseline_protocol
    return result


def _not_shipped(meta: product_model.ProductMeta) -> str:
    """Why a shipped model's own data cannot be scored on where vsdesk is installed: its path is
    the source checkout's (``../shared/data/clothing-dataset``), and the data set is not shipped."""
    twin = (f" and its held-out twin {meta.heldout_twin!r} (scored on the contributors it held out) are"
            if meta.heldout_twin else " is")
    return (f"the Clothing Dataset model {meta.name!r} was trained on is not shipped with vsdesk: the data{twin} "
            "only in vsdesk's source checkout")


def _labelled_data(data, meta: product_model.ProductMeta) -> tuple[Dataset, Dataset, dict[str, str], dict[str, int]]:
    """(the data given, or the model's own training data; its photos of the model's classes;
    the labels taken for a class ignoring case; the count of photos left out by label)."""
    if data is None:
        given = _training_data(meta)
        if given is None:
            candidates = _training_data_candidates(meta)
            where = (_not_shipped(meta) if not candidates and meta.data
                     else f"the data model {meta.name!r} was trained on is not here (looked for at "
                          f"{' or '.join(str(path) for path in candidates) or 'nowhere: it names none'})")
            raise ValueError(f"{where}; give labelled test photos with --data PATH (a CSV such as the Clothing "
                             "Dataset's images.csv, or a folder with a subfolder per class; photos it was "
                             "trained on are left out)")
    else:
        given = load_dataset(data, exclude=frozenset())
    given, recased = _match_case(given, list(meta.classes))
    outside: dict[str, int] = dict(given.excluded)
    known = [i for i, item in enumerate(given.items) if item.label in meta.classes]
    for item in given.items:
        if item.label not in meta.classes:
            outside[item.label] = outside.get(item.label, 0) + 1
    dataset = given.subset(known)
    if not dataset.items:
        raise ValueError("none of the test images has a label the model knows")
    return given, dataset, recased, outside


def _test_set(dataset: Dataset, meta: product_model.ProductMeta, folder: Path, data,
              own_data: bool) -> tuple[Dataset, str, int, list[dict] | None]:
    """(the photos to score: the held-out split of the model's own data, or the given photos
    the model has not seen; what they are, in words; how many given photos were left out as
    seen in training; of those, the training photos saved again: None where that cannot be told)."""
    if own_data:
        _train_idx, test_idx = _split_like_training(dataset, meta, data)
        protocol = "held-out contributors of the model's training data" if dataset.has_groups else "held-out split"
        return dataset.subset(test_idx), protocol, 0, None
    test_set, by_contributor, copies, near_copies = _unseen_in_training(dataset, meta, folder)
    seen = by_contributor + copies + len(near_copies or [])
    protocol = "given test data"
    left_out = [f"{by_contributor} photos of contributors the model was trained on"] if by_contributor else []
    left_out += [f"{copies} copies of its training photos"] if copies else []
    left_out += [f"{counted(len(near_copies), 'training photo')} saved again"] if near_copies else []
    if left_out:
        protocol += f" ({' and '.join(left_out)} left out)"
    return test_set, protocol, seen, near_copies


def _baseline(meta: product_model.ProductMeta, folder: Path, plain: np.ndarray, y_test: np.ndarray,
              test_set: Dataset, ok: np.ndarray, cancelled: Cancelled) -> tuple[np.ndarray, np.ndarray, str]:
    """The baseline's probabilities for the test photos, the frozen ImageNet backbone's pooled
    features of them (same layer, same images) and how it was fitted: the logistic regression
    saved with the model, or one cross-validated on the test photos for a model without it."""
    import keras  # (here: the data checks above need no TensorFlow)

    from vsdesk.engine.product.baseline import baseline_probs, pooled_features

    frozen_head = product_model.build_head_model(meta)
    full = backbones.get(meta.backbone).full()
    for layer in frozen_head.layers:
        if layer.weights and layer.name not in ("category", "kids"):
            layer.set_weights(full.get_layer(layer.name).get_weights())
    frozen = keras.Model(frozen_head.input, frozen_head.output["embedding"])
    base_test = pooled_features(frozen, plain, cancelled=cancelled)
    baseline = product_model.load_baseline(folder)
    if baseline is not None:
        return (baseline_probs(baseline, base_test), base_test,
                "logistic regression trained with the model, on its training images")
    return (_baseline_cross_validated(base_test, y_test, test_set, ok, len(meta.classes)), base_test,
            "logistic regression cross-validated by contributor on the test data")


def _twin_in_place(data, meta: product_model.ProductMeta, twin: Path, progress: Progress,
                   cancelled: Cancelled) -> dict[str, Any]:
    """The scores of the model's held-out twin, said to be so.

    A model trained on every contributor of its data (``--retrain-on-all``) has no unseen photo
    there; the twin, the same recipe trained without some contributors, is scored on those: an
    estimate for the final model, which had more photos to learn from."""
    twin_meta = product_model.read_meta(twin)
    if twin_meta.training.get("test_fraction", 0.2) <= 0:  # a twin must hold contributors out (and ends this)
        raise ValueError(f"the held-out twin {twin.name!r} of model {meta.name!r} holds no contributors out; "
                         "give test data of other contributors with --data")
    if twin_meta.data_fingerprint != meta.data_fingerprint:
        raise ValueError(f"model {meta.name!r} was trained on all of its data, and its held-out twin "
                         f"{twin.name!r} on other data; give test data of other contributors with --data")
    result = evaluate(data, str(twin), progress=progress, cancelled=cancelled)
    result["protocol"] = (
        f"{result['protocol']}, scoring {twin_meta.name!r}: {meta.name!r} was trained on every contributor "
        f"of this data, so the same recipe trained without {len(twin_meta.test_groups)} of them stands in for it"
    )
    result["stands_in_for"] = meta.name
    return result


def _item_types(embedder, y: np.ndarray, probs: np.ndarray, vectors: np.ndarray) -> dict[str, float]:
    """A catalog item's type as results, the gallery, the map and ``--same-class`` give it: the
    first member's class from the vector indexing stored (the photo as given), where a query's is
    every member's, each on the photo and its mirror image (``probs``, what the scores above are
    of). Its accuracy, and the share of photos typed otherwise as a query than as an item."""
    stored = embedder.classify_vectors(vectors)["probabilities"].argmax(1)
    return {"accuracy": round(float(np.mean(stored == y)), 4),
            "differs_from_query": round(float(np.mean(stored != np.argmax(probs, 1))), 4)}


def _unfamiliar_shares(known: familiarity.Familiarity | None, features: np.ndarray,
                       flat: np.ndarray, turned: np.ndarray) -> dict[str, float | None]:
    """The share of these (labelled, so clothing) photos the app would call unlike its training
    photos, by any test as a search's warning is (``Familiarity.describe``): each one a false
    alarm of the warning; and by each test alone (``..._flat_areas``: None for a model whose
    familiarity data has no flat shares, which then checks the features alone;
    ``..._sideways``: turned by 90 degrees they look more like the training photos). All None
    without familiarity data. ``turned``: (n, 2, d) unit embeddings of the photos turned."""
    shares: dict[str, float | None] = dict.fromkeys(
        ("unfamiliar_share", "unfamiliar_share_features", "unfamiliar_share_flat_areas", "unfamiliar_share_sideways"))
    if known is None:
        return shares
    unit = l2_normalise(features)
    by_features = known.typicality(unit) < familiarity.UNFAMILIAR_BELOW
    by_flat = np.array([known.flat_unusual(float(share)) for share in flat], bool)
    by_side = np.array([known.sideways(e, t) for e, t in zip(unit, turned)], bool)
    shares["unfamiliar_share"] = round(float(np.mean(by_features | by_flat | by_side)), 4)
    shares["unfamiliar_share_features"] = round(float(np.mean(by_features)), 4)
    shares["unfamiliar_share_sideways"] = round(float(np.mean(by_side)), 4)
    if known.flat_reference is not None:
        shares["unfamiliar_share_flat_areas"] = round(float(np.mean(by_flat)), 4)
    return shares


def _through_embedder(embedder, files: list[str], progress: Progress, cancelled: Cancelled,
                      batch_size: int = 32) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(probabilities as a query shows them, plain-image search vectors, the ``flat_share`` of
    the pixels the model saw, the unit embeddings of those pixels turned by 90 degrees each way
    (n, 2, d), as a search's warning embeds them) of decodable ``files``."""
    probs, vectors, batch, flat, turned = [], [], [], [], []

    def flush() -> None:
        x = embedder.backbone.preprocess(np.stack(batch))
        plain = embedder.embed(x)
        probs.append(embedder.classify(x, plain)["probabilities"])
        vectors.append(plain)
        if embedder.familiarity is not None:
            turned.extend(embedder.turned(pixels) for pixels in batch)
        batch.clear()

    for i, pixels, error in decode_many(files, embedder.meta.size):
        check_cancelled(cancelled)
        if pixels is None:  # decoded a moment ago for the test features: a file changed meanwhile
            raise ValueError(f"test image became unreadable: {error}")
        batch.append(pixels)
        flat.append(familiarity.flat_share(pixels))  # (as a search's warning reads the picture)
        if len(batch) == batch_size:
            flush()
            progress(i + 1, len(files), "scoring the model")
    if batch:
        flush()
    progress(len(files), len(files), "scoring the model")  # the last batch too: ends at 100 %
    return np.concatenate(probs), np.concatenate(vectors), np.array(flat, np.float32), np.array(turned, np.float32)


def _baseline_probs(x_train: np.ndarray, y_train: np.ndarray, x_test: np.ndarray, k: int) -> np.ndarray:
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    clf = make_pipeline(StandardScaler(), LogisticRegression(C=0.5, max_iter=500))
    clf.fit(x_train, y_train)
    probs = np.zeros((len(x_test), k), np.float32)
    probs[:, clf.classes_] = clf.predict_proba(x_test)
    return probs


def _baseline_cross_validated(x: np.ndarray, y: np.ndarray, test_set: Dataset, ok: np.ndarray, k: int) -> np.ndarray:
    from sklearn.model_selection import GroupKFold, KFold

    groups = np.array([it.group or str(i) for i, it in enumerate(test_set.items)])[ok]
    n_groups = len(set(groups))
    splitter = GroupKFold(n_splits=min(5, n_groups)) if n_groups >= 2 else KFold(n_splits=min(5, len(y)))
    probs = np.zeros((len(x), k), np.float32)
    for tr, te in splitter.split(x, y, groups):
        if len(set(y[tr])) < 2:
            probs[te, y[tr][0]] = 1.0
            continue
        probs[te] = _baseline_probs(x[tr], y[tr], x[te], k)
    return probs
