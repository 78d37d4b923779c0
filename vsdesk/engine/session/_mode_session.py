"""``ModeSession``: model, catalog and search for one mode (see the package's docstring)."""

from __future__ import annotations

import dataclasses
from typing import Any, Callable

import numpy as np
from PIL import Image

from vsdesk.engine.map_colours import PREDICTED
from vsdesk.engine.projection import CatalogMap
from vsdesk.engine.session._catalogs import CatalogsOfMode
from vsdesk.engine.session._opening import CatalogOpening
from vsdesk.engine.session._query import KIDS_OPTION, Hit, QueryOutcome, StaleQuery
from vsdesk.engine.session._snapshot import CatalogSnapshot
from vsdesk.engine.tasks import Cancelled, Progress, check_cancelled, never_cancelled, no_progress


class ModeSession(CatalogsOfMode, CatalogOpening):
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
        from vsdesk.engine.copies import folds_copies, signature
        from vsdesk.engine.query import decode_query, embed_queries
        from vsdesk.engine.search import file_sha256

        embedder = self.load()
        if not isinstance(image, Image.Image):
            image = decode_query(embedder, image, source)
        check_cancelled(cancelled)
        [embedded] = embed_queries(embedder, [image], cancelled=cancelled)
        check_cancelled(cancelled)
        query_hash = file_sha256(source)  # None: no such file (a pasted image)
        # A pasted picture's signature, for folding its copies in the results (a file's is read
        # from the file, as `vsdesk search` reads it); none in a mode that does not fold (VAE).
        signed = query_hash is None and folds_copies(self.mode)
        unranked = QueryOutcome(source, embedded.vector, [], embedded.extras, "", 0, model_key=embedder.key,
                                query_hash=query_hash, nothing_to_compare=embedded.nothing_to_compare,
                                query_signature=signature(image) if signed else None)
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
                                subject_weight=weight, nothing_to_compare=[outcome.nothing_to_compare],
                                query_signatures=[outcome.query_signature])
        hits = [Hit(r.index, r.path, r.score, r.label, tuple(ranked.also.get(r.index, ())),
                    tuple(ranked.also_rows.get(r.index, ())), tuple(ranked.same_picture.get(r.index, ())),
                    tuple(ranked.same_picture_rows.get(r.index, ()))) for r in ranked]
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
        prediction does (``item_classes`` reads "Dress (predicted)" as Dress, ``snapshot_types`` as no
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
            # Version and rows read in one step: a commit of another process between a check of
            # the version and the read gave rows the snapshot's ``browse`` is not of (an IndexError).
            indexed = catalog.indexed()
            if indexed.version == snapshot.version and list(indexed.vectors.paths) == snapshot.paths:
                return project_catalog(catalog, progress, cancelled, report, start_from=start_from,
                                       browse=snapshot.browse, indexed=indexed)
        # The catalog changed since the snapshot: map the snapshot itself (not cached).
        return CatalogMap(snapshot.paths, project_folded(snapshot.vectors, snapshot.browse, progress, cancelled, report,
                                                         init=initial_layout(snapshot.paths, snapshot.vectors, start_from,
                                                                             snapshot.hashes or None)))

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
