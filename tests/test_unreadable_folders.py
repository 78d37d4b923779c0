"""A folder given to be indexed that cannot be listed (chmod 000) is refused alike by `vsdesk
index` and by the window's "Add to …" and "New catalog": said in the same words, not added, no
catalog made. Tests run as root here, who lists any folder: the checks run without root's power
over file permissions (``without_root_powers``), the window's in a process of its own."""

from __future__ import annotations

import json
import shutil
import sys

import pytest

from conftest import CLOTHING_DIR, copy_images, needs_setpriv, run_cli as run, without_root_powers

LISTED = r"""
import json, sys
from vsdesk.engine.catalog import unreadable_folders, unreadable_words
found = unreadable_folders(sys.argv[1:-1], [sys.argv[-1]])
print(json.dumps([found, unreadable_words(found)]))
"""


@needs_setpriv
def test_the_folders_that_cannot_be_listed_are_found_with_why(tmp_path):
    locked, inside, readable = tmp_path / "locked", tmp_path / "mine" / "locked", tmp_path / "open"
    for folder in (locked, inside, readable):
        folder.mkdir(parents=True)
        folder.chmod(0)
    readable.chmod(0o755)
    try:
        ran = without_root_powers([sys.executable, "-c", LISTED, str(locked), str(readable), str(inside),
                                   str(tmp_path / "mine")])
    finally:
        for folder in (locked, inside):
            folder.chmod(0o755)
    assert ran.returncode == 0, ran.stderr[-2000:]
    # One inside a folder of the catalog already is the index run's to say (it keeps its entries).
    assert json.loads(ran.stdout) == [{str(locked): "permission denied"},
                                      f"cannot read folder {locked}: permission denied"]


#: The window (offscreen) with the user's VAE catalog "mine" shown: "Add to “mine”" of the folder
#: argv[1], then "New catalog" of it; what the message bar said each time, and the catalogs.
WINDOW = r"""
import json, os, sys, time
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

app = QApplication([])
from vsdesk.engine.catalog import catalog_settings
from vsdesk.gui.main_window import MainWindow

def wait(done, what, seconds=240):
    deadline = time.monotonic() + seconds
    while not done():
        if time.monotonic() > deadline:
            sys.exit(f"timed out waiting for {what}: {tab.messages.text()!r}")
        QTest.qWait(50)

locked = sys.argv[1]
win = MainWindow(autostart=False)
win.show()
tab = win.tab("vae")
win.tabs.setCurrentWidget(tab)
tab.catalog_name = "mine"
tab.start()
wait(lambda: tab.snapshot is not None and tab.snapshot.name == "mine" and not tab.catalog_bar.progress.isVisible(),
     "the catalog shown")
said = {}
tab.catalog.add_folder_to_catalog(locked)
wait(lambda: "cannot read" in tab.messages.text().lower(), "Add to", 60)
said["add"] = tab.messages.text()
tab.messages.clear()
tab.add_folder(locked)
wait(lambda: "cannot read" in tab.messages.text().lower(), "New catalog", 60)
said["new"] = tab.messages.text()
QTest.qWait(500)  # anything more it would do (open a catalog made) has begun by now
said["catalogs"] = {found.name: found.folders for found in catalog_settings()}
said["shown"] = [tab.snapshot.name, list(tab.snapshot.folders)]
print(json.dumps(said), flush=True)
os._exit(0)  # (the window's worker threads, TensorFlow's, are not wound down: not what is tested)
"""


@needs_setpriv
@pytest.mark.slow
def test_the_window_refuses_a_folder_it_cannot_read_as_the_cli_does(capsys, tmp_path):
    """A chmod-000 folder was added to the catalog shown ("0 images added from …", its "why?"
    saying "1 file could not be indexed") and made a catalog of 0 images by "New catalog".
    Now both say what `vsdesk index` says, add nothing and make no catalog."""
    photos = copy_images(sorted((CLOTHING_DIR / "images").glob("*.jpg"))[:4], tmp_path / "photos")
    assert run(capsys, "index", "--mode", "vae", "--catalog", "mine", str(photos))[0] == 0
    locked = tmp_path / "locked"
    locked.mkdir()
    shutil.copy(next(photos.glob("*.jpg")), locked)
    locked.chmod(0)
    try:
        ran = without_root_powers([sys.executable, "-c", WINDOW, str(locked)])
        cli = without_root_powers([sys.executable, "-m", "vsdesk", "index", "--mode", "vae", "--catalog", "mine",
                                   str(locked)])
    finally:
        locked.chmod(0o755)
    assert ran.returncode == 0, ran.stdout + ran.stderr[-3000:]
    said = json.loads(ran.stdout.strip().splitlines()[-1])
    words = f"cannot read folder {locked}: permission denied"
    assert cli.returncode == 1 and f"vsdesk: {words}" in cli.stderr, cli.stderr  # the words the window says
    assert said["add"] == f"C{words[1:]}; it was not added to the catalog “mine”.", said
    assert said["new"] == f"C{words[1:]}; no catalog was made of it.", said
    assert said["catalogs"] == {"mine": [str(photos)]}, said  # nothing added, no catalog made
    assert said["shown"] == ["mine", [str(photos)]], said



def test_the_why_of_a_catalog_folder_that_cannot_be_listed_calls_it_a_folder():
    """A catalog's folder that became unreadable is skipped whole by the scan (``unreadable-folder``):
    its "why?" said "1 file could not be indexed" of it, and "2 files" beside one file."""
    from vsdesk.engine.catalog import SkippedFile
    from vsdesk.gui.skipped_dialog import not_indexed_words

    folder = SkippedFile("/photos/locked", "unreadable-folder", "permission denied: cannot be read")
    broken = SkippedFile("/photos/broken.jpg", "unreadable", "not an image file")
    assert not_indexed_words([folder]) == "1 folder could not be read; it is tried again when it changes."
    assert not_indexed_words([folder, broken]) == ("1 file could not be indexed and 1 folder could not be read; "
                                                   "they are tried again when they change.")
    assert not_indexed_words([broken, broken]) == "2 files could not be indexed; they are tried again when they change."
