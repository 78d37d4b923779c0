"""The fast path of the product model: the same Keras model run by TFLite's XNNPACK on the CPU.

Lite0 is depthwise-heavy; TensorFlow's CPU kernels run it at ~35-40 images/s at 260 px on this
machine's 2 cores, XNNPACK (TensorFlow Lite's CPU delegate, inside the installed
``tensorflow-cpu``) at ~110-125, with the same float32 weights and the same outputs (largest
difference ~2e-6). The Keras model (frozen trunk + trained head) is frozen into a flatbuffer
once, checked against Keras on a probe batch, and cached in the model store's folder keyed by
the product weights, the Lite0 weights and the TensorFlow version; later loads read the cached
file and skip building the Keras model. When TFLite is missing (it is deprecated in TensorFlow
and may be dropped), or the conversion or its check fails, the caller keeps the traced
TensorFlow function. ``VSDESK_PRODUCT_RUNTIME=tf`` forces TensorFlow.

By default the flatbuffer is quantised to int8 (weights per channel, activations calibrated on
the shipped clothing sample photos): XNNPACK's int8 kernels (VNNI on this CPU) run it ~2.5x
faster than float32, with the same held-out accuracy (docs/product.md). Its outputs are not
Keras's to 1e-4, so the check is on real photos: the same classes and near-equal vectors, else
the float32 flatbuffer is used. ``VSDESK_PRODUCT_PRECISION=float32`` turns quantisation off.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import warnings
from pathlib import Path
from typing import Callable

import numpy as np

from vsdesk.engine import paths
from vsdesk.engine.files import atomic_path

log = logging.getLogger(__name__)

ENV_RUNTIME = "VSDESK_PRODUCT_RUNTIME"  # "tf" forces the TensorFlow path
ENV_PRECISION = "VSDESK_PRODUCT_PRECISION"  # "float32" turns int8 quantisation off
#: Output order of the converted function (a tuple, so the flatbuffer's outputs keep it).
OUTPUTS = ("category", "embedding", "kids")
#: Images per interpreter call: XNNPACK gains nothing from bigger batches here (cache-bound).
CHUNK = 8
#: Largest tolerated difference to Keras on the probe batch before the fast path is refused.
TOLERANCE = 1e-4
FORMAT = "1"
#: Calibration photos for int8 activation ranges (the shipped clothing sample, in name order);
#: conversion takes ~6 s for 64, once per machine (then the flatbuffer is cached).
CALIBRATION_COUNT = 64
MIN_CALIBRATION = 16
#: A converted int8 model must agree with Keras on this share of the check photos' classes and
#: give embeddings at least this close (cosine). Measured on 60 training photos: 98 % of classes,
#: cosines >= 0.97; a broken conversion gives noise, far below both.
MIN_AGREEMENT = 0.75
MIN_COSINE = 0.9


def enabled() -> bool:
    return os.environ.get(ENV_RUNTIME, "").strip().lower() not in ("tf", "tensorflow", "keras")


def wants_int8() -> bool:
    """True unless int8 is turned off, there is no TFLite, or the calibration photos are missing."""
    if os.environ.get(ENV_PRECISION, "").strip().lower() in ("float32", "float", "fp32"):
        return False
    return enabled() and interpreter_class() is not None and len(calibration_files()) >= MIN_CALIBRATION


def calibration_files() -> list[Path]:
    from vsdesk.engine.imageio import is_image_name

    folder = paths.resources_dir() / "samples" / "clothing"
    try:
        files = sorted(p for p in folder.iterdir() if is_image_name(p))
    except OSError:
        return []
    return files[:CALIBRATION_COUNT]


def calibration_identity() -> str:
    """Names the calibration set (file names and sizes) for the int8 cache key."""
    names = []
    for path in calibration_files():
        try:
            names.append(f"{path.name}:{path.stat().st_size}")
        except OSError:
            continue
    return hashlib.sha256("\n".join(names).encode()).hexdigest()[:12]


def calibration_batch(size: int, preprocess: Callable[[np.ndarray], np.ndarray]) -> np.ndarray | None:
    """The calibration photos, ``preprocess``ed for the backbone, or None if too few decode."""
    from vsdesk.engine.imageio import ImageError
    from vsdesk.engine.product.features import decode

    arrays = []
    for path in calibration_files():
        try:
            arrays.append(decode(str(path), size))
        except (ImageError, OSError):
            continue
    return preprocess(np.stack(arrays)) if len(arrays) >= MIN_CALIBRATION else None


def refused_path(key: str) -> Path:
    """Marks a model whose int8 conversion failed its check, so it is not converted again on
    every start (a new TensorFlow or model has a new key, and is tried)."""
    return cache_path(key).with_suffix(".refused")


def interpreter_class():
    """TFLite's interpreter: LiteRT's package when installed, else the one inside TensorFlow."""
    try:  # pragma: no cover - not installed here
        from ai_edge_litert.interpreter import Interpreter

        return Interpreter
    except ImportError:
        pass
    import tensorflow as tf

    lite = getattr(tf, "lite", None)
    return getattr(lite, "Interpreter", None)


def cache_key(product_key: str, size: int, quantised: str = "", backbone: str = "efficientnet-lite0") -> str | None:
    """Identifies a converted flatbuffer: product weights, backbone weights, size, TensorFlow
    version, and for an int8 one the calibration set (``quantised``; "" for float32).

    None when the backbone's weights are not in the model store yet (then nothing is cached).
    """
    import tensorflow as tf

    from vsdesk.engine.models import cache
    from vsdesk.engine.models.store import get_spec

    entry = cache.read_entry(get_spec(backbone))
    if entry is None:
        return None
    text = "\t".join([FORMAT, product_key, entry.sha256, str(size), tf.__version__, quantised])
    return f"{member_tag(product_key)}-{hashlib.sha256(text.encode()).hexdigest()[:24]}"


def member_tag(product_key: str) -> str:
    """Begins the names of a model member's converted files, so they can go with the model."""
    return hashlib.sha256(product_key.encode()).hexdigest()[:12]


def _folder() -> Path:
    return paths.models_dir() / "product-tflite"


def cache_path(key: str) -> Path:
    return _folder() / f"{key}.tflite"


def model_file_key(product_key: str, size: int, quantised: str, backbone: str = "efficientnet-lite0") -> str | None:
    """Identifies a flatbuffer kept in the model's own folder (``model_file``): as ``cache_key``
    but naming the backbone by its spec (version and source digests) rather than the converted
    file in this machine's store, and with no TensorFlow version (a flatbuffer made by one
    TFLite loads in later ones), so that it holds on any machine, from the first start. None
    when the backbone's weights in the store were imported by the user: not the ones it holds."""
    from vsdesk.engine.models import cache
    from vsdesk.engine.models.store import get_spec

    spec = get_spec(backbone)
    entry = cache.read_entry(spec)
    if entry is not None and entry.source == "import":
        return None
    digests = ",".join(str(getattr(source, "sha256", "") or getattr(source, "file_hash", "")) for source in spec.sources)
    text = "\t".join([FORMAT, product_key, spec.name, spec.version, digests, str(size), quantised])
    return f"{member_tag(product_key)}-{hashlib.sha256(text.encode()).hexdigest()[:24]}"


def model_file(folder: Path, key: str) -> Path:
    return folder / f"fast-{key}.tflite"


def keep_with_model(folder: Path, product_key: str, size: int, backbone: str = "efficientnet-lite0") -> Path | None:
    """Copy a member's int8 flatbuffer, converted and checked on this machine (in its cache),
    into the model's folder, where every later install finds it (``load_runner(model_folder=)``):
    a first start then converts nothing. The path written, or None when there is no int8 one."""
    key = model_file_key(product_key, size, calibration_identity(), backbone)
    if key is None:
        return None
    target = model_file(folder, key)
    if target.is_file():  # the runner was loaded from it
        return target
    cached_key = cache_key(product_key, size, calibration_identity(), backbone)
    cached = cache_path(cached_key) if cached_key else None
    if cached is None or not cached.is_file():
        return None
    _write(target, cached.read_bytes())
    os.chmod(target, 0o644)
    return target


def remove_converted(product_keys: list[str]) -> list[Path]:
    """Delete the converted files (flatbuffers, refusal marks) of these model members."""
    removed = []
    for product_key in product_keys:
        for path in sorted(_folder().glob(f"{member_tag(product_key)}-*")):
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed


def _drop_untagged() -> None:
    """Files named before conversions carried their member's tag (sessions up to 27 Nov) are
    never read again: they go once a conversion is written, rather than stay on the disk."""
    for path in _folder().glob("*"):
        if path.suffix in (".tflite", ".refused") and "-" not in path.stem:
            path.unlink(missing_ok=True)


class _TrackableObjNotice(logging.Filter):
    """Drops TensorFlow's "Please consider providing the trackable_obj argument" warning, given
    on every ``from_concrete_functions``: our function's variables are already frozen into
    constants, so there is nothing to keep alive and nothing for a user to do."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "trackable_obj" not in record.getMessage()


_TRACKABLE_OBJ_NOTICE = _TrackableObjNotice()


def convert(model, size: int, calibration: np.ndarray | None = None) -> bytes:
    """Keras model (image -> {"category", "embedding", "kids"?}, or one tensor) -> a flatbuffer:
    float32, or int8 inside (float input and outputs) when ``calibration`` images are given."""
    import tensorflow as tf
    from tensorflow.python.framework.convert_to_constants import convert_variables_to_constants_v2

    def forward(images):
        out = model(images, training=False)
        if isinstance(out, dict):
            return tuple(out[name] for name in OUTPUTS if name in out)
        return out

    fn = tf.function(forward, input_signature=[tf.TensorSpec([None, size, size, 3], tf.float32)], autograph=False)
    frozen = convert_variables_to_constants_v2(fn.get_concrete_function())
    logging.getLogger("absl").addFilter(_TRACKABLE_OBJ_NOTICE)  # same object each time: added once
    converter = tf.lite.TFLiteConverter.from_concrete_functions([frozen])
    if calibration is not None:
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.representative_dataset = lambda: ([calibration[i : i + 1]] for i in range(len(calibration)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return converter.convert()


class TFLiteRunner:
    """Runs a converted product model: (n, size, size, 3) float32 -> {"category", "embedding", "kids"}.

    One interpreter, guarded by a lock (calls come from the engine's TF thread anyway).
    """

    def __init__(self, flatbuffer: bytes, size: int, names: tuple[str, ...], threads: int = 2,
                 precision: str = "float32"):
        interpreter = interpreter_class()
        if interpreter is None:
            raise RuntimeError("TFLite is not available in this TensorFlow")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self._it = interpreter(model_content=flatbuffer, num_threads=threads)
        self.size = size
        self.precision = precision
        self._input = self._it.get_input_details()[0]["index"]
        outputs = self._it.get_output_details()
        if len(outputs) != len(names):
            raise RuntimeError(f"converted model has {len(outputs)} outputs, expected {len(names)}")
        # Outputs are named Identity, Identity_1, ... in the order the function returned them.
        def order(detail) -> int:
            name = detail["name"].rsplit(":", 1)[0]
            tail = name.rsplit("_", 1)
            return int(tail[1]) if len(tail) == 2 and tail[1].isdigit() else 0

        self._outputs = [(name, d["index"]) for name, d in zip(names, sorted(outputs, key=order))]
        self._batch = 0
        self._lock = threading.Lock()

    def __call__(self, batch: np.ndarray) -> dict[str, np.ndarray]:
        batch = np.ascontiguousarray(batch, dtype=np.float32)
        parts: dict[str, list[np.ndarray]] = {name: [] for name, _ in self._outputs}
        with self._lock:
            for start in range(0, len(batch), CHUNK):
                chunk = batch[start : start + CHUNK]
                if len(chunk) != self._batch:
                    self._it.resize_tensor_input(self._input, list(chunk.shape))
                    self._it.allocate_tensors()
                    self._batch = len(chunk)
                self._it.set_tensor(self._input, chunk)
                self._it.invoke()
                for name, index in self._outputs:
                    parts[name].append(self._it.get_tensor(index).copy())
        return {name: np.concatenate(arrays) for name, arrays in parts.items()}


def _check(runner: TFLiteRunner, reference: Callable[[np.ndarray], dict], size: int,
           photos: np.ndarray | None = None) -> str | None:
    """Why the runner may not stand in for Keras, or None when it may.

    float32: the largest difference on a fixed random probe batch must be within TOLERANCE.
    int8 (``photos`` given): on real photos, the same class for most of them and near-equal
    embeddings; rounding to int8 moves outputs by ~1e-2, so an exact comparison would refuse it.
    """
    if photos is None:
        probe = np.random.default_rng(0).uniform(-1, 1, (2, size, size, 3)).astype(np.float32)
        ours, theirs = runner(probe), reference(probe)
        difference = max(float(np.abs(ours[name] - np.asarray(theirs[name])).max()) for name in ours)
        return None if difference <= TOLERANCE else f"differs from Keras by {difference:.2g}"
    ours, theirs = runner(photos), reference(photos)
    agreement = float(np.mean(np.argmax(ours["category"], 1) == np.argmax(np.asarray(theirs["category"]), 1)))
    a, b = ours["embedding"], np.asarray(theirs["embedding"])
    cosine = float(np.min(np.sum(a * b, 1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1) + 1e-12)))
    if agreement < MIN_AGREEMENT or not cosine >= MIN_COSINE:
        return f"int8 agrees with Keras on {agreement:.0%} of classes, embedding cosine >= {cosine:.3f}"
    return None


def load_runner(
    product_key: str,
    size: int,
    has_kids: bool,
    build_model: Callable[[], object],
    reference: Callable[[object], Callable[[np.ndarray], dict]],
    backbone=None,
    model_folder: Path | None = None,
) -> tuple[TFLiteRunner | None, object | None]:
    """(the TFLite runner or None, the Keras model if it had to be built or None).

    int8 first (unless turned off or no calibration photos are installed), then float32.
    ``backbone`` (``backbones.Backbone``, default Lite0) gives the weights' identity and the
    calibration photos' preprocessing. An int8 flatbuffer kept in ``model_folder`` (the model's
    own, ``keep_with_model``) is taken first, then this machine's cache, else one is converted.
    ``build_model`` builds the Keras product model; ``reference(model)`` gives its traced
    TensorFlow function, used to check a fresh conversion. Any other failure logs and returns
    (None, model) so the caller falls back to TensorFlow. A model that cannot be built because
    its backbone's weights cannot be had (``ModelStoreError``) is built once: the next
    precision and the TensorFlow path need it too, so that error is raised once no flatbuffer
    made before can stand in (each build tried again took 0.5-1 s here, to fail the same way).
    """
    if not enabled() or interpreter_class() is None:
        return None, None
    from vsdesk.engine.models.errors import ModelStoreError
    from vsdesk.engine.product import backbones

    backbone = backbone or backbones.get(backbones.LITE0)
    names = tuple(n for n in OUTPUTS if has_kids or n != "kids")
    model = None
    traced = None
    unbuildable: ModelStoreError | None = None  # why the model cannot be built, once tried
    for precision, identity in _plans():
        try:
            if precision == "int8" and model_folder is not None:
                kept = _kept_runner(model_folder, product_key, size, identity, backbone.name, names)
                if kept is not None:
                    return kept, None
            key = cache_key(product_key, size, identity, backbone.name)
            path = cache_path(key) if key else None
            if path is not None and path.is_file():
                try:
                    return TFLiteRunner(path.read_bytes(), size, names, precision=precision), None
                except (RuntimeError, ValueError) as exc:
                    log.warning("product: cached TFLite model %s unusable (%s); converting again", path, exc)
            if key is not None and refused_path(key).exists():
                continue  # this int8 model failed its check before: not again on every start
            if unbuildable is not None:
                continue  # only a flatbuffer made before could serve: none is there
            photos = None
            if precision == "int8":
                photos = calibration_batch(size, backbone.preprocess)  # decoded only to convert
                if photos is None:
                    log.warning("product: too few calibration photos for int8")
                    continue
            if model is None:
                try:
                    model = build_model()
                except ModelStoreError as exc:
                    unbuildable = exc
                    raise
                traced = reference(model)
            flatbuffer = convert(model, size, photos)
            runner = TFLiteRunner(flatbuffer, size, names, precision=precision)
            problem = _check(runner, traced, size, None if photos is None else photos[:MIN_CALIBRATION])
            key = key or cache_key(product_key, size, identity, backbone.name)  # the model store is filled now
            if problem:
                log.warning("product: TFLite %s model refused (%s)", precision, problem)
                if photos is not None and key:
                    _write(refused_path(key), problem.encode())
                continue
            if key:
                _write(cache_path(key), flatbuffer)
                _drop_untagged()
            return runner, model
        except Exception as exc:  # noqa: BLE001 - the fast path is optional, never fatal
            if exc is not unbuildable:  # (that one is raised below: said once, by the caller)
                log.warning("product: TFLite %s fast path unavailable (%s)", precision, exc)
    if unbuildable is not None:
        raise unbuildable  # the TensorFlow path would build it again, and fail the same way
    log.warning("product: using TensorFlow (slower)")
    return None, model


def _plans() -> list[tuple[str, str]]:
    """The precisions ``load_runner`` tries, in order, each with its calibration identity (part
    of the cache key; "" for float32)."""
    return ([("int8", calibration_identity())] if wants_int8() else []) + [("float32", "")]


def will_convert(product_key: str, size: int, backbone: str = "efficientnet-lite0",
                 model_folder: Path | None = None) -> bool:
    """Whether ``load_runner`` will convert the model (~15 s a member here), found by looking
    for the files it looks for first, in its order: the int8 flatbuffer kept in
    ``model_folder``, then this machine's cache, a refused int8 one giving way to float32.
    Files only: one there but unusable is converted again without this having said so."""
    try:
        if not enabled() or interpreter_class() is None:
            return False
        for precision, identity in _plans():
            if precision == "int8" and model_folder is not None:
                kept = model_file_key(product_key, size, identity, backbone)
                if kept is not None and model_file(model_folder, kept).is_file():
                    return False
            key = cache_key(product_key, size, identity, backbone)
            if key is None:
                return True  # the backbone is not in the model store yet: converted with it
            if cache_path(key).is_file():
                return False
            if not refused_path(key).exists():
                return True
        return True
    except Exception as exc:  # noqa: BLE001 - only decides whether to say so, never fatal
        log.info("product: whether the model needs converting is unknown (%s)", exc)
        return False


def conversion_time(members: int) -> str:
    """How long converting ``members`` members takes, in words: 17-21 s each was measured for
    the held-out twin's (260 px) on this machine's 2 cores, busy; `vsdesk bench` gives 18-21 s
    for the shipped model's two on a quiet one. ~15 s a member is said."""
    seconds = 15 * members
    if seconds <= 40:
        return "about half a minute"
    if seconds <= 80:
        return "about a minute"
    return f"about {round(seconds / 60)} minutes"


def _kept_runner(folder: Path, product_key: str, size: int, identity: str, backbone: str,
                 names: tuple[str, ...]) -> TFLiteRunner | None:
    """The int8 runner from the flatbuffer kept in the model's folder, if it is there and loads."""
    key = model_file_key(product_key, size, identity, backbone)
    path = model_file(folder, key) if key else None
    if path is None or not path.is_file():
        return None
    try:
        return TFLiteRunner(path.read_bytes(), size, names, precision="int8")
    except (OSError, RuntimeError, ValueError) as exc:
        log.warning("product: %s does not load (%s); using this machine's own conversion", path, exc)
        return None


def single_output_runner(
    model, size: int, reference: Callable[[np.ndarray], np.ndarray]
) -> Callable[[np.ndarray], np.ndarray] | None:
    """A TFLite runner for a one-output Keras model (the frozen trunk, for training features),
    checked against ``reference`` (its traced function); None when unavailable or different."""
    if not enabled() or interpreter_class() is None:
        return None
    try:
        runner = TFLiteRunner(convert(model, size), size, ("output",))
        probe = np.random.default_rng(0).uniform(-1, 1, (2, size, size, 3)).astype(np.float32)
        expected = np.asarray(reference(probe))
        difference = float(np.abs(runner(probe)["output"] - expected).max())
        if not difference <= TOLERANCE * max(1.0, float(np.abs(expected).max())):
            log.warning("product: TFLite trunk differs from Keras by %.2g; using TensorFlow", difference)
            return None
    except Exception as exc:  # noqa: BLE001 - optional, never fatal
        log.warning("product: TFLite trunk unavailable (%s); using TensorFlow", exc)
        return None
    def run(batch: np.ndarray) -> np.ndarray:
        return runner(batch)["output"]

    run.runtime = "tflite"  # type: ignore[attr-defined]
    return run


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
