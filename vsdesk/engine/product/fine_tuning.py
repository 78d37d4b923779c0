"""Fine-tuning a product model (training's stage 2, ``train``): the top blocks and the heads
trained together from the linear start, batch norm frozen, on a fresh augmented view of every
training photo per epoch run through the frozen trunk; done once per member, each from the same
start on its own views."""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import numpy as np

from vsdesk.engine.product.features import augmented_trunk_features, trunk_runner
from vsdesk.engine.tasks import Cancelled, CancelledError, Progress, RateProgress, never_cancelled, no_progress

if TYPE_CHECKING:
    from vsdesk.engine.product.train import TrainConfig


def class_weights(y: np.ndarray, n_classes: int, power: float) -> np.ndarray:
    """A loss weight per class: its inverse frequency in ``y`` to ``power`` (0: all equal), averaging 1 over ``y``."""
    counts = np.bincount(y, minlength=n_classes).astype(np.float64)
    weights = (counts.sum() / np.maximum(counts, 1) / n_classes) ** power
    return (weights / weights[y].mean()).astype(np.float32)


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


class _ProgressCallback:
    """Keras callback: progress per batch, and stops at the next batch once cancelled."""

    def __new__(cls, *args, **kwargs):
        import keras

        class Callback(keras.callbacks.Callback):
            def __init__(self, progress, cancelled, done0, total, label):
                super().__init__()
                self.progress, self.cancelled = progress, cancelled
                self.done, self.total, self.label = done0, total, label
                self.was_cancelled = False

            def on_train_batch_end(self, batch, logs=None):
                self.done += 1
                self.progress(self.done, self.total, self.label)
                if self.cancelled():
                    self.was_cancelled = True
                    self.model.stop_training = True

        return Callback(*args, **kwargs)


def finetune(
    head,
    files: list[str],
    train_idx: np.ndarray,
    y_all: np.ndarray,
    kids_all: np.ndarray | None,
    n_classes: int,
    config: TrainConfig,
    *,
    progress: Progress = no_progress,
    cancelled: Cancelled = never_cancelled,
) -> list[list[np.ndarray]]:
    """Fine-tune ``head`` from its current (linear-start) weights, ``config.members`` times, each
    run on its own augmented views; returns each member's weights (``head`` keeps the first's)."""
    import keras

    for layer in head.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.trainable = False
    outputs = {"category": head.output["category"]}
    losses = {"category": keras.losses.CategoricalCrossentropy(label_smoothing=config.label_smoothing)}
    if kids_all is not None:
        outputs["kids"] = head.output["kids"]
        losses["kids"] = keras.losses.BinaryCrossentropy()
    trainer = keras.Model(head.input, outputs)
    steps = int(np.ceil(len(train_idx) / config.batch_size))
    trunk = trunk_runner(config.backbone())
    train_files = [files[i] for i in train_idx]
    y_train = y_all[train_idx]
    weights = class_weights(y_train, n_classes, config.class_weight_power)
    targets = {"category": np.eye(n_classes, dtype=np.float32)[y_train]}
    sample_weights = {"category": weights[y_train]}
    if kids_all is not None:
        targets["kids"] = kids_all[train_idx][:, None]
        sample_weights["kids"] = np.ones(len(train_idx), np.float32)
    runs = max(1, config.members)
    total = steps * config.finetune_epochs * runs
    # The longest step (minutes): its pace and time left, as indexing says them.
    progress = RateProgress(progress, unit="batches")
    callback = _ProgressCallback(progress, cancelled, 0, total, "fine-tuning")
    start_weights = head.get_weights()
    members: list[list[np.ndarray]] = []
    for run in range(runs):
        head.set_weights(start_weights)
        # A fresh optimizer (and schedule) per run: each run starts from scratch.
        schedule = keras.optimizers.schedules.CosineDecay(config.learning_rate, steps * config.finetune_epochs, alpha=0.05)
        trainer.compile(
            optimizer=keras.optimizers.Adam(schedule),
            loss=losses,
            loss_weights={"category": 1.0, "kids": config.kids_weight} if kids_all is not None else None,
        )
        for epoch in range(config.finetune_epochs):
            # A fresh augmented view of every training photo each epoch, through the frozen trunk
            # (~30 s per epoch for 3,600 photos): cached features of the plain and mirrored
            # photos alone overfit at every learning rate tried.
            label = f"fine-tuning: augmented views, epoch {epoch + 1}" + (f", member {run + 1} of {runs}" if runs > 1 else "")
            progress(callback.done, total, label)
            seed = config.seed * 1000 + run * 100 + epoch
            x = augmented_trunk_features(train_files, trunk, config.backbone(), seed=seed, cancelled=cancelled)
            with seeded(seed):  # the batch order too: training is repeatable from its seed
                trainer.fit(
                    x, targets, sample_weight=sample_weights, batch_size=config.batch_size, epochs=1, shuffle=True,
                    verbose=0, callbacks=[callback],
                )
            if callback.was_cancelled:
                raise CancelledError("cancelled")
        members.append(head.get_weights())
    head.set_weights(members[0])
    return members
