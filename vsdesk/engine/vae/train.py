"""Training: ``vsdesk train vae`` and the tests call ``train()``.

Three stages, each reporting progress and honouring ``cancelled``:

1. The image VAE on the 60,000 Fashion-MNIST training images, minimising per image
   ``-log p(x|z) + beta * KL(q(z|x) || N(0, I)) + class_weight * CE(softmax(W mean), label)``.
   The last term is an auxiliary linear classifier on the latent *mean* (the encoder is shared,
   the decoder never sees the label): it orders the search latent by category without changing
   what the VAE is, and is the difference between ~0.86 and ~0.90 5-NN accuracy (docs/vae.md).
   A checkpoint (weights + optimizer state + epoch) is written atomically after every epoch;
   a cancelled or killed run resumes from the last one.
2. The 2-D map: a small VAE whose data are the 60,000 search codes (latent means) and whose
   latent is the plane, Gaussian likelihood with a learned variance per code dimension.
3. Training-set statistics: the anomaly score (negative ELBO at z = mean minus the image's own
   entropy, see ``_objective``) of every training image, kept as quantiles so a query's score can be told as a percentile.

The result is ``vae.weights.h5`` + ``vae.json`` (config, metrics, statistics) in ``out_dir``, beside
the training latents and the nearness reference (``nearness.py``) made for those weights (if
the Fashion-MNIST test set can be read; else the first query makes it).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import time
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from vsdesk.engine.files import atomic_path, atomic_savez, atomic_write_json, sha256_file
from vsdesk.engine.seeding import seeded
from vsdesk.engine.tasks import Cancelled, CancelledError, Progress, check_cancelled, never_cancelled, no_progress
from vsdesk.engine.vae import model as vae_model
from vsdesk.engine.vae._objective import SCORE_DEFINITION

log = logging.getLogger(__name__)

#: Quantiles of the training anomaly score stored in the metadata (0 %, 0.1 %, ... 100 %).
SCORE_QUANTILES = np.linspace(0.0, 1.0, 1001)


@dataclass
class TrainConfig:
    epochs: int = 10
    batch_size: int = 128
    learning_rate: float = 1e-3
    #: Weight of the KL term. 1 = the true ELBO; we keep it (no beta-VAE trade-off needed).
    beta: float = 1.0
    #: Weight of the auxiliary class cross-entropy on the latent mean (0 = a plain VAE).
    class_weight: float = 30.0
    map_epochs: int = 20
    map_batch_size: int = 256
    map_learning_rate: float = 1e-3
    #: Auxiliary class term of the map VAE on its 2-D mean (0 = a plain VAE on the codes).
    map_class_weight: float = 0.0
    latent_dim: int = vae_model.LATENT_DIM
    width: int = vae_model.WIDTH
    seed: int = 0
    #: Use only the first N training images (tests); None = all 60,000.
    limit: int | None = None

    def resume_key(self) -> dict[str, Any]:
        """What must match for a checkpoint to be resumed (epochs may grow)."""
        d = asdict(self)
        for k in ("epochs", "map_epochs", "map_batch_size", "map_learning_rate", "map_class_weight"):
            d.pop(k)
        return d


class StoppedAfterSaving(KeyboardInterrupt):
    """A Ctrl+C (or SIGTERM) once the training is saved (``vae.json`` written): as its checkpoint
    is cleared, or while the test images' nearness is measured (``measuring``), the last step.
    The first query makes the reference, so unlike a stop during the epochs there is nothing to
    resume. ``weights``: the saved weights."""

    def __init__(self, weights: Path, measuring: bool):
        super().__init__(str(weights))
        self.weights = weights
        self.measuring = measuring


@dataclass
class TrainResult:
    weights: Path
    metadata: Path
    seconds: float
    history: list[dict[str, float]] = field(default_factory=list)


def to_input(images: np.ndarray) -> np.ndarray:
    """uint8 (n, 28, 28) -> float32 (n, 28, 28, 1) in [0, 1]."""
    return (np.asarray(images, dtype=np.float32) / 255.0).reshape(-1, 28, 28, 1)


def train(
    out_dir: str | os.PathLike,
    config: TrainConfig | None = None,
    *,
    images: np.ndarray | None = None,
    labels: np.ndarray | None = None,
    checkpoint_dir: str | os.PathLike | None = None,
    progress: Progress = no_progress,
    cancelled: Cancelled = never_cancelled,
) -> TrainResult:
    import keras

    config = config or TrainConfig()
    start_time = time.monotonic()
    x_all, y_all = _training_images(images, labels, config, progress)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    ckpt = Checkpoint(Path(checkpoint_dir) if checkpoint_dir else default_checkpoint_dir(out_dir))

    # Seeded (weight init, the sampling draws) inside only: put back after, since the process
    # goes on (tests share it; the app must not turn deterministic).
    with seeded(config.seed):
        bundle = vae_model.build_bundle(config.latent_dim, config.width)
        image_vars = (
            bundle.encoder.trainable_variables + bundle.decoder.trainable_variables
            + bundle.classifier.trainable_variables
        )
        optimizer = keras.optimizers.Adam(config.learning_rate)
        optimizer.build(image_vars)
        history: list[dict[str, float]] = []
        first_epoch = 0
        state = ckpt.load(bundle, optimizer, config)
        if state is not None:
            first_epoch, history = state["epoch"], state["history"]
            progress(0, 1, f"resuming from the checkpoint after epoch {first_epoch}")
        train_step = _train_step(bundle, optimizer, image_vars, config)
        for epoch in range(first_epoch, config.epochs):
            history.append(_train_epoch(train_step, x_all, y_all, epoch, config, progress, cancelled))
            ckpt.save(bundle, optimizer, config, epoch + 1, history)

        codes = encode_means(bundle, x_all, cancelled=cancelled)
        map_history = train_map(bundle, codes, y_all, config, progress, cancelled)
        progress(0, 1, "scoring the training set")
        scores = anomaly_scores(bundle, x_all, cancelled=cancelled)
    metadata = {
        "format": 1,
        "model": "vae",
        "version": vae_model.VERSION,
        "config": asdict(config),
        "training_images": len(x_all),
        "history": history,
        "map_history": map_history,
        "anomaly_score": {
            "definition": SCORE_DEFINITION,
            "quantiles": [round(float(q), 4) for q in np.quantile(scores, SCORE_QUANTILES)],
        },
        "seconds": round(time.monotonic() - start_time, 1),
    }
    weights_path = out_dir / vae_model.WEIGHTS_NAME
    meta_path = out_dir / vae_model.METADATA_NAME
    save_weights_atomic(bundle, weights_path)

    metadata["weights_sha256"] = sha256_file(weights_path)
    save_train_latents(out_dir / vae_model.LATENTS_NAME, codes, y_all)
    try:
        atomic_write_json(meta_path, metadata, indent=1)
        ckpt.clear()
    except KeyboardInterrupt as exc:  # saved once vae.json is there: then no run is left to resume
        if _written(meta_path, metadata):
            raise StoppedAfterSaving(weights_path, measuring=False) from exc
        raise
    _try_nearness_reference(bundle, weights_path, metadata["weights_sha256"], codes, progress, cancelled)
    progress(1, 1, f"saved {weights_path}")
    return TrainResult(weights_path, meta_path, time.monotonic() - start_time, history)


def _written(meta_path: Path, metadata: dict) -> bool:
    """Whether ``meta_path`` is this training's ``vae.json`` (a stop may come just before or
    just after its rename into place)."""
    try:
        return json.loads(meta_path.read_text(encoding="utf-8")).get("weights_sha256") == metadata["weights_sha256"]
    except (OSError, ValueError, AttributeError):
        return False


def _training_images(images: np.ndarray | None, labels: np.ndarray | None, config: TrainConfig,
                     progress: Progress) -> tuple[np.ndarray, np.ndarray]:
    """(model inputs, int64 labels): of the images given, or Fashion-MNIST's training set;
    the first ``config.limit`` of them where it is set."""
    if images is None or labels is None:
        from vsdesk.engine.samples import load_fashion_mnist

        progress(0, 1, "reading Fashion-MNIST training images")
        images, labels = load_fashion_mnist("train")
    if config.limit:
        images, labels = images[: config.limit], labels[: config.limit]
    return to_input(images), np.asarray(labels, dtype=np.int64)


def _train_step(bundle, optimizer, image_vars, config: TrainConfig):
    """One optimiser step on a batch (x, y) -> its mean (reconstruction, KL, class
    cross-entropy) terms, compiled."""
    import tensorflow as tf

    from vsdesk.engine.vae._objective import image_terms

    beta, class_weight = float(config.beta), float(config.class_weight)

    @tf.function(reduce_retracing=True, autograph=False)
    def train_step(x, y):
        with tf.GradientTape() as tape:
            rec, kl, mean, _, _ = image_terms(bundle, x, stochastic=True, training=True)
            ce = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=bundle.classifier(mean))
            loss = tf.reduce_mean(rec + beta * kl + class_weight * ce)
        grads = tape.gradient(loss, image_vars)
        optimizer.apply_gradients(zip(grads, image_vars))
        return tf.reduce_mean(rec), tf.reduce_mean(kl), tf.reduce_mean(ce)

    return train_step


def _train_epoch(train_step, x_all: np.ndarray, y_all: np.ndarray, epoch: int, config: TrainConfig,
                 progress: Progress, cancelled: Cancelled) -> dict[str, float]:
    """One pass over the images in the epoch's own order -> its line of the history."""
    import tensorflow as tf

    n = len(x_all)
    steps = (n + config.batch_size - 1) // config.batch_size
    total = config.epochs * steps
    order = np.random.default_rng(config.seed + epoch).permutation(n)
    sums = np.zeros(3)
    for step in range(steps):
        check_cancelled(cancelled)
        idx = order[step * config.batch_size : (step + 1) * config.batch_size]
        terms = train_step(tf.constant(x_all[idx]), tf.constant(y_all[idx]))
        sums += [float(t) for t in terms] if step % 20 == 0 or step == steps - 1 else 0.0
        progress(epoch * steps + step + 1, total, f"epoch {epoch + 1}/{config.epochs}")
    # Means over the logged batches (every 20th): enough to watch the loss fall.
    logged = len(range(0, steps, 20)) + (0 if (steps - 1) % 20 == 0 else 1)
    rec, kl, ce = sums / logged
    progress((epoch + 1) * steps, total, f"epoch {epoch + 1}/{config.epochs}: -ELBO {rec + kl:.1f} nats")
    return {"epoch": epoch + 1, "neg_elbo": rec + kl, "reconstruction": rec, "kl": kl, "class_ce": ce}


def default_checkpoint_dir(out_dir: Path) -> Path:
    """Checkpoints live in the cache (never inside ``resources/``), one folder per output folder."""
    import hashlib

    from vsdesk.engine import paths

    digest = hashlib.sha1(str(Path(out_dir).resolve()).encode("utf-8")).hexdigest()[:10]  # noqa: S324 - a name
    return paths.cache_dir() / "checkpoints" / f"vae-{digest}"


def train_map(bundle, codes, labels, config: TrainConfig, progress: Progress, cancelled: Cancelled):
    """Stage 2: the map VAE on the search codes (a few seconds; restarted, not checkpointed)."""
    import keras
    import tensorflow as tf

    from vsdesk.engine.vae._objective import gaussian_nll, kl_to_standard_normal, sample

    map_vars = bundle.map_encoder.trainable_variables + bundle.map_decoder.trainable_variables
    optimizer = keras.optimizers.Adam(config.map_learning_rate)
    weight = float(config.map_class_weight)
    # A fixed linear read-out on the 2-D mean for the optional class term (not saved: only used
    # to shape the map while training).
    readout = keras.layers.Dense(vae_model.NUM_CLASSES)
    readout.build((None, vae_model.MAP_DIM))
    if weight:
        map_vars = map_vars + readout.trainable_variables

    @tf.function(reduce_retracing=True, autograph=False)
    def step(c, y):
        with tf.GradientTape() as tape:
            mean, log_var = bundle.map_encoder(c, training=True)
            u = sample(mean, log_var)
            c_mean, c_log_var = bundle.map_decoder(u, training=True)
            nll = gaussian_nll(c, c_mean, c_log_var)
            kl = kl_to_standard_normal(mean, log_var)
            loss = tf.reduce_mean(nll + kl)
            if weight:
                ce = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=readout(mean))
                loss = loss + weight * tf.reduce_mean(ce)
        grads = tape.gradient(loss, map_vars)
        optimizer.apply_gradients(zip(grads, map_vars))
        return tf.reduce_mean(nll + kl)

    n = len(codes)
    steps = (n + config.map_batch_size - 1) // config.map_batch_size
    total = config.map_epochs * steps
    history = []
    for epoch in range(config.map_epochs):
        order = np.random.default_rng(config.seed + 1000 + epoch).permutation(n)
        last = 0.0
        for s in range(steps):
            check_cancelled(cancelled)
            idx = order[s * config.map_batch_size : (s + 1) * config.map_batch_size]
            value = step(tf.constant(codes[idx]), tf.constant(labels[idx]))
            progress(epoch * steps + s + 1, total, f"2-D map epoch {epoch + 1}/{config.map_epochs}")
        last = float(value)
        history.append({"epoch": epoch + 1, "neg_elbo_codes_last_batch": round(last, 3)})
    return history


def encode_means(bundle, x: np.ndarray, batch: int = 1000, cancelled: Cancelled = never_cancelled) -> np.ndarray:
    import tensorflow as tf

    encode = tf.function(lambda t: bundle.encoder(t, training=False)[0], reduce_retracing=True, autograph=False)
    out = []
    for i in range(0, len(x), batch):
        check_cancelled(cancelled)
        out.append(encode(tf.constant(x[i : i + batch])).numpy())
    return np.concatenate(out).astype(np.float32) if out else np.zeros((0, bundle.latent_dim), np.float32)


def anomaly_scores(bundle, x: np.ndarray, batch: int = 1000, cancelled: Cancelled = never_cancelled) -> np.ndarray:
    """The anomaly score of every image (``_objective.anomaly_score``, deterministic)."""
    from vsdesk.engine.vae.engine import VaeEngine

    engine = VaeEngine(bundle, {}, None, "0" * 64)
    out = [np.zeros(0)]
    for i in range(0, len(x), batch):
        check_cancelled(cancelled)
        out.append(engine.anomaly_scores(x[i : i + batch], batch=batch).astype(np.float64))
    return np.concatenate(out)


# ------------------------------------------------------------------------------------------
# Files
# ------------------------------------------------------------------------------------------

def save_weights_atomic(model, path: Path) -> None:
    # Keras insists on the ".weights.h5" ending, so the temporary name keeps it.
    with atomic_path(path, ".weights.h5") as tmp, _quiet_keras_numpy():
        model.save_weights(tmp)


def save_train_latents(path: Path, means: np.ndarray, labels: np.ndarray) -> None:
    """The training set's search latents beside the weights, so queries work without the
    training images (float16 halves the file; cosine ranking does not notice)."""
    atomic_savez(path, means=means.astype(np.float16), labels=labels.astype(np.uint8))


def _try_nearness_reference(bundle, weights: Path, weights_sha256: str, codes: np.ndarray,
                            progress: Progress, cancelled: Cancelled) -> None:
    """``save_nearness_reference`` after the training is saved, as an extra: the first query makes
    the reference where it is missing, so no test set, a cancel or a disk refusing its file here
    does not undo the training."""
    from vsdesk.engine.samples import SampleDataError

    # (a total of 0, a step not counted: as "0/1" after "0/1 scoring the training set" it was the
    # same step to a log's progress, and not said, so a Ctrl+C in it seemed to stop the scoring)
    try:  # (the message inside: a Ctrl+C as it is said lands here too)
        progress(0, 0, "measuring the test images' nearness")
        save_nearness_reference(bundle, weights, weights_sha256, codes, cancelled)
    except (SampleDataError, CancelledError, OSError) as exc:  # (OSError: its file not written, a full disk)
        why = "cancelled" if isinstance(exc, CancelledError) else str(exc).splitlines()[0]
        if isinstance(exc, OSError) and exc.strerror:  # (a rename's: the file it was to be, not the temp file)
            why = f"{exc.strerror}: {exc.filename2 or exc.filename}" if exc.filename else exc.strerror
        log.warning("nearness reference not made: %s", exc)
        progress(0, 1, f"the test images' nearness was not measured ({why}); the first query will measure it")
    except KeyboardInterrupt as exc:  # (the command line's stop: it passes no ``cancelled``)
        raise StoppedAfterSaving(weights, measuring=True) from exc


def save_nearness_reference(bundle, weights: Path, weights_sha256: str, codes: np.ndarray,
                            cancelled: Cancelled = never_cancelled) -> Path:
    """``nearness``'s reference beside the weights: a first query would otherwise make it (5-20 s,
    the 10,000 test images encoded); here it costs that once, next to minutes of training. Made
    against the latents as saved (float16), which the engine's index is."""
    from vsdesk.engine.samples import load_fashion_mnist
    from vsdesk.engine.vae import knn, nearness

    images, _ = load_fashion_mnist("test")
    test_means = encode_means(bundle, to_input(images), cancelled=cancelled)
    train_unit = knn.unit_rows(codes.astype(np.float16).astype(np.float32)).astype(np.float32)
    return nearness.write_reference(weights, weights_sha256, nearness.reference_quantiles(test_means, train_unit))


@contextlib.contextmanager
def _quiet_keras_numpy():
    """Keras 3.15 turns TF variables into NumPy with ``np.array(x)``, which NumPy 2 answers with
    a DeprecationWarning per variable (not ours to fix; harmless)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="__array__ implementation doesn't accept a copy keyword")
        yield


class Checkpoint:
    """Per-epoch training state: weights, Adam's moments, the epoch reached and the history.

    ``state.json`` is written last, so a run killed mid-save resumes from the previous
    complete checkpoint (state.json names the files of its own epoch).
    """

    def __init__(self, folder: Path):
        self.folder = folder

    def save(self, bundle, optimizer, config: TrainConfig, epoch: int, history) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        weights = self.folder / f"epoch{epoch:03d}.weights.h5"
        moments = self.folder / f"epoch{epoch:03d}.optimizer.npz"
        save_weights_atomic(bundle, weights)
        with _quiet_keras_numpy():
            atomic_savez(moments, *[np.asarray(v.numpy()) for v in optimizer.variables])
        atomic_write_json(
            self.folder / "state.json",
            {"epoch": epoch, "weights": weights.name, "optimizer": moments.name,
             "config": config.resume_key(), "history": history},
            indent=1,
        )
        for old in self.folder.glob("epoch*"):
            if not old.name.startswith(f"epoch{epoch:03d}."):
                old.unlink()

    def load(self, bundle, optimizer, config: TrainConfig) -> dict | None:
        state_path = self.folder / "state.json"
        if not state_path.is_file():
            return None
        try:
            state = json.loads(state_path.read_text(encoding="utf-8"))
            if state.get("config") != json.loads(json.dumps(config.resume_key())):
                return None  # a different configuration: start afresh
            bundle.load_weights(self.folder / state["weights"])
            with np.load(self.folder / state["optimizer"], allow_pickle=False) as arrays:
                values = [arrays[f"arr_{i}"] for i in range(len(arrays.files))]
            if len(values) != len(optimizer.variables):
                return None
            for var, value in zip(optimizer.variables, values):
                var.assign(value)
            return {"epoch": int(state["epoch"]), "history": list(state.get("history", []))}
        except (OSError, ValueError, KeyError, json.JSONDecodeError):
            return None  # unreadable checkpoint: train from the start rather than fail

    def clear(self) -> None:
        if not self.folder.is_dir():
            return
        for path in self.folder.iterdir():
            if path.name == "state.json" or path.name.startswith("epoch"):
                path.unlink()
        try:
            self.folder.rmdir()
        except OSError:
            pass
