"""The steps ``vsdesk index`` and ``vsdesk search`` share: the catalog's mode and model settled
from the command line, the catalog opened (a sample's fetched), an index run with its report,
the model loaded, and a ``CatalogError`` turned into the command's exit code."""

from __future__ import annotations

import argparse
import contextlib

from vsdesk.cli._common import (
    FAILED,
    MODE_WORDS,
    USAGE,
    CommandError,
    StderrProgress,
    check_product_model,
    error,
    interrupted_exit_code,
    say,
    say_note,
)
from vsdesk.engine.text import counted, sentence, shell_quoted, shown_path


def settle_mode(args: argparse.Namespace) -> None:
    """Sets ``args.mode`` left out to the mode of the catalog ``--catalog`` names, or of the
    sample of that name; a new catalog (index) needs it said. A --mode given is kept: a catalog
    of another mode then gets the mismatch error, a sample its catalog for that mode."""
    from vsdesk.engine import samples
    from vsdesk.engine.catalog import Catalog, CatalogNotFound, catalog_settings
    from vsdesk.engine.modes import MODES

    if args.mode is not None:
        return
    if samples.is_sample(args.catalog):
        args.mode = samples.SAMPLE_CATALOGS[args.catalog][0]
        return
    # From its settings file alone (opening the index checks it, which grows with its size).
    mode = next((found.mode for found in catalog_settings() if found.name == args.catalog), None)
    if mode in MODES:
        args.mode = mode
        return
    try:  # not there (its error), or settings that cannot be read (rebuilt, or said)
        with Catalog.open(args.catalog) as catalog:
            args.mode = catalog.mode
    except CatalogNotFound as exc:
        if args.command == "search":
            raise
        raise CommandError(f"{exc}; to create it, give its mode ({MODE_WORDS}): `vsdesk index --mode MODE "
                           f"--catalog {shell_quoted(args.catalog)} FOLDER...`", USAGE) from None


def add_model_argument(parser) -> None:
    parser.add_argument(
        "--model", default=None, metavar="NAME",
        help="product mode: a model trained with `vsdesk train product --out NAME` (or its folder) instead of "
        "the shipped one ('product'); a catalog indexed with another model is embedded again with this one, "
        "and keeps it (later runs and the window use it without --model)",
    )


def check_model_option(args: argparse.Namespace) -> None:
    """A --model for another mode, or one that is not there, is told before anything is done
    (a catalog created, a model loaded): reading its metadata costs no TensorFlow."""
    if args.model is None:
        return
    if args.mode != "product":
        raise CommandError(f"--model chooses a product model; the {args.mode} mode has one model", USAGE)
    check_product_model(args.model)


class IndexInterrupted(CommandError):
    """An index run stopped by Ctrl+C (or SIGTERM), with the report of what it had done
    (``interrupted`` set)."""

    def __init__(self, message: str, report):
        super().__init__(message, interrupted_exit_code())
        self.report = report


def open_named_catalog(name: str, mode: str, folders: list[str]):
    """Open (or create) the catalog for ``name``; sample names resolve to their folder."""
    from vsdesk.engine import samples
    from vsdesk.engine.catalog import Catalog, catalog_exists

    if samples.is_sample(name):
        if folders:
            raise CommandError(f"{name!r} is a sample catalog; index your folders under another name", USAGE)
        real = samples.sample_catalog_name(name, mode)
        if real != name and not catalog_exists(real):  # said once: it is indexed once
            made_for = samples.SAMPLE_CATALOGS[name][0]
            say_note(f"{name!r} is the {made_for} mode's sample; for --mode {mode} its images are "
                     f"indexed once into the catalog {real!r}")
        # Always through sample_folder: instant when present, and it brings the files back
        # if the cache was cleared since the catalog was indexed.
        try:
            folder = samples.sample_folder(name, StderrProgress(f"preparing sample {name}"))
        except samples.SampleDataError as exc:
            raise CommandError(str(exc), FAILED) from None
        return Catalog.open_or_create(real, mode, [folder], only=True)
    # New folders join the catalog in the index run, under its lock (see run_index).
    return Catalog.open_or_create(name, mode) if folders else Catalog.open(name)


def catalog_name_for(name: str, mode: str | None) -> str:
    """The catalog that ``name`` stands for in ``mode`` (a sample's per-mode catalog)."""
    from vsdesk.engine import samples

    return samples.sample_catalog_name(name, mode) if samples.is_sample(name) and mode else name


@contextlib.contextmanager
def removed_if_left_empty(name: str):
    """Removes catalog ``name`` again if this command creates it and then fails before any image
    is indexed (a model that does not load, Ctrl+C during the load): nothing is left behind for
    `catalogs list` and the window to show as an empty catalog. A catalog that existed before
    the command is never removed, nor one that holds any image."""
    from vsdesk.engine.catalog import catalog_exists

    if catalog_exists(name):
        yield
        return
    try:
        yield
    except BaseException as exc:
        if _remove_if_empty(name) and isinstance(exc, IndexInterrupted):  # its message says "is kept"
            raise IndexInterrupted(f"interrupted before any image was indexed; catalog {name!r} was not created",
                               exc.report) from None
        raise


def _remove_if_empty(name: str) -> bool:
    """Removes catalog ``name`` if it holds no image and no run indexes it; whether it did. The
    files its scan skipped (a symlink loop, a file that is no image) go with it: they are notes
    the next run makes again, and kept alone they showed "0 images so far, 1 skipped"."""
    from vsdesk.engine.catalog import Catalog, CatalogError, is_being_indexed, removal_facts, remove_catalog

    try:
        with Catalog.open(name) as catalog:
            if catalog.counts()[0] != 0 or is_being_indexed(catalog):
                return False
            empty = removal_facts(catalog)
        remove_catalog(name, expect=empty)  # not if another process indexed an image into it meanwhile
    except CatalogError:  # a courtesy: the command's own error is the one to tell
        return False
    return True


def run_index(catalog, embedder, batch_size: int = 32, add_folders: list[str] = (), model_key: str | None = None,
               model: str | None = None):
    """``model``: the catalog's model from this run on (``catalog.set_model``), kept once the
    run holds the catalog, so that no other process's run is in the middle of it."""
    from vsdesk.engine.catalog import CatalogBusy, CatalogError, IndexReport, index_catalog

    if catalog.recovered:
        say_note(catalog.recovered)
    check_has_folders(catalog, add_folders)
    report = IndexReport()  # filled in as the run goes: an interrupted run still has it
    try:
        with stop_said_at_once():
            return index_catalog(catalog, embedder, StderrProgress(f"indexing {catalog.name}"), batch_size=batch_size,
                                 add_folders=add_folders, model_key=model_key, report=report, keep_model=model)
    except CatalogBusy as exc:
        raise CommandError(f"{exc}; wait for it to finish, or search the catalog meanwhile (it holds "
                           f"{_images_so_far(catalog)} so far)", FAILED, busy=True) from None
    except KeyboardInterrupt:
        # Ctrl+C: the batches committed before it stay, and a run again starts after them.
        try:
            kept = f" ({counted(catalog.counts()[0], 'image')} indexed)"
        except CatalogError:  # the count is a courtesy; the message must come out
            kept = ""
        report.interrupted = True  # (set by the run too, unless it was stopped before it began)
        raise IndexInterrupted(f"interrupted: what catalog {catalog.name!r} has indexed so far is kept{kept}; the same "
                           "command goes on from there", report) from None


def check_has_folders(catalog, add_folders: list[str] = ()) -> None:
    """A catalog with no folders (all forgotten) and none given has nothing to index: said
    before anything else is (the model it would be embedded with, say)."""
    if not catalog.folders and not add_folders:
        raise CommandError(f"catalog {catalog.name!r} has no folders; add some with "
                           f"`vsdesk index --mode {catalog.mode} --catalog {shell_quoted(catalog.name)} FOLDER`", USAGE)


#: Said on stderr the moment Ctrl+C, SIGTERM or SIGHUP comes during an index run (``stop_said_at_once``).
STOPPING_WORDS = "stopping after the current step…"  # (what is kept is said once stopped)
#: Said so during a step that stops only once it is done (a model's loading, queries' embedding).
STOPPING_SOON_WORDS = "stopping…"


@contextlib.contextmanager
def stop_said_at_once(words: str = STOPPING_WORDS):
    """While an index run (or another long step) goes, the first Ctrl+C, SIGTERM or SIGHUP is
    said on stderr at once, in ``words``. Python raises its ``KeyboardInterrupt`` only once the main
    thread is back from the model's batch (a style batch of 32 took 12.5 s on a busy machine,
    with nothing said; a product model's loading, 6 s): the C-level handler writes the signal's
    number to a wakeup fd, which a thread of its own reads and says. Left alone off the main
    thread, or where another wakeup fd is set (a step inside another: the outer one says it)."""
    import os
    import signal
    import threading

    from vsdesk import early_signals

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    read_end, write_end = os.pipe()
    os.set_blocking(write_end, False)  # (the handler must never block)
    try:
        before = signal.set_wakeup_fd(write_end, warn_on_full_buffer=False)
    except ValueError:
        before = None
    if before is None or before != -1:  # another's wakeup fd (asyncio): not taken from it
        if before is not None:
            signal.set_wakeup_fd(before)
        os.close(read_end)
        os.close(write_end)
        yield
        return

    def say_when_stopped():
        while (got := os.read(read_end, 1)) and got[0] != 0:  # (0: the run is over)
            if got[0] in (signal.SIGINT, *early_signals.ENDING):
                error(words)  # (on a line of its own, after a progress line)
                return

    sayer = threading.Thread(target=say_when_stopped, name="vsdesk-stop-notice", daemon=True)
    sayer.start()
    try:
        yield
    finally:
        signal.set_wakeup_fd(-1)
        with contextlib.suppress(OSError):
            os.write(write_end, b"\0")
        try:
            sayer.join(timeout=1)
        finally:  # the signal's KeyboardInterrupt came out of that join: its words said before the stop's
            sayer.join(timeout=1)
        os.close(write_end)
        if not sayer.is_alive():
            os.close(read_end)


def _images_so_far(catalog) -> str:
    """How many images the catalog holds now ("30 images"), for a message."""
    from vsdesk.engine.catalog import CatalogError

    try:
        return counted(catalog.counts()[0], "image")
    except CatalogError:  # a courtesy: the message must come out
        return "the images indexed"


def model_for_catalog(catalog, asked: str | None) -> str | None:
    """The model to index and search ``catalog`` with (``modes.catalog_model``); its note said."""
    from vsdesk.engine.modes import catalog_model
    from vsdesk.engine.product.model import ProductModelError

    try:
        model, note = catalog_model(catalog, asked)
    except ProductModelError as exc:  # its folder cannot be found: it may be back once a disk is
        raise CommandError(str(exc), FAILED) from None
    if note:
        say_note(note)
    return model


def catalog_files(catalog) -> int | None:
    """How many files the open ``catalog``'s images are (``Catalog.file_count``), for the
    report's text; None when that cannot be read (then the paths are said alone)."""
    import sqlite3

    from vsdesk.engine.catalog import CatalogError

    try:
        return catalog.file_count()
    except (CatalogError, sqlite3.Error, OSError):  # a courtesy: the report must come out
        return None


def print_index_report(report, catalog, files: int | None = None, also: str | None = None) -> None:
    """The run's ``report`` on stderr; ``files``: how many files the catalog's images are
    (``catalog_files``), said beside the paths when they differ ("10 images (20 paths)");
    ``also``: what the summary says last, of the command rather than of the run (why it exits 1)."""
    from vsdesk.engine.catalog import away_words, how_to_drop, how_to_forget, no_images_words

    say(report.summary(files) + (f"; {also}" if also else ""))
    for folder in report.no_images:  # a wrong folder given, or photos in a format not looked for
        say(f"warning: {no_images_words(folder)}")
    for folder in report.missing_folders:
        if folder.path in report.missing_without_images:  # nothing kept for it
            say(f"  note: {shown_path(folder.path)} is {away_words(folder.kind, holds_none=True)}; "
                f"{how_to_drop(folder.path, catalog.name, catalog.folders)}")
            continue
        forget = how_to_forget(folder.path, catalog.name, catalog.folders)
        say(f"  note: {shown_path(folder.path)}: {folder.message}. {sentence(forget)}")
    if report.skipped:
        say(f"skipped {len(report.skipped)}:")
        for item in report.skipped[:50]:
            say(f"  {shown_path(item.path)}: {item.message} [{item.kind}]")
        if len(report.skipped) > 50:
            say(f"  ... and {len(report.skipped) - 50} more")


def load_mode_embedder(mode: str, model: str | None = None, indexing: bool = False):
    """The mode's embedder, loaded (``_settle``); ``indexing``: only what an index run needs."""
    from vsdesk.engine.models.errors import ModelStoreError
    from vsdesk.engine.modes import load_embedder
    from vsdesk.engine.product.model import ProductModelError  # light: no TensorFlow

    try:
        with stop_said_at_once(STOPPING_SOON_WORDS):  # (the loading cannot be cut short: seconds)
            say(f"loading the {mode} model{f' {model!r}' if model else ''} ...")
            embedder = load_embedder(mode, **({"model": model} if model is not None else {}))
            _settle(embedder, indexing)
    except ModelStoreError as exc:
        raise CommandError(str(exc), FAILED) from None
    except ProductModelError as exc:  # (one that is not there is told by check_model_option)
        raise CommandError(f"{exc}; `vsdesk models list` shows the product models", FAILED) from None
    except (ImportError, AttributeError) as exc:
        raise CommandError(f"the {mode} mode is not available in this installation ({exc})", FAILED) from None
    return embedder


def _settle(embedder, indexing: bool = False) -> None:
    """Loads what runs the model now, inside the load's error handling: a member whose
    fast-path file is missing or damaged must be converted again, which needs the backbone's
    weights; when they cannot be had (a read-only model cache) that is a failure of the load,
    said as one (exit 1), the same for a file missing as for one damaged, not a traceback nor a
    search answered without the query's facts. A search loads every member (its facts need
    them all); an index run (``indexing``) the first alone, the one its vectors come from: a
    damaged other member does not stop it, and is said at the next search. Loading a member
    from its file takes a fraction of a second; a conversion is said first (``first_use_note``),
    and converts them all."""
    note = embedder.first_use_note()
    if note:
        # A conversion due: every member converted now, under the one note, as the window does
        # (an index run converting its first alone left the others to the next search, which
        # said the note, "once", again).
        say(note)
        embedder.warm_up()
    else:
        embedder.warm_up(indexing=indexing)


def handle_catalog_errors(func, args) -> int:
    """Runs a catalog command; a ``CatalogError`` at any step ends it as a ``CommandError``."""
    from vsdesk.engine.catalog import CatalogBusy, CatalogError

    try:
        return func(args)
    except CatalogError as exc:  # a mode mismatch, a read-only index, a full disk ...
        raise CommandError(str(exc), _exit_code(exc), busy=isinstance(exc, CatalogBusy)) from None


def _exit_code(exc: Exception) -> int:
    """USAGE (2) for a catalog that is not there, already there or of another mode: the command
    must change; FAILED (1) for the others, a file or disk or another process in the way (a
    damaged settings file, a full or read-only disk, a run of another process)."""
    from vsdesk.engine.catalog import CatalogExists, CatalogModeMismatch, CatalogNotFound

    return USAGE if isinstance(exc, (CatalogNotFound, CatalogExists, CatalogModeMismatch)) else FAILED


def check_catalog_name(name: str) -> None:
    """A catalog name vsdesk cannot use is a usage error (exit 2), told before anything is done."""
    from vsdesk.engine.catalog import CatalogError, catalog_location

    try:
        catalog_location(name)
    except CatalogError as exc:
        raise CommandError(str(exc), USAGE) from None
