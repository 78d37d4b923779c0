"""vsdesk's log file, ``vsdesk.log`` in the cache folder: the window's and the command line's.

INFO and above go there, with tracebacks; a command line's warnings go to standard error too
(one line each, as before it had a log), its own output (``--json`` on stdout) left clean. A
command line without a log (a read-only home) says so once, after a command that went well, not
before its answer (``not_logged_note``).

Several processes write it at once (the window, commands run beside it), each appending. Only
one window starts it afresh as it grows (``RotatingFileHandler``): a rotation renames the file
under the others, which must not rotate in turn (on Linux they go on writing into vsdesk.log.1,
and a second rotation would throw away what the first kept; on Windows the rename is refused
while another has the file open). The window that rotates holds a lock (``ROTATION_LOCK``) for
as long as it runs; a second window opened meanwhile only appends. A command line only appends,
and starts afresh as it starts when no window has kept the file small (``CLI_START_AFRESH_BYTES``)
and none holds that lock.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys

try:
    import fcntl
except ImportError:  # Windows: a rotation under another process is refused there (``_RotatedLog``)
    fcntl = None
from logging.handlers import RotatingFileHandler
from pathlib import Path
from typing import Callable

from vsdesk.engine import paths
from vsdesk.engine.text import names_escaped

log = logging.getLogger("vsdesk")

LOG_NAME = "vsdesk.log"
#: The window starts the log file afresh past this size, the previous one kept as
#: vsdesk.log.1: at most 2 MB, however long vsdesk has been used.
LOG_MAX_BYTES = 1_000_000
#: A command line starts it afresh as it starts past this size (used without the window for a
#: long time): not at each megabyte, so that it hardly ever happens while another writes it.
CLI_START_AFRESH_BYTES = 10 * LOG_MAX_BYTES

#: How the log file writes what UTF-8 cannot: never a "--- Logging error ---" traceback on standard
#: error with the line dropped, as its strict errors did for a name that is not UTF-8.
NAMES_NOT_UTF8 = "backslashreplace"  # (the formatters escape them first: this is a last resort)

#: The window that rotates the log holds this file's lock (``flock``) while it runs.
ROTATION_LOCK = "vsdesk.log.lock"

#: Whether this process logged its command line (``log_command_line``): its end is logged too.
_command_logged = False

#: Why this command line process has no log file (its folder cannot be made, the file cannot be
#: written), said after its answer (``log_command_end``); None: it has one, or is the window.
_not_logged: str | None = None


def log_to_file(rotate: bool = True, make_folder: bool = True) -> logging.Handler | None:
    """Log (INFO and above) to ``vsdesk.log`` in the cache directory too; None if that
    directory cannot be used (then standard error only). The file is opened at the first
    message, not at start. ``rotate``: the window's, started afresh as it grows; else (a
    command line) only appended to (see the module's note). ``make_folder`` False (a command
    that only lists, and so writes nothing): logged only into a cache folder there and
    writable, and else not, without a word."""
    if not make_folder:
        path = paths.cache_location() / LOG_NAME
        if not os.access(path.parent, os.W_OK):  # (not there, or a read-only home)
            return None
    else:
        try:
            path = paths.cache_dir() / LOG_NAME
        except OSError as exc:  # LocationError: the cache folder cannot be made
            if rotate:  # the window's: said as it starts (standard error, where it has one)
                log.warning("no log file: %s", exc)
            else:  # a command line's: said after its answer, not before it
                _not_said_yet(str(exc))
            return None
    held = _rotation_lock(path) if rotate else None
    if held is not None:
        handler = _RotatedLog(path, maxBytes=LOG_MAX_BYTES, backupCount=1, encoding="utf-8", errors=NAMES_NOT_UTF8, delay=True)
        handler.held = held  # kept open: the lock is this window's until it closes the handler
    elif rotate:
        handler = _AppendedLog(path, encoding="utf-8", errors=NAMES_NOT_UTF8, delay=True)  # another window rotates it
    else:
        _start_afresh_if_huge(path)
        handler = _AppendedLog(path, encoding="utf-8", errors=NAMES_NOT_UTF8, delay=True)
        handler.said_at_the_end = True  # a command line's: its answer first
    handler.set_name(LOG_NAME)
    handler.setLevel(logging.INFO)
    handler.setFormatter(_NamesEscaped("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.getLogger().addHandler(handler)
    return handler


def log_command_line() -> None:
    """A command line process's logging: the log file (with the process's command, pid and
    the tracebacks), and its warnings on standard error, one line each, as Python's last-resort
    handler said them before (no traceback: that is for the log)."""
    root = logging.getLogger()
    if any(handler.get_name() == LOG_NAME for handler in root.handlers):
        return  # (set up already)
    root.setLevel(logging.INFO)
    logging.getLogger("absl").setLevel(logging.WARNING)  # TensorFlow's converter notes, not vsdesk's
    stderr = logging.StreamHandler(sys.stderr)
    stderr.setLevel(logging.WARNING)
    stderr.setFormatter(_OneLine())
    root.addHandler(stderr)
    global _command_logged
    # `vsdesk search --help` reads the manual; it is not a command run (nor is its end said).
    help_asked = _asks_for_help(sys.argv[1:])
    reads_only = sys.argv[1:3] in LISTING_COMMANDS or help_asked  # (a read-only home: not a word)
    if log_to_file(rotate=False, make_folder=not reads_only) is not None and not help_asked:
        log.info("command line: vsdesk %s", " ".join(sys.argv[1:]))
        _command_logged = True


#: The commands that only read (docs/cli.md): they make no folder, not even the log's.
LISTING_COMMANDS = (["catalogs", "list"], ["models", "list"])


def _asks_for_help(argv: list[str]) -> bool:
    """Whether the command line only reads the manual (or the version)."""
    options = argv[:argv.index("--")] if "--" in argv else argv
    return "-h" in options or "--help" in options or argv[:1] == ["--version"]


def log_command_end(command: Callable[[], int]) -> int:
    """Runs ``command`` (a command line process's whole command) and logs how it ended, after
    its command line (``log_command_line``): its exit code, and for a failure why (the messages
    it said are logged as they are said, ``cli._common.error``; argparse's, and an unexpected
    error's traceback, here). The exit code is returned, an exception raised on, as before."""
    try:
        code = command()
    except SystemExit as exc:  # argparse: a command line it cannot read (2), or --help (0)
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        _log_end(code, getattr(exc, "message", None))
        raise
    except KeyboardInterrupt:
        # Not the command's own stop (``cli._run`` returns 129, 130 or 143 for that, and for one held
        # while the process started, ``early_signals``): a Ctrl+C as the process ended. Python then ends the
        # process by SIGINT itself, with no exit code of ours.
        if _command_logged:
            log.info("command interrupted by Ctrl+C outside its run (while starting or ending): "
                     "the process ends by SIGINT")
        raise
    except BaseException:
        if _command_logged:
            log.info("command ended by an unexpected error (exit code 1)", exc_info=True)
        raise
    _log_end(code)
    if code == 0 and _not_logged is not None:
        with contextlib.suppress(OSError, ValueError):  # (a terminal gone)
            print(not_logged_note(), file=sys.stderr, flush=True)
    return code


def not_logged_note() -> str:
    """The one line a command line without a log says after it went well. Not after a failure:
    its error is the last line, what to act on (and all the log would have held of it); not
    before the answer, nor for a command that only reads (``LISTING_COMMANDS``, ``--help``)."""
    return f"vsdesk: note: this command was not logged: {_not_logged}"


def _not_said_yet(why: str) -> None:
    global _not_logged
    _not_logged = names_escaped(why)


def _log_end(code: int, why: str | None = None) -> None:
    if _command_logged:
        log.info("command ended: exit code %d%s", code, f" ({why})" if why else "")


class _NamesEscaped(logging.Formatter):
    """A name that is not UTF-8 in a log line (a command line naming a Latin-1 file, an error
    about it) written with its bytes as escapes (``caf\\xe9.jpg``), as vsdesk shows it."""

    def format(self, record: logging.LogRecord) -> str:
        return names_escaped(super().format(record))


class _OneLine(logging.Formatter):
    """The message alone, without its traceback (the log file keeps that); a name that is not
    UTF-8 in it as vsdesk shows it (not "\\udce9")."""

    def format(self, record: logging.LogRecord) -> str:
        return names_escaped(record.getMessage())


class _GivenUpWhenItCannotBeWritten(logging.FileHandler):
    """The log file, given up when it cannot be written (a read-only cache folder, a full disk):
    messages then go to standard error only, said once, instead of a "--- Logging error ---"
    traceback on standard error for every message."""

    given_up = False
    #: A command line's: why it was given up is said after the command's answer
    #: (``log_command_end``), not as a warning before it; the window's is said at once.
    said_at_the_end = False

    def emit(self, record: logging.LogRecord) -> None:
        if self.given_up:
            return
        try:
            super().emit(record)
        except OSError:  # FileHandler opens the file (delay=True) outside its own error handling
            self.handleError(record)

    def handleError(self, record: logging.LogRecord) -> None:  # noqa: N802 - logging's name
        error = sys.exc_info()[1]
        if not isinstance(error, OSError):  # a message that cannot be formatted: said as logging says it
            super().handleError(record)
            return
        if self.given_up:
            return
        self.given_up = True  # first: the warning below comes through this handler too
        if self.said_at_the_end:
            _not_said_yet(f"the log file {self.baseFilename} cannot be written ({error.strerror or error})")
            return
        log.warning("the log file %s cannot be written (%s): messages go to standard error only",
                    self.baseFilename, error)


def _rotation_lock(path: Path):
    """The right to rotate the log ``path``: the open lock file, its ``flock`` taken (kept for
    as long as the window runs), or None when another window holds it. Without ``flock``
    (Windows), every window may try (a rename under another is refused there)."""
    try:
        fp = open(path.with_name(ROTATION_LOCK), "a")
    except OSError:  # a read-only cache folder: nothing is written there anyway
        return None
    if fcntl is not None:
        try:
            fcntl.flock(fp.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            fp.close()
            return None
    return fp


def _rotated_elsewhere(path: Path) -> bool:
    """Whether a window holds the right to rotate the log ``path`` now (``_rotation_lock``)."""
    if fcntl is None:
        return False
    try:
        with open(path.with_name(ROTATION_LOCK), "a") as fp:
            fcntl.flock(fp.fileno(), fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError:
        return True
    return False


class _AppendedLog(_GivenUpWhenItCannotBeWritten):
    """A command line's, or a second window's: appended to, never renamed while others write it."""


class _RotatedLog(_GivenUpWhenItCannotBeWritten, RotatingFileHandler):
    """The window's that holds the rotation lock (``held``): started afresh past ``LOG_MAX_BYTES``."""

    held = None

    def close(self) -> None:
        super().close()
        if self.held is not None:
            self.held.close()  # the lock goes with it: another window may rotate now
            self.held = None

    def doRollover(self) -> None:  # noqa: N802 - logging's name
        try:
            super().doRollover()
        except OSError as exc:
            # On Windows a command running meanwhile holds the file open and the rename is
            # refused: the window goes on appending (its messages are not given up), and tries
            # no more until it is started again.
            self.maxBytes = 0
            log.info("the log file %s is not started afresh (%s): another vsdesk process has it open?",
                     self.baseFilename, exc)


def _start_afresh_if_huge(path: Path) -> None:
    """A command line's log past ``CLI_START_AFRESH_BYTES``: kept as vsdesk.log.1, a new one
    begun (before this process writes it). Not when it cannot be (Windows: another process has
    it open): appended to, then."""
    try:
        if path.stat().st_size > CLI_START_AFRESH_BYTES and not _rotated_elsewhere(path):
            os.replace(path, path.with_name(f"{LOG_NAME}.1"))
    except OSError:
        pass


def log_file() -> Path | None:
    """The log file messages go to (None: standard error only), to name it to the user."""
    for handler in logging.getLogger().handlers:
        if handler.get_name() == LOG_NAME and not getattr(handler, "given_up", False):
            return Path(handler.baseFilename)
    return None
