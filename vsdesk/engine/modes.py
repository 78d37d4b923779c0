"""The three search modes and how to get each one's ``Embedder``.

Each mode lives in its own package (``vsdesk.engine.style`` ...) exposing
``load_embedder(**options) -> Embedder``; it is imported only when asked for, because loading
a mode loads TensorFlow.
"""

from __future__ import annotations

import importlib
from typing import Any

from vsdesk.engine.embedding import Embedder
from vsdesk.engine.native_preload import preload_tensorflow

MODES = ("style", "product", "vae")


def load_embedder(mode: str, **options: Any) -> Embedder:
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}; choose one of {', '.join(MODES)}")
    # The first model loads TensorFlow: its libraries first, without holding the GIL (the
    # window's thread stays responsive; see native_preload).
    preload_tensorflow()
    module = importlib.import_module(f"vsdesk.engine.{mode}")
    return module.load_embedder(**options)
