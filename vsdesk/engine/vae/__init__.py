"""The VAE search mode: a variational autoencoder trained on Fashion-MNIST.

- ``load_embedder()`` -> the mode's ``Embedder`` (catalog indexing and search): any image is put
  into Fashion-MNIST's form (``dataset_form``), its vector is the L2-normalised mean of q(z|x) in
  the 32-D search latent, and ``describe()`` adds the predicted category, the reconstruction, an
  anomaly percentile and the 2-D map position.
- ``VaeEngine`` (``engine.py``): neighbours over the training set, the decoded map grid, scores.
- ``train()`` (``train.py``), ``evaluate()`` (``evaluate.py``).

Importing this package does not import TensorFlow; loading the model does.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from vsdesk.engine.embedding import Embedder, l2_normalise
from vsdesk.engine.vae.dataset_form import dataset_form_of, to_dataset_form

__all__ = ["VaeEmbedder", "dataset_form_of", "load_embedder", "load_engine", "to_dataset_form", "vectors_key_prefix"]

_engine = None
_engine_lock = threading.Lock()


def load_engine(weights=None):
    """The VAE engine, loaded once per process for the default weights."""
    global _engine
    from vsdesk.engine.vae.engine import VaeEngine

    if weights is not None:
        return VaeEngine.load(weights)
    with _engine_lock:
        if _engine is None:
            _engine = VaeEngine.load()
        return _engine


def vectors_key_prefix(weights=None) -> str | None:
    """The key of the VAE's catalog vectors, read without loading the VAE (no TensorFlow); None
    when the weights are not in place yet (loading the VAE puts them there)."""
    from vsdesk.engine.models import store
    from vsdesk.engine.models.cache import cached_sha256
    from vsdesk.engine.vae import model as vae_model

    digest = cached_sha256(Path(weights)) if weights is not None else store.weights_sha256("vae")
    return None if digest is None else vae_model.vectors_key(digest)


class VaeEmbedder(Embedder):
    """Vectors are unit-length search-latent means, compared by cosine.

    Why the mean and cosine: the mean is the encoder's best guess of z (a sample would add noise
    to every search), and the auxiliary class term shapes the latent so categories differ by
    direction (a linear soft-max on the mean), so the angle is what separates them; on the test
    set cosine and Euclidean k-NN agree within 0.5 % (docs/vae.md).
    """

    mode = "vae"
    #: Photos are reduced to 28 pixels: JPEG decoding may skip most of the detail.
    decode_size = 128

    def __init__(self, engine):
        self.engine = engine
        self.key = engine.key
        self.dim = engine.dim

    def preprocess(self, image: Image.Image) -> np.ndarray:
        return (to_dataset_form(image).astype(np.float32) / 255.0)[..., None]

    def embed(self, batch: np.ndarray) -> np.ndarray:
        return l2_normalise(self.engine.encode(np.asarray(batch, dtype=np.float32)))

    def nothing_to_compare(self, image: Image.Image) -> str | None:
        # A blank converts to an all-black square, which the model explains easily and places
        # among the Sandals: its "results" (0.83 . Sandal) would be the blank's, not an item's.
        from vsdesk.engine.vae.engine import NOTHING_TO_COMPARE

        return None if dataset_form_of(image).object_found else NOTHING_TO_COMPARE

    def describe(self, image: Image.Image, vector: np.ndarray | None = None) -> dict[str, Any]:
        form = dataset_form_of(image)
        return self.engine.describe(form.pixels, object_found=form.object_found)


def load_embedder(weights=None, **options: Any) -> VaeEmbedder:
    return VaeEmbedder(load_engine(weights))
