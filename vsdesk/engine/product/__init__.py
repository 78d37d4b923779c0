"""Product mode: what kind of product is in the photo, and which catalog items are the same kind.

An EfficientNet-Lite0 (ImageNet, offline weights) whose top blocks are fine-tuned on the
Clothing Dataset, with two heads: the category (17 classes) and the ``kids`` flag. The search
vector joins the penultimate layer (L2-normalised) and the square roots of the class
probabilities (``embedder.search_vectors``), so neighbours look alike *and* share product type.

Public API: ``load_embedder(model=None)`` -> ``ProductEmbedder`` (``predict``, ``describe``,
``classify_vectors``); ``similar`` (optionally within the predicted class), ``restrict_to_class``; training in ``train``, evaluation in ``evaluate``.
"""

from __future__ import annotations

from vsdesk.engine.product.embedder import ProductEmbedder, restrict_to_class, similar

__all__ = ["ProductEmbedder", "load_embedder", "restrict_to_class", "similar"]


def load_embedder(model: str | None = None, **options) -> ProductEmbedder:
    """The product embedder; ``model`` is None/"default" (shipped), a trained name, or a folder."""
    return ProductEmbedder(model, **options)
