#!/usr/bin/env python3
"""Screenshots of the real window for the README: one per tab, with results and the map.

Runs vsdesk's main window offscreen on the sample catalogs, searches in each tab with a real
image through the real models, waits for the results, the thumbnails and the t-SNE map, picks
a result (so the gallery/map link shows), and saves docs/screenshots/{style,product,vae}.png.

    .venv/bin/python scripts/screenshots.py                # all three tabs
    .venv/bin/python scripts/screenshots.py --modes vae    # one tab

Settings go to a temporary directory and catalogs to their own folder in the cache
(``<cache>/screenshots-data``): the screenshots never depend on, or change, your own; the
catalogs, models and t-SNE maps stay cached, so a second run is quick.
The style artworks come from VSDESK_STYLE_MIRROR (default ../shared/data/images-by-style
when it exists) or are downloaded.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared" / "data"
CLOTHING_IMAGES = SHARED / "clothing-dataset" / "images"

#: The query of each tab: a real image that is not in the tab's sample catalog.
QUERIES = {
    "style": SHARED / "images-by-style" / "s_impressionist-05.jpg",  # in the sample: left out of its results
    "product": CLOTHING_IMAGES / "e6a8b33f-279c-4072-8dba-229d94205e55.jpg",  # a dress, not in the sample
    "vae": CLOTHING_IMAGES / "84a4a5a4-fb02-4009-916d-7e82d65c3e12.jpg",  # a photo of trousers
}
SIZE = (1480, 900)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--modes", default="style,product,vae", help="comma-separated tabs to capture")
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "screenshots")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds to wait per tab")
    parser.add_argument("--show", action="store_true", help="use the real display instead of offscreen")
    parser.add_argument("--map-pages", action="store_true",
                        help="also a shot of each of a tab's other map pages (VAE: its manifold map), as MODE-page2.png")
    parser.add_argument("--query", action="append", default=[], metavar="MODE=IMAGE",
                        help="another query for a tab, e.g. product=painting.jpg (saved as MODE-IMAGE.png)")
    parser.add_argument("--size", default=f"{SIZE[0]}x{SIZE[1]}", metavar="WxH",
                        help="window size (the window's minimum size wins over a smaller one)")
    args = parser.parse_args(argv)
    queries = dict(QUERIES)
    names = {mode: mode for mode in QUERIES}
    for given in args.query:
        mode, _, image = given.partition("=")
        queries[mode], names[mode] = Path(image), f"{mode}-{Path(image).stem}"

    if not args.show:
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if (SHARED / "images-by-style").is_dir():
        os.environ.setdefault("VSDESK_STYLE_MIRROR", str(SHARED / "images-by-style"))
    if (SHARED / "fashion-mnist").is_dir():
        os.environ.setdefault("VSDESK_FASHION_MNIST_DIR", str(SHARED / "fashion-mnist"))
    scratch = tempfile.mkdtemp(prefix="vsdesk-screenshots-")  # the settings only: removed as it ends
    try:
        return _shoot(args, queries, names, scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _shoot(args, queries: dict, names: dict, scratch: str) -> int:
    os.environ["VSDESK_CONFIG_DIR"] = f"{scratch}/config"
    from vsdesk.engine import paths

    os.environ["VSDESK_DATA_DIR"] = str(paths.cache_dir() / "screenshots-data")

    from PySide6.QtWidgets import QApplication

    from vsdesk.gui.main_window import MainWindow

    app = QApplication([sys.argv[0]])
    window = MainWindow(autostart=False)
    window.resize(*(int(v) for v in args.size.split("x")))
    window.show()
    args.out.mkdir(parents=True, exist_ok=True)
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    for mode in modes:  # queue every tab's model and catalog at once; the worker runs them in turn
        window.tab(mode).start()

    def pump(seconds: float, done) -> bool:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            app.processEvents()
            if done():
                return True
            time.sleep(0.01)
        return done()

    failures = 0
    for mode in modes:
        tab = window.tab(mode)
        window.tabs.setCurrentWidget(tab)
        started = time.monotonic()
        shown: list[int] = []
        tab.results_shown.connect(lambda: shown.append(1))
        tab.search_path(str(queries[mode]))
        ok = pump(args.timeout, lambda: bool(shown) and tab.map_xy is not None and not tab.runner.is_running(f"{mode}/map"))
        if tab.gallery.results.rowCount():
            tab.gallery.setCurrentIndex(tab.gallery.results.index(1))  # a picked result: ringed on the map
            tab.gallery.scrollToTop()
        if mode == "vae":
            ok = pump(60, lambda: tab.panel.map.has_grid()) and ok
            tab.decode_map_point(0.8, 1.6)
            pump(5, lambda: tab.panel.decoded_image.pixmap() is not None and not tab.panel.decoded_image.pixmap().isNull())
            tab.panel.map.mark((0.8, 1.6))
        pump(30, lambda: tab.cache.pending() == 0)
        pump(0.5, lambda: False)  # let the last repaints happen
        path = args.out / f"{names[mode]}.png"
        window.grab().save(str(path))
        if args.map_pages and tab.map_pages is not None:
            for page in range(1, tab.map_pages.count()):
                tab.map_pages.setCurrentIndex(page)
                pump(0.5, lambda: False)
                window.grab().save(str(args.out / f"{names[mode]}-page{page + 1}.png"))
            tab.map_pages.setCurrentIndex(0)
        message = tab.messages.text()
        print(f"{mode}: {tab.gallery.results.rowCount()} results, map {'ready' if tab.map_xy is not None else 'missing'}"
              f", {time.monotonic() - started:.0f} s -> {path}" + (f"\n  message: {message}" if message else ""))
        failures += 0 if ok and not (message and tab.messages.kind == "error") else 1
    window.close()
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
