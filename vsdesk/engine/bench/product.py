"""Bench section ``product``: indexing throughput and query latency of the product mode.

Indexing (decode included): vsdesk decodes in a thread pool with JPEG draft mode (the decoder
skips detail below the model's input size) while the model runs in batches on TFLite's XNNPACK,
int8 inside by default (``product.fast``; the traced TensorFlow function when TFLite is
unavailable); the naive baseline decodes at full size and calls ``model.predict`` image by image,
as the Streamlit demo did. Query: a photo in, class probabilities (mirror-averaged) and the
top-10 of a catalog out; baseline: ``model.predict`` per call and a full sort of all scores.
First start (not in ``--quick``): the shipped model's members loaded in a fresh cache and a
photo classified, in a fresh interpreter, from the int8 flatbuffers kept in the model's folder,
against a copy of the folder without them (each member converted, as before 27 Nov); beside it,
the longest gap of a 5 ms heartbeat thread standing in for the window.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from vsdesk.engine.bench.foundation import HEARTBEAT

CATALOG_SIZE = 5000


def _images(count: int) -> list[str]:
    """Real photos: the Clothing Dataset when present, else the shipped clothing sample."""
    from vsdesk.engine import paths
    from vsdesk.engine.imageio import is_image_name

    candidates = [paths.shared_data("clothing-dataset/images"), paths.resources_dir() / "samples" / "clothing"]
    for folder in candidates:
        if folder is not None and folder.is_dir():
            files = sorted(str(p) for p in Path(folder).rglob("*") if p.is_file() and is_image_name(p))
            if files:
                return (files * (1 + count // len(files)))[:count]
    raise FileNotFoundError("no clothing photos found for the product benchmark")


def run(record, quick: bool = False) -> None:
    import keras

    from vsdesk.engine.imageio import load_image
    from vsdesk.engine.product import load_embedder

    embedder = load_embedder()
    size = embedder.meta.size
    files = _images(96 if quick else 320)

    # Warm up both paths (graph tracing is a one-time cost, not throughput).
    warm = np.stack([embedder.preprocess(load_image(files[0], min_size=size))] * 2)
    embedder.embed(warm)
    embedder.classify(warm)  # every member's runtime (the window loads them with the model)
    model = embedder.full_model()
    model.predict(warm[:1], verbose=0)

    _bench_indexing(record, embedder, model, files, n_naive=16 if quick else 48)
    _bench_inference_alone(record, embedder, files[:32], reps=1 if quick else 3)
    _bench_query(record, embedder, model, files[: 10 if quick else 30])
    keras.backend.clear_session()
    if not quick:
        _bench_first_start(record)


def _prepared(embedder, path: str) -> np.ndarray:
    """A photo as vsdesk's pipeline gives it to the model (decoded in draft mode)."""
    from vsdesk.engine.imageio import load_image

    return embedder.preprocess(load_image(path, min_size=embedder.meta.size))


def _bench_indexing(record, embedder, model, files: list[str], n_naive: int) -> None:
    """vsdesk's pipeline (decode in a pool, batches of 32 to the model) against ``predict``
    image by image on photos decoded at full size."""
    from vsdesk.engine.imageio import load_image
    from vsdesk.engine.product.features import image_array

    start = time.perf_counter()
    batch: list[np.ndarray] = []
    done = 0
    with ThreadPoolExecutor(max_workers=2) as pool:
        for x in pool.map(lambda path: _prepared(embedder, path), files):
            batch.append(x)
            if len(batch) == 32:
                embedder.embed(np.stack(batch))
                done += len(batch)
                batch = []
    if batch:
        embedder.embed(np.stack(batch))
        done += len(batch)
    ours = done / (time.perf_counter() - start)

    preprocess = embedder.backbone.preprocess
    start = time.perf_counter()
    for path in files[:n_naive]:
        pixels = image_array(load_image(path), embedder.meta.size)
        model.predict(preprocess(pixels)[None], verbose=0)
    naive = n_naive / (time.perf_counter() - start)
    record("product indexing throughput (decode included)", ours, "images/s", naive)


def _bench_inference_alone(record, embedder, files: list[str], reps: int) -> None:
    """The runtime in use against the traced TensorFlow function, on one batch."""
    pixels = np.stack([_prepared(embedder, path) for path in files])
    embedder.embed(pixels)
    embedder.keras_forward(pixels)  # traces the TensorFlow reference
    start = time.perf_counter()
    for _ in range(reps):
        embedder.embed(pixels)
    fast_rate = reps * len(pixels) / (time.perf_counter() - start)
    start = time.perf_counter()
    for _ in range(reps):
        embedder.keras_forward(pixels)
    tf_rate = reps * len(pixels) / (time.perf_counter() - start)
    runtime = f"{embedder.runtime} {embedder.precision}"
    record(f"product inference alone, {embedder.meta.size} px ({runtime}; baseline: TensorFlow float32)", fast_rate,
           "images/s", tf_rate)


def _bench_query(record, embedder, model, queries: list[str]) -> None:
    """A photo in, probabilities (every member, mirror-averaged) and the top-10 of a catalog
    out; against ``predict`` per call and a full sort of all scores."""
    from vsdesk.engine.imageio import load_image
    from vsdesk.engine.product.embedder import search_vectors
    from vsdesk.engine.product.features import image_array
    from vsdesk.engine.search import top_k

    size = embedder.meta.size
    rng = np.random.default_rng(0)
    catalog = rng.standard_normal((CATALOG_SIZE, embedder.dim)).astype(np.float32)
    catalog /= np.linalg.norm(catalog, axis=1, keepdims=True)

    ours_times = []
    for path in queries:
        t0 = time.perf_counter()
        image = load_image(path, min_size=size)
        vector = embedder.embed(embedder.preprocess(image)[None])[0]
        embedder.describe(image, vector)  # as a query does: every member, image and mirror
        top_k(catalog, vector, 10)
        ours_times.append(time.perf_counter() - t0)

    naive_times = []
    preprocess = embedder.backbone.preprocess
    for path in queries[: max(5, len(queries) // 3)]:
        t0 = time.perf_counter()
        pixels = image_array(load_image(path), size)
        outputs = model.predict(preprocess(pixels)[None], verbose=0)
        vector = search_vectors(outputs["embedding"], outputs["category"])[0]
        scores = catalog @ vector
        np.argsort(-scores)[:10]
        naive_times.append(time.perf_counter() - t0)
    record(
        f"product query latency p50 (probabilities + top-10 of {CATALOG_SIZE})",
        float(np.median(ours_times)) * 1000,
        "ms",
        float(np.median(naive_times)) * 1000,
    )


# -- the first start: the model's own flatbuffers against converting them --------------------

_FIRST_START_SCRIPT = r"""
from vsdesk.engine.native_preload import preload_tensorflow
preload_tensorflow()
import tensorflow, keras  # its import is measured in the foundation section
""" + HEARTBEAT + r"""
start = time.perf_counter()
from PIL import Image
from vsdesk.engine.product import load_embedder
embedder = load_embedder(sys.argv[1])
embedder.warm_up()
image = Image.open(sys.argv[2]).convert("RGB")
embedder.describe(image, embedder.embed(embedder.preprocess(image)[None])[0])
stop = True
print(time.perf_counter() - start, max(gaps))
"""


def _bench_first_start(record) -> None:
    from vsdesk.engine import paths
    from vsdesk.engine.models import cache, ensure_weights
    from vsdesk.engine.models.store import get_spec
    from vsdesk.engine.product import backbones
    from vsdesk.engine.product.model import default_dir

    folder = default_dir()
    if not list(folder.glob("fast-*.tflite")):
        print("first-start benchmark skipped: the shipped model keeps no flatbuffers", file=sys.stderr)
        return
    ensure_weights(backbones.LITE0)  # the backbone's own conversion is another once-per-machine step
    spec = get_spec(backbones.LITE0)
    entry = cache.read_entry(spec)
    query = str(paths.resources_dir() / "samples" / "example-dress.jpg")
    with tempfile.TemporaryDirectory(prefix="vsdesk-bench-") as tmp:
        bare = Path(tmp) / "product-without-flatbuffers"
        shutil.copytree(folder, bare, ignore=shutil.ignore_patterns("fast-*.tflite"))
        results = {}
        for variant, model in (("kept", folder), ("converted", bare)):
            cache_dir = Path(tmp) / f"cache-{variant}"
            (cache_dir / "models").mkdir(parents=True)
            shutil.copy(entry.path, cache_dir / "models" / entry.file)
            shutil.copy(cache.sidecar_path(spec), cache_dir / "models")
            env = {**os.environ, "VSDESK_CACHE_DIR": str(cache_dir), "TF_CPP_MIN_LOG_LEVEL": "3"}
            done = subprocess.run([sys.executable, "-c", _FIRST_START_SCRIPT, str(model), query],
                                  capture_output=True, text=True, env=env, timeout=900)
            if done.returncode != 0:
                print(f"first-start benchmark skipped: {done.stderr.strip()[-300:]}", file=sys.stderr)
                return
            seconds, stall = done.stdout.split()[-2:]
            results[variant] = (float(seconds), float(stall))
    (kept, kept_stall), (converted, converted_stall) = results["kept"], results["converted"]
    record("product first start in a fresh cache: both members loaded, one photo classified", kept, "s", converted)
    record("longest window-thread stall during that first start", kept_stall * 1000, "ms", converted_stall * 1000)
