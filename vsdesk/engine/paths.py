"""Where vsdesk keeps its files.

Every directory follows the platform's conventions (platformdirs) and can be redirected by an
environment variable, so tests and CI never touch a user's real cache, catalogs or settings.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

import platformdirs

APP_NAME = "vsdesk"

#: Environment variables that override the default locations.
ENV_CACHE = "VSDESK_CACHE_DIR"  # converted model weights, downloaded sample data, projections
ENV_DATA = "VSDESK_DATA_DIR"  # catalogs and trained models (the user's work): valuable, never deleted by us
ENV_CONFIG = "VSDESK_CONFIG_DIR"  # settings
ENV_STYLE_MIRROR = "VSDESK_STYLE_MIRROR"  # a local folder holding the 32 style artworks

#: The repository's ``resources/`` folder (shipped weights and sample catalogs).
RESOURCES = Path(__file__).resolve().parent.parent.parent / "resources"


def source_checkout() -> Path | None:
    """The root of the source checkout vsdesk runs from (the folder whose pyproject.toml names
    the project ``vsdesk``, beside the package), or None: installed (site-packages, the desktop
    bundle), where paths of the repository (``../shared/data``) mean nothing."""
    import tomllib

    root = Path(__file__).resolve().parent.parent.parent
    try:
        with open(root / "pyproject.toml", "rb") as file:
            name = tomllib.load(file).get("project", {}).get("name")
    except (OSError, ValueError, AttributeError):  # (not TOML, not UTF-8; a "project" not a table)
        return None
    return root if name == APP_NAME else None


def shared_data(relative: str) -> Path | None:
    """``relative`` among the project's data sets beside the source checkout (``../shared/data``:
    development and CI) when it is there; None where it is not, and always where vsdesk is
    installed: the data sets (the Clothing Dataset) are not shipped with it."""
    root = source_checkout()
    found = None if root is None else root.parent / "shared" / "data" / relative
    return found if found is not None and found.exists() else None


class LocationError(OSError):
    """One of vsdesk's folders cannot be created or used; the message names it and why.
    ``named_a_file``: the path given for it is a file (the setting must change: a command exits
    2); else the disk refuses it (read-only, no permission: exit 1, as for any full or read-only
    disk, README's table)."""

    def __init__(self, message: str, named_a_file: bool = False):
        super().__init__(message)
        self.named_a_file = named_a_file


def _where(env: str, default: str) -> Path:
    return Path(os.environ.get(env) or default).expanduser()


def _dir(env: str, default: str) -> Path:
    path = _where(env, default)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        why = "it is a file, not a folder" if isinstance(exc, FileExistsError) else (exc.strerror or str(exc))
        raise _unusable(env, path, why, _names_a_file(exc)) from None
    return path


def _unusable(env: str, path: Path, why: str, named_a_file: bool) -> LocationError:
    """vsdesk's folder ``path`` (set by ``env``, or its default) cannot be used, for ``why``."""
    source = f"{env}={os.environ[env]}" if os.environ.get(env) else str(path)
    return LocationError(f"cannot use {source} as vsdesk's folder: {why}; {_way_out(env)}", named_a_file)


def _way_out(env: str) -> str:
    """README's way out of a folder that cannot be written: the variable that moves it."""
    return f"set {env} to a folder that can be written"


def cache_dir() -> Path:
    return _dir(ENV_CACHE, platformdirs.user_cache_dir(APP_NAME))


def cache_location() -> Path:
    """Where ``cache_dir()`` is, without making it (to name it when it cannot be written)."""
    return _where(ENV_CACHE, platformdirs.user_cache_dir(APP_NAME))


def cache_read_location() -> Path:
    """Where ``cache_dir()`` is, for what reads a cache there and writes one only when it can
    (a query): not made (``_listed``), so that a read-only home answers it too."""
    return _listed(ENV_CACHE, platformdirs.user_cache_dir(APP_NAME))


def data_dir() -> Path:
    return _dir(ENV_DATA, platformdirs.user_data_dir(APP_NAME))


def _listed(env: str, default: str) -> Path:
    """Where a folder of vsdesk's is, for what only reads it (a listing): not made (a read-only
    or missing home: nothing is there to list). A path that names a file, or has a file on its
    way, is said as ``_dir`` says it: the setting must change."""
    path = _where(env, default)
    there = next((p for p in (path, *path.parents) if p.exists()), None)
    if there is not None and not there.is_dir():
        why = "it is a file, not a folder" if there == path else os.strerror(errno.ENOTDIR)
        raise _unusable(env, path, why, named_a_file=True)
    return path


def config_dir() -> Path:
    return _dir(ENV_CONFIG, platformdirs.user_config_dir(APP_NAME))


def config_location() -> Path:
    """Where ``config_dir()`` is, without making it (Qt makes its own folder in it as it writes)."""
    return _where(ENV_CONFIG, platformdirs.user_config_dir(APP_NAME))


def cache_subfolder(name: str) -> Path:
    """The cache's folder ``name``, made: one that cannot be (a cache folder there but read-only)
    is said as ``_dir`` says its own, with the variable that moves it, not as a traceback."""
    path = cache_dir() / name
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise LocationError(f"cannot make vsdesk's cache folder {path}: {exc.strerror or exc}; "
                            f"{_way_out(ENV_CACHE)}", _names_a_file(exc)) from None
    return path


def models_dir() -> Path:
    """The model cache: converted and downloaded weights, fast-path conversions (rebuilt if lost)."""
    path = cache_dir() / "models"
    path.mkdir(parents=True, exist_ok=True)
    return path


def models_location() -> Path:
    """Where ``models_dir()`` is, without making it (``_listed``)."""
    return _listed(ENV_CACHE, platformdirs.user_cache_dir(APP_NAME)) / "models"


def trained_models_dir() -> Path:
    """Models the user trained (or imported as ``product/NAME``): their only copy, so they are
    kept with the catalogs, not in the cache, which cache cleaners empty."""
    path = data_dir() / "models"
    path.mkdir(parents=True, exist_ok=True)
    return path


def trained_models_location() -> Path:
    """Where ``trained_models_dir()`` is, without making it (``_listed``)."""
    return _listed(ENV_DATA, platformdirs.user_data_dir(APP_NAME)) / "models"


def former_trained_dir(name: str) -> Path:
    """Where an earlier vsdesk kept trained models (``product``, ``vae-trained``): in the cache's
    ``models`` folder. Not created; what is found there is moved to ``trained_models_dir()``."""
    return _where(ENV_CACHE, platformdirs.user_cache_dir(APP_NAME)) / "models" / name


def trained_vae_dir() -> Path:
    """`vsdesk train vae`'s default output folder; one an earlier vsdesk wrote into the cache is
    moved here first (if that cannot be done, it stays where it was, whole)."""
    target = trained_models_dir() / "vae-trained"
    former = former_trained_dir("vae-trained")
    if former.is_dir() and not same_place(former, target):
        try:
            move_folder(former, target)
        except OSError:
            pass  # kept in the cache, unchanged; training writes the new one here
    return target


def catalogs_dir() -> Path:
    path = data_dir() / "catalogs"
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:  # the data folder on a read-only disk, say: said as _dir says its own
        raise LocationError(f"cannot make vsdesk's catalogs folder {path}: {exc.strerror or exc}; "
                            f"{_way_out(ENV_DATA)}", _names_a_file(exc)) from None
    return path


def catalogs_location() -> Path:
    """Where ``catalogs_dir()`` is, without making it (``_listed``)."""
    return _listed(ENV_DATA, platformdirs.user_data_dir(APP_NAME)) / "catalogs"


def _names_a_file(exc: OSError) -> bool:
    """Whether ``mkdir``'s ``exc`` says a file is where the folder (or one of its parents) goes."""
    return isinstance(exc, (FileExistsError, NotADirectoryError))


def keep_keras_home_in_cache() -> None:
    """For a vsdesk process (its entry points call this before Keras is imported): Keras writes
    its ``keras.json`` into ``~/.keras`` unless ``KERAS_HOME`` says otherwise; vsdesk's cache is
    where it goes instead, so that vsdesk leaves nothing outside the folders the README names.
    A user's own ``KERAS_HOME`` is kept."""
    if "KERAS_HOME" not in os.environ:
        # Not made here: a command that only lists writes nothing; Keras makes it when imported
        # (and goes on without it when it cannot).
        os.environ["KERAS_HOME"] = str(cache_location() / "keras")


def same_place(a: Path, b: Path) -> bool:
    """Whether two paths are one folder (say, the cache and data folders set to the same place)."""
    try:
        return a.resolve() == b.resolve()
    except OSError:
        return False


# -- moving a folder out of the cache ----------------------------------------------------------

def move_folder(source: Path, target: Path) -> bool:
    """Move the folder ``source`` to ``target`` without ever losing it; True when ``target``
    holds it afterwards and ``source`` is gone, False when both are left as they were.

    On one file system it is a rename: atomic. Across file systems it is copied into a hidden
    folder beside ``target``, synced to disk and compared file by file with ``source``, renamed
    into place, and only then is ``source`` deleted (renamed aside first, so an interruption
    leaves it whole, or whole under a hidden name, never half deleted). A ``target`` already there
    holding the same files is this move done before (by a run interrupted before it deleted
    ``source``, or by another process at the same moment): ``source`` then goes. A ``target``
    with other files is left as it is, and so is ``source``: False.
    """
    import errno

    source, target = Path(source), Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.rename(source, target)  # refused onto a folder that holds files: nothing is replaced
        return True
    except FileNotFoundError:
        return target.is_dir() and not source.exists()  # moved by another process meanwhile
    except OSError as exc:
        if exc.errno == errno.EXDEV:
            _copy_into_place(source, target)
        elif not target.is_dir():
            raise
    if not _same_files(source, target):
        return False
    delete_folder(source)
    return True


def _copy_into_place(source: Path, target: Path) -> None:
    """``source`` copied to ``target`` on another file system: all of it, checked, or nothing."""
    import shutil
    import tempfile

    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.partial-{os.getpid()}-", dir=target.parent))
    try:
        shutil.copytree(source, staging, dirs_exist_ok=True)
        for path in _files(staging).values():
            with open(path, "rb") as file:
                os.fsync(file.fileno())  # on the disk before the only other copy goes
        if not _same_files(source, staging):
            raise OSError(f"the copy of {source} in {staging} differs from it")
        os.chmod(staging, source.stat().st_mode & 0o777)  # mkdtemp made it 0700
        try:
            os.rename(staging, target)
        except OSError:
            if not target.is_dir():
                raise
            # Another process put it there first: the caller compares the two.
    finally:
        shutil.rmtree(staging, ignore_errors=True)  # gone already when it was renamed into place


def _files(folder: Path) -> dict[str, Path]:
    return {path.relative_to(folder).as_posix(): path for path in sorted(folder.rglob("*")) if path.is_file()}


def _same_files(a: Path, b: Path) -> bool:
    """Whether two folders hold the same files with the same bytes."""
    import hashlib

    def digest(path: Path) -> bytes:
        with open(path, "rb") as file:
            return hashlib.file_digest(file, "sha256").digest()

    files_a, files_b = _files(a), _files(b)
    return files_a.keys() == files_b.keys() and all(digest(files_a[k]) == digest(files_b[k]) for k in files_a)


def delete_folder(folder: Path) -> None:
    """Delete a folder (one whose files are safe elsewhere, or that the user asked to go):
    renamed to a hidden ".NAME.old-PID-XXXX" first (atomic), so an interruption never leaves a
    part of it looking like the whole."""
    import shutil

    aside = folder.parent / f".{folder.name}.old-{os.getpid()}-{os.urandom(4).hex()}"
    try:
        os.rename(folder, aside)
    except FileNotFoundError:
        return  # deleted by another process moving it too
    shutil.rmtree(aside, ignore_errors=True)


def resources_dir() -> Path:
    """The shipped resources: inside the package when installed from a wheel, else the repo's."""
    packaged = Path(__file__).resolve().parent.parent / "resources"
    return packaged if packaged.is_dir() else RESOURCES
