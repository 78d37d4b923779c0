"""Catalogs: named sets of folders indexed with one mode, kept on disk, brought up to date
incrementally and crash-safely, searched by the CLI and the window (all go through these names).

A catalog (``Catalog``) is its settings (name, mode, folders, the model it keeps) and an index
of its image files: each file's size, times and content hash, and one vector per content and
model. An index run (``index_catalog``) reads and embeds only new or changed files; a file
moved or renamed is found by its hash, and the model is loaded only when some content is new.
Folders away (missing, a file now, a mount point left empty, a linked folder leading nowhere:
a disk unplugged) keep their entries and are said, never taken for deleted. Labels come from a
``labels.csv`` or the Clothing Dataset's ``images.csv`` at a folder's top, else from class
subfolders. Users' images are only ever read.

Usage::

    catalog = Catalog.create("photos", "product", ["~/Pictures/shop"])  # CatalogExists if taken
    catalog = Catalog.open("photos")            # CatalogNotFound; look=True: only read, never
                                                # repaired (CatalogDamaged for a damaged index)
    catalog = Catalog.open_or_create("photos", "product", folders)  # CatalogModeMismatch
    catalog.add_folder(path); catalog.remove_folder(path); catalog.folders; catalog.set_model(name)
        # every change takes the catalog's lock, which an index run holds from start to end
        # (catalog.exclusive()): CatalogBusy at once while another process indexes it
    report = index_catalog(catalog, embedder_or_loader, progress, cancelled, batch_size=32)
        # -> IndexReport (added, updated, moved, removed, unchanged, skipped, missing_folders,
        #    kept, found_elsewhere, ...; report.summary()). Call it from the thread that owns
        #    TensorFlow; CancelledError on cancel, with the work done kept (a report given
        #    as report= holds it, interrupted=True). A loader is called only if a file needs
        #    embedding (report.model_loaded).
    catalog.vectors(), catalog.hashes(), catalog.indexed()  # what a search reads (one transaction)
    catalog.version, catalog.uid                # change detection, cache keys
    catalog.counts(), catalog.file_count(), catalog.skipped(), catalog.unfinished, catalog.recovered
    catalog.changed_folders()                   # folders with images added, removed, renamed or
                                                # written over since the last complete run: cheap,
                                                # bounded; None when it cannot tell
    catalog.away_folders(), catalog.attached_folders(), catalog.image_links_away()
    catalog.holds_files(folder), catalog.folder_counts(folder), catalog.folder_files(folder)
    list_catalogs() -> [CatalogInfo], catalog_settings(), remove_catalog(name, expect=None)
    away_words, away_folders, how_to_forget, how_to_drop, image_links_away_words/_note: the one
        wording of what is away, for the CLI and the window alike
    scan_folders(roots) -> ScanResult; listed_entries(folder, deadline)  # what a run takes up

Storage: ``<catalogs_dir>/<name>/catalog.json`` (``CONFIG_FILE``: name, mode, folders, model)
and ``index.sqlite`` (``INDEX_FILE``, WAL; its tables are described in ``_ondisk``). A damaged
index is moved aside on open and rebuilt by the next run; one that cannot be used just now
(locked, a full disk, read-only) is left as it is, and ``CatalogStorageError`` says what to do.
``Catalog`` is thread-safe (one connection behind a lock); ``vectors()`` is cached in memory
until ``version`` changes.
"""

from vsdesk.engine.catalog._embed_estimate import images_to_embed
from vsdesk.engine.catalog._indexer import (
    index_catalog,
    is_being_indexed,
)
from vsdesk.engine.catalog._index_report import (
    FoundElsewhere,
    added_folder_words,
    IndexReport,
    no_images_words,
)
from vsdesk.engine.catalog._labels import LABEL_FILES
from vsdesk.engine.catalog._folders_away import away_folders, is_away, why_not_a_folder
from vsdesk.engine.catalog._folder_listing import unreadable_folders, unreadable_words
from vsdesk.engine.catalog._away_words import (
    away_words,
    how_to_drop,
    how_to_forget,
    image_links_away_note,
    image_links_away_words,
)
from vsdesk.engine.catalog._scan import (
    is_image_link_away,
    is_within,
    listed_entries,
    scan_folders,
)
from vsdesk.engine.catalog._catalogs import (
    CatalogSettings,
    catalog_exists,
    catalog_settings,
    Removed,
    list_catalogs,
    removal_facts,
    remove_catalog,
)
from vsdesk.engine.catalog._errors import (
    CatalogBusy,
    CatalogChanged,
    CatalogDamaged,
    CatalogError,
    CatalogExists,
    CatalogModeMismatch,
    CatalogNotFound,
    CatalogStorageError,
)
from vsdesk.engine.catalog._ondisk import CONFIG_FILE, INDEX_FILE, catalog_location
from vsdesk.engine.catalog._index_contents import Indexed, SkippedFile, VectorSet
from vsdesk.engine.catalog._store import Catalog, CatalogInfo

__all__ = [
    "added_folder_words",
    "Catalog",
    "CatalogBusy",
    "CatalogChanged",
    "CatalogDamaged",
    "CatalogError",
    "CatalogExists",
    "CatalogInfo",
    "CatalogModeMismatch",
    "CatalogNotFound",
    "CatalogSettings",
    "CatalogStorageError",
    "CONFIG_FILE",
    "FoundElsewhere",
    "IndexReport",
    "INDEX_FILE",
    "Indexed",
    "LABEL_FILES",
    "SkippedFile",
    "VectorSet",
    "away_folders",
    "away_words",
    "how_to_drop",
    "how_to_forget",
    "image_links_away_note",
    "image_links_away_words",
    "catalog_exists",
    "catalog_settings",
    "is_away",
    "is_image_link_away",
    "is_within",
    "listed_entries",
    "scan_folders",
    "why_not_a_folder",
    "unreadable_folders",
    "unreadable_words",
    "catalog_location",
    "images_to_embed",
    "index_catalog",
    "is_being_indexed",
    "list_catalogs",
    "no_images_words",
    "removal_facts",
    "remove_catalog",
    "Removed",
]
