"""Crash safety: SIGKILL a real indexing process midway; the next run completes the index with
no duplicates and no losses."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from conftest import CLOTHING_DIR, REPO
from test_catalog import HistogramEmbedder
from vsdesk.engine.catalog import Catalog, catalog_location, index_catalog

DRIVER = """
import sys
sys.path.insert(0, {tests!r})
from test_catalog import HistogramEmbedder
from vsdesk.engine.catalog import Catalog, index_catalog
catalog = Catalog.open_or_create("crash", "style", [{folder!r}])
index_catalog(catalog, HistogramEmbedder(), batch_size=8, workers=1)
print("finished")
"""


def _indexed_rows(db: Path) -> int:
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
        try:
            return conn.execute("SELECT COUNT(*) FROM files").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.Error:
        return 0


@pytest.mark.slow
def _kill_once_indexed(proc: subprocess.Popen, db: Path, rows: int, timeout: float) -> None:
    """SIGKILL ``proc`` as soon as its index holds ``rows`` files: no chance to clean up, like a
    power cut."""
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            if db.exists() and _indexed_rows(db) >= rows:
                break
            time.sleep(0.02)
        assert proc.poll() is None, f"indexing ended before it could be killed: {proc.communicate()[1][-2000:]}"
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_sigkill_midway_then_resume_is_complete_without_duplicates(tmp_path):
    folder = tmp_path / "photos"
    folder.mkdir()
    sources = sorted((CLOTHING_DIR / "images").glob("*.jpg"))[:400]
    for src in sources:
        shutil.copy(src, folder / src.name)
    (folder / "broken.jpg").write_bytes(b"\xff\xd8\xff not really")

    script = DRIVER.format(tests=str(REPO / "tests"), folder=str(folder))
    proc = subprocess.Popen([sys.executable, "-c", script], cwd=REPO, env=os.environ.copy(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    db = catalog_location("crash") / "index.sqlite"
    _kill_once_indexed(proc, db, rows=40, timeout=60)
    partial = _indexed_rows(db)
    assert 40 <= partial < 401, partial

    with Catalog.open("crash") as catalog:
        assert catalog.recovered is None  # WAL + transactions: a kill leaves a sound database
        assert catalog.unfinished  # and says it holds what was indexed so far
        report = index_catalog(catalog, HistogramEmbedder())
        assert not catalog.unfinished
        # committed work is kept, not redone (the committed rows may include broken.jpg's)
        assert report.unchanged in (partial, partial - 1)
        assert report.added + report.unchanged == 400 and report.indexed == 400
        paths, labels, matrix = catalog.vectors()
        assert len(paths) == len(set(paths)) == 400  # every image once; broken.jpg skipped
        assert {Path(p).name for p in paths} == {s.name for s in sources}
        assert [s.path for s in catalog.skipped()] == [str(folder / "broken.jpg")]
        rows = catalog.conn.execute("SELECT COUNT(*), COUNT(DISTINCT path) FROM files").fetchone()
        assert rows == (401, 401)
        assert catalog.conn.execute("SELECT COUNT(*) FROM vectors").fetchone()[0] == 400

    # The resumed index holds exactly what an uninterrupted run computes.
    with Catalog.create("clean", "style", [folder]) as clean:
        index_catalog(clean, HistogramEmbedder())
        clean_paths, _, clean_matrix = clean.vectors()
    assert clean_paths == paths
    assert np.array_equal(clean_matrix, matrix)


@pytest.mark.slow
def test_sigkill_of_the_index_command_with_the_vae_mode(tmp_path):
    """The same with the real command line and a real model: `vsdesk index --mode vae`."""
    from vsdesk.engine.modes import load_embedder

    folder = tmp_path / "photos"
    folder.mkdir()
    sources = sorted((CLOTHING_DIR / "images").glob("*.jpg"))[400:600]
    for src in sources:
        shutil.copy(src, folder / src.name)
    proc = subprocess.Popen(
        [sys.executable, "-m", "vsdesk", "index", "--mode", "vae", "--catalog", "crash", str(folder),
         "--batch-size", "8"],
        cwd=REPO, env=os.environ.copy(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    db = catalog_location("crash") / "index.sqlite"
    _kill_once_indexed(proc, db, rows=24, timeout=90)
    partial = _indexed_rows(db)
    assert 24 <= partial < 200, partial

    embedder = load_embedder("vae")
    with Catalog.open("crash") as catalog:
        report = index_catalog(catalog, embedder)
        assert report.unchanged == partial and report.added == 200 - partial
        paths, _, matrix = catalog.vectors()
        assert sorted(Path(p).name for p in paths) == sorted(s.name for s in sources)
        assert catalog.conn.execute("SELECT COUNT(*), COUNT(DISTINCT path) FROM files").fetchone() == (200, 200)
    # Spot-check against vectors computed directly: the kill left no half-written vector.
    probe = [paths[0], paths[partial // 2], paths[-1]]
    from vsdesk.engine.imageio import load_image

    direct = embedder.embed(np.stack([embedder.preprocess(load_image(p, min_size=embedder.decode_size))
                                      for p in probe]))
    stored = matrix[[0, partial // 2, len(paths) - 1]]
    assert np.allclose(direct, stored, atol=1e-4)
