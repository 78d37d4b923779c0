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
    assert logged.startswith(FILLER) and "INFO vsdesk: command line: vsdesk catalogs list\n" in logged


def test_a_command_line_starts_afresh_a_log_no_window_kept_small(log_path):
    """Used without the window for long, the log would grow for ever: a command starts it afresh
    as it starts (before it writes) when it is past 10 MB, the old one kept as vsdesk.log.1."""
    _filled(log_path, logfile.CLI_START_AFRESH_BYTES + 1000)
    size = log_path.stat().st_size
    ran = _cli("catalogs", "list")
    assert ran.returncode == 0, ran.stderr
    assert log_path.with_name("vsdesk.log.1").stat().st_size == size
    assert "INFO vsdesk: command line: vsdesk catalogs list\n" in log_path.read_text()
    assert FILLER not in log_path.read_text()


def _logged_lines(path: Path) -> list[str]:
    """The log's lines without their time: "INFO vsdesk: ..."."""
    return [line.split(" ", 2)[2] for line in path.read_text().splitlines()]


def test_a_command_line_logs_how_it_ended_and_why_it_failed(log_path):
    """The review: the log of a command line said only "command line: ...", nothing of how it
    ended. Its exit code follows it, and a failure's message (argparse's too); `--help` is not
    a command run: not logged. (A listing is logged into a cache folder there: it makes none.)"""
    log_path.parent.mkdir()
    assert _cli("catalogs", "list").returncode == 0
    assert _cli("search", "--catalog", "nope", "photo.jpg").returncode == 2
    assert _cli("serach", "photo.jpg").returncode == 2
    assert _cli("search", "--help").returncode == 0
    assert _logged_lines(log_path) == [
        "INFO vsdesk: command line: vsdesk catalogs list",
        "INFO vsdesk: command ended: exit code 0",
        "INFO vsdesk: command line: vsdesk search --catalog nope photo.jpg",
        "INFO vsdesk: error: no catalog named 'nope' (see `vsdesk catalogs list`)",
        "INFO vsdesk: command ended: exit code 2",
        "INFO vsdesk: command line: vsdesk serach photo.jpg",
        "INFO vsdesk: command ended: exit code 2 (argument COMMAND: invalid choice: 'serach' "
        "(choose from 'index', 'search', 'catalogs', 'models', 'eval', 'train', 'bench', 'vae', 'desktop-entry'); "
        "did you mean 'search'?)",
    ]
    # The console script (`vsdesk-cli`: cli.main without arguments) logs its end too.
    ran = subprocess.run([sys.executable, "-c", "import sys; from vsdesk.cli import main; sys.exit(main())",
                          "catalogs", "remove", "nope"], cwd=REPO, capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(REPO)}, timeout=300)
    assert ran.returncode == 2 and _logged_lines(log_path)[-1] == "INFO vsdesk: command ended: exit code 2"
    assert _logged_lines(log_path)[-3] == "INFO vsdesk: command line: vsdesk catalogs remove nope"


def test_a_ctrl_c_outside_the_commands_run_is_logged_as_it_happened(log_path):
    """A Ctrl+C the command did not catch (while the process started or ended) was logged as
    "exit code 130", an exit code nothing gave: Python ends the process by SIGINT."""
    script = ("import sys; from vsdesk.engine import logfile; logfile.log_command_line()\n"
              "def starting():\n    raise KeyboardInterrupt\n"
              "logfile.log_command_end(starting)")
    ran = subprocess.run([sys.executable, "-c", script, "catalogs", "remove", "c"], cwd=REPO, capture_output=True,
                         text=True, env={**os.environ, "PYTHONPATH": str(REPO)}, timeout=300)
    assert ran.returncode == -2  # ended by SIGINT (a shell says 130), not an exit code
    assert _logged_lines(log_path)[-1] == ("INFO vsdesk: command interrupted by Ctrl+C outside its run (while "
                                           "starting or ending): the process ends by SIGINT")


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


def test_only_one_window_rotates_the_log_a_second_one_appends(log_path):
    """Two windows both rotated vsdesk.log: the second's rotation renamed the file the first
    was writing (which went on into vsdesk.log.1, then threw it away at its own rotation). The
    window that rotates holds a lock while it runs; a second one appends, and rotates once
    the first has closed."""
    from logging.handlers import RotatingFileHandler

    log_path.parent.mkdir(parents=True)
    root = logging.getLogger()
    first = logfile.log_to_file()
    second = logfile.log_to_file()  # another window, beside it
    try:
        assert isinstance(first, RotatingFileHandler) and not isinstance(second, RotatingFileHandler)
        _filled(log_path, logfile.LOG_MAX_BYTES + 1000)
        record = logging.LogRecord("vsdesk", logging.INFO, __file__, 1, "a message", None, None)
        second.handle(record)
        assert not log_path.with_name("vsdesk.log.1").exists()  # appended past the size: not renamed
        first.handle(record)
        assert log_path.with_name("vsdesk.log.1").exists() and log_path.stat().st_size < 1000  # rotated
    finally:
        for handler in (first, second):
            root.removeHandler(handler)
            handler.close()
    third = logfile.log_to_file()  # the first closed: the next window rotates
    try:
        assert isinstance(third, RotatingFileHandler)
    finally:
        root.removeHandler(third)
        third.close()


def test_a_command_line_does_not_start_afresh_a_log_a_window_rotates(log_path):
    """A command's start afresh of a huge log is a rename too: not while a window holds the
    right to rotate it (that window keeps it small; it is writing it now)."""
    from logging.handlers import RotatingFileHandler

    _filled(log_path, logfile.CLI_START_AFRESH_BYTES + 1000)
    window = logfile.log_to_file()  # a window running: it holds the right to rotate the log
    logging.getLogger().removeHandler(window)  # (nothing of this process is logged to it meanwhile)
    try:
        assert isinstance(window, RotatingFileHandler)
        ran = _cli("catalogs", "list")
        assert ran.returncode == 0, ran.stderr
        assert not log_path.with_name("vsdesk.log.1").exists()
        assert log_path.read_text().startswith(FILLER)
    finally:
        window.close()


def test_a_name_that_is_not_utf8_is_logged_with_its_bytes_escaped(log_path, tmp_path):
    """The review: a command naming a Latin-1 file put a "--- Logging error ---" traceback on
    stderr, and its line was missing from the log (strict UTF-8). Logged now with the byte as
    an escape, as vsdesk shows such a name, and nothing but the message on stderr."""
    missing = os.fsencode(tmp_path) + b"/r\xe9sum\xe9"  # a folder not there: exit 2, said
    ran = subprocess.run([sys.executable, "-m", "vsdesk", "index", "--mode", "vae", "--catalog", "shop", missing],
                         cwd=REPO, capture_output=True, env={**os.environ, "PYTHONPATH": str(REPO)}, timeout=300)
    shown = f"{tmp_path}/r\\xe9sum\\xe9"
    assert ran.returncode == 2
    assert ran.stderr.decode("utf-8").splitlines() == [f"vsdesk: {shown}: no such folder"]
    assert _logged_lines(log_path) == [
        f"INFO vsdesk: command line: vsdesk index --mode vae --catalog shop {shown}",
        f"INFO vsdesk: error: {shown}: no such folder",
        "INFO vsdesk: command ended: exit code 2",
    ]
