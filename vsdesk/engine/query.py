"""A query image answered: the one pipeline of `vsdesk search` and of the window's search session
(``ModeSession.query``/``rerank``), so that both give one file the same vector, the same facts
and the same results.

    image = decode_query(embedder, path)                 # at the model's decode_size
    [query] = embed_queries(embedder, [image])          # preprocess, embed, describe
    rows = catalog.indexed()                            # vectors and hashes of one version
    [results] = rank_queries(embedder, rows.vectors, rows.hashes, query.vector, k,
                             sources=[path], query_hashes=[file_sha256(path)])

``embed_queries`` runs TensorFlow (the window's TensorFlow thread); the rest is NumPy and Pillow.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass
from typing import Any, Iterable, NamedTuple, Sequence

import numpy as np
from PIL import Image

from vsdesk.engine.copies import SamePicture, Signature, folds_copies, signature_of_file
from vsdesk.engine.tasks import Cancelled, Progress, check_cancelled, never_cancelled, no_progress

#: Query images embedded per batch (`vsdesk search` takes any number of queries).
EMBED_BATCH = 32

#: A catalog item whose stored vector is the query's own, to this cosine, is a copy of the
#: query, left out of its results as a copy of its file is (``same_vector_rows``): a pasted
#: image has no file, hence no content hash, yet its pixels may be a catalog image's. A
#: threshold, not exact equality: the same pixels embedded in another batch differ in the last
#: bits (product: up to 3e-7 per component, cosine 0.9999999 rather than 1), while distinct
#: images stay below it (the closest two of the 10,000 Fashion-MNIST test images under the
#: VAE: 0.99978; of 300 clothing photos under the product model: 0.94; artworks under style:
#: 0.74). A picture decoded otherwise than its catalog item (a large JPEG pasted at full size,
#: which the catalog decoded reduced) can differ more, and is then the very close result it is.
#: No lower threshold could catch such copies under the VAE without hiding distinct items:
#: 500 Fashion-MNIST test images upscaled to 1000x1000 come back at cosine 0.91 (median) and
#: 0.997 at best against their 28x28 originals, as PNG as well as JPEG q85 (so not JPEG's noise):
#: a large picture takes the photo route of ``dataset_form`` (object mask, fade, gain, crop to
#: the mask's box), which is not the identity on a Fashion-MNIST image. Even a plain resize back
#: to 28 pixels would give 0.986 at worst (median 0.9974, 200 items): a threshold catching these
#: would lie far below the closest distinct pair (0.99978) and hide distinct items.
SAME_VECTOR_COSINE = 0.9999


#: What `vsdesk search` and the window say of results whose best score is low
#: (``Results.weak_match``). A low score is a warning, not a verdict: some right answers score
#: below the threshold too (a detail of a painting found first at 0.60), so it must not say the
#: results are wrong.
WEAK_MATCH = ("low similarity: the best result scores below most true matches; it may still be right, "
              "or there may be no close match in this catalog")


@dataclass
class EmbeddedQuery:
    vector: np.ndarray  # float32 (dim,), L2-normalised
    #: ``Embedder.describe``'s facts (class probabilities, anomaly ...); with ``facts_required``
    #: False, {"describe_error": message} when they could not be had.
    extras: dict[str, Any]
    #: Why the query is not compared with the catalog (``Embedder.nothing_to_compare``: a VAE
    #: query with no object in it), or None. Such a query has no results (``rank_queries``).
    nothing_to_compare: str | None = None


def decode_query(embedder: Any, data: bytes | str | os.PathLike, name: str | None = None) -> Image.Image:
    """A query image decoded for ``embedder`` as `vsdesk search`, `vsdesk vae describe` and the
    window decode one: a JPEG reduced (1/2 to 1/8) to no less than the model's ``decode_size``.
    The step chosen changes the pixels the model sees (a VAE anomaly score by a few nats), so the
    window's larger decode for its preview must not be what the model is given."""
    from vsdesk.engine.imageio import load_image

    return load_image(data, min_size=embedder.decode_size, name=name)


def embed_queries(
    embedder: Any,
    images: Sequence[Image.Image],
    *,
    facts_required: bool = True,
    cancelled: Cancelled = never_cancelled,
    progress: Progress = no_progress,
) -> list[EmbeddedQuery]:
    """Each decoded query image's vector and facts. ``facts_required`` False: the facts are a
    bonus (the results are the point), and a failure to get them is kept as "describe_error"
    instead of raised; True when the facts decide the results (a search kept to the query's
    product type needs its predicted type). ``progress``: queries embedded, then described
    (both take a while for hundreds of queries: `vsdesk search *.jpg`)."""
    arrays = [embedder.preprocess(image) for image in images]
    vectors = []
    for start in range(0, len(arrays), EMBED_BATCH):
        check_cancelled(cancelled)
        progress(start, len(arrays), "embedding")
        vectors.extend(np.asarray(embedder.embed(np.stack(arrays[start : start + EMBED_BATCH])), dtype=np.float32))
    progress(len(arrays), len(arrays), "embedding")  # each step ends at 100 % (a log shows where it got)
    queries = []
    for done, (image, vector) in enumerate(zip(images, vectors)):
        check_cancelled(cancelled)
        progress(done, len(images), "describing")
        # Told apart from the facts: a query with nothing to compare has no results even when
        # its facts could not be had (facts_required False).
        why_not = embedder.nothing_to_compare(image) if hasattr(embedder, "nothing_to_compare") else None
        try:
            extras = embedder.describe(image, vector) or {}
        except Exception as exc:  # noqa: BLE001 - see facts_required
            if facts_required:
                raise
            extras = {"describe_error": str(exc)}
        queries.append(EmbeddedQuery(vector, extras, why_not))
    progress(len(images), len(images), "describing")
    return queries


def weak_match_below(embedder: Any, subject_weight: float | None = None) -> float | None:
    """The score below which the best result is a weak match (``Results.weak_match``), or None
    where none was measured: a mode without one (product, VAE), or style searched at another
    subject weight than the embedder's own (scores at another are not comparable)."""
    weak_below = getattr(embedder, "weak_match_below", None)
    own_weight = getattr(getattr(embedder, "config", None), "subject_weight", None)
    return None if subject_weight is not None and subject_weight != own_weight else weak_below


def rank_queries(
    embedder: Any,
    vectors,
    hashes: Sequence[str] | None,
    queries: np.ndarray,
    k: int,
    *,
    sources: Sequence[str | None],
    query_hashes: Sequence[str | None],
    kept_to: Sequence[str | None] | None = None,
    classes: np.ndarray | None = None,
    kids: bool | None = None,
    kids_of: np.ndarray | None = None,
    subject_weight: float | None = None,
    nothing_to_compare: Sequence[str | None] | None = None,
    fold_copies: bool = True,
    query_signatures: Sequence[Signature | None] | None = None,
):
    """The k best catalog items for each query vector (``search_catalog``'s ``Results``).

    ``vectors``: the catalog's (paths, labels, matrix), e.g. ``catalog.vectors()``; ``hashes``
    its content hash per row. Each query's own item is left out: the file it came from
    (``sources[i]``), a copy of it (``query_hashes[i]``) or an item whose vector is the
    query's (``same_vector_rows``: a pasted image has no file), counted in ``Results.left_out``
    as files, as ``k`` counts them (one file at several paths is one: ``count_files``), and
    named in ``Results.copies`` (``copies_left_out``).
    ``kept_to[i]``: only items of that product type (the type the query is shown with; None:
    any), by ``classes`` (each item's type, ``item_classes``: worked out here if not given).
    ``kids``: only items the model calls kids' wear (True) or only the others (False), by
    ``kids_of`` (each item's kids' wear probability, ``item_kids``: worked out if not given); a
    model without a kids' wear head raises ``NoKidsHead``.
    ``subject_weight``: style's slider (``reweigh_style_query``), applied after the copies are
    known by the vectors as embedded. The embedder's query expansion, if it has one (style:
    alpha-QE, docs/style.md), re-ranks as `vsdesk eval style` measures it.
    ``Results.weak_match``: the best score is below the embedder's ``weak_match_below`` (style).
    ``nothing_to_compare[i]`` (``EmbeddedQuery.nothing_to_compare``): query i is not compared,
    and its ``Results`` are empty, with ``nothing_to_compare`` saying why (nor a copy of it in
    the catalog is its place on a map: its vector is a blank's, not an item's).
    ``fold_copies``: results that are the same picture as a better-ranked one (another file: a
    PNG export, a re-saved JPEG, ``copies.SamePicture``) are folded into it
    (``fold_same_pictures``), and those that are the same picture as the query are left out as
    its copies are; False (`vsdesk search --show-copies`): each is a result of its own.
    ``query_signatures[i]``: query i's picture signature where it has no file (a pasted image);
    None: read from ``sources[i]``."""
    from vsdesk.engine.search import Deepen, Results, search_catalog

    as_embedded = np.atleast_2d(np.asarray(queries, dtype=np.float32))
    copies, copies_from = None, SAME_VECTOR_COSINE
    if subject_weight is not None:
        from vsdesk.engine.session import reweigh_style_query

        # The copies are known by the vectors as embedded, not as reweighed: a pass of their own.
        copies, copies_from = same_vector_rows(vectors[2], queries), None
        queries = reweigh_style_query(embedder, queries, subject_weight)
    other_class = None
    if kept_to is not None:
        from vsdesk.engine.product import item_classes, outside_class

        # Worked out again when not given (the CLI, each run) rather than kept on disk: 0.08-0.18 s
        # for 4,878 unlabelled photos, about 1 % of a CLI run, which loads TensorFlow (~10 s here).
        if classes is None and any(kept_to):
            classes = item_classes(embedder, vectors[1], vectors[2])
        other_class = [outside_class(classes, wanted) for wanted in kept_to]
    if kids is not None:
        other_class = _without_kids_side(embedder, vectors[2], kids, kids_of, other_class,
                                         np.atleast_2d(queries).shape[0])
    # A file held twice (a backup folder, links to the same photos) is one result: ranked deep
    # enough that k others remain once its copies are folded into it, but no deeper than the
    # first k files need to be whole (``WholeFiles``).
    judge = _same_picture_judge(embedder, vectors, hashes) if fold_copies else None
    skipped = nothing_to_compare or [None] * len(sources)
    folded = [judge is not None and not why for why in skipped]
    if judge is not None:
        query_signatures = _query_signatures(query_signatures, sources, query_hashes, folded)
    # Copies of one picture as other files fold into one result: ranked deeper (the files those
    # copies took) until k different pictures remain, the catalog has no more, or
    # ``deepest_folded(k)`` files are ranked (copies further down are not looked for).
    deepest = deepest_folded(k)
    extra = 0
    while True:
        whole = WholeFiles(hashes, k + extra)
        ranked = search_catalog(
            vectors, queries, k + extra + whole.extra,
            query_paths=sources, query_hashes=query_hashes, catalog_hashes=hashes,
            expansion=getattr(embedder, "query_expansion", None),
            also_exclude=other_class, copies=copies, copies_from=copies_from,
            deepen=Deepen(2 * k, whole) if whole.extra else None,
        )
        short = False
        for q, found in enumerate(ranked):
            fold_identical(found, hashes, k + extra)
            if folded[q]:
                files = len(found)
                leave_out_query_copies(found, judge, as_embedded[q], query_signatures[q])
                fold_same_pictures(found, judge, k)
                short |= len(found) < k and files == k + extra
        if not short or k + extra >= deepest:
            break
        extra = min(2 * extra + k, deepest - k)
    for found, source, query_hash in zip(ranked, sources, query_hashes):
        found.left_out = count_files(found.own, hashes)
        found.copies = copies_left_out(found.own, vectors[0], hashes, source, query_hash, found.own_pictures)
    weak_below = weak_match_below(embedder, subject_weight)
    for found in ranked:
        # None, not False, where the mode has no measured threshold (product, VAE; style at
        # another weight): "not weak" would read as "the match is fine", which nothing measured.
        found.weak_match = None if weak_below is None else bool(found) and found[0].score < weak_below
    # Ranked with the others and then emptied: such a query is rare, and the rest keep the
    # one batch (style's query expansion ranks a batch at once).
    return [Results(nothing_to_compare=why, weak_match=None if weak_below is None else False) if why else found
            for found, why in zip(ranked, skipped)]


def deepest_folded(k: int) -> int:
    """How many files deep a search ranks at most to fill ``k`` results with different pictures
    (``fold_same_pictures``): a catalog of 10,000 copies of one blank picture took 11.7 s and
    547 MB when ranked to its end, every file decoded."""
    return max(4 * k, 200)


def _query_signatures(given: Sequence[Signature | None] | None, sources: Sequence[str | None],
                      query_hashes: Sequence[str | None], wanted: Sequence[bool]) -> list[Signature | None]:
    """Each query's picture signature: the one ``given`` (a pasted image's), else its file's
    (``sources``), None for a query without either or not ``wanted`` (not folded)."""
    signatures: list[Signature | None] = []
    for mine, source, digest, want in zip(given or [None] * len(sources), sources, query_hashes, wanted):
        if mine is None and source is not None and want:
            mine = signature_of_file(source, digest)
        signatures.append(mine if want else None)
    return signatures


class NoKidsHead(ValueError):
    """A search kept to kids' wear (or not) with a model that does not predict it."""

    def __init__(self) -> None:
        super().__init__("this model does not tell kids' wear (it was trained without the kids attribute), "
                         "so results cannot be kept to kids' wear or not")


def _without_kids_side(embedder: Any, matrix: np.ndarray, kids: bool, kids_of: np.ndarray | None,
                       other_class: list[np.ndarray] | None, n: int) -> list[np.ndarray]:
    """Each query's rows to leave out (``search_catalog``'s ``also_exclude``): those of another
    type, if any, and those on the other side of kids' wear than ``kids``."""
    from vsdesk.engine.product import item_kids, outside_kids

    if kids_of is None:
        kids_of = item_kids(embedder, matrix) if hasattr(embedder, "classify_vectors") else None
    if kids_of is None:
        raise NoKidsHead()
    other_side = outside_kids(kids_of, kids)
    if other_class is None:
        return [other_side] * n
    return [np.union1d(rows, other_side) for rows in other_class]


#: How a file left out as a copy of the query is the query, in words (``LeftOut.same``); the
#: query's own file ("path") needs none.
COPY_WORDS = {"bytes": "the same bytes", "vector": "the same picture to the model: its vector is the query's",
              "picture": "the same picture in another file"}


def copies_to_name(copies: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """(path, how) of the files left out as copies of the query (``LeftOut``) that `vsdesk
    search` and the window name: all but the query's own file, with how each is the query in
    words. A file the model alone sees as the query (the painting a crop came from) would
    otherwise be missing from the results with nothing said."""
    return [(path, COPY_WORDS[same]) for path, same in copies if same in COPY_WORDS]


class LeftOut(NamedTuple):
    """A catalog file left out of a query's results as a copy of the query (``copies_left_out``)."""

    path: str
    #: How it is the query: "path" (the query's own file), "bytes" (its content under another
    #: name) or "vector" (another file the model gives the query's own vector).
    same: str


def copies_left_out(rows: Iterable[int], paths: Sequence[str], hashes: Sequence[str] | None,
                    source: str | os.PathLike | None, query_hash: str | None,
                    pictures: Iterable[int] = ()) -> list[LeftOut]:
    """Which files ``rows`` (``Results.own``) are, and how each is the query, so that `vsdesk
    search` and the window can say which were left out, not only how many.

    Left out, not kept and marked, because a vector is all there is to know a copy by when the
    query has no file (a pasted image: no path, no content hash) or other bytes (the same
    picture saved again as PNG, or in another format): kept, such a copy would be
    the first result at 1.000 ahead of every real answer, as it was before it was left out.
    Telling it from another picture that only the model sees as the query (style's centre
    window takes the same 224 x 224 pixels from a picture and a crop of it holding them, so a
    crop's own painting is "the same" to it) would need the catalog's files read again at each
    query, and the answer would still be the same vector. So every copy is named instead, the
    "vector" ones said in words where the results are shown: the painting a crop came from is
    then found, not lost in silence. ``pictures``: the rows left out as the same picture in
    another file (``leave_out_query_copies``), "picture"."""
    wanted = os.path.abspath(os.fspath(source)) if source is not None else None
    pictures = set(pictures)
    left_out = []
    for row in sorted(rows):
        path = paths[row]
        if path == wanted:
            same = "path"
        elif query_hash is not None and hashes and hashes[row] == query_hash:
            same = "bytes"
        elif row in pictures:
            same = "picture"
        else:
            same = "vector"
        left_out.append(LeftOut(path, same))
    return left_out


class WholeFiles:
    """Whether a ranking holds its first ``k`` files whole (``search.Deepen``'s ``enough``): every
    row of each of them that could be ranked, as ``fold_identical`` would see them in the
    ranking ``k`` + ``extra`` rows deep (``extra``: the rows holding a file another row holds
    too, the most that folding can remove). A file's rows are all ranked when the ranking holds
    as many as the catalog does, less those left out of it (never ranked); identical bytes
    share one vector, so its rows are usually next to each other, and a few dozen rows are
    enough where the rows a whole catalog's copies could take are thousands."""

    def __init__(self, hashes: Sequence[str] | None, k: int):
        self.hashes, self.k = hashes, k
        # Counter counts in C: a 10k-row catalog in well under a millisecond.
        counts = Counter(hashes or ())
        counts.pop("", None)
        counts.pop(None, None)
        #: content hash -> its rows in the catalog, for the hashes of more than one row
        self.held = {digest: rows for digest, rows in counts.items() if rows > 1}
        self.extra = sum(self.held.values()) - len(self.held)
        #: the rows left out last read (one query's, through its deepening steps) and, per
        #: content hash held more than once, how many of them it holds
        self._left_out: set[int] | None = None
        self._left_out_held: Counter = Counter()

    def __call__(self, hits, left_out: set[int]) -> bool:
        hashes = self.hashes
        ranked: Counter = Counter()
        files: list = []  # the files in ranking order (a row without a hash is a file of its own)
        for hit in hits:
            digest = hashes[hit.index]
            if not digest:
                files.append(None)
            elif digest not in ranked:
                files.append(digest)
            ranked[digest] += 1
        if len(files) < self.k:
            return False
        return all(ranked[digest] >= self.held[digest] or ranked[digest] >= self._rankable(digest, left_out)
                   for digest in files[: self.k] if digest in self.held)

    def _rankable(self, digest: str, left_out: set[int]) -> int:
        """How many of ``digest``'s rows a ranking can hold: the catalog's, less those left out
        (rarely any: the rows of one file share its vector, hence its type and its being a copy
        of the query). Read only when a file's rows seem to be missing; ``left_out`` counted once
        per query (the same set at each deepening step), not once per file and step."""
        if left_out is not self._left_out:
            hashes, held = self.hashes, self.held
            self._left_out = left_out  # (held: its id cannot be another set's while compared)
            self._left_out_held = Counter(digest for digest in (hashes[row] for row in left_out) if digest in held)
        return self.held[digest] - self._left_out_held[digest]


def count_files(rows: Iterable[int], hashes: Sequence[str] | None) -> int:
    """How many files ``rows`` hold: rows of the same content hash are one (as ``fold_identical``
    shows them); a row without a hash is one of its own."""
    rows = list(rows)
    if not hashes:
        return len(rows)
    return len({hashes[row] for row in rows if hashes[row]}) + sum(1 for row in rows if not hashes[row])


def files_per_folder(folders: Sequence[str], paths: Sequence[str],
                     hashes: Sequence[str] | None) -> dict[str, tuple[int, int]]:
    """Each of ``folders``' (files, paths) among a catalog's rows (``paths``, ``hashes``): a
    file at several paths is one (``count_files``). Walks every path: at 40,000 that took a
    window's thread 6-30 ms, so a snapshot is told it where it is made (``folder_counts``)."""
    counts = {}
    for folder in folders:
        prefix = folder.rstrip("/\\") + os.sep
        rows = [row for row, path in enumerate(paths) if path.startswith(prefix)]
        counts[folder] = (count_files(rows, hashes), len(rows))
    return counts


def fold_identical(found, hashes: Sequence[str] | None, k: int) -> None:
    """``found`` (``Results``) with each file shown once, in place: the rows of one content hash
    (identical bytes share one vector: the same score, next to each other) are one result, at
    the place of the first, shown at the path ``shown_first`` puts first, the others' paths in
    ``found.also`` under its row (their rows in ``found.also_rows``); then the first ``k``. Rows
    without a hash are kept as they are."""
    if not hashes:
        del found[k:]
        return
    groups: dict[str, list] = {}  # content hash -> its results, in ranking order
    order: list = []  # a content hash, or a Result without one, in ranking order
    for result in found:
        digest = hashes[result.index]
        if not digest:
            order.append(result)
        elif digest not in groups:
            groups[digest] = [result]
            order.append(digest)
        else:
            groups[digest].append(result)
    kept, also, also_rows = [], {}, {}
    for entry in order[:k]:
        if not isinstance(entry, str):
            kept.append(entry)
            continue
        group = groups[entry]
        # (``shown_first`` reads the files' times: only for a file held more than once)
        first, *others = sorted(group, key=shown_first) if len(group) > 1 else group
        # The ranking's place and score (the same for all: one vector), the chosen row's path.
        kept.append(first._replace(score=group[0].score))
        if others:
            also[first.index] = [result.path for result in others]
            also_rows[first.index] = [result.index for result in others]
    found.also, found.also_rows = also, also_rows
    found[:] = kept


def _same_picture_judge(embedder: Any, vectors, hashes: Sequence[str] | None) -> SamePicture | None:
    """The rule telling copies of one picture apart for ``embedder``'s mode, or None for an
    embedder without a measured one (a test's stand-in)."""
    mode = getattr(embedder, "mode", None)
    if not folds_copies(mode):
        return None
    return SamePicture(mode, vectors[2], vectors[0], hashes)


def leave_out_query_copies(found, judge: SamePicture, vector: np.ndarray, query: Signature | None) -> None:
    """The results of ``found`` that are the query's picture in another file (``judge.of_query``)
    left out, in place, as the query's own file and its byte copies are: added to ``found.own``
    and ``found.own_pictures`` with the other paths of their bytes (``found.also_rows``)."""
    if query is None:
        return
    gone = [result for result in found if judge.of_query(vector, query, result.index)]
    if not gone:
        return
    rows = {row for result in gone for row in (result.index, *found.also_rows.pop(result.index, ()))}
    for result in gone:
        found.also.pop(result.index, None)
    found.own = found.own | rows
    found.own_pictures |= rows
    found[:] = [result for result in found if result not in gone]


def fold_same_pictures(found, judge: SamePicture, k: int) -> None:
    """``found`` (``Results``, each file once: ``fold_identical``) with each picture once, in
    place: a result that is the same picture as a better-ranked one (``judge``: another file of
    it) is folded into that one; then the first ``k``. Each picture kept is shown at its place
    and best score, at the file ``shown_first`` puts first, the others' paths and those of their
    bytes in ``found.same_picture`` under its row (their rows in ``same_picture_rows``).
    Compared with the pictures kept so far only: the model's cosine first (NumPy), the files'
    signatures only where it calls two the same (``SamePicture.heads``)."""
    kept: list = []
    files: dict[int, list] = {}  # a kept result's row -> its picture's results, best first
    for result, head in zip(found, judge.heads([result.index for result in found])):
        if head is None:
            kept.append(result)
            files[result.index] = [result]
        else:
            files[head].append(result)
    shown, same_picture, same_picture_rows = [], {}, {}
    for best in kept[:k]:
        # Shown at its oldest file (``shown_first``: a copy is made after its original), the
        # same in every search, as a file held twice is; not at the best-ranked one, which
        # changes from query to query (the PNG export here, the resized copy there). The
        # picture keeps its place and its best score.
        first, *others = sorted(files[best.index], key=shown_first) if len(files[best.index]) > 1 else [best]
        shown.append(first._replace(score=best.score))
        if others:
            same_picture[first.index] = [path for r in others for path in (r.path, *found.also.get(r.index, ()))]
            same_picture_rows[first.index] = [row for r in others
                                              for row in (r.index, *found.also_rows.get(r.index, ()))]
    found.same_picture, found.same_picture_rows = same_picture, same_picture_rows
    found[:] = shown


def fold_catalog(paths: Sequence[str], hashes: Sequence[str] | None) -> tuple[tuple[int, tuple[int, ...]], ...]:
    """The catalog as a gallery browses it, without a query: each file once, as search results
    show it (``fold_identical``): (row, the rows of the file's other paths) in row order, at the
    place of its first row, at the path ``shown_first`` puts first. Reads the times of files
    held more than once only: run it off the GUI thread (``CatalogSnapshot.browse`` is made with
    the snapshot)."""
    from vsdesk.engine.search import Result, Results

    found = Results(Result(path, 0.0, None, row) for row, path in enumerate(paths))
    fold_identical(found, hashes, len(found))
    return tuple((result.index, tuple(found.also_rows.get(result.index, ()))) for result in found)


def shown_first(result) -> tuple:
    """Which of a file's paths a result shows, the same every time: not the one ranked first
    (the first in path order, often a backup/ folder's), but a real file before a link to it (a
    path reached through a symbolic link), then the oldest (a copy is made after its original;
    hard links are one file, one time), then the shortest path (a copy's name tends to be
    longer: "photo (1).jpg"), then the first indexed."""
    path = result.path
    try:
        modified = os.stat(path).st_mtime
    except OSError:  # away (a folder unplugged): still a place of the file, shown last
        modified = float("inf")
    return (os.path.realpath(path) != os.path.abspath(path), modified, len(path), result.index)


def same_vector_rows(matrix, queries) -> list[set[int]]:
    """For each query vector, the catalog rows (``matrix``, L2-normalised as the queries are)
    whose vector is the query's own (cosine at least ``SAME_VECTOR_COSINE``): copies of it.
    ``rank_queries`` finds them in its ranking's pass (``search.rank``) where it can."""
    from vsdesk.engine.search import rank

    return rank(matrix, queries, 0, copies_from=SAME_VECTOR_COSINE)[1]
