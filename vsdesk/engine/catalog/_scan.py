"""Walking a catalog's folders: which image files are there, their size and mtime, their labels.

Scanning only stats files (``os.scandir`` gives size and mtime without opening them), so a
re-run on an unchanged folder of thousands of images costs milliseconds.

The scan also notes the modification time of every folder it walks, for a later look at which
folders changed (``_folder_changes``).

And it notes the subfolders whose files live elsewhere: linked folders, and mount points (a
disk mounted below a catalog folder, found by the folder's device differing from its parent's,
from the same ``stat``). When such a disk is unplugged, a link leads nowhere and a mount point
is left behind empty: a later look tells those from folders the user emptied or deleted, and
keeps their images (``_folders_away``).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import NamedTuple

from vsdesk.engine.imageio import IMAGE_SUFFIXES, UNSUPPORTED_SUFFIXES
from vsdesk.engine.text import shown_path
from vsdesk.engine.catalog._away_words import (
    FOLDER_MISSING,
    IMAGE_LINK_AWAY,
    LINK_AWAY,
    LINK_TO_NOTHING,
    NOT_A_FOLDER,
)
from vsdesk.engine.catalog._labels import LABEL_FILES, Labeller
from vsdesk.engine.catalog._path_facts import AWAY, has_image_name, mtime_and_device


@dataclass(frozen=True)
class FileStat:
    path: str  # absolute
    root: str
    size: int
    mtime_ns: int
    label: str | None
    #: The change time (``st_ctime_ns``), which a write or a rename sets and ``touch`` cannot:
    #: what tells a file written over with its size and mtime put back. None: not known.
    ctime_ns: int | None = None
    #: The linked folder or mount point (``ScanResult.attached``) the scan reached it through,
    #: the innermost: another disk, which may be unplugged while the run reads it. None: on
    #: its catalog folder's own disk.
    attached_at: str | None = None


@dataclass
class ScanResult:
    files: dict[str, FileStat] = field(default_factory=dict)
    #: (path, kind, message) for folders we could not read: their indexed files are kept as-is.
    #: A path not UTF-8 is as os.scandir gives it (bytes as lone surrogates): ``shown_path`` for text.
    unreadable: list[tuple[str, str, str]] = field(default_factory=list)
    #: (root, folder, mtime_ns) of every folder walked, and (root, root, AWAY) for a root that is
    #: not there: what ``changed_roots`` compares with later.
    folder_times: list[tuple[str, str, int]] = field(default_factory=list)
    #: Linked folders that lead nowhere (their disk unplugged?), and links with an image's name
    #: whose target's folder is not there (``Dangling.image_link``): the indexer keeps the
    #: entries under (or at) them, as it does those under ``unreadable`` folders.
    dangling: list[Dangling] = field(default_factory=list)
    #: (root, folder, LINK or MOUNT) of the linked folders followed and the mount points walked:
    #: kept with the catalog, so that a later run or search tells them away (``attached_away_kind``).
    attached: list[tuple[str, str, str]] = field(default_factory=list)
    #: (root, link) of the links to single images found (each indexed at the link's path): kept
    #: with the catalog, so that a later search tells them away (``is_image_link_away``).
    image_links: list[tuple[str, str]] = field(default_factory=list)


class Dangling(NamedTuple):
    """A link that leads nowhere, maybe to a disk that is not mounted (``ScanResult.dangling``)."""

    path: str
    kind: str  # one of ``AWAY_KINDS``: "missing-folder"
    message: str
    #: A link with an image's name (one entry), not a linked folder: told by the scan, which
    #: sorted the entry, never by its message.
    image_link: bool = False


#: The kinds of ``ScanResult.unreadable`` that are a catalog folder itself away (missing, a file
#: now, or the empty mount point of a disk that is not mounted): not files that were skipped.
AWAY_KINDS = ("missing-folder", "not-a-folder", "empty-folder")
#: The kinds of ``ScanResult.attached``: a linked folder, a mount point (another disk's top).
LINK, MOUNT = "link", "mount"


def scan_folders(roots: list[str]) -> ScanResult:
    result = ScanResult()
    for root in roots:
        _scan_root(root, result)
    return result


def _scan_root(root: str, result: ScanResult) -> None:
    if not os.path.isdir(root):
        result.folder_times.append((root, root, AWAY))
        if not os.path.exists(root):
            away = ("missing-folder", FOLDER_MISSING)
        else:
            away = ("not-a-folder", NOT_A_FOLDER)
        result.unreadable.append((root, *away))
        return
    found: list[tuple[str, str, int, int, int, str | None]] = []  # (path, relative, size, mtime, ctime, attached_at)
    # A linked folder is followed (photos on another disk) unless it leads into the root or
    # into a folder already followed: those are walked anyway, and a loop ends there.
    walked = [os.path.realpath(root)]
    # (folder, rel, its parent's device, the linked folder or mount point it is in)
    stack: list[tuple[str, str, int | None, str | None]] = [(root, "", None, None)]
    while stack:
        folder, rel, parent_device, attached_at = stack.pop()
        # Before the listing: an entry added while it is read changes the time after this.
        mtime, device = mtime_and_device(folder)
        result.folder_times.append((root, folder, mtime))
        # Another device than its parent's: another disk, mounted here or linked to.
        if None not in (parent_device, device) and device != parent_device and _is_mount_point(folder):
            result.attached.append((root, folder, MOUNT))
            attached_at = folder
        try:
            with os.scandir(folder) as entries:
                for entry in entries:
                    try:
                        kind = _kind_of(entry)
                        if kind == "folder":
                            stack.append((entry.path, rel + entry.name + "/", device, attached_at))
                        elif kind == "linked-folder":
                            real = os.path.realpath(entry.path)
                            if not any(is_within(real, done) for done in walked):
                                walked.append(real)
                                stack.append((entry.path, rel + entry.name + "/", device, entry.path))
                                result.attached.append((root, entry.path, LINK))
                        elif kind == "dangling-link":
                            _note_dangling_link(root, entry.path, result)
                        elif kind == "dangling-file":  # (an image's name: said, not left out unseen)
                            _note_dangling_file(entry.path, result)
                        elif kind == "unsupported":
                            suffix = os.path.splitext(entry.name)[1].lower()
                            result.unreadable.append((entry.path, "unsupported-format",
                                                      UNSUPPORTED.format(kind=UNSUPPORTED_SUFFIXES[suffix])))
                        elif kind == "not-a-file":
                            result.unreadable.append((entry.path, "unreadable", NOT_A_FILE))
                        elif kind == "image":
                            # (a name not UTF-8 too: the index keeps its bytes, ``_path_columns``)
                            try:
                                st = entry.stat()
                            except FileNotFoundError:  # deleted since it was listed: not there
                                continue
                            found.append((entry.path, rel + entry.name, st.st_size, st.st_mtime_ns,
                                          st.st_ctime_ns, attached_at))
                            if entry.is_symlink():  # (known from the listing: no system call)
                                result.image_links.append((root, entry.path))
                    except OSError as exc:
                        result.unreadable.append((entry.path, "unreadable", _os_message(exc)))
        except OSError as exc:
            result.unreadable.append((folder, "unreadable-folder", _os_message(exc)))
    labeller = Labeller(root, [rel for _, rel, *_ in found])
    for path, rel, size, mtime, ctime, attached_at in found:
        result.files[path] = FileStat(path, root, size, mtime, labeller.label(rel), ctime, attached_at)


def _kind_of(entry: os.DirEntry) -> str | None:
    """What an index run makes of a folder's entry: "folder", "linked-folder", "dangling-link"
    (a linked folder whose disk is away?), "dangling-file" (a link with an image's name that
    leads nowhere, said as skipped), "image", "unsupported" (a photo format vsdesk cannot
    read, said as skipped), "not-a-file" (a pipe, socket or device with an image's name, said
    as skipped), or None: left out (hidden names, other files, a file deleted meanwhile)."""
    if entry.name.startswith("."):
        return None  # hidden files and folders (.thumbnails, .git, .DS_Store, our own temp files)
    suffix = os.path.splitext(entry.name)[1].lower()
    if entry.is_dir(follow_symlinks=False):
        return "folder"
    if entry.is_symlink() and entry.is_dir():
        return "linked-folder"
    if entry.is_symlink() and not os.path.exists(entry.path):
        return "dangling-file" if has_image_name(entry.name) else "dangling-link"
    if suffix in UNSUPPORTED_SUFFIXES and entry.is_file():
        return "unsupported"
    if suffix in IMAGE_SUFFIXES:
        if entry.is_file():
            return "image"
        if os.path.exists(entry.path):  # a pipe, socket or device: never read (it may block)
            return "not-a-file"
    return None


class FolderEntries(NamedTuple):
    """What an index run takes up directly in a folder (``listed_entries``)."""

    #: Its images by name, with (size, mtime_ns).
    images: dict[str, tuple[int, int]]
    #: Its subfolders' names: folders, linked folders, links that lead nowhere.
    folders: set[str]
    #: Whether it holds a labels file (``LABEL_FILES``; read at a catalog folder's top).
    labels_file: bool


def listed_entries(folder: str, deadline: float = float("inf")) -> FolderEntries:
    """The entries of ``folder`` an index run takes up, as ``_scan_root`` sorts them (one
    listing, a ``stat`` per image). Raises ``OSError`` when it cannot be listed, and
    ``TimeoutError`` (one) when it is not done by ``deadline`` (``time.monotonic()``)."""
    images, folders, labels_file = {}, set(), False
    with os.scandir(folder) as entries:
        for n, entry in enumerate(entries):
            if n % 256 == 255 and time.monotonic() >= deadline:
                raise TimeoutError(f"{folder}: not listed in time")
            kind = _kind_of(entry)
            if kind in ("folder", "linked-folder", "dangling-link"):
                folders.add(entry.name)
            elif kind == "image":
                st = entry.stat()
                images[entry.name] = (st.st_size, st.st_mtime_ns)
            labels_file = labels_file or entry.name in LABEL_FILES
    return FolderEntries(images, folders, labels_file)


#: The kind (``ScanResult.unreadable``) of a link with an image's name that leads nowhere (its
#: file deleted or moved; said in ``LINK_TO_NOTHING``): skipped, and an entry indexed through it
#: is dropped.
BROKEN_LINK = "broken-link"


def _note_dangling_file(link: str, result: ScanResult) -> None:
    """A link with an image's name that leads nowhere: broken when its target's folder is
    there (the file deleted or moved), else maybe on a disk that is not mounted, which the
    indexer tells by the entry it holds for it (``dangling``, as a linked folder away)."""
    target = os.path.realpath(link)
    if _target_folder_away(target):
        result.dangling.append(Dangling(link, "missing-folder", IMAGE_LINK_AWAY.format(target=shown_path(target)),
                                        image_link=True))
    else:
        result.unreadable.append((link, BROKEN_LINK, LINK_TO_NOTHING.format(target=shown_path(target))))


def link_to_nothing(path: str) -> str | None:
    """What a scan says of ``path`` (``LINK_TO_NOTHING``) when it is a link whose file is
    deleted or moved from a folder that is there (a broken link); None otherwise (a link into
    a folder away is no broken link: see ``_note_dangling_file``)."""
    if not os.path.islink(path) or os.path.exists(path):
        return None
    target = os.path.realpath(path)
    return None if _target_folder_away(target) else LINK_TO_NOTHING.format(target=shown_path(target))


def _target_folder_away(target: str) -> bool:
    """The folder of a link's ``target`` (its real path) is not there: a disk not mounted, not a
    file deleted. A ``stat``: the disk, were it there, is not listed."""
    return not os.path.isdir(os.path.dirname(target))


def is_image_link_away(link: str) -> bool:
    """``link``, noted as a link to an image by a scan (``ScanResult.image_links``), leads
    nowhere now, into a folder that is not there (its disk unplugged?), as the scan tells an
    image link away: a ``stat`` or two, no listing. False when it is there, was deleted or
    replaced by a file, or leads to a file deleted from a folder that is there (broken)."""
    return os.path.islink(link) and not os.path.exists(link) and _target_folder_away(os.path.realpath(link))


def _note_dangling_link(root: str, link: str, result: ScanResult) -> None:
    """A link that leads nowhere: maybe a linked folder whose disk is unplugged (the indexer
    tells by the entries under it). Its time is noted as an away root's is, so that a target
    that appears is a change (``changed_roots``)."""
    result.folder_times.append((root, link, AWAY))
    target = shown_path(os.path.realpath(link))
    result.dangling.append(Dangling(link, "missing-folder", LINK_AWAY.format(target=target)))


def _is_mount_point(folder: str) -> bool:
    """``folder`` (reached through links or not) is where a disk is mounted: asked only of a
    folder whose device is not its parent's (a folder reached through a link to another disk's
    subfolder is not one)."""
    try:
        return os.path.ismount(os.path.realpath(folder))
    except (OSError, ValueError):
        return False


UNSUPPORTED = "{kind} photos cannot be read by vsdesk; convert them to JPEG to index them"
#: A pipe, socket or device with an image's name (``imageio`` refuses one as a query in these words).
NOT_A_FILE = "not a regular file (a pipe, socket or device)"


def is_within(path: str, folder: str) -> bool:
    """``path`` is ``folder`` or inside it (paths as strings, no file system access)."""
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def _os_message(exc: OSError) -> str:
    if isinstance(exc, PermissionError):
        return "permission denied: cannot be read"
    return f"cannot be read ({exc.strerror or exc})"
