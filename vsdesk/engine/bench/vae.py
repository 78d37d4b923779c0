"""Bench section ``vae``: encode throughput and query latency of the VAE mode.

Encode: Fashion-MNIST images through the encoder in batches via one traced function (what
indexing does), against the naive way — ``encoder.predict`` called per image, as the Streamlit
demo did. Query: a clothing photo file in -> decoded, put in dataset form, encoded, 10 neighbours
among the 60,000 training latents, vote, reconstruction, anomaly percentile and map position
(``describe``); the baseline does the same with separate ``predict`` calls per network and a full
sort of all 60,000 similarities.
"""

from __future__ import annotations

import time

import numpy as np


def run(record, quick: bool = False) -> None:
    from vsdesk.engine.imageio import load_image
    from vsdesk.engine.samples import load_fashion_mnist
    from vsdesk.engine.vae import VaeEmbedder, load_engine, to_dataset_form
    from vsdesk.engine.vae.engine import image_to_input

    engine = load_engine()
    bundle = engine.bundle
    images, _ = load_fashion_mnist("test")
    x = image_to_input(images[: 2000 if quick else 10000])
    n_naive = 50 if quick else 200

    engine.encode(x[:10])  # tracing is a one-time cost, not throughput
    bundle.encoder.predict(x[:1], verbose=0)
    start = time.perf_counter()
    engine.encode(x)
    ours = len(x) / (time.perf_counter() - start)
    start = time.perf_counter()
    for i in range(n_naive):
        bundle.encoder.predict(x[i : i + 1], verbose=0)
    naive = n_naive / (time.perf_counter() - start)
    record("vae encode (28x28 images, batched)", ours, "images/s", naive)

    index = engine.train_index()  # built and cached once per weights file
    files = _photos(10 if quick else 30)

    def ours_query(path: str) -> None:
        engine.describe(to_dataset_form(load_image(path, min_size=VaeEmbedder.decode_size)))  # as a query

    def naive_query(path: str) -> None:
        pixels = to_dataset_form(load_image(path))
        q = image_to_input(pixels)
        mean = bundle.encoder.predict(q, verbose=0)[0]
        sims = index.unit @ (mean[0] / np.linalg.norm(mean[0]))
        order = np.argsort(-sims)[:10]
        np.bincount(index.labels[order], minlength=10).argmax()
        bundle.decoder.predict(mean, verbose=0)
        bundle.map_encoder.predict(mean, verbose=0)

    ours_query(files[0])
    naive_query(files[0])
    ours_times, naive_times = [], []
    for path in files:
        start = time.perf_counter()
        ours_query(path)
        ours_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        naive_query(path)
        naive_times.append(time.perf_counter() - start)
    record("vae query p50 (photo -> neighbours, category, recon, anomaly)",
           1000 * float(np.median(ours_times)), "ms", 1000 * float(np.median(naive_times)))


def _photos(count: int) -> list[str]:
    """Clothing photos spread over the Clothing Dataset (or the shipped sample)."""
    from pathlib import Path

    from vsdesk.engine.imageio import is_image_name
    from vsdesk.engine.vae.evaluate import default_clothing_dir

    files = sorted(str(p) for p in Path(default_clothing_dir()).rglob("*") if p.is_file() and is_image_name(p))
    if not files:
        raise FileNotFoundError("no clothing photos found for the vae benchmark")
    return [files[i] for i in np.linspace(0, len(files) - 1, count).astype(int)]
