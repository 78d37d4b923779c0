"""vsdesk's log file, ``vsdesk.log`` in the cache folder: the window's and the command line's.

INFO and above go there, with tracebacks; a command line's warnings go to standard error too
(one line each, as before it had a log), its own output (``--json`` on stdout) left clean.
"""

from __future__ import annotations

import logging
import sys
from logging.handlers import RotatingFileHandler
from pathlib import Path

from vsdesk.engine import paths

log = logging.getLogger("vsdesk")

LOG_NAME = "vsdesk.log"
#: The log file is started afresh past this size, the previous one kept as vsdesk.log.1: at
#: most 2 MB, however long vsdesk has been used.
LOG_MAX_BYTES = 1_000_000


def log_to_file() -> logging.Handler | None:
    """Log (INFO and above) to ``vsdesk.log`` in the cache directory too; None if that
    directory cannot be used (then standard error only). The file is opened at the first
    message, not at start."""
    try:
        path = paths.cache_dir() / LOG_NAME
    except OSError as exc:  # LocationError: the cache folder cannot be made
        log.warning("no log file: %s", exc)
        return None
    handler = _LogFile(path, maxBytes=LOG_MAX_BYTES, backupCount=1, encoding="utf-8", delay=True)
    handler.set_name(LOG_NAME)
    handler.setLevel(logging.INFO)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.getLogger().addHandler(handler)
    return handler


def log_command_line() -> None:
    """A command line process's logging: the log file (with the process's command, pid and
    the tracebacks), and its warnings on standard error, one line each, as Python's last-resort
    handler said them before (no traceback: that is for the log)."""
    root = logging.getLogger()
    if any(handler.get_name() == LOG_NAME for handler in root.handlers):
        return  # (set up already)
    root.setLevel(logging.INFO)
    logging.getLogger("absl").setLevel(logging.WARNING)  # TensorFlow's converter notes, not vsdesk's
    stderr = logging.StreamHandler(sys.stderr)
    stderr.setLevel(logging.WARNING)
    stderr.setFormatter(_OneLine())
    root.addHandler(stderr)
    if log_to_file() is not None:
        log.info("command line: vsdesk %s", " ".join(sys.argv[1:]))


class _OneLine(logging.Formatter):
    """The message alone, without its traceback (the log file keeps that)."""

    def format(self, record: logging.LogRecord) -> str:
        return record.getMessage()


class _LogFile(RotatingFileHandler):
    """The log file, given up when it cannot be written (a read-only cache folder, a full disk):
    messages then go to standard error only, said once, instead of a "--- Logging error ---"
    traceback on standard error for every message."""

    given_up = False

    def emit(self, record: logging.LogRecord) -> None:
        if not self.given_up:
            super().emit(record)

    def handleError(self, record: logging.LogRecord) -> None:  # noqa: N802 - logging's name
        error = sys.exc_info()[1]
        if not isinstance(error, OSError):  # a message that cannot be formatted: said as logging says it
            super().handleError(record)
            return
        if self.given_up:
            return
        self.given_up = True  # first: the warning below comes through this handler too
        log.warning("the log file %s cannot be written (%s): messages go to standard error only",
                    self.baseFilename, error)


def log_file() -> Path | None:
    """The log file messages go to (None: standard error only), to name it to the user."""
    for handler in logging.getLogger().handlers:
        if handler.get_name() == LOG_NAME and not getattr(handler, "given_up", False):
            return Path(handler.baseFilename)
    return None
