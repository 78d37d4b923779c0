"""Test-wide set-up: every test runs with its own vsdesk directories, never the user's."""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import tempfile
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = (REPO.parent / "shared" / "data").resolve()
STYLE_DIR = SHARED_DATA / "images-by-style"
CLOTHING_DIR = SHARED_DATA / "clothing-dataset"
FASHION_MNIST_DIR = SHARED_DATA / "fashion-mnist"

# Quieter TensorFlow, and the style artworks from the local mirror instead of the network.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # no display here or in CI
os.environ.setdefault("VSDESK_STYLE_MIRROR", str(STYLE_DIR))
os.environ.setdefault("VSDESK_FASHION_MNIST_DIR", str(FASHION_MNIST_DIR))  # local Fashion-MNIST copy


# -- the order the tests run in: the long ones first --------------------------------------------
# xdist's "worksteal" gives each of the two workers one half of the collected tests, in order,
# and a worker that runs out takes the second half of what the other has left. A long test
# late in a half could keep one worker busy for a minute while the other had nothing left.
# So each half starts with its share of the long tests, and the short ones come after, where
# they even out the end. Long: by the durations of the last run here (pytest's cache), or
# marked ``slow``: a slow test that was quick last time may have found its costly session
# fixture made by the test before it (test_product's shared training), and it stays beside
# that test, on the same worker. A module's tests stay together within each part (module
# fixtures are set up once per part).

DURATIONS_KEY = "vsdesk/durations"
LONG_S = 5.0  # a test that took this long last time is one of the long ones
COLLECTED_KEY = "vsdesk/collected"


def _is_long(item, durations: dict[str, float]) -> bool:
    known = durations.get(item.nodeid)
    return (known is not None and known >= LONG_S) or item.get_closest_marker("slow") is not None


def _last_durations(config) -> dict[str, float]:
    cache = getattr(config, "cache", None)
    return (cache.get(DURATIONS_KEY, {}) if cache is not None else {}) or {}


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node):
    """(xdist, in the main process) Every worker orders the tests by the same durations, read
    once: xdist stops a run whose workers collected the tests in different orders."""
    node.workerinput[DURATIONS_KEY] = _last_durations(node.config)


_collected: set[str] = set()  # every test this run collected, before -k or -m deselected some


@pytest.hookimpl(wrapper=True)
def pytest_collection_modifyitems(config, items):
    """Orders the tests after ``-k`` and ``-m`` have deselected some (the code after ``yield``),
    so that the two halves split what runs. Before that, it notes which tests exist, so that
    the durations of tests renamed or removed since are dropped from pytest's cache."""
    _collected.update(item.nodeid for item in items)
    if hasattr(config, "workeroutput"):  # (xdist) the main process keeps the durations
        config.workeroutput[COLLECTED_KEY] = sorted(_collected)
    yield
    worker = getattr(config, "workerinput", None)
    durations = worker.get(DURATIONS_KEY, {}) if worker is not None else _last_durations(config)
    long = [item for item in items if _is_long(item, durations)]
    short = [item for item in items if not _is_long(item, durations)]
    # The long tests split in two parts of about equal time, in their file order.
    seconds = [durations.get(item.nodeid, 30.0) for item in long]
    half, total = 0.0, sum(seconds) / 2
    split = next((i for i, s in enumerate(seconds) if (half := half + s) > total), len(long))
    first, second = long[:split], long[split:]
    room = max(0, len(items) // 2 - len(first))  # the first worker's half: its long tests, then short ones
    items[:] = first + short[:room] + second + short[room:]


_durations: dict[str, float] = {}  # this run's, by test


def pytest_runtest_logreport(report):
    """Each test's time (set-up, call and tear-down), for the next run's order."""
    _durations[report.nodeid] = _durations.get(report.nodeid, 0.0) + report.duration


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    """(xdist, in the main process) The tests a worker collected."""
    _collected.update(getattr(node, "workeroutput", {}).get(COLLECTED_KEY, []))


def _still_there(nodeid: str, collected_files: set[str]) -> bool:
    """Whether a test of the last runs' durations still exists: in a file this run collected,
    if it was collected; in another, if that file is still there."""
    file = nodeid.split("::", 1)[0]
    return nodeid in _collected if file in collected_files else (REPO / file).is_file()


def pytest_sessionfinish(session):
    cache = getattr(session.config, "cache", None)
    if cache is None or hasattr(session.config, "workerinput") or not _durations:
        return  # (the workers' times reach the main process, which keeps them)
    collected_files = {nodeid.split("::", 1)[0] for nodeid in _collected}
    kept = {nodeid: s for nodeid, s in (cache.get(DURATIONS_KEY, {}) or {}).items()
            if _still_there(nodeid, collected_files)}
    cache.set(DURATIONS_KEY, {**kept, **_durations})


#: The parts of the vsdesk cache that both xdist workers share: converted weights (the backbones,
#: the held-out twin's members: seconds to half a minute each), prepared samples, features and
#: checkpoints, each keyed by what it was made from and written aside then moved in place
#: (cache.py), so two processes share them safely and each is made once a run. Not the maps
#: (``projections``): a catalog's are found and removed by its name, and the two workers' tests
#: make catalogs of the same name at once ("art-style", after its folder), so one worker's
#: removal took the other's maps. The rest (the maps, the log file) is each worker's own.
SHARED_CACHE_PARTS = ("models", "keras", "samples", "fashion-mnist", "product-features", "vae", "checkpoints")


@pytest.fixture(scope="session")
def session_dirs(tmp_path_factory, worker_id) -> Path:
    """This worker's folder for the session: its ``cache`` (the tests' ``VSDESK_CACHE_DIR``)
    lasts the session (converted weights are costly to rebuild per test), and under xdist its
    ``SHARED_CACHE_PARTS`` are links to one folder both workers use. A test that changes the
    cache's files takes a cache of its own."""
    own = tmp_path_factory.mktemp("vsdesk-session")  # under this worker's own base folder
    if worker_id == "master":  # (no xdist)
        return own
    shared = tmp_path_factory.getbasetemp().parent / "vsdesk-session" / "cache"  # beside the workers' folders
    cache = own / "cache"
    cache.mkdir()
    for part in SHARED_CACHE_PARTS:
        (shared / part).mkdir(parents=True, exist_ok=True)
        (cache / part).symlink_to(shared / part, target_is_directory=True)
    return own


#: The longest path of a Unix socket's file (Linux: 108 bytes with its ending NUL; macOS 104).
SOCKET_PATH_MAX = 103


@pytest.fixture(scope="session", autouse=True)
def runtime_dir(tmp_path_factory):
    """This worker's own ``XDG_RUNTIME_DIR`` (0700, as the system's): the windows the tests start
    put their single-instance sockets there (``single_instance.socket_path``), not in the
    temporary folder, where one a window killed by a test left stayed for good (the tests set
    no runtime folder of their own; CI has none). Not where its sockets' paths would be too long
    for one (a long TMPDIR): they go to the temporary folder then, as before."""
    import getpass

    folder = tmp_path_factory.mktemp("run")
    folder.chmod(0o700)  # (Qt warns of a runtime folder others may read)
    longest = folder / f"vsdesk-{getpass.getuser()}-{'0' * 12}.sock"  # (socket_path's name)
    with pytest.MonkeyPatch.context() as patch:
        if len(os.fsencode(longest)) <= SOCKET_PATH_MAX:
            patch.setenv("XDG_RUNTIME_DIR", str(folder))
        yield folder


@pytest.fixture(scope="session", autouse=True)
def clipboard_emptied_at_the_end():
    """The clipboard emptied as the session ends: it owns the QMimeData a test's "Copy path"
    made in Python (``gallery.copy_file_path``), which Qt deleted at the process's exit, after
    Python had shut down (a segfault, exit status 139, once every test had passed). The app
    needs none of this: it ends with ``os._exit``, which runs no exit function of Qt's."""
    yield
    if "PySide6.QtWidgets" in sys.modules:  # (no test made a window: no clipboard to empty)
        from PySide6.QtWidgets import QApplication

        app = QApplication.instance()
        if app is not None:
            app.clipboard().clear()


@pytest.fixture(autouse=True)
def isolated_dirs(tmp_path, session_dirs, monkeypatch) -> Path:
    """Catalogs and settings per test; the model cache per session."""
    monkeypatch.setenv("VSDESK_CACHE_DIR", str(session_dirs / "cache"))
    monkeypatch.setenv("VSDESK_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("VSDESK_CONFIG_DIR", str(tmp_path / "config"))
    if "PySide6" in sys.modules:  # (a Qt-free run of the engine's tests never imports Qt for this)
        from vsdesk.gui.settings import keep_qt_settings_in_config_dir

        keep_qt_settings_in_config_dir()  # Qt's own settings too, as the window's start-up points them
    return tmp_path


_markers = itertools.count(1)


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    """``vsdesk ARGV...`` run in this process as a user runs it: (exit code, stdout, stderr)."""
    from vsdesk.cli import main

    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def wait_for_worker(qtbot, runner, worker: str, urgent: bool = False, timeout: int = 60_000) -> None:
    """Wait until ``runner``'s ``worker`` has run what was queued on it before now, and its
    results have reached the GUI thread: a marker task submitted now is done after them (a
    serial worker runs its tasks in order; the compute worker, ``PriorityWorker``, starts a
    task once those before it have ended or been cancelled), and its signals arrive after
    theirs. What the test then asserts did not happen had every chance to, however slow the
    machine. ``urgent``: the marker is urgent. On a serial worker it runs in the next pause of
    the running task, once the urgent tasks queued before it are done; on the compute worker
    it would go first at once and wait for nothing: refused (``TaskRunner.is_waiting`` tells a
    map that waits for another's)."""
    if urgent and worker == "compute":
        raise ValueError("an urgent marker on the compute worker waits for nothing: use runner.is_waiting(slot)")
    done = []
    runner.submit(f"test/marker-{next(_markers)}", lambda ctx: None, worker=worker, urgent=urgent,
                  on_done=done.append)
    qtbot.waitUntil(lambda: done == [None], timeout=timeout)


def settle(widget) -> None:
    """Let Qt finish what it has queued: layout requests, queued calls (a scroll bar shown or
    hidden), window-system events and repaints, and whatever they queue in turn, until a pass
    of the event loop has nothing left to deliver. An item view lays its items out on a timer
    (100 ms after a resize): those in ``widget`` do it at once, in each pass. The geometry is
    then what the user sees once the window is idle, however slow the machine (a fixed wait
    only hoped so). Not for a moment when background work keeps reporting: it never settles."""
    from PySide6.QtCore import QEvent, QObject
    from PySide6.QtWidgets import QAbstractItemView, QApplication

    class Counter(QObject):
        delivered = 0

        def eventFilter(self, _watched, event) -> bool:  # Qt's name
            if event.type() != QEvent.Type.Timer:  # a timer ticking by itself settles nothing
                self.delivered += 1
            return False

    views = [widget] if isinstance(widget, QAbstractItemView) else []
    views += widget.findChildren(QAbstractItemView)
    app = QApplication.instance()
    counter = Counter()
    app.installEventFilter(counter)
    try:
        for _ in range(1000):
            counter.delivered = 0
            for view in views:
                view.executeDelayedItemsLayout()
            app.processEvents()
            if counter.delivered == 0:
                return
    finally:
        app.removeEventFilter(counter)
    raise AssertionError("Qt kept posting events: the window never settled")



def copy_images(files, folder):
    """Copies of ``files`` in ``folder`` (made if needed): a catalog folder a test may change."""
    folder.mkdir(parents=True, exist_ok=True)
    for f in files:
        shutil.copy(f, folder / f.name)
    return folder

@pytest.fixture
def new_file_mode():
    """Runs the test under umask 027 and gives the mode a new file then has, 0640: unlike the
    usual 022 it tells a file made under the umask from mkstemp's 0600 and a hard-coded 0644."""
    old = os.umask(0o027)
    try:
        yield 0o640
    finally:
        os.umask(old)


needs_setpriv = pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0 or shutil.which("setpriv") is None,
    reason="needs root and util-linux's setpriv (as a user, chmod alone would do)",
)


def without_root_powers(argv: list[str], **options) -> subprocess.CompletedProcess:
    """Run ``argv`` without root's power to override file permissions (CAP_DAC_OVERRIDE and
    CAP_DAC_READ_SEARCH dropped): tests run as root here, which reads and writes any file, so a
    chmod stops this process as it stops a user. Use with ``needs_setpriv``."""
    return subprocess.run(
        ["setpriv", "--bounding-set", "-dac_override,-dac_read_search", *argv],
        capture_output=True, text=True, timeout=300, cwd=str(REPO), env={**os.environ, "PYTHONPATH": str(REPO)},
        **options,
    )


def _mount_tmpfs(folder: Path, size: str) -> None:
    """Mount a tmpfs of ``size`` on ``folder``, or skip the test where that cannot be done."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a small disk needs root")
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"mounting a tmpfs is not permitted here ({mounted.stderr.decode().strip()})")


def _unmount(folder: Path) -> None:
    if subprocess.run(["umount", str(folder)]).returncode != 0:
        subprocess.run(["umount", "-l", str(folder)])  # a file still open: detached, freed once closed


@pytest.fixture
def small_disk(tmp_path, monkeypatch):
    """A 3 MB disk of its own (a tmpfs) holding the vsdesk data folder, to be filled for real."""
    disk = tmp_path / "small-disk"
    disk.mkdir()
    _mount_tmpfs(disk, "3m")
    monkeypatch.setenv("VSDESK_DATA_DIR", str(disk / "data"))
    try:
        yield disk
    finally:
        _unmount(disk)


@pytest.fixture
def mount_disk():
    """``mount_disk(folder)`` mounts a new, empty 20 MB disk (a tmpfs) on the existing
    ``folder``, and ``mount_disk.unmount(folder)`` takes it away, as unplugging a USB disk does
    (its files go with it: copy them aside first to plug "the same disk" in again).
    ``mount_disk.unplug(folder)`` and ``mount_disk.plug_back(folder)`` keep its files as they
    were, change times too, as a real disk does (a copy cannot put a ctime back): the tmpfs
    stays mounted elsewhere and is bound on ``folder``. Needs root; what is still mounted at
    the end is unmounted."""
    mounted: list[Path] = []
    unplugged: dict[Path, Path] = {}  # folder -> where its disk waits

    class Mounter:
        def __call__(self, folder: Path) -> Path:
            _mount_tmpfs(folder, "20m")
            mounted.append(folder)
            return folder

        def unmount(self, folder: Path) -> None:
            mounted.remove(folder)
            _unmount(folder)

        def unplug(self, folder: Path) -> None:
            aside = Path(tempfile.mkdtemp(prefix="unplugged-disk-"))
            subprocess.run(["mount", "--move", str(folder), str(aside)], check=True)
            unplugged[folder] = aside
            mounted.remove(folder)
            mounted.append(aside)

        def plug_back(self, folder: Path) -> None:
            aside = unplugged.pop(folder)
            subprocess.run(["mount", "--move", str(aside), str(folder)], check=True)
            mounted.remove(aside)
            mounted.append(folder)
            aside.rmdir()

    try:
        yield Mounter()
    finally:
        for folder in reversed(mounted):
            _unmount(folder)
        for aside in unplugged.values():
            aside.rmdir()


@pytest.fixture
def read_only_disk(tmp_path):
    """A folder on a disk mounted read-only (an empty tmpfs): a cache on a read-only mount. Needs root."""
    disk = tmp_path / "read-only"
    disk.mkdir()
    _mount_tmpfs(disk, "1m,ro")
    try:
        yield disk
    finally:
        _unmount(disk)


def fill_disk(disk: Path) -> Path:
    """Write a file until ``disk`` is full; delete it to free the space again."""
    filler = disk / "filler"
    # Unbuffered: a buffer left half written when the disk filled raised again on close (or
    # not, by how much space was left: a catalog's index a page bigger made the test fail).
    with open(filler, "wb", buffering=0) as fp:
        try:
            while True:
                fp.write(b"\0" * 65536)
                fp.flush()
        except OSError:
            pass
    return filler


def lose_pages(index_file: Path) -> None:
    """Damage ``index_file`` as a disk that lost writes does: its header and schema read fine, but
    a table's pages are no longer reachable, so SQLite's check answers with a line per page."""
    import sqlite3

    conn = sqlite3.connect(index_file)
    conn.execute("PRAGMA writable_schema=ON")
    conn.execute("UPDATE sqlite_master SET rootpage=(SELECT rootpage FROM sqlite_master WHERE name='meta') "
                 "WHERE name='files'")
    conn.commit()
    conn.close()


def tsne_children() -> list[int]:
    """The pids of this process's running t-SNE children (``child_process.child_command``)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            parent = int((entry / "stat").read_text().rpartition(")")[2].split()[1]) if entry.name.isdigit() else 0
            command = (entry / "cmdline").read_bytes().split(b"\0") if parent == os.getpid() else []
        except (OSError, ValueError, IndexError):  # (ended meanwhile)
            continue
        if b"vsdesk.engine.tsne_process" in command:
            found.append(int(entry.name))
    return found


#: A process mapping random vectors in a t-SNE child (``projection.project``): it says each step
#: of the map on stdout, and waits (for a line on its stdin) once the child has begun its stage.
MAPPING_IN_A_CHILD = """
import sys
import numpy as np
from vsdesk.engine.projection import project

def said(done, total, words=""):
    print(words, flush=True)
    if words.startswith("t-SNE:"):  # told by the child, in its stage: its folder is there
        sys.stdin.readline()

project(np.random.default_rng(0).random((2000, 20), np.float32), said, iterations=250, in_child=True)
"""


def map_folder_left_by_a_killed_process(temporary: Path) -> Path:
    """The folder a map's t-SNE child works in (``tsne_process``), left in ``temporary`` (the
    temporary folder) by a real process killed (SIGKILL) while its map ran, once its child
    has ended too."""
    import signal
    import time

    mapping = subprocess.Popen([sys.executable, "-c", MAPPING_IN_A_CHILD], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, text=True, env={**os.environ, "TMPDIR": str(temporary)})
    with mapping:
        for line in mapping.stdout:
            if line.startswith("t-SNE:"):
                break
        children = Path(f"/proc/{mapping.pid}/task/{mapping.pid}/children").read_text().split()
        mapping.send_signal(signal.SIGKILL)
    assert mapping.returncode == -signal.SIGKILL
    deadline = time.monotonic() + 30
    for child in children:  # (it ends once its parent is gone: its stdin closed)
        while Path(f"/proc/{child}").exists() and _state(int(child)) != "Z":
            assert time.monotonic() < deadline, f"the map's child {child} still runs"
            time.sleep(0.01)
    [left] = [path for path in temporary.iterdir() if path.name.startswith("vsdesk-tsne-")]
    assert (left / "x.npy").is_file()
    return left


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except OSError:
        return "X"  # (gone)
