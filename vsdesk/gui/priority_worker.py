"""``PriorityWorker``: the t-SNE maps, each on a thread of its own, one at work at a time in
order of priority (the map of the tab the user looks at first)."""

from __future__ import annotations

import queue
import threading
import time
import traceback

from PySide6.QtCore import QObject, Signal

from vsdesk.engine.tasks import pause_should_end
from vsdesk.gui.worker_job import Job, TaskContext, execute_job


class PriorityWorker(QObject):
    """Tasks each on a thread of their own, one at work at a time: the first of ``_order`` that
    is not cancelled. Urgent tasks go first (the newest first), the others in turn. A task that
    is no longer first goes on to its next pause (``TaskContext.cancelled``: between t-SNE
    stages), beside the one now first, and waits there; one not started waits to start. So the
    map of the tab the user looks at never waits for the end of a stage of another tab's (on one
    serial thread it waited up to ~20 s, the length of a stage for 10,000 points); the two share
    the processor only for the rest of that stage. Signals reach the GUI thread queued."""

    started_task = Signal(int, str)
    progressed = Signal(int, int, int, str)
    partial = Signal(int, object)
    finished_task = Signal(int, object)
    failed = Signal(int, object, str)
    cancelled_task = Signal(int)

    #: How often a task waiting for its turn looks at its cancellation (cancel() does not wake it).
    POLL_S = 0.05

    def __init__(self, name: str, parent: QObject | None = None):
        super().__init__(parent)
        self.setObjectName(f"vsdesk-{name}")
        self._name = name
        self._turn = threading.Condition()
        self._order: list[Job] = []  # unfinished tasks, the one that goes first first
        self._waiting: set[int] = set()  # ids of the tasks at a pause, waiting for another to go first
        self._threads: list[threading.Thread] = []
        #: Each task's thread is started by a launcher thread of the worker's own, not by the
        #: caller (the GUI thread): ``Thread.start`` waits until the new thread runs, which takes
        #: tens of milliseconds while another map's stage holds the GIL (45 ms was seen; 90 ms
        #: with three busy threads). ``put`` only hands the task over.
        self._launches: queue.SimpleQueue[Job | None] = queue.SimpleQueue()
        self._launching = 0  # tasks put whose thread is not started and listed yet (``_start_thread``)
        self._launcher_stopped = False
        self._launcher = threading.Thread(target=self._launch, name=f"vsdesk-{name}-launcher", daemon=True)
        self._launcher.start()

    def start(self) -> None:
        pass  # a thread per task, started with it (by the launcher, started with the worker)

    def put(self, job: Job, urgent: bool = False) -> None:
        with self._turn:
            new = job not in self._order
            if not new:
                self._order.remove(job)
            if urgent:
                self._order.insert(0, job)
            else:
                self._order.append(job)
            self._launching += 1 if new else 0
            self._turn.notify_all()
        if new and self._launcher_stopped:
            self._start_thread(job)  # (a task put after stop(): it sees its cancellation and ends)
        elif new:
            self._launches.put(job)

    def _launch(self) -> None:  # the launcher's thread: starts each task's thread
        while (job := self._launches.get()) is not None:
            self._start_thread(job)

    def _start_thread(self, job: Job) -> None:
        # A daemon thread: one inside a stage at exit is waited for (``_wait_for_unfinished``).
        thread = threading.Thread(target=self._run, args=(job,), name=f"vsdesk-{self._name}", daemon=True)
        try:
            thread.start()
        except Exception as exc:  # noqa: BLE001 - "can't start new thread" (too many, no memory)
            # Its task failed, said on its error path; the launcher goes on with the next: raised
            # here, it ended the launcher's thread, and no task of this worker ever ran again.
            with self._turn:
                self._order.remove(job)
                self._launching -= 1
                self._turn.notify_all()
            self.failed.emit(job.context.task_id, exc, traceback.format_exc())
            return
        with self._turn:
            # Listed once started, as its launch ends (``isRunning`` counts it until then): a
            # thread listed before its start looked ended (``is_alive``) to a start on another
            # thread (the launcher's, and a task's put after stop()), was pruned, and was then
            # never waited for.
            self._threads = [t for t in self._threads if t.is_alive()] + [thread]
            self._launching -= 1

    def hurry(self, job: Job) -> None:
        """``job`` goes first, started or not (its tab turned to)."""
        with self._turn:
            if job in self._order:
                self.put(job, urgent=True)

    def rank(self, job: Job) -> int:
        """Where ``job`` is in the order (0: first), or -1 once it is done."""
        with self._turn:
            return self._order.index(job) if job in self._order else -1

    def pause(self, context: TaskContext) -> None:
        """Called by the task of ``context`` on its thread: wait while another goes first."""
        with self._turn:
            try:
                while (self._another_goes_first(context) and not context.cancel_event.is_set()
                       and not pause_should_end()):
                    self._waiting.add(context.task_id)
                    self._turn.wait(self.POLL_S)
            finally:
                self._waiting.discard(context.task_id)

    def is_waiting(self, job: Job) -> bool:
        """Whether ``job``'s thread is at a pause (or its start), waiting for another to go first."""
        with self._turn:
            return job.context.task_id in self._waiting

    def _another_goes_first(self, context: TaskContext) -> bool:
        # A cancelled task goes first no longer: it may still be inside a stage, to its end.
        first = next((job for job in self._order if not job.context.cancel_event.is_set()), None)
        return first is not None and first.context is not context

    def _run(self, job: Job) -> None:  # the task's own thread
        try:
            self.pause(job.context)  # its turn to start
            execute_job(self, job)
        finally:
            with self._turn:
                self._order.remove(job)
                self._turn.notify_all()

    def stop(self) -> None:
        # The runner cancels every task: those waiting end at once, without starting. The
        # launcher starts those handed to it before this, then ends.
        self._launcher_stopped = True
        self._launches.put(None)

    def wait(self, msecs: int | None = None) -> bool:
        """Wait for the tasks' threads, those still being launched too (at most ``msecs``):
        whether they all ended."""
        deadline = None if msecs is None else time.monotonic() + msecs / 1000
        while self.isRunning():
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                return False
            alive = [thread for thread in list(self._threads) if thread.is_alive()]
            if alive:
                alive[0].join(left)
            else:
                time.sleep(0.005)  # a thread being launched
        return True

    def isRunning(self) -> bool:  # noqa: N802 - QThread's name, as the runner asks its workers
        with self._turn:
            return self._launching > 0 or any(thread.is_alive() for thread in self._threads)
