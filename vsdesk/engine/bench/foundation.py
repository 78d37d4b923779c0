"""Foundation benchmarks: catalog indexing and exact search, each beside a naive baseline.

- Indexing throughput (images/s, decode included): vsdesk's pipeline (reduced-size JPEG decoding,
  a decode pool, batched ``embed``) against decoding each image at full size and embedding it
  alone, one after the other. Then a re-run on the unchanged folder against the first run.
  The mode is ``VSDESK_BENCH_MODE`` or the first of vae, product, style that loads.
- The window thread's longest wait while the first model loads TensorFlow on another thread: a
  Python thread that wakes every 5 ms (as the window's slots need the GIL) beside
  ``import tensorflow, keras``, with TensorFlow's libraries loaded first without the GIL
  (``native_preload``, as ``modes.load_embedder`` does) against a plain import; fresh
  interpreters, median of 3 runs each (quick: 1). Also from a cold page cache (not in quick):
  TensorFlow's libraries evicted before each run (``posix_fadvise``), as at a first start after
  a reboot. Not in the PyInstaller bundle: it has no interpreter to start.
- The window thread's longest wait while a 5,000-point t-SNE map (quick: 1,000, one stage) is computed
  beside it, the stages in a child process (``tsne_process``) against in this process (as
  before: scikit-learn holds the GIL most of the time); and the time to that finished map, both
  ways (the child's start-up is in it). The thread stands in for the window's, as above.
- Search latency for 10k / 100k / 1M stored random unit vectors (dimensions 1280 and 256): one
  exact top-10 query with ``search.top_k`` against a Python loop of per-vector dot products.
  (1M x 1280 floats would be 5 GB, so 1M is measured at 256 dimensions.) At 10k, also a query
  with its copy check (``query.rank_queries``) in the ranking's own pass, against a separate pass,
  and (10k x 1280) a query on a catalog holding 2,500 of its files twice, ranked until its first
  k files are whole, against ranking k + every duplicate row deep (as before).
- Loading a catalog of 100,000 entries (1280 dimensions) and 1,000,000 (256; quick: 10,000) as the
  window and `vsdesk search` do (``Catalog.indexed``), against the same query read through a plain
  SQLite connection: what reading paths whose names are not UTF-8 (``IndexConnection``) costs.
"""

from __future__ import annotations

import contextlib
import heapq
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Iterator

import numpy as np

from vsdesk.engine import paths

def run(record, quick: bool) -> None:
    _bench_load_stall(record, quick)  # first: before this process maps TensorFlow's libraries
    _bench_map_stall(record, quick)
    _bench_indexing(record, quick)
    _bench_search(record, quick)
    _bench_catalog_load(record, quick)


# -- indexing -------------------------------------------------------------------------------

def _load_embedder(quick: bool):
    from vsdesk.engine.modes import load_embedder

    wanted = os.environ.get("VSDESK_BENCH_MODE")
    problems = []
    for mode in [wanted] if wanted else ["vae", "product", "style"]:
        try:
            return load_embedder(mode)
        except Exception as exc:  # noqa: BLE001 - a mode not built yet, or its weights missing
            problems.append(f"{mode}: {exc}")
            print(f"indexing benchmark: the {mode} mode cannot be loaded ({exc})", file=sys.stderr)
    print("indexing benchmark skipped, no mode could be loaded: " + "; ".join(problems), file=sys.stderr)
    return None


def _source_images(n: int) -> list[Path]:
    from vsdesk.engine.imageio import is_image_name

    # The full Clothing Dataset beside the source checkout, else the shipped clothing sample.
    folder = paths.shared_data("clothing-dataset/images") or paths.resources_dir() / "samples" / "clothing"
    files = sorted(p for p in folder.iterdir() if is_image_name(p))
    return files[:n]


@contextlib.contextmanager
def _scratch_catalogs() -> Iterator[Path]:
    """Bench catalogs live in a temporary data dir, never among the user's catalogs."""
    old = os.environ.get(paths.ENV_DATA)
    with tempfile.TemporaryDirectory(prefix="vsdesk-bench-") as tmp:
        os.environ[paths.ENV_DATA] = tmp
        try:
            yield Path(tmp)
        finally:
            if old is None:
                os.environ.pop(paths.ENV_DATA, None)
            else:
                os.environ[paths.ENV_DATA] = old


def _bench_indexing(record, quick: bool) -> None:
    from vsdesk.engine.catalog import Catalog, index_catalog
    from vsdesk.engine.imageio import load_image

    embedder = _load_embedder(quick)
    if embedder is None:
        return
    # Sizes that keep the section to a minute or two: the VAE is cheap, VGG16/EfficientNet
    # are not. The naive baseline is a rate, measured on a prefix of the same images.
    n = 32 if quick else (400 if embedder.mode == "vae" else 64)
    images = _source_images(n)
    n = len(images)
    n_naive = min(n, 16 if quick else (100 if embedder.mode == "vae" else 24))
    batch = 32
    # Warm up both code paths (graph tracing for a batch of 32 and of 1 is not what we measure).
    probe = embedder.preprocess(load_image(images[0], min_size=embedder.decode_size))
    embedder.embed(np.stack([probe] * batch))
    embedder.embed(np.stack([probe]))

    with _scratch_catalogs() as tmp:
        folder = tmp / "images"
        folder.mkdir()
        for src in images:
            shutil.copy(src, folder / src.name)

        start = time.perf_counter()
        for path in sorted(folder.iterdir())[:n_naive]:  # naive: full-size decode, one image per call
            array = embedder.preprocess(load_image(path))
            embedder.embed(np.stack([array]))
        naive = time.perf_counter() - start

        catalog = Catalog.create("bench", embedder.mode, [folder])
        first = index_catalog(catalog, embedder, batch_size=batch)
        again = index_catalog(catalog, embedder, batch_size=batch)
        catalog.close()
    assert first.indexed == n and again.unchanged == n, (first.summary(), again.summary())
    record(f"indexing throughput, {embedder.mode} mode ({n} photos)", n / first.seconds, "images/s",
           n_naive / naive)
    record(f"index re-run, unchanged ({n} photos)", again.seconds, "s", first.seconds)


# -- search ---------------------------------------------------------------------------------

def _unit_vectors(n: int, dim: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    out = np.empty((n, dim), np.float32)
    step = 100_000
    for i in range(0, n, step):  # in chunks: float64 temporaries for 1M x dim would double memory
        block = rng.standard_normal((min(step, n - i), dim), dtype=np.float32)
        out[i : i + step] = block / np.linalg.norm(block, axis=1, keepdims=True)
    return out


def _naive_top_k(matrix: np.ndarray, query: np.ndarray, k: int) -> list[int]:
    scores = [float(np.dot(row, query)) for row in matrix]
    return heapq.nlargest(k, range(len(scores)), key=scores.__getitem__)


def _bench_search(record, quick: bool) -> None:
    from vsdesk.engine.search import top_k

    sizes = [(10_000, 256), (10_000, 1280)] if quick else [
        (10_000, 1280), (100_000, 1280), (10_000, 256), (100_000, 256), (1_000_000, 256)]
    k = 10
    for n, dim in sizes:
        matrix = _unit_vectors(n, dim, seed=n + dim)
        query = _unit_vectors(1, dim, seed=1)[0]
        reps = 3 if n >= 1_000_000 else (5 if n >= 100_000 else 20)
        top_k(matrix, query, k)  # warm caches
        times = []
        for _ in range(reps):
            start = time.perf_counter()
            hits = top_k(matrix, query, k)[0]
            times.append(time.perf_counter() - start)
        fast = statistics.median(times)
        start = time.perf_counter()
        naive_hits = _naive_top_k(matrix, query, k)
        naive = time.perf_counter() - start
        assert [h.index for h in hits] == naive_hits, "top_k disagrees with the naive loop"
        record(f"search latency, {n:,} x {dim} vectors, top-{k}", fast * 1000, "ms", naive * 1000)
        if n == 10_000:
            _bench_copy_check(record, matrix, k)
        if (n, dim) == (10_000, 1280):
            _bench_identical_files(record, matrix, k)
        if (n, dim) == (100_000, 256) or (quick and n == 10_000 and dim == 256):
            queries = _unit_vectors(64, dim, seed=2)
            batch_times = []
            for _ in range(3):
                start = time.perf_counter()
                top_k(matrix, queries, k)
                batch_times.append((time.perf_counter() - start) / len(queries))
            batch = statistics.median(batch_times)
            # Its baseline is vsdesk's own single query, not a naive one: said, so that a ratio
            # below 1 (a batch no quicker per query on a busy machine) is not read as a regression.
            record(f"batch of 64 queries, {n:,} x {dim}, per query (baseline: one query at a time)", batch * 1000,
                   "ms", fast * 1000)
        del matrix


def _bench_copy_check(record, matrix: np.ndarray, k: int) -> None:
    """A query's ranking with its copy check (``query.rank_queries`` without expansion): copies
    found in the ranking's own pass against the check's own second pass over the catalog, as
    before. The query is a catalog item's vector (a pasted copy of it). Alternated, so both see
    the same state of the machine."""
    from vsdesk.engine.query import SAME_VECTOR_COSINE, same_vector_rows
    from vsdesk.engine.search import search_catalog

    vectors = ([""] * len(matrix), [None] * len(matrix), matrix)
    query = matrix[len(matrix) // 2]
    runs: dict[str, list[float]] = {"one pass": [], "two passes": []}
    for _ in range(20):
        start = time.perf_counter()
        one = search_catalog(vectors, query, k, copies_from=SAME_VECTOR_COSINE)
        runs["one pass"].append(time.perf_counter() - start)
        start = time.perf_counter()
        two = search_catalog(vectors, query, k, copies=same_vector_rows(matrix, query))
        runs["two passes"].append(time.perf_counter() - start)
    assert one == two and one[0].left_out == two[0].left_out == 1, "the one-pass copy check changed the results"
    n, dim = matrix.shape
    record(f"query with its copy check in one pass, {n:,} x {dim}",
           statistics.median(runs["one pass"]) * 1000, "ms", statistics.median(runs["two passes"]) * 1000)


def _bench_identical_files(record, matrix: np.ndarray, k: int) -> None:
    """A query on a catalog whose last 2,500 rows hold its first 2,500 files again (a backup
    folder: the same content hash, the same vector), by ``query.rank_queries`` (ranked until its
    first k files are whole) against ranking k + all 2,500 duplicate rows deep and then folding
    (as before). Alternated, so both see the same state of the machine."""
    from vsdesk.engine.query import SAME_VECTOR_COSINE, count_files, fold_identical, rank_queries
    from vsdesk.engine.search import search_catalog

    n, dim = matrix.shape
    copies = 2_500
    matrix = matrix.copy()
    matrix[n - copies :] = matrix[:copies]
    hashes = [f"{i % (n - copies):064x}" for i in range(n)]
    paths = [f"/nonexistent/photos/{i}.jpg" if i < n - copies else f"/nonexistent/backup/{i - n + copies}.jpg"
             for i in range(n)]
    vectors = (paths, [None] * n, matrix)
    # a photo of one of the files held twice: its neighbours are among them as well as not
    rng = np.random.default_rng(3)
    query = matrix[7] + 0.02 * rng.standard_normal(dim).astype(np.float32)
    query = (query / np.linalg.norm(query))[None, :]
    runs: dict[str, list[float]] = {"whole files": [], "k + every copy deep": []}
    for _ in range(20):
        start = time.perf_counter()
        [new] = rank_queries(None, vectors, hashes, query, k, sources=[None], query_hashes=[None])
        runs["whole files"].append(time.perf_counter() - start)
        start = time.perf_counter()
        [old] = search_catalog(vectors, query, k + copies, query_paths=[None], query_hashes=[None],
                               catalog_hashes=hashes, copies_from=SAME_VECTOR_COSINE)
        fold_identical(old, hashes, k)
        old.left_out = count_files(old.own, hashes)
        runs["k + every copy deep"].append(time.perf_counter() - start)
    assert new == old and new.also == old.also and new.also, "ranking until whole files changed the results"
    record(f"query on a catalog holding {copies:,} files twice, {n:,} x {dim}",
           statistics.median(runs["whole files"]) * 1000, "ms", statistics.median(runs["k + every copy deep"]) * 1000)


# -- loading a big catalog -------------------------------------------------------------------

def _bench_catalog_load(record, quick: bool) -> None:
    import sqlite3

    from vsdesk.engine.catalog import Catalog

    for n, dim in [(10_000, 1280)] if quick else [(100_000, 1280), (1_000_000, 256)]:
        with _scratch_catalogs() as tmp:
            catalog = Catalog.create("bench", "product", [str(tmp)])
            index = catalog.index_path
            catalog.close()
            _fill_index(index, n, dim)
            sql = ("SELECT f.path, f.label, f.sha256, v.vector FROM files f JOIN vectors v ON v.sha256 = f.sha256 "
                   "AND v.key = ? WHERE f.status = 'ok' ORDER BY f.path")
            runs: dict[str, list[float]] = {"vsdesk": [], "plain": []}
            for _ in range(1 if n >= 1_000_000 else 3):  # alternated: both see the same machine
                start = time.perf_counter()
                with Catalog.open("bench") as catalog:
                    assert len(catalog.indexed().vectors.paths) == n
                runs["vsdesk"].append(time.perf_counter() - start)
                start = time.perf_counter()
                conn = sqlite3.connect(index)
                rows = conn.execute(sql, (_SYNTHETIC_KEY,)).fetchall()
                np.frombuffer(b"".join(r[3] for r in rows), dtype="<f4").reshape(n, dim).astype(np.float32)
                [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows]
                conn.close()
                runs["plain"].append(time.perf_counter() - start)
                del rows
        record(f"catalog load, {n:,} entries x {dim} (baseline: its query through plain sqlite3)",
               statistics.median(runs["vsdesk"]), "s", statistics.median(runs["plain"]))


_SYNTHETIC_KEY = "product:bench-synthetic"


def _fill_index(index: Path, n: int, dim: int) -> None:
    """``n`` synthetic entries (paths in 1,000-file folders, a label, random unit vectors)."""
    import sqlite3

    root = str(index.parent)
    conn = sqlite3.connect(index)
    with conn:
        conn.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)",
                         [("embedder_key", _SYNTHETIC_KEY), ("dim", str(dim)), ("mode", "product")])
        step = 50_000
        for start in range(0, n, step):
            vectors = _unit_vectors(min(step, n - start), dim, seed=start)
            rows = [(f"{root}/d{i // 1000:04d}/photo-{i:07d}.jpg", root, 100_000 + i, 1_700_000_000 * 10**9 + i,
                     f"{i:064x}", ("Shirt", "Pants", "Shoes")[i % 3]) for i in range(start, start + len(vectors))]
            conn.executemany("INSERT INTO files VALUES (?, ?, ?, ?, ?, ?, 'ok', NULL, NULL)", rows)
            conn.executemany("INSERT INTO vectors VALUES (?, ?, ?)",
                             ((row[4], _SYNTHETIC_KEY, vector.astype("<f4").tobytes())
                              for row, vector in zip(rows, vectors)))
    conn.close()


# -- the window's thread while a map is computed -----------------------------------------------

def _bench_map_stall(record, quick: bool) -> None:
    from vsdesk.engine.projection import project

    n, iterations = (1000, 250) if quick else (5000, 1000)
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(20, 128)) * 3
    vectors = (centres[rng.integers(0, 20, n)] + rng.normal(size=(n, 128))).astype(np.float32)
    found = {}
    for where, in_child in (("here", False), ("child", True)):
        with _heartbeat() as gaps:
            start = time.perf_counter()
            xy = project(vectors, iterations=iterations, in_child=in_child)
            found[where] = (time.perf_counter() - start, max(gaps, default=0.0),
                            float(np.percentile(gaps, 99)) if gaps else 0.0, xy)
    if not np.array_equal(found["here"][3], found["child"][3]):
        print("map benchmark: the child's map differs from this process's", file=sys.stderr)
    record(f"longest window-thread stall while a {n:,}-point map is computed", found["child"][1] * 1000, "ms",
           found["here"][1] * 1000)
    # On a busy machine the longest stall is the system's as much as the GIL's: the wake-ups'
    # 99th percentile says how the window's thread fares most of the time.
    record(f"99th-percentile window-thread wait while a {n:,}-point map is computed", found["child"][2] * 1000, "ms",
           found["here"][2] * 1000)
    record(f"time to a {n:,}-point map ({iterations:,} iterations)", found["child"][0], "s", found["here"][0])


@contextlib.contextmanager
def _heartbeat() -> Iterator[list[float]]:
    """A thread that wakes every 5 ms (as the window's slots need the GIL), recording how late
    each wake-up came, as long as the block runs."""
    import threading

    gaps: list[float] = []
    stop = threading.Event()

    def beat() -> None:
        last = time.perf_counter()
        while not stop.is_set():
            time.sleep(0.005)
            now = time.perf_counter()
            gaps.append(now - last - 0.005)
            last = now

    thread = threading.Thread(target=beat, daemon=True)
    thread.start()
    try:
        yield gaps
    finally:
        stop.set()
        thread.join()


# -- the window's thread while TensorFlow loads ----------------------------------------------

#: Starts a thread that wakes every 5 ms, standing in for the window's thread, and records in
#: ``gaps`` how late each wake-up came (a script then sets ``stop`` and prints ``max(gaps)``).
HEARTBEAT = r"""
import sys, threading, time
gaps, stop = [], False
def beat():
    last = time.perf_counter()
    while not stop:
        time.sleep(0.005)
        now = time.perf_counter()
        gaps.append(now - last - 0.005)
        last = now
threading.Thread(target=beat, daemon=True).start()
"""

_STALL_SCRIPT = HEARTBEAT + r"""
time.sleep(0.05)
if sys.argv[1] == "preload":
    from vsdesk.engine.native_preload import preload_tensorflow
    preload_tensorflow()
import tensorflow, keras
stop = True
print(max(gaps))
"""


def _bench_load_stall(record, quick: bool) -> None:
    if sys.platform != "linux":
        return  # the preload is Linux-only
    if getattr(sys, "frozen", False):  # (the bundle's sys.executable is vsdesk, which takes no -c)
        print("load-stall benchmark skipped: it starts a Python interpreter of its own, "
              "which the bundle does not have", file=sys.stderr)
        return
    for cold in (False,) if quick else (False, True):
        runs = _load_stalls(1 if quick else 3, cold)
        if runs is None:
            return
        record(f"longest window-thread stall while TensorFlow loads{' (cold cache)' if cold else ''}",
               statistics.median(runs["preload"]) * 1000, "ms", statistics.median(runs["plain"]) * 1000)


def _load_stalls(repeats: int, cold: bool) -> dict[str, list[float]] | None:
    import importlib.util
    import subprocess

    spec = importlib.util.find_spec("tensorflow")
    libraries = sorted(Path(spec.origin).parent.rglob("*.so*")) if spec and spec.origin else []
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    runs: dict[str, list[float]] = {"preload": [], "plain": []}
    for _ in range(repeats):
        for variant in runs:  # alternated, so both see the same state of the machine
            if cold:
                _evict(libraries)
            done = subprocess.run([sys.executable, "-c", _STALL_SCRIPT, variant], capture_output=True, text=True,
                                  env=env, timeout=600)
            if done.returncode != 0:
                print(f"load-stall benchmark skipped: {done.stderr.strip()[-300:]}", file=sys.stderr)
                return None
            runs[variant].append(float(done.stdout.strip().splitlines()[-1]))
    return runs


def _evict(files: list[Path]) -> None:
    """Drop the files' pages from the page cache (pages a process has mapped stay)."""
    for path in files:
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError:
            continue
        try:
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)
