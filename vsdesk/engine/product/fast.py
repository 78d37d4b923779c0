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

log = logging.getLogger(__name__)

ENV_RUNTIME = "VSDESK_PRODUCT_RUNTIME"  # "tf" forces the TensorFlow path
#: Output order of the converted function (a tuple, so the flatbuffer's outputs keep it).
OUTPUTS = ("category", "embedding", "kids")
#: Images per interpreter call: XNNPACK gains nothing from bigger batches here (cache-bound).
CHUNK = 8
#: Largest tolerated difference to Keras on the probe batch before the fast path is refused.
TOLERANCE = 1e-4
FORMAT = "1"


def enabled() -> bool:
    return os.environ.get(ENV_RUNTIME, "").strip().lower() not in ("tf", "tensorflow", "keras")


def _interpreter_class():
    """TFLite's interpreter: LiteRT's package when installed, else the one inside TensorFlow."""
    try:  # pragma: no cover - not installed here
        from ai_edge_litert.interpreter import Interpreter

        return Interpreter
    except ImportError:
        pass
    import tensorflow as tf

    lite = getattr(tf, "lite", None)
    return getattr(lite, "Interpreter", None)


def cache_key(product_key: str, size: int) -> str | None:
    """Identifies a converted flatbuffer: product weights, Lite0 weights, size, TensorFlow version.

    None when the Lite0 weights are not in the model store yet (then nothing is cached).
    """
    import tensorflow as tf

    from vsdesk.engine.models import cache, lite0

    entry = cache.read_entry(lite0.SPEC)
    if entry is None:
        return None
    text = "\t".join([FORMAT, product_key, entry.sha256, str(size), tf.__version__])
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def cache_path(key: str) -> Path:
    return paths.models_dir() / "product-tflite" / f"{key}.tflite"


def convert(model, size: int) -> bytes:
    """Keras model (image -> {"category", "embedding", "kids"?}, or one tensor) -> a float32 flatbuffer."""
    import tensorflow as tf
    from tensorflow.python.framework.convert_to_constants import convert_variables_to_constants_v2

    def forward(images):
        out = model(images, training=False)
        if isinstance(out, dict):
            return tuple(out[name] for name in OUTPUTS if name in out)
        return out

    fn = tf.function(forward, input_signature=[tf.TensorSpec([None, size, size, 3], tf.float32)])
    frozen = convert_variables_to_constants_v2(fn.get_concrete_function())
    converter = tf.lite.TFLiteConverter.from_concrete_functions([frozen])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return converter.convert()


class TFLiteRunner:
    """Runs a converted product model: (n, size, size, 3) float32 -> {"category", "embedding", "kids"}.

    One interpreter, guarded by a lock (calls come from the engine's TF thread anyway).
    """

    def __init__(self, flatbuffer: bytes, size: int, names: tuple[str, ...], threads: int = 2):
        interpreter_class = _interpreter_class()
        if interpreter_class is None:
            raise RuntimeError("TFLite is not available in this TensorFlow")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self._it = interpreter_class(model_content=flatbuffer, num_threads=threads)
        self.size = size
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


def _check(runner: TFLiteRunner, reference: Callable[[np.ndarray], dict], size: int) -> float:
    """Largest absolute difference between the runner and Keras on a fixed random probe batch."""
    probe = np.random.default_rng(0).uniform(-1, 1, (2, size, size, 3)).astype(np.float32)
    ours, theirs = runner(probe), reference(probe)
    return max(float(np.abs(ours[name] - np.asarray(theirs[name])).max()) for name in ours)


def load_runner(
    product_key: str,
    size: int,
    has_kids: bool,
    build_model: Callable[[], object],
    reference: Callable[[object], Callable[[np.ndarray], dict]],
) -> tuple[Callable[[np.ndarray], dict] | None, object | None]:
    """(the TFLite runner or None, the Keras model if it had to be built or None).

    ``build_model`` builds the Keras product model; ``reference(model)`` gives its traced
    TensorFlow function, used to check a fresh conversion. Never raises: any failure logs and
    returns (None, model) so the caller falls back to TensorFlow.
    """
    if not enabled() or _interpreter_class() is None:
        return None, None
    names = tuple(n for n in OUTPUTS if has_kids or n != "kids")
    model = None
    try:
        key = cache_key(product_key, size)
        path = cache_path(key) if key else None
        if path is not None and path.is_file():
            try:
                return TFLiteRunner(path.read_bytes(), size, names), None
            except (RuntimeError, ValueError) as exc:
                log.warning("product: cached TFLite model %s unusable (%s); converting again", path, exc)
        model = build_model()
        flatbuffer = convert(model, size)
        runner = TFLiteRunner(flatbuffer, size, names)
        difference = _check(runner, reference(model), size)
        if not difference <= TOLERANCE:
            log.warning("product: TFLite differs from Keras by %.2g; using TensorFlow", difference)
            return None, model
        key = key or cache_key(product_key, size)  # building the model filled the model store
        if key:
            _write(cache_path(key), flatbuffer)
        return runner, model
    except Exception as exc:  # noqa: BLE001 - the fast path is optional, never fatal
        log.warning("product: TFLite fast path unavailable (%s); using TensorFlow", exc)
        return None, model


def single_output_runner(
    model, size: int, reference: Callable[[np.ndarray], np.ndarray]
) -> Callable[[np.ndarray], np.ndarray] | None:
    """A TFLite runner for a one-output Keras model (the frozen trunk, for training features),
    checked against ``reference`` (its traced function); None when unavailable or different."""
    if not enabled() or _interpreter_class() is None:
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
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
