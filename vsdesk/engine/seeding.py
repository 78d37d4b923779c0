"""Training's random state: ``seeded(seed)`` seeds the process's generators for a block and puts
them back after (product fine-tuning and VAE training share it)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np


@contextmanager
def seeded(seed: int) -> Iterator[None]:
    """The process's random state (Python's, NumPy's, TensorFlow's, Keras's) seeded with ``seed``
    inside, put back as it was after.

    ``fit(shuffle=True)`` draws its batch order from TensorFlow's global seed (and dropout, were
    there any, from Keras's): unseeded, two trainings of the same photos ended apart. Put back
    after, since the process goes on (tests share it; the app must not turn deterministic)."""
    import keras
    import tensorflow as tf

    try:  # no public way to read Keras's back: its private module, which a release may move
        from keras.src.backend.common import global_state
        from keras.src.random.seed_generator import GLOBAL_SEED_GENERATOR
        from keras.src.utils.rng_utils import GLOBAL_RANDOM_SEED
    except ImportError:  # (then Keras's stays seeded after: training is reproducible all the same)
        global_state, keras_keys = None, ()
    else:
        keras_keys = (GLOBAL_RANDOM_SEED, GLOBAL_SEED_GENERATOR)
    keras_state = {key: global_state.get_global_attribute(key) for key in keras_keys}
    tf_seed = tf.compat.v1.get_default_graph().seed  # what tf.random.set_seed last set (None: unseeded)
    python_state, numpy_state = random.getstate(), np.random.get_state()
    keras.utils.set_random_seed(seed)
    try:
        yield
    finally:
        tf.random.set_seed(tf_seed)
        for key, value in keras_state.items():
            global_state.set_global_attribute(key, value)
        random.setstate(python_state)
        np.random.set_state(numpy_state)
