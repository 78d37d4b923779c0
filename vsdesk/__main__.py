"""``vsdesk``: with a command (index, search, models ...) the CLI; otherwise the desktop window.

``vsdesk`` alone opens the window; ``vsdesk photo.jpg`` (as the .desktop file calls it) opens it
with that image as the query.
"""

from __future__ import annotations

import os
import re
import sys


def main(argv: list[str] | None = None) -> int:
    if argv is None:  # the `vsdesk` process itself: TensorFlow's native chatter stays off its stderr
        from vsdesk import native_stderr

        native_stderr.install()
        from vsdesk.engine.paths import keep_keras_home_in_cache

        keep_keras_home_in_cache()
        argv = sys.argv[1:]
    if argv and (argv[0].startswith("-") or _is_command(argv[0]) or _looks_like_a_command(argv[0])):
        from vsdesk.cli import main as cli_main

        return cli_main(argv)  # a mistyped command gets argparse's "invalid choice" and the list
    from vsdesk.gui.app import run  # Qt is imported only for the window

    return run(argv)


def _is_command(word: str) -> bool:
    from vsdesk.cli import build_parser

    parser = build_parser()
    for action in parser._subparsers._group_actions:  # noqa: SLF001 - argparse has no public API
        if word in action.choices:
            return True
    return False


def _looks_like_a_command(word: str) -> bool:
    """A plain lower-case word that is no file here ("serach") is a mistyped command, not a photo."""
    return bool(re.fullmatch(r"[a-z][a-z-]*", word)) and not os.path.exists(word)


if __name__ == "__main__":
    sys.exit(main())
