"""Background work for the window: one worker per resource, tasks with ids.

``TaskRunner`` is the one background-task pattern every tab uses (after Orange's
``ConcurrentMixin``): a task is submitted into a *slot* ("style/query", "vae/catalog" ...);
submitting a new task into a slot cancels the previous one, and only the newest task of a slot
may deliver progress, partial results or a result, so a stale search never overwrites a newer
one. The task function is plain Python taking a ``TaskContext`` (progress / cancelled /
partial), so it can call the Qt-free engine directly.

Each ``SerialWorker`` is one QThread pulling tasks from a queue. The "tf" worker is the only
thread that ever runs TensorFlow (Keras models are not thread-safe); a "compute" worker runs
t-SNE so a long projection does not hold up queries; an "io" worker decodes query images and
lists catalogs, so a bad file is reported at once even while a model loads. An *urgent* task
(a query) runs before queued ones, and even inside a long task (indexing) the next time that
task checks ``cancelled()`` on the same thread.

The "compute" worker is a ``PriorityWorker`` instead: t-SNE maps, whose stages cannot be
interrupted (tens of seconds for 10,000 points), so a map that goes first cannot wait for a
pause of another. Each map has a thread of its own; one is at work at a time, the urgent ones
first (the newest first: the map of the tab the user turned to, then the one of the tab shown
before); another that is still inside a stage finishes it beside it, then waits at its pause.
``TaskRunner.hurry`` makes a task urgent (its tab turned to), started or not.
"""

from __future__ import annotations

import atexit
import itertools
import logging
import time
import weakref
from dataclasses import dataclass
from typing import Any, Callable

from PySide6.QtCore import QCoreApplication, QObject, Signal

from vsdesk.engine.tasks import work_being_kept
from vsdesk.engine.text import names_escaped
from vsdesk.gui.priority_worker import PriorityWorker
from vsdesk.gui.serial_worker import SerialWorker
from vsdesk.gui.worker_job import Job, TaskContext

log = logging.getLogger(__name__)

#: Workers whose tasks each run on a thread of their own, one at work at a time in order of
#: priority (``PriorityWorker``): the t-SNE maps, each on its own data. The TensorFlow thread
#: stays serial: its urgent tasks (queries, the VAE's decoding) share the models, and one is
#: not started in the middle of another.
PRIORITY_WORKERS = frozenset({"compute"})

#: How often a shutdown looks whether a worker it waits for still keeps work (``shutdown``).
KEPT_WORK_POLL_MS = 20
#: A shutdown that waits only for kept work still gives every task this long to stop at its next
#: ``cancelled`` check: a map's t-SNE child is then ended and its temp folder removed (1.4 MB of
#: a 10,000-point map was left behind without it), a query's step finishes.
STOP_GRACE_S = 0.5

_ids = itertools.count(1)
_unfinished: list["SerialWorker | PriorityWorker"] = []


@atexit.register
def _wait_for_unfinished() -> None:
    for worker in _unfinished:
        worker.wait()


def work_left_behind() -> bool:
    """A worker was still inside a step that cannot be interrupted when its runner shut down."""
    return any(worker.isRunning() for worker in _unfinished)


def ms_until(deadline: float) -> int:
    """Milliseconds left until ``deadline`` (a ``time.monotonic()`` time), 0 once it passed."""
    return max(0, round((deadline - time.monotonic()) * 1000))


@dataclass
class _Callbacks:
    slot: str
    on_done: Callable[[Any], None] | None
    on_error: Callable[[BaseException], None] | None
    on_progress: Callable[[int, int, str], None] | None
    on_partial: Callable[[Any], None] | None
    on_cancelled: Callable[[], None] | None
    on_started: Callable[[], None] | None
    job: Job

    @property
    def context(self) -> TaskContext:
        return self.job.context


class TaskRunner(QObject):
    """Submits tasks to named workers (``SerialWorker``, or ``PriorityWorker`` for those of
    ``PRIORITY_WORKERS``) and routes their signals to callbacks (GUI thread)."""

    #: Emitted when a task starts or ends, for the status bar: (label or "", running count).
    activity = Signal(str, int)

    def __init__(self, worker_names: tuple[str, ...] = ("tf", "compute"), parent: QObject | None = None):
        super().__init__(parent)
        self._workers: dict[str, SerialWorker | PriorityWorker] = {}
        self._tasks: dict[int, _Callbacks] = {}
        self._current: dict[str, int] = {}
        self._stopped = False
        self._running_labels: dict[int, str] = {}  # started, unfinished tasks with a label
        #: Started, unfinished tasks, superseded ones too (their step still runs), in order.
        self._started: dict[int, None] = {}
        self._percent: dict[int, int] = {}  # how far each live task with a label said it is
        for name in worker_names:
            worker = PriorityWorker(name, self) if name in PRIORITY_WORKERS else SerialWorker(name, self)
            worker.started_task.connect(self._on_started)
            worker.progressed.connect(self._on_progress)
            worker.partial.connect(self._on_partial)
            worker.finished_task.connect(self._on_done)
            worker.failed.connect(self._on_failed)
            worker.cancelled_task.connect(self._on_cancelled)
            worker.start()
            self._workers[name] = worker
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.shutdown)
        # Interpreter exit without a clean close (scripts, a failed test): stop the threads
        # first, or Qt aborts on destroying a running QThread.
        ref = weakref.ref(self)
        atexit.register(lambda: (runner := ref()) is not None and runner.shutdown())

    # -- submitting -------------------------------------------------------------------------
    def submit(
        self,
        slot: str,
        fn: Callable[[TaskContext], Any],
        *,
        worker: str = "tf",
        label: str = "",
        on_done: Callable[[Any], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
        on_progress: Callable[[int, int, str], None] | None = None,
        on_partial: Callable[[Any], None] | None = None,
        on_cancelled: Callable[[], None] | None = None,
        on_started: Callable[[], None] | None = None,
        urgent: bool = False,
    ) -> int:
        """Queue ``fn(context)``; a previous task in the same ``slot`` is cancelled first.
        ``urgent``: run before other queued tasks, even in a pause of a running long task."""
        self.cancel(slot, notify=False)
        task_id = next(_ids)
        target = self._workers[worker]
        # A name not UTF-8 in the label ("forgetting FOLDER") with its bytes as escapes: Qt's
        # string, which carries it to the status bar, drops those bytes.
        job = Job(TaskContext(task_id, target), fn, names_escaped(label))
        self._tasks[task_id] = _Callbacks(
            slot, on_done, on_error, on_progress, on_partial, on_cancelled, on_started, job
        )
        self._current[slot] = task_id
        target.put(job, urgent=urgent)
        return task_id

    def hurry(self, slot: str) -> None:
        """Make the slot's task urgent: it runs before other queued tasks, in the next pause of
        the one running (a serial worker: if it has not started yet), or at once, that one
        waiting at its next pause (the compute worker: the map of a tab the user turns to)."""
        task_id = self._current.get(slot)
        task = self._tasks.get(task_id) if task_id is not None else None
        if task is not None:
            task.context.worker.hurry(task.job)

    def cancel(self, slot: str, notify: bool = True) -> None:
        """Ask the slot's task to stop. ``notify``: still call its ``on_cancelled`` when it has
        stopped (the user pressed Cancel); a superseded task is silenced instead."""
        task_id = self._current.get(slot)
        if task_id is None or task_id not in self._tasks:
            return
        task = self._tasks[task_id]
        task.context.cancel_event.set()
        if not notify:
            del self._current[slot]
            task.on_cancelled = None

    def is_running(self, slot: str) -> bool:
        return slot in self._current

    def is_waiting(self, slot: str) -> bool:
        """Whether the slot's task waits at a pause of the compute worker (``PriorityWorker``)
        for another task to go first: it has had its turn to look, and found it is not."""
        task_id = self._current.get(slot)
        task = self._tasks.get(task_id) if task_id is not None else None
        worker = task.context.worker if task is not None else None
        return isinstance(worker, PriorityWorker) and worker.is_waiting(task.job)

    def current(self, slot: str) -> int | None:
        return self._current.get(slot)

    def running_slots(self, worker: str) -> list[str]:
        """The slots of the tasks started on ``worker`` and not done, the one at work now last:
        on a serial worker, the one started last (in a pause of those before it); on the
        compute worker, the one that goes first (the others wait at a pause for it)."""
        target = self._workers[worker]
        started = [self._tasks[tid] for tid in self._started
                   if tid in self._tasks and self._tasks[tid].context.worker is target]
        if isinstance(target, PriorityWorker):
            done = len(started)  # (rank -1: done, its result on its way): not at work
            started.sort(key=lambda task: done if target.rank(task.job) < 0 else target.rank(task.job), reverse=True)
        return [task.slot for task in started]

    def shutdown(self, timeout_ms: int = 3000, only_kept_work: bool = False) -> None:
        """Cancel every task and stop the workers, waiting at most ``timeout_ms`` in all for
        them (they stop side by side, so one deadline serves them all). ``only_kept_work``: the
        process ends next, so past ``STOP_GRACE_S`` only while one is inside a step that keeps
        work (``keeping_work``: an index run's batch being embedded and committed); a model
        loading, a t-SNE stage keep nothing."""
        if self._stopped:
            return
        self._stopped = True
        deadline = time.monotonic() + timeout_ms / 1000
        for task in self._tasks.values():
            task.context.cancel_event.set()
        for worker in self._workers.values():
            worker.stop()
        grace = min(deadline, time.monotonic() + STOP_GRACE_S)
        for worker in self._workers.values():
            ended = (self._wait_while_work_is_kept(worker, grace, deadline) if only_kept_work
                     else worker.wait(ms_until(deadline)))
            if not ended:
                # Still inside a long step (a t-SNE stage cannot be interrupted): keep it alive
                # until the process exits, or Qt aborts on destroying a running thread.
                worker.setParent(None)
                _unfinished.append(worker)

    @staticmethod
    def _wait_while_work_is_kept(worker: SerialWorker | PriorityWorker, grace: float, deadline: float) -> bool:
        """Wait for ``worker`` to end until ``grace``, then on while a thread keeps work (looked
        at every ``KEPT_WORK_POLL_MS``), until ``deadline`` at most: whether it ended."""
        worker.wait(ms_until(grace))
        while not worker.wait(min(KEPT_WORK_POLL_MS, ms_until(deadline))):
            if ms_until(deadline) == 0 or not work_being_kept():
                return False
        return True

    # -- routing (GUI thread) -----------------------------------------------------------------
    def _live(self, task_id: int) -> _Callbacks | None:
        """The task's callbacks if it is still the newest of its slot, else None (stale)."""
        task = self._tasks.get(task_id)
        if task is None or self._current.get(task.slot) != task_id:
            return None
        return task

    def _finish(self, task_id: int) -> _Callbacks | None:
        task = self._live(task_id)
        self._tasks.pop(task_id, None)
        self._started.pop(task_id, None)
        if task is not None:
            del self._current[task.slot]
        self._emit_activity(task_id)
        return task

    def relabel(self, slot: str, label: str) -> None:
        """A new activity label for the running task of ``slot`` (e.g. its progress so far)."""
        task_id = self._current.get(slot)
        if task_id is not None and task_id in self._running_labels:
            self._running_labels[task_id] = names_escaped(label)
            self._emit_activity(-1)

    def running_labels(self) -> list[tuple[str, str]]:
        """(slot, label) of each started, unfinished task with a label, the latest started last."""
        return [(self._tasks[tid].slot, label) for tid, label in self._running_labels.items() if tid in self._tasks]

    def percent_done(self, slot: str) -> int | None:
        """How far the slot's task is, in whole percent, by its last progress with a total; None
        before one (or for a task without a label: the status bar does not say it)."""
        task_id = self._current.get(slot)
        return self._percent.get(task_id) if task_id is not None else None

    def _emit_activity(self, ended: int) -> None:
        """Say what is still running (the most recently started labelled task), or ""."""
        self._running_labels.pop(ended, None)
        self._percent.pop(ended, None)
        live = [label for tid, label in self._running_labels.items() if tid in self._tasks]
        self.activity.emit(live[-1] if live else "", len(self._current))

    def _on_started(self, task_id: int, label: str) -> None:
        if task_id in self._tasks:
            self._started[task_id] = None
        task = self._live(task_id)
        if task is not None:
            if label:
                self._running_labels[task_id] = label
                self.activity.emit(label, len(self._current))
            if task.on_started:
                task.on_started()

    def _on_progress(self, task_id: int, done: int, total: int, message: str) -> None:
        task = self._live(task_id)
        if task is not None and task.on_progress:
            task.on_progress(done, total, message)
        if task is not None and task_id in self._running_labels:
            # Said by the status bar of another tab ("In the background — … · 40%"): again
            # when the whole percent changes, not at every report; none for a step not counted
            # ("scanning folders": the step before's 100% is no longer true).
            percent = min(100, 100 * done // total) if total else None
            if self._percent.get(task_id) != percent:
                if percent is None:
                    del self._percent[task_id]
                else:
                    self._percent[task_id] = percent
                self._emit_activity(-1)

    def _on_partial(self, task_id: int, value: Any) -> None:
        task = self._live(task_id)
        if task is not None and task.on_partial:
            task.on_partial(value)

    def _on_done(self, task_id: int, result: Any) -> None:
        task = self._finish(task_id)
        if task is not None and task.on_done:
            task.on_done(result)

    def _on_failed(self, task_id: int, exc: BaseException, trace: str) -> None:
        superseded = self._tasks.get(task_id)  # (still known when a newer task replaced it)
        task = self._finish(task_id)
        if task is None:
            # Its tab waits for a newer task, so nothing is said there; but an error is a bug
            # or a problem to be found later, not to be lost: the log keeps it.
            log.warning("superseded task %s failed:\n%s", superseded.slot if superseded else "", trace)
            return
        if task.on_error:
            task.on_error(exc)
        else:
            log.error("background task %s failed:\n%s", task.slot, trace)

    def _on_cancelled(self, task_id: int) -> None:
        # A cancelled task has usually been superseded (then it is no longer "live"); a task
        # cancelled by the user's Cancel button is still told, to keep what was done.
        task = self._tasks.pop(task_id, None)
        self._started.pop(task_id, None)
        if task is not None and self._current.get(task.slot) == task_id:
            del self._current[task.slot]
        self._emit_activity(task_id)
        if task is not None and task.on_cancelled:
            task.on_cancelled()
