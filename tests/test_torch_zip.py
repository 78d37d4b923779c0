"""The .pth reader: real Lite0 checkpoint read without torch; crafted pickles cannot run code."""

from __future__ import annotations

import io
import pickle
import struct
import zipfile

import numpy as np
import pytest

from vsdesk.engine.models import lite0
from vsdesk.engine.models.torch_zip import (
    LEGACY_MAGIC,
    TorchFileError,
    UnsafePickleError,
    load_state_dict,
)


def _str(text: str) -> bytes:
    data = text.encode()
    return b"X" + struct.pack("<I", len(data)) + data


def _int(value: int) -> bytes:
    return b"J" + struct.pack("<i", value)


def _state_dict_pickle(storage_key: str, numel: int, shape: tuple, stride: tuple, offset: int = 0) -> bytes:
    """Protocol-2 opcodes of a one-tensor state dict exactly as torch writes it (no torch needed)."""
    tup = lambda *items: b"(" + b"".join(items) + b"t"  # noqa: E731
    storage_id = tup(_str("storage"), b"ctorch\nFloatStorage\n", _str(storage_key), _str("cpu"), _int(numel))
    return (
        b"\x80\x02"
        + b"ccollections\nOrderedDict\n)R"
        + _str("layer.weight")
        + b"ctorch._utils\n_rebuild_tensor_v2\n"
        + tup(
            storage_id + b"Q",  # BINPERSID: the storage
            _int(offset),
            tup(*(_int(s) for s in shape)),
            tup(*(_int(s) for s in stride)),
            b"\x89",  # requires_grad False
            b"ccollections\nOrderedDict\n)R",
        )
        + b"R"  # call _rebuild_tensor_v2(*args)
        + b"s."  # dict[key] = tensor; STOP
    )


def _legacy_file(path, main_pickle: bytes, storages: list[tuple[str, np.ndarray]]) -> None:
    with open(path, "wb") as fp:
        for header in (LEGACY_MAGIC, 1001, {"protocol_version": 1001, "little_endian": True}):
            pickle.dump(header, fp, protocol=2)
        fp.write(main_pickle)
        pickle.dump([key for key, _ in storages], fp, protocol=2)
        for _key, array in storages:
            fp.write(struct.pack("<q", array.size))
            fp.write(array.astype("<f4").tobytes())


def test_reads_the_real_lite0_checkpoint_without_torch():
    state = load_state_dict(lite0.package_weights_path())
    assert len(state) == 296
    assert state["_conv_stem.weight"].shape == (32, 3, 3, 3)
    assert state["_fc.weight"].shape == (1000, 1280)
    assert state["_fc.weight"].dtype == np.float32
    assert np.isfinite(state["_blocks.15._project_conv.weight"]).all()
    # Batch-norm variances are never negative (a few dead channels are exactly 0): a byte
    # offset error would scramble them into random signs.
    variances = np.concatenate([state[k] for k in state if k.endswith("running_var")])
    assert (variances >= 0).all() and np.median(variances) > 1e-3


def test_zip_format_with_strided_tensor(tmp_path):
    data = np.arange(6, dtype=np.float32)
    path = tmp_path / "model.pth"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("model/data.pkl", _state_dict_pickle("0", 6, (3, 2), (1, 3)))
        archive.writestr("model/data/0", data.tobytes())
    state = load_state_dict(path)
    np.testing.assert_array_equal(state["layer.weight"], data.reshape(2, 3).T)


@pytest.mark.parametrize(
    ("offset", "shape", "stride"),
    [
        # Without the sign checks this one reads 400 MB before the buffer: SIGSEGV, not an error.
        (0, (3,), (-100_000_000,)),
        (-1, (3,), (1,)),  # starts one element before the buffer and used to read past its end
        (0, (3, 2), (2, 3)),  # last element is index 7 of a 6-element storage
        (6, (), ()),  # a scalar just past the end
        (0, (2, 3), (1,)),  # fewer strides than dimensions
    ],
)
def test_views_outside_the_storage_are_refused(tmp_path, offset, shape, stride):
    path = tmp_path / "crafted.pth"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("model/data.pkl", _state_dict_pickle("0", 6, shape, stride, offset))
        archive.writestr("model/data/0", np.arange(6, dtype=np.float32).tobytes())
    with pytest.raises(TorchFileError, match="storage 0"):
        load_state_dict(path)


def test_legacy_format_roundtrip(tmp_path):
    data = np.linspace(-1, 1, 8, dtype=np.float32)
    path = tmp_path / "legacy.pth"
    _legacy_file(path, _state_dict_pickle("k1", 8, (2, 4), (4, 1)), [("k1", data)])
    np.testing.assert_array_equal(load_state_dict(path)["layer.weight"], data.reshape(2, 4))


MALICIOUS = [
    # os.system("touch <marker>") as a top-level pickle
    lambda marker: b"\x80\x02cos\nsystem\n" + _str(f"touch {marker}") + b"\x85R.",
    lambda marker: b"\x80\x02cposix\nsystem\n" + _str(f"touch {marker}") + b"\x85R.",
    lambda marker: b"\x80\x02cbuiltins\neval\n" + _str(f"open({str(marker)!r}, 'w')") + b"\x85R.",
    # a subprocess call hidden as the value of a state-dict entry
    lambda marker: b"\x80\x02ccollections\nOrderedDict\n)R" + _str("w")
    + b"csubprocess\ncall\n((" + _str("touch") + _str(str(marker)) + b"lt\x85R" + b"s.",
]


@pytest.mark.parametrize("make", MALICIOUS)
def test_malicious_pickle_is_refused_in_legacy_file(tmp_path, make):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pth"
    _legacy_file(path, make(marker), [])
    with pytest.raises(UnsafePickleError, match="refusing to load"):
        load_state_dict(path)
    assert not marker.exists()  # nothing ran


@pytest.mark.parametrize("make", MALICIOUS)
def test_malicious_pickle_is_refused_in_zip_file(tmp_path, make):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pth"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("archive/data.pkl", make(marker))
    with pytest.raises(UnsafePickleError):
        load_state_dict(path)
    assert not marker.exists()


def test_malicious_header_pickle_is_refused(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pth"
    path.write_bytes(MALICIOUS[0](marker))
    with pytest.raises(UnsafePickleError):
        load_state_dict(path)
    assert not marker.exists()


@pytest.mark.parametrize(
    "content",
    [b"", b"not a pickle at all", b"\x80\x02K\x05.", io.BytesIO(b"PK\x03\x04broken").getvalue()],
)
def test_non_checkpoints_give_a_clear_error(tmp_path, content):
    path = tmp_path / "bad.pth"
    path.write_bytes(content)
    with pytest.raises(TorchFileError):
        load_state_dict(path)


def test_truncated_checkpoint_is_detected(tmp_path):
    source = lite0.package_weights_path().read_bytes()
    path = tmp_path / "cut.pth"
    path.write_bytes(source[: len(source) // 2])
    with pytest.raises(TorchFileError, match="truncated"):
        load_state_dict(path)
