"""A task as a worker runs it: its ``TaskContext`` (progress / cancelled / partial, what the task
function gets), the ``Job`` a worker takes, and ``execute_job``, which runs one and tells the
worker's signals how it went (``SerialWorker``, ``PriorityWorker``)."""

from __future__ import annotations

import threading
import time
import traceback
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

from vsdesk.engine.tasks import CancelledError
from vsdesk.engine.text import names_escaped

if TYPE_CHECKING:  # pragma: no cover
    from vsdesk.gui.priority_worker import PriorityWorker
    from vsdesk.gui.serial_worker import SerialWorker


#: Progress and partial results are emitted at most this often (don't flood the event loop).
EMIT_INTERVAL_S = 0.05


@dataclass(eq=False)  # each one a task of its own: compared (``in``, ``remove``) as itself
class TaskContext:
    """What a task function gets: report progress, emit partial results, check cancellation."""

    task_id: int
    worker: "SerialWorker | PriorityWorker"
    cancel_event: threading.Event = field(default_factory=threading.Event)
    _last_progress: float = 0.0
    _last_partial: float = 0.0

    def cancelled(self) -> bool:
        # Long tasks ask this often, from the worker's own thread: a good moment to answer
        # queued urgent tasks (a query during indexing) on the same thread, in between, or to
        # let a task that goes first work alone (``PriorityWorker``).
        self.worker.pause(self)
        return self.cancel_event.is_set()

    def progress(self, done: int, total: int, message: str = "") -> None:
        now = time.monotonic()
        final = bool(total) and done >= total
        if final or done == 0 or now - self._last_progress >= EMIT_INTERVAL_S:
            self._last_progress = now
            # (a name not UTF-8 in it with its bytes as escapes: Qt's string drops those bytes)
            self.worker.progressed.emit(self.task_id, int(done), int(total), names_escaped(str(message)))

    def partial(self, value: Any, force: bool = False) -> None:
        now = time.monotonic()
        if force or now - self._last_partial >= EMIT_INTERVAL_S:
            self._last_partial = now
            self.worker.partial.emit(self.task_id, value)


@dataclass(eq=False)  # identity: PriorityWorker finds a job in its order (``in``, ``index``, ``remove``)
class Job:
    """A task as a worker takes it (``put``): its context, the function, the label it is shown by."""

    context: TaskContext
    fn: Callable[[TaskContext], Any]
    label: str
    taken: bool = False  # run (or skipped) once: a hurried job is in both queues (``SerialWorker``)


def execute_job(worker: "SerialWorker | PriorityWorker", job: Job) -> None:
    """Run ``job`` on the calling thread, telling ``worker``'s signals how it went."""
    ctx = job.context
    if ctx.cancel_event.is_set():  # superseded while waiting: never started
        worker.cancelled_task.emit(ctx.task_id)
        return
    worker.started_task.emit(ctx.task_id, job.label)
    try:
        result = job.fn(ctx)
    except CancelledError:
        worker.cancelled_task.emit(ctx.task_id)
    except BaseException as exc:  # noqa: BLE001 - every error goes back to its tab
        worker.failed.emit(ctx.task_id, exc, traceback.format_exc())
    else:
        if ctx.cancel_event.is_set():
            worker.cancelled_task.emit(ctx.task_id)
        else:
            worker.finished_task.emit(ctx.task_id, result)
