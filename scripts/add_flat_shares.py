#!/usr/bin/env python3
"""(Re)compute the training photos' flat shares in the shipped models' ``familiar.npz``
(docs/product.md, "Screenshots and pages: the flat areas"), keeping the bank and the reference
scores as they are: 1,000 of each model's training photos, drawn with seed 0 as
``familiarity.build`` draws them, measured with the current ``familiarity.flat_share``. Run it
after a change to what ``flat_share`` measures, so that a query and the training photos are
measured the same way.

    .venv/bin/python scripts/add_flat_shares.py [--data ../shared/data]

First run on 28 Nov (seventeenth session); again on 28 Nov (eighteenth) when ``flat_share``
began trimming plain frames. About a minute on 2 cores.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from vsdesk.engine.product import familiarity  # noqa: E402

NOT_CLASSES = ("Not sure", "Other", "Skip")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    args = parser.parse_args()
    folder_of_data = args.data / "clothing-dataset"
    with open(folder_of_data / "images.csv", encoding="utf-8") as fp:
        rows = [r for r in csv.DictReader(fp) if r["label"] not in NOT_CLASSES]
    for name in ("product-heldout", "product"):
        folder = REPO / "resources" / "models" / name
        meta = json.loads((folder / "product.json").read_text(encoding="utf-8"))
        held = set(map(str, meta.get("test_groups") or []))
        files = [str(folder_of_data / "images" / f"{r['image']}.jpg") for r in rows if r["sender_id"] not in held]
        chosen = np.sort(np.random.default_rng(0).choice(len(files), familiarity.FLAT_REFERENCE_SIZE, replace=False))
        shares = familiarity.flat_shares([files[i] for i in chosen], meta["size"])
        current = familiarity.load(folder, 1280)
        if current is None:
            raise SystemExit(f"{folder}: no usable {familiarity.FILE}")
        current.flat_reference = np.sort(shares[np.isfinite(shares)])
        familiarity.save(folder, current)
        again = familiarity.load(folder, 1280)
        print(f"{name}: {len(files)} training photos; {len(again.flat_reference)} flat shares, median "
              f"{np.median(again.flat_reference):.4f}, 99.5 %: {np.quantile(again.flat_reference, 0.995):.4f}; "
              f"bank {again.bank.shape}, reference {len(again.reference)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
