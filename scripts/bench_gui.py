#!/usr/bin/env python3
"""GUI speed figures, each beside a baseline measured in the same run.

- window start: ``MainWindow`` constructed and painted for the first time, in a fresh process, against a
  bare QMainWindow in a fresh process (the cost of Python + Qt alone);
- t-SNE map with 100,000 points: a progressive update (points move) against pyqtgraph's
  ``setData`` rebuild of the same items; one repaint and one pan step of the 100k-point view;
- picking the point under the mouse among 100,000;
- with ``--stalls``: the longest gap of a 20 ms GUI timer while a worker loads TensorFlow and
  the VAE model, and while it computes a t-SNE map of 2,000 vectors (baseline: the timer's
  own 20 ms period).

    .venv/bin/python scripts/bench_gui.py [--json] [--stalls]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

START_WINDOW = """
import time; t = time.perf_counter()
from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QApplication
app = QApplication([])
painted = []

class FirstPaint(QObject):
    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.Paint and not painted:
            painted.append(time.perf_counter() - t)
        return False

{body}
spy = FirstPaint()
w.installEventFilter(spy)
w.show()
while not painted:
    app.processEvents()
print(painted[0])
w.close() if hasattr(w, "runner") else None
"""
BARE = "from PySide6.QtWidgets import QMainWindow\nw = QMainWindow()"
VSDESK = "from vsdesk.gui.main_window import MainWindow\nw = MainWindow(autostart=False)"


def fresh_process_seconds(body: str, repeats: int = 3) -> float:
    times = []
    env = dict(os.environ, VSDESK_CONFIG_DIR=os.environ.get("VSDESK_CONFIG_DIR", "/tmp/vsdesk-bench-config"))
    for _ in range(repeats):
        out = subprocess.run([sys.executable, "-c", START_WINDOW.format(body=body)], capture_output=True, text=True,
                             env=env, check=True)
        times.append(float(out.stdout.strip().splitlines()[-1]))
    return min(times)


def best_of(fn, repeats: int = 5) -> float:
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def record(name, value, unit, baseline):
    return {"name": name, "value": round(value, 4), "unit": unit, "baseline": round(baseline, 4),
            "ratio": round(baseline / value, 2) if value else None}


def longest_gap(app, work) -> float:
    """Run ``work(ctx)`` on a worker thread; the longest gap between ticks of a 20 ms timer."""
    import numpy as np
    from PySide6.QtCore import QTimer

    from vsdesk.gui.worker import TaskRunner

    runner = TaskRunner(("tf",))
    ticks: list[float] = []
    done: list[bool] = []
    timer = QTimer()
    timer.setInterval(20)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    timer.start()
    runner.submit("bench", work, on_done=lambda _: done.append(True), on_error=lambda e: done.append(False))
    while not done:
        app.processEvents()
        time.sleep(0.002)
    timer.stop()
    runner.shutdown()
    return float(np.diff(ticks).max()) if len(ticks) > 1 else 0.0


def stall_records(app) -> list[dict]:
    import numpy as np

    from vsdesk.engine.projection import project
    from vsdesk.engine.session import ModeSession

    vectors = np.random.default_rng(0).normal(size=(2000, 64)).astype(np.float32)
    return [
        record("GUI stall while TensorFlow + VAE load", longest_gap(app, lambda ctx: ModeSession("vae").load()),
               "s", 0.020),
        record("GUI stall during t-SNE of 2,000 points", longest_gap(app, lambda ctx: project(vectors)), "s", 0.020),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--stalls", action="store_true", help="also time GUI stalls during model loading and t-SNE")
    args = parser.parse_args()

    import numpy as np
    from PySide6.QtWidgets import QApplication

    from vsdesk.gui.scatter import ScatterView
    from vsdesk.gui.thumbnails import ThumbnailCache

    records = []
    bare, full = fresh_process_seconds(BARE), fresh_process_seconds(VSDESK)
    records.append(record("window shown (fresh process)", full, "s", bare))

    app = QApplication.instance() or QApplication([])
    view = ScatterView(ThumbnailCache())
    view.resize(700, 600)
    view.show()
    rng = np.random.default_rng(0)
    n = 100_000
    labels = rng.integers(0, 10, n)
    names = [f"class {i}" for i in range(10)]
    xy = rng.normal(size=(n, 2)).astype(np.float32) * 30
    view.set_points(xy, labels, names)
    app.processEvents()
    moved = xy + rng.normal(size=xy.shape).astype(np.float32)
    update = best_of(lambda: view.set_points(moved, labels, names))
    members = [np.flatnonzero(labels == k) for k in range(10)]
    rebuild = best_of(lambda: [item.setData(pos=moved[m], data=m) for item, m in zip(view._groups, members)])
    records.append(record("t-SNE step, 100k points moved", update, "s", rebuild))
    repaint = best_of(lambda: view.plot.grab())
    records.append(record("map repaint, 100k points", repaint, "s", repaint))
    vb = view.view

    def pan():
        vb.translateBy(x=1.0)
        view.plot.grab()

    records.append(record("map pan step + repaint, 100k points", best_of(pan), "s", repaint))
    centre = view.scene_pos_of(0)
    pick = best_of(lambda: view.index_at(centre), repeats=20)
    records.append(record("pick the point under the mouse, 100k", pick, "s", pick))

    if args.stalls:
        records.extend(stall_records(app))

    if args.json:
        json.dump(records, sys.stdout, indent=2)
        print()
    else:
        for r in records:
            print(f"{r['name']:<40} {r['value']:>9.4f} {r['unit']}   baseline {r['baseline']:.4f}   ratio {r['ratio']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
