"""A Ctrl+C (SIGINT), SIGTERM or SIGHUP that comes while a command line process starts (Python
imports vsdesk's modules and reads the command line: half a second) is held, not acted on, until
the command runs: it then stops the command as one during its run does, with its JSON document
and exit code 130, 143 or 129 (``cli._common.stop_on_signals``). Acted on at once, it came as a
``KeyboardInterrupt`` traceback from inside an import, or ended the process with no document.

Imports nothing of vsdesk's: the entry points call ``hold`` first, before the heavy imports."""

from __future__ import annotations

import os
import signal

#: The signals held since ``hold``, in the order they came.
held: list[int] = []
#: The signals that end a process unless handled: SIGTERM (kill, timeout, a service manager) and
#: SIGHUP (its terminal closed; a logout, where systemd sends it with SIGTERM). None on Windows.
ENDING = tuple(s for s in (signal.SIGTERM, getattr(signal, "SIGHUP", None)) if s is not None)


def hold() -> None:
    """Holds SIGINT, SIGTERM and SIGHUP from now on; left alone where they are ignored (a process
    started in the background, ``nohup``), as Python leaves an ignored SIGINT."""
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        signal.signal(signal.SIGINT, _note)
    for signum in ENDING:
        if signal.getsignal(signum) == signal.SIG_DFL:
            signal.signal(signum, _note)


def holding(signum: int) -> bool:
    return holding_handler(signal.getsignal(signum))


def holding_handler(handler) -> bool:
    """Whether ``handler`` (as ``signal.getsignal`` gives it) is the one ``hold`` sets."""
    return handler is _note


def release() -> None:
    """Python's Ctrl+C again (a ``KeyboardInterrupt``); SIGTERM's and SIGHUP's own handling is
    the caller's (the command's, or the window's), else they end the process as before."""
    if holding(signal.SIGINT):
        signal.signal(signal.SIGINT, signal.default_int_handler)
    for signum in ENDING:
        if holding(signum):
            signal.signal(signum, signal.SIG_DFL)


def _note(signum, frame) -> None:
    if signum in held:  # asked twice while starting: the process ends at once, by that signal
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)
    held.append(signum)
