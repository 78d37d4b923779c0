"""Style mode: "more paintings like this one".

VGG16 Gram-matrix statistics (Gatys et al.) of three style layers (block3-5) of the central
224 px window of the picture at 400 px scale, power- and per-layer-normalised, compressed by a
fixed count sketch to 3 x 1,024 floats, blended with a "subject" vector (what the picture shows)
by a user-set weight. Searches add alpha-DBA + alpha-QE (``config.QUERY_EXPANSION``). See
docs/style.md for the measurements behind every default.

Importing this package does not import TensorFlow; ``load_embedder`` does.
"""

from __future__ import annotations

from typing import Any

from vsdesk.engine.style.config import DEFAULT, NOTEBOOK, StyleConfig

__all__ = ["DEFAULT", "NOTEBOOK", "StyleConfig", "load_embedder", "make_config"]


def make_config(config: StyleConfig | None = None, **options: Any) -> StyleConfig:
    """``DEFAULT`` (or ``config``) with some fields replaced, e.g. ``subject_weight=0.3``."""
    base = config or DEFAULT
    options = {k: v for k, v in options.items() if v is not None}
    return base.with_options(**options) if options else base


def load_embedder(config: StyleConfig | None = None, progress=None, **options: Any):
    """The style ``Embedder``. Options are ``StyleConfig`` fields (``subject_weight``, ``size`` ...)."""
    from vsdesk.engine.style.embedder import StyleEmbedder

    return StyleEmbedder(make_config(config, **options), progress=progress)


def vectors_key_prefix(config: StyleConfig | None = None, **options: Any) -> str:
    """The key of this configuration's catalog vectors (the VGG16 weights are fixed)."""
    return make_config(config, **options).key
