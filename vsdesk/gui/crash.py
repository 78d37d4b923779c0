"""Unexpected errors: a log file, and one hook for the main thread and worker threads.

Expected problems are shown inline by the tabs. Anything else is logged with its traceback to
``vsdesk.log`` in the cache directory (as well as to standard error, which a window started from
the desktop's menu has nowhere to show) and said in the status bar or the tab with that file's
path, instead of vanishing or killing the window.
"""

from __future__ import annotations

import logging
import sys
import threading
import traceback
from logging.handlers import RotatingFileHandler
from pathlib import Path

from PySide6.QtCore import QMetaObject, QObject, Qt, Slot

from vsdesk.engine import paths

log = logging.getLogger("vsdesk")

LOG_NAME = "vsdesk.log"
#: The log file is started afresh past this size, the previous one kept as vsdesk.log.1: at
#: most 2 MB, however long the window has been used.
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


def details_note() -> str:
    """Where an unexpected error's traceback can be read, for the message that reports it."""
    path = log_file()
    return f"Details: {path}" if path is not None else "Details are on standard error"


class _Reporter(QObject):
    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.pending = ""

    @Slot()
    def show(self) -> None:
        self.window.statusBar().showMessage(f"Unexpected error: {self.pending}. {details_note()}", 15000)


def install_excepthooks(window) -> None:
    reporter = _Reporter(window)

    def report(exc_type, exc, tb) -> None:
        log.error("unexpected error:\n%s", "".join(traceback.format_exception(exc_type, exc, tb)))
        reporter.pending = f"{exc_type.__name__}: {exc}"
        # Queued: the hook may run in any thread; the status bar is touched on the GUI thread.
        QMetaObject.invokeMethod(reporter, "show", Qt.ConnectionType.QueuedConnection)

    sys.excepthook = report
    threading.excepthook = lambda args: report(args.exc_type, args.exc_value, args.exc_traceback)
