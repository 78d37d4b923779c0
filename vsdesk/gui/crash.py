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

from PySide6.QtCore import QMetaObject, QObject, Qt, Slot

from vsdesk.engine.logfile import log_file

log = logging.getLogger("vsdesk")

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
