"""The window's building blocks on real files, without models: task runner, gallery, scatter."""

from __future__ import annotations

import functools
import math
import os
import shutil
import threading
import time

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QPixmap, QWheelEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLabel, QMenu, QStyle, QWidget

from conftest import CLOTHING_DIR, STYLE_DIR, settle
from vsdesk.engine.tasks import check_cancelled
from vsdesk.gui.gallery import GalleryItem, GalleryView
from vsdesk.gui.scatter import ScatterView
from vsdesk.gui.thumbnails import ThumbnailCache
from vsdesk.gui.worker import TaskRunner

pytestmark = pytest.mark.gui


@pytest.fixture
def runner(qtbot):
    runner = TaskRunner(("tf", "compute"))
    yield runner
    runner.shutdown()


def test_newer_task_supersedes_older_and_stale_result_is_dropped(qtbot, runner):
    started, release = threading.Event(), threading.Event()
    delivered = []

    def slow(ctx):
        started.set()
        release.wait(5)
        return "old"  # finishes, but after a newer task was submitted: must be dropped

    runner.submit("q", slow, on_done=delivered.append)
    assert started.wait(5)  # running when superseded (one not started yet is never run)
    runner.submit("q", lambda ctx: "new", on_done=delivered.append)
    release.set()
    # One thread runs both in turn: the old task's result reaches the GUI thread before the new one's.
    qtbot.waitUntil(lambda: delivered == ["new"], timeout=5000)
    assert not runner.is_running("q")


def test_a_task_label_and_progress_naming_a_folder_not_in_utf8_keep_its_bytes_as_escapes(qtbot, runner, tmp_path):
    """Task guiio33: a task's label ("forgetting FOLDER") and its progress message reach the
    status bar and the catalog line through Qt's strings, which dropped a name's bytes that are
    not UTF-8: a real folder b"lat\\xe9in" was said "latin". Escaped as ``shown_path`` says it."""
    from vsdesk.engine.text import shown_path

    folder = os.path.join(os.fsdecode(bytes(tmp_path)), os.fsdecode(b"lat\xe9in"))
    os.mkdir(folder)
    shown = shown_path(folder)
    assert shown.endswith("lat\\xe9in")
    activity, progress, release = [], [], threading.Event()
    runner.activity.connect(lambda label, _running: activity.append(label))

    def forget(ctx):
        ctx.progress(0, 0, f"forgetting {folder}")
        release.wait(5)
        return os.path.isdir(folder)

    done = []
    runner.submit("c", forget, label=f"Style: forgetting {folder}", on_done=done.append,
                  on_progress=lambda _done, _total, message: progress.append(message))
    qtbot.waitUntil(lambda: bool(progress and activity), timeout=5000)
    runner.relabel("c", f"Style: forgetting {folder} · 50%")
    assert runner.running_labels() == [("c", f"Style: forgetting {shown} · 50%")]
    release.set()
    qtbot.waitUntil(lambda: done == [True], timeout=5000)
    assert activity[0] == f"Style: forgetting {shown}" and progress == [f"forgetting {shown}"]


def test_cancel_stops_a_running_task_and_reports_it(qtbot, runner):
    progress, cancelled = [], []
    started = threading.Event()

    def loop(ctx):
        for i in range(1000):
            started.set()
            ctx.progress(i, 1000)
            check_cancelled(ctx.cancelled)
            time.sleep(0.005)
        return "done"

    runner.submit("index", loop, on_progress=lambda d, t, m: progress.append(d), on_cancelled=lambda: cancelled.append(1),
                  on_done=lambda r: pytest.fail("should have been cancelled"))
    assert started.wait(5)
    qtbot.waitUntil(lambda: len(progress) > 1, timeout=5000)
    runner.cancel("index")
    qtbot.waitUntil(lambda: cancelled == [1], timeout=5000)
    assert progress[-1] < 999


def test_on_the_compute_worker_the_newest_urgent_map_goes_first_and_a_queued_one_waits_until_hurried(qtbot, runner):
    """The maps: the tab shown's map is urgent. A map asked for later as urgent goes first, the
    newest first (the tab the user turned to last), the others waiting at their next pause; a
    map queued (a hidden tab's) waits for those before it to end, until it is hurried (its tab
    turned to): then it goes first, started or not."""
    release, in_stage = threading.Event(), threading.Event()
    pauses = [0]  # of the long map, gone through: it is at work between them
    events, done = [], []

    def long(ctx):
        while not release.wait(0.01):
            check_cancelled(ctx.cancelled)  # a pause between t-SNE stages
            pauses[0] += 1
        return "long"

    def staged(ctx):
        events.append("staged starts")
        in_stage.wait(30)  # a stage: no pause inside
        check_cancelled(ctx.cancelled)  # waits here for a newer urgent map
        events.append("staged ends")
        return "staged"

    def quick(name):
        def run(ctx):
            events.append(name)
            return name
        return run

    try:
        runner.submit("a/map", long, worker="compute", urgent=True, on_done=done.append)
        qtbot.waitUntil(lambda: pauses[0] > 0, timeout=5000)
        runner.submit("b/map", quick("queued"), worker="compute", on_done=done.append)
        runner.submit("c/map", staged, worker="compute", urgent=True, on_done=done.append)
        qtbot.waitUntil(lambda: events == ["staged starts"], timeout=5000)
        runner.submit("d/map", quick("newest"), worker="compute", urgent=True, on_done=done.append)
        # The newest goes first: it does not wait for the end of the stage of the one before.
        qtbot.waitUntil(lambda: done == ["newest"], timeout=5000)
    finally:
        in_stage.set()
    qtbot.waitUntil(lambda: done == ["newest", "staged"], timeout=5000)
    # The long map is at work again; the queued one, after it, has not started meanwhile ...
    went_on = pauses[0]
    qtbot.waitUntil(lambda: pauses[0] >= went_on + 5, timeout=5000)
    assert events == ["staged starts", "newest", "staged ends"] and done == ["newest", "staged"]
    runner.hurry("b/map")
    qtbot.waitUntil(lambda: done == ["newest", "staged", "queued"], timeout=5000)  # ... until hurried
    release.set()
    qtbot.waitUntil(lambda: done == ["newest", "staged", "queued", "long"], timeout=5000)
    assert not runner.is_running("b/map") and not runner.is_running("a/map")


def test_on_the_compute_worker_an_urgent_task_does_not_wait_for_the_end_of_a_step_of_another(qtbot, runner):
    """A t-SNE stage cannot be interrupted: ~20 s for 10,000 points. The map of the tab the user
    looks at waited for the end of the stage of a hidden tab's map, on one serial thread. It now
    starts at once, on a thread of its own, and is done while the other is still inside its step;
    the other then waits at its next pause until it is, and goes on."""
    in_step, end_step = threading.Event(), threading.Event()
    events, done = [], []

    def long(ctx):
        in_step.set()
        end_step.wait(30)  # a stage: no pause inside
        events.append("long: step ended")
        check_cancelled(ctx.cancelled)  # the pause between stages: waits for the urgent one
        events.append("long: next step")
        return "long"

    def urgent(ctx):
        events.append("urgent runs")
        assert end_step.wait(30)  # it is still at work when the other's step ends
        check_cancelled(ctx.cancelled)
        events.append("urgent ends")
        return "urgent"

    try:
        runner.submit("hidden/map", long, worker="compute", on_done=done.append)
        assert in_step.wait(5)
        runner.submit("shown/map", urgent, worker="compute", urgent=True, on_done=done.append)
        qtbot.waitUntil(lambda: events == ["urgent runs"], timeout=5000)  # inside the other's step
        # (both said started once their signals reached the window)
        qtbot.waitUntil(lambda: runner.running_slots("compute") == ["hidden/map", "shown/map"], timeout=5000)
        assert events == ["urgent runs"]  # the one at work last
    finally:
        end_step.set()
    qtbot.waitUntil(lambda: done == ["urgent", "long"], timeout=5000)
    assert events.index("urgent ends") < events.index("long: next step")


def test_on_the_tensorflow_thread_an_urgent_task_waits_for_a_running_urgent_one(qtbot, runner):
    """Queries share the models: one does not start in the middle of another."""
    both_queued = threading.Event()
    events, done = [], []

    def first(ctx):
        events.append("first starts")
        assert both_queued.wait(5)
        check_cancelled(ctx.cancelled)  # a pause: where the second would run if it nested
        events.append("first ends")
        return "first"

    def second(ctx):
        events.append("second runs")
        return "second"

    runner.submit("a/query", first, urgent=True, on_done=done.append)
    runner.submit("b/query", second, urgent=True, on_done=done.append)
    both_queued.set()
    qtbot.waitUntil(lambda: len(done) == 2, timeout=5000)
    assert events == ["first starts", "first ends", "second runs"] and done == ["first", "second"]


def test_a_task_is_compared_as_itself_not_by_its_fields(qtbot):
    """The compute worker finds a task in its order by ``in``, ``index`` and ``remove``: a task
    (``Job``) and its context are each themselves (``eq=False``). Compared field by field, two
    tasks alike (one function, one label, contexts of one id and one cancel flag) were one task:
    the second replaced the first in the order, got no thread and never ran; nor could a context
    be kept in a set."""
    from vsdesk.gui.priority_worker import PriorityWorker
    from vsdesk.gui.worker_job import Job, TaskContext

    worker = PriorityWorker("compute")
    running, release = threading.Event(), threading.Event()
    ran = []

    def step(ctx):
        ran.append(ctx)
        running.set()
        assert release.wait(5)

    flag = threading.Event()
    first, second = (Job(TaskContext(7, worker, flag), step, "map") for _ in range(2))
    worker.put(first)
    assert running.wait(5)  # the first at work when the second is put
    worker.put(second)
    release.set()
    assert worker.wait(10_000)
    assert [ctx is first.context for ctx in ran] == [True, False] and ran[1] is second.context  # each ran, once
    assert len({first, second, first.context, second.context}) == 4


def test_putting_a_map_task_does_not_wait_for_its_thread_to_start(qtbot):
    """``PriorityWorker.put`` runs on the GUI thread; it started each task's thread itself, and
    ``Thread.start`` waits until the new thread runs: 45 ms while another map's stage held the
    GIL, 90-240 ms here with three busy threads. The task's thread is started by the worker's
    launcher; put only hands the task over. Every task still runs, and ``wait`` waits for them."""
    from vsdesk.gui.priority_worker import PriorityWorker
    from vsdesk.gui.worker_job import Job, TaskContext

    stop = threading.Event()

    def busy():  # pure Python: holds the GIL but for the interpreter's switches, as a stage may
        while not stop.is_set():
            sum(range(1000))

    hogs = [threading.Thread(target=busy, daemon=True) for _ in range(3)]
    for hog in hogs:
        hog.start()
    worker = PriorityWorker("compute")
    ran, took = [], []
    try:
        for i in range(10):
            job = Job(TaskContext(i, worker, threading.Event()), lambda ctx: ran.append(ctx.task_id), "map")
            began = time.perf_counter()
            worker.put(job)
            took.append(time.perf_counter() - began)
            time.sleep(0.02)
        assert worker.wait(30_000)
    finally:
        stop.set()
        worker.stop()
    assert sorted(ran) == list(range(10))
    assert sorted(took)[5] < 0.01, [round(t * 1000, 1) for t in took]  # (median; the GIL may still preempt once)
    # A task put once the launcher has stopped (the window closing) still runs and ends: nothing
    # is left counted as being launched, which the exit would wait for.
    worker.put(Job(TaskContext(10, worker, threading.Event()), lambda ctx: ran.append(ctx.task_id), "map"))
    assert worker.wait(10_000) and ran[-1] == 10


def test_every_task_thread_is_waited_for_when_tasks_are_put_after_stop(qtbot):
    """The review: a task put after stop() is started on the caller's thread while the launcher
    still starts those handed to it before. Each start pruned the worker's list of threads of
    those not alive, and a thread listed but not started yet looked ended: dropped from the list,
    it was never waited for (``wait``; ``work_left_behind`` at exit). A race: several rounds."""
    from vsdesk.gui.priority_worker import PriorityWorker
    from vsdesk.gui.worker_job import Job, TaskContext

    for _round in range(10):
        worker = PriorityWorker("race")
        gate = threading.Event()
        held = [Job(TaskContext(i, worker, threading.Event()), lambda ctx: gate.wait(30), "map") for i in range(20)]
        late = [Job(TaskContext(20 + i, worker, threading.Event()), lambda ctx: None, "map") for i in range(20)]
        for job in late:
            job.context.cancel_event.set()  # (as the runner cancels every task at the window's close)
        try:
            for job in held:
                worker.put(job)
            worker.stop()
            for job in late:
                worker.put(job)
            qtbot.waitUntil(lambda: worker._launching == 0, timeout=10_000)  # (every thread started)
            running = [thread for thread in threading.enumerate() if thread.name == "vsdesk-race"]
            assert all(thread in worker._threads for thread in running)
            assert not worker.wait(0)  # the held tasks are still at work, or waiting for their turn
        finally:
            for job in held:  # (as the window's close: those waiting end at once)
                job.context.cancel_event.set()
            gate.set()
            assert worker.wait(10_000)


def test_a_shutdown_as_the_process_ends_waits_for_the_index_batch_being_embedded(qtbot, tmp_path):
    """Quit during an index run (the process ends next: ``only_kept_work``) waits past its grace
    for the batch inside the model to be committed (``keeping_work``), and for nothing else:
    what was embedded is kept. The real product model; its second batch held inside ``embed``
    past the grace, as a slow batch under load is."""
    from conftest import copy_images
    from vsdesk.engine.catalog import Catalog, index_catalog
    from vsdesk.engine.modes import load_embedder
    from vsdesk.gui.worker import STOP_GRACE_S

    embedder = load_embedder("product")
    folder = copy_images(sorted((CLOTHING_DIR / "images").glob("*.jpg"))[:40], tmp_path / "shop")
    Catalog.create("shop", "product", [folder]).close()
    batches, inside, embed = [], threading.Event(), embedder.embed

    def slow_second_batch(batch):
        batches.append(len(batch))
        if len(batches) == 2:
            inside.set()
            time.sleep(STOP_GRACE_S + 1.0)
        return embed(batch)

    embedder.embed = slow_second_batch

    def run(ctx):
        with Catalog.open("shop") as catalog:
            index_catalog(catalog, embedder, ctx.progress, ctx.cancelled, batch_size=8)

    runner = TaskRunner(("tf",))
    runner.submit("shop/catalog", run)
    assert inside.wait(60)
    runner.shutdown(3000, only_kept_work=True)
    with Catalog.open("shop") as catalog:
        assert catalog.counts()[0] == 16 and catalog.unfinished  # both batches, committed before it returned
    assert batches == [8, 8]


def test_shutdown_waits_at_most_its_timeout_in_all_not_per_worker(qtbot):
    """Closing the window says it waits up to 3 s: three workers each inside a step that
    cannot be interrupted once made it wait 3 x the timeout."""
    runner = TaskRunner(("tf", "compute", "io"))
    started, release = threading.Semaphore(0), threading.Event()

    def stuck(ctx):
        started.release()
        release.wait(30)  # ignores cancellation, as a t-SNE stage does

    try:
        for worker in ("tf", "compute", "io"):
            runner.submit(worker, stuck, worker=worker)
        for _ in range(3):
            assert started.acquire(timeout=5)
        began = time.monotonic()
        runner.shutdown(timeout_ms=1000)
        waited = time.monotonic() - began
    finally:
        release.set()  # the stuck steps end; their threads then stop
    assert 0.9 < waited < 1.9


def test_a_map_whose_thread_cannot_start_fails_and_the_next_map_still_runs(qtbot, runner, monkeypatch):
    """On the compute worker each task has a thread of its own. A start that failed ("can't start
    new thread": too many threads, no memory) ended the launcher's thread with it: that task and
    every later one waited for ever. The task now fails on its error path, and the next runs."""
    class ThreadThatCannotStart(threading.Thread):
        def start(self):  # the operating system's refusal, as Python says it
            raise RuntimeError("can't start new thread")

    errors, done = [], []
    monkeypatch.setattr(threading, "Thread", ThreadThatCannotStart)
    runner.submit("a/map", lambda ctx: "first", worker="compute", on_error=errors.append, on_done=done.append)
    qtbot.waitUntil(lambda: len(errors) == 1, timeout=5000)
    assert isinstance(errors[0], RuntimeError) and "can't start new thread" in str(errors[0]) and not done
    assert not runner.is_running("a/map")
    monkeypatch.undo()  # threads start again
    runner.submit("b/map", lambda ctx: "second", worker="compute", on_error=errors.append, on_done=done.append)
    qtbot.waitUntil(lambda: done == ["second"], timeout=5000)
    assert len(errors) == 1


def test_errors_reach_the_callback_not_the_event_loop(qtbot, runner):
    errors = []
    runner.submit("q", lambda ctx: 1 / 0, on_error=errors.append)
    qtbot.waitUntil(lambda: len(errors) == 1, timeout=5000)
    assert isinstance(errors[0], ZeroDivisionError)


@pytest.fixture
def log_file(tmp_path, monkeypatch):
    """The window's log file, as ``vsdesk`` sets it up (its own cache folder), removed after."""
    import logging

    from vsdesk.engine.logfile import log_to_file

    monkeypatch.setenv("VSDESK_CACHE_DIR", str(tmp_path / "cache"))
    handler = log_to_file()
    yield tmp_path / "cache" / "vsdesk.log"
    logging.getLogger().removeHandler(handler)
    handler.close()


def test_a_log_file_that_cannot_be_written_is_given_up_with_one_warning(tmp_path, monkeypatch, capsys, caplog):
    """A read-only cache folder printed a "--- Logging error ---" traceback for every message."""
    import logging

    from vsdesk.engine.logfile import log_to_file
    from vsdesk.gui.crash import details_note

    monkeypatch.setenv("VSDESK_CACHE_DIR", str(tmp_path / "cache"))
    (tmp_path / "cache" / "vsdesk.log").mkdir(parents=True)  # a folder in its place: it cannot be opened
    handler = log_to_file()
    try:
        with caplog.at_level(logging.INFO):
            for n in range(3):
                logging.getLogger("vsdesk.engine.modes").info("message %d", n)
        assert "Logging error" not in capsys.readouterr().err
        warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
        assert len(warnings) == 1 and "cannot be written" in warnings[0] and "standard error only" in warnings[0]
        assert [r.getMessage() for r in caplog.records if r.levelno == logging.INFO] == [f"message {n}" for n in range(3)]
        assert details_note() == "Details are on standard error"  # not a file that holds nothing
    finally:
        logging.getLogger().removeHandler(handler)
        handler.close()


def test_an_unexpected_task_error_goes_to_the_log_file_its_message_names(qtbot, runner, log_file):
    from vsdesk.gui.errors import user_message

    said = []

    def look_up(ctx):
        return {}["no such key"]  # a bug, not a problem the user caused

    runner.submit("t", look_up, on_error=lambda exc: said.append(user_message(exc, "look it up")))
    qtbot.waitUntil(lambda: len(said) == 1, timeout=5000)
    assert said == [f"Could not look it up: unexpected error (KeyError: 'no such key'). Details: {log_file}"]
    text = log_file.read_text(encoding="utf-8")
    assert "ERROR vsdesk.gui.errors: unexpected error while trying to look it up" in text
    assert "Traceback (most recent call last)" in text and "in look_up" in text and "KeyError: 'no such key'" in text


def test_a_superseded_task_that_fails_is_logged_not_lost(qtbot, runner, log_file):
    """Its tab waits for the newer task and says nothing of it; the log keeps the traceback."""
    started, release = threading.Event(), threading.Event()
    delivered, errors = [], []

    def broken(ctx):
        started.set()
        release.wait(5)
        return {}["stale key"]

    runner.submit("q", broken, on_error=errors.append)
    assert started.wait(5)  # (a task superseded before it starts never runs)
    runner.submit("q", lambda ctx: "new", on_done=delivered.append)
    release.set()
    qtbot.waitUntil(lambda: delivered == ["new"], timeout=5000)
    qtbot.waitUntil(lambda: log_file.is_file() and "stale key" in log_file.read_text(encoding="utf-8"), timeout=5000)
    text = log_file.read_text(encoding="utf-8")
    assert "WARNING vsdesk.gui.worker: superseded task q failed:" in text and "in broken" in text
    assert errors == []  # the tab is not told: it shows the newer task's result


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full (a device that is always full)")
def test_a_full_disk_or_a_file_in_a_folders_place_is_said_in_words_not_as_an_unexpected_error(tmp_path, log_file):
    from vsdesk.gui.errors import user_message

    with pytest.raises(OSError) as full:  # a real ENOSPC, as on a full cache disk
        with open("/dev/full", "wb") as fp:
            fp.write(b"x" * 65536)
    blocker = tmp_path / "projections"
    blocker.write_text("")  # a file where the cache wants a folder
    with pytest.raises(OSError) as exists:
        blocker.mkdir()
    assert user_message(full.value, "save the map") == "Could not save the map: no space left on device."
    assert user_message(exists.value, "finish the map") == f"Could not finish the map: file exists: {blocker}."
    assert not log_file.exists()  # nothing unexpected, so nothing to read in the log


def test_a_read_only_model_cache_is_said_in_the_clis_words_without_making_the_cache_folder(tmp_path, monkeypatch):
    """The window's words for an OS error in the model cache are `vsdesk`'s (store.cache_words),
    found on the GUI thread without I/O: the cache folder is not made to name it."""
    import errno

    from vsdesk.gui.errors import user_message

    cache = tmp_path / "cache"
    monkeypatch.setenv("VSDESK_CACHE_DIR", str(cache))
    weights = cache / "models" / "vgg16.weights.h5"
    said = user_message(OSError(errno.EROFS, "Read-only file system", str(weights)), "load the Style model")
    assert said == (f"Could not load the Style model: read-only file system: {weights}. The model cache "
                    f"{cache / 'models'} is on a read-only disk: set VSDESK_CACHE_DIR to a folder on a writable "
                    "one, and run again.")
    assert not cache.exists()


def test_an_uncaught_exception_goes_to_the_log_file_the_status_bar_names(qtbot, log_file, monkeypatch):
    import sys

    from PySide6.QtWidgets import QMainWindow

    from vsdesk.gui.crash import install_excepthooks

    monkeypatch.setattr(sys, "excepthook", sys.excepthook)  # put back after the test
    monkeypatch.setattr(threading, "excepthook", threading.excepthook)
    window = QMainWindow()
    qtbot.addWidget(window)
    install_excepthooks(window)

    def slot_with_a_bug():
        raise ZeroDivisionError("in a slot")

    thread = threading.Thread(target=slot_with_a_bug)  # a worker thread's exception, as Qt's would be
    thread.start()
    thread.join()
    qtbot.waitUntil(lambda: window.statusBar().currentMessage() != "", timeout=5000)
    assert window.statusBar().currentMessage() == f"Unexpected error: ZeroDivisionError: in a slot. Details: {log_file}"
    text = log_file.read_text(encoding="utf-8")
    assert "in slot_with_a_bug" in text and "ZeroDivisionError: in a slot" in text


def test_the_qt_binding_keeps_its_references_to_true_and_none(qtbot):
    """PySide6 6.12.0 dropped a reference to True on every signal emit and to None on calls such
    as setText; on Python 3.11 (neither is immortal) a session then died after some ten thousand
    emits with "Fatal Python error: bool_dealloc". The pin in pyproject.toml keeps it out."""
    import sys

    from PySide6.QtCore import QObject, Signal
    from PySide6.QtWidgets import QLabel

    class Emitter(QObject):
        changed = Signal(object)

    emitter, label = Emitter(), QLabel()
    emitter.changed.connect(lambda _value: None)
    before = sys.getrefcount(True), sys.getrefcount(None)
    for i in range(500):
        emitter.changed.emit(i)
        label.setText(str(i % 7))
    after = sys.getrefcount(True), sys.getrefcount(None)
    # a few references may come and go with caches; a leak is one per call (500)
    assert abs(after[0] - before[0]) < 50 and abs(after[1] - before[1]) < 50, (before, after)


def _shown_gallery(qtbot, thumb_size: int, size: tuple[int, int]) -> tuple[ThumbnailCache, GalleryView]:
    cache = ThumbnailCache()
    cache.sources_ready = set()  # what each thumbnail's ``ready`` named: see _wait_for_thumbnails
    cache.ready.connect(lambda source: cache.sources_ready.add(source))
    view = GalleryView(cache, thumb_size=thumb_size)
    qtbot.addWidget(view)
    view.resize(*size)
    view.show()
    return cache, view


def _wait_for_thumbnails(qtbot, cache: ThumbnailCache, items: list[GalleryItem]) -> None:
    """Wait until the thumbnail (or the error) of every one of ``items`` has reached the GUI
    thread: the view asks for them as it paints its rows (all of them, in these small views)."""
    qtbot.waitUntil(lambda: cache.sources_ready >= {item.source for item in items}, timeout=10_000)


def test_gallery_loads_thumbnails_off_thread_and_marks_bad_files(qtbot, tmp_path):
    bad = tmp_path / "broken.jpg"
    bad.write_bytes(b"\xff\xd8\xff\xe0 this is not really a jpeg")
    good = sorted(STYLE_DIR.glob("*.jpg"))[:6]
    cache, view = _shown_gallery(qtbot, thumb_size=64, size=(600, 400))
    items = [GalleryItem(i, str(p), str(p), 0.9 - i / 10, "art") for i, p in enumerate(good)]
    items.append(GalleryItem(len(good), str(bad), str(bad), 0.1, ""))
    view.set_items(items)
    model = view.results
    _wait_for_thumbnails(qtbot, cache, items)
    assert cache.error(str(bad)) is not None
    for row in range(len(good)):
        assert isinstance(model.data(model.index(row), Qt.ItemDataRole.DecorationRole), QPixmap)
    bad_index = model.index(len(good))
    assert not isinstance(model.data(bad_index, Qt.ItemDataRole.DecorationRole), QPixmap)
    assert "cannot show" in model.data(bad_index, Qt.ItemDataRole.ToolTipRole)
    assert "0.900" in model.data(model.index(0), Qt.ItemDataRole.DisplayRole)


def _drawn_lines(view, row: int) -> list[str]:
    """Each line of the gallery cell ``row`` as Qt draws it, cut to the width of the cell's text."""
    from PySide6.QtWidgets import QStyleOptionViewItem

    option = QStyleOptionViewItem()
    view.initViewItemOption(option)
    option.rect = view.visualRect(view.results.index(row))
    view.itemDelegate().initStyleOption(option, view.results.index(row))
    style = view.style()
    width = style.subElementRect(QStyle.SubElement.SE_ItemViewItemText, option, view).width()
    width -= 2 * (style.pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, option, view) + 1)  # as Qt draws
    return [option.fontMetrics.elidedText(line, Qt.TextElideMode.ElideRight, width)
            for line in option.text.splitlines()]


def test_a_gallery_cell_shows_the_folder_and_the_kids_mark_whole_and_cuts_the_file_name(qtbot):
    """The review (A3c, B1): "0.603 · T-Shirt · for ki…", "Dress · for kids · dres…": the kids'
    wear flag pushed the folder's name out of the cell; a shop's file names (hashes) can go."""
    from vsdesk.engine.session import ItemType

    photo = sorted(STYLE_DIR.glob("*.jpg"))[0]
    _, view = _shown_gallery(qtbot, thumb_size=128, size=(700, 400))
    name = "46e76b5f-85cb-4dab-8b4e-2f7a51c1a0d3.jpg"
    view.set_items([GalleryItem(0, str(photo), f"/shop/tops/{name}", 0.603, "tops", ItemType("Undershirt", True, 0.93)),
                    GalleryItem(1, str(photo), f"/shop/{name}", 0.5, "Dress (predicted)")])

    drawn = functools.partial(_drawn_lines, view)
    first, second = drawn(0)
    assert first.startswith("tops · 46e76b5f") and first.endswith("…")
    assert second == "0.603 · Undershirt · kids"
    assert drawn(1) == [name[:len(drawn(1)[0]) - 1] + "…", "0.500 · Dress"]  # a type predicted is no folder


def test_a_style_or_vae_cell_shows_the_file_name_first_and_its_label_beside_the_score(qtbot):
    """The review: every Fashion-MNIST cell read "Ankle boot · test…", a painting's
    "impressionist · s_imp…": the label first, the same in every cell, cut the name off."""
    photo = sorted(STYLE_DIR.glob("*.jpg"))[0]
    _, view = _shown_gallery(qtbot, thumb_size=128, size=(700, 400))
    view.set_items([GalleryItem(0, str(photo), "/art/s_impressionist-01.jpg", 0.581, "impressionist"),
                    GalleryItem(1, str(photo), "/fm/Ankle_boot/test-00012.png", 0.833, "Ankle boot"),
                    GalleryItem(2, str(photo), "/fm/Ankle_boot/test-00013.png", None, "Ankle boot")])

    drawn = functools.partial(_drawn_lines, view)
    assert drawn(0) == ["s_impressionist-01.jpg", "0.581 · impressionist"]
    assert drawn(1) == ["test-00012.png", "0.833 · Ankle boot"]
    assert drawn(2) == ["test-00013.png", "Ankle boot"]  # browsing: no score


def test_a_vae_cell_says_a_clothing_folder_outwear_as_outerwear_as_the_product_tab_does(qtbot):
    """The review (31, 3a): a catalog of the Clothing Dataset's class folders searched with the
    VAE mode captioned a result "0.816 · Outwear" (its folder's label, the data set's spelling),
    where the Product tab says "Outerwear" (``shown_class``); the tip said "Outerwear" already."""
    photo = sorted((CLOTHING_DIR / "images").glob("*.jpg"))[0]
    _, view = _shown_gallery(qtbot, thumb_size=128, size=(700, 400))
    view.set_items([GalleryItem(0, str(photo), "/shop/Outwear/c7ef3028.jpg", 0.816, "Outwear"),
                    GalleryItem(1, str(photo), "/shop/Shirt/ef4afaa2.jpg", 0.757, "Shirt")])

    drawn = functools.partial(_drawn_lines, view)
    assert drawn(0) == ["c7ef3028.jpg", "0.816 · Outerwear"]
    assert drawn(1) == ["ef4afaa2.jpg", "0.757 · Shirt"]


def test_a_result_with_copies_of_its_picture_says_how_many_and_lists_them_in_its_tooltip(qtbot):
    """The review of a 15,000-image library: a photo and its PNG export showed as two results.
    Folded into one (``query.fold_same_pictures``), the result says "+2 copies" where a cell
    keeps it (before the name, which it can do without) and its tooltip lists them; a map click
    on a copy's point selects it."""
    photo = sorted((CLOTHING_DIR / "images").glob("*.jpg"))[0]
    _, view = _shown_gallery(qtbot, thumb_size=128, size=(700, 400))
    view.set_items([GalleryItem(0, str(photo), "/shop/blouse.jpg", 0.978, "Blouse",
                                copies=("/shop/export/blouse.png", "/shop/blouse q85.jpg"), copy_rows=(4, 7)),
                    GalleryItem(1, str(photo), "/shop/shirt.jpg", 0.757, "Shirt")])
    model = view.results
    assert model.data(model.index(0)) == "+2 copies · blouse.jpg\n0.978 · Blouse"
    assert model.data(model.index(1)) == "shirt.jpg\n0.757 · Shirt"
    tip = model.data(model.index(0), Qt.ItemDataRole.ToolTipRole)
    assert "2 other copies of this picture:\n  /shop/export/blouse.png\n  /shop/blouse q85.jpg" in tip
    assert "copies" not in model.data(model.index(1), Qt.ItemDataRole.ToolTipRole)
    assert model.row_of_catalog_index(7) == 0 and model.row_of_catalog_index(1) == 1


def test_also_at_names_the_other_place_so_that_it_is_told_from_the_result_itself():
    """"also at a/p.png" under a result at another a/p.png said the same place twice."""
    from vsdesk.gui.tab_map import also_words

    assert also_words(("/photos/backup/p.png",), "/photos/shop/p.png") == "also at backup/p.png"
    assert also_words(("/x/a/p.png", "/z/p.png"), "/y/a/p.png") == "also at x/a/p.png and 1 more"


def test_a_tab_or_a_newline_in_a_file_name_is_shown_as_an_escape_in_its_cell(qtbot, tmp_path):
    """A tab in a name showed as a wide gap then "…"; a newline put the name on two lines,
    pushing the score out of the cell."""
    photo = sorted(STYLE_DIR.glob("*.jpg"))[0]
    _, view = _shown_gallery(qtbot, thumb_size=128, size=(700, 400))
    names = ["a\tb.jpg", "one\ntwo.jpg"]
    for name in names:
        (tmp_path / name).write_bytes(photo.read_bytes())
    view.set_items([GalleryItem(i, str(tmp_path / name), str(tmp_path / name), 0.5) for i, name in enumerate(names)])
    captions = [view.results.data(view.results.index(row)) for row in range(2)]
    assert captions == ["a\\tb.jpg\n0.500", "one\\ntwo.jpg\n0.500"]


_DRAWN_AT = r"""
import json, sys, time
import numpy as np
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication
app = QApplication([])
from vsdesk.gui.gallery import GalleryItem, GalleryView
from vsdesk.gui.thumbnails import ThumbnailCache

def pixels(pixmap):  # its device pixels, as an RGB array
    image = pixmap.toImage().convertToFormat(QImage.Format.Format_RGB888)
    rows = np.frombuffer(image.constBits(), np.uint8).reshape(image.height(), image.bytesPerLine())
    return rows[:, : 3 * image.width()].reshape(image.height(), image.width(), 3).copy()

path = sys.argv[1]
cache = ThumbnailCache()
view = GalleryView(cache, thumb_size=112)
view.resize(200, 300)  # one column of thumbnails at their full size
view.show()
view.set_items([GalleryItem(0, path, path)])
deadline = time.monotonic() + 20
while cache.pixmap(path, 112) is None and time.monotonic() < deadline:
    app.processEvents()
    time.sleep(0.01)
for _ in range(20):
    app.processEvents()
thumbnail = cache.pixmap(path, 112)
drawn = view.results.data(view.results.index(0), 1)  # DecorationRole: the square the view draws
shot = pixels(view.viewport().grab())
picture = pixels(thumbnail)
# Drawn device pixel for device pixel: the thumbnail's pixels are found whole in the view's.
found = False
for y, x in zip(*np.nonzero(np.all(shot == picture[0, 0], axis=2))):
    part = shot[y : y + picture.shape[0], x : x + picture.shape[1]]
    if part.shape == picture.shape and np.array_equal(part, picture):
        found = True
        break
print(json.dumps({"app": app.devicePixelRatio(), "ratio": thumbnail.devicePixelRatio(),
                  "pixels": [thumbnail.width(), thumbnail.height()],
                  "shown": [thumbnail.deviceIndependentSize().width(), thumbnail.deviceIndependentSize().height()],
                  "square": [drawn.width(), drawn.height(), drawn.devicePixelRatio()], "drawn_whole": found}))
"""


@pytest.mark.parametrize("scale", ["1", "2"])
def test_thumbnails_are_made_and_drawn_at_the_screens_device_pixel_ratio(scale, tmp_path):
    """The review: at QT_SCALE_FACTOR=2 the text was sharp and the thumbnails enlarged, blurred.
    They are decoded at the device pixel ratio and drawn one image pixel per screen pixel; at
    ratio 1 they are no bigger than before (a fresh process: the factor is read at start)."""
    import json
    import subprocess
    import sys

    from conftest import REPO

    artwork = sorted(STYLE_DIR.glob("*.jpg"))[3]  # 400 px high: more than 224 to show
    script = tmp_path / "drawn_at.py"
    script.write_text(_DRAWN_AT)
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "QT_SCALE_FACTOR": scale, "PYTHONPATH": str(REPO)}
    run = subprocess.run([sys.executable, str(script), str(artwork)], capture_output=True, text=True, env=env,
                         timeout=120, cwd=str(REPO))
    assert run.returncode == 0, run.stderr
    facts = json.loads(run.stdout.strip().splitlines()[-1])
    ratio = int(scale)
    assert facts["app"] == ratio and facts["ratio"] == ratio
    assert max(facts["shown"]) == 112 and max(facts["pixels"]) == 112 * ratio  # sharp, yet not doubled at 1
    assert facts["square"] == [112 * ratio, 112 * ratio, ratio]
    assert facts["drawn_whole"]  # not scaled again on its way to the screen


_ON_TWO_SCREENS = r"""
import json, sys, time
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QApplication, QVBoxLayout, QWidget
from vsdesk.gui.gallery import GalleryItem, GalleryView
from vsdesk.gui.preview import ItemPreview
from vsdesk.gui.thumbnails import ThumbnailCache

app = QApplication([])
path, other = sys.argv[1:3]  # the gallery's, and the preview's own
cache = ThumbnailCache()
window = QWidget()
view = GalleryView(cache, thumb_size=112)
preview = ItemPreview(cache)
layout = QVBoxLayout(window)
layout.addWidget(view)
layout.addWidget(preview)
window.resize(300, 400)
window.move(100, 100)  # on the plain screen
window.show()
view.set_items([GalleryItem(0, path, path)])
preview.show_item(other, "a")


def shown():
    # The square the view draws, and the preview's image, once made at the window's ratio.
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        app.processEvents()
        drawn = view.results.data(view.results.index(0), 1)  # DecorationRole
        image = preview.image.pixmap()
        ratio = window.devicePixelRatioF()
        if (isinstance(drawn, QPixmap) and drawn.devicePixelRatio() == ratio and not image.isNull()
                and image.devicePixelRatio() == ratio):
            break
        time.sleep(0.01)
    return {"window": window.devicePixelRatioF(), "gallery": [drawn.width(), drawn.devicePixelRatio()],
            "preview": [max(image.width(), image.height()), image.devicePixelRatio()]}


facts = {"app": app.devicePixelRatio(), "plain": shown()}
window.windowHandle().setScreen(next(s for s in app.screens() if s.name() == "hidpi"))  # moved to the other
facts["hidpi"] = shown()
print(json.dumps(facts))
"""


def test_thumbnails_are_made_at_the_ratio_of_the_screen_the_window_is_on_and_again_on_another(tmp_path):
    """With two screens, an ordinary one and a HiDPI one, the application's device pixel ratio is
    the highest (2): thumbnails were made at it wherever the window was, four times the pixels
    needed on the ordinary screen. They are made at the window's screen's ratio, and made again
    when the window moves to a screen of another ratio (a fresh process: two offscreen screens
    of ratios 1 and 2)."""
    import json
    import subprocess
    import sys

    from conftest import REPO

    artworks = sorted(STYLE_DIR.glob("*.jpg"))[3:5]  # 400 px high: more than 224 to show
    config = tmp_path / "screens.json"
    config.write_text(json.dumps({"screens": [
        {"name": name, "x": x, "y": 0, "width": 1200, "height": 900, "logicalDpi": 96, "logicalBaseDpi": 96,
         "dpr": 1} for name, x in (("plain", 0), ("hidpi", 1200))]}))
    script = tmp_path / "two_screens.py"
    script.write_text(_ON_TWO_SCREENS)
    env = {**os.environ, "QT_QPA_PLATFORM": f"offscreen:configfile={config}",
           "QT_SCREEN_SCALE_FACTORS": "plain=1;hidpi=2", "PYTHONPATH": str(REPO)}
    env.pop("QT_SCALE_FACTOR", None)
    run = subprocess.run([sys.executable, str(script), *map(str, artworks)], capture_output=True, text=True,
                         env=env, timeout=120, cwd=str(REPO))
    assert run.returncode == 0, run.stderr
    facts = json.loads(run.stdout.strip().splitlines()[-1])
    assert facts["app"] == 2  # the highest of the two
    assert facts["plain"] == {"window": 1, "gallery": [112, 1], "preview": [72, 1]}
    assert facts["hidpi"] == {"window": 2, "gallery": [224, 2], "preview": [144, 2]}


def test_a_thumbnail_that_failed_is_tried_again_once_its_errors_are_forgotten(qtbot, tmp_path):
    """A file on a disk that was away: a warning icon, then its thumbnail once the disk is back
    and the window forgets the errors (it does when the user comes back to it)."""
    photo = tmp_path / "disk" / "photo.jpg"
    cache, view = _shown_gallery(qtbot, thumb_size=64, size=(600, 400))
    view.set_items([GalleryItem(0, str(photo), str(photo), 0.5, "")])
    model = view.results
    qtbot.waitUntil(lambda: cache.error(str(photo)) is not None, timeout=10_000)
    assert "cannot show" in model.data(model.index(0), Qt.ItemDataRole.ToolTipRole)
    photo.parent.mkdir()
    photo.write_bytes(sorted(STYLE_DIR.glob("*.jpg"))[0].read_bytes())  # the disk is back
    view.viewport().grab()  # painted again: the row asks for its thumbnail ...
    assert cache.pending() == 0 and cache.error(str(photo)) is not None  # ... and the failed one is not loaded again
    cache.forget_errors()
    view.viewport().grab()  # (now it is: the paint above did ask)
    assert cache.pending() == 1
    qtbot.waitUntil(lambda: isinstance(model.data(model.index(0), Qt.ItemDataRole.DecorationRole), QPixmap),
                    timeout=10_000)
    assert cache.error(str(photo)) is None and "cannot show" not in model.data(model.index(0), Qt.ItemDataRole.ToolTipRole)


def test_the_preview_says_why_an_item_cannot_be_shown_and_shows_it_once_it_can(qtbot, tmp_path):
    from vsdesk.gui.preview import ItemPreview

    photo = tmp_path / "disk" / "a-long-photo-name.jpg"
    cache = ThumbnailCache()
    preview = ItemPreview(cache)
    qtbot.addWidget(preview)
    preview.show_item(str(photo), "a-long-photo-name.jpg\nDress · similarity 0.837")
    qtbot.waitUntil(lambda: cache.error(str(photo)) is not None, timeout=10_000)
    name, why = preview.caption.text().split("\n")  # the reason on a line of its own
    assert name == photo.name and "does not exist" in why
    photo.parent.mkdir()
    photo.write_bytes(sorted(STYLE_DIR.glob("*.jpg"))[0].read_bytes())  # the disk is back
    cache.forget_errors()
    qtbot.waitUntil(lambda: preview.image.pixmap() is not None and not preview.image.pixmap().isNull(),
                    timeout=10_000)
    assert preview.caption.text() == "a-long-photo-name.jpg\nDress · similarity 0.837"


def test_gallery_finds_the_row_of_a_catalog_index_after_every_new_list(qtbot):
    """A map click selects its row in the gallery (``select_catalog_index``), for the results
    shown now, not an earlier list's."""
    _cache, view = _shown_gallery(qtbot, thumb_size=64, size=(600, 400))
    view.set_items([GalleryItem(i, f"/nowhere/{i}.png", None, 0.5) for i in (7, 3, 9)])
    assert [view.results.row_of_catalog_index(i) for i in (7, 3, 9, 4)] == [0, 1, 2, -1]
    view.set_items([GalleryItem(i, f"/nowhere/{i}.png", None, 0.5) for i in (4, 7)])
    assert [view.results.row_of_catalog_index(i) for i in (4, 7, 3, 9)] == [0, 1, -1, -1]
    assert view.select_catalog_index(7) and view.current_item().index == 7
    assert not view.select_catalog_index(3)


def test_gallery_cells_keep_room_for_the_score_line_whatever_the_first_item(qtbot):
    """With uniform item sizes the view measures the first row only: a first item without a
    score line (or with a wide thumbnail) must not shrink the cells so that the others hide
    their score and label."""
    artworks = sorted(STYLE_DIR.glob("s_*.jpg"))[:5]
    cache, view = _shown_gallery(qtbot, thumb_size=112, size=(700, 500))
    items = [GalleryItem(0, str(artworks[0]), str(artworks[0]))]  # no score, no label: one line
    items += [GalleryItem(i, str(p), str(p), 0.5, "cubism") for i, p in enumerate(artworks[1:], 1)]
    view.set_items(items)
    _wait_for_thumbnails(qtbot, cache, items)
    assert isinstance(view.results.data(view.results.index(0), Qt.ItemDataRole.DecorationRole), QPixmap)
    view.set_items(items)  # as the next query does, now with the thumbnails cached
    settle(view)  # the view lays items out after a delay
    rects = [view.visualRect(view.results.index(row)) for row in range(len(items))]
    assert len({r.size().toTuple() for r in rects}) == 1
    thumb = view.iconSize().height()  # 112, or a little less to fit one more column
    assert rects[0].height() >= thumb + 2 * view.fontMetrics().lineSpacing()
    # every thumbnail is shown on a square of one size, so captions line up whatever its shape
    shapes = {view.results.data(view.results.index(row), Qt.ItemDataRole.DecorationRole).size().toTuple()
              for row in range(len(items))}
    assert shapes == {(view.results.thumb_size,) * 2}  # 112, or more in a wide gallery
    # A desktop's bigger font (GNOME's, or a user's) makes room for both lines, not a cut one.
    font = view.font()
    font.setPointSizeF(font.pointSizeF() * 1.6)
    view.setFont(font)
    settle(view)
    height = view.visualRect(view.results.index(1)).height()
    assert height >= view.iconSize().height() + 2 * view.fontMetrics().lineSpacing() > rects[0].height()


def _fashion_pngs(folder, count: int) -> list[str]:
    """The first ``count`` Fashion-MNIST training images, as PNG files in ``folder``."""
    import gzip

    from PIL import Image

    from conftest import FASHION_MNIST_DIR

    with gzip.open(FASHION_MNIST_DIR / "train-images-idx3-ubyte.gz") as f:
        images = np.frombuffer(f.read(16 + count * 784), np.uint8, offset=16).reshape(count, 28, 28)
    folder.mkdir()
    paths = [str(folder / f"fm{i:05d}.png") for i in range(count)]
    for image, path in zip(images, paths):
        Image.fromarray(image).save(path)
    return paths


def test_a_big_catalog_browsed_whole_shows_its_first_and_last_images_where_scrolled_to(qtbot, tmp_path):
    """A catalog of thousands browsed without a query: each item made as its row is shown
    (40,000 made at once kept the window from painting for up to 0.6 s) and laid out a batch
    at a time, each cell where a layout in one pass puts it (a batch that began mid-row put
    its first cell a spacing too far right and wrapped after it); its first and last images
    are where the user scrolls to, with their names and thumbnails; a map click on a file's
    other path finds the row of the file."""
    import hashlib

    from vsdesk.engine.query import fold_catalog
    from vsdesk.engine.session import CatalogSnapshot
    from vsdesk.gui.query_results import browse_items

    paths = _fashion_pngs(tmp_path / "fm", 3001)
    shutil.copy(paths[7], tmp_path / "fm" / "zz-copy.png")  # the same file at another path: folded
    paths.append(str(tmp_path / "fm" / "zz-copy.png"))
    hashes = [hashlib.sha256(open(path, "rb").read()).hexdigest() for path in paths]
    snapshot = CatalogSnapshot("fm", "vae", 1, (str(tmp_path / "fm"),), paths, ["Bag"] * len(paths),
                               np.zeros((len(paths), 2), np.float32), hashes=hashes,
                               browse=fold_catalog(paths, hashes))
    items = browse_items(snapshot)
    assert len(items) == 3001
    made = []
    make = items.make
    items.make = lambda row: made.append(row) or make(row)
    cache, view = _shown_gallery(qtbot, thumb_size=64, size=(330, 400))  # 3 columns: 3001 ends mid-row
    view.set_items(items)
    last = view.results.index(3000)
    qtbot.waitUntil(lambda: view.rectForIndex(last).isValid(), timeout=10_000)  # laid out, batch after batch
    assert len(set(made)) < 100  # the rows shown, not all 3001
    assert len({view.rectForIndex(view.results.index(row)).x() for row in range(8)}) == 3 and view.batchSize() % 3 == 0
    _cache, at_once = _shown_gallery(qtbot, thumb_size=64, size=(330, 400))
    at_once.set_items(list(browse_items(snapshot)))
    settle(at_once)
    assert [view.rectForIndex(view.results.index(row)) for row in range(3001)] == \
        [at_once.rectForIndex(at_once.results.index(row)) for row in range(3001)]
    for row, name in ((3000, "fm03000.png"), (0, "fm00000.png")):  # scrolled to the end, then back
        index = view.results.index(row)
        view.scrollTo(index)
        settle(view)
        assert view.viewport().rect().contains(view.visualRect(index))
        assert view.indexAt(view.visualRect(index).center()) == index
        assert view.results.data(index, Qt.ItemDataRole.DisplayRole).startswith(name)
        _wait_for_thumbnails(qtbot, cache, [view.results.item(row)])
        assert isinstance(view.results.data(index, Qt.ItemDataRole.DecorationRole), QPixmap)
    copy_row = view.results.row_of_catalog_index(paths.index(str(tmp_path / "fm" / "zz-copy.png")))
    assert view.results.item(copy_row).index == 7 and view.results.row_of_catalog_index(7) == copy_row == 7
    assert view.results.row_of_catalog_index(len(paths)) == -1


def test_gallery_columns_share_the_width_instead_of_leaving_a_strip(qtbot):
    from vsdesk.gui.gallery import SMALLEST_THUMBNAIL

    artworks = sorted(STYLE_DIR.glob("s_*.jpg"))[:8]
    cache, view = _shown_gallery(qtbot, thumb_size=112, size=(585, 500))
    view.set_items([GalleryItem(i, str(p), str(p), 0.5, "art") for i, p in enumerate(artworks)])
    for width in (585, 700, 1000):
        view.resize(width, 500)
        settle(view)
        columns = len({view.visualRect(view.results.index(row)).x() for row in range(len(artworks))})
        # Qt's icon layout keeps the spacing, and a scroll bar's room while none is shown
        reserved = 2 * view.spacing() + (0 if view.verticalScrollBar().isVisible() else
                                         view.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent))
        room = view.viewport().width() - reserved
        thumb = view.iconSize().width()
        beside = view.results.cell_size.width() - thumb + 4  # a cell's room beside its thumbnail
        made = view.results.thumb_size  # 112, or more in a wide gallery (see the next test)
        assert (columns + 1) * (math.ceil(made * SMALLEST_THUMBNAIL) + beside) > room  # as many as fit
        assert made * SMALLEST_THUMBNAIL <= thumb <= made
        assert thumb == made or columns * (thumb + 1 + beside) > room  # shrunk no more than needed
        assert room - columns * view.gridSize().width() < columns  # the rest shared out, not a strip


def test_thumbnails_grow_with_a_wide_gallery_and_are_made_at_their_new_size(qtbot):
    """At 1920x1080 the gallery is about 790 px wide: its thumbnails stayed at their size, in
    five columns of small pictures. They grow with the room (made at that size, not upscaled),
    and shrink back in a narrower gallery."""
    artworks = sorted(STYLE_DIR.glob("s_*.jpg"))[:8]
    cache, view = _shown_gallery(qtbot, thumb_size=112, size=(520, 600))
    items = [GalleryItem(i, str(p), str(p), 0.5, "art") for i, p in enumerate(artworks)]
    view.set_items(items)
    settle(view)
    assert view.results.thumb_size == 112
    view.resize(790, 800)
    settle(view)
    grown = view.results.thumb_size
    assert 150 <= grown <= 112 * 1.6 and view.iconSize().width() > 130
    qtbot.waitUntil(lambda: all(cache.pixmap(item.source, grown) is not None for item in items), timeout=20_000)
    drawn = view.results.data(view.results.index(0), Qt.ItemDataRole.DecorationRole)
    assert isinstance(drawn, QPixmap) and round(drawn.deviceIndependentSize().width()) == grown
    view.resize(520, 600)
    settle(view)
    assert view.results.thumb_size == 112 and view.iconSize().width() <= 112


def test_a_gallery_growing_a_step_keeps_its_thumbnails_scaled_until_the_new_ones_are_made(qtbot):
    """Each step the thumbnails grew or shrank by (the window resized) flashed a grey placeholder
    over every cell until the new size was decoded: the old thumbnail, scaled, stays meanwhile.
    The decoder of the new size is held back (real decoding, only later) so that moment is seen."""
    from vsdesk.gui.thumbnails import default_decoder

    held_back = threading.Event()

    def decode(source: str, size: int):
        if size > 112:  # the grown size's thumbnails wait until the stand-ins have been looked at
            held_back.wait(20)
        return default_decoder(source, size)

    artworks = sorted(STYLE_DIR.glob("s_*.jpg"))[:4]
    cache = ThumbnailCache(decode=decode)
    view = GalleryView(cache, thumb_size=112)
    qtbot.addWidget(view)
    view.resize(520, 600)
    view.show()
    items = [GalleryItem(i, str(p), str(p), 0.5, "art") for i, p in enumerate(artworks)]
    view.set_items(items)
    qtbot.waitUntil(lambda: all(cache.pixmap(item.source, 112) is not None for item in items), timeout=20_000)
    settle(view)
    try:
        view.resize(790, 800)
        settle(view)
        grown = view.results.thumb_size
        assert grown > 112 and cache.pixmap(items[0].source, grown) is None  # not decoded yet
        drawn = view.results.data(view.results.index(0), Qt.ItemDataRole.DecorationRole)
        assert isinstance(drawn, QPixmap) and round(drawn.deviceIndependentSize().width()) == grown
        meanwhile = _picture_pixels(view, 0)
        assert meanwhile.std() > 20  # a picture, not the flat grey placeholder (225, 225, 225)
    finally:
        held_back.set()
    qtbot.waitUntil(lambda: all(cache.pixmap(item.source, grown) is not None for item in items), timeout=20_000)
    settle(view)
    # the stand-in was the same picture at that size: close to the one decoded for it
    assert np.abs(_picture_pixels(view, 0).astype(int) - meanwhile).mean() < 12


def test_a_narrow_gallery_shrinks_its_thumbnails_a_little_to_show_two_columns(qtbot):
    """A 1024x700 window leaves the gallery about 320 px: a little short of two columns of
    112 px thumbnails. It showed one column between wide gaps; the thumbnails now shrink a
    little (drawn at that size, not overflowing their cells) and two columns are shown."""
    artworks = sorted(STYLE_DIR.glob("s_*.jpg"))[:6]
    cache, view = _shown_gallery(qtbot, thumb_size=112, size=(320, 600))
    items = [GalleryItem(i, str(p), str(p), 0.5, "art") for i, p in enumerate(artworks)]
    view.set_items(items)
    _wait_for_thumbnails(qtbot, cache, items)
    settle(view)
    rects = [view.visualRect(view.results.index(row)) for row in range(len(artworks))]
    assert len({r.x() for r in rects}) == 2
    thumb = view.iconSize().width()
    assert 95 <= thumb < 112
    assert rects[1].left() > rects[0].right()  # side by side, not overlapping
    # Each thumbnail is drawn at that size (Qt's delegate would draw a pixmap at its own 112 px):
    # a landscape one (not the current item, framed), as wide as the icon size.
    image = view.viewport().grab(rects[4]).toImage()
    pixels = np.array([[image.pixelColor(x, y).lightness() for x in range(image.width())]
                       for y in range(thumb + 2)])
    background = np.median(pixels[:, :3])
    inked = np.abs(pixels - background) > 12
    ys, xs = np.nonzero(inked)
    assert thumb - 2 <= xs.max() - xs.min() + 1 <= thumb + 1 and ys.max() - ys.min() + 1 < thumb


def test_a_gallery_gives_the_same_thumbnail_size_whatever_the_order_its_scroll_bar_came_in(qtbot):
    """At 1024x680 the Product gallery's thumbnails came out 110 or 103 px from run to run: the
    scroll bar's room was read from its visibility, which changes apart from the viewport's
    width (here the gallery's tab is hidden while the window is resized, and shown again). The
    same gallery in the same place now has thumbnails of one size, however it got there."""
    from PySide6.QtWidgets import QTabWidget

    artworks = sorted(STYLE_DIR.glob("s_*.jpg"))
    items = [GalleryItem(i, str(p), str(p), 0.5, "art") for i, p in enumerate(artworks * 2)]  # a scroll bar's worth

    def gallery_in_tabs(steps) -> tuple[int, int]:
        tabs = QTabWidget()
        qtbot.addWidget(tabs)
        view = GalleryView(ThumbnailCache(), thumb_size=112)
        tabs.addTab(QWidget(), "other")
        tabs.addTab(view, "results")
        tabs.setCurrentWidget(view)
        tabs.resize(337, 600)
        for step in steps:
            step(tabs, view)
            settle(view)
        assert view.verticalScrollBar().isVisible()
        return view.iconSize().width(), view.viewport().width()

    def show(tabs, view):
        tabs.show()
        qtbot.waitExposed(tabs)

    def fill(tabs, view):
        view.set_items(items)

    def fill_and_turn_away_while_resized(tabs, view):  # before the gallery has laid its items out
        view.set_items(items)
        tabs.setCurrentIndex(0)
        tabs.resize(340, 600)
        QApplication.processEvents()
        tabs.resize(337, 600)

    def turn_back(tabs, view):
        tabs.setCurrentWidget(view)

    plain = gallery_in_tabs([fill, show])
    roundabout = gallery_in_tabs([show, fill_and_turn_away_while_resized, turn_back])
    assert roundabout == plain, (roundabout, plain)


def _picture_pixels(view, row: int) -> np.ndarray:
    """The middle of the thumbnail of cell ``row`` as the view draws it (RGB, 24x24 px)."""
    rect = view.visualRect(view.results.index(row))
    image = view.viewport().grab(rect).toImage()
    middle_x, middle_y = image.width() // 2, 2 + view.iconSize().height() // 2
    return np.array([[image.pixelColor(x, y).getRgb()[:3] for x in range(middle_x - 12, middle_x + 12)]
                     for y in range(middle_y - 12, middle_y + 12)])


def test_a_selected_thumbnail_keeps_its_colours(qtbot):
    """The review's mustard trousers turned olive when selected: Qt tinted the selected icon
    with the highlight colour. The selection is drawn around the picture, not over it."""
    trousers = CLOTHING_DIR / "images" / "c04180ca-c50a-4f81-9633-7812b9e21b28.jpg"
    cache, view = _shown_gallery(qtbot, thumb_size=112, size=(500, 400))
    items = [GalleryItem(0, str(trousers), str(trousers), 0.8, "Pants")]
    view.set_items(items)
    _wait_for_thumbnails(qtbot, cache, items)
    view.clearSelection()
    view.setCurrentIndex(view.results.index(0))
    view.selectionModel().clearSelection()
    settle(view)
    unselected = _picture_pixels(view, 0)
    view.selectionModel().select(view.results.index(0), view.selectionModel().SelectionFlag.Select)
    settle(view)
    assert view.selectionModel().isSelected(view.results.index(0))
    assert np.array_equal(_picture_pixels(view, 0), unselected)
    # ... and the selection is still seen: the cell's margin beside the picture is highlighted.
    rect = view.visualRect(view.results.index(0))
    margin = view.viewport().grab(rect).toImage().pixelColor(3, rect.height() // 2)
    assert margin.name() != view.palette().base().color().name()


def test_the_gallery_has_no_grey_strip_above_its_first_row(qtbot):
    """The room kept above the first row (the view's viewport margin) was painted in the
    window's grey: a strip between the frame and the results, which no other edge had. It is
    the gallery's own base colour now, as at its left edge."""
    artworks = sorted(STYLE_DIR.glob("s_*.jpg"))[:4]
    cache, view = _shown_gallery(qtbot, thumb_size=112, size=(500, 400))
    items = [GalleryItem(i, str(p), str(p), 0.5, "art") for i, p in enumerate(artworks)]
    view.set_items(items)
    _wait_for_thumbnails(qtbot, cache, items)
    view.clearFocus()  # the focus ring is drawn over the frame: not what this looks at
    settle(view)
    viewport = view.viewport().geometry()
    assert viewport.top() > view.frameWidth()  # the room is there, above the viewport
    image = view.grab().toImage()
    base = view.palette().base().color().name()
    middle = viewport.center().y()
    left_edge = {image.pixelColor(x, middle).name() for x in range(view.frameWidth(), viewport.left() + 2)}
    assert left_edge == {base}
    top_edge = {image.pixelColor(x, y).name()
                for y in range(view.frameWidth(), viewport.top()) for x in range(viewport.left(), viewport.right())}
    assert top_edge == {base}, top_edge


def _text_lines_below(image, top: int) -> int:
    """Bands of rows with dark (text) pixels in ``image`` from row ``top`` down."""
    pixels = np.array([[image.pixelColor(x, y).lightness() for x in range(image.width())]
                       for y in range(top, image.height())])
    inked = (pixels < 110).any(axis=1)
    return int(inked[0]) + int(np.count_nonzero(inked[1:] & ~inked[:-1]))


def test_a_name_in_another_script_leaves_room_for_the_score_line(qtbot, tmp_path):
    """A CJK name is drawn with a fallback font whose line is taller than the view font's: the
    cell must still hold the score line under it."""
    import shutil

    named = tmp_path / "my painting é 日本.jpg"
    shutil.copy(sorted(STYLE_DIR.glob("s_*.jpg"))[0], named)
    cache, view = _shown_gallery(qtbot, thumb_size=112, size=(500, 400))
    items = [GalleryItem(0, str(named), str(named), 0.812, "cubism")]
    view.set_items(items)
    _wait_for_thumbnails(qtbot, cache, items)
    settle(view)
    rect = view.visualRect(view.results.index(0))
    cell = view.viewport().grab(rect).toImage()
    assert _text_lines_below(cell, view.iconSize().height() + 2) == 2  # the name, then score and label


def _inked_pixels(view) -> int:
    """How many of the map's pixels the markers cover (those far from its background)."""
    from PySide6.QtGui import QImage

    image = view.plot.viewport().grab().toImage().convertToFormat(QImage.Format.Format_Grayscale8)
    rows = np.frombuffer(image.constBits(), np.uint8).reshape(image.height(), image.bytesPerLine())
    grey = rows[:, : image.width()].astype(int)
    return int(np.count_nonzero(np.abs(grey - grey[2, 2]) > 60))


def _shown_scatter(qtbot, width: int, height: int) -> ScatterView:
    """A map of its own, shown at ``width`` x ``height`` and exposed."""
    view = ScatterView(ThumbnailCache())
    qtbot.addWidget(view)
    view.resize(width, height)
    view.show()
    qtbot.waitExposed(view)
    return view


def test_the_maps_markers_grow_with_a_big_map_within_bounds(qtbot):
    """At 1920x1080 the map was about 830 px and its points stayed 6-8 px: mostly empty white."""
    from vsdesk.gui.scatter import MARKER_MOST_SCALE

    view = _shown_scatter(qtbot, 420, 420)
    xy = np.array([[0, 0], [10, 0], [0, 10], [10, 10], [5, 5]], np.float32)  # far apart at any size
    view.set_points(xy, np.zeros(5, np.int64), ["a"], [f"/nowhere/{i}.png" for i in range(5)])
    settle(view)
    small, small_ink = view.marker_size(), _inked_pixels(view)
    view.resize(900, 900)
    settle(view)
    big, big_ink = view.marker_size(), _inked_pixels(view)
    assert small == 7 and 1.5 * small <= big <= round(MARKER_MOST_SCALE * small)
    assert big_ink > 2 * small_ink  # drawn bigger, not only said to be
    view.resize(2400, 2000)
    settle(view)
    assert view.marker_size() == round(7 * MARKER_MOST_SCALE)  # bounded: dots, not blobs


def test_scatter_click_picks_the_point_and_data_maps_back(qtbot):
    cache = ThumbnailCache()
    view = ScatterView(cache)
    qtbot.addWidget(view)
    view.resize(500, 400)
    view.show()
    rng = np.random.default_rng(0)
    xy = rng.normal(size=(300, 2)).astype(np.float32) * 10
    labels = rng.integers(0, 3, 300)
    view.set_points(xy, labels, ["a", "b", "c"], [f"/nowhere/{i}.png" for i in range(300)])
    qtbot.waitExposed(view)
    target = int(np.argmax(xy[:, 0]))  # an outlying point, nothing else within a few pixels
    scene_pos = view.scene_pos_of(target)
    widget_pos = view.plot.mapFromScene(scene_pos)
    with qtbot.waitSignal(view.point_clicked, timeout=3000) as blocker:
        QTest.mouseClick(view.plot.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                         QPoint(int(widget_pos.x()), int(widget_pos.y())))
    assert blocker.args == [target]
    assert view.selected() == target
    # each label's item carries the catalog indices as data
    for item in view._groups:
        assert set(item.data["data"]).issubset(set(range(300)))


def test_scatter_does_not_draw_or_pick_a_point_without_a_label_code(qtbot):
    """A file's other path (label code -1, ``colouring``'s ``drawn``) stands at its file's point:
    not drawn, not in the legend, and a click there picks the file's own row."""
    view = ScatterView(ThumbnailCache())
    qtbot.addWidget(view)
    view.resize(500, 400)
    view.show()
    xy = np.array([[0, 0], [10, 0], [0, 10], [10, 0]], np.float32)  # row 1: row 3's other path
    view.set_points(xy, np.array([0, -1, 0, 0]), ["shop", "backup"], [f"/nowhere/{i}.png" for i in range(4)])
    qtbot.waitExposed(view)
    assert sorted(int(i) for item in view._groups for i in item.data["data"]) == [0, 2, 3]
    assert "shop" in view.legend.text() and "backup" not in view.legend.text()
    assert view.index_at(view.scene_pos_of(1)) == 3


def test_the_maps_classes_differ_in_shape_too_and_the_legend_shows_each_shape(qtbot):
    """Classes were told by colour only (a user who tells red from green poorly could not): each
    class has a marker of its own too, by its colour slot, neighbours never alike, and the
    legend shows each class's marker in its colour."""
    from vsdesk.gui.scatter import SYMBOLS

    view = ScatterView(ThumbnailCache())
    qtbot.addWidget(view)
    names = ["Bag", "Dress", "Hat", "Shoes", "Shorts"]
    xy = np.random.default_rng(1).normal(size=(50, 2)).astype(np.float32)
    view.set_points(xy, labels=np.arange(50) % len(names), label_names=names)
    markers = [group.opts["symbol"] for group in view._groups]
    assert markers == [symbol for symbol, _char in SYMBOLS[:len(names)]]
    assert len(set(markers)) == len(names) and "star" not in markers  # (the query's)
    entries = view.legend.text().split(" &nbsp; ")
    for entry, name, (_symbol, char) in zip(entries, names, SYMBOLS):
        assert entry.endswith(f">{char}</span>&nbsp;{name}"), entry
    # A class keeps its marker with its colour slot, whatever classes are shown beside it.
    view.set_points(xy[:10], labels=np.zeros(10), label_names=["Hat"], colours=[2])
    assert [group.opts["symbol"] for group in view._groups] == [SYMBOLS[2][0]]
    assert f">{SYMBOLS[2][1]}</span>&nbsp;Hat" in view.legend.text()


def test_a_light_hue_never_has_the_marker_of_its_strong_hue_nor_a_slot_its_neighbours():
    """The palette's light hues are tab20's pairs of its strong ones (slot 9 + i of slot i), its
    nearest colours; markers taken in turn gave each pair the same marker, so the two closest
    colours of a map differed in nothing else. Each slot's marker differs from its pair's, and
    from the slot's neighbours' (a catalog's classes in order)."""
    from vsdesk.gui.scatter import PALETTE, symbol_of

    for strong in range(9):
        assert symbol_of(strong) != symbol_of(9 + strong), strong
    for slot in range(len(PALETTE) - 1):
        assert symbol_of(slot) != symbol_of(slot + 1), slot
    assert len({symbol_of(slot) for slot in range(len(PALETTE))}) == 9  # every marker in use


def test_the_map_zoomed_offers_reset_view_in_words_by_home_and_by_its_menu(qtbot):
    """The review: the only way back to the whole map was pyqtgraph's tiny button, shown only
    under the mouse. Zoomed, the map shows "Reset view"; Home (the map focused) and the
    right-click menu do the same."""
    view = ScatterView(ThumbnailCache())
    qtbot.addWidget(view)
    view.resize(500, 400)
    view.show()
    xy = np.random.default_rng(0).normal(size=(300, 2)).astype(np.float32) * 10
    view.set_points(xy)
    qtbot.waitExposed(view)
    assert not view.reset_button.isVisible()

    def whole_map_shown() -> bool:
        shown = view.view.viewRange()
        view.fit()  # as the tab fits each step of the map: the whole map
        return np.allclose(shown, view.view.viewRange())

    def zoom_in():  # the mouse wheel, as a user zooms
        view.fit()
        whole = view.view.viewRange()
        centre = QPointF(view.plot.viewport().rect().center())
        wheel = QWheelEvent(centre, view.plot.viewport().mapToGlobal(centre), QPoint(0, 0), QPoint(0, 360),
                            Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase,
                            False)
        QApplication.sendEvent(view.plot.viewport(), wheel)
        qtbot.waitUntil(lambda: view.view.viewRange() != whole and view.reset_button.isVisible(), timeout=3000)

    zoom_in()
    assert view.reset_button.text() == "Reset view"
    button = view.reset_button.geometry()
    assert button.left() > 0 and button.bottom() < view.plot.height()  # inside the map, bottom left
    qtbot.mouseClick(view.reset_button, Qt.MouseButton.LeftButton)
    assert not view.reset_button.isVisible() and whole_map_shown()

    zoom_in()
    view.plot.setFocus()
    qtbot.waitUntil(view.plot.hasFocus, timeout=3000)
    QTest.keyClick(view.plot, Qt.Key.Key_Home)
    assert not view.reset_button.isVisible() and whole_map_shown()

    corner = QPoint(5, 5)  # the right-click menu, on no point
    QTest.mouseClick(view.plot.viewport(), Qt.MouseButton.RightButton, Qt.KeyboardModifier.NoModifier, corner)
    qtbot.waitUntil(lambda: isinstance(QApplication.activePopupWidget(), QMenu), timeout=3000)
    menu = QApplication.activePopupWidget()
    assert [action.text() for action in menu.actions()] == ["Zoom &in", "Zoom &out", "&Reset view"]
    assert [action.shortcut().toString() for action in menu.actions()] == ["+", "-", "Home"]
    menu.close()


def test_a_long_map_status_is_wrapped_to_the_map_not_cut_at_its_edge(qtbot):
    view = _shown_scatter(qtbot, 420, 400)
    said = ("Could not compute the map: unexpected error (FileExistsError: [Errno 17] File exists: "
            "'/home/someone/.cache/vsdesk/projections'). Details: /home/someone/.cache/vsdesk/vsdesk.log")
    assert not view._status.isVisible()  # nothing said: no empty backing over the points
    view.set_status(said)
    assert view.status() == said and view._status.isVisible()
    shown = view._status.textItem.boundingRect()
    assert shown.width() <= view.plot.width() and shown.height() > 2 * view.fontMetrics().height()  # lines
    view.set_status("")
    assert not view._status.isVisible()


def test_a_map_status_given_before_the_map_is_shown_fits_it_once_shown_with_its_button_under_it(qtbot):
    """The map of a tab not shown (no width of its own yet) may fail: its error and the "Try
    again" button under it fit the map once the user turns to the tab."""
    view = ScatterView(ThumbnailCache())
    qtbot.addWidget(view)
    pressed = []
    said = ("Could not compute the map: unexpected error (FileExistsError: [Errno 17] File exists: "
            "'/home/someone/.cache/vsdesk/projections'). Details: /home/someone/.cache/vsdesk/vsdesk.log")
    view.set_status(said, action=("Try again", lambda: pressed.append(True)))
    view.resize(420, 400)
    view.show()
    qtbot.waitExposed(view)
    text = view._status.textItem
    shown = text.boundingRect()
    assert shown.width() <= view.plot.width()
    under = view.plot.mapFromScene(text.mapToScene(shown.bottomLeft()))
    button = view.status_button
    assert button.isVisible() and button.text() == "Try again"
    assert under.y() <= button.y() and button.geometry().right() < view.plot.width()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert pressed == [True]
    view.set_status("Computing the t-SNE map…")  # the next status has no button
    assert not button.isVisible()


def test_scatter_progressive_update_moves_points_without_rebuilding(qtbot):
    view = ScatterView(ThumbnailCache())
    qtbot.addWidget(view)
    n = 100_000
    rng = np.random.default_rng(1)
    labels = rng.integers(0, 10, n)
    names = [str(i) for i in range(10)]
    view.set_points(rng.normal(size=(n, 2)), labels, names)
    groups = list(view._groups)
    moved = rng.normal(size=(n, 2)).astype(np.float32)
    view.set_points(moved, labels, names)
    assert view._groups == groups  # the same items, moved (speed: scripts/bench_gui.py)
    first = groups[0]
    members = np.flatnonzero(labels == 0)
    np.testing.assert_allclose(first.data["x"], moved[members, 0])


def test_copy_path_of_a_latin1_name_puts_its_file_url_beside_its_shown_name(qtbot, tmp_path):
    """ "Copy path" gave Qt the name, which dropped its byte that is not UTF-8 ("caf.jpg"): a
    paste into a file manager found nothing. The clipboard holds the file's URL, its bytes as
    they are (as it is opened), and as text the name as shown (its byte as an escape)."""
    import urllib.parse

    from PySide6.QtGui import QGuiApplication

    cafe = os.fsdecode(os.fsencode(tmp_path) + b"/caf\xe9.jpg")
    shutil.copy(sorted(STYLE_DIR.glob("*.jpg"))[0], cafe)
    GalleryView.copy_path(GalleryItem(0, cafe, cafe, 0.5, "art"))
    mime = QGuiApplication.clipboard().mimeData()
    assert mime.text() == f"{tmp_path}/caf\\xe9.jpg"
    [url] = mime.urls()
    assert url.isLocalFile() and bytes(url.toEncoded()) == b"file://" + urllib.parse.quote(
        os.fsencode(tmp_path) + b"/caf\xe9.jpg").encode()
    assert os.path.isfile(urllib.parse.unquote_to_bytes(bytes(url.toEncoded())[len(b"file://"):]))  # the file
    from vsdesk.gui.drop_payload import read_drag

    assert read_drag(mime).paths == [cafe]  # pasted or dropped back into vsdesk: the same file
    plain = str(tmp_path / "plain.jpg")  # a UTF-8 name: its text as it is
    GalleryView.copy_path(GalleryItem(1, plain, plain, 0.5, "art"))
    assert QGuiApplication.clipboard().mimeData().text() == plain
    assert QGuiApplication.clipboard().mimeData().urls()[0].toLocalFile() == plain


def test_scatter_hover_shows_a_latin1_name_readable_and_its_thumbnail(qtbot, tmp_path):
    """A photo whose name is not UTF-8: its hover caption had the name as Qt made it of the lone
    surrogates; it has its byte as an escape, and the thumbnail is read from the file itself."""
    cafe = os.fsdecode(os.fsencode(tmp_path) + b"/caf\xe9.jpg")
    shutil.copy(sorted(STYLE_DIR.glob("*.jpg"))[0], cafe)
    view = _shown_scatter(qtbot, 500, 400)
    view.set_points(np.array([[0.0, 0.0], [10.0, 0.0]], np.float32), np.zeros(2), ["art"], [cafe, cafe], ["cubism", ""])
    pos = view.plot.mapFromScene(view.scene_pos_of(0))
    QTest.mouseMove(view.plot.viewport(), QPoint(int(pos.x()), int(pos.y())))
    qtbot.waitUntil(lambda: view._hover_label.isVisible(), timeout=3000)
    assert view._hover_caption.text() == "caf\\xe9.jpg · cubism"
    qtbot.waitUntil(lambda: view._hover_image.pixmap() is not None and not view._hover_image.pixmap().isNull(),
                    timeout=10_000)


def test_scatter_hover_shows_the_thumbnail_of_the_point(qtbot):
    files = sorted(STYLE_DIR.glob("*.jpg"))[:20]
    cache = ThumbnailCache()
    view = ScatterView(cache)
    qtbot.addWidget(view)
    view.resize(500, 400)
    view.show()
    qtbot.waitExposed(view)
    xy = np.stack([np.arange(20) * 10.0, np.zeros(20)], axis=1)
    item_labels = ["cubism" if i % 2 else "" for i in range(20)]
    view.set_points(xy, np.zeros(20), ["art"], [str(f) for f in files], item_labels)
    view.set_points(xy * 2, np.zeros(20), ["art"])  # a t-SNE step: the same points moved
    target = 7
    pos = view.plot.mapFromScene(view.scene_pos_of(target))
    QTest.mouseMove(view.plot.viewport(), QPoint(int(pos.x()), int(pos.y())))
    qtbot.waitUntil(lambda: view._hover_label.isVisible(), timeout=3000)
    assert view._hover_caption.text() == f"{files[target].name} · cubism"
    qtbot.waitUntil(lambda: view._hover_image.pixmap() is not None and not view._hover_image.pixmap().isNull(),
                    timeout=10_000)
    QApplication.sendEvent(view.plot.viewport(), QEvent(QEvent.Type.Leave))  # the mouse goes elsewhere
    assert not view._hover_label.isVisible()
    view._show_hover(8)  # a point without a label of its own: its name alone
    assert view._hover_caption.text() == files[8].name


def test_callbacks_run_on_the_gui_thread(qtbot, runner):
    main = threading.get_ident()
    seen = []

    def work(ctx):
        ctx.progress(1, 2, "half")
        ctx.partial("part", force=True)
        return threading.get_ident()

    runner.submit("t", work, on_progress=lambda *a: seen.append(threading.get_ident()),
                  on_partial=lambda v: seen.append(threading.get_ident()),
                  on_done=lambda worker_thread: seen.extend([threading.get_ident(), worker_thread]))
    qtbot.waitUntil(lambda: len(seen) == 4, timeout=5000)
    assert seen[:3] == [main, main, main]
    assert seen[3] != main  # the work itself ran in the worker


def test_product_panel_warns_about_a_photo_unlike_the_training_photos(qtbot):
    """The bars always sum to 100 %: for an unfamiliar photo (``describe``'s "familiarity")
    the panel says the class is a guess, and says nothing for a familiar one."""
    from vsdesk.gui.panels.product_panel import ProductPanel

    panel = ProductPanel()
    qtbot.addWidget(panel)
    panel.show()
    described = {  # ProductEmbedder.describe's keys
        "predicted": "Shirt",
        "classes": [{"label": "Shirt", "probability": 0.43}, {"label": "T-Shirt", "probability": 0.41}],
        "kids": 0.12,
        "model": "product",
        "backbone": "efficientnet-lite0",
    }
    panel.show_extras({**described, "familiarity": {"typicality": 0.0, "unfamiliar": True}})
    assert panel.unfamiliar.isVisible() and "guess" in panel.unfamiliar.text()
    assert panel.bars.items() == [("Shirt", 0.43), ("T-Shirt", 0.41)] and "Shirt" in panel.predicted.text()
    # The review: one file "Skirt" as the query, "Shirt" in the catalog. The two are not computed
    # alike, and where the query's type is shown the panel says how (so does the type filter).
    assert "stored when it was indexed" in panel.predicted.toolTip() and "mirror image" in panel.predicted.toolTip()
    assert "from its stored vector" in panel.same_class.toolTip()
    assert panel.attributes.text() == "Kids' wear: unlikely (12 % chance)"  # not "no (12%)", 12 % sure of no
    for kids, said in ((0.001, "unlikely (<1 % chance)"), (0.998, "likely (>99 % chance)")):  # not 0 %, 100 %
        panel.show_extras({**described, "kids": kids})
        assert panel.attributes.text() == f"Kids' wear: {said}"
    panel.show_extras({**described, "familiarity": {"typicality": 0.0, "unfamiliar": True}})
    assert "nearest training photos" in panel.unfamiliar.toolTip()
    # a screenshot: its features may pass, its flat areas do not; the tip says which
    panel.show_extras({**described, "familiarity": {"typicality": 1.7, "unfamiliar": True, "flat_areas": 72.7,
                                                    "flat_unusual": True}})
    assert panel.unfamiliar.isVisible() and panel.unfamiliar.toolTip().startswith("73 % of this picture is areas of one")
    # a garment on its side: turned upright it looks like the training photos
    panel.show_extras({**described, "familiarity": {"typicality": 3.2, "unfamiliar": True, "sideways": True,
                                                    "typicality_turned": 61.0}})
    assert panel.unfamiliar.text().startswith("It may be on its side") and "guess" in panel.unfamiliar.text()
    assert panel.unfamiliar.toolTip().startswith("Turned by 90 degrees") and "61 %" in panel.unfamiliar.toolTip()
    assert "(more typical than 61 % of them, against 3 % as it is)" in panel.unfamiliar.toolTip()
    panel.show_extras({**described, "familiarity": {"typicality": 48.0, "unfamiliar": False}})
    assert not panel.unfamiliar.isVisible()
    panel.show_extras(described)  # a model without familiarity statistics: nothing to warn of
    assert not panel.unfamiliar.isVisible()
    assert panel.model_info.text() == "model: product · efficientnet-lite0"
    # ... and one trained on too few photos to tell says so where the model is named.
    from vsdesk.engine.product.familiarity import unavailable

    panel.show_extras({**described, "familiarity": None, "familiarity_note": unavailable(24)})
    assert not panel.unfamiliar.isVisible()
    assert panel.model_info.text().endswith(" · does not warn of photos unlike its training photos")
    assert "trained on 24 photos" in panel.model_info.toolTip()
    panel.show_extras({**described, "familiarity": {"typicality": 0.0, "unfamiliar": True}})
    panel.clear()  # a failed query clears the panel: no warning left from the previous photo
    assert not panel.unfamiliar.isVisible()


def test_the_product_panel_keeps_its_lines_apart_in_a_small_window(qtbot):
    """At 1024x700 the tab's left splitter (the query above, the panel below) has about 590 px.
    With the two-line note of an unfamiliar photo, the splitter gave the panel its layout's
    minimum, which counts a wrapped label as one line: the "Only results of the type …"
    checkbox lay over the last class bar."""
    from PySide6.QtWidgets import QSplitter

    from vsdesk.gui.panels.product_panel import ProductPanel
    from vsdesk.gui.query_area import QueryArea

    panel = ProductPanel()
    splitter = QSplitter(Qt.Orientation.Vertical)  # as ModeTab lays them out
    splitter.setChildrenCollapsible(False)
    splitter.addWidget(QueryArea())
    splitter.addWidget(panel)
    splitter.setSizes([470, 290])
    qtbot.addWidget(splitter)
    splitter.resize(320, 589)
    splitter.show()
    panel.show_extras({  # ProductEmbedder.describe's keys
        "predicted": "Longsleeve",
        "classes": [{"label": label, "probability": p} for label, p in
                    (("Longsleeve", 0.30), ("Hoodie", 0.26), ("Skirt", 0.15), ("Dress", 0.08), ("Shorts", 0.06))],
        "kids": 0.0, "model": "product", "backbone": "efficientnet-lite0",
        "familiarity": {"typicality": 0.0, "unfamiliar": True},
    })
    settle(splitter)  # laid out again
    assert panel.unfamiliar.height() >= panel.unfamiliar.heightForWidth(panel.unfamiliar.width())  # both lines
    assert panel.same_class.geometry().top() > panel.bars.geometry().bottom()
    assert panel.model_info.geometry().bottom() <= panel.height()  # the last line in the panel


def test_the_catalog_bar_is_busy_not_full_while_a_step_cannot_be_measured(qtbot):
    """After "checking 32/32", loading the style model (a step with no total) left the bar full
    at "32/32" beside "loading the style model": it is Qt's busy bar until a total comes."""
    from vsdesk.gui.catalog_bar import CatalogBar

    bar = CatalogBar()
    qtbot.addWidget(bar)
    bar.show()
    bar.set_busy(True, "opening style-artworks")
    bar.set_progress(32, 32, "checking")
    assert (bar.progress.maximum(), bar.progress.value(), bar.progress.format()) == (32, 32, "32/32")
    bar.set_progress(0, 0, "loading the style model")
    assert bar.progress.minimum() == bar.progress.maximum() == 0  # busy: no share to show
    assert bar.status.text() == "loading the style model"
    bar.set_progress(3, 12, "indexing")
    assert (bar.progress.maximum(), bar.progress.value(), bar.progress.format()) == (12, 3, "3/12")


def test_the_catalog_bar_shows_a_folder_not_in_utf8_with_its_bytes_as_escapes(qtbot):
    """Its Forget entry, that entry's tooltip and the catalog line ("Forgetting …") put the
    folder in as it is (bytes not UTF-8 as lone surrogates), and Qt dropped those bytes: the
    folder b"/x/\xc9t\xe9" was shown as "/x/t"."""
    from vsdesk.gui.catalog_bar import CatalogBar

    bar = CatalogBar()
    qtbot.addWidget(bar)
    folder = "/x/\udcc9t\udce9"
    bar.set_catalog("c", (folder,), is_sample=False)
    (entry,) = bar.forget_actions()
    assert entry.toolTip().startswith("/x/\\xc9t\\xe9\n") and entry.text().startswith("&1 /x/\\xc9t\\xe9")  # (its key: 1)
    bar.set_status(f"Forgetting {folder}…", tooltip=folder)
    assert bar.status.text() == "Forgetting /x/\\xc9t\\xe9…" and bar.status.toolTip().endswith("/x/\\xc9t\\xe9")
    # Its entry forgets the folder itself (task guiio33): Qt gave back "/x/t" for the name given
    # to the entry's ``setData``, and so did a ``Signal(str)``: no folder of the catalog.
    asked = []
    bar.forget_requested.connect(asked.append)
    entry.trigger()
    assert bar.folder_of(entry) == folder and asked == [folder]
    # A progress message naming it too (``set_progress``: the bar's words, the line, its tooltip).
    bar.set_progress(0, 0, f"looking at {folder}")
    assert bar.status.text() == bar.progress.format() == bar.progress.toolTip() == "looking at /x/\\xc9t\\xe9"


def _drawn(widget) -> np.ndarray:
    from PySide6.QtGui import QImage

    image = widget.grab().toImage().convertToFormat(QImage.Format.Format_RGB888)
    data = np.frombuffer(image.constBits(), np.uint8, count=image.bytesPerLine() * image.height())
    rows = data.reshape(image.height(), image.bytesPerLine())[:, : image.width() * 3]
    return rows.reshape(image.height(), image.width(), 3).sum(axis=2)  # one brightness a pixel


@pytest.mark.parametrize("scale", [1.0, 1.5])  # 96 dpi, and a font as large as 144 dpi gives
def test_the_catalog_menus_arrow_is_drawn_beside_its_title_not_over_it(qtbot, scale):
    """The arrow of the "Folders & model" menu lay over the end of its title at 96 and 144 dpi
    (a tool button draws it in its corner, with no room kept for it). Measured on the button as
    drawn: the title's pixels (what changes when the title is taken away) all lie left of the
    arrow's (what is drawn then, besides the button itself), a space apart."""
    from vsdesk.gui.catalog_bar import CatalogBar

    bar = CatalogBar(has_models=True)
    qtbot.addWidget(bar)
    font = bar.font()
    font.setPointSizeF(font.pointSizeF() * scale)
    bar.setFont(font)
    bar.show()
    qtbot.waitExposed(bar)
    button = bar.menu_button
    button.setFixedSize(button.size())  # the same button, whatever its text
    with_title = _drawn(button)
    button.setText("")
    arrow_only = _drawn(button)
    button.setText("Folders")
    button.setMenu(None)
    button.setText("")
    plain = _drawn(button)
    title_columns = np.flatnonzero(np.abs(with_title - arrow_only).sum(axis=0) > 60)
    arrow_columns = np.flatnonzero(np.abs(arrow_only - plain).sum(axis=0) > 60)
    assert title_columns.size and arrow_columns.size
    gap = 4 * button.devicePixelRatioF() * scale  # a space: not touching, as the tool button's did
    assert arrow_columns.min() - title_columns.max() >= gap, (title_columns.max(), arrow_columns.min())


def test_the_vae_maps_left_axis_is_named_from_its_top_where_the_panel_shows_it(qtbot):
    """The VAE map sits low in a panel that scrolls, often shown only down to its middle: the
    left axis's name, centred on it, was cut to "imension 2" by the panel's lower edge. It reads
    up from near the axis's top now, whole within the axis."""
    from vsdesk.gui.panels.manifold_map import AXIS_NAMES, ManifoldMap

    view = ManifoldMap()
    qtbot.addWidget(view)
    view.resize(420, 420)
    view.show()
    qtbot.waitExposed(view)
    view.set_grid(np.zeros((280, 280), np.uint8), (-3.0, 3.0, -3.0, 3.0))
    settle(view)
    axis = view.plot.getAxis("left")
    assert axis.labelText == AXIS_NAMES["left"]
    name = axis.label.mapRectToParent(axis.label.boundingRect())  # in the axis's own coordinates
    assert axis.size().height() > 2 * name.height() + 40  # a tall axis: the name could sit in its middle
    assert 0 <= name.top() <= 12, (name.top(), axis.size().height())
    assert name.bottom() <= axis.size().height()


@pytest.mark.parametrize("direction", [Qt.LayoutDirection.LeftToRight, Qt.LayoutDirection.RightToLeft])
def test_the_vae_maps_decoded_grid_fills_its_view_tall_wide_or_square(qtbot, direction):
    """The review: in a tall, narrow panel latent dimension 2 ran from -5 to 5, the decoded grid
    only within -3.1 ... 3.1 (the aspect lock widened the taller side): 40 % of the map blank,
    and a blank band above the grid right to left. The view box stays square at any size; the
    map grows no taller than it, so the panel's spare height goes below the map."""
    from PySide6.QtWidgets import QVBoxLayout, QWidget

    from vsdesk.gui.panels.manifold_map import ManifoldMap

    holder = QWidget()
    holder.setLayoutDirection(direction)
    layout = QVBoxLayout(holder)
    view = ManifoldMap()
    layout.addWidget(view, 1)
    layout.addStretch(0)
    qtbot.addWidget(holder)
    holder.show()
    qtbot.waitExposed(holder)
    extent = (-3.1, 3.1, -3.1, 3.1)
    view.set_grid(np.zeros((280, 280), np.uint8), extent)
    for size in ((300, 640), (800, 320), (420, 420), (280, 900)):
        holder.resize(*size)
        settle(holder)
        view.show_whole()
        box = view.plot.getViewBox()
        (x0, x1), (y0, y1) = box.viewRange()
        assert np.allclose((x0, x1, y0, y1), extent, atol=0.08), (size, box.viewRange())
        rect = box.sceneBoundingRect()
        assert abs(rect.width() - rect.height()) <= 2, (size, rect)
        assert min(rect.width(), rect.height()) >= min(size) - 90, (size, rect)  # as large as fits


def test_an_elided_label_shortens_each_line_on_its_own(qtbot):
    from vsdesk.gui.elided_label import ElidedLabel

    long_name = "a-very-long-file-name-from-a-camera-" * 4 + ".png"
    label = ElidedLabel(f"{long_name}\nShirt · similarity 0.885")
    qtbot.addWidget(label)
    label.resize(220, 60)
    label.show()
    name, facts = QLabel.text(label).split("\n")  # what is painted
    assert "…" in name and name.endswith(".png") and facts == "Shirt · similarity 0.885"
    assert label.text() == f"{long_name}\nShirt · similarity 0.885" and label.toolTip() == label.text()


def _window_with_message_bar(qtbot):
    from PySide6.QtWidgets import QMainWindow, QVBoxLayout, QWidget

    from vsdesk.gui.message_bar import MessageBar

    window, body, bar = QMainWindow(), QWidget(), MessageBar()
    layout = QVBoxLayout(body)
    layout.addWidget(bar)
    layout.addWidget(QLabel("the rest of the tab"), 1)
    window.setCentralWidget(body)
    qtbot.addWidget(window)
    window.resize(760, 520)
    window.show()
    qtbot.waitExposed(window)
    return window, bar


def test_a_message_naming_a_folder_not_in_utf8_shows_its_bytes_as_escapes(qtbot):
    """The window's messages name folders as they are (bytes not UTF-8 as lone surrogates), and
    Qt drops those bytes: "The folder /x/\\xc9t\\xe9 … is away" was shown as "/x/t"."""
    _, bar = _window_with_message_bar(qtbot)
    bar.warning("The folder /x/\udcc9t\udce9 of the catalog “c” is away")
    said = "The folder /x/\\xc9t\\xe9 of the catalog “c” is away"
    assert bar.text() == said and bar.label.text() == said


def test_news_that_stays_is_not_replaced_but_goes_when_taken_back_or_dismissed(qtbot):
    """A catalog removed: its news was replaced by the next message (the note on the results
    left), and nothing said the catalog was gone. News shown with ``stays`` is kept beside what
    replaces the rest, said once if said again, and goes when taken back or dismissed (✕)."""
    _, bar = _window_with_message_bar(qtbot)
    bar.show_message("The catalog “shop” was removed.", stays=True)
    bar.warning("The sample is opening slowly.")
    bar.info("These results are from “shop”.")
    assert bar.text() == "The catalog “shop” was removed.\nThese results are from “shop”."
    assert bar.kind == "info"
    assert bar.remove_message("These results are from “shop”.")
    assert bar.text() == "The catalog “shop” was removed." and bar.isVisible()
    bar.show_message("The catalog “shop” was removed.", stays=True)  # (said again: once)
    assert bar.text() == "The catalog “shop” was removed."
    assert bar.remove_message("The catalog “shop” was removed.") and not bar.isVisible()
    bar.show_message("The catalog “shop” was removed.", stays=True)
    QTest.mouseClick(bar.close_button, Qt.MouseButton.LeftButton)
    assert bar.text() == "" and not bar.isVisible()
    bar.info("Another.")
    assert bar.text() == "Another."


def test_a_message_of_a_hundred_lines_is_cut_short_not_growing_the_window_and_details_show_it_all(qtbot):
    """SQLite's answer about a damaged index (a line per bad page) made the window 1788 px tall
    on a 1000 px screen, and it stayed so once the message was closed."""
    window, bar = _window_with_message_bar(qtbot)
    size = window.size()
    dump = "\n".join(f"On tree page {n} cell 5: invalid page number 1703382206" for n in range(100))
    bar.error(f"Could not open the catalog “art”: the database failed its integrity check ({dump})")
    qtbot.wait(50)
    assert window.size() == size
    from vsdesk.gui.message_bar import MAX_LINES

    assert bar.label.height() <= MAX_LINES * bar.label.fontMetrics().lineSpacing() + 4
    painted = QLabel.text(bar.label)
    assert bar.is_cut_short() and painted.endswith("…") and painted.count("\n") < MAX_LINES
    assert bar.text().endswith("invalid page number 1703382206)")  # the whole message is kept ...
    assert bar.details_button.isVisible() and bar.label.toolTip().startswith("Could not open the catalog “art”")
    box = bar.show_details()  # ... and shown by "Details…"
    assert box.detailedText() == bar.text()
    box.close()
    bar.error("x" * 3000)  # a word too long to wrap (a path) widens nothing either
    qtbot.wait(50)
    assert window.size() == size and bar.is_cut_short()
    bar.info("Indexing cancelled: the 12 images indexed so far are kept.")
    qtbot.wait(50)
    assert not bar.is_cut_short() and not bar.details_button.isVisible() and bar.label.toolTip() == ""


def test_a_settings_file_from_a_newer_vsdesk_is_left_as_it_is_and_the_defaults_used(tmp_path, caplog):
    """It was rewritten as version 1: the newer vsdesk's settings were lost."""
    from PySide6.QtCore import QByteArray

    from vsdesk.gui.settings import Settings

    newer = "[General]\nversion=99\n\n[window]\nlast_tab=vae\n\n[style]\ncatalog=art\nnew_option=kept\n"
    path = tmp_path / "config" / "vsdesk.ini"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(newer)
    with caplog.at_level("WARNING", logger="vsdesk.gui.settings"):
        settings = Settings()
    assert "newer vsdesk" in caplog.text and str(path) in caplog.text
    assert settings.last_tab() == "product" and settings.catalog("style") is None  # the defaults
    settings.set_last_tab("style")  # the window goes on as usual ...
    settings.set_geometry(QByteArray(b"geometry"))
    assert settings.last_tab() == "style"
    settings.sync()
    del settings
    assert path.read_text() == newer  # ... and the file is the newer vsdesk's still


def test_the_catalog_warning_says_a_sample_folder_of_another_install_is_replaced(tmp_path, monkeypatch):
    """The review (31, 2): the window's catalog line said the clothing sample's folder in an
    installation since replaced (a new environment, the same home) "missing", to be forgotten;
    the catalog's next index run takes this installation's folder by itself. Which folders are
    so is decided where the snapshot is made, on the I/O thread (task guiio33): the warning's
    text resolved paths and made the cache folder (``paths.cache_dir``) on the GUI thread."""
    from vsdesk.engine import paths
    from vsdesk.engine.catalog import Catalog
    from vsdesk.engine.paths import resources_dir
    from vsdesk.engine.session import CatalogSnapshot, ModeSession
    from vsdesk.gui.catalog_texts import missing_folders_text

    old = tmp_path / "old-cache" / "samples" / "fashion-mnist-test"  # the old environment's sample
    old.mkdir(parents=True)
    for name, mode in (("fashion-mnist", "vae"), ("fashion-mnist.style", "style"), ("clothes", "vae")):
        Catalog.create(name, mode, [old]).close()
    old.rmdir()  # the old environment deleted
    old = str(old)
    for name, mode in (("fashion-mnist", "vae"), ("fashion-mnist.style", "style")):
        snapshot = ModeSession(mode).snapshot(name)  # (the I/O thread's work)
        assert snapshot.other_install_samples == (old,) and snapshot.missing_kinds == {old: "missing-folder"}
        # The text reads the snapshot only: no path resolved, no cache folder made here.
        not_made = tmp_path / "cache-not-made"
        with monkeypatch.context() as patch:
            patch.setenv(paths.ENV_CACHE, str(not_made))
            said = missing_folders_text(snapshot)
        assert not not_made.exists()
        assert said == (f"The folder {old} of the catalog “{name}” is a sample of another vsdesk install: the next "
                        "search or index run uses this install's copy.")
    # A catalog of the user's, and this installation's own sample: as any folder away.
    snapshot = ModeSession("vae").snapshot("clothes")
    assert snapshot.other_install_samples == ()
    assert missing_folders_text(snapshot).startswith(f"The folder {old} of the catalog “clothes” is missing")
    own = str(resources_dir() / "samples" / "clothing")
    said = missing_folders_text(CatalogSnapshot("clothing", "product", 1, (own,), [], [], np.zeros((0, 2)),
                                                missing_folders=(own,), missing_kinds={own: "missing-folder"}))
    assert said.startswith(f"The folder {own} of the catalog “clothing” is missing")


def test_the_catalog_warning_says_what_each_folder_away_is(tmp_path):
    """The window's warning on a catalog's folders away: missing, a file, or empty, as each is."""
    from vsdesk.engine.catalog import away_folders
    from vsdesk.engine.session import CatalogSnapshot
    from vsdesk.gui.catalog_texts import missing_folders_text

    there, filed, emptied = tmp_path / "there", tmp_path / "filed", tmp_path / "emptied"
    there.mkdir()
    (there / "a.jpg").write_bytes(b"x")
    filed.write_text("a file where the folder was")
    emptied.mkdir()
    folders = [str(there), str(tmp_path / "gone"), str(filed), str(emptied)]

    def text(folders):
        away = away_folders(folders)
        return missing_folders_text(CatalogSnapshot("c", "vae", 1, tuple(folders), [], [], np.zeros((0, 2)),
                                                     missing_folders=tuple(away), missing_kinds=away))

    assert text(folders[:2]) == (f"The folder {tmp_path / 'gone'} of the catalog “c” is missing (moved, deleted, or on "
                                 "a disk that is not mounted?): its images are still searched, but cannot be shown. "
                                 "“Forget folder…” forgets them (your files are not touched). Moved? Add its new "
                                 "place to the catalog (Folders › Add a folder to “c”…): its images are found there "
                                 "without being embedded again.")
    assert text(folders).startswith(f"Folders of the catalog “c” are away: {tmp_path / 'gone'} is missing (moved, "
                                    f"deleted, or on a disk that is not mounted?); {filed} is a file now, not a "
                                    f"folder; {emptied} is empty (a disk that is not mounted?): their images are "
                                    "still searched")
    # A linked folder inside one, leading nowhere: not a folder `catalogs remove-folder` takes.
    os.symlink(tmp_path / "usb" / "trip", there / "trip")
    away = {str(tmp_path / "gone"): "missing-folder", str(there / "trip"): "missing-folder"}
    said = missing_folders_text(CatalogSnapshot("c", "vae", 1, tuple(folders), [], [], np.zeros((0, 2)),
                                                 missing_folders=tuple(away), missing_kinds=away,
                                                 links_away=(str(there / "trip"),)))
    assert said.endswith(f"{there / 'trip'} is missing (moved, deleted, or on a disk that is not mounted?): their "
                         "images are still searched, but cannot be shown. “Forget folder…” forgets them (your files "
                         "are not touched); deleting the link forgets them at the next index run. Moved? Add its new "
                         "place to "
                         "the catalog (Folders › Add a folder to “c”…): its images are found there without being "
                         "embedded again.")
    # A folder whose images were all found elsewhere in the catalog (it moved): nothing kept.
    said = missing_folders_text(CatalogSnapshot("c", "vae", 1, tuple(folders), [], [], np.zeros((0, 2)),
                                                 missing_folders=tuple(away), missing_kinds=away,
                                                 missing_without_images=(str(tmp_path / "gone"),),
                                                 links_away=(str(there / "trip"),)))
    assert said == (f"The folder {there / 'trip'} in the catalog “c” is missing (moved, deleted, or on a disk that is "
                    "not mounted?): its images are still searched, but cannot be shown. Deleting the link forgets "
                    f"them at the next index run. The folder {tmp_path / 'gone'} of the catalog “c” is missing "
                    "(moved, deleted, or on a disk that is not mounted?): the catalog holds none of its images; "
                    "“Forget folder…” drops it from the catalog.")
    # Two folders of the catalog away: the menu's way (the warning has no button for either).
    away = {str(tmp_path / "gone"): "missing-folder", str(filed): "not-a-folder"}
    said = missing_folders_text(CatalogSnapshot("c", "vae", 1, tuple(folders), [], [], np.zeros((0, 2)),
                                                 missing_folders=tuple(away), missing_kinds=away))
    assert "cannot be shown. Folders › Forget a folder of “c” forgets them (your files are not touched)." in said
    assert "remove-folder" not in said


def test_forgetting_a_folder_with_nothing_indexed_says_so():
    """The confirmation before a folder is forgotten: not "Its 0 images leave the catalog"."""
    from vsdesk.gui.catalog_texts import forget_words

    assert forget_words(0, 0) == "It has no images indexed: forgetting it only takes it off the catalog's folders."
    assert forget_words(0, 2) == ("It has no images indexed (2 files it could not index): forgetting it only takes it "
                                   "off the catalog's folders.")
    assert forget_words(1, 0) == "Its 1 image leaves the catalog: it is no longer searched or shown here."
    assert forget_words(2, 1) == ("Its 2 images (and 1 file it could not index) leave the catalog: they are no longer "
                                   "searched or shown here.")


def test_the_catalog_folder_dialogs_start_in_pictures_or_home_then_beside_the_last_folder_chosen(
        qtbot, tmp_path, monkeypatch):
    """The "New catalog from a folder" and "Add a folder" dialogs started in the folder the window
    was started from. They start in the user's Pictures (home when there is none), then in the
    folder holding the last one chosen (the next is usually its sibling), kept across starts.
    The Pictures folder is looked for off the window's thread (``pictures_folder``, on the
    tab's I/O worker): opening the dialog stats nothing of vsdesk's own on the window's thread
    (a home on a network disk that stopped answering would freeze it)."""
    from pathlib import Path

    from PySide6.QtWidgets import QFileDialog

    from vsdesk.gui.catalog_bar import CatalogBar, pictures_folder
    from vsdesk.gui.settings import Settings

    looked = []  # the folders whose kind was looked at on this (the window's) thread
    is_dir = Path.is_dir
    monkeypatch.setattr(Path, "is_dir", lambda self: (threading.current_thread() is threading.main_thread()
                                                      and looked.append(str(self)), is_dir(self))[1])

    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("XDG_PICTURES_DIR", raising=False)
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    started_in = tmp_path / "started-in"
    started_in.mkdir()
    monkeypatch.chdir(started_in)  # the working folder: never where they start
    asked, answers = [], []

    def desktop_dialog(parent=None, caption="", dir="", *rest, **options):  # noqa: A002 - Qt's name
        """The desktop's dialog (a native window, the true boundary), with Qt's signature: given
        no folder, it opens in the working folder."""
        asked.append(dir or os.getcwd())
        return answers.pop(0)

    monkeypatch.setattr(QFileDialog, "getExistingDirectory", desktop_dialog)
    bar = CatalogBar(settings=Settings())
    qtbot.addWidget(bar)
    bar.set_catalog("mine", ("/x",), is_sample=False)

    def look_for_pictures():  # as the tab's I/O worker does as it starts
        found = []
        worker = threading.Thread(target=lambda: found.append(pictures_folder()))
        worker.start()
        worker.join()
        bar.set_pictures(found[0])

    answers += ["", "", ""]
    look_for_pictures()
    bar.choose_folder()
    (home / "Pictures").mkdir()
    bar.choose_folder_to_add()  # (not looked for again yet: home still)
    look_for_pictures()
    bar.choose_folder_to_add()
    assert asked == [str(home), str(home), str(home / "Pictures")]
    assert looked == [], looked
    chosen = []
    bar.folder_to_add.connect(chosen.append)
    answers.append(str(home / "Pictures" / "2024"))
    bar.choose_folder_to_add()
    assert chosen == [str(home / "Pictures" / "2024")]
    assert looked == [], looked
    again = CatalogBar(settings=Settings())  # another start: kept in the settings
    qtbot.addWidget(again)
    answers.append("")
    again.choose_folder()
    assert asked[-1] == str(home / "Pictures")


def test_a_window_made_does_not_repoint_qts_settings_which_are_the_processs(qtbot, tmp_path):
    """``QSettings.setPath`` is process-wide, and each MainWindow set it again (a window made in
    a process that had pointed it elsewhere moved it under that process). The window's start-up
    sets it once (``app.run``, tested in test_launcher.py); a window made leaves it."""
    from PySide6.QtCore import QSettings

    from vsdesk.gui.main_window import MainWindow
    from vsdesk.gui.settings import keep_qt_settings_in_config_dir

    def qt_file() -> str:
        return QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, "QtProject").fileName()

    elsewhere = tmp_path / "elsewhere"
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(elsewhere))
    try:
        window = MainWindow(autostart=False)
        qtbot.addWidget(window)
        assert qt_file().startswith(str(elsewhere)), qt_file()
    finally:
        keep_qt_settings_in_config_dir()  # as the test's fixture set it


def test_qts_file_dialog_keeps_its_settings_in_vsdesks_config_dir(qtbot, tmp_path, monkeypatch):
    """Qt's file dialog wrote ~/.config/QtProject.conf, outside VSDESK_CONFIG_DIR, although the
    README says vsdesk writes nowhere else."""
    import shiboken6
    from PySide6.QtWidgets import QFileDialog

    from vsdesk.engine import paths
    from vsdesk.gui.main_window import MainWindow

    home = tmp_path / "home"
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    window = MainWindow(autostart=False)
    qtbot.addWidget(window)
    dialog = QFileDialog(window, "Search with an image", str(STYLE_DIR))
    dialog.setOption(QFileDialog.Option.DontUseNativeDialog)  # Qt's own, which saves its state
    dialog.show()
    dialog.close()
    shiboken6.delete(dialog)  # it saves its settings as it goes
    assert (paths.config_dir() / "qt" / "QtProject.conf").is_file()
    assert not (home / ".config" / "QtProject.conf").exists()


def test_the_open_dialog_shows_its_columns_whole(qtbot, tmp_path):
    """Qt's own Open… dialog opened small: its size column read "342…tes"."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QFileDialog, QTreeView, QWidget

    from vsdesk.gui.tab_input import ask_for_image

    (tmp_path / "small.png").write_bytes(b"\0" * 342)
    window = QWidget()
    qtbot.addWidget(window)
    window.resize(1400, 860)
    window.show()
    seen = {}

    def look() -> None:
        dialog = next(w for w in QApplication.topLevelWidgets() if isinstance(w, QFileDialog) and w.isVisible())
        view = dialog.findChild(QTreeView, "treeView")
        if view.model().rowCount(view.rootIndex()) == 0:  # the folder is listed on Qt's thread
            QTimer.singleShot(50, look)
            return
        QApplication.processEvents()
        seen.update(size=dialog.size(), column=view.header().sectionSize(1),
                    needed=view.fontMetrics().horizontalAdvance("342 bytes"))
        dialog.reject()

    QTimer.singleShot(0, look)
    assert ask_for_image(window, "Search with an image", str(tmp_path)) == ""
    assert seen["size"].width() >= 900 and seen["size"].height() >= 560
    assert seen["column"] >= seen["needed"]


def test_the_progress_bar_has_room_for_its_count_beside_the_bar(qtbot):
    """At its size hint the bar was as narrow as "4032/10000", half of it in white on the part done."""
    from vsdesk.gui.catalog_bar import CatalogBar
    from vsdesk.gui.settings import Settings

    bar = CatalogBar(settings=Settings())
    qtbot.addWidget(bar)
    bar.resize(1400, 40)
    bar.show()
    bar.set_busy(True, "indexing", switchable=True)
    bar.set_progress(4032, 10000, "indexing big")
    bar.set_status("indexing big · 185 images/s · about 20 s left")
    qtbot.waitUntil(lambda: bar.progress.isVisible())
    assert bar.progress.width() >= 2 * bar.progress.fontMetrics().horizontalAdvance("40320/10000")


def test_a_narrow_query_caption_shortens_the_name_not_the_words_of_the_wait(qtbot):
    """First start: "example-dress.jpg — wai… the model and catalog…" said neither whole."""
    from vsdesk.gui.query_area import QueryArea

    area = QueryArea()
    qtbot.addWidget(area)
    area.resize(200, 400)
    area.show()
    qtbot.waitExposed(area)
    name = "a-long-example-photo-of-a-dress.jpg"
    area.set_image(None, name, "waiting to search…")
    painted = QLabel.text(area.caption)  # what is drawn (``text()`` is all of it)
    shown_name = painted.removesuffix(" — waiting to search…")
    assert shown_name != painted and "…" in shown_name and len(shown_name) >= 8
    assert area.caption.text() == f"{name} — waiting to search…"
    area.set_caption(name)  # searched: the name alone
    assert QLabel.text(area.caption).endswith("dress.jpg")


def test_the_empty_query_area_says_how_to_search_with_an_image_of_the_catalog(qtbot):
    """The review's first five minutes: searching with an image of the catalog was only in the
    gallery's right-click menu, and nothing said so. The drop zone says it, whole, at the
    smallest size the window gives it, and again once a query is cleared."""
    from PySide6.QtGui import QFontMetrics, QImage

    from vsdesk.gui.query_area import QueryArea

    area = QueryArea()
    qtbot.addWidget(area)
    area.resize(200, 400)
    area.show()
    qtbot.waitExposed(area)
    label = area.image_label
    # A phrase a line: "or right-click one of / the images beside" read awkwardly at every size.
    assert label.text().endswith("or right-click\nan image beside\nto search with it")
    metrics = QFontMetrics(label.font())
    assert max(metrics.horizontalAdvance(line) for line in label.text().split("\n")) <= label.minimumWidth()
    assert metrics.lineSpacing() * len(label.text().split("\n")) <= label.minimumHeight()
    area.set_image(QImage(8, 8, QImage.Format.Format_RGB32), "a.jpg")
    area.set_image(None)
    assert "or right-click\nan image beside" in label.text()


def test_a_labels_link_is_reached_with_tab_and_followed_with_enter(qtbot):
    """The review: "3 skipped: why?" was not in the Tab order; only the mouse could follow it."""
    from PySide6.QtWidgets import QHBoxLayout, QPushButton, QWidget

    from vsdesk.gui.elided_label import ElidedLabel

    box = QWidget()
    qtbot.addWidget(box)
    before, label, plain = QPushButton("before"), ElidedLabel(""), ElidedLabel("no link here")
    layout = QHBoxLayout(box)
    for widget in (before, label, plain):
        layout.addWidget(widget)
    label.set_text("34 images", link="3 skipped: why?")
    box.show()
    qtbot.waitExposed(box)
    before.setFocus()
    qtbot.waitUntil(before.hasFocus, timeout=3000)
    followed = []
    label.linkActivated.connect(followed.append)
    QTest.keyClick(before, Qt.Key.Key_Tab)
    assert label.hasFocus()
    QTest.keyClick(label, Qt.Key.Key_Return)
    assert followed == ["link"]
    assert plain.focusPolicy() == Qt.FocusPolicy.NoFocus  # a label without a link is no stop


def test_shift_f10_opens_the_galleries_and_the_maps_menu_as_the_menu_key_does(qtbot):
    """The review: Shift+F10, the keyboard's way to a context menu on Windows and GNOME, did
    nothing in the gallery or on the map."""
    from PySide6.QtCore import QTimer

    photos = sorted(STYLE_DIR.glob("*.jpg"))[:3]
    _, gallery = _shown_gallery(qtbot, thumb_size=96, size=(500, 400))
    gallery.set_items([GalleryItem(i, str(p), str(p), 0.5, "art") for i, p in enumerate(photos)])
    qtbot.waitExposed(gallery)
    gallery.activateWindow()
    gallery.setFocus()
    qtbot.waitUntil(gallery.hasFocus, timeout=3000)
    gallery.setCurrentIndex(gallery.results.index(1))
    seen = []

    def read_and_close() -> None:
        menu = QApplication.activePopupWidget()
        seen.append([action.text() for action in menu.actions()] if isinstance(menu, QMenu) else None)
        if menu is not None:
            menu.close()

    for key, modifier in ((Qt.Key.Key_F10, Qt.KeyboardModifier.ShiftModifier),
                          (Qt.Key.Key_Menu, Qt.KeyboardModifier.NoModifier)):
        QTimer.singleShot(200, read_and_close)  # the gallery's menu waits for its answer (exec)
        QTest.keyClick(gallery, key, modifier)
        qtbot.waitUntil(lambda: len(seen) == 1, timeout=3000)
        assert seen.pop() == ["&Open image", "Open containing &folder", "&Copy path", "&Search from this result"]

    view = ScatterView(ThumbnailCache())
    qtbot.addWidget(view)
    view.resize(500, 400)
    view.show()
    view.set_points(np.random.default_rng(0).normal(size=(50, 2)).astype(np.float32))
    qtbot.waitExposed(view)
    view.plot.setFocus()
    qtbot.waitUntil(view.plot.hasFocus, timeout=3000)
    QTest.keyClick(view.plot, Qt.Key.Key_F10, Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: isinstance(QApplication.activePopupWidget(), QMenu), timeout=3000)
    menu = QApplication.activePopupWidget()
    assert [action.text() for action in menu.actions()] == ["Zoom &in", "Zoom &out", "&Reset view"]
    menu.close()


@pytest.mark.parametrize("screen", [(1600, 1000), (1024, 680)])
def test_the_model_switch_dialog_shows_every_line_whole(qtbot, screen):
    """The review (#8, chg1.png): "Which product model should index the catalog …" cut the
    details of each model ("… kids' wear flag · trained on 4,600 photos", "held-out accuracy
    0.96") and its last paragraph: the footer, set after the dialog took its height, took its
    lines from the labels above. Every label now has the height its wrapped text needs."""
    from vsdesk.engine.product.choice import model_choices
    from vsdesk.engine.product.import_export import import_folder
    from vsdesk.engine.product.model import default_dir, read_meta
    from vsdesk.engine.product.model_store import heldout_twin_dir
    from vsdesk.gui.model_dialog import ModelChoiceDialog
    from PySide6.QtWidgets import QWidget

    import_folder("mine", heldout_twin_dir(default_dir(), read_meta(default_dir())))  # `models import`
    choices = model_choices()
    assert len(choices) == 2
    parent = QWidget()
    qtbot.addWidget(parent)
    parent.resize(*screen)
    parent.show()
    dialog = ModelChoiceDialog("", choices, parent, title="Product model", current=None, footer=" ",
                               intro="Which product model should index the catalog <b>big-product</b>?<br>"
                                     "It is indexed now with the shipped model.")
    dialog.follow_choice(lambda model: ("Re-index 2013 images", (
        "Its <b>2013 images</b> are embedded by the model chosen, in the background (the catalog bar's Cancel "
        "stops it, the catalog kept as it is now). The catalog keeps that model: its searches, and `vsdesk "
        "search`, use it too.") if model else "Choose another model."))
    dialog.choose("product/mine")
    dialog.open()
    qtbot.waitExposed(dialog)
    settle(dialog)
    labels = [label for label in dialog.findChildren(QLabel) if label.isVisible() and label.text().strip()]
    assert len(labels) == 4  # the intro, each model's details, the footer
    for label in labels:
        assert label.height() >= label.heightForWidth(label.width()), label.text()
    assert dialog.height() <= screen[1]


def test_the_last_folder_chosen_is_kept_with_its_bytes_and_the_next_dialog_starts_beside_it(
        qtbot, tmp_path, monkeypatch):
    """The last folder chosen was kept in the settings as a Qt string: a name not UTF-8 lost its
    bytes there (b"lat\\xe9in/2024" came back "latin/2024", and the next start's dialog opened
    in a folder that is not there). It is kept with its bytes; settings written before still read."""
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QFileDialog

    from vsdesk.gui.catalog_bar import CatalogBar
    from vsdesk.gui.settings import Settings

    parent = os.fsdecode(os.fsencode(tmp_path) + b"/lat\xe9in")
    folder = os.path.join(parent, "2024")
    os.makedirs(folder)
    asked, answers = [], [folder, ""]

    def desktop_dialog(parent=None, caption="", dir="", *rest, **options):  # noqa: A002 - Qt's name
        asked.append(dir)  # (the desktop's dialog: the true boundary)
        return answers.pop(0)

    monkeypatch.setattr(QFileDialog, "getExistingDirectory", desktop_dialog)
    bar = CatalogBar(settings=Settings())
    qtbot.addWidget(bar)
    bar.choose_folder()
    again = CatalogBar(settings=Settings())  # another start: read from the settings file
    qtbot.addWidget(again)
    assert again._settings.last_catalog_folder() == folder
    again.choose_folder()
    # In the folder holding the last one, its name's bytes whole (a Qt string could not name the
    # folder itself; its parent here is named in UTF-8).
    assert asked[-1] == str(tmp_path), asked
    assert os.fsencode(Settings().last_catalog_folder()).endswith(b"/lat\xe9in/2024")

    old = QSettings(Settings().q.fileName(), QSettings.Format.IniFormat)  # as an earlier vsdesk left it
    old.remove("window/last_catalog_folder_bytes")
    old.setValue("window/last_catalog_folder", str(tmp_path / "plain"))
    old.sync()
    assert Settings().last_catalog_folder() == str(tmp_path / "plain")


def test_a_folder_chosen_not_in_utf8_reaches_the_tab_with_its_bytes(qtbot, tmp_path, monkeypatch):
    """"New catalog from a folder" and "Add a folder" sent the folder as a ``Signal(str)``, which
    drops the bytes of a name that is not UTF-8 (as the Forget menu's did): the real folder
    b"lat\\xe9in" reached the tab as "latin", no folder there."""
    from PySide6.QtWidgets import QFileDialog

    from vsdesk.gui.catalog_bar import CatalogBar

    folder = os.fsdecode(os.fsencode(tmp_path) + b"/lat\xe9in")
    os.mkdir(folder)
    shutil.copy(sorted((CLOTHING_DIR / "images").glob("*.jpg"))[0], folder)
    # The desktop's dialog (a native window, the true boundary) answers with that folder.
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *args, **options: folder)
    bar = CatalogBar()
    qtbot.addWidget(bar)
    bar.set_catalog("mine", ("/x",), is_sample=False)
    chosen, to_add = [], []
    bar.folder_chosen.connect(chosen.append)
    bar.folder_to_add.connect(to_add.append)
    bar.choose_folder()
    bar.choose_folder_to_add()
    assert chosen == to_add == [folder], (chosen, to_add)
    assert os.fsencode(chosen[0]).endswith(b"/lat\xe9in") and os.listdir(chosen[0])


def test_the_thumbnail_cache_holds_its_budget_in_bytes_and_keeps_what_is_shown(qtbot):
    """The cache was bounded by a count (3,000 pictures): 86 MB at 128 px on an ordinary screen,
    but some 1 GB at 192 px on a HiDPI one (x2). It holds a budget in bytes, the pixmaps' own,
    dropping the least recently drawn: what a view shows (asked for at each of its paints, as
    here at each ``ready``) stays, however many others were made meanwhile."""
    from vsdesk.gui.thumbnails import pixmap_bytes

    photos = [str(p) for p in sorted((CLOTHING_DIR / "images").glob("*.jpg"))[:110]]
    shown, scrolled = photos[:10], photos[10:]
    budget = 12 * 1024 * 1024  # some 25 thumbnails of 192 px at ratio 2 (0.4-0.6 MB each)
    cache = ThumbnailCache(budget=budget)
    assert cache.budget() == budget  # (the test's screen is small: its two screens full are less)

    def paint_shown(_source=None) -> None:  # a view showing ``shown``, repainted as thumbnails come
        for source in shown:
            cache.pixmap(source, 192, 2.0)

    cache.ready.connect(paint_shown)
    paint_shown()
    for start in range(0, len(scrolled), 20):  # scrolled through by another view, on a HiDPI screen
        for source in scrolled[start : start + 20]:
            cache.pixmap(source, 192, 2.0)
        qtbot.waitUntil(lambda: cache.pending() == 0, timeout=60_000)
    qtbot.waitUntil(lambda: all(cache.stand_in(s, 2.0) for s in shown), timeout=60_000)
    held = {s: cache.stand_in(s, 2.0) for s in photos}
    held = {s: found[0] for s, found in held.items() if found is not None}
    assert all(held[s].devicePixelRatio() == 2.0 and max(held[s].width(), held[s].height()) == 384 for s in shown)
    assert cache.held_bytes() == sum(pixmap_bytes(p) for p in held.values())  # the pixmaps' real bytes
    assert budget - 600_000 < cache.held_bytes() <= budget, (cache.held_bytes(), len(held))
    assert len(held) < len(photos)  # (the others made did not all fit)
