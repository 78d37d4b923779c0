"""The three search modes and how to get each one's ``Embedder``.

Each mode lives in its own package (``vsdesk.engine.style`` ...) exposing
``load_embedder(**options) -> Embedder``; it is imported only when asked for, because loading
a mode loads TensorFlow.
"""

from __future__ import annotations

import importlib
import logging
from pathlib import Path
from typing import Any

from vsdesk.engine.embedding import Embedder
from vsdesk.engine.native_preload import preload_tensorflow
from vsdesk.engine.text import shell_quoted

log = logging.getLogger(__name__)

MODES = ("style", "product", "vae")


def load_embedder(mode: str, **options: Any) -> Embedder:
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}; choose one of {', '.join(MODES)}")
    # The first model loads TensorFlow: its libraries first, without holding the GIL (the
    # window's thread stays responsive; see native_preload).
    preload_tensorflow()
    module = importlib.import_module(f"vsdesk.engine.{mode}")
    return module.load_embedder(**options)


def vectors_key_prefix(mode: str, **options: Any) -> str | None:
    """How the vectors key of the model ``load_embedder(mode, **options)`` would load starts,
    found without loading it (no TensorFlow); None when it cannot be told. A catalog whose key
    does not start with it was indexed with another model (say, one replaced by an upgrade)."""
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}; choose one of {', '.join(MODES)}")
    module = importlib.import_module(f"vsdesk.engine.{mode}")
    try:
        return module.vectors_key_prefix(**options)
    except (OSError, ValueError) as exc:  # a missing or damaged model: loading it will say so
        log.info("%s: the model's key is unknown before loading it (%s)", mode, exc)
        return None


def model_classes(mode: str, **options: Any) -> list[str] | None:
    """The classes the model ``load_embedder(mode, **options)`` would load predicts, read
    without loading it (no TensorFlow): a catalog's map is coloured by them before the model
    has loaded. None for a mode whose model predicts none; [] when they cannot be told
    (loading the model will say why)."""
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}; choose one of {', '.join(MODES)}")
    read = getattr(importlib.import_module(f"vsdesk.engine.{mode}"), "model_classes", None)
    if read is None:
        return None
    try:
        return list(read(**options))
    except (OSError, ValueError) as exc:  # a missing or damaged model: loading it will say so
        log.info("%s: the model's classes are unknown before loading it (%s)", mode, exc)
        return []


def mode_of_vectors_key(key: str | None) -> str | None:
    """The mode whose model made the vectors stored under ``key``, read from how each mode's
    keys start (``style.config.StyleConfig.key``, ``product.embedder.weights_key``,
    ``vae.model.vectors_key``); None when it cannot be told (no key, another embedder)."""
    for prefix, mode in (("style-vgg16-", "style"), ("product:", "product"), ("vae-v", "vae")):
        if key and key.startswith(prefix):
            return mode
    return None


def catalog_model(catalog, asked: str | None = None) -> tuple[str | None, str]:
    """(the model to index and search ``catalog`` with, a note for the user or "").

    The one asked for, else the one the catalog was last indexed with (``catalog.model``), so
    a catalog made with a trained product model is not embedded again with the shipped one by
    the next search or by the window. None means the shipped model. A kept model of the store
    that has since been removed gives way to the shipped one, with a note; a kept model given by
    its folder that cannot be found raises ``ProductModelError`` (it may be on a disk that is
    not plugged in: embedding the catalog again with another model would be for nothing). The caller keeps the choice with
    ``catalog.set_model`` once the model has loaded. Only product mode has a choice.
    """
    if catalog.mode != "product":
        return None, ""
    from vsdesk.engine.product import model as product_model  # light: no TensorFlow
    from vsdesk.engine.product import model_store

    if asked is not None:
        return (None if asked in ("", *model_store.SHIPPED_NAMES) else asked), ""
    kept = catalog.model
    if kept is None:
        return None, ""
    try:
        folder = model_store.model_dir(kept)
        installed = (folder / product_model.META_FILE).is_file()
    except (product_model.ProductModelError, OSError):
        folder, installed = None, False
    if installed:
        return kept, ""
    if folder == Path(kept):  # named by its folder, not as a model of the store (`models list`)
        # A model given as a folder: one on a disk that is not plugged in, or renamed, may be
        # back soon. Embedding every image again with another model, for good, would be wrong.
        raise product_model.ProductModelError(
            f"catalog {catalog.name!r} was indexed with the product model in {kept}, which cannot be found "
            "(on a disk that is not plugged in? moved?): put it back, or embed the catalog again with "
            f"the shipped model: `vsdesk index --mode product --catalog {shell_quoted(catalog.name)} --model product`")
    return None, (f"catalog {catalog.name!r} was indexed with the product model {kept!r}, which is no longer "
                  "installed: it is embedded again with the shipped model")
