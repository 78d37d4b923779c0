"""A catalog is changed by one process at a time: while another vsdesk process indexes it, a
folder forgotten or added, another model, or the catalog removed is refused in words (its run
would undo the change), and a run indexes the folders as they are when it starts."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from conftest import CLOTHING_DIR, REPO, lose_pages, needs_setpriv, run_cli as run, without_root_powers
from test_catalog import HistogramEmbedder
from vsdesk.engine.catalog import Catalog, CatalogBusy, CatalogStorageError, catalog_location, index_catalog

#: Another vsdesk process indexing catalog "shop": it stops as its first batch is about to be
#: embedded (the folders scanned, the catalog's lock held) until the test lets it go on.
DRIVER = """
import os, sys, time
sys.path.insert(0, {tests!r})
from test_catalog import HistogramEmbedder
from vsdesk.engine.catalog import Catalog, index_catalog

def progress(done, total, message):
    if message.startswith("indexing") and not os.path.exists({paused!r}):
        open({paused!r}, "w").close()
        while not os.path.exists({go!r}):
            time.sleep(0.02)

with Catalog.open("shop") as catalog:
    report = index_catalog(catalog, HistogramEmbedder(), progress, batch_size=4, workers=1)
print(report.indexed)
"""

BUSY = "catalog 'shop' is being indexed by another vsdesk process"


@contextlib.contextmanager
def another_process(script: str):
    """Another vsdesk process running ``script``: yields it and ``wait_for(path, what)``, which
    waits until the process has made the file ``path`` (``what``: what it then did). Killed if
    it is still running at the end."""
    proc = subprocess.Popen([sys.executable, "-c", script], cwd=REPO, env=os.environ.copy(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def wait_for(path: Path, what: str) -> None:
        deadline = time.monotonic() + 60
        while not path.exists():
            assert proc.poll() is None, proc.communicate()[1][-2000:]
            assert time.monotonic() < deadline, f"the other process never {what}"
            time.sleep(0.002)

    try:
        yield proc, wait_for
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def _folder(root: Path, name: str, start: int, count: int) -> Path:
    folder = root / name
    folder.mkdir()
    for src in sorted((CLOTHING_DIR / "images").glob("*.jpg"))[start:start + count]:
        shutil.copy(src, folder / src.name)
    return folder


@pytest.fixture
def two_folders(tmp_path) -> tuple[Path, Path]:
    return _folder(tmp_path, "a", 0, 20), _folder(tmp_path, "b", 20, 10)


@pytest.fixture
def indexing(tmp_path, two_folders):
    """Catalog "shop" of both folders, which another process is indexing (paused midway) until
    ``go()``; ``go()`` returns what that process's run indexed."""
    Catalog.create("shop", "style", list(two_folders)).close()
    paused, go = tmp_path / "paused", tmp_path / "go"
    script = DRIVER.format(tests=str(REPO / "tests"), paused=str(paused), go=str(go))
    proc = subprocess.Popen([sys.executable, "-c", script], cwd=REPO, env=os.environ.copy(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not paused.exists():
            assert proc.poll() is None, proc.communicate()[1][-2000:]
            assert time.monotonic() < deadline, "the other process never started indexing"
            time.sleep(0.02)

        def finish() -> int:
            go.touch()
            out, err = proc.communicate(timeout=60)
            assert proc.returncode == 0, err[-2000:]
            return int(out.split()[-1])

        yield finish
    finally:
        go.touch()
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_changes_while_another_process_indexes_the_catalog_are_refused_in_words(capsys, indexing, two_folders):
    from vsdesk.engine.session import ModeSession
    from vsdesk.gui.errors import user_message

    a, b = (str(folder) for folder in two_folders)
    # `vsdesk catalogs remove-folder`: exit 1 (the same command works once the run is done),
    # its --json keys, and what to do.
    code, out, err = run(capsys, "catalogs", "remove-folder", "shop", b, "--json")
    assert code == 1 and f"{BUSY}; nothing was changed: try again once it has finished" in err, err
    assert json.loads(out) == {"catalog": "shop", "folder": b, "error": err.strip().removeprefix("vsdesk: "),
                               "error_kind": "command-failed", "catalog_busy": True}
    code, _, err = run(capsys, "catalogs", "remove", "shop")
    assert code == 1 and f"{BUSY}; nothing was removed: try again once it has finished" in err, err
    # The window's "Forget a folder", and its message.
    with pytest.raises(CatalogBusy) as refused:
        ModeSession("style").forget_folder("shop", b)
    assert user_message(refused.value, f"forget the folder {b}") == (
        f"Could not forget the folder {b}: {BUSY}; nothing was changed: try again once it has finished")
    # Another model (`--model`, the window's model switch), a folder added.
    with Catalog.open("shop") as catalog:
        with pytest.raises(CatalogBusy, match=f"{BUSY}; its model was not changed"):
            catalog.set_model("mine")
        with pytest.raises(CatalogBusy, match="was not added: try again once it has finished"):
            catalog.add_folder(REPO / "tests")

    # The run finishes with what the catalog was: nothing of it undone, nothing put back.
    assert indexing() == 30
    with Catalog.open("shop") as catalog:
        assert catalog.folders == [a, b] and catalog.model is None and catalog.counts() == (30, 0)
        assert {Path(path).parent for path in catalog.vectors().paths} == {Path(a), Path(b)}
    # Once it is done, the same command forgets the folder, and its images stay out.
    code, _, err = run(capsys, "catalogs", "remove-folder", "shop", b)
    assert code == 0 and "10 images forgotten" in err
    with Catalog.open("shop") as catalog:
        assert catalog.folders == [a] and catalog.counts() == (20, 0)
        index_catalog(catalog, HistogramEmbedder())
        assert catalog.counts() == (20, 0)
    assert len(list(Path(b).glob("*.jpg"))) == 10  # the files themselves untouched


def test_a_run_indexes_the_folders_as_they_are_when_it_starts(two_folders):
    """A catalog opened before another process forgot one of its folders (the window's, say)
    does not put that folder back when it is indexed, nor its settings over the change."""
    a, b = (str(folder) for folder in two_folders)
    Catalog.create("shop", "style", [a, b]).close()
    with Catalog.open("shop") as opened_before, Catalog.open("shop") as other:
        other.remove_folder(b)
        other.set_model("mine")
        assert index_catalog(opened_before, HistogramEmbedder()).indexed == 20
        assert opened_before.folders == [a]
    with Catalog.open("shop") as catalog:
        assert catalog.folders == [a] and catalog.model == "mine" and catalog.counts() == (20, 0)


@contextlib.contextmanager
def held_by_another_process(location: Path):
    """The catalog's lock in ``location`` held by another process (as its index run holds it)
    until the block ends."""
    script = ("import sys; from pathlib import Path; from vsdesk.engine.catalog._store import lock_catalog\n"
              "with lock_catalog(Path(sys.argv[1]), 'shop'):\n    print('held', flush=True); sys.stdin.read()")
    proc = subprocess.Popen([sys.executable, "-c", script, str(location)], cwd=REPO, env=os.environ.copy(),
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "held", proc.communicate()[1][-2000:]
        yield
    finally:
        proc.stdin.close()
        proc.wait(timeout=60)


def _stored_vectors(catalog_location: Path) -> int:
    with contextlib.closing(sqlite3.connect(catalog_location / "index.sqlite")) as conn:
        return conn.execute("SELECT COUNT(*) FROM vectors").fetchone()[0]


def test_opening_a_damaged_index_another_process_holds_changes_nothing(two_folders):
    """A damaged index is moved aside and rebuilt under the catalog's lock: while another
    process holds it, opening says so and leaves the file where it is; the next open does it."""
    a, _ = two_folders
    with Catalog.create("shop", "style", [a]) as catalog:
        index_catalog(catalog, HistogramEmbedder())
        location = catalog.location
    with open(location / "index.sqlite", "r+b") as fp:
        fp.write(b"not a database at all" * 5)
    with held_by_another_process(location):
        with pytest.raises(CatalogBusy, match="its index file is damaged .*another vsdesk process is indexing it"):
            Catalog.open("shop")
        assert not list(location.glob("index.sqlite.damaged-*"))  # left as it is
    with Catalog.open("shop") as catalog:
        assert catalog.recovered and "the index file was damaged" in catalog.recovered
        assert len(list(location.glob("index.sqlite.damaged-*"))) == 1
        assert index_catalog(catalog, HistogramEmbedder()).indexed == 20


def test_another_modes_vectors_are_dropped_by_whoever_holds_the_lock_next(two_folders):
    """A catalog made anew with another mode over an index of the old one (``create`` takes
    over a folder without settings): its vectors are another model's. Opened while another
    process holds the lock, it is searched without them, and they are left alone; the next
    open, or a change, that holds the lock drops them."""
    a, b = two_folders

    def opened_while_held(name: str) -> Catalog:
        with Catalog.create(name, "style", [a]) as catalog:
            index_catalog(catalog, HistogramEmbedder())
        location = catalog.location
        (location / "catalog.json").write_text(json.dumps({"name": name, "mode": "vae", "folders": [str(a)]}))
        with held_by_another_process(location):
            opened = Catalog.open(name)  # searched: without the style vectors
            assert opened.embedder_key is None and opened.vectors().paths == [] and opened.counts() == (0, 0)
            assert _stored_vectors(location) == 20  # nothing changed while the other process holds it
        return opened

    with opened_while_held("shop") as opened:
        opened.add_folder(b)  # a change: it holds the lock now, and drops them first
        assert _stored_vectors(opened.location) == 0 and opened.folders == [str(a), str(b)]
    opened_while_held("shop2").close()
    with Catalog.open("shop2") as catalog:  # the next open holds the lock: they go
        assert _stored_vectors(catalog.location) == 0 and catalog.counts() == (0, 0)


def _meta(catalog_location: Path) -> dict[str, str]:
    with contextlib.closing(sqlite3.connect(catalog_location / "index.sqlite")) as conn:
        return dict(conn.execute("SELECT key, value FROM meta"))


def test_a_new_index_opened_while_another_process_holds_the_lock_can_be_read(two_folders):
    """A catalog whose index has no tables yet (catalog.json only: just made, or its index
    removed) opened while another process holds its lock: its tables are made (nothing a run
    could undo), so it reads as empty; its marks wait for whoever holds the lock next."""
    a, _ = two_folders
    Catalog.create("shop", "style", [a]).close()
    location = catalog_location("shop")
    for name in ("index.sqlite", "index.sqlite-wal", "index.sqlite-shm"):
        (location / name).unlink(missing_ok=True)
    with held_by_another_process(location):
        with Catalog.open("shop") as catalog:
            assert (catalog.version, catalog.embedder_key, catalog.unfinished) == (0, None, False)
            assert catalog.vectors().paths == [] and catalog.counts() == (0, 0) and catalog.uid
        assert "mode" not in _meta(location)  # (a mark: under the lock)
    with Catalog.open("shop") as catalog:
        assert _meta(location)["mode"] == "style"
        assert index_catalog(catalog, HistogramEmbedder()).indexed == 20


def test_an_open_in_the_process_holding_the_lock_neither_waits_nor_blames_another(two_folders, monkeypatch):
    """The window's index run holds the catalog's lock while its other threads open it (the
    catalogs listed, a map computed), and a run may open it again itself: such an open does not
    wait for the lock (it would wait for its own holder, in vain), reads the index as it is,
    and leaves any change to the holder; a damaged index is said to be this process's run's."""
    from vsdesk.engine.catalog import _catalog_opening

    monkeypatch.setattr(_catalog_opening, "LOCK_PATIENCE", 5.0)  # so that a wait for the lock shows
    a, _ = two_folders

    def in_this_thread_and_another(open_it) -> list:
        with ThreadPoolExecutor(1) as pool:
            return [open_it(), pool.submit(open_it).result()]

    def open_and_read():
        start = time.monotonic()
        with Catalog.open("shop") as catalog:
            return catalog.model, catalog.counts(), time.monotonic() - start

    def open_damaged():
        start = time.monotonic()
        with pytest.raises(CatalogBusy) as busy:
            Catalog.open("shop")
        return str(busy.value), time.monotonic() - start

    with Catalog.create("shop", "style", [a]) as holder:
        index_catalog(holder, HistogramEmbedder())
        location = holder.location
        with holder.exclusive():
            # Settings the index does not say yet (its model): noted by the holder, not by an open.
            config = json.loads((location / "catalog.json").read_text())
            (location / "catalog.json").write_text(json.dumps({**config, "model": "mine"}))
            for model, counts, took in in_this_thread_and_another(open_and_read):
                assert (model, counts) == ("mine", (20, 0)) and took < 2, took
            assert "model" not in _meta(location)
            # (its pages all in the file: else SQLite reads the -wal's newer first page, sound)
            holder.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            with open(location / "index.sqlite", "r+b") as fp:
                fp.write(b"not a database at all" * 5)
            for message, took in in_this_thread_and_another(open_damaged):
                assert took < 2, took
                assert message == ("catalog 'shop': its index file is damaged (the file is not a SQLite database "
                                   "(truncated or overwritten)), "
                                   "and this vsdesk process is indexing it: try again once it has finished (the "
                                   "index is then rebuilt from the images)")
            assert not list(location.glob("index.sqlite.damaged-*"))  # left to the holder's next open


@needs_setpriv
def test_a_damaged_index_in_a_read_only_catalog_folder_is_not_said_to_be_another_process(two_folders):
    """The damaged index of a catalog whose folder is read-only cannot be moved aside (nor its
    lock file made): the message says so and what to do, not to wait for another process's run
    that does not exist."""
    a, _ = two_folders
    Catalog.create("shop", "style", [a]).close()
    location = catalog_location("shop")
    (location / ".index.lock").unlink()
    with open(location / "index.sqlite", "r+b") as fp:
        fp.write(b"not a database at all" * 5)
    script = ("from vsdesk.engine.catalog import Catalog, CatalogError\n"
              "try:\n    Catalog.open('shop')\nexcept CatalogError as exc:\n    print(type(exc).__name__, exc)")
    location.chmod(0o555)
    try:
        opened = without_root_powers([sys.executable, "-c", script])
    finally:
        location.chmod(0o755)
    assert opened.returncode == 0, opened.stderr[-2000:]
    assert opened.stdout.strip() == (
        f"CatalogStorageError catalog 'shop' cannot be changed: its folder {location} is read-only (or you may not "
        f"write in it). Make it writable (e.g. `chmod u+w {location}`) and run again; its index file is damaged "
        "(the file is not a SQLite database (truncated or overwritten)): it is moved aside and rebuilt from the "
        "images then")
    assert (location / "index.sqlite").is_file() and not list(location.glob("index.sqlite.damaged-*"))


#: Another vsdesk process looking at catalogs shop0, shop1, ... as the window does (whether it is
#: being indexed, then opened for its counts), each over and over until it is removed: it says
#: when it has seen one, and prints how each look ended.
LOOKER = """
import collections, json, os, sys
from vsdesk.engine.catalog import Catalog, CatalogNotFound, is_being_indexed

ended = collections.Counter()
for i in range({count}):
    name, seen = f"shop{{i}}", False
    while True:
        try:
            is_being_indexed(name)
            with Catalog.open(name) as catalog:
                catalog.counts()
            ended["opened"] += 1
        except CatalogNotFound:
            ended["not found"] += 1
            break
        except Exception as exc:
            ended[f"{{type(exc).__name__}}: {{exc}}"] += 1
        if not seen:
            seen = True
            open(os.path.join({marks!r}, name), "w").close()
print(json.dumps(ended))
"""


def test_a_catalog_removed_while_another_process_looks_at_it_is_removed_whole(capsys, tmp_path, two_folders):
    """`vsdesk catalogs remove NAME` right after a window opened the catalog: the window, looking
    whether it is being indexed (which makes the lock file in its folder) and opening it, made
    files again in the folder being deleted, so the removal failed ("Directory not empty") and
    left half a catalog, which opened as a damaged one. Now the removal removes it whole, and
    the other process finds the catalog or no catalog, nothing else."""
    from vsdesk.engine import paths

    count = 30
    for i in range(count):
        folder = _folder(tmp_path, f"images{i}", i % 20, 3)
        with Catalog.create(f"shop{i}", "style", [folder]) as catalog:
            assert index_catalog(catalog, HistogramEmbedder()).indexed == 3
    marks = tmp_path / "seen"
    marks.mkdir()
    with another_process(LOOKER.format(count=count, marks=str(marks))) as (proc, wait_for):
        failed = []
        for i in range(count):
            wait_for(marks / f"shop{i}", "looked at the catalog")  # removed while the other process looks at it
            code, _, err = run(capsys, "catalogs", "remove", f"shop{i}")
            if code != 0 or "warning" in err:
                failed.append(err.strip())
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err[-2000:]
    assert failed == []
    assert sorted(p.name for p in paths.catalogs_dir().iterdir()) == []  # nothing left, nothing aside
    ended = json.loads(out)
    assert set(ended) == {"opened", "not found"}, ended
    assert ended["not found"] == count
    assert all(len(list(folder.glob("*.jpg"))) == 3 for folder in tmp_path.glob("images*"))  # the images untouched


#: Another vsdesk process adds folder ``{folder}`` to catalog "shop" (`vsdesk index --catalog
#: shop FOLDER` does it so); prints what became of it.
ADD_FOLDER = """
from vsdesk.engine.catalog import Catalog, CatalogBusy

with Catalog.open("shop") as catalog:
    try:
        catalog.add_folder({folder!r})
        print("added")
    except CatalogBusy as exc:
        print(exc)
"""


def test_what_a_removal_was_told_is_checked_under_the_catalogs_lock_with_the_removal(two_folders, monkeypatch):
    """The window asks "remove the catalog (N images, these folders)?", and removes it if it
    still holds that. The check was made before the removal took the lock: a folder another
    process added in between was removed without the user having been told of it. Now the check
    is made under the lock: the other process's change is refused while it is made."""
    from vsdesk.engine.catalog import catalog_exists
    from vsdesk.engine.session import ModeSession

    first, second = two_folders
    Catalog.create("shop", "style", [first]).close()
    session = ModeSession("style")
    asked = session.removal_facts("shop")[:2]  # what the user was told
    other = []
    counts = Catalog.counts

    def counted_then_another_process_adds_a_folder(catalog):
        found = counts(catalog)
        if not other:  # right after the check: the other process's change, made or refused
            other.append(subprocess.run([sys.executable, "-c", ADD_FOLDER.format(folder=str(second))], cwd=REPO,
                                        capture_output=True, text=True, timeout=120))
        return found

    monkeypatch.setattr(Catalog, "counts", counted_then_another_process_adds_a_folder)
    removed = session.remove_catalog("shop", asked)
    [done] = other
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == f"{BUSY}; {second} was not added: try again once it has finished"
    assert removed is not None and removed.left_over is None and not catalog_exists("shop")


def test_a_removal_told_of_what_the_catalog_no_longer_holds_removes_nothing(two_folders):
    from vsdesk.engine.catalog import CatalogChanged, catalog_exists, removal_facts, remove_catalog
    from vsdesk.engine.session import ModeSession

    first, second = two_folders
    with Catalog.create("shop", "style", [first]) as catalog:
        asked = removal_facts(catalog)
        catalog.add_folder(second)  # (by another process, say)
    with pytest.raises(CatalogChanged, match="catalog 'shop' changed since you were asked"):
        remove_catalog("shop", expect=asked)
    assert catalog_exists("shop")
    assert ModeSession("style").remove_catalog("shop", asked) is None and catalog_exists("shop")
    assert remove_catalog("shop", expect=(0, (str(first), str(second)))).left_over is None
    assert not catalog_exists("shop")


#: Another vsdesk process opening catalogs new0, new1, ... (`vsdesk search --catalog NAME`): it
#: marks that it looks for one, tries to open it until it is there, and prints how each try ended.
OPENER = """
import collections, json, os
from vsdesk.engine.catalog import Catalog, CatalogNotFound

ended = collections.Counter()
for i in range({count}):
    open(os.path.join({marks!r}, f"new{{i}}"), "w").close()
    while True:
        try:
            with Catalog.open(f"new{{i}}") as catalog:
                catalog.counts()
            ended["opened"] += 1
            break
        except CatalogNotFound:
            ended["not found"] += 1
        except Exception as exc:
            ended[f"{{type(exc).__name__}}: {{exc}}"] += 1
            break
print(json.dumps(ended))
"""


def test_a_catalog_created_while_another_process_opens_it_is_made_whole(tmp_path):
    """`vsdesk index --catalog NEW FOLDER` while `vsdesk search --catalog NEW` runs: SQLite made
    the new index as an empty file, written at its first change; the other process, opening
    it in between, took the empty file for a damaged one and moved it aside, and one or the
    other failed with "disk I/O error", "database disk image is malformed" or "locked". Now
    the index is made whole and put in place in one step."""
    count = 150
    marks = tmp_path / "looking"
    marks.mkdir()
    failed = []
    with another_process(OPENER.format(count=count, marks=str(marks))) as (proc, wait_for):
        for i in range(count):
            wait_for(marks / f"new{i}", "looked for the catalog")  # made while the other process looks for it
            try:
                with Catalog.create(f"new{i}", "vae", []) as catalog:
                    catalog.counts()
            except Exception as exc:
                failed.append(f"{type(exc).__name__}: {exc}")
        out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err[-2000:]
    ended = json.loads(out)
    assert failed == [] and ended.get("opened") == count, (failed, ended)
    assert not [p for p in catalog_location("new0").parent.rglob("*damaged*")]


#: Another vsdesk process opening catalog "again" over and over until ``{stop}`` is made; prints
#: how each try ended.
REOPENER = """
import collections, json, os
from vsdesk.engine.catalog import Catalog, CatalogNotFound

ended = collections.Counter()
open({stop!r} + ".started", "w").close()
while not os.path.exists({stop!r}):
    try:
        with Catalog.open("again") as catalog:
            catalog.counts()
        ended["opened"] += 1
    except CatalogNotFound:
        ended["not found"] += 1
    except Exception as exc:
        ended[f"{{type(exc).__name__}}: {{exc}}"] += 1
print(json.dumps(ended))
"""


def test_a_catalog_removed_and_made_again_while_another_process_opens_it_is_said_so(tmp_path):
    """A catalog removed while another process had it open, and one of that name made at once:
    that process's index files were deleted under it, and the folder it looked in was there
    again, so its error was said as a disk error ("disk I/O error", "no permission"). Now it is
    told that the catalog it opened was removed."""
    from vsdesk.engine.catalog import remove_catalog

    stop = tmp_path / "stop"
    with another_process(REOPENER.format(stop=str(stop))) as (proc, wait_for):
        wait_for(Path(f"{stop}.started"), "started")
        for _ in range(200):
            Catalog.create("again", "vae", []).close()
            remove_catalog("again")
        stop.touch()
        out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err[-2000:]
    ended = json.loads(out)
    assert set(ended) <= {"opened", "not found"}, ended


#: `vsdesk` commands on catalog "shop" (a folder removed, added back and indexed, each step a
#: ``Catalog`` of its own, closed after) until the file ``stop`` is made; prints its rounds.
COMMANDS = """
import os, sys
sys.path.insert(0, {tests!r})
from test_catalog import HistogramEmbedder
from vsdesk.engine.catalog import Catalog, index_catalog

rounds = 0
while not os.path.exists({stop!r}) and rounds < 400:
    with Catalog.open("shop") as catalog:
        catalog.remove_folder({b!r})
    with Catalog.open("shop") as catalog:
        catalog.add_folder({b!r})
        index_catalog(catalog, HistogramEmbedder(), batch_size=2, workers=1)
    rounds += 1
print(rounds)
"""


def test_the_window_looking_at_a_catalog_while_commands_change_it_never_finds_its_index_damaged(tmp_path):
    """The window holds a catalog open and looks at it (``look``) while `vsdesk` commands change
    it. Each look opened and closed the index file outside SQLite, which released the POSIX locks
    of the window's connection: a command's connection, closing last as it then believed,
    deleted the -wal and -shm under it; the window read the sound index as "malformed" (or
    "failed its integrity check") and moved it aside to rebuild it, or wrote into the deleted
    -wal (a corrupted index)."""
    a, b = _folder(tmp_path, "a", 0, 20), _folder(tmp_path, "b", 20, 6)
    with Catalog.create("shop", "style", [a, b]) as catalog:
        index_catalog(catalog, HistogramEmbedder())
        location = catalog.location
    stop = tmp_path / "stop"
    script = COMMANDS.format(tests=str(REPO / "tests"), stop=str(stop), b=str(b))
    failures, looks = [], 0
    with another_process(script) as (proc, _), Catalog.open("shop") as window:
        deadline = time.monotonic() + 12
        while time.monotonic() < deadline and proc.poll() is None and len(failures) < 3:
            try:
                with Catalog.open("shop", look=True) as look:
                    look.counts()
                window.counts(), window.vectors()  # (what the window's search and map read)
                looks += 1
            except Exception as exc:  # noqa: BLE001 - every failure is the finding
                failures.append(f"{type(exc).__name__}: {exc}")
            time.sleep(0.01)
        stop.touch()
        out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err[-2000:]
    assert failures == [], failures
    assert int(out.split()[-1]) > 5 and looks > 50  # (both really were at it meanwhile)
    assert not list(location.glob("index.sqlite.damaged-*"))
    conn = sqlite3.connect(location / "index.sqlite")
    assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    assert conn.execute("SELECT COUNT(*) FROM files").fetchone()[0] == 26
    conn.close()


#: Another program with the index at argv[1] open (a read made: it holds it as SQLite does) until
#: its stdin is closed.
HOLD_OPEN = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("SELECT COUNT(*) FROM meta").fetchone()
print("open", flush=True)
sys.stdin.read()
conn.close()
"""


def _indexed_catalog(name: str, folder) -> Path:
    """A style catalog of ``folder`` made and indexed (a histogram stands in for the model): its
    index's path."""
    with Catalog.create(name, "style", [folder]) as catalog:
        index_catalog(catalog, HistogramEmbedder())
        return catalog.index_path


def test_a_damaged_index_another_process_has_open_is_moved_aside_only_once_it_is_closed(two_folders):
    """Moving an index aside renames its -wal and -shm: a connection left on it would read and
    write them as the new index's, and on closing last delete the new index's by their names."""
    a, _ = two_folders
    index = _indexed_catalog("shop", a)
    lose_pages(index)
    holder = subprocess.Popen([sys.executable, "-c", HOLD_OPEN, str(index)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "open"
        with pytest.raises(CatalogStorageError, match=r"its index file is damaged .*has it open: it is moved aside and rebuilt"):
            Catalog.open("shop")
        assert not list(index.parent.glob("index.sqlite.damaged-*"))  # left as it is
    finally:
        holder.communicate("")
    with Catalog.open("shop") as catalog:
        assert catalog.recovered and "the index file was damaged" in catalog.recovered
        assert list(index.parent.glob("index.sqlite.damaged-*"))
        assert index_catalog(catalog, HistogramEmbedder()).indexed == 20


def test_damage_is_confirmed_by_a_process_of_its_own_which_tells_who_has_the_index_open(two_folders):
    """What ``_confirmed`` asks before a rebuild: this process's view of an index can be stale
    (SQLite shares it among all its connections here), another process's is the file's own."""
    from vsdesk.engine.catalog._damage import confirm_damage

    a, _ = two_folders
    index = _indexed_catalog("shop", a)
    sound = confirm_damage(index, "the database failed its integrity check")
    assert (sound.problem, sound.in_use) == (None, False), sound.said  # said damaged here only: not moved
    holder = subprocess.Popen([sys.executable, "-c", HOLD_OPEN, str(index)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "open"
        assert confirm_damage(index, "x").in_use
    finally:
        holder.communicate("")
    lose_pages(index)
    damaged = confirm_damage(index, "the database failed its integrity check")
    assert (damaged.problem, damaged.in_use) == ("the database failed its integrity check", False), damaged.said
    index.write_bytes(b"")
    assert confirm_damage(index, "the database file is empty (cut off?)").problem == "the database file is empty (cut off?)"


def test_a_script_without_a_main_guard_meeting_a_damaged_index_gets_the_verdict(two_folders, tmp_path):
    """The check of a damaged index (``confirm_damage``) ran in a multiprocessing "spawn" child,
    which imports the caller's main module again: a script opening a catalog at its top level
    (no ``if __name__ == "__main__":``) ran itself again there, got no verdict, and its damaged
    index was never moved aside and rebuilt."""
    a, _ = two_folders
    index = _indexed_catalog("shop", a)
    lose_pages(index)
    script = tmp_path / "open_it.py"
    script.write_text("from vsdesk.engine.catalog import Catalog\n"
                      "print('opening', flush=True)\n"
                      "with Catalog.open('shop') as catalog:\n"
                      "    print('recovered:', catalog.recovered)\n")
    done = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=os.environ.copy(), capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0 and "the index file was damaged; it was moved to" in done.stdout, done.stderr[-3000:]
    assert done.stdout.count("opening") == 1, done.stdout  # the script ran once, not again in a child
    assert list(index.parent.glob("index.sqlite.damaged-*"))


def test_in_the_bundle_the_damage_check_is_the_apps_own_entry(two_folders, tmp_path, monkeypatch):
    """In the PyInstaller bundle ``sys.executable`` is vsdesk itself, which has no ``-m``: the
    check is started as the app with ``CHILD_ARGUMENT``, which its entry runs. The app stands
    in here as a script running that entry (``packaging/vsdesk_entry.py``)."""
    from vsdesk.engine.catalog._damage import confirm_damage

    a, _ = two_folders
    index = _indexed_catalog("shop", a)
    lose_pages(index)
    app = tmp_path / "vsdesk"
    started = tmp_path / "started"
    app.write_text(f'#!/bin/sh\necho "$@" >> "{started}"\n'
                   f'exec "{sys.executable}" "{REPO / "packaging" / "vsdesk_entry.py"}" "$@"\n')
    app.chmod(0o755)
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", str(app))
    damaged = confirm_damage(index, "the database failed its integrity check")
    monkeypatch.undo()
    assert (damaged.problem, damaged.in_use) == ("the database failed its integrity check", False), damaged.said
    assert started.read_text().startswith("--vsdesk-child vsdesk.engine.index_look ")
