"""The folders the tests run in (conftest.py): under xdist, each worker's maps are its own, while
the converted models are shared and made once a run; catalogs and settings are each test's own.
And a run ends cleanly, whatever its tests left in the clipboard."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from vsdesk.engine import paths


def test_a_workers_maps_catalogs_and_settings_are_its_own_and_the_models_shared(tmp_path_factory, worker_id):
    own = tmp_path_factory.getbasetemp().resolve()  # this worker's base folder (xdist: …/popen-gwN)
    maps = paths.cache_dir() / "projections"  # (as projection.py names it)
    maps.mkdir(exist_ok=True)
    print(f"{worker_id}: maps {maps.resolve()}, catalogs {paths.catalogs_dir().resolve()}, "
          f"models {paths.models_dir().resolve()}")
    assert maps.resolve().is_relative_to(own)
    assert paths.catalogs_dir().resolve().is_relative_to(own) and paths.config_dir().resolve().is_relative_to(own)
    if worker_id != "master":  # one folder of converted models for both workers, beside theirs
        assert paths.models_dir().resolve().is_relative_to(own.parent / "vsdesk-session")


def test_a_windows_socket_is_in_the_sessions_own_runtime_folder(tmp_path_factory):
    """The tests set no runtime folder, so the windows they started put their sockets in the
    temporary folder (/tmp), where one left by a window a test killed stayed for good."""
    import getpass

    from conftest import SOCKET_PATH_MAX
    from vsdesk.gui.single_instance import socket_path

    base = tmp_path_factory.getbasetemp()
    if len(os.fsencode(base / "run0" / f"vsdesk-{getpass.getuser()}-{'0' * 12}.sock")) > SOCKET_PATH_MAX:
        pytest.skip("the session's folder is too deep for a socket's path: the temporary folder is used")
    where = Path(socket_path()).parent
    assert where.is_relative_to(base), where
    assert stat.S_IMODE(where.stat().st_mode) == 0o700


def test_a_run_whose_test_copied_a_path_ends_without_a_crash(tmp_path):
    """cr53: with `-n 0`, a run whose tests had all passed ended with a segfault (exit status 139):
    the clipboard owned the QMimeData of a test's "Copy path", which Qt deleted after Python had
    shut down. conftest.py empties the clipboard as the session ends."""
    from conftest import REPO

    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-n", "0", "-q", "-p", "no:cacheprovider", "--basetemp", str(tmp_path / "run"),
         "tests/test_gui_widgets.py", "-k", "test_copy_path_of_a_latin1_name"],
        cwd=REPO, env=os.environ.copy(), capture_output=True, text=True, timeout=300)
    assert "1 passed" in done.stdout, done.stdout + done.stderr
    assert done.returncode == 0, (done.returncode, done.stderr[-2000:])
