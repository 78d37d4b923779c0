#!/usr/bin/env python3
"""How long the window's thread is kept busy when a big catalog is opened again (no query up).

The VAE tab shows catalog CATALOG (a folder of tens of thousands of images, indexed beforehand);
then, ROUNDS times, one image is added to (or taken out of) FOLDER and the catalog is opened
again, as after another process changed it. Said per round, on the GUI thread only: the time of
each call of ``browse_items``, ``GalleryView.set_items``, ``ScatterView.set_points`` and
``folder_count_words`` (those on a worker thread are not counted), and the longest gap of a
20 ms timer from the reopening until the catalog and its map are shown (what a user feels as a
frozen window). A random map is kept as the catalog's last one first: a t-SNE of 40,000 points
would take far too long here, and the map's refinement is not what is measured.

    HOME=/tmp/somewhere .venv/bin/vsdesk index --mode vae --catalog big40 FOLDER   # once
    HOME=/tmp/somewhere .venv/bin/python scripts/measure_big_catalog.py big40 FOLDER [--rounds 4]

FOLDER: a folder of the catalog; a file ``measure-added.png`` is written there and removed.
"""

from __future__ import annotations

import argparse
import collections
import cProfile
import os
import pstats
import shutil
import statistics
import sys
import threading
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
from PySide6.QtCore import QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

TIMED = ("browse_items", "set_items", "set_points", "folder_count_words")


def time_on_gui_thread(took: dict) -> None:
    """Every vsdesk module's reference to a ``TIMED`` function (or method) timed, when called on
    the GUI thread, into ``took[name]`` (ms)."""
    from vsdesk.gui import gallery, scatter

    def timed(name, real):
        def call(*args, **kwargs):
            if threading.current_thread() is not threading.main_thread():
                return real(*args, **kwargs)
            start = time.perf_counter()
            try:
                return real(*args, **kwargs)
            finally:
                took[name].append((time.perf_counter() - start) * 1000)
        return call

    gallery.GalleryView.set_items = timed("GalleryView.set_items", gallery.GalleryView.set_items)
    scatter.ScatterView.set_points = timed("ScatterView.set_points", scatter.ScatterView.set_points)
    for module in [m for name, m in sys.modules.items() if name.startswith("vsdesk.")]:
        for name in ("browse_items", "folder_count_words"):
            if callable(getattr(module, name, None)):
                setattr(module, name, timed(name, getattr(module, name)))


class StallSampler(threading.Thread):
    """While the GUI thread has not ticked for 50 ms, where it is, every 5 ms: the vsdesk and
    pyqtgraph lines on its stack, counted (``--stalls``)."""

    def __init__(self, ticks: list[float]):
        super().__init__(daemon=True)
        self.ticks, self.seen, self.running = ticks, collections.Counter(), True

    def run(self) -> None:
        main = threading.main_thread().ident
        while self.running:
            time.sleep(0.005)
            if self.ticks and time.perf_counter() - self.ticks[-1] > 0.05:
                frame, lines = sys._current_frames().get(main), []
                while frame is not None:
                    name = frame.f_code.co_filename
                    if "vsdesk" in name or "pyqtgraph" in name:
                        lines.append(f"{name.rsplit('/', 2)[-1]}:{frame.f_lineno} {frame.f_code.co_name}")
                    frame = frame.f_back
                self.seen[" < ".join(lines[:4])] += 1


def keep_random_map(name: str) -> None:
    """A random map kept as catalog ``name``'s last (its next opening starts from it)."""
    from vsdesk.engine import paths, projection
    from vsdesk.engine.catalog import Catalog

    (paths.cache_dir() / "projections").mkdir(parents=True, exist_ok=True)

    with Catalog.open(name) as catalog:
        indexed = catalog.indexed()
        xy = np.random.default_rng(0).normal(size=(len(indexed.vectors.paths), 2)).astype(np.float32)
        projection._save_last(catalog, indexed, xy, 30.0, 1000)  # (the window's perplexity and iterations)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("catalog")
    parser.add_argument("folder")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--stalls", action="store_true", help="where the GUI thread was during gaps over 50 ms")
    parser.add_argument("--profile", action="store_true", help="the GUI thread's 30 costliest calls over the rounds")
    args = parser.parse_args()
    app = QApplication([])
    added = os.path.join(args.folder, "measure-added.png")
    if os.path.exists(added):
        os.remove(added)
    sample = next(os.path.join(root, f) for root, _, files in os.walk(args.folder) for f in files if f.endswith(".png"))
    keep_random_map(args.catalog)

    from vsdesk.gui.main_window import MainWindow

    def wait(done, timeout=600.0):
        end = time.monotonic() + timeout
        while not done():
            app.processEvents()
            time.sleep(0.002)
            if time.monotonic() > end:
                raise TimeoutError

    took: dict[str, list[float]] = collections.defaultdict(list)
    win = MainWindow(autostart=False)
    time_on_gui_thread(took)
    win.resize(1400, 860)
    win.show()
    tab = win.tab("vae")
    win.tabs.setCurrentWidget(tab)
    tab.catalog_name = args.catalog
    tab.start()
    # (The catalog as its folder is now: a run stopped midway may have left it an image more.)
    wait(lambda: not tab.catalog.is_opening() and tab.map_xy is not None and len(tab.map_xy) == len(tab.snapshot)
         and not tab.runner.is_running("vae/map"))
    n = len(tab.snapshot)
    gaps_of_rounds, per_name = [], collections.defaultdict(list)
    profile = cProfile.Profile()
    if args.profile:
        profile.enable()
    for round_ in range(args.rounds):
        shutil.copy(sample, added) if round_ % 2 == 0 else os.remove(added)
        count = n + 1 if round_ % 2 == 0 else n
        ticks: list[float] = []
        timer = QTimer()
        timer.setInterval(20)
        timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
        took.clear()
        sampler = StallSampler(ticks)
        if args.stalls:
            sampler.start()
        ticks.append(time.perf_counter())
        timer.start()
        tab.open_catalog(args.catalog)
        wait(lambda: tab.map_xy is not None and len(tab.map_xy) == count)
        wait(lambda: not tab.catalog.is_opening() and not tab.runner.is_running("vae/map"))
        timer.stop()
        sampler.running = False
        for where, samples in sampler.seen.most_common(8):
            print(f"  stalled {samples * 5} ms at {where}")
        longest = float(np.diff(ticks).max() * 1000) if len(ticks) > 1 else float("nan")
        gaps_of_rounds.append(longest)
        for name, times in took.items():
            per_name[name] += times
        print(f"round {round_}: {count} images; longest gap {longest:.0f} ms; "
              + "; ".join(f"{name} {[round(t) for t in times]} ms" for name, times in sorted(took.items())), flush=True)
    profile.disable()
    if os.path.exists(added):
        os.remove(added)
    if args.profile:
        pstats.Stats(profile).sort_stats("cumulative").print_stats(30)
    print("over all rounds (ms, min / median / max):")
    for name, times in sorted(per_name.items()):
        print(f"  {name:28} {min(times):6.0f} {statistics.median(times):6.0f} {max(times):6.0f}  ({len(times)} calls)")
    print(f"  {'longest 20 ms timer gap':28} {min(gaps_of_rounds):6.0f} {statistics.median(gaps_of_rounds):6.0f} "
          f"{max(gaps_of_rounds):6.0f}  ({len(gaps_of_rounds)} reopenings)")
    win.close()


if __name__ == "__main__":
    main()
