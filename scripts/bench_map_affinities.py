"""Time to a finished t-SNE map with the neighbour affinities computed once (``tsne_stages``)
against computed again at each stage (as before), in the same run, and the maps' quality.

Real vectors: the Product embeddings of the Clothing Dataset's photos (``--vectors FILE``, made
there by indexing ``--images`` with the shipped Product model if missing). A map of more points
than the photos repeats them with a little noise (Gaussian, ``NOISE`` of each dimension's spread).
Each map is ``projection.project`` as the window computes it (PCA, 1,000 iterations in 4 stages, a
child process): its wall time, and its CPU time (this process's and the child's), which other
work on a busy machine disturbs less. Quality: the share of each point's 10 nearest neighbours (in the 50-D PCA space
t-SNE is given) that are among its 10 nearest on the map, over 2,000 points, and the
trustworthiness of 3,000 points' map (scikit-learn's).

    .venv/bin/python scripts/bench_map_affinities.py --vectors /tmp/product-vectors.npy [--sizes 5000 15000]
"""

from __future__ import annotations

import argparse
import os
import resource
import time
from pathlib import Path

import numpy as np

NOISE = 0.02
NEIGHBOURS = 10


def clothing_vectors(path: Path, images: str) -> np.ndarray:
    if not path.exists():
        from vsdesk.engine.catalog import Catalog, index_catalog
        from vsdesk.engine.modes import load_embedder

        catalog = Catalog.create("bench-map-affinities", "product", [images])
        index_catalog(catalog, load_embedder("product"))
        np.save(path, np.asarray(catalog.vectors().matrix, np.float32), allow_pickle=False)
    return np.load(path, allow_pickle=False)


def points(vectors: np.ndarray, n: int) -> np.ndarray:
    """``n`` points: the vectors, then repeats of them with a little noise."""
    rng = np.random.default_rng(0)
    spread = vectors.std(axis=0)
    rows = np.concatenate([np.arange(len(vectors)), rng.integers(0, len(vectors), max(0, n - len(vectors)))])[:n]
    noisy = np.arange(n) >= len(vectors)
    out = vectors[rows].copy()
    out[noisy] += rng.normal(size=(int(noisy.sum()), vectors.shape[1])).astype(np.float32) * spread * NOISE
    return out


def quality(x: np.ndarray, xy: np.ndarray) -> tuple[float, float]:
    from sklearn.decomposition import PCA
    from sklearn.manifold import trustworthiness
    from sklearn.neighbors import NearestNeighbors

    reduced = PCA(50, random_state=0).fit_transform(x)
    sample = np.random.default_rng(1).choice(len(x), min(2000, len(x)), replace=False)
    near_in = NearestNeighbors(n_neighbors=NEIGHBOURS + 1).fit(reduced).kneighbors(reduced[sample])[1][:, 1:]
    near_on = NearestNeighbors(n_neighbors=NEIGHBOURS + 1).fit(xy).kneighbors(xy[sample])[1][:, 1:]
    kept = np.mean([len(set(a) & set(b)) / NEIGHBOURS for a, b in zip(near_in, near_on)])
    few = np.random.default_rng(2).choice(len(x), min(3000, len(x)), replace=False)
    return float(kept), float(trustworthiness(reduced[few], xy[few], n_neighbors=NEIGHBOURS))


def cpu_time() -> float:
    """CPU seconds of this process and of its children waited for (the map's t-SNE process)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def main() -> None:
    from vsdesk.engine.projection import project
    from vsdesk.engine.tsne_stages import EACH_STAGE_ENV, reuse_supported

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--vectors", type=Path, required=True)
    parser.add_argument("--images", default=str(Path(__file__).resolve().parents[2] / "shared/data/clothing-dataset/images"))
    parser.add_argument("--sizes", type=int, nargs="+", default=[5000, 15000])
    args = parser.parse_args()
    vectors = clothing_vectors(args.vectors, args.images)
    print(f"{len(vectors)} Product vectors ({vectors.shape[1]}-D); affinities reusable here: {reuse_supported()}")
    for n in args.sizes:
        x = points(vectors, n)
        found = {}
        for way in ("each stage", "once"):  # (before, then after: in the same run)
            if way == "each stage":
                os.environ[EACH_STAGE_ENV] = "1"
            else:
                os.environ.pop(EACH_STAGE_ENV, None)
            start, cpu = time.perf_counter(), cpu_time()
            xy = project(x, iterations=1000, in_child=True)
            found[way] = (time.perf_counter() - start, xy, cpu_time() - cpu)
            print(f"  {n:,} points, affinities {way}: {found[way][0]:.1f} s, CPU {found[way][2]:.1f} s", flush=True)
        same = np.array_equal(found["each stage"][1], found["once"][1])
        scores = {way: quality(x, xy) for way, (_s, xy, _cpu) in found.items()}
        print(f"{n:,} points ({max(0, n - len(vectors)):,} noisy repeats): time to the map "
              f"{found['once'][0]:.1f} s vs {found['each stage'][0]:.1f} s before "
              f"(x{found['each stage'][0] / found['once'][0]:.2f}), CPU {found['once'][2]:.1f} s vs "
              f"{found['each stage'][2]:.1f} s (x{found['each stage'][2] / found['once'][2]:.3f}); the same map: {same}; "
              f"10-NN kept {scores['once'][0]:.3f} vs {scores['each stage'][0]:.3f}, "
              f"trustworthiness {scores['once'][1]:.4f} vs {scores['each stage'][1]:.4f}", flush=True)


if __name__ == "__main__":
    main()
