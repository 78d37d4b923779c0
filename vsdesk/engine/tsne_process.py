"""t-SNE stages, run in this process or in a child process of their own.

Why a child: scikit-learn's t-SNE holds Python's GIL most of the time it runs (the review
sampled the window's process: 121 of 153 samples held by the map's thread, in
``_kl_divergence_bh``), so the window's thread got little time and repainted in seconds while
a big catalog was mapped. A child process has a GIL of its own. It is a fresh interpreter that
imports only this module, NumPy and scikit-learn, never TensorFlow or Qt, and never the
caller's main module (``child_process``: ``python -m vsdesk.engine.child_process
vsdesk.engine.tsne_process``, in the bundle vsdesk itself), at a lower priority than the window
(``child_process.BACKGROUND_MODULES``). The child is stopped at once on cancel (``terminate``), and ends by
itself once its parent is gone (its stdin closed: ``_end_with_the_parent``).

What goes between the two: the input and each stage's embedding as ``.npy`` files in a
temporary folder (``allow_pickle=False``), and small messages, a JSON list a line: the child's
(on its stdout) are its progress inside a stage (read from scikit-learn's ``verbose`` lines: it
has no callback) and "stage k done"; the parent answers "go" on its stdin after each stage, so
that a map that waits for another (``cancelled`` blocks at a pause) does not start its next
stage meanwhile.

Both ways run the same stages (``tsne_stages.Stages``) on the same input: the same map comes out.
"""

from __future__ import annotations

import json
import logging
import os
import queue
import re
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path
from typing import Callable

import numpy as np

from vsdesk.engine import child_process
from vsdesk.engine.files import process_running, process_start
from vsdesk.engine.tasks import CancelledError, pause_ends_when
from vsdesk.engine.tsne_stages import Settings, Stages

log = logging.getLogger(__name__)

#: How long the parent waits for a message before it asks ``cancelled`` again (seconds).
POLL_S = 0.1
#: This module's name, as the child is started (``child_process.run_child`` runs its ``main``).
MODULE = child_process.TSNE_MODULE

#: ``(stage, iterations done in it, what it is doing in words)``
WithinStage = Callable[[int, int, str], None]
#: ``(stages done, the embedding after the last of them)``; may raise to stop.
StageDone = Callable[[int, np.ndarray], None]


class ChildUnavailable(OSError):
    """The child process could not be started: the stages may run in this process instead."""


class ChildEnded(RuntimeError):
    """The child process ended without a word (killed: out of memory, say). An expected failure
    (the engine's own type: said in words, no traceback logged); the map may be tried again."""

    def __init__(self, exitcode: int | None):
        self.exitcode = exitcode
        how = f"stopped by signal {-exitcode}" if exitcode is not None and exitcode < 0 else f"exit code {exitcode}"
        super().__init__(f"its process ended unexpectedly ({how}: out of memory, perhaps)")


class ChildFailed(RuntimeError):
    """The child process said its stages failed (an exception there: ``main``), in its words
    (``said``: its type and message). An expected failure too (the engine's own type: said as
    it is, no traceback of this process's, which has none): a plain RuntimeError was shown as
    "unexpected error" with a pointer to the log, which held only this side's traceback."""

    def __init__(self, said: str):
        self.said = said
        super().__init__(f"t-SNE failed: {said}")


def run_stages(x: np.ndarray, start: np.ndarray, first: int, stages: int, settings: Settings,
               stage_done: StageDone) -> np.ndarray:
    """Stages ``first`` .. ``stages - 1`` in this process (a small map: no child's start-up)."""
    embedding, steps = start, Stages(x, settings)
    for stage in range(first, stages):
        embedding = steps.run(embedding, stage)
        stage_done(stage + 1, embedding)
    return embedding


def run_stages_in_child(x: np.ndarray, start: np.ndarray, first: int, stages: int, settings: Settings,
                        stage_done: StageDone, within: WithinStage, cancelled: Callable[[], bool]) -> np.ndarray:
    """``run_stages`` in a child process: ``within`` told its progress inside each stage,
    ``cancelled`` asked every ``POLL_S`` (it may block, at a pause: the child then ends its
    stage and waits); once it says so, the child is ended and ``CancelledError`` raised."""
    sweep_orphaned_folders()
    with tempfile.TemporaryDirectory(prefix=_own_folder_prefix()) as tmp:
        folder = Path(tmp)
        try:
            np.save(folder / "x.npy", np.ascontiguousarray(x, np.float32), allow_pickle=False)
            np.save(folder / "start.npy", np.ascontiguousarray(start, np.float32), allow_pickle=False)
            child = child_process.start_child(MODULE, [str(folder), str(first), str(stages), json.dumps(list(settings))])
        except OSError as exc:  # a full temporary folder, no process left to start
            raise ChildUnavailable(str(exc)) from exc
        messages = None
        embedding = np.asarray(start, np.float32)
        try:
            messages = _Messages(child)  # (a thread that cannot start: the child ended all the same)
            with pause_ends_when(lambda: child.poll() is not None):
                embedding = _drive(child, messages, folder, embedding, first, stages, stage_done, within, cancelled)
        finally:
            _end(child, messages)
    return embedding


def _end(child: subprocess.Popen, messages: _Messages | None) -> None:
    if child.poll() is None:
        child.terminate()
    try:
        child.wait(5)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()
    if messages is not None:
        messages.reader.join(1.0)  # (its stdout's end, read before the pipe is closed under it)
    for pipe in (child.stdin, child.stdout):
        try:
            pipe.close()
        except OSError:  # (a "go" not delivered, flushed on closing: it ended)
            pass


class _Messages:
    """The child's messages, read from its stdout by a thread of their own (so that the parent
    waits for one at most ``POLL_S``, on any system); None once it closed its stdout."""

    def __init__(self, child: subprocess.Popen):
        self.lines: queue.Queue[bytes | None] = queue.Queue()
        self.reader = threading.Thread(target=self._read, args=(child.stdout,), name="vsdesk-tsne-messages",
                                       daemon=True)
        self.reader.start()

    def _read(self, stream) -> None:
        try:
            for line in stream:
                self.lines.put(line)
        except (OSError, ValueError):  # closed by ``_end``
            pass
        finally:
            self.lines.put(None)


def _drive(child: subprocess.Popen, messages: _Messages, folder: Path, embedding: np.ndarray, first: int,
           stages: int, stage_done: StageDone, within: WithinStage, cancelled: Callable[[], bool]) -> np.ndarray:
    """The parent's side: the child's messages until its last stage is done."""
    stage = first
    while stage < stages:
        message = _next_message(messages, child, cancelled)
        if message[0] == "within":
            within(stage, int(message[1]), str(message[2]))
        elif message[0] == "stage":
            embedding = np.load(folder / f"stage-{stage}.npy", allow_pickle=False)
            stage += 1
            stage_done(stage, embedding)
            if stage < stages:
                try:
                    child.stdin.write(b"go\n")
                    child.stdin.flush()
                except OSError:  # it ended while we waited at a pause (BrokenPipeError)
                    raise _ended(child) from None
        elif message[0] == "failed":
            log.warning("the map's t-SNE process failed: %s", message[1])
            raise ChildFailed(str(message[1]))
    return embedding


def _next_message(messages: _Messages, child: subprocess.Popen, cancelled: Callable[[], bool]) -> list:
    """The child's next message. Its end without one is seen within ``POLL_S`` (its stdout
    closed), also while ``cancelled`` waits at a pause (``pause_ends_when``: its exit asked)."""
    while True:
        if cancelled():
            child.terminate()
            raise CancelledError("cancelled")
        try:
            line = messages.lines.get(timeout=POLL_S)
        except queue.Empty:
            if child.poll() is not None:  # ended: its last words, if any, then its stdout's end
                messages.reader.join(1.0)
                if messages.lines.empty():  # (its stdout held open by another process)
                    raise _ended(child) from None
            continue
        if line is None:  # the child ended (killed: out of memory, say) without a word
            raise _ended(child)
        message = _parsed(line)
        if message is not None:
            return message


def _parsed(line: bytes) -> list | None:
    """A message of the child (a JSON list of a word and its values), or None for anything else."""
    try:
        message = json.loads(line)
    except ValueError:
        message = None
    if isinstance(message, list) and message and isinstance(message[0], str):
        return message
    log.debug("t-SNE process: not a message: %r", line[:200])
    return None


def _ended(child: subprocess.Popen) -> ChildEnded:
    try:
        child.wait(5)
    except subprocess.TimeoutExpired:
        pass
    log.warning("the map's t-SNE process ended unexpectedly (exit code %s)", child.returncode)
    return ChildEnded(child.returncode)


# -- temporary folders left by a window that was killed ------------------------------------------

#: The child's folders in the temporary folder: ``vsdesk-tsne-<the parent's pid>.<its start>-<random>``,
#: its start as ``files.process_start`` tells it (where it cannot: ``vsdesk-tsne-<pid>-<random>``,
#: as before session 27): a folder whose owner's pid was given to another process since is swept.
FOLDER_PREFIX = "vsdesk-tsne-"
_OUR_FOLDER = re.compile(re.escape(FOLDER_PREFIX) + r"(\d{1,9})(?:\.(\d+))?-[A-Za-z0-9_]+")  # (a pid os.kill takes)
#: Those of a vsdesk before session 24, without the pid: ``tempfile``'s 8 random characters.
_OLD_FOLDER = re.compile(re.escape(FOLDER_PREFIX) + r"[a-z0-9_]{8}")
#: How long such a folder and each file in it are untouched before they are taken to be left
#: behind (their owner unknown): a map writes its folder at each stage, minutes apart at most.
OLD_FOLDER_AGE_S = 24 * 3600
#: The files the folder holds (``run_stages_in_child``, ``main``): only those are deleted.
_OUR_FILE = re.compile(r"(x|start|stage-\d+)\.npy")


def sweep_orphaned_folders(where: str | None = None) -> list[Path]:
    """Delete the child's folders whose owner (the window or command that made it) no longer
    runs: killed (kill -9, a crash), it could not delete its own, 176 KB to 1.4 MB each; and
    those named by an older vsdesk (no owner in the name) untouched for ``OLD_FOLDER_AGE_S``.
    Only a folder of ours (its name, our user's, holding only files of ours, no folder) is
    touched, file by file, never anything else. Returns those deleted."""
    swept = []
    try:
        entries = list(os.scandir(where or tempfile.gettempdir()))
    except OSError:
        return swept
    before = time.time() - OLD_FOLDER_AGE_S
    for entry in entries:
        found = _OUR_FOLDER.fullmatch(entry.name)
        if found:
            if process_running(int(found[1]), found[2]):
                continue
            older_than = None
        elif _OLD_FOLDER.fullmatch(entry.name):
            older_than = before
        else:
            continue
        try:
            if _remove_if_ours(entry, older_than):
                swept.append(Path(entry.path))
        except OSError as exc:  # another process sweeping it too, or not ours to delete after all
            log.debug("could not remove %s: %s", entry.path, exc)
    if swept:
        log.info("removed %d temporary folder(s) of maps whose process was killed", len(swept))
    return swept


def _own_folder_prefix() -> str:
    """The start of the name of this process's folders (``FOLDER_PREFIX``)."""
    start = process_start(os.getpid())
    return f"{FOLDER_PREFIX}{os.getpid()}{'' if start is None else '.' + start}-"


def _remove_if_ours(entry: os.DirEntry, older_than: float | None) -> bool:
    """Remove the folder ``entry`` if it is ours (our user's, only files of ours in it) and, with
    ``older_than``, it and each of them were last written before then. Whether it was removed."""
    folder = entry.stat(follow_symlinks=False)
    ours = os.getuid() if hasattr(os, "getuid") else folder.st_uid  # (Windows: no owner told)
    if not entry.is_dir(follow_symlinks=False) or folder.st_uid != ours:
        return False
    files = list(os.scandir(entry.path))
    if not all(_OUR_FILE.fullmatch(f.name) and f.is_file(follow_symlinks=False) for f in files):
        return False
    if older_than is not None and max([folder.st_mtime, *(f.stat(follow_symlinks=False).st_mtime for f in files)]) \
            >= older_than:
        return False
    for f in files:
        os.unlink(f.path)
    os.rmdir(entry.path)
    return True


# -- the child -----------------------------------------------------------------------------------

def main(arguments: list[str]) -> int:
    """The child process (``child_process.child_command``): runs the stages, telling the parent each one's
    progress and end on its stdout, the only words there (``os.dup2``: anything else written
    to it, by a library say, goes to stderr); waits for "go" on its stdin between stages."""
    folder, first, stages, settings = arguments[0], int(arguments[1]), int(arguments[2]), json.loads(arguments[3])
    go = _end_with_the_parent()
    channel = os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1)
    try:
        os.dup2(2, 1)
    except OSError:  # no stderr to write to: nowhere
        os.dup2(os.open(os.devnull, os.O_WRONLY), 1)

    def send(*message) -> None:
        channel.write(json.dumps(message) + "\n")
        channel.flush()

    sys.stdout = _VerboseLines(send)
    where = Path(folder)
    try:
        x = np.load(where / "x.npy", allow_pickle=False)
        embedding = np.load(where / "start.npy", allow_pickle=False)
        steps = Stages(x, Settings(*settings), verbose=2)
        for stage in range(first, stages):
            embedding = steps.run(embedding, stage)
            np.save(where / f"stage-{stage}.npy", embedding, allow_pickle=False)
            send("stage", stage)
            if stage + 1 < stages:
                go.get()  # "go": we may wait while another map goes first
    except (BrokenPipeError, ConnectionResetError):
        return 0  # the parent went: nothing to tell
    except Exception as exc:  # noqa: BLE001 - told to the parent, which raises it (``ChildFailed``)
        traceback.print_exc()  # (on the parent's stderr, if it has one: where it failed)
        try:
            send("failed", f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__)  # (MemoryError())
        except OSError:
            pass
        return 1
    return 0


def _end_with_the_parent() -> queue.Queue[bytes]:
    """The parent's "go"s (its lines on our stdin), read by a thread of their own that ends this
    process as soon as the parent is gone (cancelled or killed: its end of the pipe closed).
    Else a child whose window was killed went on computing until it next wrote a line (the
    neighbours of 30,000 points: 5-6 s of a core in silence)."""
    lines: queue.Queue[bytes] = queue.Queue()

    def read() -> None:
        try:
            for line in sys.stdin.buffer:
                lines.put(line)
        except (OSError, ValueError):  # (no stdin at all: no parent to wait for either)
            pass
        os._exit(0)  # the parent went: nothing to tell, nothing of ours to clean (its folder)

    threading.Thread(target=read, name="vsdesk-tsne-parent", daemon=True).start()
    return lines


#: scikit-learn's ``verbose=2`` lines that say where a stage is, and the words for them.
_ITERATION = re.compile(r"\[t-SNE\] Iteration (\d+):")
_CONDITIONAL = re.compile(r"\[t-SNE\] Computed conditional probabilities for sample (\d+) / (\d+)")


class _VerboseLines:
    """A stand-in for the child's ``sys.stdout``: each of scikit-learn's lines turned into
    (iterations done in the stage, words for the step before them)."""

    def __init__(self, send: Callable[..., None]):
        self._send = send
        self._buffer = ""

    def write(self, text: str) -> int:
        self._buffer += text
        *lines, self._buffer = self._buffer.split("\n")
        for line in lines:
            said = verbose_progress(line)
            if said is not None:
                self._send("within", *said)
        return len(text)

    def flush(self) -> None:
        pass


def verbose_progress(line: str) -> tuple[int, str] | None:
    """One of scikit-learn's t-SNE lines -> (iterations done in the stage, words), or None."""
    if line.startswith("[t-SNE] Computing") and "nearest neighbors" in line:
        return 0, "finding each image's neighbours"
    found = _CONDITIONAL.match(line)
    if found:
        return 0, f"weighing neighbours, {found[1]} of {found[2]} images"
    found = _ITERATION.match(line)
    if found:
        return int(found[1]), ""
    return None
