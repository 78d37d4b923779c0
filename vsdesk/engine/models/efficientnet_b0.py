"""EfficientNet-B0 (ImageNet, Keras's published weights): the seed's product backbone.

No PyPI package carries these weights, so the only sources are the ordinary Keras download (for
users with internet) and a file the user imports. EfficientNet-Lite0 is the offline default.

The model is ``keras.applications.EfficientNetB0(weights=None, include_top=False)``: input RGB
in [0, 255], output the 7x7x1280 feature map (add pooling yourself).

Why a converter for a file that is already Keras's own: with ``weights="imagenet"`` Keras adds a
``Rescaling(1/sqrt(stddev))`` right after the ``Normalization`` layer, which ``weights=None``
leaves out (see keras/src/applications/efficientnet.py). Folding that factor into the
normalisation variance (variance * stddev) gives the same function with the plain architecture.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from vsdesk.engine.models.spec import DownloadSource, ModelSpec

if TYPE_CHECKING:  # pragma: no cover
    import keras

#: From keras/src/applications/efficientnet.py (BASE_WEIGHTS_PATH, WEIGHTS_HASHES["b0"][1]).
URL = "https://storage.googleapis.com/keras-applications/efficientnetb0_notop.h5"
FILE_HASH = "50bc09e76180e00e4465e1a485ddc09d"  # md5, as Keras publishes it
IMAGENET_STDDEV_RGB = (0.229, 0.224, 0.225)


def build() -> "keras.Model":
    import keras

    return keras.applications.EfficientNetB0(weights=None, include_top=False, input_shape=(None, None, 3))


def convert_keras_h5(path: Path, model: "keras.Model") -> None:
    """Load Keras's published ``efficientnetb0_notop.h5`` and fold its extra input rescaling."""
    import keras
    import numpy as np

    from vsdesk.engine.models.store import load_keras_weights

    load_keras_weights(path, model)
    norm = next(layer for layer in model.layers if isinstance(layer, keras.layers.Normalization))
    variance = np.asarray(norm.adapt_variance.numpy(), dtype="float32")
    norm.adapt_variance.assign(variance * np.asarray(IMAGENET_STDDEV_RGB, dtype="float32"))
    norm.finalize_state()


SPEC = ModelSpec(
    name="efficientnet-b0",
    description="EfficientNet-B0 convolutional base, ImageNet (Keras download; no offline source)",
    version="1",
    license="Apache-2.0 (Keras Applications weights)",
    build=build,
    sources=(DownloadSource(url=URL, file_hash=FILE_HASH, convert=convert_keras_h5),),
    how_to_get=(
        "EfficientNet-B0 weights are only published online: run `vsdesk models fetch efficientnet-b0` "
        "on a machine with internet access, or download efficientnetb0_notop.h5 from "
        f"{URL} and run `vsdesk models import efficientnet-b0 FILE`. "
        "EfficientNet-Lite0 (efficientnet-lite0) works offline."
    ),
)
