"""Read a PyTorch ``.pth`` state dict as NumPy arrays, without torch and without running its code.

A ``.pth`` file is a pickle, and a general unpickle executes whatever the file names (``os.system``
...). ``RestrictedUnpickler`` admits only the handful of globals a plain state dict needs (the
tensor rebuild function, the storage types, ``OrderedDict``) and refuses every other one with
``UnsafePickleError``. Tensor bytes never go through pickle at all: they are read with NumPy.

Both container formats torch has used are understood:
- the zip format (torch >= 1.6): ``<name>/data.pkl`` plus one ``<name>/data/<key>`` entry per storage;
- the legacy format: five consecutive pickles-and-blobs in one stream (magic number, protocol,
  system info, the state dict, the storage keys), then each storage as an int64 element count
  followed by its raw bytes. The EfficientNet-Lite0 checkpoint vsdesk converts is in this format.
"""

from __future__ import annotations

import io
import os
import pickle
import struct
import zipfile
from collections import OrderedDict
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

#: torch's legacy-format magic number (first pickle in the stream).
LEGACY_MAGIC = 0x1950A86A20F9469CFC6C

#: Storage class name -> NumPy dtype (little endian, as both formats store data).
STORAGE_DTYPES: dict[str, np.dtype] = {
    "FloatStorage": np.dtype("<f4"),
    "DoubleStorage": np.dtype("<f8"),
    "HalfStorage": np.dtype("<f2"),
    "BFloat16Storage": np.dtype("<u2"),  # kept as raw bits; made float32 in _materialise
    "LongStorage": np.dtype("<i8"),
    "IntStorage": np.dtype("<i4"),
    "ShortStorage": np.dtype("<i2"),
    "CharStorage": np.dtype("i1"),
    "ByteStorage": np.dtype("u1"),
    "BoolStorage": np.dtype("?"),
}


class UnsafePickleError(ValueError):
    """The file asks for a Python global that a plain tensor state dict never needs."""


class TorchFileError(ValueError):
    """The file is not a PyTorch state dict vsdesk can read."""


class _StorageType:
    """Stands in for ``torch.FloatStorage`` etc.: only its dtype matters to us."""

    def __init__(self, name: str):
        self.name = name
        self.dtype = STORAGE_DTYPES[name]


class _Storage:
    """A storage named by the pickle; its bytes are filled in from the zip entry or the stream."""

    def __init__(self, key: str, storage_type: "_StorageType", numel: int | None):
        self.key = key
        self.dtype = storage_type.dtype
        self.bfloat16 = storage_type.name == "BFloat16Storage"
        self.numel = numel
        self.array: np.ndarray | None = None


class _LazyTensor:
    """What ``_rebuild_tensor_v2`` returns: a view into a storage, materialised once data is read."""

    def __init__(self, storage: _Storage, offset: int, size: tuple, stride: tuple):
        self.storage, self.offset, self.size, self.stride = storage, int(offset), tuple(size), tuple(stride)

    def to_numpy(self) -> np.ndarray:
        flat = self.storage.array
        if flat is None:
            raise TorchFileError(f"storage {self.storage.key} has no data")
        offset, size, stride = self.offset, self.size, self.stride
        # as_strided trusts its arguments and reads raw memory: a negative offset, size or stride
        # (which torch never saves) would let a crafted file point it before or past the buffer,
        # so the view must be proven to lie inside the storage before it is built.
        numbers = size + stride
        if (
            not all(isinstance(n, int) for n in numbers)
            or len(size) != len(stride)
            or offset < 0
            or any(n < 0 for n in numbers)
        ):
            raise TorchFileError(
                f"malformed tensor view of storage {self.storage.key}: "
                f"offset {offset}, size {size}, stride {stride}"
            )
        if 0 in size:
            return np.zeros(size, flat.dtype)
        # With no negative stride, the highest element touched is the last one of every axis.
        highest = offset + sum((n - 1) * st for n, st in zip(size, stride))
        if highest >= flat.size:
            raise TorchFileError(f"tensor overruns its storage {self.storage.key}")
        item = flat.itemsize
        view = np.lib.stride_tricks.as_strided(
            flat[offset:], shape=size, strides=tuple(st * item for st in stride)
        )
        return np.array(view)  # a compact copy that owns its memory


def _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad=False, backward_hooks=None, metadata=None):
    if not isinstance(storage, _Storage):
        raise TorchFileError("malformed tensor record: its storage is not a storage")
    return _LazyTensor(storage, storage_offset, size, stride)


def _rebuild_parameter(data, requires_grad=False, backward_hooks=None):
    return data  # an nn.Parameter is its tensor for our purposes


class RestrictedUnpickler(pickle.Unpickler):
    """Unpickles a tensor state dict and nothing else.

    ``find_class`` is the only way a pickle reaches Python code; it answers from a fixed table and
    raises ``UnsafePickleError`` for everything else, so a crafted file cannot run a thing.
    """

    def __init__(self, file: BinaryIO, *, load_storage):
        super().__init__(file)
        self._load_storage = load_storage
        self._storages: dict[str, _Storage] = {}

    SAFE_GLOBALS: dict[tuple[str, str], Any] = {
        ("collections", "OrderedDict"): OrderedDict,
        ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor_v2,
        ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
        **{("torch", name): _StorageType(name) for name in STORAGE_DTYPES},
    }

    def find_class(self, module: str, name: str) -> Any:
        try:
            return self.SAFE_GLOBALS[(module, name)]
        except KeyError:
            raise UnsafePickleError(
                f"refusing to load {module}.{name}: a weights file only needs tensors, and this "
                "global could run code (the file may be malicious or not a plain state dict)"
            ) from None

    def persistent_load(self, pid: Any) -> Any:
        # ('storage', storage_type, key, location, numel[, view_metadata])
        if not (isinstance(pid, tuple) and len(pid) >= 5 and pid[0] == "storage"):
            raise TorchFileError(f"unexpected persistent id in the pickle: {pid!r:.80}")
        storage_type, key, numel = pid[1], str(pid[2]), pid[4]
        if not isinstance(storage_type, _StorageType):
            raise TorchFileError("malformed storage record in the pickle")
        if key not in self._storages:
            storage = _Storage(key, storage_type, int(numel) if numel is not None else None)
            self._load_storage(storage)
            self._storages[key] = storage
        return self._storages[key]

    def storages(self) -> dict[str, _Storage]:
        return self._storages


def _safe_load_plain(fp: BinaryIO) -> Any:
    """A small pickle with no globals at all (legacy header records, storage key list)."""
    return RestrictedUnpickler(fp, load_storage=_no_storage).load()


def _no_storage(storage: _Storage) -> None:
    raise TorchFileError("unexpected tensor storage in a header record")


def load_state_dict(path: str | os.PathLike) -> "OrderedDict[str, np.ndarray]":
    """Read a ``.pth`` state dict into ``{name: float32/int ndarray}``; no torch, no code execution.

    Raises ``UnsafePickleError`` for a pickle that names any global outside the tensor set and
    ``TorchFileError`` for a file that is not a readable state dict.
    """
    path = Path(path)
    try:
        if zipfile.is_zipfile(path):
            result = _load_zip(path)
        else:
            result = _load_legacy(path)
    except (UnsafePickleError, TorchFileError):
        raise
    except (pickle.UnpicklingError, EOFError, struct.error, zipfile.BadZipFile, KeyError, IndexError, TypeError) as exc:
        raise TorchFileError(f"{path}: not a readable PyTorch state dict ({type(exc).__name__}: {exc})") from None
    return _materialise(result, path)


def _load_zip(path: Path) -> Any:
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        pkl = [n for n in names if n.endswith("/data.pkl") or n == "data.pkl"]
        if not pkl:
            raise TorchFileError(f"{path}: zip file without data.pkl (not a PyTorch checkpoint)")
        prefix = pkl[0][: -len("data.pkl")]

        def load_storage(storage: _Storage) -> None:
            raw = archive.read(f"{prefix}data/{storage.key}")
            storage.array = np.frombuffer(raw, dtype=storage.dtype)

        with archive.open(pkl[0]) as fp:
            return RestrictedUnpickler(io.BytesIO(fp.read()), load_storage=load_storage).load()


def _load_legacy(path: Path) -> Any:
    with open(path, "rb") as fp:
        magic = _safe_load_plain(fp)
        if magic != LEGACY_MAGIC:
            raise TorchFileError(f"{path}: not a PyTorch checkpoint (wrong magic number)")
        protocol = _safe_load_plain(fp)
        if protocol != 1001:
            raise TorchFileError(f"{path}: unsupported PyTorch legacy protocol {protocol!r}")
        sys_info = _safe_load_plain(fp)
        if isinstance(sys_info, dict) and not sys_info.get("little_endian", True):
            raise TorchFileError(f"{path}: big-endian checkpoints are not supported")
        unpickler = RestrictedUnpickler(fp, load_storage=lambda storage: None)  # data comes later
        result = unpickler.load()
        keys = _safe_load_plain(fp)
        storages = unpickler.storages()
        for key in keys:
            storage = storages.get(str(key))
            if storage is None:
                raise TorchFileError(f"{path}: storage {key} listed but never used")
            (count,) = struct.unpack("<q", fp.read(8))
            nbytes = count * storage.dtype.itemsize
            raw = fp.read(nbytes)
            if len(raw) != nbytes:
                raise TorchFileError(f"{path}: the file is truncated (storage {key})")
            storage.array = np.frombuffer(raw, dtype=storage.dtype)
    return result


def _materialise(result: Any, path: Path) -> "OrderedDict[str, np.ndarray]":
    if isinstance(result, dict) and "state_dict" in result and isinstance(result["state_dict"], dict):
        result = result["state_dict"]
    if not isinstance(result, dict):
        raise TorchFileError(f"{path}: the checkpoint is not a state dict ({type(result).__name__})")
    out: OrderedDict[str, np.ndarray] = OrderedDict()
    for name, value in result.items():
        if isinstance(value, _LazyTensor):
            array = value.to_numpy()
            if value.storage.bfloat16:
                array = (array.astype(np.uint32) << 16).view(np.float32)
            out[str(name)] = array
    return out
