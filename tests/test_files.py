"""files.atomic_path: the one way the engine replaces a file whole, and the writers built on it."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from vsdesk.engine.files import atomic_path, atomic_save_npy, atomic_savez, atomic_write_json


def test_two_threads_writing_one_file_each_replace_it_whole(tmp_path):
    target = tmp_path / "shared.json"
    both_written = threading.Barrier(2)
    errors = []

    def write(text: str) -> None:
        try:
            with atomic_path(target) as tmp:
                tmp.write_text(text)
                both_written.wait(timeout=10)  # both temp files are written before either is renamed
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(text,)) for text in ("first", "second")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert target.read_text() in ("first", "second")
    assert [p.name for p in tmp_path.iterdir()] == ["shared.json"]


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temp_file(tmp_path):
    target = tmp_path / "data.json"
    atomic_write_json(target, {"version": 1})
    with pytest.raises(ValueError, match="half way"):
        with atomic_path(target) as tmp:
            tmp.write_text('{"vers')
            raise ValueError("failed half way")
    assert target.read_text() == '{"version": 1}\n'
    assert [p.name for p in tmp_path.iterdir()] == ["data.json"]


def test_the_file_gets_the_permissions_of_any_new_file(tmp_path, new_file_mode):
    target = tmp_path / "data.json"
    atomic_write_json(target, {}, fsync=True)
    assert target.stat().st_mode & 0o777 == new_file_mode


def test_writers_that_insist_on_an_ending_write_exactly_the_target(tmp_path):
    # np.save appends ".npy" and np.savez ".npz" to a name without it: the temp name must have it.
    atomic_save_npy(tmp_path / "vectors.npy", np.arange(3))
    atomic_save_npy(tmp_path / "vectors.bin", np.arange(4))
    atomic_savez(tmp_path / "arrays.npz", a=np.zeros(2))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["arrays.npz", "vectors.bin", "vectors.npy"]
    assert np.load(tmp_path / "vectors.bin", allow_pickle=False).tolist() == [0, 1, 2, 3]
    with np.load(tmp_path / "arrays.npz", allow_pickle=False) as data:
        assert data["a"].tolist() == [0.0, 0.0]
