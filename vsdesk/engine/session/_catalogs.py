"""The part of ``ModeSession`` that deals with this mode's catalogs as they are on disk, for the
window's catalog list: listed, checked for changes, made for a folder, a folder forgotten,
removed. Most run on the window's I/O thread."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

from vsdesk.engine.session._snapshot import CatalogSnapshot

if TYPE_CHECKING:  # (the catalog package is imported where it is used, not at the session's import)
    from vsdesk.engine.catalog import Removed

#: The sample catalog each mode starts with (see ``vsdesk.engine.samples``).
DEFAULT_SAMPLE = {"style": "style-artworks", "product": "clothing", "vae": "fashion-mnist"}


def folder_catalog_name(mode: str, folder: str, taken: set[str]) -> str:
    """A valid, unused catalog name for a user folder, e.g. ``photos-style``."""
    base = re.sub(r"[^A-Za-z0-9._-]+", "-", Path(folder).name or "folder").strip("-._") or "folder"
    base = f"{base[:48]}-{mode}"
    taken = {t.lower() for t in taken}  # names differing only in case are one (see Catalog.create)
    name, n = base, 2
    while name.lower() in taken:
        name, n = f"{base}-{n}", n + 1
    return name


def no_catalog_words(unreadable: dict[str, str]) -> str:
    """A new catalog of folders that cannot be listed, refused: "cannot read folder X:
    permission denied; no catalog was made of it" (``unreadable_folders``)."""
    from vsdesk.engine.catalog import unreadable_words

    return f"{unreadable_words(unreadable)}; no catalog was made of it"


def nested_folder_notes(name: str, before: list[str], added: tuple[str, ...], after: list[str]) -> list[str]:
    """What became of folders added to catalog ``name`` (its folders ``before`` and
    ``after``) that are not kept beside the others: one inside a folder of the catalog is part
    of it already; one holding folders of the catalog keeps them, and their images, inside it."""
    from vsdesk.engine.catalog import is_within

    notes = []
    for folder in dict.fromkeys(os.path.abspath(os.path.expanduser(f)) for f in added):
        parent = next((other for other in after if other != folder and is_within(folder, other)), None)
        if parent is not None:
            notes.append(f"{folder} is inside {parent}, a folder of the catalog “{name}”: its images are "
                         f"indexed as part of it")
        inside = [old for old in before if old not in after and is_within(old, folder)]
        if inside:
            notes.append(f"{folder} holds {', '.join(inside)}, {'a folder' if len(inside) == 1 else 'folders'} of "
                         f"the catalog “{name}”: the catalog keeps {folder} alone, and "
                         f"{'its' if len(inside) == 1 else 'their'} images with it")
    return notes


class CatalogsOfMode:
    """``ModeSession``'s catalogs of its mode on disk (``mode``, ``_options``, ``catalog``: the
    session's)."""

    def catalog_names(self) -> list[str]:
        """The sample catalog of this mode first, then the user's catalogs of this mode."""
        from vsdesk.engine.catalog import catalog_settings

        names = [DEFAULT_SAMPLE[self.mode]]
        for found in catalog_settings():
            if found.mode == self.mode and found.name not in names:
                names.append(found.name)
        return names

    def changed_elsewhere(self, snapshot: CatalogSnapshot) -> bool:
        """Whether another process (``vsdesk index`` in a terminal) has changed the catalog since
        ``snapshot`` was taken: new vectors, or another model's. False while that process is
        still at it (its work is taken up once it is done), and for a removed catalog. True for
        an index found damaged: only looked at here (``look``), it is left for the window's open
        of it to move aside and rebuild, and to say why."""
        from vsdesk.engine.catalog import Catalog, CatalogDamaged, CatalogError, is_being_indexed

        try:
            with Catalog.open(snapshot.name, look=True) as catalog:
                if is_being_indexed(catalog):
                    return False
                return catalog.version != snapshot.version or (catalog.embedder_key or "") != snapshot.model_key
        except CatalogDamaged:
            return True
        except CatalogError:
            return False

    def left_unfinished(self, name: str) -> int | None:
        """How many images catalog ``name`` holds if an index run stopped before its end and
        none holds it now (another process's `vsdesk index`, killed: the window finishes what
        it left), else None."""
        from vsdesk.engine.catalog import Catalog, CatalogError, is_being_indexed

        try:
            with Catalog.open(name, look=True) as catalog:
                if not catalog.unfinished or is_being_indexed(catalog):
                    return None
                return catalog.counts()[0]
        except CatalogError:
            return None

    def changed_folders(self, snapshot: CatalogSnapshot) -> list[str]:
        """The folders of ``snapshot``'s catalog in which images were added, removed, renamed or
        written over since its last complete index run (``Catalog.changed_folders``: a ``stat``
        per folder and per indexed file, within time budgets), for the window to bring it up to
        date. A folder away (an unplugged disk) is no change.

        Empty when the window has nothing to do: another process is indexing the catalog (its
        work is taken up once it is done), its last run did not finish (opening it finishes
        that; a cancel offers to resume), its index is read-only, it cannot be told cheaply, the
        catalog is gone, or it is a sample: vsdesk's own folder, changed only by vsdesk's repair
        of it, which opening does (and may download for), not by a user saving photos there."""
        from vsdesk.engine.catalog import Catalog, CatalogError, is_being_indexed

        if snapshot.is_sample:
            return []
        try:
            with Catalog.open(snapshot.name, look=True) as catalog:  # (never repaired here: see ``changed_elsewhere``)
                if catalog.read_only or catalog.unfinished or is_being_indexed(catalog):
                    return []
                return catalog.changed_folders() or []
        except CatalogError:
            return []

    def folder_catalog(self, folder: str, settings: list | None = None) -> str | None:
        """The name of this mode's catalog of exactly ``folder``, if it has one (``settings``:
        ``catalog_settings()`` when the caller has read them already)."""
        from vsdesk.engine.catalog import catalog_settings

        folder = str(Path(folder).expanduser().resolve())
        return next((found.name for found in (catalog_settings() if settings is None else settings)
                     if found.mode == self.mode and folder in found.folders), None)

    def model_choices(self) -> list:
        """The models a new catalog of this mode can be indexed with (``product.choice``: the
        shipped one first, then those trained or imported here), or [] for a mode with one model.
        Reads a few small metadata files: for the I/O thread."""
        if self.mode != "product":
            return []
        from vsdesk.engine.product.choice import model_choices

        return model_choices()

    def images_to_embed(self, name: str, models: list[str | None]) -> list[int]:
        """For each of ``models`` (``ModelChoice.name``s), how many images of catalog ``name``
        indexing it with that model embeds (``catalog.images_to_embed``): the dialog that
        changes a catalog's model says it. Scans the folders: for the I/O thread."""
        from vsdesk.engine.catalog import Catalog, images_to_embed
        from vsdesk.engine.modes import vectors_key_prefix

        with Catalog.open(name) as catalog:
            return images_to_embed(catalog, [vectors_key_prefix(self.mode, **{**self._options, "model": model})
                                             for model in models])

    def create_folder_catalog(self, folder: str, model: str | None = None) -> str:
        """A new catalog for a user's folder (cheap: indexing is ``open_catalog``), to be indexed
        with ``model`` (a ``ModelChoice.name``; None: the mode's shipped one), which it keeps
        as `vsdesk index --model` makes it keep one. A folder that has a catalog in this mode
        already is that catalog, with its own model. A folder that cannot be listed makes none
        (``CatalogError``, in the words of `vsdesk index`): it would be an empty catalog."""
        from vsdesk.engine.catalog import Catalog, CatalogError, catalog_settings, unreadable_folders

        settings = catalog_settings()  # read once: every catalog's settings file
        existing = self.folder_catalog(folder, settings)  # the folder already has a catalog in this mode: reuse it
        if existing is not None:
            return existing
        unreadable = unreadable_folders([folder])
        if unreadable:
            raise CatalogError(no_catalog_words(unreadable))
        folder = str(Path(folder).expanduser().resolve())
        name = folder_catalog_name(self.mode, folder, {found.name for found in settings})
        with Catalog.create(name, self.mode, [folder]) as catalog:
            catalog.set_model(model)  # open_catalog indexes it with that one (``catalog_model``)
        return name

    def forget_folder(self, name: str, folder: str) -> tuple[int, int, set[str]]:
        """Forget ``folder`` of catalog ``name`` as `vsdesk catalogs remove-folder` does (no image
        is touched): (paths, files) forgotten, as ``folder_counts`` counts them, and their
        contents' hashes (for ``vectors_kept``; empty if unreadable), in one opening."""
        from vsdesk.engine.catalog import Catalog, CatalogError

        with Catalog.open(name) as catalog:
            if folder not in catalog.folders:
                listed = ", ".join(catalog.folders) or "none"
                raise CatalogError(f"{folder} is not a folder of catalog {name!r} (its folders: {listed})")
            try:
                hashes = catalog.folder_hashes(folder)
            except CatalogError:
                hashes = set()
            before, _ = catalog.counts()
            files = catalog.folder_files(folder)
            catalog.remove_folder(folder)
            return before - catalog.counts()[0], files, hashes

    def vectors_kept(self, name: str, hashes: set[str]) -> bool:
        """Whether catalog ``name`` still holds a vector of its model for each of ``hashes`` (a
        folder forgotten: added back, it is not embedded again). For the I/O thread."""
        from vsdesk.engine.catalog import Catalog, CatalogError

        try:
            with Catalog.open(name, look=True) as catalog:
                return bool(hashes) and hashes <= catalog.hashes_with_vectors(catalog.embedder_key or "")
        except CatalogError:
            return False

    def folder_counts(self, name: str, folder: str) -> tuple[int, int, int]:
        """(indexed images, skipped files, the files those images are) of ``folder`` in catalog
        ``name``: what forgetting it takes out (``Catalog.folder_counts``, ``Catalog.folder_files``:
        a file at two paths is one image at two paths). For the I/O thread."""
        from vsdesk.engine.catalog import Catalog

        with Catalog.open(name) as catalog:
            return *catalog.folder_counts(folder), catalog.folder_files(folder)

    def removal_facts(self, name: str) -> tuple[int, tuple[str, ...], bool]:
        """(indexed images, folders, being indexed now) of catalog ``name`` as it is on disk: what
        its removal takes out, read again when it is asked (the command line may have added a
        folder to it since the window showed it). For the I/O thread."""
        from vsdesk.engine.catalog import Catalog, is_being_indexed, removal_facts

        with Catalog.open(name) as catalog:
            return *removal_facts(catalog), is_being_indexed(catalog)

    def remove_catalog(self, name: str, expected: tuple[int, tuple[str, ...]] | None = None) -> "Removed":
        """Remove catalog ``name`` as `vsdesk catalogs remove` does: vsdesk's index and settings
        of it, never the images. Not a sample (vsdesk's own, made again when opened). The window
        runs it on its TensorFlow thread, where the catalog's index runs are: never during one.
        ``expected``: (images, folders) as the user was told them when asked; if the catalog
        holds others now (another process indexed it meanwhile: checked under its lock, in one
        step with the removal), nothing is removed and None is returned, for the user to be
        asked again with what it holds now. Else ``Removed`` (its ``problem``: files left)."""
        from vsdesk.engine import samples
        from vsdesk.engine.catalog import CatalogChanged, CatalogError, remove_catalog

        if samples.is_sample(name):
            raise CatalogError(f"{name!r} is a sample catalog: it is vsdesk's own, not removed")
        try:
            removed = remove_catalog(name, expect=expected)
        except CatalogChanged:
            return None
        if self.catalog is not None and self.catalog.name == name:
            self.catalog = None  # nothing of it is searched any more
        return removed
