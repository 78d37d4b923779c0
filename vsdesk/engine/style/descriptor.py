"""Gram matrices -> one compact style vector (NumPy only; the network part is in ``embedder``).

The count sketch is fixed by a hash of (layer, seed, entry index), not by a random generator
whose stream could change between NumPy versions, so a vector computed today still compares
with one computed after an upgrade. It is the same for every collection: nothing is fitted.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache

import numpy as np

from vsdesk.engine.style.config import StyleConfig

_MASK64 = np.uint64(0xFFFFFFFFFFFFFFFF)


def _splitmix64(x: np.ndarray) -> np.ndarray:
    """A well-mixed 64-bit hash of each element (uint64 arithmetic wraps, as intended)."""
    with np.errstate(over="ignore"):
        z = (x + np.uint64(0x9E3779B97F4A7C15)) & _MASK64
        z = ((z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)) & _MASK64
        z = ((z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)) & _MASK64
        return z ^ (z >> np.uint64(31))


@lru_cache(maxsize=32)
def sketch_plan(layer: str, length: int, dim: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(bucket, sign) for each of ``length`` input entries: the count sketch of one layer."""
    salt = int.from_bytes(hashlib.sha256(f"{layer}:{seed}".encode()).digest()[:8], "little")
    h = _splitmix64(np.arange(length, dtype=np.uint64) ^ np.uint64(salt))
    bucket = (h % np.uint64(dim)).astype(np.intp)
    sign = np.where((h >> np.uint64(63)) == 1, -1.0, 1.0)
    return bucket, sign


def count_sketch(vectors: np.ndarray, layer: str, dim: int, seed: int) -> np.ndarray:
    """(n, length) -> (n, dim): each entry added with its sign into its bucket."""
    bucket, sign = sketch_plan(layer, vectors.shape[1], dim, seed)
    out = np.empty((len(vectors), dim), np.float64)
    for i, row in enumerate(vectors):
        out[i] = np.bincount(bucket, weights=row * sign, minlength=dim)
    return out


@lru_cache(maxsize=8)
def _triangle(channels: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rows, cols = np.triu_indices(channels)
    # Off-diagonal entries stand for two equal entries: weight sqrt(2) keeps the Frobenius norm.
    weight = np.where(rows == cols, 1.0, np.sqrt(2.0))
    return rows, cols, weight


def _l2(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


def layer_part(gram: np.ndarray, layer: str, config: StyleConfig) -> np.ndarray:
    """One layer's (n, C, C) Gram matrices -> its (n, config.layer_dim(layer)) part."""
    g = np.asarray(gram, np.float64)
    if config.power == "sqrt":
        g = np.sign(g) * np.sqrt(np.abs(g))
    if config.triangle:
        rows, cols, weight = _triangle(g.shape[-1])
        v = g[:, rows, cols] * weight
    else:
        v = g.reshape(len(g), -1)
    if config.centre:
        v = v - v.mean(axis=1, keepdims=True)
    if config.layer_norm:
        v = _l2(v)
    dim = config.layer_dim(layer)
    if dim < v.shape[1]:
        v = count_sketch(v, layer, dim, config.seed)
        if config.layer_norm:
            v = _l2(v)  # the sketch keeps norms only on average: make each layer weigh exactly 1
    return v


def style_vectors(grams: dict[str, np.ndarray], config: StyleConfig) -> np.ndarray:
    """Gram matrices of ``config.layers`` -> (n, style_dim) unit vectors."""
    parts = [layer_part(grams[layer], layer, config) for layer in config.layers]
    return _l2(np.concatenate(parts, axis=1))


def blend(style: np.ndarray, subject: np.ndarray | None, config: StyleConfig) -> np.ndarray:
    """[sqrt(1-w) * style, sqrt(w) * subject] so that cosines mix as (1-w) and w."""
    if not config.uses_subject or subject is None:
        return style.astype(np.float32)
    w = config.subject_weight
    subject = np.asarray(subject, np.float64)
    if config.centre:
        subject = subject - subject.mean(axis=1, keepdims=True)
    subject = _l2(subject)
    return np.concatenate([np.sqrt(1.0 - w) * style, np.sqrt(w) * subject], axis=1).astype(np.float32)
