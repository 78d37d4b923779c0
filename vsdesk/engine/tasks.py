"""The contract for long computations: plain functions that take ``progress`` and ``cancelled``.

The same function serves the CLI (progress on stderr), the tests and the GUI (progress as Qt
signals, cancel from a button) without knowing which one drives it.
"""

from __future__ import annotations

import contextlib
import math
import threading
import time
from typing import Callable, Iterator, Protocol


class Progress(Protocol):
    def __call__(self, done: int, total: int, message: str = "") -> None: ...


Cancelled = Callable[[], bool]


class CancelledError(Exception):
    """Raised inside a computation when its ``cancelled`` callable returned True."""


def no_progress(done: int, total: int, message: str = "") -> None:
    """A ``Progress`` that reports nothing."""


def never_cancelled() -> bool:
    return False


def check_cancelled(cancelled: Cancelled) -> None:
    if cancelled():
        raise CancelledError("cancelled")


_pause_ends = threading.local()


@contextlib.contextmanager
def pause_ends_when(happened: Callable[[], bool]) -> Iterator[None]:
    """While in this block, a ``cancelled`` that waits (a pause while another task goes first)
    stops waiting, and answers, once ``happened()`` says so: something the task must see at
    once (its t-SNE child killed: else noticed only when the other map was done). Per thread:
    ``cancelled`` is asked on the task's own."""
    earlier = getattr(_pause_ends, "check", None)
    _pause_ends.check = happened
    try:
        yield
    finally:
        _pause_ends.check = earlier


def pause_should_end() -> bool:
    """For a ``cancelled`` that waits: whether this thread's task asked to stop waiting now."""
    check = getattr(_pause_ends, "check", None)
    return check is not None and check()


_kept = threading.Condition()
_keeping: set[int] = set()  # the threads inside ``keeping_work``


@contextlib.contextmanager
def keeping_work() -> Iterator[None]:
    """Around steps whose end keeps work done: an index run's batches, each embedded and
    committed, until the run next sees ``cancelled`` (and commits what it holds). A process
    that ends (the window closed) waits for these (``wait_for_kept_work``), and past a moment's
    grace for nothing else: a model loading, a t-SNE stage or a thumbnail keeps nothing."""
    thread = threading.get_ident()
    with _kept:
        inside = thread in _keeping  # (nested: the outer one ends it)
        _keeping.add(thread)
    try:
        yield
    finally:
        if not inside:
            with _kept:
                _keeping.discard(thread)
                _kept.notify_all()


def work_being_kept() -> bool:
    """Whether a thread is inside ``keeping_work``."""
    with _kept:
        return bool(_keeping)


def wait_for_kept_work(timeout_s: float) -> bool:
    """Wait at most ``timeout_s`` until no thread is inside ``keeping_work``: whether none is."""
    with _kept:
        return _kept.wait_for(lambda: not _keeping, max(0.0, timeout_s))


class Rate:
    """The rate of a counted step (images per second) and the time it has left, said only once
    they mean something and smoothed so that they do not jump about.

    Nothing is said before ``WARM_UP_S`` seconds and ``WARM_UP_DONE`` items of the step (the
    first batches pay for warming up: a model's first call, the page cache); then the rate is
    an exponential average of what each interval did (a time constant of ``SMOOTHING_S``
    seconds: a batch slowed by another program moves it a little, a slower hour moves it
    within half a minute), and the time left is rounded as a person says it ("about 3 min").
    A new step (another total, or the count going back) starts again. ``clock`` is
    ``time.monotonic`` but for tests.
    """

    WARM_UP_S = 5.0
    WARM_UP_DONE = 20
    SMOOTHING_S = 15.0
    #: Shorter intervals are added to the next one: two reports a millisecond apart say nothing.
    MIN_INTERVAL_S = 0.5

    def __init__(self, clock: Callable[[], float] = time.monotonic):
        self._clock = clock
        self._total = -1
        self._start = self._last_time = 0.0
        self._start_done = self._last_done = 0
        self._done = 0
        self.rate: float | None = None  # items per second, smoothed; None until measured

    def update(self, done: int, total: int) -> None:
        now = self._clock()
        if total != self._total or done < self._done or done == 0:
            self._total, self._start, self._start_done = total, now, done
            self._last_time, self._last_done, self._done, self.rate = now, done, done, None
            return
        self._done = done
        interval = now - self._last_time
        if interval < self.MIN_INTERVAL_S:
            return
        measured = (done - self._last_done) / interval
        if self.rate is None:
            self.rate = measured
        else:
            self.rate += (1.0 - math.exp(-interval / self.SMOOTHING_S)) * (measured - self.rate)
        self._last_time, self._last_done = now, done

    def meaningful(self) -> bool:
        return (self.rate is not None and self.rate > 0
                and self._last_time - self._start >= self.WARM_UP_S
                and self._done - self._start_done >= self.WARM_UP_DONE)

    def words(self, unit: str = "images") -> str:
        """"85 images/s · about 2 min left", or "" while that cannot be told yet."""
        if not self.meaningful() or self._total <= 0:
            return ""
        rate = f"{self.rate:.0f}" if self.rate >= 10 else f"{self.rate:.1f}"
        left = time_left_words((self._total - self._done) / self.rate)
        return f"{rate} {unit}/s · {left}" if left else f"{rate} {unit}/s"


def time_left_words(seconds: float) -> str:
    """A time left as a person says it, rounded so that it changes calmly: "a few seconds left",
    "about 40 s left" (tens of seconds), "about 3 min left", "about 1 h 20 min left" (tens of
    minutes); "" when nothing is left."""
    if seconds <= 0:
        return ""
    if seconds < 10:
        return "a few seconds left"
    if seconds < 60:
        return f"about {math.ceil(seconds / 10) * 10} s left"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"about {minutes} min left"
    hours, tens = divmod(round(minutes / 10) * 10, 60)
    return f"about {hours} h {tens} min left" if tens else f"about {hours} h left"


class RateProgress:
    """A ``Progress`` that passes every report on to ``progress`` with the step's rate and time
    left added to its message once they mean something (``Rate``): "indexing" becomes
    "indexing · 85 images/s · about 2 min left"."""

    def __init__(self, progress: Progress, clock: Callable[[], float] = time.monotonic, unit: str = "images"):
        self._progress = progress
        self._rate = Rate(clock)
        self._unit = unit

    def __call__(self, done: int, total: int, message: str = "") -> None:
        if not total:  # nothing counted ("scanning folders"): no rate
            self._progress(done, total, message)
            return
        self._rate.update(done, total)
        words = self._rate.words(self._unit) if done < total else ""
        self._progress(done, total, f"{message} · {words}" if words and message else message or words)
