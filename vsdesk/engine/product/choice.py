"""The product models a new catalog can be indexed with, each said in words (the window asks).

Only small JSON files are read (each model's ``product.json``): no TensorFlow. Still, the first
look at the store may move models an earlier vsdesk kept in the cache (``model_store.store_dir``), so
the window asks from its I/O thread.
"""

from __future__ import annotations

from dataclasses import dataclass

from vsdesk.engine.product import model as product_model
from vsdesk.engine.product import model_store

#: Classes named in full up to this many; beyond, the first few and how many in all.
_NAMED_CLASSES = 8


@dataclass(frozen=True)
class ModelChoice:
    #: What ``catalog.set_model`` keeps and ``--model`` takes: None for the shipped model, else
    #: the name `vsdesk models list` shows ("product/NAME").
    name: str | None
    title: str  # "The shipped model" or the name
    details: str  # its classes and training in words
    classes: tuple[str, ...] = ()  # every class (``details`` names the first few of many)


def model_choices() -> list[ModelChoice]:
    """The shipped model first (when its metadata reads), then each model trained or imported
    into the store (``model_store.trained_models``), by name."""
    choices = []
    try:
        shipped = product_model.read_meta(product_model.default_dir())
        choices.append(ModelChoice(None, "The shipped model", model_in_words(shipped), tuple(shipped.classes)))
    except product_model.ProductModelError:
        pass  # loading it says what is wrong; the user's models are offered all the same
    for name, _folder, meta in model_store.trained_models():
        full = f"{model_store.TRAINED_PREFIX}{name}"
        choices.append(ModelChoice(full, full, model_in_words(meta), tuple(meta.classes)))
    return choices


def model_in_words(meta: product_model.ProductMeta) -> str:
    """"3 classes (Hat, Shoes, T-Shirt) · trained on 24 photos · held-out accuracy 0.83"."""
    classes = meta.classes
    if len(classes) <= _NAMED_CLASSES:
        named = ", ".join(classes)
    else:
        shown = _NAMED_CLASSES - 2
        named = ", ".join(classes[:shown]) + f" and {len(classes) - shown} more"
    parts = [f"{len(classes)} {'class' if len(classes) == 1 else 'classes'} ({named})"
             + (" and a kids' wear flag" if meta.has_kids else "")]
    photos = meta.metrics.get("train_images")
    if isinstance(photos, int):
        parts.append(f"trained on {photos:,} photos")
    accuracy = meta.metrics.get("accuracy")
    if isinstance(accuracy, float):
        parts.append(f"held-out accuracy {accuracy:.2f}")
    if meta.backbone != product_model.ProductMeta.backbone:  # B0: slower to index with
        parts.append(f"on {meta.backbone}")
    return " · ".join(parts)
