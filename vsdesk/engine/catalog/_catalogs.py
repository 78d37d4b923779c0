"""All the catalogs on disk, one folder each under ``paths.catalogs_dir()``: listed (from their
settings alone, or opened for their counts), told apart by name, and removed (our files only)."""

from __future__ import annotations

import shutil
import sqlite3
import uuid
from pathlib import Path
from typing import NamedTuple

from vsdesk.engine import paths
from vsdesk.engine.catalog._errors import CatalogError, CatalogNotFound, CatalogStorageError, storage_error
from vsdesk.engine.catalog._locking import LOCK_PATIENCE, lock_catalog
from vsdesk.engine.catalog._ondisk import (
    _NAME_RE,
    _OUR_FILES,
    CONFIG_FILE,
    _missing_settings,
    _read_config,
    catalog_location,
)
from vsdesk.engine.catalog._scan import away_folders
from vsdesk.engine.catalog._store import Catalog, CatalogInfo, _away

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
    A catalog whose settings are damaged is opened, which rebuilds them from its index; one
    that cannot be told (no settings file, unreadable) is listed with mode "?": its name is taken."""
    found = []
    for location in _catalog_folders():
        config = {"mode": "?", "folders": []}
        try:
            config = _read_config(location / CONFIG_FILE)
        except OSError:
            pass  # no settings file (an interrupted remove), or unreadable
        except ValueError:  # damaged: rebuilt from the index, if it can be
            try:
                with Catalog.open(location.name) as catalog:
                    config = {"mode": catalog.mode, "folders": catalog.folders}
            except (CatalogError, sqlite3.Error, OSError):
                pass
        found.append(CatalogSettings(location.name, str(config["mode"]), [str(f) for f in config["folders"]]))
    return found


def _catalog_folders() -> list[Path]:
    return [location for location in sorted(paths.catalogs_dir().iterdir())
            if location.is_dir() and _NAME_RE.match(location.name)]


def list_catalogs() -> list[CatalogInfo]:
    """Every catalog on disk; one that cannot be opened is listed with its ``problem``."""
    infos = []
    for location in _catalog_folders():
        if not (location / CONFIG_FILE).is_file():  # listed, so that it can be removed or made anew
            infos.append(CatalogInfo(location.name, "?", [], 0, 0, 0, str(location),
                                     problem=_missing_settings(location.name, location)))
            continue
        try:
            with Catalog.open(location.name) as catalog:
                infos.append(catalog.info())
        except (CatalogError, sqlite3.Error, OSError) as exc:
            try:  # an index that cannot be used just now: its settings still say what it is
                config = _read_config(location / CONFIG_FILE)
                mode, folders, model = str(config["mode"]), list(config["folders"]), config.get("model")
            except (OSError, ValueError):
                mode, folders, model = "?", [], None
            infos.append(CatalogInfo(location.name, mode, folders, 0, 0, 0, str(location), problem=str(exc),
                                     model=model, **_away(away_folders(folders))))
    return infos


def remove_catalog(name: str) -> Path:
    """Delete our index files for ``name`` (never the user's images). Returns the removed folder."""
    location = catalog_location(name)
    if not location.is_dir():  # a folder without catalog.json is removed too: what is left of one
        raise CatalogNotFound(f"no catalog named {name!r}")
    # Only our own folder under catalogs_dir(), holding only our files: anything else in it was
    # put there by someone else, and is not ours to delete.
    others = sorted(p.name for p in location.iterdir() if not p.name.startswith(_OUR_FILES))
    if others:
        shown = ", ".join(others[:5]) + (", ..." if len(others) > 5 else "")
        raise CatalogError(f"{location} holds files vsdesk did not write ({shown}); nothing was removed: "
                           "move them elsewhere and run again")
    # Not while another process indexes it: its run would go on writing into files removed.
    # The folder is first renamed aside, in one step: deleted file by file where it is, another
    # process looking at the catalog meanwhile (the window, which checks whether it is being
    # indexed each time the catalogs' folder changes) made its lock file and index again in it,
    # so the folder was "not empty" and what was left opened as a damaged catalog. Once renamed,
    # the catalog is gone as a whole (a look at it finds no catalog), and its files are deleted
    # where nobody looks for them.
    with lock_catalog(location, name, "nothing was removed", patience=LOCK_PATIENCE):
        aside = location.with_name(f"{_ASIDE}{name}-{uuid.uuid4().hex[:8]}")
        try:
            location.rename(aside)
        except OSError as exc:
            raise storage_error(location, exc, name) from None
    _delete_aside(aside, name)
    return location


#: How a catalog's folder being removed is renamed (``remove_catalog``): hidden, and not a
#: catalog's name (``_NAME_RE``), so that it is never listed, opened or taken for one.
_ASIDE = ".removed-"


def _delete_aside(aside: Path, name: str) -> None:
    """Delete the folder of catalog ``name``, renamed aside by ``remove_catalog``. The catalog
    is removed by then: what cannot be deleted is said, with where it is left."""
    try:
        shutil.rmtree(aside)
    except OSError as exc:
        raise CatalogStorageError(
            f"catalog {name!r} was removed, but some of its index files could not be deleted ({exc}): "
            f"delete the folder {aside} to free their space (it holds only vsdesk's files)") from None
