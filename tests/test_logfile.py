"""vsdesk.log is written by several processes at once (the window, commands run beside it): only
the window starts it afresh as it grows; a command line appends to it."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO
from vsdesk.engine import logfile

FILLER = "2026-01-01 00:00:00,000 INFO vsdesk: an earlier message\n"


def _cli(*argv: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "vsdesk", *argv], cwd=REPO, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(REPO)}, timeout=300)


def _filled(path: Path, size: int) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(FILLER * (size // len(FILLER) + 1))
    return path


@pytest.fixture
def log_path(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("VSDESK_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache" / "vsdesk.log"


def test_a_command_line_appends_to_the_log_and_does_not_rotate_it(log_path):
    """Every command rotated vsdesk.log past 1 MB as the window does: a rename under the other
    processes writing it (they then wrote into vsdesk.log.1, and the next rotation threw that
    away; on Windows the rename fails). A command only appends now."""
    _filled(log_path, logfile.LOG_MAX_BYTES + 1000)
    ran = _cli("catalogs", "list")
    assert ran.returncode == 0, ran.stderr
    assert not log_path.with_name("vsdesk.log.1").exists()
    logged = log_path.read_text()
    assert logged.startswith(FILLER) and logged.endswith("INFO vsdesk: command line: vsdesk catalogs list\n")


def test_a_command_line_starts_afresh_a_log_no_window_kept_small(log_path):
    """Used without the window for long, the log would grow for ever: a command starts it afresh
    as it starts (before it writes) when it is past 10 MB, the old one kept as vsdesk.log.1."""
    _filled(log_path, logfile.CLI_START_AFRESH_BYTES + 1000)
    size = log_path.stat().st_size
    ran = _cli("catalogs", "list")
    assert ran.returncode == 0, ran.stderr
    assert log_path.with_name("vsdesk.log.1").stat().st_size == size
    assert log_path.read_text().endswith("INFO vsdesk: command line: vsdesk catalogs list\n")
    assert FILLER not in log_path.read_text()


def test_the_window_rotates_its_log_and_appends_when_the_rename_is_refused(log_path):
    """The window starts the log afresh past 1 MB. When that cannot be done (on Windows: a
    command has the file open; here vsdesk.log.1 is a folder), it goes on appending to it: its
    messages were given up, to standard error only, for the rest of the session."""
    chat = logging.getLogger("vsdesk.gui.test")

    def log_a_while() -> tuple[str, bool]:
        handler = logfile.log_to_file()
        try:
            for n in range(3):
                chat.warning("message %d", n)
        finally:
            logging.getLogger().removeHandler(handler)
            handler.close()
        return log_path.read_text(), handler.given_up

    _filled(log_path, logfile.LOG_MAX_BYTES + 1000)
    logged, given_up = log_a_while()
    assert log_path.with_name("vsdesk.log.1").read_text().startswith(FILLER)  # rotated
    assert FILLER not in logged and logged.count("WARNING vsdesk.gui.test: message") == 3 and not given_up

    log_path.with_name("vsdesk.log.1").unlink()
    (log_path.with_name("vsdesk.log.1") / "in the way").mkdir(parents=True)
    _filled(log_path, logfile.LOG_MAX_BYTES + 1000)
    logged, given_up = log_a_while()
    assert logged.startswith(FILLER) and logged.count("WARNING vsdesk.gui.test: message") == 3 and not given_up
