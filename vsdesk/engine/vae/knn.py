"""Exact k-nearest-neighbour search and accuracy in NumPy (chunked, so 10k x 60k fits in memory)."""

from __future__ import annotations

import numpy as np

from vsdesk.engine.tasks import Cancelled, check_cancelled, never_cancelled


def nearest(
    queries: np.ndarray,
    base: np.ndarray,
    k: int,
    metric: str = "cosine",
    chunk: int = 1000,
    cancelled: Cancelled = never_cancelled,
    base_is_unit: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Indices (n, k) into ``base`` of each query's k nearest rows, nearest first, and their
    similarity (cosine) or negative squared distance (euclidean). Ties go to the lower index.
    ``base_is_unit``: the rows are L2-normalised already (a cached index), skip that step."""
    queries = np.asarray(queries, dtype=np.float32)
    base = np.asarray(base, dtype=np.float32)
    if metric == "cosine":
        base = base if base_is_unit else unit_rows(base)
        queries = unit_rows(queries)
    elif metric != "euclidean":
        raise ValueError(f"metric must be 'cosine' or 'euclidean', not {metric!r}")
    k = min(k, len(base))
    base_sq = np.einsum("ij,ij->i", base, base) if metric == "euclidean" else None
    out_idx = np.empty((len(queries), k), dtype=np.int64)
    out_val = np.empty((len(queries), k), dtype=np.float32)
    for start in range(0, len(queries), chunk):
        check_cancelled(cancelled)
        q = queries[start : start + chunk]
        # A few queries (an interactive search): NumPy's own loop, not BLAS. OpenBLAS threads a
        # 60,000 x 32 matrix-vector product and, on a busy 2-core machine, waits 20 ms for its
        # threads instead of 1 ms; large batches (evaluation) are where BLAS pays.
        scores = np.einsum("ij,qj->qi", base, q) if len(q) <= 8 else q @ base.T
        if base_sq is not None:  # -(|q|^2 - 2 q.b + |b|^2); |q|^2 is constant per row
            scores = 2.0 * scores - base_sq[None, :]
        width = scores.shape[1]
        part = np.argpartition(scores, width - k, axis=1)[:, width - k :]
        part_scores = np.take_along_axis(scores, part, axis=1)
        order = np.lexsort((part, -part_scores), axis=1)
        idx = np.take_along_axis(part, order, axis=1)
        vals = np.take_along_axis(part_scores, order, axis=1)
        if base_sq is not None:
            vals = vals - np.einsum("ij,ij->i", q, q)[:, None]
        out_idx[start : start + len(q)] = idx
        out_val[start : start + len(q)] = vals
    return out_idx, out_val


def vote(neighbour_labels: np.ndarray, num_classes: int) -> tuple[np.ndarray, np.ndarray]:
    """Majority vote per row; ties go to the class of the nearer neighbour. -> (class, share)."""
    n, k = neighbour_labels.shape
    counts = np.zeros((n, num_classes))
    # A tiny bonus for nearer neighbours breaks ties by rank, never outweighs one vote.
    weights = 1.0 + (k - np.arange(k)) * 1e-6
    np.add.at(counts, (np.repeat(np.arange(n), k), neighbour_labels.ravel()), np.tile(weights, n))
    winner = counts.argmax(axis=1)
    share = np.floor(counts[np.arange(n), winner]) / k
    return winner, share


def knn_accuracy(
    train: np.ndarray,
    train_labels: np.ndarray,
    test: np.ndarray,
    test_labels: np.ndarray,
    ks: tuple[int, ...] = (1, 5),
    metric: str = "cosine",
    cancelled: Cancelled = never_cancelled,
) -> dict[int, float]:
    idx, _ = nearest(test, train, max(ks), metric=metric, cancelled=cancelled)
    labels = np.asarray(train_labels)[idx]
    num_classes = int(max(train_labels.max(), test_labels.max())) + 1
    result = {}
    for k in ks:
        predicted, _ = vote(labels[:, :k], num_classes)
        result[k] = float(np.mean(predicted == test_labels))
    return result


def unit_rows(x: np.ndarray) -> np.ndarray:
    """Each row scaled to length 1 (an all-zero row stays zero), for cosine similarity."""
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
