#!/usr/bin/env python3
"""GUI speed figures, each beside a baseline measured in the same run.

- window start: ``MainWindow`` constructed and painted for the first time, in a fresh process, against a
  bare QMainWindow in a fresh process (the cost of Python + Qt alone);
- t-SNE map with 100,000 points: a progressive update (points move) against pyqtgraph's
  ``setData`` rebuild of the same items; one repaint and one pan step of the 100k-point view;
- picking the point under the mouse among 100,000.

    .venv/bin/python scripts/bench_gui.py [--json]
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    import numpy as np
    from PySide6.QtCore import QPointF
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

    if args.json:
        json.dump(records, sys.stdout, indent=2)
        print()
    else:
        for r in records:
            print(f"{r['name']:<40} {r['value']:>9.4f} {r['unit']}   baseline {r['baseline']:.4f}   ratio {r['ratio']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
