"""What an index run reports (``IndexReport``, ``FoundElsewhere``), and the words it is said
with: its summary, the folders it was given to add, a folder with no image in it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, NamedTuple

from vsdesk.engine.catalog._index_contents import SkippedFile
from vsdesk.engine.catalog._away_words import away_count, away_short, image_links_away_words
from vsdesk.engine.imageio import IMAGE_FORMATS
from vsdesk.engine.text import counted, image_count


class FoundElsewhere(NamedTuple):
    """Images of a folder away found, by their content, in files an index run saw elsewhere in
    the catalog: the folder moved, or was copied while its disk was unplugged. Their entries
    are forgotten (the copies hold their vectors), so that no image is listed twice."""

    folder: str  # the folder away (``IndexReport.missing_folders``)
    kind: str  # how it is away (``AWAY_KINDS``)
    images: int  # its images found elsewhere: their entries are forgotten
    moved: int  # of those, the ones whose copy the run added: counted as moved, not added
    found_in: list[str]  # where the copies are: the folder holding them all, else their catalog folders

    def words(self) -> str:
        """"12 images of /x/photos (missing) found in /x/moved/photos: counted as moved"."""
        said = (f"{counted(self.images, 'image')} of {self.folder} ({away_short(self.kind)}) found in "
                f"{', '.join(self.found_in)}")
        if self.moved == self.images:
            return f"{said}: counted as moved"
        # Copies that were indexed before (a folder of duplicates): listed from there alone.
        moved = f" ({self.moved} new there: counted as moved)" if self.moved else ""
        return f"{said}: listed once, from there{moved}"


@dataclass
class IndexReport:
    added: int = 0
    updated: int = 0
    moved: int = 0
    removed: int = 0
    unchanged: int = 0
    skipped: list[SkippedFile] = field(default_factory=list)
    #: Of ``unchanged``: files read again because their time changed (``touch``, a copy over
    #: them with the same bytes) whose content is the same: nothing else done.
    touched: int = 0
    #: Images indexed before that cannot be read or decoded now (written over by a broken or
    #: cut-short file): left out of the catalog, and among ``skipped`` with their reason.
    now_unreadable: int = 0
    seconds: float = 0.0
    #: Vectors computed by the model / found by content hash (moved, renamed or duplicate files).
    embedded: int = 0
    reused: int = 0
    #: Set when the index file was damaged and rebuilt (see ``Catalog.recovered``).
    recovered: str | None = None
    #: Images in the catalog after the run: added + updated + moved + unchanged (skipped files
    #: are in none of those).
    indexed: int = 0
    #: False when a lazily given model was not needed (nothing to embed).
    model_loaded: bool = False
    #: True when the catalog had been indexed with another model: its images were embedded again.
    model_changed: bool = False
    #: Catalog folders that are missing, a file now or empty (a disk not mounted), linked
    #: folders in them that lead nowhere and mount points in them left empty: their images are
    #: kept as they were indexed. Not files, so not under ``skipped``.
    missing_folders: list[SkippedFile] = field(default_factory=list)
    #: Images of those folders, kept as they were indexed (not checked, so not "unchanged").
    kept: int = 0
    #: Of ``kept``, those of image links away (``SkippedFile.image_link_away``): one each, or none when
    #: the file it led to was skipped (its entry is kept, but it is no image). The folders'
    #: count is the rest.
    kept_by_links: int = 0
    #: Entries of those folders whose content the run saw in a file outside them (the folder
    #: moved, or copied while its disk was unplugged): forgotten, one ``FoundElsewhere`` per
    #: folder. Their vectors stay with the copies, so a folder that comes back is indexed
    #: again by hash, without the model.
    found_elsewhere: list[FoundElsewhere] = field(default_factory=list)
    #: Those of ``missing_folders`` of which the index holds no entry after the run (all found
    #: elsewhere, or none ever indexed): nothing is kept for them, and a catalog folder among
    #: them can be dropped from the catalog (``how_to_drop``).
    missing_without_images: list[str] = field(default_factory=list)
    #: Catalog folders that are there and hold no image file at all (none indexed, none
    #: skipped): a wrong folder given, or photos in a format not looked for (``no_images_words``).
    no_images: list[str] = field(default_factory=list)
    #: True when the run stopped before its end (Ctrl+C, a cancel): the counts are of the
    #: batches committed until then, ``indexed`` the images the catalog holds.
    interrupted: bool = False
    #: True when the run went on with one that had stopped before its end (the window closed
    #: or vsdesk killed during it, a cancel): it was not necessarily started by the user.
    resumed: bool = False
    #: Folders given to the run (``add_folders``) that joined the catalog, with how many of
    #: its images it holds after the run; those that were folders of it already (their new
    #: images are indexed, as any run does); and those that hold no image file, not added to
    #: a catalog that has folders (as a lost disk they would be said later): ``added_folder_words``.
    folders_added: dict[str, int] = field(default_factory=dict)
    #: True when the run made the catalog of the folders it was given (a new catalog): they are
    #: in ``folders_added`` too, but not said one by one (the summary says what was indexed).
    created: bool = False
    folders_already: list[str] = field(default_factory=list)
    folders_not_added: list[str] = field(default_factory=list)

    def summary(self, files: int | None = None) -> str:
        """The run in one line. ``files``: how many files the catalog's images are, said beside
        the paths when they differ ("10 images (20 paths) indexed"), as `vsdesk search` counts."""
        indexed = counted(self.indexed, "image") if files is None else image_count(files, self.indexed)
        text = (
            f"{indexed} indexed in {self.seconds:.2f} s: {self.added} added, "
            f"{self.updated} updated, {self.moved} moved, {self.removed} removed, {self.unchanged} unchanged"
        )
        if self.touched:  # their time changed, not their content: nothing a user cares about
            text += f" ({self.touched} of them touched, same content)"
        if self.now_unreadable:
            text += f", {self.now_unreadable} now unreadable, left out"
        # Said of the images above, before the skipped files: it must not read as their count.
        if self.embedded or self.reused:
            text += f"; {self.embedded} embedded by the model, {self.reused} reused from identical content"
        text += f"; {counted(len(self.skipped), 'file')} skipped"
        for found in self.found_elsewhere:
            text += f"; {found.words()}"
        holding = [f for f in self.missing_folders if f.path not in self.missing_without_images]
        # An image link away (its disk unplugged) is one entry: not said as a folder.
        links = [f for f in holding if f.image_link_away]
        holding = [f for f in holding if not f.image_link_away]
        if holding:
            their = "its" if len(holding) == 1 else "their"
            text += (f"; {away_count(folder.kind for folder in holding)}: "
                     f"{their} {counted(self.kept - self.kept_by_links, 'image')} kept as they were")
        if links:
            text += f"; {image_links_away_words(len(links))}"
        found_folders = {found.folder for found in self.found_elsewhere}
        holding_none = [f for f in self.missing_folders
                        if f.path in self.missing_without_images and f.path not in found_folders]
        if holding_none:
            text += f"; {away_count(folder.kind for folder in holding_none)} with no images in the index"
        if self.model_changed:
            text += "; the model changed since the last run, so every image was embedded again"
        if self.interrupted:
            text += "; interrupted before the end"
        return text

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        # (``image_link_away`` is said of a folder away only: never true of a file skipped)
        data["skipped"] = [{"path": s.path, "kind": s.kind, "message": s.message} for s in self.skipped]
        data["missing_folders"] = [s._asdict() for s in self.missing_folders]
        data["found_elsewhere"] = [found._asdict() for found in self.found_elsewhere]
        return data


def added_folder_words(report: IndexReport, name: str, already: bool = True) -> list[tuple[str, str]]:
    """What became of the folders a run was given to add to catalog ``name``, as (kind, words):
    "warning" for a folder not added, "note" for the others (a folder inside one of its
    folders, or holding some, is said by the caller: ``session.nested_folder_notes``).
    ``already``: say the folders that were the catalog's already (not news in a plain update)."""
    words = [("warning", f"{folder} holds no images ({IMAGE_FORMATS}; searched with its subfolders): not added")
             for folder in report.folders_not_added]
    words += [("note", f"{folder} is already a folder of the catalog “{name}”: its new images are indexed")
              for folder in (report.folders_already if already else ())]
    words += [("note", f"{counted(count, 'image')} added from {folder}")
              for folder, count in ({} if report.created else report.folders_added).items()]
    return words


def no_images_words(folder: str) -> str:
    """What an index run says of a catalog folder in which it found no image file."""
    return f"no images found in {folder} ({IMAGE_FORMATS}; searched with its subfolders)"
