"""Make resources/samples/clothing: a small, downscaled, labelled subset of the Clothing Dataset.

Reproducible: the same source gives the same files. For each of the 17 clothing labels ('Not sure',
'Other' and 'Skip' are not classes) it takes up to PER_CLASS photos, chosen by a hash of the image
id (a fixed pseudo-random order, spread over contributors), decodes them with vsdesk's decoder
(EXIF rotation applied), downscales so the longest side is LONGEST px and saves JPEG quality 85.

    .venv/bin/python scripts/make_clothing_sample.py [--source ../shared/data/clothing-dataset]
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import shutil
import sys
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from vsdesk.engine.imageio import load_image  # noqa: E402

NOT_CLASSES = {"Not sure", "Other", "Skip"}
PER_CLASS = 20
LONGEST = 256


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=REPO.parent / "shared" / "data" / "clothing-dataset")
    parser.add_argument("--dest", type=Path, default=REPO / "resources" / "samples" / "clothing")
    args = parser.parse_args()

    by_label: dict[str, list[str]] = defaultdict(list)
    with open(args.source / "images.csv", encoding="utf-8") as fp:
        for row in csv.DictReader(fp):
            if row["label"] not in NOT_CLASSES:
                by_label[row["label"]].append(row["image"])

    if args.dest.exists():
        shutil.rmtree(args.dest)
    args.dest.mkdir(parents=True)
    rows = []
    for label in sorted(by_label):
        ids = sorted(by_label[label], key=lambda i: hashlib.sha256(i.encode()).hexdigest())
        for image_id in ids[:PER_CLASS]:
            image = load_image(args.source / "images" / f"{image_id}.jpg")
            image.thumbnail((LONGEST, LONGEST))
            name = f"{image_id}.jpg"
            image.save(args.dest / name, "JPEG", quality=85, optimize=True)
            rows.append((name, label))

    with open(args.dest / "labels.csv", "w", newline="", encoding="utf-8") as fp:
        writer = csv.writer(fp)
        writer.writerow(("filename", "label"))
        writer.writerows(rows)
    shutil.copy(args.source / "LICENSE", args.dest / "LICENSE")
    (args.dest / "PROVENANCE.txt").write_text(
        "A subset of the Clothing Dataset by Alexey Grigorev, CC0 1.0 (LICENSE beside this file).\n"
        "Source: github.com/alexeygrigorev/clothing-dataset, commit 7ed86a9cc56763b6acb35e41cb35184e43a5d218.\n"
        f"Up to {PER_CLASS} photos for each of the {len(by_label)} clothing labels, longest side {LONGEST} px, JPEG q85.\n"
        "Made by scripts/make_clothing_sample.py; labels in labels.csv (filename,label).\n",
        encoding="utf-8",
    )
    size = sum(p.stat().st_size for p in args.dest.iterdir())
    print(f"{len(rows)} images, {len(by_label)} labels, {size / 1e6:.1f} MB in {args.dest}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
