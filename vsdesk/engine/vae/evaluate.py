"""``vsdesk eval vae``: how good the search latent, the 2-D map and the anomaly score are.

Protocol (the ParametricUMAP paper's): every Fashion-MNIST test image is classified by a vote of
its k nearest training images (k = 1, 5) — in the search latent (cosine, as the search does), in
the 2-D map (Euclidean), and in raw pixels (Euclidean, the baseline, same run). Test ELBO is the
one-sample Monte Carlo ELBO (fixed seed) averaged over the test set, in nats per image. Anomaly
AUROC: the test set is "normal", out-of-distribution images are "anomalies", the score is the
negative ELBO at z = mean — (a) scikit-learn's 8x8 handwritten digits scaled to 28x28 (1,797),
(b) real clothing photos (the Clothing Dataset) put into Fashion-MNIST's form.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from vsdesk.engine import paths
from vsdesk.engine.tasks import Cancelled, Progress, check_cancelled, never_cancelled, no_progress
from vsdesk.engine.vae import knn
from vsdesk.engine.vae.dataset_form import to_dataset_form
from vsdesk.engine.vae.engine import CLASS_NAMES, VaeEngine, image_to_input

def digits_28() -> np.ndarray:
    """scikit-learn's bundled 8x8 digits (ink 0-16, bright on dark) as uint8 28x28 images."""
    from sklearn.datasets import load_digits

    small = load_digits().images  # (1797, 8, 8) in 0..16
    return np.stack([
        np.asarray(Image.fromarray((d * (255.0 / 16.0)).astype(np.uint8), "L").resize((28, 28), Image.Resampling.BILINEAR))
        for d in small
    ])


def default_clothing_dir() -> Path:
    """``VSDESK_CLOTHING_DIR``, else the Clothing Dataset beside the source checkout
    (development, CI), else the shipped sample."""
    env = os.environ.get("VSDESK_CLOTHING_DIR")
    if env:
        return Path(env)
    return paths.shared_data("clothing-dataset/images") or paths.resources_dir() / "samples" / "clothing"


def clothing_files(folder: str | Path) -> list[Path]:
    """The image files in ``folder`` and its subfolders, sorted."""
    from vsdesk.engine.imageio import is_image_name

    return sorted(p for p in Path(folder).rglob("*") if p.is_file() and is_image_name(p))


def clothing_28(folder: Path, count: int = 300, progress: Progress = no_progress,
                cancelled: Cancelled = never_cancelled) -> np.ndarray:
    """``count`` photos spread evenly over the folder's sorted files, in dataset form, decoded
    as a query is (at the VAE's ``decode_size``)."""
    from vsdesk.engine.imageio import ImageError, load_image
    from vsdesk.engine.vae import VaeEmbedder

    files = clothing_files(folder)
    if not files:
        return np.zeros((0, 28, 28), np.uint8)
    picks = [files[i] for i in np.linspace(0, len(files) - 1, min(count, len(files))).astype(int)]
    out = []
    for i, path in enumerate(picks):
        check_cancelled(cancelled)
        progress(i, len(picks), "converting clothing photos")
        try:
            out.append(to_dataset_form(load_image(path, min_size=VaeEmbedder.decode_size)))
        except ImageError:
            continue  # an unreadable photo is skipped, not fatal
    return np.stack(out) if out else np.zeros((0, 28, 28), np.uint8)


def auroc(normal: np.ndarray, anomalous: np.ndarray) -> float | None:
    if len(normal) == 0 or len(anomalous) == 0:
        return None
    from sklearn.metrics import roc_auc_score

    labels = np.r_[np.zeros(len(normal)), np.ones(len(anomalous))]
    return float(roc_auc_score(labels, np.r_[normal, anomalous]))


def evaluate(
    engine: VaeEngine,
    *,
    train: tuple[np.ndarray, np.ndarray] | None = None,
    test: tuple[np.ndarray, np.ndarray] | None = None,
    clothing_dir: Path | None = None,
    clothing_count: int = 300,
    baseline: bool = True,
    progress: Progress = no_progress,
    cancelled: Cancelled = never_cancelled,
) -> dict[str, Any]:
    """The figures of ``vsdesk eval vae --json`` (plus a few extras under "details")."""
    from vsdesk.engine.samples import load_fashion_mnist

    started = time.monotonic()
    steps = 7
    full_train = train is None
    if train is None:
        progress(0, steps, "reading Fashion-MNIST")
        train = load_fashion_mnist("train")
    if test is None:
        test = load_fashion_mnist("test")
    (x_train, y_train), (x_test, y_test) = train, test

    progress(1, steps, f"encoding {len(x_train)} training images")
    if full_train:
        index = engine.train_index(cancelled=cancelled)
        train_means, train_map = index.means, index.map2d
    else:
        train_means = engine.encode(image_to_input(x_train), cancelled=cancelled)
        train_map = engine.to_map(train_means)
    progress(2, steps, f"encoding {len(x_test)} test images")
    x = image_to_input(x_test)
    test_means = engine.encode(x, cancelled=cancelled)
    test_map = engine.to_map(test_means)

    progress(3, steps, "k-NN in the search latent and the 2-D map")
    search = knn.knn_accuracy(train_means, y_train, test_means, y_test, metric="cosine", cancelled=cancelled)
    search_euclid = knn.knn_accuracy(train_means, y_train, test_means, y_test, metric="euclidean", cancelled=cancelled)
    map2d = knn.knn_accuracy(train_map, y_train, test_map, y_test, metric="euclidean", cancelled=cancelled)

    progress(4, steps, "test ELBO and anomaly scores")
    test_elbo = float(np.mean(engine.elbo(x)))
    normal = engine.anomaly_scores(x)
    digits = digits_28()
    digit_scores = engine.anomaly_scores(image_to_input(digits))
    clothing_dir = Path(clothing_dir or default_clothing_dir())
    clothing = clothing_28(clothing_dir, clothing_count, cancelled=cancelled)
    clothing_scores = engine.anomaly_scores(image_to_input(clothing)) if len(clothing) else np.zeros(0)

    raw = {1: None, 5: None}
    if baseline:
        progress(5, steps, "raw-pixel k-NN baseline")
        raw = knn.knn_accuracy(
            image_to_input(x_train).reshape(len(x_train), -1), y_train,
            x.reshape(len(x), -1), y_test, metric="euclidean", cancelled=cancelled,
        )
    progress(steps, steps, "done")
    pct = engine.percentile
    return {
        "search": {"dims": int(train_means.shape[1]), "knn1": search[1], "knn5": search[5]},
        "map2d": {"knn1": map2d[1], "knn5": map2d[5]},
        "test_elbo": test_elbo,
        "auroc": {"digits": auroc(normal, digit_scores), "clothing": auroc(normal, clothing_scores)},
        "baseline": {"knn1": raw[1], "knn5": raw[5]},
        "details": {
            "train_images": int(len(x_train)),
            "test_images": int(len(x_test)),
            "search_euclidean": {"knn1": search_euclid[1], "knn5": search_euclid[5]},
            "anomaly_images": {"digits": int(len(digits)), "clothing": int(len(clothing))},
            # Which photos: the figure differs with them (the shipped sample where the
            # Clothing Dataset is not beside the repository, as in an installed copy).
            "clothing_dir": str(clothing_dir),
            "median_anomaly_percentile": {
                "test": float(np.median(pct(normal))),
                "digits": float(np.median(pct(digit_scores))),
                "clothing": float(np.median(pct(clothing_scores))) if len(clothing) else None,
            },
            "classes": list(CLASS_NAMES),
            "seconds": round(time.monotonic() - started, 1),
        },
    }
