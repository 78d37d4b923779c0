#!/usr/bin/env python3
"""Write ``train-looks.npy`` (``near_copy``: the looks of the training photos) into the shipped
product models, which were trained before models kept them: their training photos are the
files of their data whose digests ``train-photos.npy`` holds. `vsdesk eval product --data`
then leaves re-saved copies of them out too. Also measures what ``near_copy.NEAR`` and
``NEAR_CONFIRMED`` are chosen from (docs/product.md, "Near copies"): the held-out twin's held-out
photos against its training photos (at wider thresholds, with the thumbnails confirming),
training photos saved again, and how long the looks of every training photo take.

    .venv/bin/python scripts/add_train_looks.py [--data ../shared/data/clothing-dataset] [--measure]

First run on 29 Nov (twentieth session). About 15 s, a minute with --measure, on 2 cores.
"""

from __future__ import annotations

import argparse
import io
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from vsdesk.engine.product import model as product_model, near_copy  # noqa: E402

MODELS = ("product", "product-heldout")
#: Hash thresholds wider than ``near_copy.NEAR`` that --measure tries, the thumbnails confirming.
WIDER = (40, 48, 56)


def training_photos(folder: Path, data: Path) -> list[Path]:
    trained = {int(d) for d in product_model.load_train_photos(folder)}
    return [p for p in sorted((data / "images").glob("*.jpg")) if product_model.file_digest(p) in trained]


def measure(data: Path) -> None:
    """The margins: the closest held-out photo to any training photo (the twin's), and how far
    training photos saved again move from their own looks."""
    from PIL import Image, ImageEnhance

    from vsdesk.engine.product.data import load_dataset

    twin = REPO / "resources" / "models" / "product-heldout"
    meta = product_model.read_meta(twin)
    held_out = [it.path for it in load_dataset(data, exclude=frozenset()).items if it.group in set(meta.test_groups)]
    known = product_model.load_train_looks(twin)
    photos = training_photos(twin, data)  # train-looks.npy's order (``main``), checked below
    started = time.monotonic()
    in_order = near_copy.looks(photos)
    took = time.monotonic() - started
    started = time.monotonic()
    [product_model.file_digest(path) for path in photos]  # what eval's finder reads instead (``evaluate``)
    print(f"the looks of {len(photos)} training photos: {took:.1f} s (their digests: "
          f"{time.monotonic() - started:.1f} s); in the order train-looks.npy holds them: "
          f"{len(in_order) == len(known) and bool((in_order == known).all())}")
    bits = np.unpackbits(known, axis=1).astype(np.int32)
    tested = np.unpackbits(near_copy.looks(held_out), axis=1).astype(np.int32)
    closest = min(int((np.abs(bits - row)).sum(1).min()) for row in tested)
    print(f"{len(held_out)} held-out photos: the closest is {closest} bits from a training photo; "
          f"near copies at {near_copy.NEAR}: {sum(near_copy.near(list(np.packbits(tested, axis=1)), known))}")
    held_out_looks = [near_copy.look(path) for path in held_out]
    for within in WIDER:  # a wider hash threshold, with the thumbnails confirming each candidate
        found = near_copy.nearest(held_out_looks, known, within)
        candidates = [(path, index) for path, index in zip(held_out, found) if index is not None]
        alike = sorted((float(near_copy.thumbnail(path) @ near_copy.thumbnail(photos[index])) for path, index in candidates),
                       reverse=True)
        print(f"  within {within} bits: {len(candidates)} held-out photos are candidates; their thumbnails correlate "
              f"{alike[0] if alike else float('nan'):.3f} at most with their training photo's; confirmed: "
              f"{sum(a >= near_copy.ALIKE for a in alike)}")

    def saved(image, form, **options):
        buffer = io.BytesIO()
        image.save(buffer, form, **options)
        buffer.seek(0)
        return buffer.getvalue()

    variants = {
        "JPEG quality 40": lambda im: saved(im, "JPEG", quality=40),
        "PNG": lambda im: saved(im, "PNG"),
        "WebP quality 80": lambda im: saved(im, "WEBP", quality=80),
        "halved, JPEG": lambda im: saved(im.resize((im.width // 2, im.height // 2), Image.Resampling.LANCZOS), "JPEG"),
        "a quarter, PNG": lambda im: saved(im.resize((im.width // 4, im.height // 4)), "PNG"),
        "10 % brighter": lambda im: saved(ImageEnhance.Brightness(im).enhance(1.1), "JPEG", quality=85),
        "an eighth, JPEG": lambda im: saved(im.resize((im.width // 8, im.height // 8)), "JPEG", quality=70),
    }
    sample = list(range(len(photos)))[::8][:400]
    for name, make in variants.items():
        moved, alike, copies = [], [], []
        for index in sample:
            with Image.open(photos[index]) as image:
                made = make(image.convert("RGB"))
            copy = near_copy.look(made)
            copies.append(copy)
            moved.append(int((np.unpackbits(copy) != np.unpackbits(known[index])).sum()))
            alike.append(float(near_copy.thumbnail(made) @ near_copy.thumbnail(photos[index])))  # the second measure
        caught = {within: sum(found == index and a >= near_copy.ALIKE  # its own photo found, and confirmed
                              for found, index, a in zip(near_copy.nearest(copies, known, within), sample, alike))
                  for within in (near_copy.NEAR, *WIDER)}
        print(f"{name}: {len(sample)} training photos saved again move up to {max(moved)} bits "
              f"(median {np.median(moved):.0f}); their thumbnails correlate {min(alike):.3f} at least "
              f"(confirmed from {near_copy.ALIKE}); caught within "
              + ", ".join(f"{within} bits: {count}" for within, count in caught.items()))
    # Review 21: two tees of one contributor on the same sheet, 31 bits apart, are not one picture.
    pair = [data / "images" / f"{name}.jpg" for name in ("2952baa3-1c19-4629-aac5-48f9c123f4b1",
                                                          "dc5f2bf9-3a2e-4be8-a8f9-c93bde6a487f")]
    print(f"two tees on one sheet: {int((np.unpackbits(near_copy.look(pair[0])) != np.unpackbits(near_copy.look(pair[1]))).sum())} "
          f"bits apart, thumbnails correlate {float(near_copy.thumbnail(pair[0]) @ near_copy.thumbnail(pair[1])):.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data" / "clothing-dataset")
    parser.add_argument("--measure", action="store_true", help="also print the margins NEAR is chosen from")
    args = parser.parse_args()
    for name in MODELS:
        folder = REPO / "resources" / "models" / name
        photos = training_photos(folder, args.data)
        looks = near_copy.looks(photos)
        product_model.save_train_looks(folder, looks)
        print(f"{name}: the looks of {len(looks)} training photos (of {len(product_model.load_train_photos(folder))})")
    if args.measure:
        measure(args.data)


if __name__ == "__main__":
    main()
