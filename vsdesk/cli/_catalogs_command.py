"""``vsdesk catalogs list|remove|remove-folder``: every catalog with what needs doing, and the
removal of a catalog's index or of one of its folders (the images themselves are never touched)."""

from __future__ import annotations

import argparse
import os

from vsdesk.cli._catalog_steps import check_catalog_name, handle_catalog_errors
from vsdesk.cli._common import USAGE, CommandError, json_on_failure, print_json, say, show
from vsdesk.engine.text import image_count, sentence, shell_quoted, shown_path


def catalogs_list(args: argparse.Namespace) -> int:
    from vsdesk.engine.catalog import (
        away_words,
        how_to_drop,
        how_to_forget,
        image_links_away_note,
        is_within,
        list_catalogs,
    )

    from vsdesk.engine.samples import OTHER_INSTALL_WORDS, other_install_sample

    infos = list_catalogs()
    # A sample's folder that is another installation's (a reinstall into a new environment):
    # not the user's folder gone; the catalog's next search or index run takes this one's.
    elsewhere = {i.name: [folder for folder in i.folders if other_install_sample(i.name, folder)] for i in infos}
    # (a file at two paths is one: "10 images (20 paths)"; paths alone when it cannot be told)
    files = {i.name: i.indexed if i.files is None else i.files for i in infos}
    if args.json:
        print_json([
            {"name": i.name, "mode": i.mode, "folders": i.folders, "indexed": i.indexed, "files": files[i.name],
             "skipped": i.skipped, "version": i.version, "location": i.location, "problem": i.problem,
             "model": i.model, "unfinished": i.unfinished, "being_indexed": i.being_indexed,
             "missing_folders": list(i.missing_folders), "missing_folder_kinds": i.missing_kinds,
             "missing_without_images": list(i.missing_without_images),
             "model_problem": _model_problem(i), "image_links_away": list(i.image_links_away),
             "other_install_sample_folders": elsewhere[i.name]}
            for i in infos
        ])
        return 0
    if not infos:
        say("no catalogs yet; create one with `vsdesk index --mode MODE --catalog NAME FOLDER...`")
    for i in infos:
        images = image_count(files[i.name], i.indexed)  # "10 images (20 paths)", as `search` says it
        if i.problem:
            status = f"problem: {i.problem}"
        elif not i.unfinished:
            status = f"{images}, {i.skipped} skipped"
        elif i.being_indexed:
            status = f"{images} so far, {i.skipped} skipped: being indexed now"
        else:
            status = (f"{images} so far, {i.skipped} skipped: the last index run did not "
                      f"finish; `vsdesk index --mode {i.mode} --catalog {shell_quoted(i.name)}` finishes it")
        model = f", model {i.model}" if i.model else ""
        show(f"{i.name}  [{i.mode}{model}]  {status}")
        if problem := _model_problem(i):
            show(f"    note: {problem}")
        for folder in i.folders:
            show(f"    {shown_path(folder)}")
            if folder in elsewhere[i.name]:  # (whatever is there or away in it: replaced as a whole)
                show(f"      note: {OTHER_INSTALL_WORDS}")
                continue
            if folder in i.missing_without_images:  # nothing kept for it
                show(f"      note: {away_words(i.missing_kinds[folder], holds_none=True)}; {how_to_drop(folder, i.name, i.folders)}")
            elif folder in i.missing_kinds:  # in the words of `search` and the window (a moved folder's way too)
                show(f"      note: {away_words(i.missing_kinds[folder])}; its images are kept and still searched. "
                      f"{sentence(how_to_forget(folder, i.name, i.folders))}")
            for inside, kind in i.missing_kinds.items():  # a linked folder or a disk's mount point in it
                if inside != folder and is_within(inside, folder):
                    forget = how_to_forget(inside, i.name, i.folders)
                    show(f"      note: {shown_path(inside)} is {away_words(kind)}; its images are kept and still searched. "
                          f"{sentence(forget)}")
            links = [link for link in i.image_links_away if is_within(link, folder)]
            if links:  # one entry each, not folders: counted, then listed
                show(f"      note: {image_links_away_note(len(links))}:")
                for link in links:
                    show(f"        {shown_path(link)}")
    _show_unused_samples({i.name for i in infos})
    return 0


def _show_unused_samples(catalogs: set[str]) -> None:
    """The sample catalogs not made yet, which `search` and `index` take by name all the same
    (made on first use): else a fresh install would seem to have nothing to search. On stderr,
    as "no catalogs yet": stdout lists the catalogs there are, and only them."""
    from vsdesk.engine.samples import SAMPLE_CATALOGS

    unused = {name: what for name, what in SAMPLE_CATALOGS.items() if name not in catalogs}
    if not unused:
        return
    lines = [f"samples you can search (made on first use, e.g. `vsdesk search --catalog {next(iter(unused))} IMAGE`):"]
    width = max(map(len, unused))
    modes = max(len(mode) for mode, _ in unused.values()) + 2
    lines += [f"  {name:<{width}}  {f'[{mode}]':<{modes}}  {description}"
              for name, (mode, description) in unused.items()]
    say("\n".join(lines))


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
                f"{shell_quoted(info.name)} --model product` embeds it again with the shipped model")
    if model is None:
        return (f"its model {info.model} is no longer installed: its next search or index run embeds it again "
                "with the shipped model (`--model NAME` picks another)")
    return None


def catalogs_remove_folder(args: argparse.Namespace) -> int:
    folder = os.path.abspath(os.path.expanduser(args.folder))
    with json_on_failure(args, catalog=args.name, folder=folder):
        forgotten, files = handle_catalog_errors(lambda args: _forget_folder(args.name, folder), args)
    if args.json:
        print_json({"catalog": args.name, "folder": folder, "forgotten": forgotten})
    say(f"catalog {args.name!r} no longer searches {shown_path(folder)} ({image_count(files, forgotten)} forgotten); "
        "the images themselves were not touched")
    return 0


def _forget_folder(name: str, folder: str) -> tuple[int, int]:
    """Removes ``folder`` (an absolute path) from catalog ``name``; how many images it forgot:
    (paths, files), a file at two paths one image ("5 images (10 paths)", as `search` counts)."""
    from vsdesk.engine.catalog import Catalog

    check_catalog_name(name)
    with Catalog.open(name) as catalog:
        if folder not in catalog.folders:
            listed = "".join(f"\n    {shown_path(f)}" for f in catalog.folders) or " (none)"
            raise CommandError(f"{shown_path(folder)} is not a folder of catalog {name!r}; its folders are:{listed}", USAGE)
        before, _ = catalog.counts()
        files = catalog.folder_files(folder)
        catalog.remove_folder(folder)
        return before - catalog.counts()[0], files


def catalogs_remove(args: argparse.Namespace) -> int:
    with json_on_failure(args, catalog=args.name):
        removed = handle_catalog_errors(_remove_catalog, args)
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

    check_catalog_name(args.name)
    return remove_catalog(args.name)
