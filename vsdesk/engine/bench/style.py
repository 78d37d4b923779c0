"""Bench section ``style``: indexing throughput and storage of the style mode.

vsdesk's pipeline: JPEG draft decoding and preprocessing in a thread pool, one traced
TensorFlow function per batch that runs VGG16 once and returns every style layer's Gram
matrix, then the fixed count sketch. Baseline: the research notebook's pipeline reproduced
faithfully (``vsdesk.engine.style.notebook``): a new Keras model per image, 400 x 400 input,
one image at a time. Both run in the same process on the same images; decoding is included,
loading the weights (once for both) is not. Storage: bytes per image of each vector.
"""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np


def _images() -> list[Path]:
    """The style artworks (local mirror), else the shared clothing photos, else the shipped sample."""
    from vsdesk.engine import paths
    from vsdesk.engine.imageio import is_image_name

    candidates = [os.environ.get("VSDESK_STYLE_MIRROR"), paths.shared_data("images-by-style"),
                  paths.shared_data("clothing-dataset/images"), paths.resources_dir() / "samples" / "clothing"]
    for folder in candidates:
        if folder and Path(folder).is_dir():
            files = sorted(p for p in Path(folder).iterdir() if p.is_file() and is_image_name(p))
            if files:
                return files
    raise FileNotFoundError("no images found for the style benchmark")


def index_vectors(embedder, files: list[Path], batch_size: int = 16, workers: int = 2) -> np.ndarray:
    """vsdesk's way: decode + preprocess in a pool, embed in batches on this (the TF) thread."""
    from vsdesk.engine.imageio import load_image

    def prepare(path: Path) -> np.ndarray:
        return embedder.preprocess(load_image(path, min_size=embedder.decode_size))

    rows = []
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for lo in range(0, len(files), batch_size):
            batch = list(pool.map(prepare, files[lo : lo + batch_size]))
            rows.append(embedder.embed(np.stack(batch)))
    return np.concatenate(rows)


def run(record, quick: bool = False) -> None:
    from vsdesk.engine.style import DEFAULT, NOTEBOOK
    from vsdesk.engine.style.embedder import StyleEmbedder, base_model
    from vsdesk.engine.style.notebook import notebook_vectors

    files = _images()
    n_ours = 16 if quick else 64
    n_notebook = 4 if quick else 16
    ours_files = (files * (1 + n_ours // len(files)))[:n_ours]
    notebook_files = (files * (1 + n_notebook // len(files)))[:n_notebook]

    vgg = base_model()
    embedder = StyleEmbedder(DEFAULT, base=vgg)
    # Warm up both (tracing and first-call costs are one-time, not throughput).
    index_vectors(embedder, ours_files[:2])
    notebook_vectors(notebook_files[:1], vgg)

    start = time.perf_counter()
    vectors = index_vectors(embedder, ours_files)
    ours = len(ours_files) / (time.perf_counter() - start)

    start = time.perf_counter()
    baseline_vectors = notebook_vectors(notebook_files, vgg)
    notebook = len(notebook_files) / (time.perf_counter() - start)

    record("style indexing, default config (decode incl.)", ours, "images/s", notebook)
    ours_bytes = vectors.shape[1] * vectors.dtype.itemsize
    notebook_bytes = baseline_vectors[0].size * baseline_vectors[0].dtype.itemsize
    record("style bytes stored per image", ours_bytes, "bytes", notebook_bytes)
    # The notebook's descriptor at 224 px, for scale (what `vsdesk eval style` compares against).
    record("style bytes per image, notebook config at 224 px", NOTEBOOK.bytes_per_image, "bytes", None)
