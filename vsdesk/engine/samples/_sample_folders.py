"""The sample catalogs and their folders: which samples there are, the catalog that holds one
indexed with a mode, and the folder each is: shipped, or made in the cache on first use (atomic,
a concurrent maker's complete folder kept) and repaired each time it is asked for.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from pathlib import Path

from vsdesk.engine import paths
from vsdesk.engine.samples._download import SampleDataError
from vsdesk.engine.samples._sample_files import sync_fashion_mnist, sync_style_artworks
from vsdesk.engine.tasks import Cancelled, Progress, never_cancelled, no_progress

log = logging.getLogger(__name__)


#: name -> (the mode it is made for, a one-line description).
SAMPLE_CATALOGS = {
    "clothing": ("product", "Clothing Dataset subset: photos of 17 clothing types (CC0)"),
    "fashion-mnist": ("vae", "Fashion-MNIST test set: 10,000 28x28 clothing images (MIT, Zalando SE)"),
    "style-artworks": ("style", "32 paintings, cubism and impressionism (TensorHouse data)"),
}


def is_sample(name: str) -> bool:
    return name in SAMPLE_CATALOGS


def sample_catalog_name(sample: str, mode: str) -> str:
    """The catalog that holds ``sample`` indexed with ``mode``: the sample's own name for the
    mode it is made for ("clothing" with product), else ``<sample>.<mode>`` ("clothing.style"),
    so every mode can search every sample without a mode clash."""
    if sample not in SAMPLE_CATALOGS:
        raise KeyError(f"no sample catalog named {sample!r}")
    return sample if SAMPLE_CATALOGS[sample][0] == mode else f"{sample}.{mode}"


#: What is said of a sample catalog's folder that is another installation's (``other_install_sample``).
OTHER_INSTALL_WORDS = "a sample of another vsdesk install: the next search or index run uses this install's copy"


def other_install_sample(catalog: str, folder: str) -> bool:
    """``folder`` of the catalog ``catalog`` is a sample's folder, but not this installation's:
    another's (vsdesk installed again into another environment, with the same home), there or
    gone with it. Not a folder of the user's that went missing: the catalog's next search or
    index run makes this installation's folder its only one (``Catalog.open_or_create``'s
    ``only``), and its images are found there by their content. Nothing is made or read."""
    # (the samples are made for every mode, so their modes are all the modes)
    names = {sample_catalog_name(s, mode): s for s in SAMPLE_CATALOGS for mode, _ in SAMPLE_CATALOGS.values()}
    if catalog not in names:
        return False
    return os.path.realpath(folder) != os.path.realpath(_installed_folder(names[catalog]))


def _installed_folder(name: str) -> Path:
    """Where ``sample_folder`` finds or makes sample ``name`` in this installation (not made:
    `catalogs list` asks, on a read-only home too)."""
    if name == "clothing":
        return paths.resources_dir() / "samples" / "clothing"
    return paths.cache_location() / "samples" / {"fashion-mnist": "fashion-mnist-test"}.get(name, name)


def sample_folder(
    name: str,
    progress: Progress = no_progress,
    cancelled: Cancelled = never_cancelled,
    *,
    style_base_url: str | None = None,
) -> Path:
    """The folder holding sample ``name``, materialised on first use (idempotent, atomic).

    A folder already there is checked on every call (a few tens of ms) and the files that went
    missing or were damaged since are written again (see ``_repair``).
    """
    if name == "clothing":
        folder = _installed_folder(name)
        if not folder.is_dir():
            raise SampleDataError(f"the clothing sample is missing from {folder} (broken installation?)")
        return folder
    if name == "fashion-mnist":
        return _materialise("fashion-mnist-test", sync_fashion_mnist, progress, cancelled)
    if name == "style-artworks":
        return _materialise(
            "style-artworks",
            lambda folder, p, c: sync_style_artworks(folder, p, c, style_base_url),
            progress, cancelled,
        )
    raise KeyError(f"no sample catalog named {name!r}; samples: {', '.join(SAMPLE_CATALOGS)}")


def _materialise(dirname: str, sync, progress: Progress, cancelled: Cancelled) -> Path:
    """The sample folder ``dirname`` in the cache, made by ``sync(folder, progress, cancelled)``.

    ``sync`` writes whatever is missing or damaged in ``folder``: everything the first time, into
    a temporary sibling renamed into place when complete (so an interrupted build never leaves
    a half-filled sample that would be taken as complete); later, the few files lost since.
    """
    root = paths.cache_subfolder("samples")
    folder = root / dirname
    if (folder / ".complete").is_file():
        _repair(folder, sync, progress, cancelled)
        return folder
    tmp = Path(tempfile.mkdtemp(dir=root, prefix=f".{dirname}."))
    try:
        sync(tmp, progress, cancelled)
        (tmp / ".complete").write_text("ok\n")
        _put_in_place(tmp, folder)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return folder


def _put_in_place(tmp: Path, folder: Path) -> None:
    """Rename the complete sample folder ``tmp`` to ``folder``, unless another process (the
    window and `vsdesk index` preparing the same sample at once) put its complete one there
    meanwhile: that one is kept, as it may be being indexed already (the caller deletes ours)."""
    try:
        os.rename(tmp, folder)  # atomic; refused where a folder holding files is (POSIX and Windows)
        return
    except OSError:
        if not folder.is_dir():
            raise
    if (folder / ".complete").is_file():
        return
    # An incomplete folder from an older layout: ours, in our cache. Renamed aside before it is
    # deleted; should another process put its complete folder in meanwhile, that one is kept.
    paths.delete_folder(folder)
    try:
        os.rename(tmp, folder)
    except OSError:
        if not (folder / ".complete").is_file():
            raise


def _repair(folder: Path, sync, progress: Progress, cancelled: Cancelled) -> None:
    """Bring back files of a complete sample deleted or damaged since (a user cleaning up, a
    disk fault), so they are indexed again instead of listed as skipped forever.

    Best effort: the sample was usable before the repair, so a repair that cannot be done
    (disk full, no network for an artwork) leaves it as it is; the catalog then lists the
    files still missing, as it did before.
    """
    try:
        sync(folder, progress, cancelled)
    except (OSError, SampleDataError) as exc:
        log.warning("cannot repair the sample folder %s: %s", folder, exc)
