"""Images -> model inputs, and the frozen part of the backbone run once and cached.

Training runs the frozen lower blocks of Lite0 once per image (and once for its mirror image),
keeps their output on disk keyed by the data and the configuration, and then trains only the top
blocks and heads on those arrays: an epoch costs a fraction of a full forward pass. That cache is
an optimisation: one that cannot be written (a read-only or full cache folder) is said once, and
the run goes on without it.
"""

from __future__ import annotations

import hashlib
import logging
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
from PIL import Image

from vsdesk.engine import paths
from vsdesk.engine.files import atomic_savez
from vsdesk.engine.imageio import ImageError, load_image
from vsdesk.engine.product import backbones
from vsdesk.engine.tasks import Cancelled, Progress, check_cancelled, never_cancelled, no_progress

log = logging.getLogger(__name__)

#: Pixels -> model input: squash the whole photo to a square (a long dress or a pair of
#: trousers stays whole, which a centre crop would cut).
RESAMPLE = Image.BILINEAR


@dataclass(frozen=True)
class BackboneConfig:
    size: int = 224  # model input side in pixels
    first_top_block: int = 15  # blocks from here on are trained; those below stay frozen
    backbone: str = backbones.LITE0

    def key(self) -> str:
        if self.backbone == backbones.LITE0:  # the original cache names, kept
            return f"lite0-s{self.size}-b{self.first_top_block}"
        return f"{backbones.get(self.backbone).short}-s{self.size}-b{self.first_top_block}"

    def preprocess(self, images: np.ndarray) -> np.ndarray:
        return backbones.get(self.backbone).preprocess(images)


def image_array(image: Image.Image, size: int) -> np.ndarray:
    """RGB image -> (size, size, 3) uint8."""
    if image.size != (size, size):
        image = image.resize((size, size), RESAMPLE, reducing_gap=3.0)
    return np.asarray(image, dtype=np.uint8)


def decode(path: str, size: int) -> np.ndarray:
    """A file -> (size, size, 3) uint8; JPEG draft mode skips detail we would throw away."""
    return image_array(load_image(path, min_size=size), size)


#: Image-level augmentation for fine-tuning: a random crop of 45-100 % of the photo's area with
#: an aspect ratio changed by up to 4:3, a random mirror, brightness, contrast and saturation
#: by up to +-25-30 %. Photos of unseen contributors differ in framing, light and background;
#: on the inner split this is what made fine-tuning pay (docs/product.md).
CROP_AREA = (0.45, 1.0)
CROP_RATIO = (3 / 4, 4 / 3)


def augment(image: Image.Image, size: int, rng: np.random.Generator) -> np.ndarray:
    """One random training view of an RGB image -> (size, size, 3) uint8."""
    from PIL import ImageEnhance

    w, h = image.size
    for _ in range(10):
        area = rng.uniform(*CROP_AREA) * w * h
        ratio = np.exp(rng.uniform(np.log(CROP_RATIO[0]), np.log(CROP_RATIO[1]))) * w / h
        cw, ch = int(round(np.sqrt(area * ratio))), int(round(np.sqrt(area / ratio)))
        if 0 < cw <= w and 0 < ch <= h:
            x0, y0 = int(rng.integers(0, w - cw + 1)), int(rng.integers(0, h - ch + 1))
            image = image.crop((x0, y0, x0 + cw, y0 + ch))
            break
    image = image.resize((size, size), RESAMPLE, reducing_gap=3.0)
    if rng.random() < 0.5:
        image = image.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    image = ImageEnhance.Brightness(image).enhance(rng.uniform(0.75, 1.25))
    image = ImageEnhance.Contrast(image).enhance(rng.uniform(0.75, 1.25))
    image = ImageEnhance.Color(image).enhance(rng.uniform(0.7, 1.3))
    return np.asarray(image, dtype=np.uint8)


def augmented_trunk_features(
    files: Sequence[str],
    trunk,
    config: BackboneConfig,
    seed: int,
    *,
    batch_size: int = 32,
    cancelled: Cancelled = never_cancelled,
    workers: int = 2,
) -> np.ndarray:
    """One fresh augmented view of each file through the frozen trunk: (n, h, w, c) float32.

    Deterministic for a seed (each file has its own generator), so a run can be repeated. The
    files decoded for the cached features a moment ago; one that fails now raises ImageError.
    """
    def view(i: int) -> np.ndarray:
        rng = np.random.default_rng([seed, i])
        return augment(load_image(files[i], min_size=config.size), config.size, rng)

    out: np.ndarray | None = None
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        for start in range(0, len(files), batch_size):
            check_cancelled(cancelled)
            idx = range(start, min(start + batch_size, len(files)))
            features = trunk(config.preprocess(np.stack(list(pool.map(view, idx)))))
            if out is None:
                out = np.zeros((len(files),) + features.shape[1:], np.float32)
            out[start : start + len(features)] = features
    assert out is not None
    return out


def decode_many(
    files: Sequence[str], size: int, workers: int = 2
) -> Iterable[tuple[int, np.ndarray | None, str | None]]:
    """Yields (index, pixels or None, error message or None) in order, decoding in a thread pool."""

    def one(i: int):
        try:
            return i, decode(files[i], size), None
        except ImageError as exc:
            return i, None, str(exc)

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        yield from pool.map(one, range(len(files)))


def trunk_model(config: BackboneConfig):
    """The backbone (ImageNet) from the input to the layer feeding the first trained block."""
    return backbones.get(config.backbone).trunk(config.first_top_block)


def compiled(model):
    """A traced inference function (much less per-call overhead than ``model.predict``)."""
    import tensorflow as tf

    fn = tf.function(lambda x: model(x, training=False), reduce_retracing=True, autograph=False)

    def run(batch: np.ndarray):
        out = fn(tf.convert_to_tensor(batch))
        if isinstance(out, dict):
            return {k: np.asarray(v) for k, v in out.items()}
        if isinstance(out, (list, tuple)):
            return [np.asarray(v) for v in out]
        return np.asarray(out)

    return run


def trunk_runner(config: BackboneConfig):
    """The frozen trunk as a function of a batch: TFLite/XNNPACK when it matches Keras (~2x
    faster, ``product.fast``), else the traced TensorFlow function."""
    from vsdesk.engine.product import fast

    model = trunk_model(config)
    reference = compiled(model)
    return fast.single_output_runner(model, config.size, reference) or reference


def file_key(path: str) -> str:
    """Identifies a file's content cheaply: its absolute path, size and modification time."""
    try:
        st = os.stat(path)
        text = f"{os.path.abspath(path)}\t{st.st_size}\t{st.st_mtime_ns}"
    except OSError:
        text = f"{os.path.abspath(path)}\t-"
    return hashlib.sha256(text.encode()).hexdigest()[:32]


#: Whether this process said that the feature cache cannot be written (``_cache_unusable``).
_unusable_said = False


def _cache_path(config: BackboneConfig) -> Path | None:
    """Where ``config``'s features are cached; None when the cache folder cannot be made."""
    try:
        return paths.cache_dir() / "product-features" / f"{config.key()}.npz"
    except OSError as exc:  # LocationError: a read-only home, a file in the folder's place
        _cache_unusable(exc)
        return None


def _cache_unusable(exc: OSError, folder: Path | None = None) -> None:
    """Said once per process: each run (a train's members, an eval) would say it again.
    ``folder``: the one that cannot be written (named, not the temp file in it)."""
    global _unusable_said
    if not _unusable_said:
        _unusable_said = True
        where = folder or exc.filename
        why = f"{exc.strerror}: {where}" if exc.strerror and where else str(exc)
        log.warning("the backbone features are not cached (%s): the run goes on, computing them again "
                    "next time", why)


def _load_cache(path: Path) -> dict[str, np.ndarray] | None:
    try:
        with np.load(path, allow_pickle=False) as data:
            cache = {k: data[k] for k in ("keys", "plain", "flip", "ok")}
        if not (len(cache["keys"]) == len(cache["plain"]) == len(cache["flip"]) == len(cache["ok"])):
            return None
        return cache
    except (OSError, ValueError, KeyError, EOFError):
        return None  # missing or damaged: rebuilt, never fatal


def trunk_features(
    files: Sequence[str],
    config: BackboneConfig,
    *,
    batch_size: int = 32,
    progress: Progress = no_progress,
    cancelled: Cancelled = never_cancelled,
    use_cache: bool = True,
) -> dict[str, np.ndarray]:
    """Frozen-trunk outputs for each file and its mirror image, float16, cached on disk per file.

    Returns ``{"plain": (n, h, w, c), "flip": (n, h, w, c), "ok": (n,) bool}``; files that fail to
    decode have ``ok`` False and zero features. Only files not in the cache are computed (a
    changed file has a new key), so a grown or re-split data set costs only its new images.
    """
    keys = [file_key(f) for f in files]
    cache_path = _cache_path(config) if use_cache else None
    cache = _load_cache(cache_path) if cache_path is not None else None
    row_of = {str(k): i for i, k in enumerate(cache["keys"])} if cache is not None else {}
    missing = [i for i, k in enumerate(keys) if k not in row_of]
    new_plain = new_flip = None
    new_ok = np.zeros(len(missing), bool)
    if missing:
        trunk = trunk_runner(config)
        pending: list[tuple[int, np.ndarray]] = []

        def flush():
            nonlocal new_plain, new_flip
            if not pending:
                return
            idx = [j for j, _ in pending]
            x = config.preprocess(np.stack([a for _, a in pending]))
            out = trunk(np.concatenate([x, x[:, :, ::-1]]))
            if new_plain is None:
                new_plain = np.zeros((len(missing),) + out.shape[1:], np.float16)
                new_flip = np.zeros_like(new_plain)
            new_plain[idx] = out[: len(idx)]
            new_flip[idx] = out[len(idx) :]
            pending.clear()

        todo = [files[i] for i in missing]
        progress(0, len(todo), "computing backbone features")
        for j, pixels, _error in decode_many(todo, config.size):
            check_cancelled(cancelled)
            if pixels is not None:
                new_ok[j] = True
                pending.append((j, pixels))
            if len(pending) >= batch_size:
                flush()
                progress(j + 1, len(todo), "computing backbone features")
        flush()
        progress(len(todo), len(todo), "computing backbone features")
        if new_plain is None:
            if cache is None:
                raise ValueError("none of the images could be decoded")
            shape = cache["plain"].shape[1:]
            new_plain = np.zeros((len(missing),) + shape, np.float16)
            new_flip = np.zeros_like(new_plain)
        new_keys = np.array([keys[i] for i in missing])
        if cache is not None and cache["plain"].shape[1:] == new_plain.shape[1:]:
            cache = {
                "keys": np.concatenate([cache["keys"], new_keys]),
                "plain": np.concatenate([cache["plain"], new_plain]),
                "flip": np.concatenate([cache["flip"], new_flip]),
                "ok": np.concatenate([cache["ok"], new_ok]),
            }
        else:
            cache = {"keys": new_keys, "plain": new_plain, "flip": new_flip, "ok": new_ok}
        if cache_path is not None:
            _save_npz(cache_path, cache)
        row_of = {str(k): i for i, k in enumerate(cache["keys"])}
    rows = np.array([row_of[k] for k in keys], dtype=np.int64)
    assert cache is not None
    return {"plain": cache["plain"][rows], "flip": cache["flip"][rows], "ok": cache["ok"][rows]}


def _save_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_savez(path, **arrays)
    except OSError as exc:  # a read-only or full cache folder: the features are in memory
        _cache_unusable(exc, path.parent)
