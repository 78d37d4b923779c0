"""``vsdesk``: with a command (index, search, models ...) the CLI; otherwise the desktop window.

``vsdesk`` alone opens the window; ``vsdesk photo.jpg`` (as the .desktop file calls it) opens it
with that image as the query (``vsdesk -- -n.jpg``: a name that starts with "-"); Qt's own options
(``vsdesk -style Fusion``) go to the window's Qt. A window already running takes the paths of a
second ``vsdesk photo.jpg`` (``vsdesk --new-window photo.jpg``: a window of its own).
"""

from __future__ import annotations

import os
import re
import sys


def main(argv: list[str] | None = None) -> int:
    own = argv is None  # the `vsdesk` process itself, not a caller inside Python
    if own:
        from vsdesk import early_signals

        early_signals.hold()  # a Ctrl+C while starting stops the command cleanly (cli._common)
        from vsdesk import native_stderr  # TensorFlow's native chatter stays off its stderr

        native_stderr.install()
        from vsdesk.engine.paths import keep_keras_home_in_cache

        keep_keras_home_in_cache()
        argv = sys.argv[1:]
    if argv and is_for_the_cli(argv[0]):
        from vsdesk.cli import main as cli_main

        if own:  # the window sets up its own log (gui/app.py)
            from vsdesk.engine.logfile import log_command_end, log_command_line

            log_command_line()
            return without_collecting_at_exit(log_command_end(lambda: cli_main(argv)))
        return cli_main(argv)  # a mistyped command gets argparse's "invalid choice" and the list
    if own:  # one while it started ends it quietly
        from vsdesk import early_signals

        if early_signals.held:
            return 128 + early_signals.held[0]
    # Qt is imported only for the window. The signals stay held through that import (a third of
    # a second) until the window takes them over (gui/app.py, which closes at once for one held).
    from vsdesk.gui.app import run

    return run(argv)


def cli() -> int:
    """The ``vsdesk-cli`` console script: ``vsdesk.cli.main``, after ``early_signals.hold`` (here,
    not there: importing ``vsdesk.cli`` takes a tenth of a second, NumPy's import among it)."""
    from vsdesk import early_signals

    early_signals.hold()
    from vsdesk.cli import main as cli_main

    return without_collecting_at_exit(cli_main())


def without_collecting_at_exit(code: int) -> int:
    """``code``, once this command line process's garbage collector has been told to leave the
    objects alive now alone (``gc.freeze``): Python's finalisation then no longer collects them.
    That collection of TensorFlow's and Keras's objects took 1.3-2.3 s after a command's last
    line (perf: ``gc_collect_main``; not TensorFlow's teardown, its threads nor the exit
    functions, 10-20 ms), and the shell's prompt waited for it. Unlike ``os._exit`` nothing else
    is skipped: every exit function runs (the log's handlers flushed and closed, the native
    stderr filter's end, ``weakref.finalize``'s temporary folders), objects outside garbage
    cycles are freed and standard output flushed as before. The catalogs are closed by then
    (``with`` blocks: after ``search`` or ``index`` the log is the only file left open)."""
    import gc

    gc.freeze()
    return code


def is_for_the_cli(word: str) -> bool:
    """An option, a command, or a plain lower-case word that is no file here ("serach": a
    mistyped command, not a photo). Anything else is a path for the window (``photo.jpg``), told
    without building the CLI's parser, which costs a third of a second. Qt's own options
    (``-style Fusion``, ``-reverse``) are the window's, and so is "--", after which every word
    is a path (``vsdesk -- -n.jpg``)."""
    from vsdesk.gui.qt_options import is_qt_option  # (no Qt import)

    if word in ("--", "--new-window") or is_qt_option(word):
        return False
    if word.startswith("-"):
        return True
    if not re.fullmatch(r"[a-z][a-z-]*", word):  # every command is such a word
        return False
    return not os.path.exists(word) or _is_command(word)


def _is_command(word: str) -> bool:
    from vsdesk.cli import build_parser

    parser = build_parser()
    for action in parser._subparsers._group_actions:  # noqa: SLF001 - argparse has no public API
        if word in action.choices:
            return True
    return False


if __name__ == "__main__":
    sys.exit(main())
