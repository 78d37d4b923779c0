"""The part of ``ModeSession`` that opens a catalog: indexes it incrementally (folders added,
another product model), snapshots it, and makes it the one searched with its model."""

from __future__ import annotations

import dataclasses
import logging
import os
import weakref
from typing import Any, Callable

from vsdesk.engine.map_colours import PREDICTED, colouring
from vsdesk.engine.session._catalogs import nested_folder_notes
from vsdesk.engine.session._snapshot import CatalogSnapshot, map_rows, snapshot_types
from vsdesk.engine.tasks import Cancelled, CancelledError, Progress, never_cancelled, no_progress
from vsdesk.engine.text import counted

log = logging.getLogger(__name__)

#: Images embedded per batch when indexing for the window: small batches give a progress bar
#: that moves and a Cancel that answers within a few images, at little cost in throughput.
INDEX_BATCH = 8
#: ``open_catalog``'s ``model`` left out: the catalog keeps the model it has.
KEEP_MODEL = object()


def change_words(report) -> str:
    """What an update found changed since the catalog was last indexed, as `vsdesk index`'s
    report counts it (``IndexReport``): "20 new, 5 moved or renamed, 5 gone", or "" (nothing
    changed; a new catalog, or one embedded again by another model: all of it is new; the caller
    says nothing either for a catalog that showed nothing before its run, indexed for the first time)."""
    if report.created or report.model_changed or report.resumed:  # (resumed: the rest of a run, not news)
        return ""
    counts = ((report.added, "new"), (report.moved, "moved or renamed"), (report.updated, "changed"),
              (report.removed, "gone"), (report.now_unreadable, "now unreadable"))
    return ", ".join(f"{count} {words}" for count, words in counts if count)


def reading_words(catalog) -> str:
    """The step of an opening that reads the catalog's index (its vectors, paths and labels):
    "reading the index of 15254 images"."""
    return f"reading the index of {counted(catalog.entry_count(), 'image')}"


class CatalogOpening:
    """``ModeSession``'s opening of a catalog (``mode``, ``_options``, ``_default_model``,
    ``embedder``, ``catalog``, ``_browse_cache``, ``load``, ``_load``: the session's)."""

    def open_catalog(
        self, name: str, progress: Progress = no_progress, cancelled: Cancelled = never_cancelled,
        shown: Callable[[CatalogSnapshot | None], None] | None = None, add_folders: tuple[str, ...] = (),
        model: str | None | object = KEEP_MODEL, noted: Callable[[str], None] | None = None,
    ) -> CatalogSnapshot:
        """Index ``name`` incrementally (only new or changed files are embedded) and snapshot it.

        ``add_folders`` join the catalog in its index run, as `vsdesk index --catalog NAME
        FOLDER` adds them (a folder inside one of its folders is part of it already; one holding
        some of them takes their place: the snapshot's ``note`` says either). ``model`` (product
        mode: a ``ModelChoice.name``, None for the shipped model) is the one the catalog keeps
        and is indexed with from now on, as `vsdesk index --model` makes it: every image is
        embedded again. It is kept before the run, so that a run cut off midway (a kill) goes on
        with it when the catalog is opened again, as a new catalog's chosen model does; a run
        cancelled goes back to the model the catalog had, whose vectors are all still there (the
        snapshot's ``switch_cancelled`` and ``note`` say so).

        Runs on the TensorFlow thread. The model is loaded only if some image must be embedded,
        or the catalog holds another model's vectors: an indexed catalog opens without it (as
        `vsdesk index` runs), and ``load_model`` loads it for queries afterwards.

        ``shown(snapshot)`` is told first, before the run, what the catalog holds already if its
        vectors are those of the model it is searched with: from then on it is the catalog
        searched (a query the window answers in the run's pauses searches it), and the window
        shows it meanwhile. ``shown(None)``: nothing of it can be shown before it is indexed.
        ``noted(text)`` is told, before the run, why the run is long when that is known: the
        index was found damaged and moved aside, so every image is embedded again.

        If cancelled, what was indexed so far is committed by the engine and ``CancelledError``
        propagates; ``snapshot`` then shows the partial catalog.
        """
        from vsdesk.engine import samples
        from vsdesk.engine.catalog import CatalogError, added_folder_words

        tell = shown or (lambda _snapshot: None)
        catalog, stored_snapshot = self._open(name, tell, progress, cancelled)
        try:
            if add_folders and samples.is_sample(name):
                raise CatalogError(f"{name!r} is a sample catalog: make a catalog of your folder instead")
            switched_from = self._switch_model(catalog, model)
            folders_before = catalog.folders
            if not samples.is_sample(name):
                # Seconds for 15k images on a busy machine, with nothing else said: the step is.
                if catalog.entry_count():  # (a new catalog has nothing to read)
                    progress(0, 0, reading_words(catalog))
                stored_snapshot = self._adopt_stored(catalog)
                tell(stored_snapshot)
            if catalog.read_only and stored_snapshot is not None and not add_folders:
                # Nothing can be written (a catalog on a read-only share): searched as it is,
                # with a note, not the error of the index run it cannot do (``check_writable``).
                snapshot = dataclasses.replace(stored_snapshot, note=self._read_only_note(catalog, stored_snapshot))
                self.catalog = snapshot  # (``_adopt_stored`` made it the one searched)
                return snapshot
            if catalog.recovered and noted is not None:
                noted(catalog.recovered)
            options, indexed_with, note = self._catalog_options(catalog)
            report, embedder = self._index_run(catalog, options, indexed_with, note, stored_snapshot, tell, progress,
                                               cancelled, add_folders, switched_from)
            nested = nested_folder_notes(catalog.name, folders_before, add_folders, catalog.folders)
            added = added_folder_words(report, catalog.name)
            # Why it was all indexed again, what became of the folders added ...
            note = "; ".join(filter(None, [report.recovered, note, *nested, *(words for _, words in added)]))
            # After the last image ("427/427 indexed"), the catalog is read back whole, its
            # classes predicted: seconds for 15k images, said as its own step.
            progress(0, 0, reading_words(catalog))
            snapshot = dataclasses.replace(self._snapshot(catalog, embedder, options), note=note,
                                           changes=change_words(report) if stored_snapshot and not add_folders else "")
        finally:
            catalog.close()
        self._use(options, embedder, snapshot)
        return snapshot

    def _open(self, name: str, tell: Callable[[CatalogSnapshot | None], None], progress: Progress,
              cancelled: Cancelled) -> tuple[Any, CatalogSnapshot | None]:
        """(catalog ``name`` opened, what a sample catalog held already: told to ``tell`` before
        its folder is checked; None for another catalog, told later)."""
        from vsdesk.engine import samples
        from vsdesk.engine.catalog import Catalog, CatalogNotFound

        if not samples.is_sample(name):
            return Catalog.open(name), None
        # Told before the check of vsdesk's sample folder (a stat per file; a download the
        # first time), in whose pauses the window runs other tabs' urgent work.
        try:
            with Catalog.open(name) as stored:
                stored_snapshot = self._adopt_stored(stored)
        except CatalogNotFound:
            stored_snapshot = None
        tell(stored_snapshot)
        folder = samples.sample_folder(name, progress, cancelled)
        return Catalog.open_or_create(name, self.mode, [str(folder)], only=True), stored_snapshot

    @staticmethod
    def _switch_model(catalog, model: str | None | object) -> tuple | None:
        """``model`` made the one ``catalog`` keeps, if it is another. -> (model, vectors key,
        dim) the catalog had, or None: no switch."""
        from vsdesk.engine.catalog import CatalogError

        if model is KEEP_MODEL or model == catalog.model:
            return None
        if catalog.mode != "product":
            raise CatalogError(f"the {catalog.mode} mode has one model: a catalog of it has no other")
        catalog.check_writable()  # (a read-only index says so, its settings left as they are)
        switched_from = (catalog.model, catalog.embedder_key, catalog.dim)
        catalog.set_model(model)
        return switched_from

    def _index_run(self, catalog, options: dict[str, Any], indexed_with: str | None, note: str,
                   stored_snapshot: CatalogSnapshot | None, tell: Callable[[CatalogSnapshot | None], None],
                   progress: Progress, cancelled: Cancelled, add_folders: tuple[str, ...],
                   switched_from: tuple | None) -> tuple[Any, Any]:
        """``catalog`` indexed with the model of ``options`` (loaded only if needed) -> (the
        run's report, the model, None if it was not loaded). Cancelled, the catalog is shown
        with what it holds (a model switch undone) and ``CancelledError`` propagates."""
        from vsdesk.engine.catalog import index_catalog
        from vsdesk.engine.modes import vectors_key_prefix

        # The session's model when it is this catalog's (it searches the catalog already, or
        # the one shown before has the same model): loaded once, by the run or by a query in
        # its pauses. Another model is kept aside until the catalog is ready: a query answered
        # in the run's pauses searches the catalog shown before, with its own model.
        shared = indexed_with == self._options.get("model")  # (then ``options`` are the session's own)
        loaded: list[Any] = []

        def load_model() -> Any:
            if shared:
                pending = self.catalog is not None and self.catalog.predictions_pending
                embedder = self.load(progress)  # (the catalog searched is told its types)
                if pending and self.catalog.same_rows(stored_snapshot):
                    # The items shown during the run, told what the model predicts for
                    # them (their types) now rather than once the run ends.
                    tell(self.catalog)
                return embedder
            if not loaded:
                loaded.append(self._load(options, progress))
            return loaded[0]

        def model_now() -> Any:
            return self.embedder if shared else (loaded[0] if loaded else None)

        embedder = model_now()
        try:
            # A loaded model is given as such (its full key checked); else the run loads it
            # only if needed, the catalog's key compared with how this model's keys start.
            # The catalog keeps the model it has (a switch set it above), but one whose model
            # is no longer installed gives way to the shipped one (``note``), kept once the
            # run holds the catalog: no other process's run is in the middle of it then.
            keep = {"keep_model": None} if note else {}
            if not note and catalog.model is None and indexed_with is not None:
                # The session's default model, not the catalog's own: kept once the run
                # completes, so `vsdesk search` and a session with another default use it
                # too (a run cancelled leaves the catalog's model as it was).
                keep["model_once_done"] = indexed_with
            report = index_catalog(catalog, load_model if embedder is None else embedder, progress, cancelled,
                                   batch_size=INDEX_BATCH, add_folders=add_folders, **keep,
                                   model_key=vectors_key_prefix(self.mode, **options) if embedder is None else None)
        except CancelledError:
            # A switch goes back (its old vectors are all still there); else, or if another
            # process's run took the catalog meanwhile, it holds some of this model's
            # vectors: shown with it.
            if not (switched_from is not None and switched_from[1] and self._switch_back(catalog, *switched_from)):
                self._use(options, model_now(), self._snapshot(catalog, model_now(), options))
            raise
        return report, model_now()

    @staticmethod
    def _read_only_note(catalog, stored: CatalogSnapshot) -> str:
        """``Catalog.read_only_note`` of the read-only ``catalog`` shown as ``stored``; when its
        last index run did not finish, with how many images its folders hold (a scan: a stat
        per file, as the run it cannot do would make), so that a partial catalog says so."""
        from vsdesk.engine.catalog import scan_folders

        found = len(scan_folders(list(catalog.folders)).files) if catalog.unfinished else None
        # (A folder away, its disk unplugged, holds none: "304 of 0" would say nothing true.)
        return catalog.read_only_note(len(stored), found if found and found > len(stored) else None)

    def _switch_back(self, catalog, model: str | None, key: str, dim: int | None) -> bool:
        """A run switching ``catalog`` to another model was cancelled: it goes back to ``model``,
        the one it had, whose vectors (``key``) are all still there (they go only once a run
        completes), and is shown with it, searched whole, as it was. Whether it went back: not
        when another process's run took the catalog meanwhile (logged; it stays as the cancelled
        run left it), a refusal that must not replace the cancel, which goes on."""
        from vsdesk.engine.catalog import CatalogBusy

        try:
            with catalog.exclusive("the model it had was not put back"):  # model and key together
                catalog.set_model(model)
                catalog.restore_key(key, dim)
        except CatalogBusy as exc:
            log.warning("%s", exc)
            return False
        options, searched_with, _ = self._catalog_options(catalog)
        embedder = self.embedder if options is self._options and self.embedder is not None and \
            self.embedder.key == key else None
        snapshot = self._snapshot(catalog, embedder, options)
        said = f"model switch cancelled: “{catalog.name}” is still indexed with {searched_with or 'the shipped model'}"
        self._use(options, embedder, dataclasses.replace(snapshot, note=said, switch_cancelled=True))
        return True

    def _catalog_options(self, catalog) -> tuple[dict[str, Any], str | None, str]:
        """(the options of the model ``catalog`` is searched with, its model, a note): the
        catalog's own model (a product model trained by the user), not the one of the catalog
        shown before: a catalog is never embedded again just by being opened. The session's own
        options (the same object) when the model is the same."""
        from vsdesk.engine.modes import catalog_model

        model, note = catalog_model(catalog)
        model = model if model is not None or note else self._default_model
        options = self._options if model == self._options.get("model") else {**self._options, "model": model}
        return options, model, note

    def _adopt_stored(self, catalog) -> CatalogSnapshot | None:
        """What ``catalog`` holds, made the catalog searched, if it holds images whose vectors
        are those of the model it is searched with (its key, or how the key of the model not
        loaded yet starts); else None, and the catalog shown before stays the one searched."""
        from vsdesk.engine.modes import vectors_key_prefix

        options, model, _ = self._catalog_options(catalog)
        embedder = self.embedder if model == self._options.get("model") else None
        key = catalog.embedder_key
        if not key:
            return None
        if embedder is not None:
            if key != embedder.key:
                return None
        else:
            prefix = vectors_key_prefix(self.mode, **options)
            if prefix is not None and not key.startswith(prefix):
                return None
        snapshot = self._snapshot(catalog, embedder, options)
        if not len(snapshot):
            return None
        self._use(options, embedder, snapshot)
        return snapshot

    def _use(self, options: dict[str, Any], embedder: Any, snapshot: CatalogSnapshot) -> None:
        """Model and catalog change together, so that a query never meets another model's vectors."""
        self._options, self.embedder, self.catalog = options, embedder, snapshot

    def snapshot(self, name: str) -> CatalogSnapshot:
        """What is indexed in ``name`` now, without indexing (e.g. after a cancel)."""
        from vsdesk.engine.catalog import Catalog

        with Catalog.open(name) as catalog:
            kept = self.catalog
            if kept is not None and (kept.name, kept.version, kept.model_key) == (
                    catalog.name, catalog.version, catalog.embedder_key or ""):
                return kept  # as a cancelled run left it, told what it said (a model switch undone)
            snapshot = self._snapshot(catalog, self.embedder)
        self.catalog = snapshot
        return snapshot

    def _snapshot(self, catalog, embedder: Any, options: dict[str, Any] | None = None) -> CatalogSnapshot:
        """``catalog`` as indexed now; ``embedder``: its model, or None when it is not loaded
        (``options``: the model's, for what can be told without loading it)."""
        from vsdesk.engine import samples
        from vsdesk.engine.modes import model_classes
        from vsdesk.engine.query import files_per_folder

        # Rows, hashes, model key and version of one version of the index: a commit of another
        # process between two reads gave rows and hashes of different lengths (an IndexError).
        indexed = catalog.indexed()
        vectors, hashes = indexed.vectors, list(indexed.hashes)
        labels = [label or "" for label in vectors.labels]
        classes = getattr(embedder, "classes", None) if embedder is not None else \
            model_classes(self.mode, **(self._options if options is None else options))
        skipped = catalog.skipped_count()
        away = catalog.away_folders()  # linked folders and mount points in them too
        browse = self._browse(catalog, indexed.version, vectors.paths, hashes)
        snapshot = CatalogSnapshot(
            name=catalog.name,
            mode=catalog.mode,
            version=indexed.version,
            folders=tuple(catalog.folders),
            paths=list(vectors.paths),
            labels=labels,
            vectors=vectors.matrix,
            skipped=skipped,
            skipped_files=catalog.skipped() if skipped else [],
            colouring=colouring(labels, list(classes or []), map_rows(browse)),
            is_sample=samples.is_sample(catalog.name),
            model_key=indexed.key or "",
            model=catalog.model,
            hashes=hashes,
            browse=browse,
            folder_counts=files_per_folder(catalog.folders, vectors.paths, hashes),
            missing_folders=tuple(away),
            missing_kinds=away,
            missing_without_images=tuple(folder for folder in away if not catalog.holds_files(folder)),
            image_links_away=tuple(catalog.image_links_away(away)),
            other_install_samples=tuple(folder for folder in catalog.folders
                                        if samples.other_install_sample(catalog.name, folder)),
            links_away=tuple(folder for folder in away if os.path.islink(folder)),
            # Without the model, the classes it predicts come once it is loaded.
            predictions_pending=embedder is None and classes is not None,
        )
        return self._predicted(snapshot, embedder) if embedder is not None else snapshot

    def _browse(self, catalog, version: int, paths: list[str], hashes: list[str]) -> tuple:
        """``fold_catalog`` of ``catalog``'s rows (``paths``, ``hashes``, of ``version``), kept
        per catalog version; its rows compared too (a list comparison: a fraction of a millisecond), so that
        a folding kept is never another set of rows'."""
        from vsdesk.engine.query import fold_catalog

        uid = catalog.uid
        kept = self._browse_cache.get(catalog.name)
        if kept is not None and kept[:2] == (uid, version) and kept[2] == list(paths) and kept[3] == list(hashes):
            return kept[4]
        browse = fold_catalog(paths, hashes)
        self._browse_cache[catalog.name] = (uid, version, list(paths), list(hashes), browse)
        return browse

    @staticmethod
    def _predicted(snapshot: CatalogSnapshot, embedder: Any) -> CatalogSnapshot:
        """``snapshot`` told the classes the model predicts for its images (product mode), from
        the stored vectors (the heads read them, so this is NumPy only, no TensorFlow): an
        unlabelled catalog is labelled with them; a labelled one can be coloured by them too,
        to see where model and labels differ."""
        classify = getattr(embedder, "classify_vectors", None)
        told = dataclasses.replace(snapshot, predictions_pending=False)
        if classify is None or not len(snapshot) or snapshot.labels_predicted:
            return told
        classes = list(getattr(embedder, "classes", None) or [])
        classified = classify(snapshot.vectors)
        guessed = [f"{name}{PREDICTED}" for name in classified["labels"]]
        types = {**snapshot_types(snapshot.labels, classified, classes), "types_by": weakref.ref(embedder)}
        if not any(snapshot.labels):
            return dataclasses.replace(told, labels=guessed, labels_predicted=True,
                                       colouring=colouring(guessed, classes, snapshot.map_rows),
                                       **types)
        return dataclasses.replace(told, predicted_colouring=colouring(guessed, classes, snapshot.map_rows), **types)
