"""Catalogs: named sets of folders indexed with one mode, persisted, incremental, crash-safe.

Usage (the CLI, the GUI and the tests all go through these names)::

    from vsdesk.engine.catalog import Catalog, index_catalog, list_catalogs, remove_catalog

    catalog = Catalog.create("photos", "product", ["~/Pictures/shop"])   # CatalogExists if taken
    catalog = Catalog.open("photos")                                      # CatalogNotFound
    catalog = Catalog.open("photos", look=True)  # only read: never repaired, nor its lock taken;
                                                 # CatalogDamaged for a damaged index (left as it is)
    catalog = Catalog.open_or_create("photos", "product", folders)        # CatalogModeMismatch
    catalog.add_folder(path); catalog.remove_folder(path); catalog.folders
    catalog.set_model(name)                     # the model it keeps (product); None: the shipped one
        # every change takes the catalog's lock, which an index run holds from start to end
        # (``catalog.exclusive()``): while another process indexes it, CatalogBusy at once, in
        # words ("... being indexed by another vsdesk process; nothing was changed: try again
        # once it has finished"); remove_catalog too. The settings are read again once held.
    report = index_catalog(catalog, embedder, progress, cancelled, batch_size=32)
        # -> IndexReport(added, updated, moved, removed, unchanged (touched among them: a new
        #                time, the same content), now_unreadable, skipped, seconds,
        #                embedded, reused, recovered, indexed, missing_folders, kept,
        #                found_elsewhere, missing_without_images, no_images, interrupted);
        #    report.summary(); no_images_words(folder) for each folder of report.no_images;
        #    added_folder_words(report, name): the add_folders joined (N images), there already,
        #    or not added (no image in them: a catalog with folders does not take one)
        # entries of a folder away whose content the run sees elsewhere in the catalog (the
        # folder moved, or was copied while its disk was unplugged) are forgotten: their
        # vectors stay with the copies, and the folder's files, back, are re-added by hash.
        # call it from the thread that owns TensorFlow; CancelledError on cancel (work kept).
        # report=IndexReport() is filled in as it goes: after a cancel or Ctrl+C it holds what
        # was committed, with interrupted=True.
        # embedder may be a zero-argument loader instead: the model is then loaded only if a
        # file needs embedding (report.model_loaded), so an unchanged re-run is instant, and
        # so is one where files were only touched or moved (their content hashes are known),
        # and a new catalog of an empty folder.
    paths, labels, matrix = catalog.vectors()   # VectorSet, sorted by path; matrix (n, dim) float32
    catalog.hashes()                            # content SHA-256 per row of vectors()
    catalog.indexed()                           # Indexed(version, key, vectors, hashes): one read
                                                # transaction; use it to read more than one of them
    catalog.version, catalog.uid                # change detection / cache keys
    catalog.skipped()                           # [SkippedFile(path, kind, message)], as the last
                                                # index run reported them (names, formats too)
    catalog.recovered                           # message if the index was found damaged and moved
                                                # aside; kept until an index run completes
    catalog.close()                             # or use `with Catalog.open(name) as catalog:`
    catalog.unfinished                          # True from an index run's start to its end: one
                                                # cancelled, killed or failed leaves it set
    catalog.changed_folders()                   # folders with images added/removed/renamed/written over
                                                # since the last complete run (cheap, bounded; other
                                                # names, e.g. .DS_Store, are no change); None: can't tell
    list_catalogs() -> [CatalogInfo(name, mode, folders, indexed, skipped, version, location, problem,
                                    model, unfinished, being_indexed, missing_folders, missing_kinds,
                                    missing_without_images, image_links_away, files)]
                                                # files: those indexed, a file at several paths once
                                                # problem: cannot be opened, or catalog.recovered
    unreadable_folders(folders, catalog_folders) -> {folder: why}  # those given to be indexed that
                                                # cannot be listed (not added: `index` and the window);
                                                # unreadable_words(them): "cannot read folder X: why"
    away_folders(folders) -> {folder: kind}     # folders missing, a file now or empty (AWAY_KINDS);
    catalog.away_folders() -> {folder: kind}    # those of its folders, then linked folders leading
                                                # nowhere and mount points left empty in them
                                                # (noted by the last complete run) that hold images
    catalog.attached_folders()                  # [(folder, "link" or "mount", root)] of that run
    catalog.image_links_away()                  # [link]: links to single images of that run that
                                                # lead nowhere now (their disk away), entries kept
    is_image_link_away(link)                    # such a link still away now: a stat or two
    image_links_away_words(count)               # "2 image links away (their disks are not mounted?): ..."
    image_links_away_note(count)                # the same, with how their entries are forgotten
    away_words(kind)                            # what that kind is, in the words all say it with
    how_to_forget(folder, name, roots)          # "`vsdesk catalogs remove-folder ...` forgets them",
                                                # or deleting the link / the empty folder
    catalog.holds_files(folder)                 # whether the index holds entries in it
    catalog.folder_counts(folder)               # (indexed, skipped) inside it: what forgetting it takes
    catalog.folder_files(folder)                # the files its indexed images are (one content: one file)
    catalog.counts()                            # (indexed, skipped): indexed = with a vector of its model
    catalog.file_count()                        # the files the indexed images are (one content: one file)
    catalog.restore_key(key, dim)               # back to a model whose vectors are there (a switch cancelled)
    how_to_drop(folder, name, roots)            # of a folder away that holds none: "`vsdesk catalogs
                                                # remove-folder ...` drops it from the catalog"
    catalog_settings() -> [CatalogSettings(name, mode, folders)]
                                                # from the settings files alone: cheap
    remove_catalog(name, expect=None)           # deletes our index files (and its maps) only, never images; expect:
                                                # removal_facts(catalog) as the user was told them,
                                                # checked under the lock (CatalogChanged: nothing removed)
        # -> Removed(location, left_over, problem): left_over, the folder renamed aside that could
        #    not be deleted (the catalog is removed); such folders go when catalogs are listed or
        #    one is created
    scan_folders([folder]) -> ScanResult        # the image files an index run takes, by one walk
                                                # (hidden names out, linked folders followed):
                                                # .files {path: FileStat}, .unreadable
    listed_entries(folder, deadline) -> FolderEntries  # the images (size, time) and subfolders
                                                # directly in it that a run takes up; TimeoutError
                                                # when not listed by deadline (time.monotonic())

Storage: ``<catalogs_dir>/<name>/catalog.json`` (``CONFIG_FILE``: name, mode, folders) and
``index.sqlite`` (``INDEX_FILE``, WAL):
``files`` (path, root, size, mtime_ns, sha256, label, status ok/skipped, error kind/message),
``vectors`` (float32 blobs keyed by (content sha256, embedder key)), ``folder_times`` (each
scanned folder's mtime at the last complete run, for ``changed_folders``) and
``attached_folders`` (the linked folders and mount points of that run: unplugged, a link leads
nowhere and a mount point is left empty, and their entries are kept), ``image_links`` (its
links to single images, told away the same way) and ``scan_skipped``
(what the last run's scan skipped without a ``files`` row: a HEIC photo, a pipe with an
image's name, a folder that cannot be listed; counted and listed by ``counts``/``skipped``),
``file_ctimes`` (each entry's change time, read again when it moves): a moved
or renamed file is recognised by its hash, and a new model (another key) re-embeds. Labels come from a
``labels.csv`` (filename,label) or the Clothing Dataset's ``images.csv`` (image,...,label) at a
folder's top, else from class subfolders, else none. A damaged index file (truncated,
overwritten, failing ``PRAGMA quick_check``, SQLITE_CORRUPT/NOTADB) is renamed
``index.sqlite.damaged-<time>`` on open and rebuilt by the next indexing run. An index that
cannot be used just now (locked by another program, a full disk, read-only, no permission, a
disk error) is left as it is: ``CatalogStorageError`` says what to do. A damaged catalog.json
beside a sound index is rebuilt from it (folders, mode, model; ``catalog.recovered`` says so).
We never write into the user's folders.

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
