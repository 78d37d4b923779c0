"""What every search mode provides to the catalog, search and GUI: an ``Embedder``.

A mode (style, product, vae) turns a decoded RGB image into one float32 vector. The work is split
in two so indexing can overlap them: ``preprocess`` is NumPy/Pillow only and thread-safe (it runs
in a decode pool), ``embed`` runs the TensorFlow model on a batch and must only be called from the
one thread that owns TensorFlow.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar, Iterable

import numpy as np
from PIL import Image


class Embedder(ABC):
    #: "style", "product" or "vae".
    mode: ClassVar[str]
    #: Identifies the model weights and configuration. Vectors made under different keys never
    #: mix: a catalog indexed with another key is re-embedded.
    key: str
    #: Length of the vectors ``embed`` returns.
    dim: int
    #: Smallest side the model needs; lets JPEG decoding skip detail (see ``load_image``).
    decode_size: int | None = None

    @abstractmethod
    def preprocess(self, image: Image.Image) -> np.ndarray:
        """RGB image -> model input array for one image. Thread-safe; no TensorFlow."""

    @abstractmethod
    def embed(self, batch: np.ndarray) -> np.ndarray:
        """Stacked ``preprocess`` outputs -> (n, dim) float32, each row L2-normalised."""

    def describe(self, image: Image.Image, vector: np.ndarray) -> dict[str, Any]:
        """Mode-specific facts about a query (class probabilities, anomaly score...), JSON-ready."""
        return {}

    def nothing_to_compare(self, image: Image.Image) -> str | None:
        """Why ``image`` is no query to compare with a catalog (VAE: a blank picture, which has no
        object), or None: it is compared. Such a query has no results and no place on a map, in
        the window and `vsdesk search` alike (``query.rank_queries``). NumPy/Pillow only."""
        return None

    def first_use_note(self, indexing: bool = False) -> str | None:
        """A message to show before the model is first used, when that use will take long once
        (product: converting a model for the fast path); None when there is nothing to say.
        Cheap (looks at files), so callers ask it right after loading. ``indexing``: of what
        ``warm_up(indexing=True)`` loads."""
        return None

    def warm_up(self, indexing: bool = False) -> None:
        """Load everything a query will need, so the wait happens under a "loading" message
        rather than at the first query (TensorFlow thread). Reading ``key`` settles the model.
        ``indexing``: only what an index run needs (``key`` and ``embed``, not a query's facts)."""
        _ = self.key

    def embed_images(self, images: Iterable[Image.Image], batch_size: int = 32) -> np.ndarray:
        """Convenience: preprocess and embed in batches (tests, evaluation)."""
        rows: list[np.ndarray] = []
        batch: list[np.ndarray] = []
        for image in images:
            batch.append(self.preprocess(image))
            if len(batch) == batch_size:
                rows.append(self.embed(np.stack(batch)))
                batch = []
        if batch:
            rows.append(self.embed(np.stack(batch)))
        if not rows:
            return np.zeros((0, self.dim), np.float32)
        return np.concatenate(rows).astype(np.float32, copy=False)


def l2_normalise(vectors: np.ndarray, eps: float = 1e-12) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return vectors / np.maximum(norms, eps)
