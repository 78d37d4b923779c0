"""Product mode: what kind of product is in the photo, and which catalog items are the same kind.

An EfficientNet-Lite0 (ImageNet, offline weights) whose top blocks are fine-tuned on the
Clothing Dataset, with two heads: the category (17 classes) and the ``kids`` flag. The search
vector joins the penultimate layer (L2-normalised) and the square roots of the class
probabilities (``embedder.search_vectors``), so neighbours look alike *and* share product type.

Public API: ``load_embedder(model=None)`` -> ``ProductEmbedder`` (``predict``, ``describe``,
``classify_vectors``); ``item_classes`` and ``outside_class``, for a search kept to the query's
product type; training in ``train``, evaluation in ``evaluate``.
"""

from __future__ import annotations

from pathlib import Path

from vsdesk.engine.product import fast
from vsdesk.engine.product import model as product_model
from vsdesk.engine.product import model_store
from vsdesk.engine.product.embedder import (ProductEmbedder, item_classes, item_kids, outside_class, outside_kids,
                                            own_classes, weights_key)

__all__ = ["ProductEmbedder", "item_classes", "item_kids", "outside_kids", "load_embedder", "model_classes", "outside_class", "own_classes", "remove_trained",
           "vectors_key_prefix"]


def load_embedder(model: str | None = None, **options) -> ProductEmbedder:
    """The product embedder; ``model`` is None/"default" (shipped), a trained name, or a folder."""
    return ProductEmbedder(model, **options)


def vectors_key_prefix(model: str | None = None) -> str:
    """How the key of this model's catalog vectors starts, read without loading the model."""
    folder = model_store.model_dir(model)
    return weights_key(folder, product_model.read_meta(folder).backbone)


def model_classes(model: str | None = None) -> list[str]:
    """The classes this model predicts, read from its metadata without loading it."""
    return list(product_model.read_meta(model_store.model_dir(model)).classes)


def remove_trained(name: str) -> list[Path]:
    """Delete a product model trained into the store (``product/NAME`` or ``NAME``) and the
    fast-path files converted from its members; the files removed."""
    try:
        folder = model_store.user_dir(name.removeprefix("product/"))
        meta = product_model.read_meta(folder)
        keys = [weights_key(folder, meta.backbone, member) for member in range(meta.members)]
    except (product_model.ProductModelError, OSError):
        keys = []  # remove_trained says what is wrong
    removed = model_store.remove_trained(name)
    return removed + fast.remove_converted(keys)
