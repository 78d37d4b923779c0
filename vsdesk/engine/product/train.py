"""Training the product classifier: cached frozen-trunk features, a linear start, then fine-tuning.

1. Split the data by contributor (``data.group_split``): no sender on both sides.
2. Run Lite0's frozen lower blocks once per image and per mirror image (``features``, cached).
3. Fit the heads as (multinomial / binary) logistic regressions on the pooled ImageNet features
   of the frozen top (plain and mirrored images): a strong start in seconds.
4. Fine-tune the top blocks and the heads together on a fresh augmented view of every photo
   per epoch (random crop, mirror, colour; ``features.augment``) run through the frozen trunk;
   batch norm statistics stay frozen (small batches would wreck them).
   This is done twice from the same start (two members, different augmented views).
5. Score the members' averaged probabilities on the held-out contributors with test-time flip;
   save each member's weights + JSON metadata.

Step 4 is fine_tuning.py; the baseline `vsdesk eval product` compares against, fitted beside
step 3, is baseline.py.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from vsdesk.engine.product import backbones, familiarity, near_copy
from vsdesk.engine.product import model as product_model
from vsdesk.engine.product import model_store
from vsdesk.engine.product.baseline import fit_baseline, fit_standardised, pooled_features
from vsdesk.engine.product.data import Dataset, group_split, load_dataset, split_count, stratified_subset
from vsdesk.engine.product.features import (
    BackboneConfig,
    compiled,
    trunk_features,
)
from vsdesk.engine.product.fine_tuning import finetune
from vsdesk.engine.product.staging import install, staging_dir
from vsdesk.engine.tasks import (
    Cancelled,
    Progress,
    check_cancelled,
    never_cancelled,
    no_progress,
)


@dataclass
class TrainConfig:
    # Measured on an inner contributor-grouped validation split of the training side (see
    # docs/product.md): 260 px beats 224 px by 2 points; fine-tuning blocks 11-15 on augmented
    # views (lr 3e-4, 8 epochs) lifts accuracy over the linear heads by 6 points (17 classes),
    # 2.7 (5 classes) and macro-F1 by 15; at lr 3e-5 the gains were 2.2, 0.5 and 8, at 1e-3
    # training collapsed. On cached plain/mirrored features alone fine-tuning lost 2-4 points.
    size: int = 260
    first_top_block: int = 11
    finetune_epochs: int = 8
    # Fine-tuned twice from the same start on different augmented views; the two members'
    # probabilities are averaged at query time (indexing runs the first only). On the inner
    # split, pairs of fine-tuned models beat their mean single score by 0.7 points (5 classes)
    # and 0.5 (17 classes) over 28 pairs; averaging their weights instead did not pay.
    members: int = 2
    batch_size: int = 32
    learning_rate: float = 3e-4
    label_smoothing: float = 0.0
    class_weight_power: float = 0.0  # 0: none, 1: fully balanced
    kids_weight: float = 0.3
    logistic_c: float = 0.002  # strong L2: 0.1 -> 0.782, 0.01 -> 0.797, 0.001-0.003 -> 0.80 (inner split)
    kids_c: float = 0.1
    test_fraction: float = 0.2
    seed: int = 0
    max_images: int | None = None  # for quick runs/tests: a stratified subset (``stratified_subset``)
    backbone_name: str = backbones.LITE0  # efficientnet-b0: set size 224 (its own input size)

    def backbone(self) -> BackboneConfig:
        return BackboneConfig(self.size, self.first_top_block, self.backbone_name)


@dataclass
class TrainResult:
    folder: Path
    meta: product_model.ProductMeta
    metrics: dict[str, Any]


def prepare(
    data: str | Path | Dataset, config: TrainConfig
) -> tuple[Dataset, np.ndarray, np.ndarray]:
    dataset = data if isinstance(data, Dataset) else load_dataset(data)
    if config.max_images and len(dataset.items) > config.max_images:
        floor = split_count(config.test_fraction) if config.test_fraction > 0 else 1
        dataset = stratified_subset(dataset, config.max_images, config.seed, floor)
    if len(dataset.classes()) < 2:
        raise ValueError("training needs at least two classes")
    if config.test_fraction <= 0:  # everything trains; scores then need other data (eval --data)
        return dataset, np.arange(len(dataset.items)), np.zeros(0, dtype=int)
    train_idx, test_idx = group_split(dataset, config.test_fraction, config.seed)
    return dataset, train_idx, test_idx


def training_groups(dataset: Dataset, train_idx: np.ndarray) -> list[str]:
    """The training photos' contributors, each photo its own where the data names none
    (what ``familiarity.split`` divides)."""
    return [dataset.items[i].group or str(dataset.items[i].path) for i in train_idx]


def has_familiarity(dataset: Dataset, train_idx: np.ndarray, config: TrainConfig) -> bool:
    """Whether training on these photos gives the model the check for unusual photos
    (``familiarity``): told before training, from the split alone (unreadable photos aside)."""
    return familiarity.split(training_groups(dataset, train_idx), config.seed) is not None


def _fit_linear(features: np.ndarray, targets: np.ndarray, c: float, seed: int):
    """Logistic regression on standardised features, folded into Dense weights (kernel, bias)."""
    mean, std, clf = fit_standardised(features, targets, c, seed)
    coef = clf.coef_.T / std[:, None]  # (d, k)
    bias = clf.intercept_ - (mean[:, None] * coef).sum(0)
    return coef.astype(np.float32), bias.astype(np.float32), clf


def train(
    data: str | Path | Dataset,
    out: str | Path | None = None,
    config: TrainConfig | None = None,
    *,
    progress: Progress = no_progress,
    cancelled: Cancelled = never_cancelled,
    export: Path | None = None,
    name: str | None = None,
    heldout_twin: TrainResult | None = None,
    keep_fast_path: bool = False,
) -> TrainResult:
    """Train on ``data`` and save to the model store as ``out`` (a name; neither it nor
    ``export`` given: named after the data's folder, ``name_for_data``) and/or a folder
    (``export``). ``name``: the model's own name (its metadata, what ``describe`` reports);
    default ``out``, or "product" for an export alone (the shipped model is made so).

    ``heldout_twin``: the same recipe trained earlier with contributors held out, saved in a
    sibling folder; the model records it (see ``train_and_retrain_on_all``).
    ``keep_fast_path``: the export also holds its int8 flatbuffers (``keep_fast_path_with_model``).

    The model's folders appear whole or not at all (``staging.install``)."""
    config = config or TrainConfig()
    started = time.monotonic()
    if out is None and export is None:
        out = model_store.name_for_data(data.root if isinstance(data, Dataset) else data)
    _check_out(out)
    name = name or (str(out) if out is not None else "product")
    dataset, train_idx, test_idx = prepare(data, config)
    photos = _photos(dataset, train_idx, test_idx, config, progress, cancelled)
    meta = _new_meta(dataset, photos, config, name)
    head = _head_with_imagenet_top(meta)
    # Stage 1: linear heads on the frozen top's pooled features (plain + mirrored images).
    baseline, linear_scores = _fit_linear_heads(head, photos, config, progress, cancelled)
    # Stage 2: fine-tune the top blocks (batch-norm frozen) and the heads together.
    members = [head.get_weights()]
    if config.finetune_epochs > 0:
        members = finetune(head, photos.files, photos.train_idx, photos.y, photos.kids if photos.has_kids else None,
                           len(photos.classes), config, progress=progress, cancelled=cancelled)
    train_groups = training_groups(dataset, photos.train_idx)
    # Whether photos unlike these can be told (``familiarity``): known before it is built, so
    # the metrics (saved with the model) and the messages say it.
    sides = familiarity.split(train_groups, config.seed)
    meta.metrics = _metrics(head, members, photos, dataset.has_groups, len(meta.test_groups), linear_scores)
    meta.metrics["familiarity"] = None if sides is None else {"reference": len(sides[0]), "bank": len(sides[1])}
    if heldout_twin is not None:  # what can be said of this model's accuracy on unseen contributors
        meta.metrics["heldout_twin"] = {k: heldout_twin.metrics.get(k) for k in TWIN_METRICS}
    meta.metrics["seconds"] = round(time.monotonic() - started, 1)

    folders = []
    if out is not None:
        folders.append(model_store.user_dir(str(out)))
    if export is not None:
        folders.append(Path(export))
    _save(folders, head, members, meta, baseline, photos, train_groups if sides is not None else None, config.seed,
          export=export, twin=heldout_twin is not None, keep_fast_path=keep_fast_path, progress=progress,
          cancelled=cancelled)
    return TrainResult(folders[0], meta, meta.metrics)


@dataclass
class _Photos:
    """The photos ``train`` works on: the decodable ones of the split, with their features."""

    files: list[str]
    classes: list[str]
    y: np.ndarray  # every photo's class index
    kids: np.ndarray  # every photo's kids label (0/1, float32)
    has_kids: bool  # whether the kids head is trained
    feats: dict[str, np.ndarray]  # the frozen trunk's features ("plain", "flip", "ok": decodable)
    train_idx: np.ndarray
    test_idx: np.ndarray
    unreadable: list[dict[str, str]]  # left out, and said so


def _photos(dataset: Dataset, train_idx: np.ndarray, test_idx: np.ndarray, config: TrainConfig,
            progress: Progress, cancelled: Cancelled) -> _Photos:
    """Labels, and the frozen trunk's features of every photo (cached); undecodable photos
    leave the split."""
    classes = dataset.classes()
    class_index = {c: i for i, c in enumerate(classes)}
    y_all = np.array([class_index[item.label] for item in dataset.items])
    kids_all = np.array([bool(item.kids) for item in dataset.items], np.float32)
    has_kids = dataset.has_kids and 0 < kids_all[train_idx].sum() < len(train_idx)

    files = [item.path for item in dataset.items]
    feats = trunk_features(
        files, config.backbone(), progress=lambda d, t, m="": progress(d, t, "backbone features"), cancelled=cancelled
    )
    ok = feats["ok"]
    unreadable = [_unreadable(files[i]) for i in np.flatnonzero(~ok)]
    train_idx = train_idx[ok[train_idx]]
    test_idx = test_idx[ok[test_idx]]
    if len(train_idx) == 0:
        raise ValueError("no training images could be decoded")
    return _Photos(files, classes, y_all, kids_all, bool(has_kids), feats, train_idx, test_idx, unreadable)


def _new_meta(dataset: Dataset, photos: _Photos, config: TrainConfig, name: str) -> product_model.ProductMeta:
    items = dataset.items
    return product_model.ProductMeta(
        classes=photos.classes,
        backbone=config.backbone_name,
        size=config.size,
        first_top_block=config.first_top_block,
        trunk_channels=int(photos.feats["plain"].shape[-1]),
        has_kids=photos.has_kids,
        name=name,
        data_fingerprint=dataset.fingerprint(),
        data=str(dataset.root),
        data_absolute=str(Path(dataset.root).absolute()),
        training=asdict(config),
        test_groups=sorted({items[i].group for i in photos.test_idx if items[i].group}),
        train_groups=sorted({items[i].group for i in photos.train_idx if items[i].group}),
    )


def _head_with_imagenet_top(meta: product_model.ProductMeta):
    """The head model (top blocks + heads), its top blocks holding the ImageNet weights."""
    head = product_model.build_head_model(meta)
    full = backbones.get(meta.backbone).full()
    top_layers = [layer for layer in head.layers if layer.weights and layer.name not in ("category", "kids")]
    for layer in top_layers:
        layer.set_weights(full.get_layer(layer.name).get_weights())
    return head


def _fit_linear_heads(head, photos: _Photos, config: TrainConfig, progress: Progress,
                      cancelled: Cancelled) -> tuple[Any, dict[str, float]]:
    """Set ``head``'s category (and kids) layers to logistic regressions on the frozen top's
    pooled features of the training photos, plain and mirrored. -> (the baseline fitted beside
    them, their held-out scores as ``linear_...`` metrics: none without held-out photos)."""
    import keras

    from vsdesk.engine.product.metrics import classification_report

    feats, train_idx, test_idx = photos.feats, photos.train_idx, photos.test_idx
    frozen_top = keras.Model(head.input, head.get_layer(product_model.EMBEDDING_LAYER).output)
    x_lin = np.concatenate([feats["plain"][train_idx], feats["flip"][train_idx]])
    progress(0, 1, "fitting linear heads")
    pooled = pooled_features(frozen_top, x_lin, cancelled=cancelled)
    y_lin = np.concatenate([photos.y[train_idx]] * 2)
    kernel, bias, _ = _fit_linear(pooled, y_lin, config.logistic_c, config.seed)
    if kernel.shape[1] == 1:  # two classes: sklearn gives one column
        kernel = np.concatenate([-kernel / 2, kernel / 2], 1)
        bias = np.concatenate([-bias / 2, bias / 2])
    head.get_layer("category").set_weights([kernel, bias])
    if photos.has_kids:
        k_kernel, k_bias, _ = _fit_linear(pooled, np.concatenate([photos.kids[train_idx]] * 2), config.kids_c,
                                          config.seed)
        head.get_layer("kids").set_weights([k_kernel, k_bias])
    # The baseline that `vsdesk eval product` compares against: the same frozen features of the
    # same training images (plain only) and a logistic regression, saved beside the model.
    baseline = fit_baseline(pooled[: len(train_idx)], photos.y[train_idx], len(photos.classes), config.logistic_c,
                            config.seed)
    check_cancelled(cancelled)
    linear_scores = {}
    if len(test_idx):
        probs, _ = predict_features(head, feats["plain"][test_idx], feats["flip"][test_idx])
        report = classification_report(photos.y[test_idx], probs, photos.classes)
        linear_scores = {f"linear_{k}": report[k] for k in ("accuracy", "accuracy_5class", "macro_f1")}
        progress(1, 1, f"linear heads: accuracy {report['accuracy']:.3f}")
    return baseline, linear_scores


def _metrics(head, members: list[list[np.ndarray]], photos: _Photos, grouped: bool, test_contributors: int,
             linear_scores: dict[str, float]) -> dict[str, Any]:
    """What the model's metadata says of its training: photo counts, and the members' averaged
    scores on the held-out photos (test-time flip: average of the image and its mirror)."""
    from vsdesk.engine.product.metrics import classification_report

    test_idx = photos.test_idx
    metrics: dict[str, Any] = {
        "train_images": int(len(photos.train_idx)),
        "test_images": int(len(test_idx)),
        # null where the data names no contributors (class folders), as eval says: not "0"
        "test_contributors": test_contributors if grouped else None,
        "grouped_split": bool(grouped),
        **linear_scores,
    }
    if photos.unreadable:
        metrics["unreadable_images"] = photos.unreadable
    if len(test_idx):
        probs, kids_p = predict_members(head, members, photos.feats["plain"][test_idx], photos.feats["flip"][test_idx])
        report = classification_report(photos.y[test_idx], probs, photos.classes)
        metrics.update({k: report[k] for k in ("accuracy", "accuracy_5class", "macro_f1")})
        # Of the Keras model in float32, as trained; the app runs it in int8 TFLite, as
        # `vsdesk eval product` scores it (a photo or two may differ).
        metrics["scored_with"] = {"runtime": "keras", "precision": "float32"}
        if photos.has_kids:
            metrics["kids_accuracy"] = float(((kids_p > 0.5) == (photos.kids[test_idx] > 0.5)).mean())
    return metrics


def _save(folders: list[Path], head, members: list[list[np.ndarray]], meta: product_model.ProductMeta, baseline,
          photos: _Photos, familiarity_groups: list[str] | None, seed: int, *, export: Path | None, twin: bool,
          keep_fast_path: bool, progress: Progress, cancelled: Cancelled) -> None:
    """The model saved in each of ``folders``, with its familiarity data (where
    ``familiarity_groups``, the training photos' contributors, are given) and its fast path.

    Whole or nothing: every file is written into a hidden folder beside the final one, which is
    renamed into place at the very end. Interrupted (Ctrl+C during the last, slow steps, an
    error), nothing is left that `models list` would show or a search would use without, say,
    its familiarity data; a model trained earlier under the name stays as it was."""
    train_files = [photos.files[i] for i in photos.train_idx]
    train_photos = product_model.photo_digests(train_files)
    train_looks = near_copy.looks(train_files)  # (re-saved copies: eval leaves them out)
    stagings: list[Path] = []
    try:
        for folder in folders:
            stagings.append(staging_dir(folder))
            if twin:  # saved beside it under the same name + "-heldout"
                meta.heldout_twin = twin_name(folder.name)
            product_model.save(stagings[-1], head, meta, float16=export is not None and folder == Path(export),
                               members=members)
            product_model.save_baseline(stagings[-1], baseline)
            product_model.save_train_photos(stagings[-1], train_photos)
            product_model.save_train_looks(stagings[-1], train_looks)
        progress(0, 0, "preparing the fast path (no check for unusual photos: too few training photos)"
                 if familiarity_groups is None else "preparing the check for unusual photos and the fast path")
        from vsdesk.engine.product.embedder import ProductEmbedder

        # The saved model as the app runs it (the last folder: the export, float16, when there is one).
        embedder = ProductEmbedder(str(stagings[-1]))
        if familiarity_groups is not None:
            _save_familiarity(embedder, stagings, train_files, familiarity_groups, seed)
        # Every member's fast path is converted now and cached on this machine: at the model's first
        # use in the window, the converter's C++ calls would stall it (they hold the GIL).
        embedder.warm_up()
        if keep_fast_path and export is not None:  # a model to ship: no install converts it
            progress(0, 0, "converting the exported model for the fast path")
            embedder.keep_fast_path_with_model()  # the export's folder, the last one
        check_cancelled(cancelled)
        for staging, folder in zip(stagings, folders):
            install(staging, folder)
    except BaseException:  # KeyboardInterrupt too
        for staging in stagings:
            shutil.rmtree(staging, ignore_errors=True)  # gone already if it was installed
        raise
def _check_out(out) -> None:
    """A valid name for the model store, and none of the shipped models' ("product" and
    "product-heldout" mean them, in any case): the rule the CLI and import apply, kept here too
    for a caller of ``train`` itself."""
    if out is None:
        return
    problem = model_store.refused_name(str(out), instead=f"{out}-trained")
    if problem:
        raise product_model.ProductModelError(problem)
    model_store.user_dir(str(out))  # refuses a name that would leave the folder


def _save_familiarity(embedder, folders: list[Path], files: list[str], groups: list[str], seed: int) -> None:
    """What tells whether a photo looks like these training photos (``familiarity``), computed
    by ``embedder`` and saved in every folder of the model."""
    built = familiarity.build(lambda chosen: familiarity.embed_files(embedder, chosen), files, groups, seed,
                              flat=lambda chosen: familiarity.flat_shares(chosen, embedder.meta.size))
    for folder in folders if built is not None else []:
        familiarity.save(folder, built)


#: The twin's held-out scores copied into the model trained on everything.
TWIN_METRICS = ("accuracy", "accuracy_5class", "macro_f1", "test_images", "test_contributors")


def twin_name(name: str) -> str:
    return f"{name}-heldout"


def train_and_retrain_on_all(
    data: str | Path | Dataset,
    out: str | None = None,
    config: TrainConfig | None = None,
    *,
    progress: Progress = no_progress,
    cancelled: Cancelled = never_cancelled,
    export: Path | None = None,
    name: str | None = None,
    keep_fast_path: bool = False,
) -> tuple[TrainResult, TrainResult]:
    """(held-out twin, final model): the recipe scored on held-out contributors, then trained
    again on all of them.

    The usual last step of model building: once a recipe is chosen and scored, the photos that
    scored it are worth more as training data (28 % more photos for the Clothing Dataset). The
    scored model is kept beside the final one as ``NAME-heldout``: ``vsdesk eval product`` on the
    training data scores it in the final model's place, since the final model has seen every
    contributor there. Same seed and settings for both; only the held-out share differs."""
    config = config or TrainConfig()
    if config.test_fraction <= 0:
        raise ValueError("retraining on all contributors needs a held-out share above 0 for its twin")
    if out is None and export is None:  # named as ``train`` would name it
        out = model_store.name_for_data(data.root if isinstance(data, Dataset) else data)
    name = name or (str(out) if out is not None else "product")
    twin_out = twin_name(out) if out is not None else None
    twin_export = export.with_name(twin_name(export.name)) if export is not None else None
    _check_out(out)
    _check_out(twin_out)  # a valid name, checked before an hour of training

    def stage(label: str) -> Progress:
        return lambda done, total, message="": progress(done, total, f"{label}: {message}" if message else label)

    twin = train(data, twin_out, config, progress=stage("held-out twin"), cancelled=cancelled,
                 export=twin_export, name=twin_name(name))
    final = train(data, out, replace(config, test_fraction=0.0), progress=stage("all contributors"),
                  cancelled=cancelled, export=export, name=name, heldout_twin=twin, keep_fast_path=keep_fast_path)
    return twin, final


def _unreadable(path: str) -> dict[str, str]:
    """A file the backbone features could not be computed for, and why (decoded again for it)."""
    from vsdesk.engine.imageio import ImageError, load_image

    try:
        load_image(path)
        reason = "could not be decoded"
    except ImageError as exc:
        reason = exc.reason
    return {"path": path, "reason": reason}


def predict_members(head, members: list[list[np.ndarray]], plain: np.ndarray, flip: np.ndarray | None = None):
    """``predict_features`` averaged over the members' weights (``head`` is left at the first)."""
    outs = []
    for weights in members:
        head.set_weights(weights)
        outs.append(predict_features(head, plain, flip))
    head.set_weights(members[0])
    return np.mean([o[0] for o in outs], 0), np.mean([o[1] for o in outs], 0)


def predict_features(head, plain: np.ndarray, flip: np.ndarray | None = None, batch_size: int = 64):
    """Category probabilities (n, k) and kids probability (n,) from trunk features, flip-averaged."""
    run = compiled(head)
    probs, kids = [], []
    for start in range(0, len(plain), batch_size):
        views = [plain[start : start + batch_size]]
        if flip is not None:
            views.append(flip[start : start + batch_size])
        outs = [run(v.astype(np.float32)) for v in views]
        probs.append(np.mean([o["category"] for o in outs], 0))
        if "kids" in outs[0]:
            kids.append(np.mean([o["kids"][:, 0] for o in outs], 0))
    kids_arr = np.concatenate(kids) if kids else np.full(len(plain), np.nan, np.float32)
    return np.concatenate(probs), kids_arr
