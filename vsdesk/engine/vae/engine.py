"""The trained VAE at work: encode, find neighbours, decode the 2-D map, score anomalies.

``VaeEngine`` holds the Keras networks and their compiled (``tf.function``) entry points. Use it
from one thread only (the thread that owns TensorFlow). The 60,000 training latents that queries
are compared with are computed once per weights file and cached as ``.npy`` in the cache dir.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from vsdesk.engine import paths
from vsdesk.engine.files import atomic_save_npy, sha256_file
from vsdesk.engine.models.cache import companion_path
from vsdesk.engine.models.errors import ModelStoreError
from vsdesk.engine.tasks import Cancelled, Progress, check_cancelled, never_cancelled, no_progress
from vsdesk.engine.vae import knn
from vsdesk.engine.vae import model as vae_model
from vsdesk.engine.vae import nearness
from vsdesk.engine.vae._objective import SCORE_DEFINITION
from vsdesk.engine.vae.dataset_form import to_dataset_form

CLASS_NAMES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)
#: Neighbours that vote on a query's category.
VOTE_K = 10
#: What is said of a picture in which the conversion to Fashion-MNIST's form found no object
#: (``DatasetForm.object_found``), instead of its category and anomaly verdict.
NO_OBJECT = "no object found: the picture is (nearly) one flat colour, a smooth gradient or noise"
#: Why such a picture has no results (``VaeEmbedder.nothing_to_compare``): `vsdesk search`'s
#: "nothing_to_compare", and the window's gallery.
NOTHING_TO_COMPARE = "no object found in the picture: nothing to compare"


class VaeModelError(ModelStoreError):
    """The VAE weights or their metadata are missing or do not fit. ``str()`` is for the user."""


@dataclass
class TrainIndex:
    """The training set as the engine sees it: search latents, 2-D positions, labels."""

    means: np.ndarray  # (n, 32) float32
    unit: np.ndarray  # (n, 32) float32, L2-normalised means (cosine search)
    map2d: np.ndarray  # (n, 2) float32
    labels: np.ndarray  # (n,) int64


def image_to_input(pixels: np.ndarray) -> np.ndarray:
    """uint8 (..., 28, 28) -> float32 (n, 28, 28, 1) in [0, 1]."""
    return (np.asarray(pixels, dtype=np.float32) / 255.0).reshape(-1, 28, 28, 1)


def png_data_url(pixels: np.ndarray, scale: int = 1) -> str:
    """A small greyscale PNG as a ``data:`` URL (JSON-ready)."""
    image = Image.fromarray(np.asarray(pixels, dtype=np.uint8), "L")
    if scale > 1:
        image = image.resize((image.width * scale, image.height * scale), Image.Resampling.NEAREST)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def image_from_data_url(url: str) -> np.ndarray:
    """The inverse of ``png_data_url``: ``describe()``'s ``input_png`` / ``reconstruction_png`` back
    to a uint8 (28, 28) array (for a GUI that draws them itself)."""
    header, _, payload = url.partition(",")
    if header != "data:image/png;base64" or not payload:
        raise ValueError("not a PNG data URL")
    with Image.open(io.BytesIO(base64.b64decode(payload))) as image:
        return np.asarray(image.convert("L"), dtype=np.uint8).copy()


def _to_uint8(probabilities: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(np.asarray(probabilities) * 255.0), 0, 255).astype(np.uint8)


class VaeEngine:
    def __init__(self, bundle, metadata: dict[str, Any], weights_path: Path, weights_sha256: str):
        import tensorflow as tf

        from vsdesk.engine.vae._objective import anomaly_score, image_terms

        self.bundle = bundle
        self.metadata = metadata
        self.weights_path = weights_path
        self.weights_sha256 = weights_sha256
        self.key = vae_model.vectors_key(weights_sha256)
        self.dim = bundle.latent_dim
        self._index: TrainIndex | None = None
        self._lock = threading.Lock()
        stats = metadata.get("anomaly_score") or {}
        quantiles = stats.get("quantiles")
        # Statistics made for other weights (say, a user-imported file) or another score
        # definition are recomputed on first use.
        fits = metadata.get("weights_sha256") in (None, weights_sha256) and stats.get("definition") == SCORE_DEFINITION
        self._score_quantiles = np.asarray(quantiles, dtype=np.float64) if quantiles and fits else None
        #: ``nearness``'s reference for the index in use (the test images' own nearest likeness),
        #: and whether that index is the training set's (whose reference is cached on disk)
        self._nearness_quantiles: np.ndarray | None = None
        self._full_index = True
        self._index_generation = 0  # one more at each ``use_train_index``: a reference made before is not kept

        spec = tf.TensorSpec([None, 28, 28, 1], tf.float32)
        # No autograph (in every tf.function of vsdesk's): they hold no Python control flow on
        # tensors to convert, and autograph writes each function it converts as a module into the
        # temporary folder, removed only by a normal exit: a killed process left them for good.

        @tf.function(input_signature=[spec], autograph=False)
        def encode(x):
            return bundle.encoder(x, training=False)[0]

        @tf.function(input_signature=[spec], autograph=False)
        def query(x):
            rec, kl, mean, _, logits = image_terms(bundle, x, stochastic=False)
            point = bundle.map_encoder(mean, training=False)[0]
            return mean, point, tf.sigmoid(logits)[..., 0], anomaly_score(x, rec, kl)

        @tf.function(input_signature=[spec, tf.TensorSpec([2], tf.int32)], autograph=False)
        def elbo(x, seed):
            rec, kl, *_ = image_terms(bundle, x, stochastic=True, seed=seed)
            return rec + kl

        @tf.function(input_signature=[tf.TensorSpec([None, vae_model.MAP_DIM], tf.float32)], autograph=False)
        def decode_points(points):
            code = bundle.map_decoder(points, training=False)[0]
            return tf.sigmoid(bundle.decoder(code, training=False))[..., 0]

        @tf.function(input_signature=[tf.TensorSpec([None, bundle.latent_dim], tf.float32)], autograph=False)
        def to_map(means):
            return bundle.map_encoder(means, training=False)[0]

        self._encode, self._query, self._elbo = encode, query, elbo
        self._decode_points, self._to_map = decode_points, to_map

    # --- loading ---------------------------------------------------------------------------

    @classmethod
    def load(cls, weights: str | os.PathLike | None = None, progress: Progress = no_progress) -> "VaeEngine":
        """The shipped (or model-store provided) VAE; ``weights`` names another ``.weights.h5``
        whose ``vae.json`` metadata sits beside it (``vsdesk train vae --out`` writes both)."""
        if weights is None:
            from vsdesk.engine.models import store

            path = Path(store.ensure_weights("vae", progress))
        else:
            path = Path(weights)
        if not path.is_file():
            raise VaeModelError(f"VAE weights {path} not found; train them with `vsdesk train vae`")
        metadata = _read_metadata(path)
        bundle = vae_model.build_bundle(**_architecture(metadata))
        try:
            bundle.load_weights(path)
        except Exception as exc:  # Keras raises many types for a misfit
            raise VaeModelError(f"{path} does not fit the VAE: {str(exc).splitlines()[0][:200]}") from exc
        return cls(bundle, metadata, path, sha256_file(path))

    # --- batch operations ------------------------------------------------------------------

    def encode(self, x: np.ndarray, batch: int = 1000, cancelled: Cancelled = never_cancelled) -> np.ndarray:
        """float32 (n, 28, 28, 1) in [0, 1] -> search latent means (n, 32)."""
        out = [np.zeros((0, self.dim), np.float32)]
        for i in range(0, len(x), batch):
            check_cancelled(cancelled)
            out.append(self._encode(np.ascontiguousarray(x[i : i + batch], dtype=np.float32)).numpy())
        return np.concatenate(out)

    def to_map(self, means: np.ndarray) -> np.ndarray:
        """Search latent means -> 2-D map positions (the map encoder's mean)."""
        if len(means) == 0:
            return np.zeros((0, 2), np.float32)
        return self._to_map(np.asarray(means, dtype=np.float32)).numpy()

    def anomaly_scores(self, x: np.ndarray, batch: int = 1000) -> np.ndarray:
        """Anomaly score per image (nats; see ``_objective.anomaly_score``): higher = further off
        the manifold."""
        out = [np.zeros(0, np.float32)]
        for i in range(0, len(x), batch):
            out.append(self._query(np.ascontiguousarray(x[i : i + batch], dtype=np.float32))[3].numpy())
        return np.concatenate(out)

    def elbo(self, x: np.ndarray, batch: int = 1000, seed: int = 0) -> np.ndarray:
        """One-sample Monte Carlo ELBO per image (nats; fixed seed, so repeatable)."""
        out = [np.zeros(0, np.float32)]
        for n, i in enumerate(range(0, len(x), batch)):
            chunk = np.ascontiguousarray(x[i : i + batch], dtype=np.float32)
            out.append(-self._elbo(chunk, np.array([seed, n], np.int32)).numpy())
        return np.concatenate(out)

    def decode_points(self, points: np.ndarray) -> np.ndarray:
        """2-D map points (n, 2) -> uint8 images (n, 28, 28). Any point of the plane works."""
        points = np.asarray(points, dtype=np.float32).reshape(-1, vae_model.MAP_DIM)
        return _to_uint8(self._decode_points(points).numpy())

    def grid(self, n: int = 20, extent: float = 2.5) -> np.ndarray:
        """The map decoded on an n x n grid over [-extent, extent]^2 -> uint8 (n*28, n*28) mosaic.
        Row 0 is the top (largest y), column 0 the left (smallest x), as on a plot."""
        if n < 1 or extent <= 0:
            raise ValueError("grid needs n >= 1 and extent > 0")
        axis = np.linspace(-extent, extent, n, dtype=np.float32)
        xs, ys = np.meshgrid(axis, axis[::-1])
        tiles = self.decode_points(np.stack([xs.ravel(), ys.ravel()], axis=1))
        return tiles.reshape(n, n, 28, 28).transpose(0, 2, 1, 3).reshape(n * 28, n * 28)

    def map_category(self, x: float, y: float) -> tuple[str, int]:
        """The kind of item at a point of the 2-D map: the category most of the ``VOTE_K``
        training images placed nearest to it show, and how many of them do (ties: the lower
        class index). What the decoded picture there is drawn from, in words."""
        index = self.train_index()
        distance = np.square(index.map2d - np.array([x, y], np.float32)).sum(axis=1)
        nearest = np.argpartition(distance, VOTE_K)[:VOTE_K]
        votes = np.bincount(index.labels[nearest], minlength=len(CLASS_NAMES))
        winner = int(np.argmax(votes))
        return CLASS_NAMES[winner], int(votes[winner])

    # --- the training set ------------------------------------------------------------------

    def train_index(self, progress: Progress = no_progress, cancelled: Cancelled = never_cancelled) -> TrainIndex:
        """The 60,000 training latents (cached per weights file as .npy, never pickled)."""
        with self._lock:
            if self._index is None:
                self._index = self._load_or_build_index(progress, cancelled)
            return self._index

    def _cache_folder(self) -> Path:
        """Where this model's caches are: read if there, written if it can be (``_cache``)."""
        return paths.cache_read_location() / "vae" / self.key

    def _load_or_build_index(self, progress: Progress, cancelled: Cancelled) -> TrainIndex:
        folder = self._cache_folder()
        files = {name: folder / f"train_{name}.npy" for name in ("means", "labels")}
        try:
            means = np.load(files["means"], allow_pickle=False)
            labels = np.load(files["labels"], allow_pickle=False)
            if means.shape == (len(labels), self.dim) and means.dtype == np.float32 and np.isfinite(means).all():
                return self._index_from(means, labels)
        except (OSError, ValueError, EOFError):
            pass  # missing, truncated or damaged: rebuilt below
        shipped = self._shipped_latents()
        if shipped is not None:
            return self._index_from(*shipped)
        from vsdesk.engine.samples import load_fashion_mnist

        progress(0, 1, "reading the Fashion-MNIST training set")
        images, labels = load_fashion_mnist("train")
        x = image_to_input(images)
        means = []
        for i in range(0, len(x), 2000):
            check_cancelled(cancelled)
            progress(i, len(x), "encoding the training set for neighbour search")
            means.append(self.encode(x[i : i + 2000]))
        means = np.concatenate(means).astype(np.float32)
        progress(len(x), len(x), "training set encoded")
        _cache(files["labels"], labels.astype(np.int64))
        _cache(files["means"], means)
        return self._index_from(means, labels.astype(np.int64))

    def _shipped_latents(self) -> tuple[np.ndarray, np.ndarray] | None:
        """The latents that training wrote beside these very weights, if intact."""
        if self.weights_path is None or self.metadata.get("weights_sha256") != self.weights_sha256:
            return None
        try:
            with np.load(companion_path(self.weights_path, vae_model.LATENTS_SUFFIX), allow_pickle=False) as data:
                means = data["means"].astype(np.float32)
                labels = data["labels"].astype(np.int64)
        except (OSError, ValueError, KeyError, EOFError):
            return None
        if means.shape != (len(labels), self.dim) or not np.isfinite(means).all():
            return None
        return means, labels

    def _index_from(self, means: np.ndarray, labels: np.ndarray) -> TrainIndex:
        return TrainIndex(means, knn.unit_rows(means).astype(np.float32), self.to_map(means), labels)

    def use_train_index(self, images: np.ndarray, labels: np.ndarray) -> TrainIndex:
        """Compare queries with these images instead of the full training set (tests, eval subsets)."""
        means = self.encode(image_to_input(images))
        with self._lock:
            self._index = self._index_from(means, np.asarray(labels, dtype=np.int64))
            self._nearness_quantiles, self._full_index = None, False  # its own, made on first use
            self._index_generation += 1
            return self._index

    # --- queries ---------------------------------------------------------------------------

    def percentile(self, scores: np.ndarray | float) -> np.ndarray | float:
        """Anomaly score -> percentile (0-100) of the training images' scores."""
        if self._score_quantiles is None:
            self._score_quantiles = self._training_score_quantiles()
        levels = np.linspace(0.0, 100.0, len(self._score_quantiles))
        return np.interp(scores, self._score_quantiles, levels)

    def _training_score_quantiles(self) -> np.ndarray:
        path = self._cache_folder() / f"train_score_quantiles-{hashlib.sha256(SCORE_DEFINITION.encode()).hexdigest()[:8]}.npy"
        quantiles = _cached_quantiles(path, lambda q: q.ndim == 1 and len(q) > 1)
        if quantiles is not None:
            return quantiles
        from vsdesk.engine.samples import load_fashion_mnist
        from vsdesk.engine.vae.train import SCORE_QUANTILES

        images, _ = load_fashion_mnist("train")
        quantiles = np.quantile(self.anomaly_scores(image_to_input(images)), SCORE_QUANTILES)
        _cache(path, quantiles)
        return quantiles

    def nearness_quantiles(self) -> np.ndarray:
        """``nearness``'s reference for the index in use, from the Fashion-MNIST test images:
        for the training set's, the one shipped beside the weights, else computed once per
        weights file and cached (a damaged cache is rebuilt); for another index
        (``use_train_index``), computed for it, not cached. Made outside the lock (encoding the
        test images takes seconds: a query's ``train_index`` would wait), kept only if the index
        was not changed meanwhile."""
        with self._lock:
            if self._nearness_quantiles is not None:
                return self._nearness_quantiles
            full, generation = self._full_index, self._index_generation
        quantiles = self._full_nearness(generation) if full else self._reference_nearness()
        with self._lock:
            if self._index_generation == generation:
                self._nearness_quantiles = quantiles
        return quantiles

    def _full_nearness(self, generation: int) -> np.ndarray:
        """The training set's reference: shipped, else cached, else made and cached (only if the
        index is still the training set's, ``generation``: not another's under its name)."""
        shipped = self._shipped_nearness()
        if shipped is not None:
            return shipped
        path = self._cache_folder() / f"test_nearness_quantiles-k{nearness.NEAR_K}.npy"
        quantiles = _cached_quantiles(path, lambda q: q.shape == nearness.LEVELS.shape)
        if quantiles is not None:
            return quantiles
        quantiles = self._reference_nearness()
        with self._lock:
            if self._index_generation != generation:
                return quantiles
        _cache(path, quantiles)
        return quantiles

    def _reference_nearness(self) -> np.ndarray:
        """The reference for the index in use, made from the test images (seconds)."""
        return nearness.reference_quantiles(self._test_means(), self.train_index().unit)

    def _shipped_nearness(self) -> np.ndarray | None:
        if self.weights_path is None:
            return None
        try:
            record = json.loads(companion_path(self.weights_path, nearness.SUFFIX).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return nearness.quantiles_from(record, self.weights_sha256) if isinstance(record, dict) else None

    def _test_means(self) -> np.ndarray:
        from vsdesk.engine.samples import load_fashion_mnist

        images, _ = load_fashion_mnist("test")
        return self.encode(image_to_input(images))

    def neighbours(self, image: Image.Image | np.ndarray, k: int = 10) -> list[dict[str, Any]]:
        """The k nearest training images (cosine in the search latent), nearest first."""
        pixels = image if isinstance(image, np.ndarray) else to_dataset_form(image)
        mean = self._encode(image_to_input(pixels)).numpy()
        return self._neighbours_of(mean, k)

    def _neighbours_of(self, mean: np.ndarray, k: int) -> list[dict[str, Any]]:
        index = self.train_index()
        idx, sims = knn.nearest(mean, index.unit, k, metric="cosine", base_is_unit=True)
        return [
            {"index": int(i), "label": int(index.labels[i]), "category": CLASS_NAMES[int(index.labels[i])],
             "similarity": round(float(s), 5)}
            for i, s in zip(idx[0], sims[0])
        ]

    def describe(self, pixels: np.ndarray, neighbours: int = 5, object_found: bool = True) -> dict[str, Any]:
        """Everything the GUI/CLI shows for one query in dataset form (uint8 28x28), JSON-ready.
        ``object_found``: what the conversion said (``dataset_form_of``). Without an object there
        is no item to judge: the keys scripts read stay, null or empty (``_no_object_facts``)."""
        if not object_found:
            return _no_object_facts(pixels)
        mean, point, recon, score = (t.numpy() for t in self._query(image_to_input(pixels)))
        near = self._neighbours_of(mean, max(VOTE_K, neighbours))
        votes = np.bincount([n["label"] for n in near[:VOTE_K]], minlength=len(CLASS_NAMES))
        winner = int(np.argmax(votes))  # ties: the lower class index, deterministic
        percentile = float(self.percentile(float(score[0])))
        alike = float(nearness.mean_similarity(np.array([[n["similarity"] for n in near]]))[0])
        return {
            "category": CLASS_NAMES[winner],
            "category_index": winner,
            "confidence": round(float(votes[winner]) / VOTE_K, 3),
            "votes": {CLASS_NAMES[c]: int(v) for c, v in enumerate(votes) if v},
            "anomaly": {
                "score": round(float(score[0]), 3),
                "percentile": round(percentile, 2),
                "definition": "negative ELBO minus the image's own entropy (nats); percentile among "
                "the 60,000 training images",
            },
            # A second signal, the anomaly's not enough to tell "not a garment" (nearness.py).
            "nearness": {
                "similarity": round(alike, 4),
                "percentile": round(nearness.less_alike_share(alike, self.nearness_quantiles()), 2),
                "definition": nearness.DEFINITION,
            },
            "map2d": [round(float(v), 4) for v in point[0]],
            "input_png": png_data_url(pixels),
            "reconstruction_png": png_data_url(_to_uint8(recon[0])),
            "train_neighbours": near[:neighbours],
            "object_found": True,
        }


def _cached_quantiles(path: Path, fits) -> np.ndarray | None:
    """Quantiles cached at ``path`` if they load, are finite and ``fits(them)``; else None
    (missing, truncated or damaged: made again by the caller)."""
    try:
        quantiles = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError):
        return None
    return quantiles if fits(quantiles) and np.isfinite(quantiles).all() else None


def _cache(path: Path, array: np.ndarray) -> None:
    """``array`` kept at ``path`` for the next query, if it can be: a read-only home or a full
    disk makes it again next time, and the query is answered now (caches never fail it)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_save_npy(path, array)
    except OSError:
        pass


def _no_object_facts(pixels: np.ndarray) -> dict[str, Any]:
    """``describe()`` of a picture with no object: the same keys, none of an item's facts. The
    model is not asked: what it reads in the black square it became (a "typical Sandal" at
    confidence 1.0) is the blank's, and would read as the picture's category and place."""
    return {
        "category": None, "category_index": None, "confidence": None, "votes": {},
        "anomaly": None, "nearness": None, "map2d": None,
        "input_png": png_data_url(pixels),  # what the picture became, to see why
        "reconstruction_png": None, "train_neighbours": [],
        "object_found": False,
        "note": f"{NO_OBJECT}: nothing to compare with Fashion-MNIST's items, so no category, anomaly "
                "verdict, place on the map or neighbours",
    }


#: The anomaly percentiles from which ``anomaly_verdict`` says "less usual than most", "somewhat
#: unusual" and "unusual for the model". Below the first, "typical": only well inside the bulk,
#: at least a fifth of the training images more unusual (a review read "typical: 5.2 % … are
#: more unusual" at the 94.8th as wrong, and it was: 19 in 20 were more usual).
LESS_USUAL_FROM, SOMEWHAT_UNUSUAL_FROM, UNUSUAL_FROM = 80.0, 95.0, 99.0


def anomaly_verdict(percentile: float) -> str:
    """The anomaly percentile as a verdict, in the window and the command line alike, true
    across the range: typical, less usual than most, somewhat unusual, unusual for the model
    (the cut-offs: ``LESS_USUAL_FROM`` … ``UNUSUAL_FROM``). Of the percentile as it is shown,
    to a tenth: 98.99 said "somewhat unusual" beside "anomaly percentile 99.0"."""
    p = round(float(percentile), 1)
    if p >= UNUSUAL_FROM:
        return "unusual for the model"
    if p >= SOMEWHAT_UNUSUAL_FROM:
        return "somewhat unusual"
    return "less usual than most" if p >= LESS_USUAL_FROM else "typical"


def anomaly_share(percentile: float) -> str:
    """The anomaly percentile as the share of training images more unusual than the image, in
    the window and the command line alike: "0.7 % of the Fashion-MNIST training images are more
    unusual". No ordinal ("99.3th" is wrong, "99.3rd" odd), and it reads right beside any
    verdict ("Typical: more unusual than 91.6 % of them" read as a contradiction)."""
    above = 100 - float(percentile)
    if above <= 0:
        return "none of the Fashion-MNIST training images is more unusual"
    return f"{above:.1f} % of the Fashion-MNIST training images are more unusual"


def anomaly_words(percentile: float) -> str:
    """``describe()``'s anomaly percentile in words. The score is the part of the image the model
    fails to explain (``_objective.anomaly_score``); its percentile is the share of the training
    images the model explains better."""
    p = float(percentile)
    return f"{anomaly_verdict(p)}: {anomaly_share(p)} (anomaly percentile {p:.1f})"


def _architecture(metadata: dict[str, Any]) -> dict[str, int]:
    config = metadata.get("config", {})
    return {"latent_dim": int(config.get("latent_dim", vae_model.LATENT_DIM)),
            "width": int(config.get("width", vae_model.WIDTH))}


def _read_metadata(weights: Path) -> dict[str, Any]:
    """The metadata named after the weights beside them (``vae.json`` beside ``vae.weights.h5``;
    `models import vae` copies it along); weights without one fall back to the shipped
    metadata, whose score statistics then only approximately fit."""
    candidates = [companion_path(weights, vae_model.METADATA_SUFFIX),
                  paths.resources_dir() / vae_model.RESOURCE_DIR / vae_model.METADATA_NAME]
    for candidate in candidates:
        if candidate.is_file():
            try:
                return json.loads(candidate.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise VaeModelError(f"{candidate} is damaged: {exc}") from None
    raise VaeModelError(f"no {vae_model.METADATA_NAME} beside {weights}; retrain with `vsdesk train vae`")


