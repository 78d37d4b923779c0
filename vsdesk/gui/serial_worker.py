"""``SerialWorker``: one QThread running tasks one after another, urgent ones (a query) first,
even inside a running long task the next time it checks ``cancelled()``."""

from __future__ import annotations

import queue
import threading

from PySide6.QtCore import QObject, QThread, Signal

from vsdesk.gui.worker_job import Job, TaskContext, execute_job


class _Wake:
    """The type of ``_WAKE``, a no-op queue entry that wakes an idle worker."""


_WAKE = _Wake()


class SerialWorker(QThread):
    """One thread running tasks one after another. Signals reach the GUI thread queued."""

    started_task = Signal(int, str)
    progressed = Signal(int, int, int, str)
    partial = Signal(int, object)
    finished_task = Signal(int, object)
    failed = Signal(int, object, str)  # task id, exception, formatted traceback
    cancelled_task = Signal(int)

    def __init__(self, name: str, parent: QObject | None = None):
        super().__init__(parent)
        self.setObjectName(f"vsdesk-{name}")
        self._queue: queue.Queue[Job | _Wake | None] = queue.Queue()  # None: stop
        self._urgent: queue.SimpleQueue[Job] = queue.SimpleQueue()
        self._thread_id: int | None = None
        self._in_urgent = False

    def put(self, job: Job, urgent: bool = False) -> None:
        """``urgent`` jobs (queries) run before queued ones, and even inside a running long job
        when it next checks ``cancelled()`` (e.g. a search while a catalog is being indexed)."""
        if urgent:
            self._urgent.put(job)
            self._queue.put(_WAKE)  # wake the loop if it is idle
        else:
            self._queue.put(job)

    def hurry(self, job: Job) -> None:
        if not job.taken:
            self.put(job, urgent=True)  # the queued copy is then skipped

    def stop(self) -> None:
        self._queue.put(None)

    def pause(self, _context: TaskContext) -> None:
        self.run_urgent_here()

    def run_urgent_here(self) -> None:
        """Run queued urgent jobs now if called on this worker's thread outside an urgent job."""
        if threading.get_ident() != self._thread_id or self._in_urgent:
            return
        self._in_urgent = True
        try:
            while True:
                try:
                    job = self._urgent.get_nowait()
                except queue.Empty:
                    return
                self._execute(job)
        finally:
            self._in_urgent = False

    def run(self) -> None:  # the worker thread
        self._thread_id = threading.get_ident()
        while True:
            self.run_urgent_here()
            job = self._queue.get()
            if job is None:
                return
            if isinstance(job, _Wake):
                continue
            self._execute(job)

    def _execute(self, job: Job) -> None:
        if job.taken:  # hurried: run from the urgent queue already
            return
        job.taken = True
        execute_job(self, job)
