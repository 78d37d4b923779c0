"""The words said about what is away (a folder missing, a file now or empty; an image link
leading nowhere): the one wording of an index run, `vsdesk search`, `catalogs list` and the
window, with how its entries are forgotten or the folder dropped.
"""

from __future__ import annotations

import collections
import os
from typing import Iterable

from vsdesk.engine.catalog._path_facts import has_image_name
from vsdesk.engine.text import counted, shell_quoted


#: How the message of a folder away ends (each ``*_AWAY`` of this module, ``EMPTY_FOLDER``,
#: ``FOLDER_MISSING``, ``NOT_A_FOLDER``): the index run says it otherwise once none of the
#: folder's entries is left (``NONE_KEPT``).
KEPT = "its index entries are kept"
#: The same of an image link away (``IMAGE_LINK_AWAY``): one entry, not a folder's.
LINK_KEPT = "its entry is kept"
#: How the message of a folder away ends once none of its entries is left (all found elsewhere
#: in the catalog), instead of ``KEPT``.
NONE_KEPT = "the catalog holds none of its images"

#: What the scan says of a catalog folder that is not there, or is a file now.
FOLDER_MISSING = "the folder does not exist or is not mounted; " + KEPT
NOT_A_FOLDER = "this is not a folder (any more); " + KEPT
#: A linked folder whose target is not there (a link loop is an unreadable entry instead).
LINK_AWAY = "the linked folder leads to {target}, which does not exist or is not mounted; " + KEPT
#: A link with an image's name whose target's folder is not there (its disk not mounted?):
#: away, as a linked folder is, not broken (``LINK_TO_NOTHING``: its folder is there).
IMAGE_LINK_AWAY = ("the link leads to {target}, in a folder that does not exist or is not mounted; " + LINK_KEPT)
#: A link with an image's name whose file was deleted or moved from a folder that is there
#: (``_scan.BROKEN_LINK``): no disk away, a file skipped.
LINK_TO_NOTHING = "a link to a missing file ({target})"

#: A mount point below a catalog folder, now empty: a disk that is not mounted (the folder
#: would be forgotten with its images, and all embedded again once the disk is back).
MOUNT_AWAY = "a disk was mounted on this folder, which is empty now (the disk is not mounted?); " + KEPT


#: A catalog folder that is there but empty, while the catalog holds images from it: a disk
#: that is not mounted leaves its mount point behind, empty, and it must not lose its index.
EMPTY_FOLDER = "the folder is empty (a disk that is not mounted?); " + KEPT


def how_to_drop(folder: str, catalog: str, roots: Iterable[str]) -> str:
    """What ends a note about ``folder``, away, when the index holds none of its images (they
    were found elsewhere in the catalog, or it never held any): a catalog folder (one of
    ``roots``) can be dropped from the catalog; a linked folder or mount point in one is said
    no more once nothing is kept for it."""
    if folder in roots:
        return (f"the catalog holds none of its images; `{_remove_folder_command(catalog, folder)}` drops it "
                "from the catalog")
    return "the catalog holds none of its images"


def how_to_forget(folder: str, catalog: str, roots: Iterable[str], is_link: bool | None = None) -> str:
    """How the images of ``folder``, away, are forgotten, in words that end a note about it:
    a catalog folder (one of ``roots``) by `catalogs remove-folder`; a linked folder, a mount
    point or an image link inside one (which that command does not take) by deleting it.
    ``is_link``: whether ``folder`` (not one of ``roots``) is a link, as looked at before (the
    window's snapshot: no look at the disk on its GUI thread); None: looked at here."""
    if folder in roots:
        forget = f"`{_remove_folder_command(catalog, folder)}` forgets them"
        if not os.path.lexists(folder):  # moved, more often than deleted: its new place is the way
            forget += (f"; moved? `vsdesk index --catalog {shell_quoted(catalog)} NEW_PLACE` finds its images there "
                       "without embedding them again")
        return forget
    link = os.path.islink(folder) if is_link is None else is_link
    if link and has_image_name(folder):  # an image link away (as the scan tells it): one entry
        return "deleting the link forgets its entry at the next index run"
    what = "the link" if link else "the empty folder"
    return f"deleting {what} forgets them at the next index run"


def _remove_folder_command(catalog: str, folder: str) -> str:
    """The command that drops ``folder`` from ``catalog``, to paste into a shell as printed: a
    folder named with spaces, quotes or bytes that are not UTF-8 is quoted (``shell_quoted``)."""
    return f"vsdesk catalogs remove-folder {shell_quoted(catalog)} {shell_quoted(folder)}"


#: What a catalog folder that is away is, in words that follow "FOLDER is": the one wording
#: of `vsdesk search`, `catalogs list`, the index report and the window, so that none says
#: "missing" of a folder that is there but empty, or "empty" of a file.
AWAY_WORDS = {
    "missing-folder": "missing (moved, deleted, or on a disk that is not mounted?)",
    "not-a-folder": "a file now, not a folder",
    "empty-folder": "empty (a disk that is not mounted?)",
}
#: The same in a word or two, for counts ("2 folders away (1 missing, 1 empty)").
_AWAY_SHORT = {"missing-folder": "missing", "not-a-folder": "a file now", "empty-folder": "empty"}


def away_words(kind: str, holds_none: bool = False) -> str:
    """``AWAY_WORDS`` of ``kind`` (one of ``AWAY_KINDS``). ``holds_none``: the catalog holds
    none of that folder's images (``how_to_drop`` ends the note), so an empty one is said
    "empty" alone: a folder that was always empty (a new catalog is made of the folders it is
    given, images or not) is no disk away, and one whose images are elsewhere is not waited for."""
    return "empty" if holds_none and kind == "empty-folder" else AWAY_WORDS[kind]


def away_short(kind: str) -> str:
    """``kind`` (one of ``AWAY_KINDS``) in a word or two: "missing", "a file now", "empty"."""
    return _AWAY_SHORT[kind]


def image_links_away_words(count: int) -> str:
    """What is said of ``count`` image links away (their disks unplugged?), by an index run,
    `catalogs list`, `search` and the window alike: "2 image links away (their disks are not
    mounted?): their entries are kept"."""
    if count == 1:
        return "1 image link away (its disk is not mounted?): its entry is kept"
    return f"{counted(count, 'image link')} away (their disks are not mounted?): their entries are kept"


def image_links_away_note(count: int) -> str:
    """``image_links_away_words`` with how their entries are forgotten, for `catalogs list`,
    `search` and the window, which say them after the run that noted them."""
    how = "deleting the link forgets its entry" if count == 1 else "deleting a link forgets its entry"
    return f"{image_links_away_words(count)}; {how} at the next index run"


def away_count(kinds: Iterable[str]) -> str:
    """Folders away, counted by kind: "1 folder away (missing)", "3 folders away (2 missing,
    1 a file now)"."""
    by_kind = collections.Counter(kinds)
    if len(by_kind) == 1:
        how = _AWAY_SHORT[next(iter(by_kind))]
    else:
        how = ", ".join(f"{count} {_AWAY_SHORT[kind]}" for kind, count in by_kind.items())
    return f"{counted(sum(by_kind.values()), 'folder')} away ({how})"
