#!/usr/bin/env python3
"""Measure the familiarity warning on screenshots of shop pages (docs/product.md, "Screenshots and
pages: the flat areas").

Draws 200 synthetic screenshots (seeded, so the same pages every run): four families of layouts
(a product page, a category grid with or without a filter sidebar, a phone's page, a browser
window on a desktop), random sizes from 390 x 844 to 1920 x 1080, light and dark themes, accent
colours, fonts, a quarter saved as JPEG at quality 75-92, each holding clothing photos of the
held-out twin's test contributors (so the twin never saw them). Then it runs the app's path
(``decode_query`` -> ``embed_queries`` -> the ``familiarity`` of each query, int8) on

- the twin's held-out contributors' photos (1,007), with the twin,
- the pages, with the shipped model and with the twin,
- the 32 style artworks (paintings), with the shipped model,

and prints, per set, the share flagged by the features alone (the only test before the flat
areas were added: the feature test itself is unchanged, so this column is "before"), by the flat
areas alone, and by either (what the search warning uses now), and per layout for the pages;
each model's flat-area threshold; and the flat-area test alone on the pages saved again as JPEG
at quality 50, scaled to half, and with noise (roughly, a photo of the screen).

    .venv/bin/python scripts/measure_screenshot_familiarity.py [--data ../shared/data] [--pages DIR] [--copies]

``--copies`` adds the warning on copies of 100 held-out photos (the twin): in a plain white or
black frame of 3, 8 and 15 %, as JPEG at quality 15 and 30 (the flat-area test also as it was
before the frame was trimmed), and turned by 90 and 270 degrees (the "on its side" test).

The pages are written to --pages (default: a temporary folder, removed afterwards). About 5-10
minutes on 2 cores (the 1,007 photos dominate); ``--quick`` measures only the pages.
"""

from __future__ import annotations

import argparse
import csv
import functools
import io
import random
import sys
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont, ImageOps

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from vsdesk.engine.product import load_embedder, model as product_model  # noqa: E402
from vsdesk.engine.product.familiarity import FLAT_ABOVE, flat_share  # noqa: E402
from vsdesk.engine.product.features import image_array  # noqa: E402
from vsdesk.engine.query import decode_query, embed_queries  # noqa: E402

NOT_CLASSES = {"Not sure", "Other", "Skip"}
#: The held-out twin (the shipped recipe trained without 52 contributors) and the shipped model.
TWIN = str(REPO / "resources" / "models" / "product-heldout")
SHIPPED = "product"
PAGES = 200
SEED = 17
FONTS = [
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSansCondensed.ttf",
]
WORDS = (
    "shop women men kids sale new arrivals denim jacket washed blue cotton shirt size colour free shipping "
    "returns reviews add to cart buy now wishlist price details material care machine wash slim fit "
    "regular summer collection bestseller in stock delivery checkout account search basket"
).split()
SIZES = [(1280, 800), (1440, 900), (1920, 1080), (1366, 768), (1024, 768)]


class PageMaker:
    """Draws the synthetic pages; one random generator, so the pages depend on the seed alone."""

    def __init__(self, photos: list[Path], seed: int = SEED) -> None:
        self.photos = photos
        self.rng = random.Random(seed)
        self.fonts = [f for f in FONTS if Path(f).exists()]
        if not self.fonts:
            raise SystemExit("the DejaVu fonts are needed to draw the pages (Debian: fonts-dejavu-core)")

    def font(self, size):
        return ImageFont.truetype(self.rng.choice(self.fonts), size)

    def words(self, n):
        return " ".join(self.rng.choice(WORDS) for _ in range(n)).capitalize()

    def photo(self, w, h):
        im = Image.open(self.rng.choice(self.photos)).convert("RGB")
        im.thumbnail((w, h))
        return im

    def palette(self):
        rng = self.rng
        bg = rng.choice([(255, 255, 255), (250, 250, 250), (245, 245, 240), (34, 34, 38), (240, 244, 248)])
        fg = (230, 230, 230) if sum(bg) < 300 else rng.choice([(20, 20, 20), (60, 60, 70), (40, 40, 40)])
        accent = rng.choice([(0, 90, 200), (220, 50, 50), (20, 140, 80), (240, 120, 0), (0, 0, 0), (120, 40, 160)])
        return bg, fg, accent

    def text_lines(self, d, x, y, w, fg, n, size):
        f = self.font(size)
        for _ in range(n):
            d.text((x, y), self.words(self.rng.randint(2, max(3, w // (size * 3)))), fill=fg, font=f)
            y += int(size * 1.6)
        return y

    def button(self, d, x, y, accent, label):
        f = self.font(self.rng.randint(12, 18))
        w = int(d.textlength(label, font=f)) + 40
        d.rectangle([x, y, x + w, y + 36], fill=accent)
        d.text((x + 20, y + 9), label, fill=(255, 255, 255), font=f)

    def navbar(self, d, W, fg, accent, bg):
        rng = self.rng
        h = rng.randint(40, 70)
        bar = rng.choice([accent, (20, 20, 20), bg])
        d.rectangle([0, 0, W, h], fill=bar)
        col = (255, 255, 255) if bar != bg else fg
        f = self.font(rng.randint(13, 18))
        x = 20
        for item in ["SHOPNAME"] + rng.sample(["Women", "Men", "Kids", "Sale", "New", "Brands", "Shoes"], 4):
            d.text((x, h // 2 - 9), item, fill=col, font=f)
            x += int(d.textlength(item, font=f)) + 30
        d.rectangle([W - 260, h // 2 - 14, W - 40, h // 2 + 14], outline=col)
        return h

    def product_page(self, W, H):
        rng = self.rng
        bg, fg, accent = self.palette()
        im = Image.new("RGB", (W, H), bg)
        d = ImageDraw.Draw(im)
        top = self.navbar(d, W, fg, accent, bg) + rng.randint(20, 60)
        share = rng.uniform(0.25, 0.5)
        p = self.photo(int(W * share), int((H - top) * rng.uniform(0.5, 0.9)))
        x0 = rng.randint(20, int(W * 0.1))
        im.paste(p, (x0, top))
        tx = x0 + p.width + rng.randint(30, 80)
        y = self.text_lines(d, tx, top, W - tx - 20, fg, 1, rng.randint(20, 30))
        d.text((tx, y), f"{rng.randint(9, 199)},{rng.randint(0, 99):02d} EUR", fill=accent, font=self.font(22))
        y += 40
        y = self.text_lines(d, tx, y, W - tx - 20, fg, rng.randint(2, 8), rng.randint(12, 16))
        self.button(d, tx, y + 20, accent, rng.choice(["ADD TO CART", "Buy now", "In den Warenkorb", "Add to bag"]))
        return im

    def category_grid(self, W, H):
        rng = self.rng
        bg, fg, accent = self.palette()
        im = Image.new("RGB", (W, H), bg)
        d = ImageDraw.Draw(im)
        top = self.navbar(d, W, fg, accent, bg) + 20
        left = 0
        if rng.random() < 0.5:  # a filter sidebar
            left = rng.randint(180, 260)
            self.text_lines(d, 20, top, left - 30, fg, rng.randint(8, 16), 13)
        cols = rng.randint(2, 5)
        cw = (W - left - 20) // cols
        ph = min(int(cw * 1.1), (H - top) - 60)  # at least one row of photos on the page
        y = top
        while y + ph + 50 < H:
            for c in range(cols):
                p = self.photo(cw - 20, ph)
                im.paste(p, (left + c * cw + 10, int(y)))
                d.text((left + c * cw + 10, int(y + ph + 4)), self.words(2), fill=fg, font=self.font(13))
                d.text((left + c * cw + 10, int(y + ph + 22)), f"{rng.randint(9, 99)}.99", fill=accent,
                       font=self.font(13))
            y += ph + 60
        return im

    def mobile(self, W=390, H=844):
        rng = self.rng
        bg, fg, accent = self.palette()
        im = Image.new("RGB", (W, H), bg)
        d = ImageDraw.Draw(im)
        d.rectangle([0, 0, W, 44], fill=(0, 0, 0) if rng.random() < .5 else bg)
        d.text((16, 14), "9:41", fill=(255, 255, 255), font=self.font(14))
        top = 44 + self.navbar(d, W, fg, accent, bg) // 2
        p = self.photo(W, int(H * rng.uniform(0.35, 0.6)))
        im.paste(p, ((W - p.width) // 2, top))
        y = self.text_lines(d, 16, top + p.height + 16, W - 32, fg, rng.randint(3, 8), rng.randint(14, 18))
        self.button(d, 16, min(y + 10, H - 60), accent, "ADD TO CART")
        return im

    def desktop_window(self, W, H):
        """A desktop screenshot: a coloured wallpaper, a browser window with a shop page."""
        rng = self.rng
        im = Image.new("RGB", (W, H), rng.choice([(40, 70, 110), (90, 60, 120), (30, 30, 30), (200, 210, 220)]))
        d = ImageDraw.Draw(im)
        d.rectangle([0, 0, W, 28], fill=(30, 30, 30))
        d.text((10, 6), self.words(4), fill=(220, 220, 220), font=self.font(13))
        ww, wh = int(W * rng.uniform(0.6, 0.9)), int(H * rng.uniform(0.6, 0.85))
        page = rng.choice([self.product_page, self.category_grid])(ww, wh - 60)
        x, y = rng.randint(0, W - ww), rng.randint(30, H - wh)
        d.rectangle([x, y, x + ww, y + 60], fill=(222, 222, 226))
        d.rectangle([x + 120, y + 32, x + ww - 40, y + 52], fill=(255, 255, 255))
        d.text((x + 130, y + 35), "https://shop.example.com/" + rng.choice(WORDS), fill=(60, 60, 60),
               font=self.font(12))
        im.paste(page, (x, y + 60))
        return im

    LAYOUTS = ("product_page", "category_grid", "mobile", "desktop_window")

    def write(self, out: Path, n: int = PAGES) -> list[Path]:
        out.mkdir(parents=True, exist_ok=True)
        written = []
        for i in range(n):
            layout = self.LAYOUTS[i % len(self.LAYOUTS)]
            draw = getattr(self, layout)
            im = draw() if layout == "mobile" else draw(*self.rng.choice(SIZES))
            name = out / f"page_{i:03d}_{layout}"
            if self.rng.random() < 0.25:  # screenshots are shared as JPEG too
                path = name.with_suffix(".jpg")
                im.save(path, quality=self.rng.choice([75, 85, 92]))
            else:
                path = name.with_suffix(".png")
                im.save(path)
            written.append(path)
        return written


def heldout_photos(data: Path) -> list[Path]:
    """The photos of the twin's held-out contributors, in the order of images.csv."""
    meta = product_model.read_meta(Path(TWIN))
    test = {str(g) for g in meta.test_groups}
    folder = data / "clothing-dataset"
    with open(folder / "images.csv", encoding="utf-8") as fp:
        rows = [r for r in csv.DictReader(fp) if r["sender_id"] in test and r["label"] not in NOT_CLASSES]
    return [folder / "images" / f"{r['image']}.jpg" for r in rows]


@functools.lru_cache(maxsize=None)
def embedder_of(model: str):
    return load_embedder(model=model)


def familiarity(model: str, files: list[Path]) -> list[dict]:
    """Each file's ``familiarity`` as a search reports it (the app's decode and int8 path)."""
    embedder = embedder_of(model)
    found = []
    if embedder.familiarity is None or embedder.familiarity.flat_reference is None:
        raise SystemExit(f"{model}: its familiar.npz has no flat shares of its training photos")
    for start in range(0, len(files), 32):
        images = [decode_query(embedder, str(f)) for f in files[start:start + 32]]
        found += [q.extras["familiarity"] for q in embed_queries(embedder, images)]
    return found


def report(label: str, files: list[Path], described: list[dict], layouts: tuple[str, ...] = ()) -> None:
    features = np.array([d["typicality"] < 1.0 for d in described])
    flat = np.array([bool(d.get("flat_unusual")) for d in described])
    sideways = np.array([bool(d.get("sideways")) for d in described])
    either = np.array([bool(d["unfamiliar"]) for d in described])
    areas = np.median([d["flat_areas"] for d in described])
    print(f"{label} ({len(files)}): features alone (before) {features.mean():.1%}, flat areas alone "
          f"{flat.mean():.1%}, on its side alone {sideways.mean():.1%}, any (now) {either.mean():.1%}; "
          f"median flat areas {areas:.1f} %", flush=True)
    for layout in layouts:
        chosen = np.array([layout in f.name for f in files])
        print(f"    {layout} ({chosen.sum()}): before {features[chosen].mean():.0%}, now {either[chosen].mean():.0%}")


def thresholds() -> None:
    """Each model's flat-area threshold: the share of flat pixels above which all but FLAT_ABOVE %
    of its 1,000 training photos (the flat shares kept in its familiar.npz) lie."""
    for name, model in (("shipped model", SHIPPED), ("twin", TWIN)):
        known = load_embedder(model=model).familiarity
        print(f"{name}: flat above {100 * np.quantile(known.flat_reference, 1 - FLAT_ABOVE / 100):.1f} % of "
              f"the pixels is unusual ({len(known.flat_reference)} training photos' flat shares, median "
              f"{100 * np.median(known.flat_reference):.1f} %)")


def robustness(pages: list[Path]) -> None:
    """The flat-area test alone (shipped model) on the pages saved again: as JPEG at quality 50,
    scaled to half, and with Gaussian noise of sigma 2 (roughly, a photo of the screen)."""
    known = load_embedder(model=SHIPPED)
    rng = np.random.default_rng(0)

    def jpeg50(im):
        buffer = io.BytesIO()
        im.convert("RGB").save(buffer, "JPEG", quality=50)
        return Image.open(io.BytesIO(buffer.getvalue()))

    def half(im):
        return im.resize((im.width // 2, im.height // 2), Image.Resampling.LANCZOS)

    def noisy(im):
        x = np.asarray(im.convert("RGB"), np.float32) + rng.normal(0, 2, (im.height, im.width, 3))
        return Image.fromarray(np.clip(x, 0, 255).astype(np.uint8))

    for name, change in (("JPEG quality 50", jpeg50), ("scaled to half", half), ("noise sigma 2", noisy)):
        hits = [known.familiarity.flat_unusual(flat_share(image_array(change(Image.open(p)).convert("RGB"),
                                                                      known.meta.size)))
                for p in pages]
        print(f"pages {name}: flat areas alone {np.mean(hits):.0%}", flush=True)


#: Harmless copies of a photo (a review: a plain frame of 8 % warned on 40 of 40 photos, JPEG at
#: quality 15 on 20): (name, how the copy is written).
def _framed(share: float, fill: str):
    def write(im: Image.Image, path: Path) -> None:
        ImageOps.expand(im, border=max(4, int(share * max(im.size))), fill=fill).save(path)
    return write


def _jpeg(quality: int):
    def write(im: Image.Image, path: Path) -> None:
        im.save(path, "JPEG", quality=quality)
    return write


COPIES = [(f"{fill} frame {pct} %", _framed(pct / 100, fill), ".png")
          for fill in ("white", "black") for pct in (3, 8, 15)]
COPIES += [(f"JPEG quality {q}", _jpeg(q), ".jpg") for q in (15, 30)]


def _turned(angle: int):
    def write(im: Image.Image, path: Path) -> None:
        im.rotate(angle, expand=True).save(path)
    return write


#: ... and the change that does break the class: the photo on its side.
COPIES += [(f"turned {angle} degrees", _turned(angle), ".png") for angle in (90, 270)]
#: How many of the held-out photos are copied (every n-th, so about this many).
COPY_SAMPLE = 100


def copies(held: list[Path]) -> None:
    """The warning on harmless copies of the held-out photos (the twin): a plain white or black
    frame of 3, 8 and 15 % of the photo's size on each side, JPEG at quality 15 and 30. Printed as
    ``report`` does, plus the flat-area test measured on the whole picture, frame included, as it
    was before 28 Nov (eighteenth session: the frame is trimmed now)."""
    chosen = held[:: max(1, len(held) // COPY_SAMPLE)][:COPY_SAMPLE]
    known = embedder_of(TWIN)
    with tempfile.TemporaryDirectory(prefix="vsdesk-copies-") as tmp:
        for name, write, suffix in [("as they are", None, None)] + COPIES:
            files = chosen
            if write is not None:
                files = [Path(tmp) / f"{i:03d}{suffix}" for i in range(len(chosen))]
                for source, target in zip(chosen, files):
                    write(Image.open(source).convert("RGB"), target)
            described = familiarity(TWIN, files)
            report(f"held-out photos {name}, twin", files, described)
            whole = [flat_share(image_array(decode_query(known, str(f)), known.meta.size), trim=False) for f in files]
            flat_before = np.array([known.familiarity.flat_unusual(share) for share in whole])
            features = np.array([d["typicality"] < 1.0 for d in described])
            print(f"    before the frame was trimmed: flat areas alone {flat_before.mean():.1%}, either "
                  f"{(flat_before | features).mean():.1%}", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--pages", type=Path, help="write the pages here and keep them (default: a temporary folder)")
    parser.add_argument("--quick", action="store_true", help="measure the pages only")
    parser.add_argument("--copies", action="store_true", help="also measure framed and JPEG'd copies of "
                        f"{COPY_SAMPLE} held-out photos (a few minutes more)")
    args = parser.parse_args()

    held = heldout_photos(args.data)
    with tempfile.TemporaryDirectory(prefix="vsdesk-pages-") as tmp:
        pages = PageMaker(held).write(args.pages or Path(tmp))
        print(f"{len(pages)} pages drawn (seed {SEED})", flush=True)
        thresholds()
        for name, model in (("shipped model", SHIPPED), ("twin", TWIN)):
            report(f"pages, {name}", pages, familiarity(model, pages), PageMaker.LAYOUTS)
        robustness(pages)
    if args.copies:
        copies(held)
    if not args.quick:
        report("held-out contributors' photos, twin", held, familiarity(TWIN, held))
        art = sorted((args.data / "images-by-style").glob("*.jpg"))
        report("style artworks, shipped model", art, familiarity(SHIPPED, art))
    return 0


if __name__ == "__main__":
    sys.exit(main())
