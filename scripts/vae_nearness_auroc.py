#!/usr/bin/env python3
"""Measure the VAE's nearness signal (``vsdesk.engine.vae.nearness``) beside its anomaly score,
in one run, and (``--ship``) write its reference beside the shipped weights.

AUROC, Fashion-MNIST test images ("normal") against: scikit-learn's digits scaled to 28x28, 300
Clothing Dataset photos and the 32 style artworks, all in Fashion-MNIST's form as a query is. The
nearness reference is made from the test images only, never from the pictures checked.

    .venv/bin/python scripts/vae_nearness_auroc.py [--ship]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
ARTWORKS = REPO.parent / "shared" / "data" / "images-by-style"


def main(argv: list[str] | None = None) -> int:
    from vsdesk.engine.imageio import load_image
    from vsdesk.engine.samples import load_fashion_mnist
    from vsdesk.engine.vae import VaeEmbedder, evaluate, knn, nearness
    from vsdesk.engine.vae.dataset_form import to_dataset_form
    from vsdesk.engine.vae.engine import VaeEngine, image_to_input

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ship", action="store_true", help="write the reference beside the shipped weights")
    args = parser.parse_args(argv)
    engine = VaeEngine.load()
    train = engine.train_index()
    test_images, _ = load_fashion_mnist("test")
    artworks = [to_dataset_form(load_image(p, min_size=VaeEmbedder.decode_size)) for p in sorted(ARTWORKS.glob("*.jpg"))]
    others = {"digits": evaluate.digits_28(), "clothing photos": evaluate.clothing_28(evaluate.default_clothing_dir(), 300),
              "artworks": np.stack(artworks)}
    test_x = image_to_input(test_images)
    test_means = engine.encode(test_x)

    def likeness(means: np.ndarray) -> np.ndarray:  # higher: less alike to its nearest, as a score is
        return -nearness.mean_similarity(knn.nearest(means, train.unit, nearness.NEAR_K, base_is_unit=True)[1])

    quantiles = nearness.reference_quantiles(test_means, train.unit)
    normal = {"anomaly": engine.anomaly_scores(test_x), "nearness": likeness(test_means)}
    report = {}
    for name, images in others.items():
        x = image_to_input(images)
        scores = {"anomaly": engine.anomaly_scores(x), "nearness": likeness(engine.encode(x))}
        shares = [nearness.less_alike_share(-s, quantiles) for s in scores["nearness"]]
        report[name] = {"images": len(images),
                        "auroc": {k: round(evaluate.auroc(normal[k], scores[k]), 4) for k in scores},
                        "median_nearness_percentile": round(float(np.median(shares)), 1),
                        "share_nearness_percentile_99": round(float(np.mean(np.array(shares) >= 99)), 3)}
    print(json.dumps(report, indent=1))
    if args.ship:
        path = nearness.write_reference(engine.weights_path, engine.weights_sha256, quantiles)
        print(f"wrote {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
