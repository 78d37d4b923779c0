"""Measure how each mode's embedding, and a small perceptual hash, tell copies of a picture (the
same picture saved again: another format, a re-saved JPEG, resized, rotated by EXIF ...) from the
nearest *different* picture of the same data set. Chooses what `search` folds as copies
(``vsdesk.engine.copies``); the numbers are in docs/catalogs.md, "The same picture in other files".

    .venv/bin/python scripts/measure_copies.py --out /tmp/copies-measure [--photos 200] [--others 1000]

Writes the copies under --out (never touches the data set) and prints, per mode and per kind of
copy, the similarity of each picture to its copy (min, 5th percentile, median) against the
similarity of each picture to its nearest different picture (median, 95th percentile, max).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"

#: kind -> how a copy is made from the original (decoded, EXIF applied) image; (bytes, suffix)
KINDS = {
    "png": lambda im: _saved(im, "PNG"),
    "tiff": lambda im: _saved(im, "TIFF"),
    "bmp": lambda im: _saved(im, "BMP"),
    "webp80": lambda im: _saved(im, "WEBP", quality=80),
    "jpeg60": lambda im: _saved(im, "JPEG", quality=60),
    "jpeg75": lambda im: _saved(im, "JPEG", quality=75),
    "jpeg85": lambda im: _saved(im, "JPEG", quality=85),
    "jpeg95": lambda im: _saved(im, "JPEG", quality=95),
    "half": lambda im: _saved(im.resize((max(1, im.width // 2), max(1, im.height // 2)), Image.LANCZOS),
                              "JPEG", quality=90),
    "exif-rotated": lambda im: _exif_rotated(im),
    "crop2": lambda im: _saved(im.crop((round(im.width * .02), round(im.height * .02), im.width, im.height)),
                               "JPEG", quality=90),
    "grey": lambda im: _saved(ImageOps.grayscale(im), "JPEG", quality=90),
}
SUFFIX = {"PNG": ".png", "TIFF": ".tif", "BMP": ".bmp", "WEBP": ".webp", "JPEG": ".jpg"}


def _saved(image: Image.Image, fmt: str, **options) -> tuple[bytes, str]:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue(), SUFFIX[fmt]


def _exif_rotated(image: Image.Image) -> tuple[bytes, str]:
    """The pixels stored turned a quarter, with EXIF orientation 6 saying to turn them back: a
    viewer (and vsdesk's decoder) shows the original picture."""
    turned = image.transpose(Image.ROTATE_90)  # counter-clockwise; orientation 6 turns clockwise
    exif = Image.Exif()
    exif[0x0112] = 6
    out = io.BytesIO()
    turned.save(out, "JPEG", quality=92, exif=exif.tobytes())
    return out.getvalue(), ".jpg"


def make_copies(originals: list[Path], out: Path) -> dict[str, list[Path]]:
    """kind -> the copy of each original (same order)."""
    from vsdesk.engine.imageio import load_image

    made: dict[str, list[Path]] = {kind: [] for kind in KINDS}
    for path in originals:
        image = load_image(path)
        for kind, make in KINDS.items():
            data, suffix = make(image)
            target = out / kind / (path.stem + suffix)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            made[kind].append(target)
    return made


def embed(embedder, paths: list[Path]) -> np.ndarray:
    """Vectors as an index run makes them (``_file_reading.read_and_prepare``)."""
    from vsdesk.engine.imageio import load_image

    vectors = []
    for start in range(0, len(paths), 32):
        batch = [embedder.preprocess(load_image(p, min_size=embedder.decode_size)) for p in paths[start:start + 32]]
        vectors.append(np.asarray(embedder.embed(np.stack(batch)), dtype=np.float32))
    return np.concatenate(vectors)


def summary(values: np.ndarray, high: bool) -> str:
    if high:  # the nearest different: where it comes closest
        return f"median {np.median(values):.4f}  p95 {np.percentile(values, 95):.4f}  max {values.max():.4f}"
    return f"min {values.min():.4f}  p5 {np.percentile(values, 5):.4f}  median {np.median(values):.4f}"


def measure(name: str, originals: list[Path], others: list[Path], out: Path, modes: list[str]) -> dict:
    from vsdesk.engine.copies import bits_differing, chroma_difference, signature_of_file
    from vsdesk.engine.modes import load_embedder

    copies = make_copies(originals, out / name)
    pool = originals + [p for p in others if p not in set(originals)]
    report: dict = {}
    # The picture's signature: bits differing (of 256) and the largest chroma difference (0-255)
    # instead of a similarity.
    signed = [signature_of_file(p) for p in pool]
    apart = np.array([[bits_differing(a, b) for b in signed] for a in signed[: len(originals)]], dtype=float)
    apart[np.arange(len(originals)), np.arange(len(originals))] = np.inf
    nearest = apart.min(axis=1)
    chroma_of_nearest = np.array([chroma_difference(signed[i], signed[int(j)])
                                  for i, j in enumerate(apart.argmin(axis=1))])
    closest = sorted((int(d), originals[i].name, pool[int(apart[i].argmin())].name) for i, d in enumerate(nearest))[:3]
    report["signature"] = {"different": {"min_bits": float(nearest.min()), "p5_bits": float(np.percentile(nearest, 5)),
                                         "closest": closest,
                                         "chroma_of_nearest_min": float(chroma_of_nearest.min())},
                           "copies": {}}
    print(f"\n== {name}: picture signature (bits differing of 256, lower is closer; largest chroma difference)")
    print(f"  nearest different: bits min {nearest.min():.0f}  p5 {np.percentile(nearest, 5):.0f}  median "
          f"{np.median(nearest):.0f}   closest: {closest}")
    for kind, paths in copies.items():
        theirs = [signature_of_file(c) for c in paths]
        d = np.array([bits_differing(o, c) for o, c in zip(signed, theirs)])
        chroma = np.array([chroma_difference(o, c) for o, c in zip(signed, theirs)])
        report["signature"]["copies"][kind] = {"max_bits": int(d.max()), "p95_bits": float(np.percentile(d, 95)),
                                               "max_chroma": float(chroma.max()),
                                               "median_chroma": float(np.median(chroma))}
        print(f"  {kind:13s} copy: bits max {d.max():3d}  p95 {np.percentile(d, 95):5.1f}  median {np.median(d):3.0f}"
              f"   chroma max {chroma.max():5.1f}  median {np.median(chroma):4.1f}")
    for mode in modes:
        embedder = load_embedder(mode)
        base = embed(embedder, pool)
        scores = base[: len(originals)] @ base.T
        scores[np.arange(len(originals)), np.arange(len(originals))] = -np.inf
        different = scores.max(axis=1)
        worst = int(np.argmax(different))
        report[mode] = {"different": {"median": float(np.median(different)), "p95": float(np.percentile(different, 95)),
                                      "max": float(different.max()),
                                      "max_pair": [originals[worst].name, pool[int(np.argmax(scores[worst]))].name]},
                        "copies": {}}
        print(f"\n== {name}: {mode} (cosine; higher is closer)")
        print(f"  nearest different: {summary(different, True)}   closest pair: {report[mode]['different']['max_pair']}")
        for kind, paths in copies.items():
            sims = np.einsum("ij,ij->i", base[: len(originals)], embed(embedder, paths))
            # A copy nearer to another picture than to its own would be folded wrongly, too.
            report[mode]["copies"][kind] = {"min": float(sims.min()), "p5": float(np.percentile(sims, 5)),
                                            "median": float(np.median(sims))}
            print(f"  {kind:13s} copy: {summary(sims, False)}")
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--photos", type=int, default=200)
    parser.add_argument("--others", type=int, default=1000)
    parser.add_argument("--style-photos", type=int, default=30,
                        help="clothing photos measured under style too (VGG16 is slow: ~1 image/s here)")
    args = parser.parse_args()
    with open(DATA / "clothing-dataset" / "images.csv", newline="") as f:
        names = sorted(row["image"] for row in csv.DictReader(f))
    folder = DATA / "clothing-dataset" / "images"
    photos = [folder / f"{name}.jpg" for name in names if (folder / f"{name}.jpg").is_file()]
    rng = np.random.default_rng(0)
    chosen = [photos[i] for i in sorted(rng.choice(len(photos), args.others, replace=False))]
    results = {"clothing": measure("clothing", chosen[: args.photos], chosen, args.out, ["product", "vae"])}
    artworks = sorted((DATA / "images-by-style").glob("*.jpg"))
    results["artworks"] = measure("artworks", artworks, artworks, args.out, ["style", "product", "vae"])
    if args.style_photos:
        few = chosen[: args.style_photos]
        results["clothing-style"] = measure("clothing-style", few, chosen[: 4 * args.style_photos], args.out, ["style"])
    (args.out / "measure.json").write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
