"""``vsdesk index``, ``vsdesk search`` and ``vsdesk catalogs list|remove``: their options
(``register``) and the index command. Search is in ``_search_command`` (its text form in
``_search_text``), ``catalogs`` in ``_catalogs_command``, the steps index and search share
in ``_catalog_steps``.

The sample catalogs ("clothing", "fashion-mnist", "style-artworks") can be named directly: they
are fetched and indexed on first use. Searching one with a mode other than the one it is made
for uses the catalog ``<sample>.<mode>``.
"""

from __future__ import annotations

import argparse
import os

from vsdesk.cli._catalog_steps import (
    IndexInterrupted,
    add_model_argument,
    catalog_files,
    catalog_name_for,
    check_catalog_name,
    check_has_folders,
    check_model_option,
    handle_catalog_errors,
    load_mode_embedder,
    model_for_catalog,
    open_named_catalog,
    print_index_report,
    removed_if_left_empty,
    run_index,
    settle_mode,
)
from vsdesk.cli import SAMPLE_NAMES
from vsdesk.cli._catalogs_command import catalogs_list, catalogs_remove, catalogs_remove_folder
from vsdesk.cli._common import (
    FAILED,
    INTERRUPTED,
    USAGE,
    CommandError,
    add_mode_argument,
    busy_key,
    error,
    positive_int,
    print_json,
    say,
    why_not_done,
)
from vsdesk.cli._search_command import failure_document, search_command
from vsdesk.engine.text import shell_quoted, shown_path


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
    add_model_argument(index)
    index.set_defaults(handler=_index)

    search = subparsers.add_parser(
        "search",
        help="find the catalog images most similar to query images",
        description="Embed each IMAGE with the mode's model (loaded once) and list its k nearest "
        "catalog images by cosine similarity.",
    )
    add_mode_argument(search, "search mode (default: the catalog's own; a sample's, the mode it is made for: "
                      "another indexes the sample once into NAME.MODE)")
    search.add_argument("--catalog", required=True, metavar="NAME",
                        help=f"catalog to search, or a sample ({', '.join(SAMPLE_NAMES)}), made on first use")
    search.add_argument("images", nargs="+", metavar="IMAGE", help="query image files")
    search.add_argument("-k", type=positive_int, default=10, metavar="N", help="results per query (default 10)")
    search.add_argument("--json", action="store_true", help="a JSON list, one record per query, on stdout")
    search.add_argument(
        "--same-class", action="store_true",
        help="product mode: only items of the query's predicted product type (an item's own label "
        "where it is one of the model's classes, else the type predicted for it)",
    )
    search.add_argument(
        "--kids", choices=("yes", "no"), metavar="yes|no",  # (not "{yes,no}": bash expands it)
        help="product mode: only items the model calls kids' wear (yes) or only the others (no); "
        "an item is kids' wear when the model gives it 50 %% or more, as its caption says \"kids\"",
    )
    search.add_argument(
        "--show-copies", action="store_true",
        help="list each copy of a picture as a result of its own (by default a result's other files of the "
        "same picture, a PNG export or a re-saved JPEG, are folded into it and listed as its copies)",
    )
    add_model_argument(search)
    search.set_defaults(handler=search_command, failure_document=failure_document)

    catalogs = subparsers.add_parser("catalogs", help="list or remove catalogs")
    actions = catalogs.add_subparsers(dest="catalogs_command", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="every catalog with its mode, folders and size",
                                 description="List every catalog: its mode and model, how many images it has "
                                 "indexed and skipped, its folders, and what needs doing (a folder missing, an "
                                 "index run that did not finish).")
    listing.add_argument("--json", action="store_true", help="a JSON list on stdout")
    listing.set_defaults(handler=catalogs_list)
    removing = actions.add_parser("remove", help="delete a catalog's index (your images are not touched)")
    removing.add_argument("name", metavar="NAME", help="the catalog (as `vsdesk catalogs list` names it)")
    removing.add_argument("--json", action="store_true",
                          help='print {"catalog", "location", "left_over", "warning"} on stdout')
    removing.set_defaults(handler=catalogs_remove)
    forgetting = actions.add_parser(
        "remove-folder", help="stop searching one of a catalog's folders and forget its images' entries"
    )
    forgetting.add_argument("name", metavar="NAME", help="the catalog")
    forgetting.add_argument("folder", metavar="FOLDER", help="one of its folders (as `catalogs list` shows them)")
    forgetting.add_argument("--json", action="store_true", help='print {"catalog", "folder", "forgotten"} on stdout')
    forgetting.set_defaults(handler=catalogs_remove_folder)


# -- commands -------------------------------------------------------------------------------

def _index(args: argparse.Namespace) -> int:
    return handle_catalog_errors(_index_json_on_failure(_index_impl), args)


def _index_impl(args: argparse.Namespace) -> int:
    from vsdesk.engine import samples
    from vsdesk.engine.catalog import catalog_exists

    check_catalog_name(args.catalog)
    try:
        settle_mode(args)
    except CommandError:  # a new catalog without --mode: a folder given wrong is the first thing to fix
        _check_folders(args.folders)
        raise
    check_model_option(args)
    _check_folders(args.folders)
    if not args.folders and not samples.is_sample(args.catalog) and not catalog_exists(args.catalog):
        raise CommandError(f"no catalog named {args.catalog!r} yet: give the folders to index, "
                           f"`vsdesk index --mode {args.mode} --catalog {shell_quoted(args.catalog)} FOLDER...`", USAGE)
    with removed_if_left_empty(catalog_name_for(args.catalog, args.mode)):
        return _index_into(args)


def _check_folders(folders: list[str]) -> None:
    """Each folder given to `index` must be a folder that is there (exit 2: a typo, most likely)."""
    from vsdesk.engine.catalog import why_not_a_folder

    for folder in folders:
        problem = why_not_a_folder(folder)
        if problem:
            raise CommandError(f"{shown_path(folder)}: {problem}", USAGE)


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
                report = exc.report.as_dict() if isinstance(exc, IndexInterrupted) else (
                    {"interrupted": True} if why[1] == INTERRUPTED else {})
                unreadable = ({"folders_unreadable": _by_path(exc.folders)} if isinstance(exc, FoldersUnreadable)
                              else {})
                print_json({"catalog": catalog_name_for(args.catalog, args.mode), "mode": args.mode, **report,
                            **unreadable, "error": why[0], "error_kind": why[1], **busy_key(exc)})
            raise
    return run


class FoldersUnreadable(CommandError):
    """No folder given to `index` could be listed: nothing was indexed (exit 1, a reason outside
    the command line), and a catalog the command made is removed again."""

    def __init__(self, folders: dict[str, str]):
        from vsdesk.engine.catalog import unreadable_words

        super().__init__(f"{unreadable_words(folders)}; nothing was indexed", FAILED)
        self.folders = folders


def _by_path(folders: dict[str, str]) -> dict[str, str]:
    """--json's ``folders_unreadable``: each folder by its absolute path, as ``folders_added``."""
    return {os.path.abspath(os.path.expanduser(folder)): why for folder, why in folders.items()}


def _index_into(args: argparse.Namespace) -> int:
    from vsdesk.engine import samples
    from vsdesk.engine.catalog import added_folder_words, unreadable_folders, unreadable_words
    from vsdesk.engine.session import nested_folder_notes
    from vsdesk.engine.modes import vectors_key_prefix

    catalog = open_named_catalog(args.catalog, args.mode, args.folders)
    with catalog:
        folders_before = catalog.folders
        if catalog.mode != args.mode:  # before the (slow) model load
            raise CommandError(f"catalog {catalog.name!r} is indexed with mode {catalog.mode!r}, not {args.mode!r}",
                               USAGE)
        # (The window refuses them by the same check, in the same words.)
        unreadable = unreadable_folders(args.folders, catalog.folders)
        folders = [folder for folder in args.folders if folder not in unreadable]
        if unreadable and not folders:  # (a catalog made for them is removed: removed_if_left_empty)
            raise FoldersUnreadable(unreadable)
        for folder, why in unreadable.items():  # the others are indexed; said, and exit 1
            error(f"{unreadable_words({folder: why})}; it was not added")
        added = [] if samples.is_sample(args.catalog) else folders
        check_has_folders(catalog, added)  # before the model's note: nothing is embedded then
        model = model_for_catalog(catalog, args.model)  # the catalog's own unless --model
        # The model is loaded only if some file needs embedding or the model changed (its key
        # is read without loading it): an unchanged re-run is instant. A model asked for by
        # name is loaded first: the catalog may hold another one's vectors.
        loader = load_mode_embedder(args.mode, model, indexing=True) if args.model is not None else (
            lambda: load_mode_embedder(args.mode, model, indexing=True))
        options = {"model": model} if model is not None else {}
        # The run keeps the model for the next runs, and the window.
        report = run_index(catalog, loader, args.batch_size,
                            add_folders=added,
                            model_key=None if args.model is not None else vectors_key_prefix(args.mode, **options),
                            model=model)
        files = catalog_files(catalog)
    not_read = _not_read_words(unreadable)
    print_index_report(report, catalog, files, also=not_read)
    for words in nested_folder_notes(catalog.name, folders_before, tuple(args.folders), catalog.folders):
        say(f"note: {words}")  # (the window's words)
    # Every folder given already the catalog's: a plain update, as a re-run of the command that
    # made it is. "Already a folder" is news only beside folders that are not.
    given = {os.path.abspath(os.path.expanduser(folder)) for folder in folders}
    plain_update = set(report.folders_already) == given
    for kind, words in added_folder_words(report, catalog.name, already=not plain_update):
        say(f"{kind}: {words}")
    if args.json:
        print_json({"catalog": catalog.name, "mode": catalog.mode, **report.as_dict(),
                    "files": report.indexed if files is None else files, "folders_unreadable": _by_path(unreadable),
                    "warning": not_read})
    return FAILED if unreadable else 0  # as a search with some queries unreadable, the others answered


def _not_read_words(unreadable: dict[str, str]) -> str | None:
    """Why a run that indexed the other folders exits 1, for its summary ("1 folder could not
    be read: /x"; each was said on its own line before, with its reason), or None."""
    if not unreadable:
        return None
    paths = ", ".join(_by_path(unreadable))
    return f"1 folder could not be read: {paths}" if len(unreadable) == 1 else \
        f"{len(unreadable)} folders could not be read: {paths}"
