#!/usr/bin/env python3
"""Measure style search with a detail of a painting (docs/style.md, Table 7 and "Low similarity").

Each of the 32 style artworks is cut into its four quarters (128 queries), searched against a
catalog of the 32 artworks and 300 clothing photos drawn at random (seed 0) with the default
style pipeline as the app runs it (``StyleEmbedder.preprocess`` and ``embed``, catalog pictures
decoded as indexing decodes them, alpha-DBA + alpha-QE 3/3). It prints, for the quarters, how
often their own painting comes first and in the top 5 and how often a garment comes first; for
the whole paintings (leave-one-out over the same catalog, relevant = same style) P@5 and mAP.
Then the weak-match threshold (``WEAK_MATCH_SCORE``) on those 160 queries: the share of right
and wrong best results scoring below it, and the share below it when the same queries are
searched against the 300 clothing photos alone (nothing of their style).

    .venv/bin/python scripts/measure_style_detail.py [--data ../shared/data] [--clothing 300]

About 2-4 minutes on 2 cores (VGG16 on 460 pictures).
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from vsdesk.engine.imageio import load_image  # noqa: E402
from vsdesk.engine.modes import load_embedder  # noqa: E402
from vsdesk.engine.search import search_catalog  # noqa: E402
from vsdesk.engine.style.config import QUERY_EXPANSION, WEAK_MATCH_SCORE  # noqa: E402


def quarters(path: Path) -> list[Image.Image]:
    """The four quarters of a picture: top left, top right, bottom left, bottom right."""
    image = Image.open(path).convert("RGB")
    w, h = image.size
    return [image.crop((left, top, left + w // 2, top + h // 2))
            for left, top in [(0, 0), (w // 2, 0), (0, h // 2), (w // 2, h // 2)]]


def vectors(embedder, images: list[Image.Image], batch: int = 16) -> np.ndarray:
    rows = [embedder.embed(np.stack([embedder.preprocess(im) for im in images[i:i + batch]]))
            for i in range(0, len(images), batch)]
    return np.concatenate(rows).astype(np.float32)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--clothing", type=int, default=300, help="clothing photos in the catalog (default 300)")
    args = parser.parse_args()

    art_dir = args.data / "images-by-style"
    with open(art_dir / "labels.csv", encoding="utf-8") as fp:
        styles = {r["filename"]: r["style"] for r in csv.DictReader(fp)}
    arts = sorted(art_dir.glob("*.jpg"))
    cloth = sorted((args.data / "clothing-dataset" / "images").glob("*.jpg"))
    cloth = [cloth[i] for i in np.random.default_rng(0).choice(len(cloth), args.clothing, replace=False)]
    paths = [str(p) for p in arts + cloth]
    labels = [styles[p.name] for p in arts] + ["clothing"] * len(cloth)
    n_art = len(arts)

    started = time.time()
    embedder = load_embedder("style")
    catalog = vectors(embedder, [load_image(p, min_size=embedder.decode_size) for p in arts + cloth])
    crops = [crop for p in arts for crop in quarters(p)]
    source = np.repeat(np.arange(n_art), 4)
    queries = vectors(embedder, crops)
    print(f"{len(crops)} quarters of {n_art} artworks against {n_art} artworks + {len(cloth)} clothing photos "
          f"({time.time() - started:.0f} s to embed)", flush=True)

    everything = (paths, labels, catalog)
    found = search_catalog(everything, queries, len(catalog), expansion=QUERY_EXPANSION)
    ranks = np.array([[r.index for r in hits].index(s) + 1 for hits, s in zip(found, source)])
    garment_first = np.mean([hits[0].index >= n_art for hits in found])
    print(f"quarter: its painting first {np.mean(ranks == 1):.3f}, in the top 5 {np.mean(ranks <= 5):.3f}, "
          f"a garment first {garment_first:.3f}")

    whole = search_catalog(everything, catalog[:n_art], len(catalog), query_paths=paths[:n_art],
                           expansion=QUERY_EXPANSION)
    p5, aps = [], []
    for q, hits in enumerate(whole):
        relevant = np.array([labels[r.index] == labels[q] for r in hits])
        p5.append(relevant[:5].mean())
        at = np.flatnonzero(relevant) + 1
        aps.append(np.mean(np.arange(1, len(at) + 1) / at))
    print(f"whole paintings: P@5 {np.mean(p5):.3f}, mAP {np.mean(aps):.3f}")

    # The weak-match note: best scores of the 160 queries, right = a painting of their style first.
    best = np.array([hits[0].score for hits in found + whole])
    right = np.array([labels[hits[0].index] == labels[s] for hits, s in zip(found, source)]
                     + [labels[hits[0].index] == labels[q] for q, hits in enumerate(whole)])
    low = best < WEAK_MATCH_SCORE
    print(f"weak match (best score below {WEAK_MATCH_SCORE}): {right.sum()} right best results, "
          f"{np.mean(low[right]):.0%} of them below; {(~right).sum()} wrong, "
          f"{np.mean(low[~right]) if (~right).any() else 0:.0%} below; right best scores from {best[right].min():.2f}, "
          f"wrong ones {best[~right].min() if (~right).any() else float('nan'):.2f}-"
          f"{best[~right].max() if (~right).any() else float('nan'):.2f}")
    garments = (paths[n_art:], labels[n_art:], catalog[n_art:])
    alone = search_catalog(garments, np.concatenate([catalog[:n_art], queries]), 1, expansion=QUERY_EXPANSION)
    print(f"the same {len(alone)} queries against the clothing photos alone: "
          f"{np.mean([hits[0].score < WEAK_MATCH_SCORE for hits in alone]):.0%} below {WEAK_MATCH_SCORE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
