"""Unexpected errors: one hook for the main thread and worker threads.

Expected problems are shown inline by the tabs. Anything else is logged with its traceback,
written to a crash log in the cache directory and shown in the status bar, instead of vanishing
or killing the window.
"""

from __future__ import annotations

import logging
import sys
import threading
import traceback

from PySide6.QtCore import QMetaObject, QObject, Qt, Slot

from vsdesk.engine import paths

log = logging.getLogger("vsdesk")


class _Reporter(QObject):
    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.pending = ""

    @Slot()
    def show(self) -> None:
        self.window.statusBar().showMessage(f"Unexpected error: {self.pending} (see the crash log)", 15000)


def install_excepthooks(window) -> None:
    reporter = _Reporter(window)
    crash_log = paths.cache_dir() / "crash.log"

    def report(exc_type, exc, tb) -> None:
        text = "".join(traceback.format_exception(exc_type, exc, tb))
        log.error("unexpected error:\n%s", text)
        try:
            with open(crash_log, "a", encoding="utf-8") as fp:
                fp.write(text + "\n")
        except OSError:
            pass
        reporter.pending = f"{exc_type.__name__}: {exc}"
        # Queued: the hook may run in any thread; the status bar is touched on the GUI thread.
        QMetaObject.invokeMethod(reporter, "show", Qt.ConnectionType.QueuedConnection)

    sys.excepthook = report
    threading.excepthook = lambda args: report(args.exc_type, args.exc_value, args.exc_traceback)
