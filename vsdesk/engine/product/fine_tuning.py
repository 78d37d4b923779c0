"""Fine-tuning a product model (training's stage 2, ``train``): the top blocks and the heads
trained together from the linear start, batch norm frozen, on a fresh augmented view of every
training photo per epoch run through the frozen trunk; done once per member, each from the same
start on its own views."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from vsdesk.engine.product.features import augmented_trunk_features, trunk_runner
from vsdesk.engine.seeding import seeded
from vsdesk.engine.tasks import Cancelled, CancelledError, Progress, RateProgress, never_cancelled, no_progress

if TYPE_CHECKING:
    from vsdesk.engine.product.train import TrainConfig


def class_weights(y: np.ndarray, n_classes: int, power: float) -> np.ndarray:
    """A loss weight per class: its inverse frequency in ``y`` to ``power`` (0: all equal), averaging 1 over ``y``."""
    counts = np.bincount(y, minlength=n_classes).astype(np.float64)
    weights = (counts.sum() / np.maximum(counts, 1) / n_classes) ** power
    return (weights / weights[y].mean()).astype(np.float32)


def epoch_seed(seed: int, run: int, epoch: int) -> int:
    """The seed of one fine-tuning epoch (its augmented views, its batch order), its own for every
    (seed, member ``run``, epoch). Within 10 members of 100 epochs it is
    ``seed * 1000 + run * 100 + epoch``, which keeps every model trained before reproducible from
    its seed; beyond, where that formula gives another epoch's seed (member 10 of seed 0 is
    member 0 of seed 1), it is drawn from (seed, run, epoch)."""
    if run < 10 and epoch < 100:
        return seed * 1000 + run * 100 + epoch
    return int(np.random.SeedSequence([seed, run, epoch]).generate_state(1)[0])


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
            seed = epoch_seed(config.seed, run, epoch)
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
