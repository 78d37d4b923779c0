"""VAE training for real: a tiny run on real Fashion-MNIST images lowers the negative ELBO, can be
cancelled, and resumes from its per-epoch checkpoint."""

from __future__ import annotations

import json
import random

import numpy as np
import pytest

from vsdesk.engine.models.cache import companion_path
from vsdesk.engine import paths
from vsdesk.engine.samples import _fashion_mnist, load_fashion_mnist
from vsdesk.engine.tasks import CancelledError
from vsdesk.engine.vae import model as vae_model
from vsdesk.engine.vae import knn, nearness
from vsdesk.engine.vae.engine import VaeEngine, image_to_input
from vsdesk.engine.vae.train import TrainConfig, default_checkpoint_dir, train

pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")  # once a worker: conftest runs long tests apart from the rest
def fashion():
    images, labels = load_fashion_mnist("train")
    test_images, _ = load_fashion_mnist("test")
    return images[:1536], labels[:1536], image_to_input(test_images[:500])


def _neg_elbo(bundle, x) -> float:
    engine = VaeEngine(bundle, {}, None, "0" * 64)
    return float(-np.mean(engine.elbo(x)))


def test_training_lowers_the_negative_elbo_on_held_out_images(tmp_path, fashion):
    images, labels, held_out = fashion
    config = TrainConfig(epochs=2, map_epochs=2, seed=3)
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(config.seed)
    before = _neg_elbo(vae_model.build_bundle(), held_out)
    progress = []
    random.seed(11)
    np.random.seed(11)  # (the process's own draws, which training must leave as they were)
    random_state = random.getstate(), np.random.get_state()[1].copy(), tf.compat.v1.get_default_graph().seed
    result = train(tmp_path / "out", config, images=images, labels=labels,
                   progress=lambda done, total, msg="": progress.append((done, total, msg)))
    # Seeded for the training only: the process's random state is then as it was (tests share it).
    assert random.getstate() == random_state[0] and np.array_equal(np.random.get_state()[1], random_state[1])
    assert tf.compat.v1.get_default_graph().seed == random_state[2]
    after_engine = VaeEngine.load(result.weights)
    after = float(-np.mean(after_engine.elbo(held_out)))
    # An untrained decoder predicts ~0.5 everywhere (~543 nats); a few dozen steps must do far better.
    assert before > 500
    assert after < before - 150, (before, after)
    assert result.history[1]["neg_elbo"] < result.history[0]["neg_elbo"]
    # The training latents were written beside the weights: queries need no training images.
    index = after_engine.train_index()
    assert index.means.shape == (1536, 32) and np.array_equal(index.labels, labels)
    # Per-image terms are sane: KL non-negative, reconstruction positive.
    assert all(h["kl"] >= 0 and h["reconstruction"] > 0 for h in result.history)
    meta = json.loads(result.metadata.read_text())
    assert meta["training_images"] == 1536 and meta["config"]["beta"] == 1.0
    quantiles = meta["anomaly_score"]["quantiles"]
    assert len(quantiles) == 1001 and quantiles == sorted(quantiles)
    assert any("epoch 2/2" in msg for _, _, msg in progress)
    assert not (default_checkpoint_dir(tmp_path / "out") / "state.json").exists()  # cleared when done
    assert result.weights.name == "vae.weights.h5" and not list(tmp_path.glob("out/*.tmp*"))
    # The nearness reference, made for these weights against the latents saved, is beside them:
    # the first query does not make it (5-20 s). The held-out images are 500 of the 10,000 it was
    # made of: their percentiles spread over it evenly (not encoded again whole: 10,000 images).
    record = json.loads(companion_path(result.weights, nearness.SUFFIX).read_text(encoding="utf-8"))
    written = nearness.quantiles_from(record, after_engine.weights_sha256)
    assert written is not None and np.array_equal(after_engine.nearness_quantiles(), written)
    _, sims = knn.nearest(after_engine.encode(held_out), index.unit, nearness.NEAR_K, base_is_unit=True)
    shares = [nearness.less_alike_share(alike, written) for alike in nearness.mean_similarity(sims)]
    assert np.percentile(shares, [10, 50, 90]) == pytest.approx([10, 50, 90], abs=8)


def test_cancel_keeps_the_last_epoch_and_a_rerun_resumes(tmp_path, fashion):
    images, labels, _ = fashion
    config = TrainConfig(epochs=2, map_epochs=1, seed=5)
    steps_per_epoch = len(images) // config.batch_size
    calls = {"n": 0}

    def cancel_in_second_epoch() -> bool:
        calls["n"] += 1
        return calls["n"] > steps_per_epoch + 3

    with pytest.raises(CancelledError):
        train(tmp_path / "out", config, images=images, labels=labels, cancelled=cancel_in_second_epoch)
    state = json.loads((default_checkpoint_dir(tmp_path / "out") / "state.json").read_text())
    assert state["epoch"] == 1 and len(state["history"]) == 1
    assert not (tmp_path / "out" / vae_model.WEIGHTS_NAME).exists()

    messages = []
    result = train(tmp_path / "out", config, images=images, labels=labels,
                   progress=lambda d, t, m="": messages.append(m))
    assert any("resuming from the checkpoint after epoch 1" in m for m in messages)
    assert not any("epoch 1/2" in m for m in messages)  # epoch 1 was not trained again
    assert [h["epoch"] for h in result.history] == [1, 2]
    assert result.weights.is_file()


@pytest.fixture
def no_fashion_test_set(tmp_path, monkeypatch):
    """Every place the Fashion-MNIST test set is read from or downloaded from, an empty folder."""
    empty = tmp_path / "no-fashion"
    (empty / "samples" / "fashion-mnist").mkdir(parents=True)
    monkeypatch.setenv(_fashion_mnist.ENV_FASHION_MNIST, str(empty))
    monkeypatch.setattr(_fashion_mnist, "DEBIAN_FASHION_MNIST", empty)
    monkeypatch.setattr(paths, "resources_dir", lambda: empty)
    monkeypatch.setattr(_fashion_mnist, "FASHION_MNIST_URLS", (empty.as_uri(),))
    monkeypatch.setenv("VSDESK_CACHE_DIR", str(tmp_path / "cache"))


def test_a_training_is_kept_without_the_test_set(tmp_path, fashion, no_fashion_test_set):
    """The nearness reference is an extra made after the training is saved (the first query makes
    it otherwise): without the test set, the weights and vae.json are kept all the same."""
    images, labels, _ = fashion
    config = TrainConfig(epochs=1, map_epochs=1, seed=7)
    messages = []
    result = train(tmp_path / "out", config, images=images[:512], labels=labels[:512],
                   progress=lambda d, t, m="": messages.append(m))
    assert result.weights.is_file() and json.loads(result.metadata.read_text())["training_images"] == 512
    assert not companion_path(result.weights, nearness.SUFFIX).exists()
    assert any(m.startswith("the test images' nearness was not measured (cannot get Fashion-MNIST file")
               for m in messages), messages
    assert not (default_checkpoint_dir(tmp_path / "out") / "state.json").exists()


def test_a_cancel_while_the_nearness_is_measured_keeps_the_training(tmp_path, fashion):
    images, labels, _ = fashion
    messages = []
    result = train(tmp_path / "out", TrainConfig(epochs=1, map_epochs=1, seed=7),
                   images=images[:512], labels=labels[:512], progress=lambda d, t, m="": messages.append(m),
                   cancelled=lambda: "measuring the test images' nearness" in messages)
    assert result.weights.is_file() and result.metadata.is_file()
    assert not companion_path(result.weights, nearness.SUFFIX).exists()
    assert "the test images' nearness was not measured (cancelled); the first query will measure it" in messages
