"""``vsdesk index``, ``vsdesk search`` and ``vsdesk catalogs list|remove``.

The sample catalogs ("clothing", "fashion-mnist", "style-artworks") can be named directly: they
are fetched and indexed on first use. Searching one with a mode other than the one it is made
for uses the catalog ``<sample>.<mode>``.
"""

from __future__ import annotations

import argparse
import os

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
    add_mode_argument,
    json_on_failure,
    positive_int,
    print_json,
    say,
    why_not_done,
)
from vsdesk.cli._search_command import _search
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
