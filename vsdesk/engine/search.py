"""Exact cosine top-k over a catalog's vectors.

Vectors are L2-normalised, so cosine similarity is a dot product: one float32 matrix product per
block of queries, then ``argpartition`` picks the k best in linear time and only those k are
sorted. Ties are broken by row index (the catalog's path order), including ties at the k-th
place, so the same query always gives the same ranking. A query that is itself a catalog item
(same path or identical content) is left out of its own results.

    hits = top_k(matrix, queries, k=10, exclude=[{3}, set()])   # -> [[Hit(index, score), ...], ...]
    rows = catalog.indexed()                                     # vectors and hashes of one version
    results = search_catalog(rows.vectors, query_vectors, k, query_paths=[...],
                             query_hashes=[...], catalog_hashes=rows.hashes)
    results[0].left_out                  # catalog items left out as query 0 itself (copies of it)
"""

from __future__ import annotations

import os
from typing import Callable, Iterable, Iterator, NamedTuple, Sequence

import numpy as np

from vsdesk.engine.files import sha256_file

#: Upper bound on the (queries x items) score block held at once (bytes).
_BLOCK_BYTES = 256 * 1024 * 1024


class Hit(NamedTuple):
    index: int
    score: float


class Result(NamedTuple):
    path: str
    score: float
    label: str | None
    index: int


class Deepen(NamedTuple):
    """How ``rank`` ranks when fewer than its ``k`` rows may do (``query.rank_queries``: k files
    when a file may be held by several rows): ``first`` rows deep, then twice as deep each time, at
    most ``k``, until ``enough(hits, left_out)`` (the rows left out: never ranked) says the hits
    are enough. Any depth's hits are the first of the ``k``-deep ranking (one order: score, then
    index), so the hits are those ``k`` rows would begin with."""

    first: int
    enough: Callable[[list[Hit], set[int]], bool]


class Results(list):
    """A query's results (``Result``, best first), with ``left_out``: how many catalog items
    were left out as the query itself (its own file, copies of it), and ``own``: which rows
    (the query's point on a map). A search that finds nothing else says so, instead of an
    empty list that explains nothing."""

    def __init__(self, results: Iterable[Result] = (), left_out: int = 0, own: Iterable[int] = (),
                 nothing_to_compare: str | None = None, weak_match: bool | None = False):
        super().__init__(results)
        self.left_out = left_out
        self.own = frozenset(own)
        #: Why the query was not compared at all (``query.rank_queries``), or None.
        self.nothing_to_compare = nothing_to_compare
        #: Even the best result scores below most true matches (``query.rank_queries``, the
        #: embedder's ``weak_match_below``): a warning; the best may still be right. None where
        #: there is no measured threshold to tell (``query.rank_queries``).
        self.weak_match = weak_match
        #: The files left out (``own``), each with how it is the query (``query.copies_left_out``).
        self.copies: list = []
        #: Result row -> the other paths of the same file (the same bytes: a backup, a link), shown
        #: once (``query.fold_identical``).
        self.also: dict[int, list[str]] = {}
        #: The rows of those paths, in the same order (their points on the catalog's map).
        self.also_rows: dict[int, list[int]] = {}
        #: Result row -> the other files of the same picture (a PNG export, a re-saved JPEG:
        #: other bytes), ranked below it and shown as this result (``query.fold_same_pictures``).
        self.same_picture: dict[int, list[str]] = {}
        #: Their rows, in the same order.
        self.same_picture_rows: dict[int, list[int]] = {}
        #: The rows of ``own`` left out as the same picture as the query in other bytes
        #: (``query.leave_out_query_copies``).
        self.own_pictures: set[int] = set()


def top_k(
    matrix: np.ndarray,
    queries: np.ndarray,
    k: int,
    exclude: Sequence[Iterable[int] | None] | None = None,
) -> list[list[Hit]]:
    """The ``k`` rows of ``matrix`` (n, d) most similar to each row of ``queries`` (q, d) or to
    a single query (d,). ``exclude[i]`` lists row indices left out for query i. Scores are
    float32 cosine similarities (inputs are expected L2-normalised), best first; ties by index."""
    return rank(matrix, queries, k, exclude)[0]


def rank(
    matrix: np.ndarray,
    queries: np.ndarray,
    k: int,
    exclude: Sequence[Iterable[int] | None] | None = None,
    copies_from: float | None = None,
    deepen: Deepen | None = None,
) -> tuple[list[list[Hit]], list[set[int]]]:
    """``top_k``'s hits, and for each query the rows scoring at least ``copies_from`` against it
    (None: none), left out of its hits as ``exclude`` is: copies of the query known by their
    vector (``query.same_vector_rows``). Both come from one pass over the scores, where a
    separate copy check would score the whole catalog a second time per query. ``deepen``: each
    query's hits only as many of the ``k`` as it needs (``Deepen``)."""
    matrix = np.asarray(matrix, dtype=np.float32)
    queries = np.asarray(queries, dtype=np.float32)
    if queries.ndim == 1:
        queries = queries[None, :]
    n = matrix.shape[0]
    if queries.shape[0] and n and queries.shape[1] != matrix.shape[1]:
        raise ValueError(f"query vectors have {queries.shape[1]} dimensions, the catalog {matrix.shape[1]}")
    if exclude is not None and len(exclude) != len(queries):
        raise ValueError("exclude needs one entry per query")
    if n == 0 or (k <= 0 and copies_from is None):
        return [[] for _ in range(len(queries))], [set() for _ in range(len(queries))]
    hits: list[list[Hit]] = []
    copies: list[set[int]] = []
    for start, scores in score_blocks(matrix, queries):
        for j, row in enumerate(scores):
            skip = exclude[start + j] if exclude is not None else None
            same = set(np.flatnonzero(row >= copies_from).tolist()) if copies_from is not None else set()
            if same:
                skip = same if skip is None else same.union(skip)
            hits.append(_best(row, k, skip) if deepen is None else _best_deepened(row, k, skip, deepen))
            copies.append(same)
    return hits, copies


def score_blocks(matrix: np.ndarray, queries: np.ndarray,
                 budget: int = _BLOCK_BYTES) -> Iterator[tuple[int, np.ndarray]]:
    """The cosine scores of ``queries`` (q, d) against every row of ``matrix`` (n, d), float32,
    by blocks of queries holding at most ``budget`` bytes of scores: (first query's index, (b, n))."""
    block = max(1, budget // (4 * max(1, matrix.shape[0])))
    for start in range(0, len(queries), block):
        q = queries[start : start + block]
        # A few queries (an interactive search): NumPy's own loop, not BLAS. The product is
        # memory-bound, and OpenBLAS's threads only add waiting on a busy 2-core machine
        # (10k x 1280: 11 ms instead of 20 ms); batches are where BLAS pays.
        yield start, (np.einsum("ij,qj->qi", matrix, q) if len(q) <= 8 else q @ matrix.T)


def _best_deepened(row: np.ndarray, k: int, skip: set[int] | None, deepen: Deepen) -> list[Hit]:
    """The first of ``_best(row, k, skip)``'s hits, as many as ``deepen.enough`` needs: building
    thousands of hits costs more than the scores (10k x 1280: ranking 2,510 rows deep doubled a
    query's time) when a few dozen are enough."""
    depth = max(1, min(k, deepen.first))
    while True:
        hits = _best(row, depth, skip)
        # Fewer hits than asked: none are left to rank.
        if depth >= k or len(hits) < depth or deepen.enough(hits, skip if skip is not None else set()):
            return hits
        depth = min(k, 2 * depth)


def _best(row: np.ndarray, k: int, skip: Iterable[int] | None) -> list[Hit]:
    skip_idx = np.fromiter(skip, dtype=np.int64) if skip is not None else np.empty(0, np.int64)
    if skip_idx.size:
        row = row.copy()
        row[skip_idx] = -np.inf
    available = row.shape[0] - np.unique(skip_idx).size
    k = min(k, available)
    if k <= 0:
        return []
    if k < row.shape[0]:
        part = np.argpartition(-row, k - 1)[:k]
        # Every row scoring as well as the k-th best is a candidate, so a tie at the boundary is
        # decided by index, not by argpartition's arbitrary choice.
        threshold = row[part].min()
        candidates = np.flatnonzero(row >= threshold)
    else:
        candidates = np.arange(row.shape[0])
    order = np.lexsort((candidates, -row[candidates]))[:k]  # score desc, then index asc
    chosen = candidates[order]
    return [Hit(int(i), float(row[i])) for i in chosen if np.isfinite(row[i])]


def file_sha256(path: str | os.PathLike) -> str | None:
    """Content hash of a query file (to recognise a catalog item under another name), or None."""
    try:
        return sha256_file(path)
    except OSError:
        return None


def own_rows(
    paths: Sequence[str],
    hashes: Sequence[str] | None,
    query_path: str | os.PathLike | None,
    query_hash: str | None,
) -> set[int]:
    """The catalog rows that are the query itself, never its own result: the same file (a
    catalog's paths are absolute) or a copy of it under another name (the same content hash).
    Two scans, a few ms per 100,000 rows: cheaper than building lookups for one query."""
    rows: set[int] = set()
    if query_path is not None:
        wanted = os.path.abspath(os.fspath(query_path))
        rows.update(i for i, p in enumerate(paths) if p == wanted)
    if query_hash is not None and hashes:
        rows.update(i for i, h in enumerate(hashes) if h == query_hash)
    return rows


def search_catalog(
    vectors,
    queries: np.ndarray,
    k: int = 10,
    *,
    query_paths: Sequence[str | None] | None = None,
    query_hashes: Sequence[str | None] | None = None,
    catalog_hashes: Sequence[str] | None = None,
    expansion=None,
    also_exclude: Sequence[Iterable[int]] | None = None,
    copies: Sequence[Iterable[int]] | None = None,
    copies_from: float | None = None,
    deepen: Deepen | None = None,
) -> list[list[Result]]:
    """Top-k over a ``VectorSet`` (``catalog.vectors()``), leaving out each query's own item:
    the row with the same path (``query_paths``) or the same content (``query_hashes`` against
    ``catalog_hashes``, i.e. ``catalog.hashes()``) and the rows in ``copies[i]`` (known to be
    the query otherwise: ``query.same_vector_rows``) or scoring at least ``copies_from``
    against it (copies known by their vector, found in the ranking's own pass: ``rank``),
    counted in each ``Results.left_out``, and the rows in ``also_exclude[i]`` (e.g. items of
    another product type). ``expansion`` (an object with ``n``, ``database_n`` and ``alpha``,
    e.g. the style embedder's ``query_expansion``) applies
    ``expand`` first; scores are then against the augmented rows. ``deepen``: each query's
    results only as many of the ``k`` as it needs (``Deepen``)."""
    paths, labels, matrix = vectors
    queries = np.atleast_2d(np.asarray(queries, dtype=np.float32))
    own = [own_rows(paths, catalog_hashes,
                    query_paths[q] if query_paths is not None else None,
                    query_hashes[q] if query_hashes is not None else None) for q in range(len(queries))]
    if copies is not None:
        own = [skip | set(copies[q]) for q, skip in enumerate(own)]
    if expansion is not None and copies_from is not None:
        # Expansion ranks other vectors than the query's own: its copies need a pass of their own.
        own = [skip | same for skip, same in zip(own, rank(matrix, queries, 0, copies_from=copies_from)[1])]
        copies_from = None
    exclude = [skip | set(also_exclude[q]) if also_exclude is not None else skip for q, skip in enumerate(own)]
    if expansion is not None:
        matrix, queries = expand(matrix, queries, expansion, exclude)
    hits, same = rank(matrix, queries, k, exclude, copies_from, deepen)
    own = [skip | found for skip, found in zip(own, same)]
    return [Results((Result(paths[h.index], h.score, labels[h.index], h.index) for h in row), len(skip), skip)
            for row, skip in zip(hits, own)]


def expand_queries(
    matrix: np.ndarray,
    queries: np.ndarray,
    n: int,
    alpha: float = 3.0,
    exclude: Sequence[Iterable[int] | None] | None = None,
) -> np.ndarray:
    """alpha-weighted average query expansion (Chum et al. 2007; Radenovic et al. 2018, "αQE"):
    each query becomes the L2-normalised sum of itself and its ``n`` best rows of ``matrix``
    (``exclude`` as in ``top_k``), row i weighted by max(cosine_i, 0) ** alpha, to be searched
    again. Returns float32 (q, d), or (d,) for a single (d,) query."""
    single = np.asarray(queries).ndim == 1
    q = np.atleast_2d(np.asarray(queries, dtype=np.float32))
    q = q / np.maximum(np.linalg.norm(q, axis=1, keepdims=True), 1e-12)  # weights are cosines
    matrix = np.asarray(matrix, dtype=np.float32)
    out = q.astype(np.float64)
    for i, hits in enumerate(top_k(matrix, q, n, exclude)):
        for hit in hits:
            out[i] += max(hit.score, 0.0) ** alpha * matrix[hit.index]
    out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)
    out = out.astype(np.float32)
    return out[0] if single else out


def augment_database(matrix: np.ndarray, n: int, alpha: float = 3.0) -> np.ndarray:
    """alpha-weighted database-side augmentation (Arandjelovic & Zisserman 2012; Radenovic et
    al. 2018, "αDBA"): every row becomes the L2-normalised sum of itself and its ``n`` most
    similar other rows, each weighted by max(cosine, 0) ** alpha. O(rows^2 * dim)."""
    matrix = np.asarray(matrix, dtype=np.float32)
    rows = len(matrix)
    out = matrix.astype(np.float64)
    if n > 0 and rows > 1:
        # Row blocks keep memory at block x rows scores instead of rows x rows.
        for start in range(0, rows, _AUGMENT_BLOCK):
            block = matrix[start : start + _AUGMENT_BLOCK]
            own = [{start + j} for j in range(len(block))]
            for j, hits in enumerate(top_k(matrix, block, n, own)):
                for hit in hits:
                    out[start + j] += max(hit.score, 0.0) ** alpha * matrix[hit.index]
    out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)
    return out.astype(np.float32)


_AUGMENT_BLOCK = 1024
#: Database-side augmentation costs rows^2 * dim; above this many rows a search applies query
#: expansion only (about a minute of work on 2 cores at this size, once per catalog version).
AUGMENT_MAX_ROWS = 50_000


#: (matrix it was computed from, n, alpha, result) for the last catalog matrix seen.
_last_augmented: tuple[np.ndarray, int, float, np.ndarray] | None = None


def _augmented(matrix: np.ndarray, n: int, alpha: float) -> np.ndarray:
    """``augment_database`` remembered for the last matrix object seen: the GUI searches one
    catalog's matrix (cached per catalog version, never changed in place) many times. Matching
    by identity costs nothing, where hashing the content would read the whole matrix per query."""
    global _last_augmented
    last = _last_augmented
    if last is not None and last[0] is matrix and last[1:3] == (n, alpha):
        return last[3]
    found = augment_database(matrix, n, alpha)
    _last_augmented = (matrix, n, alpha, found)
    return found


def expand(
    matrix: np.ndarray,
    queries: np.ndarray,
    expansion,
    exclude: Sequence[Iterable[int] | None] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(augmented matrix, expanded queries) to rank with ``top_k``: ``augment_database`` with
    ``expansion.database_n`` neighbours (0 = none), then ``expand_queries`` against the
    augmented rows with ``expansion.n``, both weighted by cosine ** ``expansion.alpha``.
    Catalogs larger than ``AUGMENT_MAX_ROWS`` get query expansion only."""
    n, database_n, alpha = expansion.n, getattr(expansion, "database_n", 0), expansion.alpha
    matrix = np.asarray(matrix, dtype=np.float32)
    if database_n > 0 and 1 < len(matrix) <= AUGMENT_MAX_ROWS:
        matrix = _augmented(matrix, database_n, alpha)
    if n > 0 and len(matrix):
        queries = expand_queries(matrix, queries, n, alpha, exclude)
    return matrix, queries
