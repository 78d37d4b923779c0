"""Whole-or-nothing saving of a product model folder.

A model is written into a hidden folder beside its final place and renamed into place once
complete (``install``): an interruption (Ctrl+C, a crash) never leaves a folder that looks
like a model but lacks part of it. Such folders are named ".NAME.partial-PID-XXXX" (and a
replaced model's, for a moment, ".NAME.old-PID-XXXX"); one whose process is gone (a SIGKILL)
is removed by the next save or listing.
"""

from __future__ import annotations

import os
import re
import tempfile
import time
from pathlib import Path

from vsdesk.engine.product.model import META_FILE, OPTIONAL_FILES, ProductModelError

_LEFTOVER = re.compile(r"^\..+\.(?:partial|old)-(\d+)-[^.]*$")
#: Where a process's liveness cannot be asked (Windows), a leftover this old is taken as dead.
_LEFTOVER_AGE = 24 * 3600


def staging_dir(target: Path) -> Path:
    """A new, empty, hidden folder beside ``target`` (same file system) to write a model into."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    clean_leftovers(target.parent)
    return Path(tempfile.mkdtemp(prefix=f".{target.name}.partial-{os.getpid()}-", dir=target.parent))


def clean_leftovers(root: Path) -> None:
    """Remove the staging folders in ``root`` of saves whose process died before finishing."""
    import shutil

    try:
        entries = list(Path(root).iterdir())
    except OSError:
        return
    for path in entries:
        match = _LEFTOVER.match(path.name)
        if match and path.is_dir() and not _alive(int(match.group(1)), path):
            shutil.rmtree(path, ignore_errors=True)


def _alive(pid: int, path: Path) -> bool:
    """Whether the process that made ``path`` may still be writing it."""
    if pid == os.getpid():
        return True  # this process's own saves end by themselves (installed or removed)
    if os.name == "nt":  # os.kill(pid, 0) would stop a process there
        try:
            return time.time() - path.stat().st_mtime < _LEFTOVER_AGE
        except OSError:
            return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # e.g. another user's process
    return True


def is_model_file(name: str) -> bool:
    """A file a model folder holds (written by a save or an import): none of the user's."""
    return (name in (META_FILE, *OPTIONAL_FILES) or re.fullmatch(r"product(-\d+)?\.weights\.h5", name) is not None
            or (name.startswith("fast-") and name.endswith(".tflite")))


def install(staging: Path, target: Path) -> None:
    """Put the complete model folder ``staging`` (``staging_dir``) at ``target`` by renaming it.

    A model already there is replaced whole (moved aside, then deleted), so none of its files
    (an old member, its familiarity data) stays with the new one. A ``target`` holding other
    files too (an ``--export`` folder of the user's) keeps them: only model files change there.
    """
    import shutil

    staging, target = Path(staging), Path(target)
    os.chmod(staging, 0o755)  # mkdtemp makes 0700; model folders are ordinary shared folders
    if not target.exists():
        os.replace(staging, target)
        return
    if not target.is_dir() or not all(is_model_file(p.name) for p in target.iterdir()):
        install_among_other_files(staging, target)
        return
    old = target.parent / f".{target.name}.old-{os.getpid()}-{os.urandom(4).hex()}"
    os.rename(target, old)
    try:
        os.replace(staging, target)
    except BaseException:
        os.rename(old, target)  # the previous model stays, whole
        raise
    shutil.rmtree(old, ignore_errors=True)


def install_among_other_files(staging: Path, target: Path) -> None:
    """Move the model files of ``staging`` into the existing folder ``target`` (renamed whole
    when it holds other files, or is a mount point): its other files are kept, the previous
    model's files the new one lacks go, and the metadata moves in last."""
    if not target.is_dir():
        raise ProductModelError(f"{target} is a file, not a folder to write a model into")
    new = {p.name for p in staging.iterdir()}
    for stale in target.iterdir():
        if is_model_file(stale.name) and stale.name not in new and stale.is_file():
            stale.unlink()  # the previous model's: a member or file the new one does not have
    for name in sorted(new - {META_FILE}) + [META_FILE]:  # the metadata last
        os.replace(staging / name, target / name)
    staging.rmdir()
