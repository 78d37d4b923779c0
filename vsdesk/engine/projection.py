"""2-D maps of a catalog: PCA (to 50 dimensions) then scikit-learn t-SNE, in stages.

scikit-learn's ``TSNE`` has no callback, so the optimisation runs as a chain of ``fit_transform``
calls of ``STAGE_ITERATIONS`` (250, sklearn's minimum ``max_iter``) iterations each, every one
starting from the previous embedding (``init=<array>``, used as is). The first stage is
t-SNE's early-exaggeration phase (exaggeration 12); later stages use exaggeration 1, which makes
sklearn's built-in exploration phase an ordinary optimisation phase. The learning rate is fixed
for all stages to what ``learning_rate="auto"`` gives the first one (n / 12 / 4, at least 50).
Between stages we report progress, hand the partial embedding to ``partial`` (the GUI animates
it) and honour ``cancelled``. The cost of staging: each stage recomputes the neighbour
affinities (about 2 % of a map's time, measured) and resets the optimiser's momentum.

Results are cached per catalog (``uid``, ``version``, model key and parameters; a map refined
from an earlier one under a key of its own) as ``.npy`` in the cache directory
(``allow_pickle=False``), so showing the map again is instant; a map stopped midway keeps its
stages done there too (``.stages.npz``; a refined map's, per earlier map it started from) and
goes on from them; those of the catalog's other maps go as a map of it starts. The cache is a courtesy: a map
that cannot be saved there (a full or read-only disk) is returned all the same, with the reason
(``CatalogMap.unsaved``), and computed again next time.
"""

from __future__ import annotations

import hashlib
import itertools
import logging
import zipfile
from pathlib import Path
from typing import Callable, NamedTuple

import numpy as np

from vsdesk.engine import paths
from vsdesk.engine.files import atomic_save_npy, atomic_savez
from vsdesk.engine.tasks import Cancelled, Progress, check_cancelled, never_cancelled, no_progress
from vsdesk.engine.tsne_process import ChildUnavailable, run_stages, run_stages_in_child
from vsdesk.engine.tsne_stages import EARLY_EXAGGERATION, EXACT_MAX_POINTS, STAGE_ITERATIONS, Settings

#: Iterations of a map that starts from an earlier map of most of its points (``start_from``):
#: its layout is there already, so no early exaggeration and half the iterations.
REFINE_ITERATIONS = 500
#: Points whose nearest neighbour is looked for at once, placing new points (``initial_layout``).
NEAREST_CHUNK = 1024
#: Images x new images up to which ``initial_layout`` is quick (``quick_to_lay_out``).
QUICK_LAYOUT_WORK = 40_000
PCA_DIMS = 50
#: The share of a map's points that may be new or gone since it was computed (added up over
#: changes) for it to be kept with its new points placed (``initial_layout``), not refined:
#: each new point lands beside its nearest neighbour, in its cluster, and the rest of the map
#: does not move, while a refinement of 15,000 points kept a window busy for minutes (the
#: review: in 19 minutes of use, restarted by each change, it never finished). At 5 % the
#: points placed so stay a small minority, not enough to crowd a cluster out of shape.
SMALL_CHANGE = 0.05
#: Points from which a map is computed in a child process (``tsne_process``): those t-SNE maps
#: by Barnes-Hut. The child's start (a fresh interpreter importing scikit-learn) took 2.3-3.5 s
#: on two busy cores, as long as a whole map of 200 points here (2.4 s, exact t-SNE); one of
#: 600 took 23 s, long enough for a sluggish window to be felt.
CHILD_MIN_POINTS = EXACT_MAX_POINTS + 1
#: The progress message of a map refined from an earlier one (``init``): the map shown meanwhile
#: is that earlier map, updated (``initial_layout``), which the window says is provisional.
REFINING = "refining"

Partial = Callable[[np.ndarray, int], None]  # (embedding (n, 2) float32, iterations done)

log = logging.getLogger(__name__)


class CatalogMap(NamedTuple):
    """A catalog's map: its images' paths and their (n, 2) float32 coordinates."""

    paths: list[str]
    xy: np.ndarray
    #: Why the map could not be kept in the cache (it is computed again next time), else None.
    unsaved: OSError | None = None
    #: The content hash of each path, where known: a file moved since keeps its point (``moved``).
    hashes: list[str] | None = None


def project(
    matrix: np.ndarray,
    progress: Progress = no_progress,
    cancelled: Cancelled = never_cancelled,
    partial: Partial | None = None,
    *,
    perplexity: float = 30.0,
    iterations: int = 1000,
    random_state: int = 0,
    init: np.ndarray | None = None,
    resume: tuple[int, np.ndarray] | None = None,
    checkpoint: Callable[[int, np.ndarray], None] | None = None,
    in_child: bool | None = None,
) -> np.ndarray:
    """(n, d) vectors -> (n, 2) float32 t-SNE coordinates. Deterministic for a given input
    (``matrix`` and ``init``). ``init``: an (n, 2) layout to start from (``initial_layout``: an
    earlier map of most of the points, one past its early-exaggeration stage: a partial map is
    told only once a stage ends), refined in ``REFINE_ITERATIONS`` without early exaggeration;
    the map then depends on that earlier map too.

    ``checkpoint(stages_done, embedding)`` is given the embedding after each stage but the last;
    ``resume=(stages_done, embedding)`` goes on from such a checkpoint (of the same input and
    parameters). Each stage is a fit of its own from the embedding before it, so the map comes
    out the same as if it had never stopped.

    ``in_child``: the stages run in a child process (``tsne_process``: the window's thread is
    not starved of the GIL; progress inside each stage, "t-SNE: <words>"); None: when there
    are ``CHILD_MIN_POINTS`` points or more. The map is the same either way."""
    from sklearn.decomposition import PCA

    x = np.asarray(matrix, dtype=np.float32)
    n = x.shape[0]
    if init is not None:
        iterations = min(iterations, REFINE_ITERATIONS)
    stages = max(1, -(-int(iterations) // STAGE_ITERATIONS))
    total = stages * STAGE_ITERATIONS
    if n < 5:  # too few points for t-SNE: spread them on a line
        return np.column_stack([np.arange(n, dtype=np.float32), np.zeros(n, np.float32)])
    # Said as t-SNE from the start: PCA is its preparation, done in moments. Said as "PCA", the
    # first step read "Computing the map: PCA 0%" for as long as the task waited at the check
    # below (another tab's map going first) or PCA crawled beside an index run.
    said = "t-SNE" if init is None else REFINING
    progress(0, total, said)
    if x.shape[1] > PCA_DIMS and n > PCA_DIMS:
        x = PCA(PCA_DIMS, random_state=random_state).fit_transform(x).astype(np.float32)
    check_cancelled(cancelled)

    perplexity = float(min(perplexity, max(1.0, (n - 1) / 3.0)))
    learning_rate = max(n / EARLY_EXAGGERATION / 4.0, 50.0)
    # The first stage starts, as sklearn's init="pca" does, from the first two principal
    # components scaled to a tiny spread.
    start = x[:, :2] if x.shape[1] >= 2 else np.column_stack([x[:, 0], np.zeros(n)])
    start = start - start.mean(axis=0)
    embedding = (start / max(float(np.std(start[:, 0])), 1e-12) * 1e-4).astype(np.float32)
    if init is not None:
        embedding = np.asarray(init, np.float32)
    first = 0
    if resume is not None and 0 < resume[0] < stages and np.shape(resume[1]) == (n, 2):
        first, embedding = resume[0], np.asarray(resume[1], np.float32)
        progress(first * STAGE_ITERATIONS, total, said)
        if partial is not None:
            partial(embedding.copy(), first * STAGE_ITERATIONS)

    def stage_done(done_stages: int, xy: np.ndarray) -> None:
        done = done_stages * STAGE_ITERATIONS
        progress(done, total, said)
        if partial is not None:
            partial(xy.copy(), done)
        if done_stages < stages:
            if checkpoint is not None:
                checkpoint(done_stages, xy)
            check_cancelled(cancelled)

    settings = Settings(perplexity, learning_rate, random_state, exaggerate_first=init is None)
    if not (n >= CHILD_MIN_POINTS if in_child is None else in_child):
        return run_stages(x, embedding, first, stages, settings, stage_done)

    def within(stage: int, iterations: int, words: str) -> None:  # inside a stage, told by the child
        progress(stage * STAGE_ITERATIONS + iterations, total, f"{said}: {words}" if words else said)

    try:
        return run_stages_in_child(x, embedding, first, stages, settings, stage_done, within, cancelled)
    except ChildUnavailable as exc:  # the map all the same, with the window slower meanwhile
        log.warning("t-SNE runs in this process: its own process could not be started (%s)", exc)
        return run_stages(x, embedding, first, stages, settings, stage_done)


def initial_layout(paths: list[str], matrix: np.ndarray, start_from: CatalogMap | None,
                   hashes: list[str] | None = None) -> np.ndarray | None:
    """Where a map of ``paths`` (their L2-normalised vectors ``matrix``) starts from an earlier
    map ``start_from`` (of a part of the catalog: its index run resumed after it was mapped):
    each point kept where it was, a file moved or renamed since at the point of its old path
    (``moved``: ``hashes``, the paths' content hashes), each new one beside its nearest kept
    neighbour (cosine), a hair apart. None when the earlier map holds too little of it to be
    worth starting from (less than half its points)."""
    if start_from is None:
        return None
    kept = rows_in(paths, start_from)
    for row, earlier in moved(paths, hashes, start_from, kept).items():
        kept[row] = earlier
    have = np.flatnonzero(kept >= 0)
    if len(have) < 3 or 2 * len(have) < len(paths):
        return None
    xy = np.zeros((len(paths), 2), np.float32)
    xy[have] = np.asarray(start_from.xy, np.float32)[kept[have]]
    new = np.flatnonzero(kept < 0)
    vectors = np.asarray(matrix, np.float32)  # (no copy of the kept rows: 50 MB at 10,000 images)
    spread = max(float(np.std(xy[have])), 1e-6)
    jitter = np.random.default_rng(0).normal(0, spread * 1e-3, (len(new), 2)).astype(np.float32)
    for first in range(0, len(new), NEAREST_CHUNK):
        chunk = new[first:first + NEAREST_CHUNK]
        similarity = (vectors @ vectors[chunk].T).T  # (5 times as fast as chunk @ vectors.T here)
        similarity[:, new] = -np.inf  # beside a kept point only
        nearest = np.argmax(similarity, axis=1)
        xy[chunk] = xy[nearest] + jitter[first:first + len(chunk)]
    return xy


def moved(paths: list[str], hashes: list[str] | None, start_from: CatalogMap,
          kept: np.ndarray | None = None) -> dict[int, int]:
    """The files of ``paths`` moved or renamed since ``start_from`` was mapped: {row: its old
    path's row in ``start_from``}. A new path takes the place of a path gone (no longer in
    ``paths``) with the same content (``hashes``, and ``start_from.hashes``), one each, as the
    index run counts moves (``_index_run._takes_a_gone_place``). None known without hashes.
    ``kept``: ``rows_in(paths, start_from)``, if known.

    Reached from the window's I/O thread (``initial_layout``): only the rows new and gone are
    looked at in Python, told apart by ``kept`` (a loop over every path and two sets of them
    took 29-54 ms at 100,000 paths)."""
    if hashes is None or len(hashes) != len(paths) or start_from.hashes is None \
            or len(start_from.hashes) != len(start_from.paths):
        return {}
    kept = rows_in(paths, start_from) if kept is None else kept
    new_rows = np.flatnonzero(kept < 0)
    gone_rows = np.ones(len(start_from.paths), bool)
    gone_rows[kept[kept >= 0]] = False
    gone: dict[str, list[int]] = {}
    for row in np.flatnonzero(gone_rows).tolist() if len(new_rows) else []:
        if start_from.hashes[row]:
            gone.setdefault(start_from.hashes[row], []).append(row)
    found = {}
    for row in new_rows.tolist() if gone else []:
        if gone.get(hashes[row]):
            found[row] = gone[hashes[row]].pop(0)
    return found


def rows_in(paths: list[str], start_from: CatalogMap) -> np.ndarray:
    """Each of ``paths``' row in ``start_from`` (its last, if it is there twice), or -1 where it
    is not there. (The loops run by ``dict`` and ``fromiter``: 8-10 ms at 100,000 paths.)"""
    where = dict(zip(start_from.paths, range(len(start_from.paths))))
    return np.fromiter(map(where.get, paths, itertools.repeat(-1)), np.int64, len(paths))


def quick_to_lay_out(paths: list[str], start_from: CatalogMap) -> bool:
    """Whether ``initial_layout`` takes a few milliseconds at most (a product of the new
    vectors with all of them: 2,000 images x 20 new, 10,000 x 4: 13-17 ms of 1,280-wide vectors
    on two busy cores; 10,000 x 50, 40 ms; 10,000 x 2,000, 1.2 s), so that the window may do it
    between its I/O thread's other tasks (a query's image is read there). Not on its GUI thread:
    40,000 images x 1 new took 15-80 ms there, a stall, its own look at the paths 2-11 ms more."""
    if len(paths) > QUICK_LAYOUT_WORK:  # (never quick: told without a look at 100,000 paths)
        return False
    earlier = set(start_from.paths)
    new = len(paths) - sum(map(earlier.__contains__, paths))
    return len(paths) * max(new, 1) <= QUICK_LAYOUT_WORK


Browse = tuple[tuple[int, tuple[int, ...]], ...]  # ``query.fold_catalog``: (row, its file's other rows)


def points_of_rows(browse: Browse, n: int) -> tuple[np.ndarray, np.ndarray]:
    """(the rows mapped: each file once, at the row the gallery shows it by (``browse``,
    ``query.fold_catalog``); each of the ``n`` rows' place among them): a file held at several
    paths is one point, as it is one result, and its other paths' rows stand at that point.

    The points go in the order of the files' first rows, not of the rows shown: which path is
    shown follows the files' times (``query.shown_first``: a copy touched, a folder unplugged),
    and a map's stages kept (``_stages_path``) must find their points in the same order when
    the map goes on. A file's paths share one vector (stored per content hash), so the map's
    input is the same whichever path is shown."""
    files = sorted(browse, key=lambda entry: min((entry[0], *entry[1])))
    drawn = np.array([row for row, _others in files], np.int64)
    point = np.full(n, -1, np.int64)
    for place, (row, others) in enumerate(files):
        point[[row, *others]] = place
    if (point < 0).any():
        raise ValueError("the catalog's folding does not cover its rows")
    return drawn, point


def project_folded(
    matrix: np.ndarray,
    browse: Browse | None,
    progress: Progress = no_progress,
    cancelled: Cancelled = never_cancelled,
    partial: Partial | None = None,
    *,
    init: np.ndarray | None = None,
    **options,
) -> np.ndarray:
    """``project`` of a catalog's vectors (``matrix``, one row per path) with each file mapped
    once (``points_of_rows``): (n, 2), a file's other paths at its point. ``browse`` None: every
    row is a point of its own."""
    n = len(matrix)
    if browse is None:
        drawn, point = np.arange(n), np.arange(n)
    else:
        drawn, point = points_of_rows(browse, n)
    if len(drawn) == n:  # no file held twice: the map of every row, as it always was
        return project(matrix, progress, cancelled, partial, init=init, **options)
    spread = None if partial is None else (lambda xy, done: partial(xy[point], done))
    embedding = project(np.asarray(matrix)[drawn], progress, cancelled, spread,
                        init=None if init is None else np.asarray(init)[drawn], **options)
    return embedding[point]


def project_catalog(
    catalog,
    progress: Progress = no_progress,
    cancelled: Cancelled = never_cancelled,
    partial: Partial | None = None,
    *,
    perplexity: float = 30.0,
    iterations: int = 1000,
    start_from: CatalogMap | None = None,
    browse: Browse | None = None,
    indexed=None,
) -> CatalogMap:
    """The map of ``catalog.vectors()``, cached per catalog version. A map from the cache
    reports no progress: nothing is computed (the window showed "t-SNE (cached) 100%" for an
    instant before the map). ``start_from``: an earlier map of most of it (``initial_layout``),
    refined rather than computed afresh. A refined map depends on the earlier one: it is cached
    apart, read only by a refining call, so that the map computed afresh (from the cache or
    not) is the same whatever was shown before. Each file is one point, as the gallery shows
    it (``project_folded``; ``browse``: the catalog's ``fold_catalog``, made here if not given).
    ``indexed``: the catalog's ``Catalog.indexed()`` read already (``browse`` is of its rows),
    else read here; the map and its cache keys are of its version.

    The catalog's last whole map is kept with its paths (``_load_last``). Unchanged since, it is
    the map (refined from an earlier one, it was computed afresh again on reopening: 0 % for the
    whole map's time). Changed a little (files added, renamed, removed), with no ``start_from``
    given, it is the start: ``partial`` is told it at once, updated (``initial_layout``: gone
    points dropped, new ones beside their nearest neighbour), then refined."""
    from vsdesk.engine.catalog import catalog_exists
    from vsdesk.engine.query import fold_catalog

    indexed = catalog.indexed() if indexed is None else indexed  # (rows, hashes, version: one read)
    vectors = indexed.vectors
    n = len(vectors.paths)
    if browse is None:
        browse = fold_catalog(vectors.paths, indexed.hashes)
    folded = len(browse) < n
    path = _cache_path(catalog, indexed, perplexity, iterations, folded=folded)
    cached = _load(path, n)
    init = placed = None  # (placed: the points placed without t-SNE, in a map kept so)
    last = _load_last(catalog, indexed, perplexity, iterations) if cached is None else None
    if cached is None and start_from is None:
        if last is not None and last.current and list(last.map.paths) == list(vectors.paths):
            return CatalogMap(vectors.paths, last.map.xy, hashes=indexed.hashes)  # the map shown last, of this very version
        start_from = None if last is None else last.map
    if cached is None and start_from is not None:
        init = initial_layout(vectors.paths, vectors.matrix, start_from, indexed.hashes)
        if init is not None:
            path = _cache_path(catalog, indexed, perplexity, iterations, refined=True, folded=folded)
            cached = _load(path, n)
            placed = _placed_if_kept(vectors.paths, indexed.hashes, start_from, last)
    if cached is not None:
        return CatalogMap(vectors.paths, cached, hashes=indexed.hashes)
    if placed is not None:  # a small change: the map kept, its new points placed
        embedding = init
    else:
        if init is not None and partial is not None:
            partial(init.copy(), 0)  # the earlier map updated, shown while it is refined
        stages_path = _stages_path(path, init)
        resume = _load_stages(stages_path, len(browse))  # (of the points drawn)
        if resume is None and init is not None and len(browse) == n:  # (a step shown is of the points drawn)
            done = _refined_before(catalog.name, path.parent, start_from)
            resume = (done, init) if done else None
        # Those of another version, other parameters or another start are of no use now: gone as
        # this map starts, not only once a map is whole (a map stopped midway each time kept all).
        _remove_maps_of(catalog.name, path.parent, "*.stages.npz", keep=stages_path)
        embedding = project_folded(vectors.matrix, browse, progress, cancelled, partial, perplexity=perplexity,
                                   iterations=iterations, init=init, resume=resume,
                                   checkpoint=lambda done, xy: _save_stages(stages_path, done, xy, init is not None))
    # Minutes of work are not thrown away for want of a cache: the map is returned unsaved.
    try:
        _save(path, embedding)
    except OSError as exc:
        log.warning("the map of catalog %r could not be saved in the cache (%s); it will be computed "
                    "again next time", catalog.name, exc)
        unsaved = exc
    else:
        unsaved = None
    # Also when unsaved: on a full disk it frees space. This map's stages go too: it is whole.
    _remove_older_maps(catalog.name, path)
    _save_last(catalog, indexed, embedding, perplexity, iterations, placed or 0)
    # Removed while it was mapped (``remove_catalog`` renames its folder aside before it removes
    # its maps): the files just written would outlive it. Checked after writing them, so that
    # either this or the removal takes them, whichever comes last.
    if not catalog_exists(catalog.name):
        remove_maps(catalog.name)
    return CatalogMap(vectors.paths, embedding, unsaved, indexed.hashes)


def remove_maps(name: str) -> None:
    """Remove every map file of catalog ``name`` from the cache (its maps, their stages, its
    last map): the catalog is removed (``catalog.remove_catalog``). Only ours, by their exact
    names (those of "photos-2" are not those of "photos")."""
    folder = paths.cache_dir() / "projections"
    _remove_maps_of(name, folder, "*.npy")
    _remove_maps_of(name, folder, "*.stages.npz")
    try:
        _last_path(name).unlink(missing_ok=True)
    except OSError as exc:  # a read-only cache: it stays, harmless (keyed by the catalog's uid)
        log.warning("the last map of catalog %r could not be removed from the cache: %s", name, exc)


def _save_last(catalog, indexed, xy: np.ndarray, perplexity: float, iterations: int, placed: int = 0) -> None:
    """Keep the catalog's whole map with its paths (``_load_last``; ``indexed``: the rows mapped):
    shown again as long as the catalog is unchanged, the start of its next version's map.
    ``placed``: its points placed without t-SNE since it was last computed (``SMALL_CHANGE``)."""
    try:
        ident = _last_ident(catalog, indexed, perplexity, iterations)
        atomic_savez(_last_path(catalog.name), paths=np.array(indexed.vectors.paths, dtype=str),
                     hashes=np.array(indexed.hashes, dtype=str), xy=np.asarray(xy, np.float32), ident=np.array(ident), version=np.array(str(indexed.version)),
                     placed=np.array(int(placed)))
    except OSError as exc:  # a courtesy, as the cache is: the map is computed again
        log.warning("the map of catalog %r could not be kept for its next version (%s)", catalog.name, exc)


class LastMap(NamedTuple):
    current: bool  # of this very version of the catalog
    map: CatalogMap
    placed: int  # its points placed without t-SNE since it was computed (``SMALL_CHANGE``)


def _load_last(catalog, indexed, perplexity: float, iterations: int) -> LastMap | None:
    """The last whole map of ``catalog`` with its paths, or None: none kept, of another catalog
    of the name, another model or other parameters, or unreadable."""
    try:
        with np.load(_last_path(catalog.name), allow_pickle=False) as data:
            rows, xy, ident, version = data["paths"].tolist(), data["xy"], str(data["ident"]), str(data["version"])
            placed = int(data["placed"]) if "placed" in data else 0  # (kept by an older vsdesk: none)
            hashes = data["hashes"].tolist() if "hashes" in data else None  # (older: no move recognised)
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):  # (cut off: a zip without its end)
        return None
    if ident != _last_ident(catalog, indexed, perplexity, iterations):
        return None
    if xy.shape != (len(rows), 2) or xy.dtype != np.float32 or not np.isfinite(xy).all():
        return None
    return LastMap(version == str(indexed.version), CatalogMap(rows, xy, hashes=hashes), placed)


def _placed_if_kept(paths: list[str], hashes: list[str], start: CatalogMap, last: LastMap | None) -> int | None:
    """The points placed without t-SNE if the map of ``paths`` is ``start`` with its new points
    placed (``initial_layout``) and kept so, not refined: when ``start`` is the catalog's last
    whole map (not a step of one) and the points new or gone since it was last computed are
    ``SMALL_CHANGE`` of them at most. A file moved or renamed (``moved``) is neither: its point
    stays as it was. Else None."""
    if last is None or list(last.map.paths) != list(start.paths) or not np.array_equal(last.map.xy, start.xy):
        return None
    earlier, now = set(start.paths), set(paths)
    moves = len(moved(paths, hashes, last.map))
    placed = last.placed + len(now - earlier) + len(earlier - now) - 2 * moves
    return placed if placed <= SMALL_CHANGE * len(paths) else None


def _last_ident(catalog, indexed, perplexity: float, iterations: int) -> str:
    return f"{catalog.uid}|{indexed.key}|{perplexity}|{iterations}|{STAGE_ITERATIONS}"


def _last_path(name: str) -> Path:
    return paths.cache_dir() / "projections" / f"{name}-last.npz"


def _stages_path(path: Path, start: np.ndarray | None = None) -> Path:
    """Where the stages done of the map cached at ``path`` are kept until it is whole: a map
    stopped midway (the window closed, another catalog chosen) goes on from its last stage
    next time, not from 0 %. A refined map's stages are of the layout it started from
    (``start``, ``initial_layout``): the refined maps of a catalog version share ``path``,
    and stages of a refinement from another earlier map would be resumed as this one's."""
    if start is None:
        return path.with_name(f"{path.stem}.stages.npz")
    digest = hashlib.sha256(path.stem.encode() + np.ascontiguousarray(start, np.float32).tobytes()).hexdigest()[:24]
    return path.with_name(f"{path.stem.rpartition('-')[0]}-{digest}.stages.npz")  # (its catalog's name kept)


def _load_stages(path: Path, n: int) -> tuple[int, np.ndarray] | None:
    """(stages done, embedding) kept at ``path``, or None: none, or unreadable (a courtesy,
    as the cache is: the map is then computed from its start)."""
    try:
        with np.load(path, allow_pickle=False) as data:
            done, xy = int(data["done"]), data["xy"]
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):  # (cut off: a zip without its end)
        return None
    if xy.shape != (n, 2) or xy.dtype != np.float32 or not np.isfinite(xy).all():
        return None
    return done, xy


def _refined_before(name: str, folder: Path, start: CatalogMap) -> int:
    """The stages done of catalog ``name``'s refinement stopped at ``start`` (its last stage, the
    step the window showed when a change came), or 0: a refinement from it goes on from there.
    Each change restarted a 15,000-point refinement from 0 % (the review: it never finished)."""
    try:
        kept_stages = _maps_of(name, folder, "*.stages.npz")
    except OSError:
        return 0
    for kept in kept_stages:
        try:
            with np.load(kept, allow_pickle=False) as data:
                refining = "refining" in data and bool(data["refining"])
                if refining and data["xy"].shape == np.shape(start.xy) and np.array_equal(data["xy"], start.xy):
                    return int(data["done"])
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
            continue
    return 0


def _save_stages(path: Path, done: int, xy: np.ndarray, refining: bool = False) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_savez(path, done=np.array(done), xy=np.asarray(xy, np.float32), refining=np.array(refining))
    except OSError as exc:  # a full or read-only cache: the map goes on, only not resumable
        log.warning("the map's stages so far could not be kept in the cache (%s)", exc)


def _cache_path(catalog, indexed, perplexity: float, iterations: int, refined: bool = False,
                folded: bool = False) -> Path:
    """Where the map of ``indexed`` (``Catalog.indexed()``: its version, its model) is cached.
    ``refined``: a map refined from an earlier one (``project_catalog``'s ``start_from``);
    ``folded``: of a catalog holding a file at several paths, mapped once (a map made before
    that had a point for each path; a catalog without such files maps as it did)."""
    ident = f"{catalog.uid}|{indexed.version}|{indexed.key}|{perplexity}|{iterations}|{STAGE_ITERATIONS}"
    if folded:
        ident += "|each file once"
    if refined:
        ident += f"|refined in {REFINE_ITERATIONS}"
    digest = hashlib.sha256(ident.encode()).hexdigest()[:24]
    folder = paths.cache_dir() / "projections"
    return folder / f"{catalog.name}-{digest}.npy"


def _load(path: Path, n: int) -> np.ndarray | None:
    try:
        data = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError):
        return None  # missing, cut off or damaged: compute again
    if data.shape != (n, 2) or data.dtype != np.float32 or not np.isfinite(data).all():
        return None
    return data


def _remove_older_maps(name: str, path: Path) -> None:
    """Remove catalog ``name``'s maps other than ``path`` (of older versions or parameters),
    and every map's stages kept (``_stages_path``), ``path``'s too."""
    _remove_maps_of(name, path.parent, "*.npy", keep=path)
    _remove_maps_of(name, path.parent, "*.stages.npz")


def _remove_maps_of(name: str, folder: Path, pattern: str, keep: Path | None = None) -> None:
    """Remove catalog ``name``'s files matching ``pattern`` in ``folder`` but ``keep``."""
    try:
        for old in _maps_of(name, folder, pattern):
            if old != keep:
                old.unlink(missing_ok=True)
    except OSError as exc:  # a read-only cache, say: they stay, harmless
        log.warning("older maps of catalog %r could not be removed from the cache: %s", name, exc)


def _maps_of(name: str, folder: Path, pattern: str) -> list[Path]:
    """Catalog ``name``'s files matching ``pattern`` in ``folder`` (``OSError`` if it cannot be
    listed). Split at the last "-", not glob "<name>-*": the map of "photos-style-2" (a name
    folder_catalog_name makes) must not count as one of "photos-style"."""
    return [found for found in folder.glob(pattern)
            if found.name.removesuffix(".stages.npz").removesuffix(".npy").rpartition("-")[0] == name]  # (a name may hold ".")


def _save(path: Path, embedding: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_save_npy(path, np.asarray(embedding, dtype=np.float32))
