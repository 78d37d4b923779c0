"""The texts that describe a catalog: its image count and status words, the folders away and how
to forget them, what forgetting a folder takes out, and the files indexing skipped (the catalog
line's tooltip). Plain functions of a ``CatalogSnapshot``: no widget, no message bar."""

from __future__ import annotations

import collections
import dataclasses
import os
from pathlib import Path

from vsdesk.engine.session import CatalogSnapshot
from vsdesk.engine.text import counted, image_count, sentence, shown_path
from vsdesk.gui.catalog_bar import menu_title


def forget_words(images: int, skipped: int, files: int | None = None) -> str:
    """What forgetting a folder takes out of the catalog, as its confirmation says it: its
    ``images`` (paths) counted as ``files``, as the catalog menu counts them ("5 images (10
    paths)" for a folder holding a link to a folder of the same files; it said "10 images")."""
    if not images:
        unread = f" ({counted(skipped, 'file')} it could not index)" if skipped else ""
        return f"It has no images indexed{unread}: forgetting it only takes it off the catalog's folders."
    files = images if files is None else files
    held = image_count(files, images) + (f" (and {counted(skipped, 'file')} it could not index)" if skipped else "")
    if files == 1:
        return f"Its {held} leaves the catalog: it is no longer searched or shown here."
    return f"Its {held} leave the catalog: they are no longer searched or shown here."


def missing_folders_text(snapshot: CatalogSnapshot) -> str:
    from vsdesk.engine.catalog import away_words, how_to_drop, image_links_away_note
    from vsdesk.engine.samples import OTHER_INSTALL_WORDS

    # A sample's folder of another installation (vsdesk installed anew): not the user's folder
    # gone, nothing to forget; the catalog's next index run takes this installation's. Read from
    # the snapshot: deciding it resolves paths and makes the cache folder (I/O, not here).
    elsewhere = list(snapshot.other_install_samples)
    if elsewhere:
        snapshot = _without_folders(snapshot, elsewhere)
    said = [f"The folder {folder} of the catalog “{snapshot.name}” is {OTHER_INSTALL_WORDS}." for folder in elsewhere]

    # A folder whose images were all found elsewhere in the catalog (it moved) keeps nothing:
    # said apart, with how to drop it from the catalog.
    if set(snapshot.missing_kinds) - set(snapshot.missing_without_images):
        said.append(_kept_folders_text(snapshot))
    for folder in snapshot.missing_without_images:
        if folder in snapshot.missing_kinds:
            of = "of" if folder in snapshot.folders else "in"
            # The window's way to drop a folder of the catalog: the warning's button when it is
            # the one folder away (``_forget_away_action``), else the menu.
            drop = (f"the catalog holds none of its images; {_window_way(snapshot)} drops it from the catalog"
                    if folder in snapshot.folders else how_to_drop(folder, snapshot.name, snapshot.folders))
            said.append(f"The folder {folder} {of} the catalog “{snapshot.name}” is "
                        f"{away_words(snapshot.missing_kinds[folder], holds_none=True)}: {drop}.")
    if snapshot.image_links_away:  # one entry each, not folders: counted, as `catalogs list` says them
        links = snapshot.image_links_away
        shown = ", ".join(links[:3]) + (f" and {len(links) - 3} more" if len(links) > 3 else "")
        said.append(f"In the catalog “{snapshot.name}”, {image_links_away_note(len(links))} ({shown}).")
    return " ".join(said)


def _without_folders(snapshot: CatalogSnapshot, folders: list[str]) -> CatalogSnapshot:
    """``snapshot`` with nothing said away in ``folders`` (or in a linked folder inside one)."""
    from vsdesk.engine.catalog import is_within

    def outside(path: str) -> bool:
        return not any(is_within(path, folder) for folder in folders)

    kinds = {path: kind for path, kind in snapshot.missing_kinds.items() if outside(path)}
    return dataclasses.replace(
        snapshot, missing_folders=tuple(kinds), missing_kinds=kinds,
        missing_without_images=tuple(path for path in snapshot.missing_without_images if outside(path)),
        image_links_away=tuple(link for link in snapshot.image_links_away if outside(link)))


def _kept_folders_text(snapshot: CatalogSnapshot) -> str:
    """The folders away whose images are kept, and how to forget them."""
    from vsdesk.engine.catalog import away_words, how_to_forget

    away = {folder: kind for folder, kind in snapshot.missing_kinds.items()
            if folder not in snapshot.missing_without_images}
    if len(away) == 1:
        [(folder, kind)] = away.items()
        of = "of" if folder in snapshot.folders else "in"  # a linked folder or a mount point in one
        what, their = f"The folder {folder} {of} the catalog “{snapshot.name}” is {away_words(kind)}", "its"
    else:
        said = "; ".join(f"{folder} is {away_words(kind)}" for folder, kind in away.items())
        what, their = f"Folders of the catalog “{snapshot.name}” are away: {said}", "their"
    # How to forget them: the catalog's own folders the window's way (``_window_way``), a linked
    # folder or mount point in one by deleting it.
    roots = [folder for folder in away if folder in snapshot.folders]
    ways = dict.fromkeys(f"{_window_way(snapshot)} forgets them (your files are not touched)" if folder in roots
                         else how_to_forget(folder, snapshot.name, snapshot.folders, folder in snapshot.links_away)
                         for folder in away)
    forget = "; ".join(ways)
    said = f"{what}: {their} images are still searched, but cannot be shown. {sentence(forget)}."
    if any(away[folder] == "missing-folder" for folder in roots):  # moved, more often than deleted
        # Its new place added to the catalog: its images are found there by their content.
        said += (f" Moved? Add its new place to the catalog ({menu_title(snapshot.mode)} › Add a folder to "
                 f"“{snapshot.name}”…): its images are found there without being embedded again.")
    return said


def folder_count_words(snapshot: CatalogSnapshot) -> dict[str, str]:
    """The images of each of the catalog's folders in words, from its rows' paths and hashes (no
    file is read): files, as the catalog line counts them ("5 images (10 paths)" for a folder
    holding a link to a folder of the same files; it said "10 images"). Counted where the
    snapshot was made (``folder_counts``), else here."""
    from vsdesk.engine.query import files_per_folder

    counts = snapshot.folder_counts
    if set(counts) != set(snapshot.folders):
        counts = files_per_folder(snapshot.folders, snapshot.paths, snapshot.hashes)
    return {folder: image_count(*counts[folder]) for folder in snapshot.folders}


def _window_way(snapshot: CatalogSnapshot) -> str:
    """How the window forgets a folder of the catalog away: the warning's "Forget folder…"
    button when it is the one (``TabCatalog._forget_away_action``), else the catalog menu."""
    if len([folder for folder in snapshot.missing_folders if folder in snapshot.folders]) == 1:
        return "“Forget folder…”"
    return f"{menu_title(snapshot.mode)} › Forget a folder of “{snapshot.name}”"


def model_name(snapshot: CatalogSnapshot) -> str:
    """The product model a catalog is indexed with, as the menu and the dialog say it."""
    return snapshot.model or "the shipped model"


def image_count_words(snapshot: CatalogSnapshot) -> str:
    """"34 images", counted as the gallery and the map show them: each file once, "34 images
    (68 paths)" where a file is at several paths (a link to a folder of the same files), where
    the line said "68 images" beside 34 pictures."""
    return image_count(_file_count(snapshot), len(snapshot))


def ready_words(snapshot: CatalogSnapshot) -> str:
    """The status line once a catalog has opened: "catalog “r” ready (333 images)"."""
    return f"catalog “{snapshot.name}” ready ({image_count_words(snapshot)})"


def _file_count(snapshot: CatalogSnapshot) -> int:
    return len(snapshot.browse) if snapshot.browse is not None else len(snapshot)


def cancelled_words(snapshot: CatalogSnapshot) -> str:
    """What the user is told of an index run they cancelled: what it indexed is kept."""
    # Files, as the catalog line counts them (``image_count_words``): it said "the 10 images" of 5.
    verb = "is" if _file_count(snapshot) == 1 else "are"
    return f"Indexing cancelled: the {image_count_words(snapshot)} indexed so far {verb} kept."


def model_words(snapshot: CatalogSnapshot) -> str:
    """" · model product/mine" for a catalog indexed with a model other than the shipped one (a
    folder given to `vsdesk index --model` by its name alone: the bar has room for little)."""
    if not snapshot.model:
        return ""
    model = Path(snapshot.model)
    return f" · model {model.name if model.is_absolute() else snapshot.model}"


def skipped_tooltip(skipped: list, limit: int = 25) -> str:
    """The files indexing skipped and why (the first ``limit``; `vsdesk index` lists them all)."""
    if not skipped:
        return ""
    lines = [f"{shown_path(Path(f.path).name)}: {f.message}" for f in skipped[:limit]]
    if len(skipped) > limit:
        lines.append(f"… and {len(skipped) - limit} more (`vsdesk index` lists them all)")
    return "Skipped:\n" + "\n".join(lines)


def moves_told_apart(before: CatalogSnapshot, after: CatalogSnapshot, new: set[str], gone: set[str]) -> tuple[int, int, int]:
    """Paths ``new`` in ``after`` and ``gone`` from ``before`` as (added, moved, removed), as
    `vsdesk index` counts them (``IndexRun._count``): a new path holding the bytes (content
    hash) of a path gone is one image moved or renamed, not one added and one removed."""
    gone_hashes = collections.Counter(hash_ for path, hash_ in zip(before.paths, before.hashes) if path in gone)
    moved = 0
    for path, hash_ in zip(after.paths, after.hashes):
        if path in new and gone_hashes[hash_] > 0:
            gone_hashes[hash_] -= 1
            moved += 1
    return len(new) - moved, moved, len(gone) - moved


def outside_change_words(before: CatalogSnapshot, after: CatalogSnapshot, own_folders: tuple[str, ...] = ()) -> str:
    """What another process (`vsdesk index`, `vsdesk catalogs remove-folder`) changed in a
    catalog, from what the window showed to what it shows now: "300 images added", "21 images
    removed; /photos/old no longer searched"; "" when neither its images nor its folders did.
    ``own_folders``: added by the window's own opening (said by its note), not by the other."""
    own = tuple(os.path.join(folder, "") for folder in own_folders)
    old, new = set(before.paths), {path for path in after.paths if not path.startswith(own)}
    added, moved, removed = moves_told_apart(before, after, new - old, old - new)
    parts = [f"{counted(count, 'image')} {what}" for count, what in
             ((added, "added"), (moved, "moved or renamed"), (removed, "removed")) if count]
    parts += [f"{folder} added to its folders" for folder in after.folders
              if folder not in before.folders and folder not in own_folders]
    parts += [f"{folder} no longer searched" for folder in before.folders if folder not in after.folders]
    return "; ".join(parts)
