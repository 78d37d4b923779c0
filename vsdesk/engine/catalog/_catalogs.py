"""All the catalogs on disk, one folder each under ``paths.catalogs_dir()``: listed (from their
settings alone, or opened for their counts), told apart by name, and removed (our files only)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import NamedTuple

from vsdesk.engine import paths
from vsdesk.engine.projection import remove_maps
from vsdesk.engine.catalog._errors import (
    CatalogChanged,
    CatalogError,
    CatalogNotFound,
    no_such_catalog,
    storage_error,
)
from vsdesk.engine.catalog._leftovers import aside_name, check_only_ours, clear_removal_leftovers, delete_aside
from vsdesk.engine.catalog._locking import LOCK_PATIENCE, lock_catalog
from vsdesk.engine.catalog._ondisk import CONFIG_FILE, NAME_RE, catalog_location, missing_settings, read_config
from vsdesk.engine.catalog._folders_away import away_folders
from vsdesk.engine.catalog._store import Catalog, CatalogInfo, away_fields


def catalog_exists(name: str) -> bool:
    return (catalog_location(name) / CONFIG_FILE).is_file()


class CatalogSettings(NamedTuple):
    name: str
    mode: str
    folders: list[str]


def catalog_settings() -> list[CatalogSettings]:
    """Every catalog's name, mode and folders, read from its settings alone: cheap enough for
    the window to ask each time it is activated. ``list_catalogs`` opens the indexes too (a
    check of each file that grows with its size, the counts), for `vsdesk catalogs list`.
    A catalog whose settings are damaged is looked at (``Catalog.open``'s ``look``): they are
    read from its index, and rebuilt by the next open of it; one that cannot be told (no
    settings file, unreadable) is listed with mode "?": its name is taken."""
    found = []
    for location in _catalog_folders():
        config = {"mode": "?", "folders": []}
        try:
            config = read_config(location / CONFIG_FILE)
        except OSError:
            pass  # no settings file (an interrupted remove), or unreadable
        except ValueError:  # damaged: rebuilt from the index, if it can be
            try:
                with Catalog.open(location.name, look=True) as catalog:
                    config = {"mode": catalog.mode, "folders": catalog.folders}
            except (CatalogError, sqlite3.Error, OSError):
                pass
        found.append(CatalogSettings(location.name, str(config["mode"]), [str(f) for f in config["folders"]]))
    return found


def _catalog_folders() -> list[Path]:
    """The catalogs' folders; none when vsdesk's folder is not there (nothing is made to list)."""
    root = paths.catalogs_location()
    if not root.is_dir():
        return []
    return [location for location in sorted(root.iterdir()) if location.is_dir() and NAME_RE.match(location.name)]


def list_catalogs() -> list[CatalogInfo]:
    """Every catalog on disk; one that cannot be opened is listed with its ``problem``. What
    removals left behind (a crash between renaming a catalog aside and deleting it) goes."""
    clear_removal_leftovers()
    infos = []
    for location in _catalog_folders():
        if not (location / CONFIG_FILE).is_file():  # listed, so that it can be removed or made anew
            infos.append(CatalogInfo(location.name, "?", [], 0, 0, 0, str(location),
                                     problem=missing_settings(location.name, location)))
            continue
        try:
            with Catalog.open(location.name) as catalog:
                infos.append(catalog.info())
        except (CatalogError, sqlite3.Error, OSError) as exc:
            try:  # an index that cannot be used just now: its settings still say what it is
                config = read_config(location / CONFIG_FILE)
                mode, folders, model = str(config["mode"]), list(config["folders"]), config.get("model")
            except (OSError, ValueError):
                mode, folders, model = "?", [], None
            infos.append(CatalogInfo(location.name, mode, folders, 0, 0, 0, str(location), problem=str(exc),
                                     model=model, **away_fields(away_folders(folders))))
    return infos


class Removed(NamedTuple):
    """What ``remove_catalog`` did: the catalog's folder (gone), and ``left_over``, the folder
    its files were renamed to that could not be deleted (``why``), if any. The catalog is
    removed either way: that folder is hidden, never opened, and deleted later
    (``clear_removal_leftovers``)."""
    name: str
    location: Path
    left_over: Path | None = None
    why: str = ""

    @property
    def problem(self) -> str:
        """What was left, in words, for stderr and the log; empty when nothing was."""
        if self.left_over is None:
            return ""
        return (f"catalog {self.name!r} was removed, but some of its index files could not be deleted "
                f"({self.why}): delete the folder {self.left_over} to free their space (it holds only "
                "vsdesk's files); vsdesk tries again when catalogs are listed or one is created")


def removal_facts(catalog: Catalog) -> tuple[int, tuple[str, ...]]:
    """(indexed images, folders) of ``catalog``: what its removal takes out, as the user is told
    when asked (``remove_catalog``'s ``expect``)."""
    return catalog.counts()[0], tuple(catalog.folders)


def remove_catalog(name: str, expect: tuple[int, tuple[str, ...]] | None = None) -> Removed:
    """Delete our index files for ``name`` (never the user's images). ``expect``: what the user
    was told it holds when asked (``removal_facts``): checked under the catalog's lock, in one
    step with the removal, so that no other process adds a folder between the two;
    ``CatalogChanged`` if it holds others now, and nothing is removed."""
    location = catalog_location(name)
    if not location.is_dir():  # a folder without catalog.json is removed too: what is left of one
        raise no_such_catalog(name)
    # Only our own folder under catalogs_dir(), holding only our files: anything else in it was
    # put there by someone else, and is not ours to delete.
    check_only_ours(location, "nothing was removed: move them elsewhere and run again")
    # Not while another process indexes it: its run would go on writing into files removed.
    # The folder is first renamed aside, in one step: deleted file by file where it is, another
    # process looking at the catalog meanwhile (the window, which checks whether it is being
    # indexed each time the catalogs' folder changes) made its lock file and index again in it,
    # so the folder was "not empty" and what was left opened as a damaged catalog. Once renamed,
    # the catalog is gone as a whole (a look at it finds no catalog), and its files are deleted
    # where nobody looks for them. The lock is held until they are: its file moved with the
    # folder, and tells a later clean-up (``clear_removal_leftovers``) that it is being deleted.
    with lock_catalog(location, name, "nothing was removed", patience=LOCK_PATIENCE):
        if expect is not None:
            _check_unchanged(name, expect)
        aside = location.with_name(aside_name(name))
        try:
            location.rename(aside)
        except OSError as exc:
            raise storage_error(location, exc, name) from None
        failure = delete_aside(aside)
    # Its maps in the cache go with it (after the rename: a map of it finished meanwhile, which
    # finds it gone, removes what it wrote itself; ``project_catalog``).
    remove_maps(name)
    if failure is None:
        return Removed(name, location)
    # (the file's name alone: the message names the folder)
    why = f"{failure.strerror}: {Path(failure.filename).name}" if failure.strerror and failure.filename else failure
    return Removed(name, location, aside, str(why))


def _check_unchanged(name: str, expect: tuple[int, tuple[str, ...]]) -> None:
    """``CatalogChanged`` unless catalog ``name`` holds what ``expect`` says (``removal_facts``);
    the caller holds its lock."""
    try:
        with Catalog.open(name) as catalog:
            now = removal_facts(catalog)
    except CatalogNotFound:
        raise
    except (CatalogError, sqlite3.Error, OSError) as exc:  # it was read when the user was asked
        raise CatalogChanged(f"catalog {name!r} cannot be read now ({exc}); nothing was removed") from None
    if now != expect:
        raise CatalogChanged(f"catalog {name!r} changed since you were asked (it holds "
                             f"{now[0]} indexed images in {', '.join(now[1]) or 'no folder'} now); nothing was "
                             "removed: ask again")
