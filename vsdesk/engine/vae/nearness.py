"""How alike a query's nearest training images are, compared with Fashion-MNIST's own items.

The anomaly score says how well the model explains a silhouette. Clothing photos score high on it
too (median percentile 95), so it cannot alone tell "a garment photographed" from "not a garment".
This second signal asks another question: are there training images like this one? It is the mean
cosine similarity of the query's ``NEAR_K`` nearest training images in the search latent (the
ones that vote on its category), given as the share of Fashion-MNIST *test* images (never in the
training set, as a user's picture is not) whose own nearest training images are more alike.
Calibrated on those test images only. Measured (`scripts/vae_nearness_auroc.py`, docs/vae.md):
AUROC against the test images 0.988 for digits, 0.948 for 300 clothing photos, 0.982 for the 32
style artworks; the anomaly score's in the same run 0.959, 0.905, 0.950.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from vsdesk.engine.files import atomic_write_json
from vsdesk.engine.models.cache import companion_path
from vsdesk.engine.vae import knn

#: The neighbours whose likeness is measured: those that vote on the category (``VOTE_K``).
NEAR_K = 10
#: The reference's quantiles kept (0, 0.1, ..., 100 %).
LEVELS = np.linspace(0.0, 1.0, 1001)
DEFINITION = (f"mean cosine similarity of the {NEAR_K} nearest training images in the search latent; "
              "percentile: the share of the 10,000 Fashion-MNIST test images whose own nearest training "
              "images are more alike")


def mean_similarity(similarities: np.ndarray) -> np.ndarray:
    """(n, >= NEAR_K) similarities, nearest first -> each row's mean over its NEAR_K nearest."""
    return np.asarray(similarities, dtype=np.float64)[:, :NEAR_K].mean(axis=1)


def reference_quantiles(reference_means: np.ndarray, train_unit: np.ndarray) -> np.ndarray:
    """The quantiles of ``mean_similarity`` for the reference images' search latents (the test
    set's) against the training latents (L2-normalised rows)."""
    _, sims = knn.nearest(reference_means, train_unit, NEAR_K, base_is_unit=True)
    return np.quantile(mean_similarity(sims), LEVELS)


def less_alike_share(similarity: float, quantiles: np.ndarray) -> float:
    """The percentage of the reference images whose nearest training images are more alike
    than a query's (``similarity``, its ``mean_similarity``): 99 for a query less alike to its
    nearest than 99 % of them."""
    return float(100.0 - np.interp(similarity, quantiles, LEVELS * 100.0))


#: A percentile at or above it is high: as far as the farthest 1 in 20 of Fashion-MNIST's own test
#: items (the anomaly's "somewhat unusual" is at 95 too); clothing photos' median is 98.6.
HIGH = 95.0
#: Said after a high percentile, in the window and the command line alike: read as a newcomer, the
#: bare share (98.4 % for Manet's bar scene) said neither which way is far nor that clothing photos
#: are far too, and a high one read as "not clothing". Not after a low one, where "High:" is wrong.
HIGH_NOTE = "High: the model has seen nothing quite like it, as for most clothing photos; it does not mean “not clothing”."


def high_note(percentile: float) -> str:
    """``HIGH_NOTE`` for a high nearness percentile (``HIGH`` or more), else ""."""
    return HIGH_NOTE if float(percentile) >= HIGH else ""


#: The reference shipped beside the weights it was made for (``vae.nearness.json``): making it
#: reads and encodes the 10,000 test images (5-20 s), which a first query must not wait for.
SUFFIX = ".nearness.json"


def reference_record(weights_sha256: str, quantiles: np.ndarray) -> dict:
    """What the shipped reference file holds (JSON): the quantiles and what they were made for."""
    return {"weights_sha256": weights_sha256, "near_k": NEAR_K, "definition": DEFINITION,
            "quantiles": [round(float(q), 6) for q in quantiles]}


def write_reference(weights: Path, weights_sha256: str, quantiles: np.ndarray) -> Path:
    """The reference file beside ``weights`` (``<stem>.nearness.json``), written whole or not at all."""
    path = companion_path(weights, SUFFIX)
    atomic_write_json(path, reference_record(weights_sha256, quantiles))
    return path


def quantiles_from(record: dict, weights_sha256: str) -> np.ndarray | None:
    """A reference record's quantiles, if it was made for these weights and this ``NEAR_K``
    (its "definition" is words for people: not compared, so a rewording keeps it in use)."""
    if record.get("weights_sha256") != weights_sha256 or record.get("near_k") != NEAR_K:
        return None
    quantiles = np.asarray(record.get("quantiles") or [], dtype=np.float64)
    return quantiles if quantiles.shape == LEVELS.shape and np.isfinite(quantiles).all() else None
