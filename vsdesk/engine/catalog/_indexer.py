"""An index run of a catalog (``index_catalog``) under the catalog's lock: the folders it is
given added, the model kept, the catalog said unfinished until the run completes, the times of
its folders noted; and whether a run is at a catalog now (``is_being_indexed``). The run's
steps, incremental and crash-safe, are ``_index_run``'s.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from typing import Callable, Iterable

from vsdesk.engine.catalog._errors import (
    CatalogBusy,
    CatalogError,
    CatalogNotFound,
    CatalogStorageError,
    storage_error,
)
from vsdesk.engine.catalog._index_report import IndexReport
from vsdesk.engine.catalog._index_run import check_mode, Indexer
from vsdesk.engine.catalog._locking import lock_catalog
from vsdesk.engine.catalog._ondisk import catalog_location, clear_made_index_leftovers
from vsdesk.engine.catalog._scan import is_within
from vsdesk.engine.catalog._store import Catalog
from vsdesk.engine.embedding import Embedder
from vsdesk.engine.tasks import Cancelled, CancelledError, Progress, RateProgress, never_cancelled, no_progress


#: ``index_catalog``'s ``keep_model`` when the catalog keeps the model it has.
_UNCHANGED = object()


def index_catalog(
    catalog: Catalog,
    embedder: Embedder | Callable[[], Embedder],
    progress: Progress = no_progress,
    cancelled: Cancelled = never_cancelled,
    batch_size: int = 32,
    workers: int | None = None,
    add_folders: Iterable[str | os.PathLike] = (),
    model_key: str | None = None,
    report: IndexReport | None = None,
    keep_model: str | None | object = _UNCHANGED,
    model_once_done: str | None | object = _UNCHANGED,
    clock: Callable[[], float] = time.monotonic,
) -> IndexReport:
    """Update ``catalog`` from its folders with ``embedder`` (call from the TensorFlow thread).
    ``add_folders`` join the catalog first, and ``keep_model`` becomes its model
    (``Catalog.set_model``; None: the mode's shipped one), once this run holds the catalog (a
    run refused because another process indexes it changes nothing). The run holds the
    catalog's lock (``Catalog.exclusive``) from start to end, and reads its settings again as
    it takes it: what another process changed before is what is indexed. ``model_once_done``
    becomes its model when the run completes (not when it is cancelled): the model a caller's
    default gave it, so that a later run with another default knows what it holds.

    ``embedder`` may also be a zero-argument callable that loads one: it is then called only if
    some file needs embedding, so a re-run on an unchanged (or only shrunk, relabelled) folder,
    or one whose changed files all hold known content (touched, copied without their times,
    moved), does not load the model at all (``report.model_loaded`` is False). ``model_key`` says how
    the key of the model the loader would load starts (``modes.vectors_key_prefix``): a catalog
    indexed under another key was made by another model (say, one replaced by an upgrade), so
    it is loaded and every image embedded again. Without it, the check trusts the model the
    catalog was last indexed with.

    ``report``: filled in as the run goes (and returned), so that a caller whose run is
    interrupted (a cancel, Ctrl+C) still has what was done: ``interrupted`` is then set and
    ``indexed`` is what the catalog holds.

    ``progress`` is told the rate and the time left once they mean something ("indexing · 85
    images/s · about 2 min left", ``tasks.RateProgress`` on ``clock``), and a run that goes on
    with one that stopped before the end (the window closed, a kill, a cancel) starts its
    indexing step with ``text.RESUMING`` ("…: 2336 images left"; ``report.resumed``).

    Raises ``CancelledError`` when ``cancelled()`` turns True (work done so far is kept),
    ``CatalogModeMismatch`` when the embedder's mode is not the catalog's, ``CatalogBusy`` when
    another process is indexing the same catalog, ``CatalogStorageError`` when the index cannot
    be written (read-only, a full disk, locked by another program; committed batches stay).
    """
    if isinstance(embedder, Embedder):
        check_mode(catalog, embedder)
        loaded, loader = embedder, None
    else:
        loaded, loader = None, embedder
    catalog.check_writable()
    report = report if report is not None else IndexReport()
    start = time.perf_counter()
    try:
        with catalog.exclusive(outcome=""):
            clear_made_index_leftovers(catalog.location)  # (what a crash making the index left)
            joined = _add_folders(catalog, add_folders, report)
            if keep_model is not _UNCHANGED:
                catalog.set_model(keep_model)
            report.resumed = catalog.unfinished  # (read under the lock: no other run is at it)
            catalog.mark_unfinished(True)  # until this run completes: a cancel or a kill leaves it said
            indexer = Indexer(catalog, loaded, loader, RateProgress(progress, clock), cancelled, batch_size, workers,
                               model_key, report, joined)
            try:
                indexer.run()
            except sqlite3.Error as exc:  # a full disk, a lock ...: the batches committed before stay
                raise storage_error(catalog.index_path, exc, catalog.name) from None
            catalog.note_folder_times(indexer.folder_times,  # what `search` compares with
                                      away=[folder.path for folder in report.missing_folders],
                                      attached=indexer.attached, image_links=indexer.image_links)
            if model_once_done is not _UNCHANGED:
                catalog.set_model(model_once_done)
            catalog.mark_unfinished(False)
            report.recovered = catalog.recovered
            catalog.forget_recovery()  # said, and the index is whole again
    except (CancelledError, KeyboardInterrupt):
        report.interrupted = True
        with contextlib.suppress(CatalogError):  # the count is a courtesy; the interruption goes on
            report.indexed = catalog.counts()[0]
            # What the folders added hold so far, as ``added`` counts it (not the 0 they joined with).
            report.folders_added = {folder: catalog.folder_counts(folder)[0] for folder in report.folders_added}
        report.seconds = time.perf_counter() - start
        raise
    report.indexed = catalog.counts()[0]
    report.folders_added = {folder: catalog.folder_counts(folder)[0] for folder in report.folders_added}
    report.seconds = time.perf_counter() - start
    return report


def _add_folders(catalog: Catalog, folders: Iterable[str | os.PathLike], report: IndexReport) -> list[str]:
    """Add ``folders`` to ``catalog``; those that join it as folders of their own (not inside
    one of its folders) are returned, those of it already noted in ``report``. A new catalog
    (no folders, and never an image indexed) is made of the folders it is given, images or
    not; one whose folders were all forgotten takes a folder as any other catalog does."""
    had_folders = bool(catalog.folders) or catalog.embedder_key is not None
    joined = []
    for folder in folders:
        path = os.path.abspath(os.path.expanduser(os.fspath(folder)))
        if path in catalog.folders:
            report.folders_already.append(path)
            continue
        holds_others = any(is_within(other, path) for other in catalog.folders)  # said as nested
        if catalog.add_folder(path) == path and not holds_others:
            report.folders_added[path] = 0  # counted at the end of the run
            if had_folders:  # (a new catalog keeps the folders it is made of, images or not)
                joined.append(path)
    report.created = not had_folders and bool(report.folders_added)
    return joined


def is_being_indexed(catalog: Catalog | str) -> bool:
    """Whether a run of ``index_catalog`` holds the catalog now (in any process): its vectors
    are then those of the files indexed so far. Taking the run's lock for a moment tells
    (shared: two processes looking at once do not see each other as a run). A catalog given by
    its name is not opened (its index is not read): cheap enough to ask every few seconds while
    another process indexes it."""
    location, name = ((catalog_location(catalog), catalog) if isinstance(catalog, str)
                      else (catalog.location, catalog.name))
    if not location.is_dir():
        return False  # removed: nobody indexes it (and no lock file is made for it)
    try:
        with lock_catalog(location, name, shared=True):
            return False
    except CatalogBusy:
        return True
    except (CatalogStorageError, CatalogNotFound):  # a read-only catalog folder, or removed meanwhile
        return False


