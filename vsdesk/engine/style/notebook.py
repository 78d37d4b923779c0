"""The research notebook's style pipeline, reproduced faithfully as the benchmark's baseline.

What the notebook (tensor-house ``visual-search-artistic-style.ipynb``) did for every image:
decode, scale to 0..1 floats, stretch to 400 x 400, build a new ``StyleModel`` (a Keras model
over the shared VGG's ``block1_conv1``-``block3_conv1`` plus the content layer
``block5_conv2``), call it on the one image (x255, caffe preprocessing), take the Gram
matrices divided by H*W and flatten them into one 86,016-float vector. The notebook used VGG19;
here it runs on our VGG16 so that only the pipeline differs. Decoding goes through our
``load_image`` (the notebook used ``plt.imread``).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Iterable

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    import keras

STYLE_LAYERS = ["block1_conv1", "block2_conv1", "block3_conv1"]
CONTENT_LAYERS = ["block5_conv2"]
SIZE = 400


def _style_model_class():
    import keras
    import tensorflow as tf

    def gram_matrix(features):
        result = tf.linalg.einsum("bijc,bijd->bcd", features, features)
        shape = tf.shape(features)
        return result / tf.cast(shape[1] * shape[2], tf.float32)

    class StyleModel(keras.Model):
        def __init__(self, vgg, style_layers, content_layers):
            super().__init__()
            outputs = [vgg.get_layer(name).output for name in style_layers + content_layers]
            self.vgg = keras.Model(vgg.input, outputs)
            self.vgg.trainable = False
            self.style_layers = style_layers
            self.content_layers = content_layers

        def call(self, inputs):
            x = keras.applications.vgg16.preprocess_input(inputs * 255.0)
            outputs = self.vgg(x)
            n = len(self.style_layers)
            styles = [gram_matrix(o) for o in outputs[:n]]
            return {
                "content": dict(zip(self.content_layers, outputs[n:])),
                "style": dict(zip(self.style_layers, styles)),
            }

    return StyleModel


def notebook_vectors(paths: Iterable[str | Path], vgg: "keras.Model") -> list[np.ndarray]:
    """One 86,016-float vector per image, computed the notebook's way (one model per image)."""
    import tensorflow as tf

    from vsdesk.engine.imageio import load_image

    style_model = _style_model_class()
    vectors = []
    for path in paths:
        image = tf.image.convert_image_dtype(np.asarray(load_image(path)), tf.float32)
        image = tf.image.resize(image, [SIZE, SIZE])[tf.newaxis, :]
        extractor = style_model(vgg, STYLE_LAYERS, CONTENT_LAYERS)
        style = extractor(image)["style"]
        vectors.append(np.hstack([np.ravel(s) for s in style.values()]))
    return vectors
