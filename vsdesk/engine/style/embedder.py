"""The style ``Embedder``: one VGG16 pass per image gives every style layer's Gram matrix.

The network is truncated after the deepest layer the configuration needs; the Gram matrices
(and the subject layer's global average) are computed inside the same traced TensorFlow
function, batched, so only (C x C) matrices leave TensorFlow, never feature maps.
"""

from __future__ import annotations

import os
import threading
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

import numpy as np
from PIL import Image

from vsdesk.engine.embedding import Embedder
from vsdesk.engine.models import vgg16
from vsdesk.engine.style import descriptor
from vsdesk.engine.style.config import DEFAULT, QUERY_EXPANSION, SUBJECT_LAYER, WEAK_MATCH_SCORE, StyleConfig
from vsdesk.engine.tasks import Progress

if TYPE_CHECKING:  # pragma: no cover
    import keras

_base_lock = threading.Lock()
_base: "keras.Model | None" = None


def base_model(progress: Progress | None = None) -> "keras.Model":
    """The full VGG16 conv base with ImageNet weights from the model store, loaded once."""
    global _base
    with _base_lock:
        if _base is None:
            from vsdesk.engine.models import load_model

            _base = load_model("vgg16", progress)
        return _base


def fast_bfloat16() -> bool:
    """True when the CPU computes bfloat16 natively (AVX512-BF16 or AMX): VGG16 then runs about
    twice as fast in mixed precision. Elsewhere bfloat16 would be emulated, slower than float32."""
    if os.environ.get("VSDESK_STYLE_PRECISION") in ("float32", "bfloat16"):
        return os.environ["VSDESK_STYLE_PRECISION"] == "bfloat16"
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as handle:
            flags = handle.read()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def _network(base: "keras.Model", config: StyleConfig, names: list[str]) -> "keras.Model":
    """The base truncated after the deepest layer needed, in mixed bfloat16 where that is fast.

    Gram matrices and averages are taken in float32 either way; bfloat16 only rounds the
    convolutions' inputs, which moves cosine similarities by about 1e-3 (docs/style.md)."""
    import keras

    if not fast_bfloat16():
        return keras.Model(base.input, [base.get_layer(n).output for n in names])
    model = vgg16.build(config.last_layer, dtype="mixed_bfloat16")
    for layer in model.layers:
        if layer.weights:
            layer.set_weights(base.get_layer(layer.name).get_weights())
    return keras.Model(model.input, [model.get_layer(n).output for n in names])


def resize_square(image: Image.Image, size: int) -> Image.Image:
    """Whole picture to size x size (configurations without a ``scale``, e.g. the notebook's)."""
    if image.size == (size, size):
        return image
    return image.resize((size, size), Image.Resampling.BICUBIC)


def centre_window(image: Image.Image, size: int, scale: int) -> Image.Image:
    """The picture reduced so its longest side is ``scale`` pixels, then the central size x size
    window: texture at one pixel scale, unsquashed. A smaller picture is not magnified (only as
    far as its shortest side needs to reach ``size``): it keeps the pixel scale it has, as a
    detail cut from a catalog picture has its source's. Magnified to ``scale`` (as it was), a
    quarter of a 400 px painting had brushwork twice the size of its source's: among the 32
    artworks and 300 clothing photos, its source came first for 66 % of the 128 quarters, a
    garment for 20 %; now 93 % and 3 %, whole paintings unchanged (docs/style.md)."""
    w, h = image.size
    factor = max(min(1.0, scale / max(w, h)), size / min(w, h))
    new = (max(size, round(w * factor)), max(size, round(h * factor)))
    if new != (w, h):
        image = image.resize(new, Image.Resampling.BICUBIC)
    left, top = (new[0] - size) // 2, (new[1] - size) // 2
    return image.crop((left, top, left + size, top + size))


class StyleEmbedder(Embedder):
    mode = "style"

    def __init__(self, config: StyleConfig, base: "keras.Model | None" = None, progress: Progress | None = None):
        import tensorflow as tf

        self.config = config
        self.key = config.key
        self.dim = config.dim
        self.decode_size = config.decode_size
        #: What searches of style catalogs apply (``vsdesk.engine.search.expand_queries``).
        self.query_expansion = QUERY_EXPANSION
        #: Below this best score a search says its similarity is low (``query.rank_queries``):
        #: measured for the default configuration only.
        self.weak_match_below = WEAK_MATCH_SCORE if config == DEFAULT else None
        base = base if base is not None else base_model(progress)
        names = list(config.layers) + ([SUBJECT_LAYER] if config.uses_subject else [])
        self._names = names
        self._model = _network(base, config, names)
        size = config.size
        model = self._model

        # (no autograph: its loop and tests are on Python values, and it writes a module into the
        # temporary folder; see vae/engine.py)
        @tf.function(input_signature=[tf.TensorSpec((None, size, size, 3), tf.float32)], reduce_retracing=True,
                     autograph=False)
        def features(x):
            outputs = model(x, training=False)
            if not isinstance(outputs, (list, tuple)):
                outputs = [outputs]
            result = []
            for name, f in zip(names, outputs):
                f = tf.cast(f, tf.float32)
                if name == SUBJECT_LAYER:
                    result.append(tf.reduce_mean(f, axis=[1, 2]))
                else:
                    shape = tf.shape(f)
                    locations = tf.cast(shape[1] * shape[2], tf.float32)
                    result.append(tf.einsum("bijc,bijd->bcd", f, f) / locations)
            return result

        self._features = features

    def preprocess(self, image: Image.Image) -> np.ndarray:
        image = image.convert("RGB")
        c = self.config
        rgb = np.asarray(resize_square(image, c.size) if c.scale is None else centre_window(image, c.size, c.scale))
        return vgg16.preprocess(rgb)

    def raw_features(self, batch: np.ndarray) -> dict[str, np.ndarray]:
        """Per-layer Gram matrices (n, C, C) and, with a subject weight, the subject (n, 512)."""
        outputs = self._features(np.asarray(batch, np.float32))
        return {name: out.numpy() for name, out in zip(self._names, outputs)}

    def embed(self, batch: np.ndarray) -> np.ndarray:
        raw = self.raw_features(batch)
        style = descriptor.style_vectors(raw, self.config)
        return descriptor.blend(style, raw.get(SUBJECT_LAYER), self.config)

    def describe(self, image: Image.Image, vector: np.ndarray) -> dict[str, Any]:
        c = self.config
        return {
            "layers": list(c.layers),
            "input_size": c.size,
            "scale": c.scale,
            "query_expansion": asdict(self.query_expansion),
            "subject_weight": c.subject_weight,
            "dim": c.dim,
            "bytes_per_image": c.bytes_per_image,
        }
