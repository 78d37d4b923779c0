"""The contract for long computations: plain functions that take ``progress`` and ``cancelled``.

The same function serves the CLI (progress on stderr), the tests and the GUI (progress as Qt
signals, cancel from a button) without knowing which one drives it.
"""

from __future__ import annotations

from typing import Callable, Protocol


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
