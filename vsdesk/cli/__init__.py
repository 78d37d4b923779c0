"""The ``vsdesk`` command line: the same engine as the window, headless and scriptable.

Each command group lives in its own module with ``register(subparsers)``; a command's handler
takes the parsed ``argparse.Namespace`` and returns the process exit code. Progress and messages
go to stderr, ``--json`` output to stdout, so scripts can pipe it.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from vsdesk import __version__, native_stderr
from vsdesk.cli._common import error
from vsdesk.engine.paths import LocationError

#: Modules under ``vsdesk.cli`` that add commands. Order = order in ``--help``.
COMMAND_MODULES = ("catalog_commands", "model_commands", "eval_commands", "train_commands", "bench_commands", "vae_commands",
                   "desktop_commands")


#: What ``--help`` says each entry point is: ``vsdesk`` (``vsdesk/__main__.py``) opens the window
#: when given no command; ``vsdesk-cli`` (the console script: ``main()`` without arguments) is the
#: command line alone, for a console where ``vsdesk`` is a GUI launcher, and never opens it.
DESCRIPTIONS = {
    "vsdesk": "Visual search by artistic style, product type or VAE latent space. "
    "Without a command, opens the desktop window.",
    "vsdesk-cli": "Visual search by artistic style, product type or VAE latent space: the command "
    "line alone, without the desktop window (run `vsdesk` for the window, or `vsdesk IMAGE`).",
}


def build_parser(prog: str = "vsdesk") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description=DESCRIPTIONS[prog])
    parser.add_argument("--version", action="version", version=f"vsdesk {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(f"vsdesk.cli.{name}").register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    """The ``vsdesk-cli`` console script (``argv`` None: this process's own arguments), and the
    commands of ``vsdesk`` (``vsdesk/__main__.py`` passes its ``argv``)."""
    if argv is None:  # the `vsdesk-cli` process itself, not a caller inside Python
        native_stderr.install()
        from vsdesk.engine.paths import keep_keras_home_in_cache

        keep_keras_home_in_cache()
    parser = build_parser("vsdesk-cli" if argv is None else "vsdesk")
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help(sys.stderr)
        return 2
    try:
        return int(args.handler(args) or 0)
    except KeyboardInterrupt:
        error("interrupted")
        return 130
    except LocationError as exc:  # VSDESK_DATA_DIR and the like pointing at a file
        error(str(exc))
        return 2
    except BrokenPipeError:
        # `vsdesk ... --json | head`: the reader has gone, which is not an error of ours; stdout
        # is pointed at /dev/null so the interpreter's final flush does not complain either.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
