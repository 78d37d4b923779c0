"""``vsdesk search``: each query embedded with the mode's model (loaded once) and ranked against
the catalog as the window ranks it; the answer as --json records, or as text (``_search_text``).
The notes on the catalog (a folder away or changed, an index run unfinished) go to stderr."""

from __future__ import annotations

import argparse
import contextlib
import os
from typing import Any

from vsdesk.cli._catalog_steps import (
    STOPPING_SOON_WORDS,
    catalog_files,
    catalog_name_for,
    check_catalog_name,
    check_model_option,
    handle_catalog_errors,
    load_mode_embedder,
    model_for_catalog,
    open_named_catalog,
    print_index_report,
    removed_if_left_empty,
    run_index,
    settle_mode,
    stop_said_at_once,
)
from vsdesk.cli._common import (
    USAGE,
    CommandError,
    QueryIsFolder,
    StderrProgress,
    busy_key,
    check_query,
    error,
    print_json,
    queries_exit_code,
    say_note,
    why_not_done,
)
from vsdesk.cli._search_text import print_results
from vsdesk.engine.tasks import no_progress
from vsdesk.engine.text import counted, sentence, shell_quoted, shown_path


def search_command(args: argparse.Namespace) -> int:
    return handle_catalog_errors(_search_impl, args)


def failure_document(args: argparse.Namespace, failure: dict[str, Any]) -> list[dict[str, Any]]:
    """search's --json document when it ends before it got to the queries (a stop while it
    started, a catalog that is not there ...): still the list of records, each query with why."""
    return [{"query": path, **failure, "results": []} for path in args.images]


def _search_impl(args: argparse.Namespace) -> int:
    records: list[dict[str, Any]] = [{"query": path} for path in args.images]
    try:
        code, shown = _answer(args, records)
    except BaseException as exc:
        why = why_not_done(exc)
        if args.json and why is not None:
            # Still the list of records, for a script reading stdout (it got nothing): each query
            # not answered says why, as one that cannot be read does. The message is on stderr too.
            for record in records:
                if "results" not in record:
                    record.update(error=why[0], error_kind=why[1], **busy_key(exc), results=[])
            print_json(records)
        raise
    if args.json:
        print_json(records)
    elif shown is not None:
        print_results(records, *shown)
    return code


def _answer(args: argparse.Namespace, records: list[dict[str, Any]]) -> tuple[int, tuple | None]:
    """Fills in ``records`` (one per query); the exit code, and the catalog's (name, size, mode)
    and, in product mode, each record's results' types ({record index: [ItemType]}) for the
    text output (None when no query was searched)."""
    from vsdesk.engine.imageio import ImageError

    check_catalog_name(args.catalog)
    settle_mode(args)
    check_model_option(args)
    if args.same_class and args.mode != "product":
        raise CommandError(f"--same-class keeps to the query's product type; the {args.mode} mode has no classes",
                           USAGE)
    if args.kids and args.mode != "product":
        raise CommandError(f"--kids keeps to kids' wear or not, which the product model predicts; the {args.mode} "
                           "mode does not", USAGE)
    # A missing, unreadable or empty query is told at once, not after the model has loaded
    # (seconds), and the model is not loaded at all when no query is left.
    for record in records:
        try:
            check_query(record["query"], lambda folder: _how_to_search_folder(args.catalog, args.mode, folder))
        except (ImageError, QueryIsFolder) as exc:
            _failed(record, exc)
    if all("error" in record for record in records):
        return queries_exit_code(args.images, len(records)), None
    with removed_if_left_empty(catalog_name_for(args.catalog, args.mode)):  # a sample is created here
        return _search_with(args, records)


def _how_to_search_folder(catalog: str, mode: str, folder: str) -> str:
    """How to search the images of ``folder``, given as a query: index it into the catalog
    searched, and search that. A sample catalog takes no folders (`index` refuses it): then into
    a catalog of the user's own, named as the window names a new one for the folder (or the one
    of this mode that holds it already)."""
    from vsdesk.engine import samples

    if not samples.is_sample(catalog):
        return (f"search a folder's images by indexing it (`vsdesk index --catalog {shell_quoted(catalog)} "
                f"{shell_quoted(folder)}`), then search the catalog")
    from vsdesk.engine.catalog import catalog_settings
    from vsdesk.engine.session import folder_catalog_name

    settings = catalog_settings()
    real = os.path.realpath(folder)
    own = next((found.name for found in settings if found.mode == mode and real in found.folders), None)
    own = own or folder_catalog_name(mode, real, {found.name for found in settings})
    return (f"{catalog!r} is a sample catalog, which takes no folders: search a folder's images by indexing it "
            f"into a catalog of your own (`vsdesk index --mode {mode} --catalog {shell_quoted(own)} {shell_quoted(folder)}`), "
            f"then search that catalog (`vsdesk search --catalog {shell_quoted(own)} IMAGE`)")


def _search_with(args: argparse.Namespace, records: list[dict[str, Any]]) -> tuple[int, tuple]:
    """The search itself, for the queries of ``records`` not marked with an error already: the
    catalog opened, its notes said, the model loaded (the catalog brought up to date with it
    where it must be), the queries read, embedded and ranked into their records."""
    from vsdesk.engine.query import count_files

    catalog = open_named_catalog(args.catalog, args.mode, [])
    with catalog:
        if catalog.mode != args.mode:
            raise CommandError(
                f"catalog {catalog.name!r} is indexed with mode {catalog.mode!r}, not {args.mode!r}; "
                f"search it with --mode {catalog.mode}, or leave --mode out", USAGE)
        away, without_images = _note_folders_away(catalog)
        links_away = _note_image_links_away(catalog, away)
        if not catalog.folders:  # (exit 2, as every usage error: before the model loads)
            raise CommandError(f"catalog {catalog.name!r} has no folders; add some with `vsdesk index --mode "
                               f"{catalog.mode} --catalog {shell_quoted(catalog.name)} FOLDER`, or remove it with "
                               f"`vsdesk catalogs remove {shell_quoted(catalog.name)}`", USAGE)
        embedder = _embedder_for(catalog, args)
        indexed = catalog.indexed()  # (rows and hashes of one version: another process may be writing)
        vectors, hashes = indexed.vectors, indexed.hashes
        partial, changed = _note_partial_or_changed(catalog, len(vectors.paths))
        # In each answered --json record: what the notes above say, for scripts.
        about_catalog = {"catalog_partial": partial is not None, "catalog_partial_reason": partial,
                         "catalog_missing_folders": list(away), "catalog_missing_folder_kinds": away,
                         "catalog_missing_without_images": without_images,
                         "catalog_changed_folders": changed, "catalog_image_links_away": links_away}

    with stop_said_at_once(STOPPING_SOON_WORDS):  # (a batch of queries embedded: seconds)
        good, queries = _read_and_embed(args, records, embedder)
    failed = len(records) - len(good)
    item_kinds = _rank_into_records(args, records, embedder, vectors, hashes, good, queries) if good else {}
    if args.json:  # (the text said them on stderr)
        for i, _ in good:
            records[i].update(about_catalog)
    # (files as copies_left_out counts them: one file at several paths is one)
    files = count_files(range(len(vectors.paths)), hashes)
    return (1 if failed else 0), (catalog.name, len(vectors.paths), catalog.mode, item_kinds, files)


def _note_folders_away(catalog) -> tuple[dict[str, str], list[str]]:
    """Says on stderr each of the catalog's folders away, and how to forget or drop it; the
    folders away ({folder: kind}) and those of them whose images were all found elsewhere."""
    from vsdesk.engine.catalog import away_words, how_to_drop, how_to_forget

    # An empty mount point too, and a linked folder or a disk's mount point inside a folder.
    away = catalog.away_folders()
    without_images = [folder for folder in away if not catalog.holds_files(folder)]
    for folder, kind in away.items():
        whose = "a folder" if folder in catalog.folders else "in a folder"
        if folder in without_images:  # its images were found elsewhere: nothing kept for it
            say_note(f"{shown_path(folder)} ({whose} of catalog {catalog.name!r}) is {away_words(kind, holds_none=True)}; "
                     f"{how_to_drop(folder, catalog.name, catalog.folders)}")
            continue
        forget = how_to_forget(folder, catalog.name, catalog.folders)
        say_note(f"{shown_path(folder)} ({whose} of catalog {catalog.name!r}) is {away_words(kind)}; its images are "
                 f"still searched. {sentence(forget)}")
    return away, without_images


def _note_image_links_away(catalog, away: dict[str, str]) -> list[str]:
    """Says on stderr the catalog's links to single images that lead nowhere now (their disks
    away: ``Catalog.image_links_away``), those in the folders ``away`` left to their note; the
    links, by path."""
    from vsdesk.engine.catalog import image_links_away_note

    links = catalog.image_links_away(away)
    if links:
        shown = ", ".join(links[:3]) + (f" and {len(links) - 3} more" if len(links) > 3 else "")
        say_note(f"in catalog {catalog.name!r}, {image_links_away_note(len(links))} ({shown})")
    return links


def _embedder_for(catalog, args: argparse.Namespace):
    """The catalog's model (its own unless --model), loaded; the catalog indexed with it first
    where it must be (a new sample, a rebuilt index, another model), and keeping it."""
    from vsdesk.engine.catalog import CatalogBusy
    from vsdesk.engine.query import NoKidsHead

    model = model_for_catalog(catalog, args.model)  # the catalog's own unless --model
    embedder = load_mode_embedder(args.mode, model)
    if args.kids and not embedder.meta.has_kids:
        raise CommandError(f"--kids: {NoKidsHead()}", USAGE)
    indexed, _ = catalog.counts()
    if (catalog.recovered or not indexed or catalog.embedder_key != embedder.key
            or _sample_to_update(catalog, args.catalog)):
        # A new sample, a rebuilt index, a new model, a sample whose index run was cut off or
        # whose folder changed (vsdesk's own repair of it, in ``open_named_catalog``): bring the
        # catalog up to date first.
        report = run_index(catalog, embedder, model=model)
        print_index_report(report, catalog, catalog_files(catalog))
    with contextlib.suppress(CatalogBusy):
        # (Its vectors are this model's already.) Kept by the next run when another
        # process indexes the catalog now: a search is not refused for that.
        catalog.set_model(model)
    return embedder


def _note_partial_or_changed(catalog, indexed: int) -> tuple[str | None, list[str] | None]:
    """Says on stderr that the catalog holds only some of its images (``indexed``), or else which
    of its folders changed since it was indexed; why it is partial ("being-indexed",
    "unfinished" or None) and the folders changed (None when partial: not looked at)."""
    from vsdesk.engine.catalog import is_being_indexed

    partial = None  # why the catalog holds only some of its images
    if is_being_indexed(catalog):
        partial = "being-indexed"
        say_note(f"another vsdesk process is indexing catalog {catalog.name!r}; these results are from the "
                 f"{counted(indexed, 'image')} indexed so far")
    elif catalog.unfinished:
        partial = "unfinished"
        # A read-only catalog cannot be finished: `vsdesk index` would only say why not.
        finish = (f"`vsdesk index --mode {catalog.mode} --catalog {shell_quoted(catalog.name)}` finishes it" if not catalog.read_only
                  else "it is read-only, so it cannot be finished here (`vsdesk index` says what would let it)")
        say_note(f"the last index run of catalog {catalog.name!r} did not finish; these results are from the "
                 f"{counted(indexed, 'image')} indexed so far; {finish}")
    # A partial catalog is told to be indexed already; else a cheap look at its folders' times.
    changed = None if partial else catalog.changed_folders()
    for folder in changed or ():
        say_note(f"{shown_path(folder)} (a folder of catalog {catalog.name!r}) has changed since the catalog was last "
                 f"indexed (images added, removed, renamed or written over); these results are from the index "
                 f"as it was. "
                 f"`vsdesk index --mode {catalog.mode} --catalog {shell_quoted(catalog.name)}` brings it up to date")
    return partial, changed


def _read_and_embed(args: argparse.Namespace, records: list[dict[str, Any]], embedder) -> tuple[list, list]:
    """The queries of ``records`` not marked with an error, read and embedded: [(record index,
    image)] and their embeddings, in one order. One that cannot be read is marked failed in its
    record, as is (--same-class) one whose product type cannot be told."""
    from vsdesk.engine.imageio import ImageError
    from vsdesk.engine.query import decode_query, embed_queries

    good: list[tuple[int, Any]] = []  # (record index, image)
    progress = _query_progress(records)
    for i, record in enumerate(records):
        if "error" in record:
            continue
        progress(i, len(records), "reading")
        try:
            good.append((i, decode_query(embedder, record["query"])))
        except ImageError as exc:
            _failed(record, exc)
    progress(len(records), len(records), "reading")  # (each step's last line says 100 %, in a log too)

    # The facts are a bonus beside the results (a failure to get them is kept in the record),
    # except to --same-class, which keeps the results to the query's type: a query whose type
    # cannot be told fails on its own, as one that cannot be read does; the others are answered.
    queries = embed_queries(embedder, [image for _, image in good], facts_required=False,
                            progress=progress) if good else []
    if args.same_class:
        typed = []
        for found, query in zip(good, queries):
            if query.extras.get("predicted"):
                typed.append((found, query))
            else:
                record = records[found[0]]
                _failed(record, _NoProductType(record["query"], query.extras.get("describe_error")))
        good, queries = [found for found, _ in typed], [query for _, query in typed]
    return good, queries


def _rank_into_records(args: argparse.Namespace, records: list[dict[str, Any]], embedder, vectors, hashes,
                       good: list[tuple[int, Any]], queries: list) -> dict[int, list[Any]]:
    """Ranks the embedded ``queries`` against the catalog's ``vectors`` as the window does, each
    answer written into its record (``good``: the record indexes, in the queries' order); in
    product mode, each record's results' types for the text output ({record index: [ItemType]})."""
    import numpy as np

    from vsdesk.engine.query import rank_queries
    from vsdesk.engine.search import file_sha256

    described = [query.extras for query in queries]
    paths = [args.images[i] for i, _ in good]
    results = rank_queries(  # as the window ranks (the engine's one query pipeline)
        embedder, vectors, hashes, np.stack([query.vector for query in queries]), args.k,
        sources=paths, query_hashes=[file_sha256(p) for p in paths],
        kept_to=[extras.get("predicted") for extras in described] if args.same_class else None,
        kids=None if args.kids is None else args.kids == "yes",
        nothing_to_compare=[query.nothing_to_compare for query in queries],
        fold_copies=not args.show_copies,
    )
    types, kinds = _product_types(embedder, vectors.matrix, results) if args.mode == "product" else (None, None)
    item_kinds: dict[int, list[Any]] = {}  # record index -> its results' product types (text output)
    for q, ((i, _), hits, extras) in enumerate(zip(good, results, described)):
        record = records[i]
        if kinds:
            item_kinds[i] = kinds[q]
        record["results"] = [
            {"rank": r + 1, "path": hit.path, "score": round(hit.score, 6), "label": hit.label,
             **({"predicted": types[q][r]} if types else {}),
             # the kids' wear probability the model gives it (null: a model without that head)
             **({"kids": None if kinds[q][r].kids is None else round(kinds[q][r].kids, 4)} if kinds else {}),
             # the other paths of the same file (the same bytes), listed once, here
             "also": hits.also.get(hit.index, []),
             # the other files of the same picture (a PNG export, a re-saved JPEG), folded into
             # this result (none with --show-copies: each is then a result of its own)
             "copies": hits.same_picture.get(hit.index, [])}
            for r, hit in enumerate(hits)
        ]
        # The query's own file and copies of it (its bytes, or its vector) are never its
        # results: counted, so that a search finding nothing else says why.
        record["copies_left_out"] = hits.left_out
        # ... and which paths, each with how it is the query ("path", "bytes", "vector": see
        # ``query.copies_left_out``): one the model alone sees as the query (a crop the
        # painting came from) must not vanish without a word.
        record["copies_left_out_paths"] = [{"path": copy.path, "same": copy.same} for copy in hits.copies]
        # Why a query was not compared at all (a VAE picture with no object): null if it was.
        record["nothing_to_compare"] = hits.nothing_to_compare
        # Even the best result scores below most true matches (style): said, not hidden.
        record["weak_match"] = hits.weak_match
        if args.same_class:
            record["same_class"] = extras.get("predicted")
        if args.kids:  # the results were kept to kids' wear (true) or to the rest (false)
            record["kids_only"] = args.kids == "yes"
        for key, value in extras.items():
            record.setdefault(key, value)
    return item_kinds


#: From this many queries, `vsdesk search` says on stderr how far it is ("query 120/240"): a
#: user's 240 product queries took 95 s, in silence after "loading the product model".
QUERY_PROGRESS_FROM = 10


def _query_progress(records: list[dict[str, Any]]):
    """The progress of reading, embedding and describing the queries, on stderr (never stdout:
    --json's document is the same), for a search with many of them; none for a few."""
    if sum("error" not in record for record in records) < QUERY_PROGRESS_FROM:
        return no_progress
    steps: dict[str, StderrProgress] = {}

    def progress(done: int, total: int, message: str = "") -> None:
        # Each step ("reading", "embedding", "describing") counts the queries from 0 again: a
        # progress of its own, so that in a log its first line and tenths are shown too (with
        # one, "0/240 embedding" waited for the tenths the reading had reached).
        steps.setdefault(message, StderrProgress("query"))(done, total, message)

    return progress


def _product_types(embedder, matrix, results) -> tuple[list[list[str]], list[list[Any]]]:
    """Product: each result's type as the model predicts it from its stored vector (--json's
    "predicted"), and as the window shows it (``session.ItemType``: its own label where that is
    one of the model's classes, ``product.own_classes``, with the kids' wear probability), for
    the text. ``classify_vectors``: NumPy, on the rows found only, not the whole catalog, once."""
    from vsdesk.engine.product import own_classes
    from vsdesk.engine.session import ItemType

    rows = [hit.index for hits in results for hit in hits]
    if not rows:
        return [[] for _ in results], [[] for _ in results]
    labels = [hit.label for hits in results for hit in hits]
    told = embedder.classify_vectors(matrix[rows])
    predicted, kids = told["labels"], told["kids"]
    kinds = [ItemType(mine or guess, not mine, None if kids is None else float(kids[n]))
             for n, (mine, guess) in enumerate(zip(own_classes(embedder.classes, labels), predicted))]
    found, found_kinds = iter(predicted), iter(kinds)
    return ([[next(found) for _ in hits] for hits in results],
            [[next(found_kinds) for _ in hits] for hits in results])


def _sample_to_update(catalog, name: str) -> bool:
    """Whether ``catalog`` is a sample whose last index run did not finish (Ctrl+C, a kill) or
    whose folder changed since it was indexed. The folder is vsdesk's, and the usual change is
    its own repair (``samples.sample_folder``): search then finishes the run or runs the cheap
    index update itself (a fraction of a second when the bytes came back the same) rather than
    tell the user to index a folder they do not own. Not while another process indexes it, nor
    when the index is read-only: the note then says what it always says."""
    from vsdesk.engine import samples
    from vsdesk.engine.catalog import is_being_indexed

    return (samples.is_sample(name) and not catalog.read_only and not is_being_indexed(catalog)
            and (catalog.unfinished or bool(catalog.changed_folders())))


class _NoProductType(Exception):
    """--same-class: a query whose product type the model could not tell (its describe failed)."""

    kind = "no-product-type"  # its record's error_kind

    def __init__(self, query: str, why: str | None):
        super().__init__(f"{query}: its product type, which --same-class keeps the results to, could not be told"
                         + (f" ({why})" if why else ""))


def _failed(record: dict[str, Any], exc: Exception) -> None:
    """A query that cannot be used: said once, on stderr; --json keeps it as a record."""
    record.update(error=str(exc), error_kind=exc.kind, results=[])
    error(str(exc))
