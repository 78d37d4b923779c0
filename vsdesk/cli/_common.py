"""Small helpers shared by the CLI commands: exit codes and errors, JSON, progress on stderr."""

from __future__ import annotations

import argparse
import atexit
import contextlib
import errno
import json
import logging
import os
import signal
import stat
import sys
import threading
import time
from typing import Any, Callable

from vsdesk import early_signals
from vsdesk.engine.modes import MODES
from vsdesk.engine.text import RESUMING, json_surrogates_escaped, names_escaped, shown_path

# -- exit codes (README, "Exit codes and output": the table) ----------------------------------

#: The command failed for a reason outside its command line: a file unreadable or damaged, a
#: full or read-only disk, the network, another process busy with the catalog. The same command
#: may work once that changes.
FAILED = 1
#: The command cannot be done as given: a usage error, a bad value, an unknown catalog or
#: model, a path named on the command line that is not there, another mode's catalog. The
#: command itself must change (argparse's own usage errors exit with 2 too).
USAGE = 2

#: ``error_kind`` in the --json output of a command that did not get done: stopped by a signal
#: (Ctrl+C, SIGTERM), or failed (the message in ``error``, as on stderr; the exit code says
#: which failure).
INTERRUPTED, COMMAND_FAILED = "interrupted", "command-failed"
#: ``error_kind`` of a command line argparse cannot read (an unknown option, a bad value, a
#: missing argument: exit 2), told apart from a command that failed: the script itself is wrong.
USAGE_ERROR = "usage"


class CommandError(Exception):
    """Ends the command: ``str()`` is the message for stderr (and --json's ``error``), ``code``
    the exit code (``FAILED``, ``USAGE``, or ``interrupted_exit_code()``)."""

    def __init__(self, message: str, code: int, busy: bool = False):
        super().__init__(message)
        self.code = code
        #: Refused because another process is indexing the catalog (``busy_key``).
        self.busy = busy


def location_exit_code(exc) -> int:
    """A ``LocationError``'s exit code: 2 where its setting names a file (``VSDESK_DATA_DIR`` or
    ``XDG_CACHE_HOME`` naming one is how the command was given: it must change), else 1 (a
    read-only disk), README's table."""
    return USAGE if exc.named_a_file else FAILED


def failed(exc: OSError, message: str | None = None) -> CommandError:
    """What a handler's ``except OSError`` raises: ``message`` (else the error's words), exit 1;
    but a ``LocationError`` (one of vsdesk's own folders unusable) in its own words and exit code,
    as ``cli.main`` says one that reaches it: `models list` said 1 where `search` said 2, and
    `vae decode`'s "cannot write OUT.png:" blamed a file that was never the problem."""
    from vsdesk.engine.paths import LocationError

    if isinstance(exc, LocationError):
        return CommandError(str(exc), location_exit_code(exc))
    return CommandError(message or str(exc), FAILED)


#: The signal that stopped the command: Ctrl+C's SIGINT unless SIGTERM or SIGHUP came
#: (``stop_on_signals``).
_stopped_by = signal.SIGINT


def interrupted_exit_code() -> int:
    """128 + the signal, as a shell reports a process it ended: 130 after Ctrl+C, 143 after
    SIGTERM (kill, timeout, systemd), 129 after SIGHUP (the terminal closed), so a script can
    tell them apart."""
    return 128 + _stopped_by


def stopped_by_ending_signal() -> bool:
    """Whether SIGTERM or SIGHUP stopped the command (``stop_on_signals``)."""
    return _stopped_by != signal.SIGINT


def interrupted_words() -> str:
    if _stopped_by == signal.SIGINT:
        return "interrupted"
    return f"interrupted ({signal.Signals(_stopped_by).name})"


@contextlib.contextmanager
def stop_on_signals():
    """While the command runs, SIGTERM and SIGHUP stop it as Ctrl+C does (a ``KeyboardInterrupt``
    in the main thread): what an index run committed stays, --json prints what was done, and the
    exit code is 143 or 129. Without it they ended the process on the spot: no JSON, no message
    (a closed terminal, mid-index). A second of the same signal ends it at once; the other one
    right after is the same request (a logout sends both). Left alone where a signal is ignored
    (as Python leaves SIGINT; ``nohup``), or off the main thread, where no handler can be set. A
    signal held while the process started (``early_signals``) stops the command here, before it
    begins, the same way."""
    global _stopped_by
    _stopped_by = signal.SIGINT
    before = {}
    main_thread = threading.current_thread() is threading.main_thread()
    for signum in early_signals.ENDING if main_thread else ():
        if early_signals.holding(signum) or signal.getsignal(signum) == signal.SIG_DFL:
            before[signum] = signal.signal(signum, _on_ending_signal)
    if main_thread:
        early_signals.release()  # (SIGINT's; the others' handlers are set above)
    try:
        if early_signals.held:
            _stopped_by = early_signals.held[0]
            early_signals.held.clear()
            if _stopped_by in before:
                _one_stop_asked(_stopped_by)  # as after one such signal during the run
            raise KeyboardInterrupt
        yield
    finally:
        _replaced.update(before)
        if not stopped_by_ending_signal():
            restore_signal_handlers()
        # else kept until the command's document and error line are written (``cli._run``): a
        # logout's other signal, coming while they are, ended the process without them.


#: The handlers ``stop_on_signals`` replaced, until ``restore_signal_handlers``.
_replaced: dict[int, Any] = {}


def restore_signal_handlers() -> None:
    """The handlers before ``stop_on_signals``, once the command is done, as before the process
    started (one held is not held again). After a stop by SIGTERM or SIGHUP its handling stays
    (``_one_stop_asked``) until ``cli._run`` has written the document and the error line."""
    for signum, handler in _replaced.items():
        signal.signal(signum, signal.SIG_DFL if early_signals.holding_handler(handler) else handler)
    _replaced.clear()


def _on_ending_signal(signum, frame) -> None:
    global _stopped_by
    _stopped_by = signum
    _one_stop_asked(signum)
    raise KeyboardInterrupt


def _one_stop_asked(signum: int) -> None:
    """After ``signum`` stopped the command: the same signal again ends the process at once (no
    second clean-up); the other ending signal, once, is the same request and is let pass (a
    logout's SIGTERM and SIGHUP: a second ``KeyboardInterrupt`` would break the clean-up)."""
    signal.signal(signum, signal.SIG_DFL)
    for other in early_signals.ENDING:
        if other != signum and signal.getsignal(other) is _on_ending_signal:
            signal.signal(other, _let_pass_once)


def _let_pass_once(signum, frame) -> None:
    signal.signal(signum, signal.SIG_DFL)


def why_not_done(exc: BaseException) -> tuple[str, str] | None:
    """(message, ``error_kind``) of an exception that ends a command with a message and an exit
    code (see ``cli.main``); None for any other (a bug: a traceback)."""
    from vsdesk.engine.catalog import CatalogError  # here: the window's start-up never needs it
    from vsdesk.engine.paths import LocationError

    if isinstance(exc, KeyboardInterrupt):
        return interrupted_words(), INTERRUPTED  # what cli.main says on stderr
    if isinstance(exc, CommandError):
        return str(exc), INTERRUPTED if exc.code == interrupted_exit_code() else COMMAND_FAILED
    if isinstance(exc, (CatalogError, LocationError)):
        return str(exc), COMMAND_FAILED
    return None


def busy_key(exc: BaseException) -> dict[str, bool]:
    """``{"catalog_busy": true}`` for --json's document of a command refused because another
    process is indexing the catalog, else nothing: a script can wait and try again without
    reading the message. A key beside ``error_kind``, which stays "command-failed" as before
    (scripts and tests read it)."""
    from vsdesk.engine.catalog import CatalogBusy  # here: the window's start-up never needs it

    return {"catalog_busy": True} if isinstance(exc, CatalogBusy) or getattr(exc, "busy", False) else {}


@contextlib.contextmanager
def json_on_failure(args, **about):
    """With --json, a command that ends with an error prints one JSON object even so: ``about``
    (what it was asked to do) with ``error`` (the message, said on stderr too) and ``error_kind``
    (``INTERRUPTED`` or ``COMMAND_FAILED``), and ``busy_key``; the exit code is the same as without --json. A command's
    ``failure_document(args, that_object)`` (a parser default) shapes it as its document is."""
    try:
        yield
    except BaseException as exc:
        why = why_not_done(exc)
        if getattr(args, "json", False) and why is not None and not json_printed:
            document = {**about, "error": why[0], "error_kind": why[1], **busy_key(exc)}
            # A command whose document is not an object (search: a list) shapes it its own way.
            shaped = getattr(args, "failure_document", None)
            print_json(shaped(args, document) if shaped else document)
        raise


class OutputError(CommandError):
    """stdout cannot be written (a full disk, an I/O error, stdout closed: `> /dev/full`, `>&-`):
    said in one line on stderr, exit 1, as ``ls`` does. A reader that has gone (BrokenPipeError)
    is not one: ``cli._run`` ends quietly then."""

    def __init__(self, why: str):
        super().__init__(f"cannot write the output: {why}", FAILED)


#: The errors of a write to stdout that mean the output is lost (a full disk or quota, a file too
#: large, a failing device, a closed descriptor). A reader that has gone is BrokenPipeError.
_OUTPUT_LOST = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO, errno.EBADF})


class _CheckedOutput:
    """``sys.stdout`` while a command runs: a write or flush that fails raises ``OutputError``
    (else a traceback, or with stdout closed, where Python sets it to None, nothing at all and
    exit 0). The rest is the real stream's."""

    def __init__(self, stream):
        self._stream = stream

    def write(self, text: str) -> int:
        return self._checked(lambda stream: stream.write(text))

    def flush(self) -> None:
        self._checked(lambda stream: stream.flush())

    def _checked(self, use):
        if self._stream is None:
            raise OutputError("stdout is closed")
        try:
            return use(self._stream)
        except BrokenPipeError:
            raise
        except OSError as exc:
            if exc.errno not in _OUTPUT_LOST:  # (a non-blocking stdout's EAGAIN: not lost, the caller's to handle)
                raise
            # What is left in the buffer goes to /dev/null, so the interpreter's flush at exit
            # does not fail again ("Exception ignored ...", exit 120).
            point_at_devnull(self._stream.fileno())
            raise OutputError(exc.strerror or str(exc)) from None

    def __getattr__(self, name: str):
        return getattr(self._stream, name)


def point_at_devnull(fd: int) -> None:
    """Point the descriptor ``fd`` (stdout) at /dev/null, for output that can no longer go where
    it went; the descriptor opened for that is closed again (one left open each time before)."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, fd)
    finally:
        os.close(devnull)


@contextlib.contextmanager
def output_checked():
    """While the command runs, a failure to write stdout is an ``OutputError``."""
    before = sys.stdout
    sys.stdout = _CheckedOutput(before)
    try:
        yield
    finally:
        sys.stdout = before


def check_given_path(path: str | os.PathLike, kind: str, option: str = "") -> None:
    """A path named on the command line (``option``'s, or an argument) must be there, and a
    ``kind`` ("folder", "file" or "folder or file") of path: else the command ends with exit 2,
    at once, before any model loads (a typo, most likely)."""
    shown = f"{option} {os.fspath(path)}" if option else os.fspath(path)
    if not os.path.exists(path):
        raise CommandError(f"{shown}: no such {kind}", USAGE)
    if kind == "folder" and not os.path.isdir(path):
        raise CommandError(f"{shown}: this is a file, not a folder", USAGE)
    if kind == "file" and os.path.isdir(path):
        raise CommandError(f"{shown}: this is a folder, not a file", USAGE)


class QueryIsFolder(Exception):
    """A query (of `search`, `vae describe`) that is a folder: the command must change (a folder's
    images are searched by indexing it), not a file that cannot be read."""

    kind = "is-a-folder"  # its record's error_kind (docs/cli.md)


def check_query(path: str, instead: Callable[[str], str]) -> None:
    """The checks on a query image before any model loads: ``QueryIsFolder`` for a folder, said
    with ``instead(path)`` (what to do with a folder's images: worked out only then), else
    ``imageio.check_file``'s ``ImageError`` (not there, unreadable, empty)."""
    from vsdesk.engine.imageio import check_file

    if os.path.isdir(path):
        raise QueryIsFolder(f"{shown_path(path)} is a folder, not an image: {instead(path)}")
    check_file(path)


def queries_exit_code(queries: list[str], failed: int) -> int:
    """The exit code of a command given query images (`search`, `vae describe`), ``failed`` of
    which were not answered: 2 when not one of them is an image file there (paths named on the
    command line that are not there, or folders: a typo or a wrong command, nothing searched),
    else 1 when some failed (a query not there, a folder or unreadable, the others answered; a
    file unreadable or damaged), else 0 (README's table)."""
    if failed and not any(_is_file_there(query) for query in queries):
        return USAGE
    return FAILED if failed else 0


def _is_file_there(path: str) -> bool:
    """``path`` is there and not a folder, readable or not: a link loop or a folder on its path
    that cannot be entered is a file that cannot be read (1), not a path that is not there
    (``os.path.exists`` says False of both)."""
    try:
        mode = os.stat(path).st_mode
    except (FileNotFoundError, NotADirectoryError):  # (a link to nothing is not there either)
        return False
    except OSError:
        return True
    return not stat.S_ISDIR(mode)


def check_product_model(name: str) -> None:
    """A product model named by ``--model`` must be there (exit 2: an unknown model); one whose
    metadata cannot be read is a failure of its files (exit 1). No TensorFlow is loaded."""
    from vsdesk.engine.product.model import META_FILE, ProductModelError, read_meta
    from vsdesk.engine.product.model_store import model_dir

    known = False
    try:
        folder = model_dir(name)
        known = (folder / META_FILE).exists()
        read_meta(folder)
    except ProductModelError as exc:
        raise CommandError(f"{exc}; `vsdesk models list` shows the product models",
                           FAILED if known else USAGE) from None


def add_mode_argument(parser, help_text: str) -> None:
    """--mode, optional: a catalog that exists knows its own (``_catalog_steps.settle_mode``).
    Shown as MODE, its choices said in words: argparse's ``{style,product,vae}``, pasted into
    bash, is brace-expanded into three words."""
    parser.add_argument("--mode", choices=MODES, default=None, metavar="MODE",
                        help=f"{help_text}. MODE: {MODE_WORDS}")


#: The modes as the help and messages say them (not argparse's ``{style,product,vae}``).
MODE_WORDS = f"{', '.join(MODES[:-1])} or {MODES[-1]}"


#: Whether this command has printed its JSON document (``cli.main`` prints one for a command that
#: failed before it had any).
json_printed = False


def print_json(data: Any) -> None:
    global json_printed
    json_printed = True
    end_progress_line()  # on a terminal stdout shares the screen with the progress line
    text = json.dumps(data, indent=2, ensure_ascii=False, default=_jsonable)
    sys.stdout.write(json_surrogates_escaped(text) + "\n")  # (a file name that is not UTF-8)
    sys.stdout.flush()


def _jsonable(value: Any) -> Any:
    if hasattr(value, "tolist"):
        return value.tolist()
    if hasattr(value, "__fspath__"):
        return str(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def error(message: str) -> None:
    say(f"vsdesk: {message}")
    # In the log too, before the command's end ("exit code 1"), which it explains (stderr has it
    # already: INFO goes to the log file only).
    logging.getLogger("vsdesk").info("error: %s", message)


def say_note(message: str) -> None:
    """Something the user should know about a command that goes on (a catalog recovered, results
    from before a run): "vsdesk: note: …" on stderr, and "note: …" in the log, where "error:"
    read as the command's failure though it succeeded."""
    say(f"vsdesk: note: {message}")
    logging.getLogger("vsdesk").info("note: %s", message)


def say(text: str) -> None:
    """A message on stderr, on a line of its own even while a progress line is drawn; a name
    that is not UTF-8 in it as ``shown_path`` shows it ("\\xe9", where stderr said "\\udce9")."""
    end_progress_line()
    write_stderr(names_escaped(text) + "\n")


def write_stderr(text: str) -> None:
    """``text`` on stderr, now. A stderr that can no longer be written (its terminal closed:
    EIO, after the SIGHUP that stops the command) is pointed at /dev/null, and the command goes
    on to its end and its exit code (129), where the error of that write ended it with 1."""
    try:
        sys.stderr.write(text)
        sys.stderr.flush()
    except (OSError, ValueError):  # (ValueError: closed)
        with contextlib.suppress(OSError, ValueError):
            point_at_devnull(sys.stderr.fileno())
            sys.stderr.flush()  # (what was left in its buffer, to /dev/null now)


def show(text: str) -> None:
    """A line of a command's text output on stdout; a name that is not UTF-8 in it as
    ``shown_path`` shows it, where it went out as raw bytes (or stopped the command on a UTF-8
    terminal). ``--json`` has its own way (``print_json``)."""
    print(names_escaped(text))


#: A progress line drawn on a terminal ("\r" + text, no newline) that nothing has ended yet.
_open_line = False


def end_progress_line() -> None:
    """Ends the open progress line, if any, so what follows on stderr starts on a fresh line
    instead of being glued to "indexing mine: scanning folders"."""
    global _open_line
    if _open_line:
        _open_line = False
        write_stderr("\n")


atexit.register(end_progress_line)  # the shell's prompt after a last "up to date" line


class StderrProgress:
    """A ``Progress`` on stderr.

    On a terminal, one line redrawn in place at most every 0.2 s (``say`` and ``error`` end it
    before they print). Elsewhere (a log file, a pipe) a line per new step, per 10 % and at
    least every ``LOG_INTERVAL`` seconds, and the last one: a log of indexing 4,878 photos is a
    dozen lines, not one per 32-image batch. A new step (another message while the total is
    unknown, or another total) is always shown, so "loading the model" is never skipped.
    """

    TTY_INTERVAL = 0.2
    LOG_INTERVAL = 5.0

    def __init__(self, label: str = "", clock=time.monotonic):
        self.label = label
        self._clock = clock
        self._last = -float("inf")
        self._step: tuple | None = None
        self._tenth = -1
        self._tty = sys.stderr.isatty()

    def __call__(self, done: int, total: int, message: str = "") -> None:
        global _open_line
        if message.startswith(RESUMING):  # news, not a step: a line of its own, never redrawn over
            say(f"{self.label}: {message}" if self.label else message)
            return
        now = self._clock()
        final = bool(total) and done >= total
        step = (total, None if total else message)
        tenth = int(10 * done / total) if total else -1
        if self._tty:
            due = now - self._last >= self.TTY_INTERVAL
        else:
            due = now - self._last >= self.LOG_INTERVAL or tenth > self._tenth
        if not (final or due or step != self._step):
            return
        self._last, self._step, self._tenth = now, step, tenth
        if total or done:
            pct = f"{100 * done / total:5.1f}%" if total else ""
            line = f"{self.label} {done}/{total} {pct} {message}".strip()
        else:  # nothing to count yet: "indexing mine: scanning folders", not "indexing mine 0/0  scanning"
            line = f"{self.label}: {message}" if self.label and message else self.label or message
        if self._tty:
            write_stderr("\r\033[K" + line + ("\n" if final else ""))
            _open_line = not final
        else:
            write_stderr(line + "\n")


def positive_int(text: str) -> int:
    """An argparse ``type``: a count of 1 or more (0 or -5 refused, exit 2, not read as "all" or
    "all but 5")."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {value}")
    return value
