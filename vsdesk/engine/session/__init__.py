"""A search session for one mode: the Qt-free facade the desktop window drives.

It strings the engine together the way a person uses it: open a catalog (the sample one, or
the user's folders, re-indexed incrementally; the model is loaded only if an image must be
embedded), load the catalog's model, search it with an image, place the query on the
catalog's t-SNE map. Every method is a plain function call that may be slow; the window runs
``load``/``load_model``/``open_catalog``/``query``/``rerank``/``decode_*`` on its one
TensorFlow thread, ``projection`` on a compute thread, and the catalog-list helpers
(``catalog_names``, ``changed_elsewhere``, ``changed_folders``, ``folder_catalog``,
``model_choices``, ``create_folder_catalog``) on its I/O thread; tests can call them directly.

Catalog snapshots are immutable, so the compute thread can project one while the TensorFlow
thread answers queries. The model and the catalog shown change together (``open_catalog``): a
query answered while another catalog opens meets the vectors of the model that embedded it.
An indexed catalog is the one searched as soon as its index is read, before its index run.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import re
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

import numpy as np
from PIL import Image

from vsdesk.engine.map_colours import PREDICTED, Colouring, colour_key, colouring
from vsdesk.engine.projection import CatalogMap
from vsdesk.engine.tasks import Cancelled, CancelledError, Progress, check_cancelled, never_cancelled, no_progress

if TYPE_CHECKING:  # (the catalog package is imported where it is used, not at the session's import)
    from vsdesk.engine.catalog import Removed
from vsdesk.engine.session._snapshot import CatalogSnapshot, ItemCaptions, ItemType, _types, item_facts, map_rows
from vsdesk.engine.session._query import KIDS_OPTION, PLACE_NEIGHBOURS, Hit, QueryOutcome, StaleQuery, place_on_map, reweigh_style_query
from vsdesk.engine.session._catalogs import DEFAULT_SAMPLE, CatalogsOfMode, folder_catalog_name, nested_folder_notes

log = logging.getLogger(__name__)


#: Images embedded per batch when indexing for the window: small batches give a progress bar
#: that moves and a Cancel that answers within a few images, at little cost in throughput.
INDEX_BATCH = 8


#: ``open_catalog``'s ``model`` left out: the catalog keeps the model it has.
KEEP_MODEL = object()


class ModeSession(CatalogsOfMode):
    """Model, catalog and search for one mode. Not thread-safe by itself: the window calls
    model methods from its one TensorFlow thread only."""

    def __init__(self, mode: str, **embedder_options: Any):
        self.mode = mode
        self._options = embedder_options
        #: The model for catalogs that keep none of their own (product: a trained model's name).
        self._default_model = embedder_options.get("model")
        self.embedder = None
        self.catalog: CatalogSnapshot | None = None
        #: (catalog name, version, each row's product type): computed once per catalog version.
        self._item_classes_cache: tuple[str, int, np.ndarray] | None = None
        #: catalog name -> (uid, version, its paths, hashes, ``fold_catalog``'s folding of them):
        #: folded once per catalog version (a stat and a realpath per file held twice), not at
        #: every snapshot (two or more per opening).
        self._browse_cache: dict[str, tuple] = {}

    # -- model --------------------------------------------------------------------------------
    def load(self, progress: Progress = no_progress) -> Any:
        """Load the model of the catalog open (TensorFlow thread); the catalog is then told what
        only the model tells (``_predicted``). Raises the model store's errors."""
        if self.embedder is None:
            self.embedder = self._load(self._options, progress)
        if self.catalog is not None and self.catalog.predictions_pending:
            self.catalog = self._predicted(self.catalog, self.embedder)
        return self.embedder

    def load_model(self, progress: Progress = no_progress) -> tuple[CatalogSnapshot | None, bool]:
        """Load the model of the catalog open, for its queries (TensorFlow thread): an indexed
        catalog opens without it (``open_catalog``). Returns the catalog's snapshot, told what
        only the model tells (product: the classes it predicts for each image), and whether its
        vectors are this model's: not when the model runs at another precision than the one
        that indexed the catalog (its key's end, known only once it runs), which must then be
        indexed again (``open_catalog`` does, with the model loaded)."""
        embedder = self.load(progress)
        snapshot = self.catalog
        fits = snapshot is None or not len(snapshot) or snapshot.model_key == embedder.key
        return snapshot, fits

    def _load(self, options: dict[str, Any], progress: Progress) -> Any:
        from vsdesk.engine.modes import load_embedder

        progress(0, 0, f"loading the {self.mode} model")  # total 0: no measurable progress
        embedder = load_embedder(self.mode, **options)
        note = embedder.first_use_note()  # product: "converting model NAME ... (once, ...)"
        if note:
            progress(0, 0, note)
        # Settles the runtime (product: the int8 TFLite conversion, ~15 s per member on first
        # use), so that happens under these messages rather than during indexing or the first query.
        embedder.warm_up()
        return embedder

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
        from vsdesk.engine.catalog import Catalog, CatalogError, CatalogNotFound, added_folder_words, index_catalog
        from vsdesk.engine.modes import vectors_key_prefix

        tell = shown or (lambda _snapshot: None)
        if samples.is_sample(name):
            # Told before the check of vsdesk's sample folder (a stat per file; a download the
            # first time), in whose pauses the window runs other tabs' urgent work.
            try:
                with Catalog.open(name) as stored:
                    stored_snapshot = self._adopt_stored(stored)
            except CatalogNotFound:
                stored_snapshot = None
            tell(stored_snapshot)
            folder = samples.sample_folder(name, progress, cancelled)
            catalog = Catalog.open_or_create(name, self.mode, [str(folder)], only=True)
        else:
            catalog = Catalog.open(name)
        try:
            if add_folders and samples.is_sample(name):
                raise CatalogError(f"{name!r} is a sample catalog: make a catalog of your folder instead")
            switched_from = None  # (model, vectors key, dim) the catalog had, when it switches
            if model is not KEEP_MODEL and model != catalog.model:
                if catalog.mode != "product":
                    raise CatalogError(f"the {catalog.mode} mode has one model: a catalog of it has no other")
                catalog.check_writable()  # (a read-only index says so, its settings left as they are)
                switched_from = (catalog.model, catalog.embedder_key, catalog.dim)
                catalog.set_model(model)
            folders_before = catalog.folders
            if not samples.is_sample(name):
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
            embedder = model_now()
            nested = nested_folder_notes(catalog.name, folders_before, add_folders, catalog.folders)
            added = added_folder_words(report, catalog.name)
            # Why it was all indexed again, what became of the folders added ...
            note = "; ".join(filter(None, [report.recovered, note, *nested, *(words for _, words in added)]))
            snapshot = dataclasses.replace(self._snapshot(catalog, embedder, options), note=note)
        finally:
            catalog.close()
        self._use(options, embedder, snapshot)
        return snapshot

    @staticmethod
    def _read_only_note(catalog, stored: CatalogSnapshot) -> str:
        """``Catalog.read_only_note`` of the read-only ``catalog`` shown as ``stored``; when its
        last index run did not finish, with how many images its folders hold (a scan: a stat
        per file, as the run it cannot do would make), so that a partial catalog says so."""
        from vsdesk.engine.catalog._scan import scan_folders

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

        vectors = catalog.vectors()
        labels = [label or "" for label in vectors.labels]
        classes = getattr(embedder, "classes", None) if embedder is not None else \
            model_classes(self.mode, **(self._options if options is None else options))
        _, skipped = catalog.counts()
        away = catalog.away_folders()  # linked folders and mount points in them too
        hashes = list(catalog.hashes())
        browse = self._browse(catalog, vectors.paths, hashes)
        snapshot = CatalogSnapshot(
            name=catalog.name,
            mode=catalog.mode,
            version=catalog.version,
            folders=tuple(catalog.folders),
            paths=list(vectors.paths),
            labels=labels,
            vectors=vectors.matrix,
            skipped=skipped,
            skipped_files=catalog.skipped() if skipped else [],
            colouring=colouring(labels, list(classes or []), map_rows(browse)),
            is_sample=samples.is_sample(catalog.name),
            model_key=catalog.embedder_key or "",
            model=catalog.model,
            hashes=hashes,
            browse=browse,
            missing_folders=tuple(away),
            missing_kinds=away,
            missing_without_images=tuple(folder for folder in away if not catalog.holds_files(folder)),
            # Without the model, the classes it predicts come once it is loaded.
            predictions_pending=embedder is None and classes is not None,
        )
        return self._predicted(snapshot, embedder) if embedder is not None else snapshot

    def _browse(self, catalog, paths: list[str], hashes: list[str]) -> tuple:
        """``fold_catalog`` of ``catalog``'s rows (``paths``, ``hashes``), kept per catalog
        version; its rows compared too (a list comparison: a fraction of a millisecond), so that
        a folding kept is never another set of rows'."""
        from vsdesk.engine.query import fold_catalog

        uid, version = catalog.uid, catalog.version
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
        types = {**_types(snapshot.labels, classified, classes), "types_by": weakref.ref(embedder)}
        if not any(snapshot.labels):
            return dataclasses.replace(told, labels=guessed, labels_predicted=True,
                                       colouring=colouring(guessed, classes, snapshot.map_rows),
                                       **types)
        return dataclasses.replace(told, predicted_colouring=colouring(guessed, classes, snapshot.map_rows), **types)

    # -- queries --------------------------------------------------------------------------------
    def query(
        self,
        image: Image.Image | bytes,
        source: str,
        k: int = 48,
        options: dict[str, Any] | None = None,
        cancelled: Cancelled = never_cancelled,
    ) -> QueryOutcome:
        """Embed a query image and search the current catalog (TensorFlow thread).
        ``image``: decoded, or an image file's bytes, decoded here as `vsdesk search` decodes a
        query (``decode_query``), so that both give one file the same vector and facts.
        ``source``: the query's file, or a description of a pasted image."""
        from vsdesk.engine.query import decode_query, embed_queries
        from vsdesk.engine.search import file_sha256

        embedder = self.load()
        if not isinstance(image, Image.Image):
            image = decode_query(embedder, image, source)
        check_cancelled(cancelled)
        [embedded] = embed_queries(embedder, [image], cancelled=cancelled)
        check_cancelled(cancelled)
        unranked = QueryOutcome(source, embedded.vector, [], embedded.extras, "", 0, model_key=embedder.key,
                                query_hash=file_sha256(source),  # None: no such file (a pasted image)
                                nothing_to_compare=embedded.nothing_to_compare)
        return self.rerank(unranked, k, options)

    def rerank(self, outcome: QueryOutcome, k: int = 48, options: dict[str, Any] | None = None) -> QueryOutcome:
        """Rank the current catalog for ``outcome``'s query vector (cheap: NumPy only), with
        other options, a longer list, or against the catalog as it is now."""
        from vsdesk.engine.query import rank_queries, weak_match_below

        snapshot = self.catalog
        weight = float(options["subject_weight"]) if options and "subject_weight" in options else None
        # No results to weigh: not weak, where the mode can tell; None (null) where it has no
        # threshold (or no model is loaded to say), as a search with results says it.
        weak = None if self.embedder is None or weak_match_below(self.embedder, weight) is None else False
        found = dataclasses.replace(outcome, hits=[], catalog="", catalog_version=0, self_index=None, left_out=0,
                                    copies=(), weak_match=weak)
        if snapshot is None or not len(snapshot):
            return found
        if outcome.model_key and snapshot.model_key and outcome.model_key != snapshot.model_key:
            raise StaleQuery(f"the query was embedded by another model than catalog {snapshot.name!r}'s: "
                             "search with it again")  # the window does (``_search_again``)
        if self.embedder is None:  # the catalog opened without its model, which any query loaded
            self.load()
        kept_to = None  # product: only items of the query's type
        if options and options.get("same_class") and outcome.extras.get("predicted"):
            kept_to = [outcome.extras["predicted"]]
        # product: only kids' wear ("yes") or only the rest ("no"), as the captions call them; not
        # with a model that does not tell kids' wear (its query has no "kids")
        kids = KIDS_OPTION.get(options.get("kids")) if options else None
        if outcome.extras.get("kids") is None:
            kids = None
        # Ranked as `vsdesk search` ranks (the query itself left out, style's query expansion).
        [ranked] = rank_queries(self.embedder, (snapshot.paths, snapshot.labels, snapshot.vectors), snapshot.hashes,
                                outcome.vector, k, sources=[outcome.source], query_hashes=[outcome.query_hash],
                                kept_to=kept_to, classes=self._item_classes(snapshot) if kept_to else None,
                                kids=kids, kids_of=snapshot.kids,
                                subject_weight=weight, nothing_to_compare=[outcome.nothing_to_compare])
        hits = [Hit(r.index, r.path, r.score, r.label, tuple(ranked.also.get(r.index, ())),
                    tuple(ranked.also_rows.get(r.index, ()))) for r in ranked]
        # The query's own row, when it is a catalog item (left out of its results): its map point.
        own = ranked.own
        return dataclasses.replace(found, hits=hits, catalog=snapshot.name, catalog_version=snapshot.version,
                                   self_index=min(own) if own else None, left_out=ranked.left_out,
                                   copies=tuple(ranked.copies), weak_match=ranked.weak_match)

    def _item_classes(self, snapshot: CatalogSnapshot) -> np.ndarray:
        """Each row's product type (``item_classes``), kept for the snapshot's catalog version."""
        from vsdesk.engine.product import item_classes

        cached = self._item_classes_cache
        if cached is None or cached[:2] != (snapshot.name, snapshot.version):
            if self._types_are_item_classes(snapshot):
                classes = np.array(snapshot.types, dtype=object)
            else:
                # An unlabelled folder's labels are the classes predicted already ("Dress (predicted)").
                labels = [label.removesuffix(PREDICTED) for label in snapshot.labels]
                classes = item_classes(self.embedder, labels, snapshot.vectors)
            cached = (snapshot.name, snapshot.version, classes)
            self._item_classes_cache = cached
        return cached[2]

    def _types_are_item_classes(self, snapshot: CatalogSnapshot) -> bool:
        """Whether ``snapshot.types`` are what ``item_classes`` would work out again (the same
        rule, ``own_classes``, the same vectors): when the embedder loaded now gave them (not a
        model loaded before, whose classes may differ), and no folder's label ends as a
        prediction does (``item_classes`` reads "Dress (predicted)" as Dress, ``_types`` as no
        class). Classifying the catalog again cost 0.1-0.2 s per 5,000 photos per kept search."""
        made_by = snapshot.types_by() if snapshot.types_by is not None else None
        return (made_by is not None and made_by is self.embedder and len(snapshot.types) == len(snapshot)
                and (snapshot.labels_predicted or not any(label.endswith(PREDICTED) for label in snapshot.labels)))

    # -- the map ----------------------------------------------------------------------------------
    def projection(
        self,
        snapshot: CatalogSnapshot,
        progress: Progress = no_progress,
        cancelled: Cancelled = never_cancelled,
        partial: Callable[[np.ndarray], None] | None = None,
        start_from: CatalogMap | None = None,
    ) -> CatalogMap:
        """2-D t-SNE of the snapshot (cached per catalog version by the engine; ``unsaved`` says
        why it could not be, if it could not).

        ``partial(embedding)`` receives the intermediate maps while t-SNE optimises.
        ``start_from``: a map of an earlier version of the catalog (most of its images: the
        part indexed before a resumed run), refined rather than computed afresh
        (``projection.initial_layout``)."""
        from vsdesk.engine.catalog import Catalog
        from vsdesk.engine.projection import initial_layout, project_catalog, project_folded

        report = (lambda xy, _iterations: partial(xy)) if partial is not None else None
        with Catalog.open(snapshot.name) as catalog:
            if catalog.version == snapshot.version:
                found = project_catalog(catalog, progress, cancelled, report, start_from=start_from,
                                        browse=snapshot.browse)
                if list(found.paths) == snapshot.paths:
                    return found
        # The catalog changed since the snapshot: map the snapshot itself (not cached).
        return CatalogMap(snapshot.paths, project_folded(snapshot.vectors, snapshot.browse, progress, cancelled, report,
                                                         init=initial_layout(snapshot.paths, snapshot.vectors, start_from)))

    # -- VAE manifold ------------------------------------------------------------------------------
    def decode_grid(
        self, n: int = 16, extent: float = 3.0
    ) -> tuple[np.ndarray, tuple[float, float, float, float]]:
        """The VAE's map decoded on an n x n grid, and the plane rectangle the mosaic covers
        (tile centres span [-extent, extent]; each tile reaches half a step beyond)."""
        engine = self.load().engine
        mosaic = engine.grid(n, extent)
        half = extent / (n - 1) if n > 1 else extent
        return mosaic, (-extent - half, extent + half, -extent - half, extent + half)

    def load_map_neighbours(self) -> None:
        """The VAE's training images' places (``VaeEngine.train_index``), by which a click on
        its map names the kind of item there and among which a query's neighbours are found:
        read ahead once the map is drawn (0.7 s here: the map encoder places 60,000 latents),
        so that the first click is answered as fast as the next (5 ms)."""
        self.load().engine.train_index()

    def decode_point(self, x: float, y: float) -> np.ndarray:
        """Any point of the VAE's 2-D map -> a 28x28 uint8 image."""
        return self.load().engine.decode_points(np.array([[x, y]], np.float32))[0]

    def decode_point_facts(self, x: float, y: float) -> dict[str, Any]:
        """``decode_point``'s picture with the point and the kind of item there, in words
        (``VaeEngine.map_category``): {"pixels", "point", "category", "count", "of"}."""
        from vsdesk.engine.vae.engine import VOTE_K

        engine = self.load().engine
        category, count = engine.map_category(x, y)
        return {"pixels": self.decode_point(x, y), "point": (float(x), float(y)),
                "category": category, "count": count, "of": VOTE_K}
