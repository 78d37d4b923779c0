"""Scores of a product classifier: accuracy, macro-F1, per-class recall, confusion, precision@k."""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from vsdesk.engine.product.data import NOTEBOOK_CLASSES


def classification_report(y_true: np.ndarray, probs: np.ndarray, classes: Sequence[str]) -> dict[str, Any]:
    """``y_true`` are indices into ``classes``; ``probs`` (n, len(classes)).

    ``accuracy_5class``: on the images of the notebook's five classes, the best of those five
    (what a five-class model would answer); None when the model lacks them.
    """
    from sklearn.metrics import confusion_matrix, f1_score

    y_true = np.asarray(y_true)
    pred = np.argmax(probs, 1)
    k = len(classes)
    labels = np.arange(k)
    present = [c for c in labels if (y_true == c).any()]
    recall = {
        classes[c]: float((pred[y_true == c] == c).mean()) for c in present
    }
    five = [classes.index(c) for c in NOTEBOOK_CLASSES if c in classes]
    acc5 = None
    if len(five) == len(NOTEBOOK_CLASSES):
        mask = np.isin(y_true, five)
        if mask.any():
            sub = probs[mask][:, five]
            acc5 = float((np.array(five)[np.argmax(sub, 1)] == y_true[mask]).mean())
    return {
        "accuracy": float((pred == y_true).mean()) if len(y_true) else None,
        "accuracy_5class": acc5,
        "macro_f1": float(f1_score(y_true, pred, labels=present, average="macro", zero_division=0)) if len(y_true) else None,
        "per_class_recall": recall,
        "confusion_matrix": confusion_matrix(y_true, pred, labels=labels).tolist(),
        "n": int(len(y_true)),
    }


def precision_at_k(vectors: np.ndarray, labels: np.ndarray, k: int = 10) -> float:
    """Mean share of each item's k nearest neighbours (cosine, itself excluded) with its label."""
    vectors = np.asarray(vectors, np.float32)
    vectors = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    labels = np.asarray(labels)
    n = len(vectors)
    if n < 2:
        return float("nan")
    k = min(k, n - 1)
    hits = 0.0
    for start in range(0, n, 512):
        sims = vectors[start : start + 512] @ vectors.T
        rows = np.arange(sims.shape[0])
        sims[rows, start + rows] = -np.inf
        top = np.argpartition(-sims, k - 1, axis=1)[:, :k]
        hits += (labels[top] == labels[start : start + 512, None]).sum()
    return float(hits / (n * k))


def precision_at_k_max(labels: np.ndarray, k: int = 10) -> float:
    """The best ``precision_at_k`` these labels allow: an item of a class of n items has only
    n - 1 others to find (6 held-out photos per class: 5 of 10 at best, 0.5)."""
    labels = np.asarray(labels)
    n = len(labels)
    if n < 2:
        return float("nan")
    k = min(k, n - 1)
    _, inverse, counts = np.unique(labels, return_inverse=True, return_counts=True)
    return float(np.minimum(counts[inverse] - 1, k).sum() / (n * k))
