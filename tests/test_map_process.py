"""The map's child process (``tsne_process``): a child that never imports the caller's main
module (nor, in the bundle, anything but the app's own entry), its old folders swept."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from conftest import FASHION_MNIST_DIR, REPO
from vsdesk.engine.projection import project
from vsdesk.engine.tsne_stages import STAGE_ITERATIONS, Settings


def fashion_vectors(n: int) -> np.ndarray:
    """The first ``n`` Fashion-MNIST test images as (n, 784) float32 vectors."""
    from vsdesk.engine.samples._fashion_mnist import load_fashion_mnist

    os.environ.setdefault("VSDESK_FASHION_MNIST_DIR", str(FASHION_MNIST_DIR))
    images, _labels = load_fashion_mnist("test", download=False)
    return images[:n].reshape(n, -1).astype(np.float32) / 255.0


def test_a_script_without_a_main_guard_maps_600_points(tmp_path):
    """The child was started with multiprocessing's "spawn", which imports the caller's main
    module again: a script calling ``project`` at its top level (no ``if __name__ ==
    "__main__":``) got "process ended unexpectedly" for any map of over 500 points."""
    script = tmp_path / "map_them.py"
    script.write_text(
        "import sys\n"
        "import numpy as np\n"
        "from vsdesk.engine.projection import project\n"
        "from vsdesk.engine.samples._fashion_mnist import load_fashion_mnist\n"
        "images, _labels = load_fashion_mnist('test', download=False)\n"
        "xy = project(images[:600].reshape(600, -1).astype(np.float32) / 255, iterations=250)\n"
        "np.save(sys.argv[1], xy)\n"
        "print('mapped', xy.shape)\n")
    out = tmp_path / "xy.npy"
    env = dict(os.environ, VSDESK_FASHION_MNIST_DIR=str(FASHION_MNIST_DIR))
    done = subprocess.run([sys.executable, str(script), str(out)], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0 and "mapped (600, 2)" in done.stdout, done.stderr[-3000:]
    xy = np.load(out)
    assert xy.shape == (600, 2) and np.isfinite(xy).all() and float(np.ptp(xy, axis=0).min()) > 1.0


def test_in_the_bundle_the_child_is_the_apps_own_entry(tmp_path, monkeypatch):
    """In the PyInstaller bundle ``sys.executable`` is vsdesk itself, which has no ``-m``: the
    child is started as the app with ``CHILD_ARGUMENT``, which its entry
    (``packaging/vsdesk_entry.py``) runs. The app stands in here as a script running that entry."""
    from vsdesk.engine.child_process import CHILD_ARGUMENT, TSNE_MODULE, child_command

    app = tmp_path / "vsdesk"
    app.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{REPO / "packaging" / "vsdesk_entry.py"}" "$@"\n')
    app.chmod(0o755)
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", str(app))
    assert child_command(TSNE_MODULE, ["/tmp/f"])[:3] == [str(app), CHILD_ARGUMENT, TSNE_MODULE]
    x = fashion_vectors(120)
    said = []
    xy = project(x, lambda done, total, words="": said.append(done), iterations=500, in_child=True)
    monkeypatch.undo()
    assert any(0 < done < STAGE_ITERATIONS for done in said)  # told from inside the child's stage
    assert np.array_equal(xy, project(x, iterations=500, in_child=False))


def test_folders_an_older_vsdesk_left_are_swept_once_a_day_old_and_only_ours(tmp_path, monkeypatch):
    """Before session 24 the child's folder was ``vsdesk-tsne-<8 random characters>``, without
    its owner's pid: those a killed window left were never swept. They are, once they and
    their files are untouched for a day, when they are ours: our user's, only our files, no
    folder inside (never recursive)."""
    import tempfile

    from vsdesk.engine.tsne_process import OLD_FOLDER_AGE_S, sweep_orphaned_folders

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    day_ago = time.time() - OLD_FOLDER_AGE_S - 60

    def folder(name: str, *files: str, old: bool = True) -> Path:
        (tmp_path / name).mkdir()
        for file in files:
            np.save(tmp_path / name / file, np.zeros((3, 2), np.float32), allow_pickle=False)
            if old:
                os.utime(tmp_path / name / file, (day_ago, day_ago))
        if old:
            os.utime(tmp_path / name, (day_ago, day_ago))
        return tmp_path / name

    left = folder("vsdesk-tsne-k2j4x_9a", "x.npy", "start.npy", "stage-0.npy", "stage-1.npy")
    empty = folder("vsdesk-tsne-0h7qw3zz")
    fresh = folder("vsdesk-tsne-ab12cd34", "x.npy", old=False)
    written_today = folder("vsdesk-tsne-mm34nn56", "x.npy", "start.npy")
    os.utime(written_today / "start.npy")  # a file touched now: a map may still use it
    foreign = folder("vsdesk-tsne-pp78qq90", "x.npy", "notes.npy")  # a file we never write
    nested = folder("vsdesk-tsne-rr12ss34", "x.npy")
    (nested / "inner").mkdir()
    np.save(nested / "inner" / "x.npy", np.zeros(2))
    os.utime(nested, (day_ago, day_ago))
    other_name = folder("vsdesk-tsne-short", "x.npy")  # not tempfile's 8 characters
    keep = [fresh, written_today, foreign, nested, other_name]
    if os.getuid() == 0:  # another user's: never ours to delete
        theirs = folder("vsdesk-tsne-tt56uu78", "x.npy")
        os.chown(theirs, 65534, 65534)
        os.utime(theirs, (day_ago, day_ago))
        keep.append(theirs)
    swept = sweep_orphaned_folders()
    assert sorted(swept) == sorted([left, empty])
    assert not left.exists() and not empty.exists()
    assert all(p.exists() for p in keep) and (nested / "inner" / "x.npy").exists()
    assert sorted(p.name for p in foreign.iterdir()) == ["notes.npy", "x.npy"]


#: A window mapping a catalog in a child (``project``, in_child), telling its progress.
MAPPING_PARENT = """
import sys
import numpy as np
from vsdesk.engine.projection import project
from vsdesk.engine.samples._fashion_mnist import load_fashion_mnist
images, _labels = load_fashion_mnist("train", download=False)
x = images[:{n}].reshape({n}, -1).astype(np.float32) / 255
project(x, lambda done, total, words="": print(words, flush=True), iterations=250, in_child=True)
"""


def _process_gone(pid: int) -> bool:
    """Whether process ``pid`` ended (a zombie no one reaps, in a container, is gone too)."""
    try:
        return (Path("/proc") / str(pid) / "stat").read_text().rpartition(")")[2].split()[0] == "Z"
    except OSError:
        return True


def test_the_child_ends_at_once_when_its_parent_is_killed(tmp_path):
    """The child ended only when it next wrote a line to its parent (``BrokenPipeError``): a
    window killed while its map's child looked for 30,000 points' neighbours left it computing
    in silence for 5-6 s (on two busy cores). It reads its stdin on a thread of its own and ends at its close."""
    # (its temporary folder, left by the parent killed, in the test's own)
    env = dict(os.environ, VSDESK_FASHION_MNIST_DIR=str(FASHION_MNIST_DIR), TMPDIR=str(tmp_path))
    parent = subprocess.Popen([sys.executable, "-c", MAPPING_PARENT.format(n=30_000)], stdout=subprocess.PIPE,
                              text=True, env=env, cwd=tmp_path)
    child = None
    try:
        for line in parent.stdout:  # the child's first word: it looks for the neighbours, in silence
            if "neighbours" in line:
                break
        [child] = [pid for pid in _children(parent.pid) if b"vsdesk.engine.tsne_process" in _command(pid)]
        parent.kill()
        parent.wait()
        killed = time.monotonic()
        while not _process_gone(child) and time.monotonic() - killed < 30:
            time.sleep(0.01)
        lived = time.monotonic() - killed
        assert lived < 1.0, f"the child went on for {lived:.1f} s after its parent was killed"
    finally:
        if parent.poll() is None:
            parent.kill()
        if child is not None and not _process_gone(child):
            os.kill(child, 9)


def _children(pid: int) -> list[int]:
    return [int(p) for p in (Path("/proc") / str(pid) / "task" / str(pid) / "children").read_text().split()]


def _command(pid: int) -> bytes:
    try:
        return (Path("/proc") / str(pid) / "cmdline").read_bytes()
    except OSError:
        return b""


def test_a_child_that_fails_says_why_in_an_error_of_its_own_shown_as_such(caplog):
    """A failure inside the child (here scikit-learn refusing a perplexity over its 600 points)
    came as a plain RuntimeError: the window said "unexpected error (RuntimeError: ...)" and
    pointed at a log holding only this side's traceback. It is ``ChildFailed``, with the
    child's words, said as the engine's own errors are; one warning in the log."""
    from vsdesk.engine.tsne_process import ChildFailed, run_stages_in_child
    from vsdesk.gui.errors import user_message

    x = fashion_vectors(600)[:, ::16]  # (49 dimensions: no PCA needed)
    start = np.zeros((600, 2), np.float32)
    with caplog.at_level("WARNING"):
        try:
            run_stages_in_child(x, start, 0, 1, Settings(5000.0, 50.0, 0, True), lambda *_: None,
                                lambda *_: None, lambda: False)
        except Exception as exc:  # noqa: BLE001 - looked at below
            failed = exc
        else:
            failed = None
    assert isinstance(failed, ChildFailed), repr(failed)
    assert failed.said.startswith("ValueError: ") and "perplexity" in failed.said, failed.said
    assert "the map's t-SNE process failed: ValueError: " in caplog.text
    caplog.clear()
    with caplog.at_level("WARNING"):
        said = user_message(failed, "compute the map")
    assert said == f"Could not compute the map: t-SNE failed: {failed.said}", said
    assert not [r for r in caplog.records if r.levelname == "ERROR"]  # no "unexpected error" traceback


def _niceness(pid: int, thread: str) -> int:
    """A thread's niceness, from /proc (field 19 of its stat)."""
    return int((Path("/proc") / str(pid) / "task" / thread / "stat").read_text().rpartition(")")[2].split()[16])


def test_the_maps_child_and_all_its_threads_yield_the_cpu_to_the_window():
    """A query took 3-6 times as long while a map's t-SNE ran in its child at the window's own
    priority (on two cores: 0.3-0.6 s against 0.04-0.12 s). The child is niced, before NumPy
    starts its threads: on Linux each thread has its niceness, and only threads started later
    inherit a process's ``os.nice``."""
    from conftest import tsne_children
    from vsdesk.engine.child_process import BACKGROUND_NICENESS
    from vsdesk.engine.tsne_process import run_stages_in_child

    seen: dict[str, int] = {}
    ignored = []  # whether the child ignores SIGINT: a Ctrl+C in the terminal is the parent's to act on

    def within(_stage, _done, _words) -> None:
        if not seen:
            [child] = tsne_children()
            for thread in os.listdir(f"/proc/{child}/task"):
                seen[thread] = _niceness(child, thread)
            with open(f"/proc/{child}/status") as status:
                mask = int(next(line for line in status if line.startswith("SigIgn:")).split()[1], 16)
            ignored.append(bool(mask & (1 << (signal.SIGINT - 1))))

    x = fashion_vectors(600)[:, ::16]
    run_stages_in_child(x, np.zeros((600, 2), np.float32), 0, 1, Settings(30.0, 50.0, 0, True), lambda *_: None,
                        within, lambda: False)
    ours = os.getpriority(os.PRIO_PROCESS, 0)
    assert len(seen) > 1, seen  # (its reader of our "go"s at least, and NumPy's threads)
    assert set(seen.values()) == {min(19, ours + BACKGROUND_NICENESS)}, (ours, seen)
    assert ignored == [True]  # (it printed a KeyboardInterrupt traceback on the user's terminal)
