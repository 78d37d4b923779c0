"""t-SNE stages, run in this process or in a child process of their own.

Why a child: scikit-learn's t-SNE holds Python's GIL most of the time it runs (the review
sampled the window's process: 121 of 153 samples held by the map's thread, in
``_kl_divergence_bh``), so the window's thread got little time and repainted in seconds while
a big catalog was mapped. A child process (``multiprocessing``, "spawn": a fresh interpreter
that imports only this module, NumPy and scikit-learn, never TensorFlow or Qt) has a GIL of
its own. It is stopped at once on cancel (``terminate``).

What goes between the two: the input and each stage's embedding as ``.npy`` files in a
temporary folder (``allow_pickle=False``), and small messages on a pipe: the child's progress
inside a stage (read from scikit-learn's ``verbose`` lines: it has no callback) and "stage k
done"; the parent answers "go on" after each stage, so that a map that waits for another
(``cancelled`` blocks at a pause) does not start its next stage meanwhile.

Both ways run the same stages (``tsne_stage``) on the same input: the same map comes out.
"""

from __future__ import annotations

import logging
import os
import re
import sys
import tempfile
from pathlib import Path
from typing import Callable, NamedTuple

import numpy as np

from vsdesk.engine.files import process_running
from vsdesk.engine.tasks import CancelledError, pause_ends_when

log = logging.getLogger(__name__)

#: Iterations per t-SNE stage (scikit-learn requires max_iter >= 250).
STAGE_ITERATIONS = 250
EARLY_EXAGGERATION = 12.0
#: Maps of up to this many points use exact t-SNE (quick at that size), bigger ones Barnes-Hut.
EXACT_MAX_POINTS = 500
#: How often, in iterations, scikit-learn says where it is (its default is 50: 12 s and more
#: apart on 15,000 points). It also checks its stopping rules then, which here only matters
#: for the gradient-norm rule (1e-7, not met by a map of a stage's length), and works out the
#: error, a small part of an iteration's cost.
REPORT_EVERY = 10
#: How long the parent waits for a message before it asks ``cancelled`` again (seconds).
POLL_S = 0.1

#: ``(stage, iterations done in it, what it is doing in words)``
WithinStage = Callable[[int, int, str], None]
#: ``(stages done, the embedding after the last of them)``; may raise to stop.
StageDone = Callable[[int, np.ndarray], None]


class Settings(NamedTuple):
    perplexity: float
    learning_rate: float
    random_state: int
    exaggerate_first: bool  # the first stage is t-SNE's early exaggeration (a map not refined)


def tsne_stage(x: np.ndarray, start: np.ndarray, stage: int, settings: Settings, verbose: int = 0) -> np.ndarray:
    """One stage of ``STAGE_ITERATIONS`` iterations from ``start``: (n, 2) float32."""
    from sklearn.manifold import TSNE

    class ReportingTSNE(TSNE):
        _N_ITER_CHECK = REPORT_EVERY

    tsne = ReportingTSNE(
        n_components=2,
        perplexity=settings.perplexity,
        early_exaggeration=EARLY_EXAGGERATION if stage == 0 and settings.exaggerate_first else 1.0,
        learning_rate=settings.learning_rate,
        max_iter=STAGE_ITERATIONS,
        init=start,
        random_state=settings.random_state,
        method="barnes_hut" if len(x) > EXACT_MAX_POINTS else "exact",
        verbose=verbose,
    )
    return tsne.fit_transform(x).astype(np.float32)


class ChildUnavailable(OSError):
    """The child process could not be started: the stages may run in this process instead."""


class ChildEnded(RuntimeError):
    """The child process ended without a word (killed: out of memory, say). An expected failure
    (the engine's own type: said in words, no traceback logged); the map may be tried again."""

    def __init__(self, exitcode: int | None):
        self.exitcode = exitcode
        how = f"stopped by signal {-exitcode}" if exitcode is not None and exitcode < 0 else f"exit code {exitcode}"
        super().__init__(f"its process ended unexpectedly ({how}: out of memory, perhaps)")


def run_stages(x: np.ndarray, start: np.ndarray, first: int, stages: int, settings: Settings,
               stage_done: StageDone) -> np.ndarray:
    """Stages ``first`` .. ``stages - 1`` in this process (a small map: no child's start-up)."""
    embedding = start
    for stage in range(first, stages):
        embedding = tsne_stage(x, embedding, stage, settings)
        stage_done(stage + 1, embedding)
    return embedding


def run_stages_in_child(x: np.ndarray, start: np.ndarray, first: int, stages: int, settings: Settings,
                        stage_done: StageDone, within: WithinStage, cancelled: Callable[[], bool]) -> np.ndarray:
    """``run_stages`` in a child process: ``within`` told its progress inside each stage,
    ``cancelled`` asked every ``POLL_S`` (it may block, at a pause: the child then ends its
    stage and waits); once it says so, the child is ended and ``CancelledError`` raised."""
    import multiprocessing

    spawn = multiprocessing.get_context("spawn")
    sweep_orphaned_folders()
    with tempfile.TemporaryDirectory(prefix=f"{FOLDER_PREFIX}{os.getpid()}-") as tmp:
        folder = Path(tmp)
        try:
            np.save(folder / "x.npy", np.ascontiguousarray(x, np.float32), allow_pickle=False)
            np.save(folder / "start.npy", np.ascontiguousarray(start, np.float32), allow_pickle=False)
            ours, theirs = spawn.Pipe()
            child = spawn.Process(target=child_main, args=(str(folder), first, stages, tuple(settings), theirs),
                                  name="vsdesk-tsne", daemon=True)
            child.start()
        except OSError as exc:  # a full temporary folder, no process left to start
            raise ChildUnavailable(str(exc)) from exc
        theirs.close()
        embedding = np.asarray(start, np.float32)
        try:
            with pause_ends_when(lambda: not child.is_alive()):
                embedding = _drive(child, ours, folder, embedding, first, stages, stage_done, within, cancelled)
        finally:
            if child.is_alive():
                child.terminate()
            child.join(5)
            ours.close()
    return embedding


def _drive(child, ours, folder: Path, embedding: np.ndarray, first: int, stages: int, stage_done: StageDone,
           within: WithinStage, cancelled: Callable[[], bool]) -> np.ndarray:
    """The parent's side: the child's messages until its last stage is done."""
    stage = first
    while stage < stages:
        message = _next_message(ours, child, cancelled)
        if message[0] == "within":
            within(stage, message[1], message[2])
        elif message[0] == "stage":
            embedding = np.load(folder / f"stage-{stage}.npy", allow_pickle=False)
            stage += 1
            stage_done(stage, embedding)
            if stage < stages:
                try:
                    ours.send(("go",))
                except (BrokenPipeError, ConnectionResetError):  # it ended while we waited at a pause
                    raise _ended(child) from None
        elif message[0] == "failed":
            raise RuntimeError(f"t-SNE failed: {message[1]}")
    return embedding


def _next_message(conn, child, cancelled: Callable[[], bool]) -> tuple:
    """The child's next message. Its end without one is seen within ``POLL_S`` (its liveness
    asked, not only the pipe), also while ``cancelled`` waits at a pause (``pause_ends_when``)."""
    while True:
        if cancelled():
            child.terminate()
            raise CancelledError("cancelled")
        if conn.poll(POLL_S):
            try:
                return conn.recv()
            except EOFError:  # the child ended (killed: out of memory, say) without a word
                raise _ended(child) from None
        elif not child.is_alive() and not conn.poll(0):  # (a last message sent as it ended is read first)
            raise _ended(child)


def _ended(child) -> ChildEnded:
    child.join(5)
    log.warning("the map's t-SNE process ended unexpectedly (exit code %s)", child.exitcode)
    return ChildEnded(child.exitcode)


# -- temporary folders left by a window that was killed ------------------------------------------

#: The child's folders in the temporary folder: ``vsdesk-tsne-<the parent's pid>-<random>``.
FOLDER_PREFIX = "vsdesk-tsne-"
_OUR_FOLDER = re.compile(re.escape(FOLDER_PREFIX) + r"(\d{1,9})-[A-Za-z0-9_]+")  # (a pid os.kill takes)
#: The files the folder holds (``run_stages_in_child``, ``child_main``): only those are deleted.
_OUR_FILE = re.compile(r"(x|start|stage-\d+)\.npy")


def sweep_orphaned_folders(where: str | None = None) -> list[Path]:
    """Delete the child's folders whose owner (the window or command that made it) no longer
    runs: killed (kill -9, a crash), it could not delete its own, 176 KB to 1.4 MB each. Only a
    folder of ours (its name, our user's, holding only files of ours) is touched, file by file,
    never anything else. Returns those deleted."""
    swept = []
    try:
        entries = list(os.scandir(where or tempfile.gettempdir()))
    except OSError:
        return swept
    for entry in entries:
        found = _OUR_FOLDER.fullmatch(entry.name)
        if not found or process_running(int(found[1])):
            continue
        try:
            if not entry.is_dir(follow_symlinks=False) or entry.stat(follow_symlinks=False).st_uid != os.getuid():
                continue
            files = list(os.scandir(entry.path))
            if not all(_OUR_FILE.fullmatch(f.name) and f.is_file(follow_symlinks=False) for f in files):
                continue
            for f in files:
                os.unlink(f.path)
            os.rmdir(entry.path)
            swept.append(Path(entry.path))
        except OSError as exc:  # another process sweeping it too, or not ours to delete after all
            log.debug("could not remove %s: %s", entry.path, exc)
    if swept:
        log.info("removed %d temporary folder(s) of maps whose process was killed", len(swept))
    return swept


# -- the child -----------------------------------------------------------------------------------

def child_main(folder: str, first: int, stages: int, settings: tuple, conn) -> None:
    """The child process: runs the stages, telling the parent each one's progress and end."""
    where = Path(folder)
    sys.stdout = _VerboseLines(conn)
    try:
        x = np.load(where / "x.npy", allow_pickle=False)
        embedding = np.load(where / "start.npy", allow_pickle=False)
        for stage in range(first, stages):
            embedding = tsne_stage(x, embedding, stage, Settings(*settings), verbose=2)
            np.save(where / f"stage-{stage}.npy", embedding, allow_pickle=False)
            conn.send(("stage", stage))
            if stage + 1 < stages:
                conn.recv()  # "go on": the parent may keep us waiting while another map goes first
    except (EOFError, BrokenPipeError):
        pass  # the parent went (cancelled, or killed): nothing to tell
    except Exception as exc:  # noqa: BLE001 - told to the parent, which raises it
        conn.send(("failed", f"{type(exc).__name__}: {exc}"))
    finally:
        conn.close()


#: scikit-learn's ``verbose=2`` lines that say where a stage is, and the words for them.
_ITERATION = re.compile(r"\[t-SNE\] Iteration (\d+):")
_CONDITIONAL = re.compile(r"\[t-SNE\] Computed conditional probabilities for sample (\d+) / (\d+)")


class _VerboseLines:
    """A stand-in for the child's ``sys.stdout``: each of scikit-learn's lines turned into
    (iterations done in the stage, words for the step before them)."""

    def __init__(self, conn):
        self._conn = conn
        self._buffer = ""

    def write(self, text: str) -> int:
        self._buffer += text
        *lines, self._buffer = self._buffer.split("\n")
        for line in lines:
            said = verbose_progress(line)
            if said is not None:
                self._conn.send(("within", *said))
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
