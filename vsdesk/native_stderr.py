"""Keep TensorFlow's native start-up and converter chatter out of what a person running vsdesk sees.

TensorFlow's C++ code writes straight to file descriptor 2: absl INFO/WARNING lines ("I0000 …
port.cc:153] oneDNN custom operations are on …"), the CPU-feature notice, the TFLite converter's
settings and XNNPACK's "Created delegate" line, some twice per process. With the TensorFlow
installed here (2.21) ``TF_CPP_MIN_LOG_LEVEL`` does not silence them (measured; reported for
2.19 as tensorflow/tensorflow#100442), and no Python setting reaches them. So, for a vsdesk process (``install``, called by the
``vsdesk`` and ``vsdesk-cli`` entry points, never by the library or the tests), fd 2 becomes a
pipe read by a small forked process that drops exactly those lines and passes on everything else:
absl's ERROR/FATAL lines, and anything it does not recognise. A process, not a thread: native code
that fails writes its "F… Check failed" line and aborts at once, and a thread would die with it
before passing the line on; the filter process reads on until the pipe closes, which a crash
does too, so the one line that says why is never lost.

Python's own ``sys.stderr`` (progress, messages, tracebacks) keeps writing to the terminal
directly, through a duplicate of the original descriptor, so none of vsdesk's output is delayed,
reordered or lost if the process dies. ``VSDESK_NATIVE_LOGS=1`` turns the filter off.
"""

from __future__ import annotations

import atexit
import io
import logging
import os
import re
import signal
import sys
import time

ENV_SHOW = "VSDESK_NATIVE_LOGS"

NOISE = re.compile(
    rb"(?:"
    rb"WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR"
    rb"|[IW]\d{4} [\d:.]+ +\d+ [\w.-]+:\d+\] .*"  # absl INFO / WARNING (E and F pass)
    rb"|To enable the following instructions: .* rebuild TensorFlow with the appropriate compiler flags\."
    rb"|INFO: Created TensorFlow Lite XNNPACK delegate for CPU\."
    rb"|fully_quantize: \d+, inference_type: \d+, input_inference_type: \w+, output_inference_type: \w+"
    rb")\r?\n?"
)

_installed = False


def is_noise(line: bytes) -> bool:
    """Whether one line written by native code (with or without its newline) is known chatter."""
    return NOISE.fullmatch(line) is not None


def install() -> None:
    """Filter fd 2 for the rest of this process (idempotent; a no-op where it cannot work)."""
    global _installed
    if _installed or os.environ.get(ENV_SHOW) or os.name != "posix":
        return
    # TensorFlow's Python-side notices ("… triggered tf.function retracing …") are the same
    # chatter, through Python's logging: its errors still show.
    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    try:
        sys.stderr.flush()
        terminal = os.dup(2)
        read_end, write_end = os.pipe()
        sys.stdout.flush()
    except (OSError, AttributeError, ValueError):
        return  # no usable stderr (e.g. pythonw): nothing to filter
    # Ctrl+C must not reach the filter before it ignores Ctrl+C: the child runs Python's at-fork
    # hooks first, and a KeyboardInterrupt there printed a traceback and lost what followed. So
    # SIGINT is held back across the fork; the parent then gets any it missed, the child none.
    held = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        pid = os.fork()  # called first thing in the process, before any thread or TensorFlow
    except OSError:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)
        for fd in (read_end, write_end, terminal):
            os.close(fd)
        return  # no fork here: nothing to filter
    if pid == 0:
        _run_filter(read_end, write_end, terminal, held)  # never returns
    signal.pthread_sigmask(signal.SIG_SETMASK, held)
    os.close(read_end)
    encoding = getattr(sys.stderr, "encoding", None) or "utf-8"
    # Python writes straight to the original stderr; only native writes to fd 2 enter the pipe.
    sys.stderr = io.TextIOWrapper(
        io.FileIO(os.dup(terminal), "w"), encoding=encoding, errors="backslashreplace",
        line_buffering=True, write_through=True,
    )
    os.dup2(write_end, 2)
    os.close(write_end)
    _installed = True

    def restore() -> None:
        # At a normal exit: give fd 2 back (the pipe then ends), and wait a moment for the filter
        # to pass on what is left, so nothing comes after the shell's next prompt.
        try:
            os.dup2(terminal, 2)
        except OSError:
            return
        deadline = time.monotonic() + 1.0
        while time.monotonic() < deadline:
            try:
                if os.waitpid(pid, os.WNOHANG)[0]:
                    return
            except ChildProcessError:
                return
            time.sleep(0.005)

    atexit.register(restore)


def _run_filter(read_end: int, write_end: int, terminal: int, signal_mask: set) -> None:
    """The forked filter process: forward the pipe to the terminal until every writer is gone."""
    try:
        os.close(write_end)
        # Ctrl+C reaches the whole process group: the filter must outlive vsdesk's own answer to it.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.pthread_sigmask(signal.SIG_SETMASK, signal_mask)  # a Ctrl+C held back is dropped now
        # Not a holder of the caller's stdin/stdout (`vsdesk-cli search --json | jq` ends when
        # vsdesk does). Nothing else is open this early in the process.
        devnull = os.open(os.devnull, os.O_RDWR)
        os.dup2(devnull, 0)
        os.dup2(devnull, 1)
        _forward(read_end, terminal)
    finally:
        os._exit(0)  # no atexit handler or buffer flush of the parent's runs here


def _forward(read_end: int, terminal: int) -> None:
    pending = b""
    while True:
        try:
            chunk = os.read(read_end, 65536)
        except OSError:
            chunk = b""
        if not chunk:
            break
        *lines, pending = (pending + chunk).split(b"\n")
        kept = b"".join(line + b"\n" for line in lines if not is_noise(line))
        _write(terminal, kept)
    if pending and not is_noise(pending):
        _write(terminal, pending)
    os.close(read_end)


def _write(fd: int, data: bytes) -> None:
    while data:
        try:
            data = data[os.write(fd, data):]
        except OSError:
            return
