"""``vsdesk index``, ``vsdesk search`` and ``vsdesk catalogs list|remove``.

The sample catalogs ("clothing", "fashion-mnist", "style-artworks") can be named directly: they
are fetched and indexed on first use. Searching one with a mode other than the one it is made
for uses the catalog ``<sample>.<mode>``.
"""

from __future__ import annotations

import argparse
import contextlib
import os
from typing import Any

from vsdesk.cli._catalog_steps import (
    _add_model_argument,
    _catalog_model,
    _catalog_name,
    _check_model_option,
    _check_name,
    _handle,
    _Interrupted,
    _load_embedder,
    _print_report,
    _removed_if_left_empty,
    _resolve,
    _run_index,
    _settle_mode,
)
from vsdesk.cli._common import (
    INTERRUPTED,
    USAGE,
    CommandError,
    StderrProgress,
    add_mode_argument,
    error,
    json_on_failure,
    positive_int,
    print_json,
    queries_exit_code,
    say,
    why_not_done,
)
from vsdesk.cli._search_text import _print_results
from vsdesk.engine.tasks import no_progress
from vsdesk.engine.text import counted, sentence


def register(subparsers) -> None:
    index = subparsers.add_parser(
        "index",
        help="create or update a catalog from folders of images",
        description="Index every image under the FOLDERs (recursively) into catalog NAME. A re-run "
        "only embeds new or changed files. The sample catalogs need no FOLDER.",
    )
    add_mode_argument(index, "the catalog's mode: needed to create one (default: an existing catalog's own; a "
                      "sample's, the mode it is made for)")
    index.add_argument("--catalog", required=True, metavar="NAME", help="catalog name (created if new)")
    index.add_argument("folders", nargs="*", metavar="FOLDER", help="folders to add to the catalog")
    index.add_argument("--batch-size", type=positive_int, default=32, metavar="N", help="images per model batch (default 32)")
    index.add_argument("--json", action="store_true", help="print the report as JSON on stdout")
    _add_model_argument(index)
    index.set_defaults(handler=_index)

    search = subparsers.add_parser(
        "search",
        help="find the catalog images most similar to query images",
        description="Embed each IMAGE with the mode's model (loaded once) and list its k nearest "
        "catalog images by cosine similarity.",
    )
    add_mode_argument(search, "search mode (default: the catalog's own; a sample's, the mode it is made for: "
                      "another indexes the sample once into NAME.MODE)")
    search.add_argument("--catalog", required=True, metavar="NAME", help="catalog (or sample) to search")
    search.add_argument("images", nargs="+", metavar="IMAGE", help="query image files")
    search.add_argument("-k", type=int, default=10, metavar="N", help="results per query (default 10)")
    search.add_argument("--json", action="store_true", help="a JSON list, one record per query, on stdout")
    search.add_argument(
        "--same-class", action="store_true",
        help="product mode: only items of the query's predicted product type (an item's own label "
        "where it is one of the model's classes, else the type predicted for it)",
    )
    search.add_argument(
        "--kids", choices=("yes", "no"),
        help="product mode: only items the model calls kids' wear (yes) or only the others (no); "
        "an item is kids' wear when the model gives it 50 %% or more, as its caption says \"for kids\"",
    )
    _add_model_argument(search)
    search.set_defaults(handler=_search)

    catalogs = subparsers.add_parser("catalogs", help="list or remove catalogs")
    actions = catalogs.add_subparsers(dest="catalogs_command", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="every catalog with its mode, folders and size",
                                 description="List every catalog: its mode and model, how many images it has "
                                 "indexed and skipped, its folders, and what needs doing (a folder missing, an "
                                 "index run that did not finish).")
    listing.add_argument("--json", action="store_true", help="a JSON list on stdout")
    listing.set_defaults(handler=_list)
    removing = actions.add_parser("remove", help="delete a catalog's index (your images are not touched)")
    removing.add_argument("name", metavar="NAME", help="the catalog (as `vsdesk catalogs list` names it)")
    removing.add_argument("--json", action="store_true", help='print {"catalog", "location"} on stdout')
    removing.set_defaults(handler=_remove)
    forgetting = actions.add_parser(
        "remove-folder", help="stop searching one of a catalog's folders and forget its images' entries"
    )
    forgetting.add_argument("name", metavar="NAME", help="the catalog")
    forgetting.add_argument("folder", metavar="FOLDER", help="one of its folders (as `catalogs list` shows them)")
    forgetting.add_argument("--json", action="store_true", help='print {"catalog", "folder", "forgotten"} on stdout')
    forgetting.set_defaults(handler=_remove_folder)


# -- commands -------------------------------------------------------------------------------

def _index(args: argparse.Namespace) -> int:
    return _handle(_index_json_on_failure(_index_impl), args)


def _index_impl(args: argparse.Namespace) -> int:
    from vsdesk.engine import samples
    from vsdesk.engine.catalog import catalog_exists

    _check_name(args.catalog)
    try:
        _settle_mode(args)
    except CommandError:  # a new catalog without --mode: a folder given wrong is the first thing to fix
        _check_folders(args.folders)
        raise
    _check_model_option(args)
    _check_folders(args.folders)
    if not args.folders and not samples.is_sample(args.catalog) and not catalog_exists(args.catalog):
        raise CommandError(f"no catalog named {args.catalog!r} yet: give the folders to index, "
                           f"`vsdesk index --mode {args.mode} --catalog {args.catalog} FOLDER...`", USAGE)
    with _removed_if_left_empty(_catalog_name(args.catalog, args.mode)):
        return _index_into(args)


def _check_folders(folders: list[str]) -> None:
    """Each folder given to `index` must be a folder that is there (exit 2: a typo, most likely)."""
    from vsdesk.engine.catalog import why_not_a_folder

    for folder in folders:
        problem = why_not_a_folder(folder)
        if problem:
            raise CommandError(f"{folder}: {problem}", USAGE)


def _index_json_on_failure(func):
    """With --json, `index` prints one JSON object on stdout however it ends: a run stopped by
    Ctrl+C prints its report of what was done ("interrupted": true), a run that could not be made
    ``{"catalog", "mode", "error", "error_kind"}``; the message goes to stderr as without --json."""
    def run(args: argparse.Namespace) -> int:
        try:
            return func(args)
        except BaseException as exc:
            why = why_not_done(exc)
            if args.json and why is not None:
                report = exc.report.as_dict() if isinstance(exc, _Interrupted) else (
                    {"interrupted": True} if why[1] == INTERRUPTED else {})
                print_json({"catalog": _catalog_name(args.catalog, args.mode), "mode": args.mode, **report,
                            "error": why[0], "error_kind": why[1]})
            raise
    return run


def _index_into(args: argparse.Namespace) -> int:
    from vsdesk.engine import samples
    from vsdesk.engine.catalog import added_folder_words
    from vsdesk.engine.session import nested_folder_notes
    from vsdesk.engine.modes import vectors_key_prefix

    catalog = _resolve(args.catalog, args.mode, args.folders)
    with catalog:
        folders_before = catalog.folders
        if catalog.mode != args.mode:  # before the (slow) model load
            raise CommandError(f"catalog {catalog.name!r} is indexed with mode {catalog.mode!r}, not {args.mode!r}",
                               USAGE)
        model = _catalog_model(catalog, args.model)  # the catalog's own unless --model
        # The model is loaded only if some file needs embedding or the model changed (its key
        # is read without loading it): an unchanged re-run is instant. A model asked for by
        # name is loaded first: the catalog may hold another one's vectors.
        loader = _load_embedder(args.mode, model, indexing=True) if args.model is not None else (
            lambda: _load_embedder(args.mode, model, indexing=True))
        options = {"model": model} if model is not None else {}
        # The run keeps the model for the next runs, and the window.
        report = _run_index(catalog, loader, args.batch_size,
                            add_folders=[] if samples.is_sample(args.catalog) else args.folders,
                            model_key=None if args.model is not None else vectors_key_prefix(args.mode, **options),
                            model=model)
    _print_report(report, catalog)
    for words in nested_folder_notes(catalog.name, folders_before, tuple(args.folders), catalog.folders):
        say(f"note: {words}")  # (the window's words)
    # Every folder given already the catalog's: a plain update, as a re-run of the command that
    # made it is. "Already a folder" is news only beside folders that are not.
    given = {os.path.abspath(os.path.expanduser(folder)) for folder in args.folders}
    plain_update = set(report.folders_already) == given
    for kind, words in added_folder_words(report, catalog.name, already=not plain_update):
        say(f"{kind}: {words}")
    if args.json:
        print_json({"catalog": catalog.name, "mode": catalog.mode, **report.as_dict()})
    return 0


def _search(args: argparse.Namespace) -> int:
    return _handle(_search_impl, args)


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
                    record.update(error=why[0], error_kind=why[1], results=[])
            print_json(records)
        raise
    if args.json:
        print_json(records)
    elif shown is not None:
        _print_results(records, *shown)
    return code


def _answer(args: argparse.Namespace, records: list[dict[str, Any]]) -> tuple[int, tuple | None]:
    """Fills in ``records`` (one per query); the exit code, and the catalog's (name, size, mode)
    and, in product mode, each record's results' types ({record index: [ItemType]}) for the
    text output (None when no query was searched)."""
    from vsdesk.engine.imageio import ImageError, check_file

    _check_name(args.catalog)
    _settle_mode(args)
    _check_model_option(args)
    if args.same_class and args.mode != "product":
        raise CommandError(f"--same-class keeps to the query's product type; the {args.mode} mode has no classes",
                           USAGE)
    if args.kids and args.mode != "product":
        raise CommandError(f"--kids keeps to kids' wear or not, which the product model predicts; the {args.mode} "
                           "mode does not", USAGE)
    if args.k < 1:
        raise CommandError("-k must be at least 1", USAGE)
    # A missing, unreadable or empty query is told at once, not after the model has loaded
    # (seconds), and the model is not loaded at all when no query is left.
    for record in records:
        try:
            check_file(record["query"])
        except ImageError as exc:
            _failed(record, exc)
    if all("error" in record for record in records):
        return queries_exit_code(args.images, len(records)), None
    with _removed_if_left_empty(_catalog_name(args.catalog, args.mode)):  # a sample is created here
        return _search_with(args, records)


def _search_with(args: argparse.Namespace, records: list[dict[str, Any]]) -> tuple[int, tuple]:
    """The search itself, for the queries of ``records`` not marked with an error already."""
    import numpy as np

    from vsdesk.engine.catalog import CatalogBusy, away_words, how_to_drop, how_to_forget, is_being_indexed
    from vsdesk.engine.imageio import ImageError
    from vsdesk.engine.query import decode_query, embed_queries, rank_queries
    from vsdesk.engine.search import file_sha256

    catalog = _resolve(args.catalog, args.mode, [])
    with catalog:
        if catalog.mode != args.mode:
            raise CommandError(
                f"catalog {catalog.name!r} is indexed with mode {catalog.mode!r}, not {args.mode!r}; "
                f"search it with --mode {catalog.mode}, or leave --mode out", USAGE)
        # An empty mount point too, and a linked folder or a disk's mount point inside a folder.
        away = catalog.away_folders()
        without_images = [folder for folder in away if not catalog.holds_files(folder)]
        for folder, kind in away.items():
            whose = "a folder" if folder in catalog.folders else "in a folder"
            if folder in without_images:  # its images were found elsewhere: nothing kept for it
                error(f"note: {folder} ({whose} of catalog {catalog.name!r}) is {away_words(kind)}; "
                      f"{how_to_drop(folder, catalog.name, catalog.folders)}")
                continue
            forget = how_to_forget(folder, catalog.name, catalog.folders)
            error(f"note: {folder} ({whose} of catalog {catalog.name!r}) is {away_words(kind)}; its images are "
                  f"still searched. {sentence(forget)}")
        if not catalog.folders:  # (exit 2, as every usage error: before the model loads)
            raise CommandError(f"catalog {catalog.name!r} has no folders; add some with `vsdesk index --mode "
                               f"{catalog.mode} --catalog {catalog.name} FOLDER`, or remove it with "
                               f"`vsdesk catalogs remove {catalog.name}`", USAGE)
        model = _catalog_model(catalog, args.model)  # the catalog's own unless --model
        embedder = _load_embedder(args.mode, model)
        if args.kids and not embedder.meta.has_kids:
            from vsdesk.engine.query import NoKidsHead

            raise CommandError(f"--kids: {NoKidsHead()}", USAGE)
        indexed, _ = catalog.counts()
        if (catalog.recovered or not indexed or catalog.embedder_key != embedder.key
                or _sample_to_update(catalog, args.catalog)):
            # A new sample, a rebuilt index, a new model, a sample whose index run was cut off or
            # whose folder changed (vsdesk's own repair of it, in _resolve): bring the catalog up
            # to date first.
            _print_report(_run_index(catalog, embedder, model=model), catalog)
        with contextlib.suppress(CatalogBusy):
            # (Its vectors are this model's already.) Kept by the next run when another
            # process indexes the catalog now: a search is not refused for that.
            catalog.set_model(model)
        vectors = catalog.vectors()
        hashes = catalog.hashes()
        partial = None  # why the catalog holds only some of its images
        if is_being_indexed(catalog):
            partial = "being-indexed"
            error(f"note: another vsdesk process is indexing catalog {catalog.name!r}; these results are from the "
                  f"{counted(len(vectors.paths), 'image')} indexed so far")
        elif catalog.unfinished:
            partial = "unfinished"
            # A read-only catalog cannot be finished: `vsdesk index` would only say why not.
            finish = (f"`vsdesk index --mode {catalog.mode} --catalog {catalog.name}` finishes it" if not catalog.read_only
                      else "it is read-only, so it cannot be finished here (`vsdesk index` says what would let it)")
            error(f"note: the last index run of catalog {catalog.name!r} did not finish; these results are from the "
                  f"{counted(len(vectors.paths), 'image')} indexed so far; {finish}")
        # A partial catalog is told to be indexed already; else a cheap look at its folders' times.
        changed = None if partial else catalog.changed_folders()
        for folder in changed or ():
            error(f"note: {folder} (a folder of catalog {catalog.name!r}) has changed since the catalog was last "
                  f"indexed (images added, removed, renamed or written over); these results are from the index "
                  f"as it was. "
                  f"`vsdesk index --mode {catalog.mode} --catalog {catalog.name}` brings it up to date")
        # In each answered --json record: what the notes above say, for scripts.
        about_catalog = {"catalog_partial": partial is not None, "catalog_partial_reason": partial,
                         "catalog_missing_folders": list(away), "catalog_missing_folder_kinds": away,
                         "catalog_missing_without_images": without_images,
                         "catalog_changed_folders": changed}

    good: list[tuple[int, Any]] = []  # (record index, image)
    item_kinds: dict[int, list[Any]] = {}  # record index -> its results' product types (text output)
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
    failed = len(records) - len(good)
    if good:
        described = [query.extras for query in queries]
        paths = [args.images[i] for i, _ in good]
        results = rank_queries(  # as the window ranks (the engine's one query pipeline)
            embedder, vectors, hashes, np.stack([query.vector for query in queries]), args.k,
            sources=paths, query_hashes=[file_sha256(p) for p in paths],
            kept_to=[extras.get("predicted") for extras in described] if args.same_class else None,
            kids=None if args.kids is None else args.kids == "yes",
            nothing_to_compare=[query.nothing_to_compare for query in queries],
        )
        types, kinds = _product_types(embedder, vectors.matrix, results) if args.mode == "product" else (None, None)
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
                 "also": hits.also.get(hit.index, [])}
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
            if args.json:  # (the text said them on stderr)
                record.update(about_catalog)

    from vsdesk.engine.query import count_files

    # (files as copies_left_out counts them: one file at several paths is one)
    files = count_files(range(len(vectors.paths)), hashes)
    return (1 if failed else 0), (catalog.name, len(vectors.paths), catalog.mode, item_kinds, files)


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


def _list(args: argparse.Namespace) -> int:
    from vsdesk.engine.catalog import away_words, how_to_drop, how_to_forget, is_within, list_catalogs

    infos = list_catalogs()
    if args.json:
        print_json([
            {"name": i.name, "mode": i.mode, "folders": i.folders, "indexed": i.indexed,
             "skipped": i.skipped, "version": i.version, "location": i.location, "problem": i.problem,
             "model": i.model, "unfinished": i.unfinished, "being_indexed": i.being_indexed,
             "missing_folders": list(i.missing_folders), "missing_folder_kinds": i.missing_kinds,
             "missing_without_images": list(i.missing_without_images),
             "model_problem": _model_problem(i)}
            for i in infos
        ])
        return 0
    if not infos:
        say("no catalogs yet; create one with `vsdesk index --mode MODE --catalog NAME FOLDER...`")
        return 0
    for i in infos:
        if i.problem:
            status = f"problem: {i.problem}"
        elif not i.unfinished:
            status = f"{counted(i.indexed, 'image')}, {i.skipped} skipped"
        elif i.being_indexed:
            status = f"{counted(i.indexed, 'image')} so far, {i.skipped} skipped: being indexed now"
        else:
            status = (f"{counted(i.indexed, 'image')} so far, {i.skipped} skipped: the last index run did not "
                      f"finish; `vsdesk index --mode {i.mode} --catalog {i.name}` finishes it")
        model = f", model {i.model}" if i.model else ""
        print(f"{i.name}  [{i.mode}{model}]  {status}")
        if problem := _model_problem(i):
            print(f"    note: {problem}")
        for folder in i.folders:
            print(f"    {folder}")
            if folder in i.missing_without_images:  # nothing kept for it
                print(f"      note: {away_words(i.missing_kinds[folder])}; {how_to_drop(folder, i.name, i.folders)}")
            elif folder in i.missing_kinds:  # in the words of `search` and the window (a moved folder's way too)
                print(f"      note: {away_words(i.missing_kinds[folder])}; its images are kept and still searched. "
                      f"{sentence(how_to_forget(folder, i.name, i.folders))}")
            for inside, kind in i.missing_kinds.items():  # a linked folder or a disk's mount point in it
                if inside != folder and is_within(inside, folder):
                    forget = how_to_forget(inside, i.name, i.folders)
                    print(f"      note: {inside} is {away_words(kind)}; its images are kept and still searched. "
                          f"{sentence(forget)}")
    return 0


def _model_problem(info) -> str | None:
    """What `catalogs list` says of a catalog whose product model is no longer there; None when
    it is (or the catalog uses the shipped one)."""
    if info.mode != "product" or not info.model:
        return None
    from vsdesk.engine.modes import catalog_model
    from vsdesk.engine.product.model import ProductModelError

    try:
        model, _ = catalog_model(info)  # as its next search or index run decides
    except ProductModelError:  # named by a folder that cannot be found
        return (f"its model's folder {info.model} cannot be found (on a disk that is not plugged in? moved?): "
                "searching and indexing it stop until it is back, or `vsdesk index --mode product --catalog "
                f"{info.name} --model product` embeds it again with the shipped model")
    if model is None:
        return (f"its model {info.model} is no longer installed: its next search or index run embeds it again "
                "with the shipped model (`--model NAME` picks another)")
    return None


def _remove_folder(args: argparse.Namespace) -> int:
    folder = os.path.abspath(os.path.expanduser(args.folder))
    with json_on_failure(args, catalog=args.name, folder=folder):
        forgotten = _handle(_forget_folder, args)
    if args.json:
        print_json({"catalog": args.name, "folder": folder, "forgotten": forgotten})
    say(f"catalog {args.name!r} no longer searches {folder} ({counted(forgotten, 'image')} forgotten); "
        "the images themselves were not touched")
    return 0


def _forget_folder(args: argparse.Namespace) -> int:
    """Removes ``args.folder`` from catalog ``args.name``; how many images it forgot."""
    from vsdesk.engine.catalog import Catalog

    _check_name(args.name)
    with Catalog.open(args.name) as catalog:
        folder = os.path.abspath(os.path.expanduser(args.folder))
        if folder not in catalog.folders:
            listed = "".join(f"\n    {f}" for f in catalog.folders) or " (none)"
            raise CommandError(f"{folder} is not a folder of catalog {args.name!r}; its folders are:{listed}", USAGE)
        before, _ = catalog.counts()
        catalog.remove_folder(folder)
        return before - catalog.counts()[0]


def _remove(args: argparse.Namespace) -> int:
    with json_on_failure(args, catalog=args.name):
        removed = _handle(_remove_catalog, args)
    if args.json:
        print_json({"catalog": args.name, "location": str(removed.location),
                    "left_over": None if removed.left_over is None else str(removed.left_over),
                    "warning": removed.problem or None})
    # Removed all the same when some files could not be deleted: exit 0, and what is left said.
    if removed.left_over is not None:
        say(f"warning: {removed.problem}")
    say(f"removed catalog {args.name!r} (index files in {removed.location}); your images were not touched")
    return 0


def _remove_catalog(args: argparse.Namespace):
    from vsdesk.engine.catalog import remove_catalog

    _check_name(args.name)
    return remove_catalog(args.name)
