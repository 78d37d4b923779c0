"""The ``vsdesk`` command line: the same engine as the window, headless and scriptable.

Each command group lives in its own module with ``register(subparsers)``; a command's handler
takes the parsed ``argparse.Namespace`` and returns the process exit code, or raises
``CommandError`` (``_common``: the message and the exit code, 1 or 2). Progress and messages go
to stderr, ``--json`` output to stdout, so scripts can pipe it.
"""

from __future__ import annotations

import argparse
import difflib
import importlib
import os
import re
import shlex
import sys
import textwrap

from vsdesk import __version__, early_signals, native_stderr
from vsdesk.cli import _common
from vsdesk.cli._common import (
    USAGE,
    CommandError,
    error,
    interrupted_exit_code,
    json_on_failure,
    location_exit_code,
    why_not_done,
)
from vsdesk.engine.logfile import log_command_end, log_command_line
from vsdesk.engine.paths import LocationError

#: Modules under ``vsdesk.cli`` that add commands. Order = order in ``--help``.
COMMAND_MODULES = ("catalog_commands", "model_commands", "eval_commands", "train_commands", "bench_commands", "vae_commands",
                   "desktop_commands")


#: What ``--help`` says each entry point is: ``vsdesk`` (``vsdesk/__main__.py``) opens the window
#: when given no command; ``vsdesk-cli`` (the console script: ``main()`` without arguments) is the
#: command line alone, for a console where ``vsdesk`` is a GUI launcher, and never opens it.
#: The sample catalogs, searchable on a fresh install (vsdesk.engine.samples.SAMPLE_CATALOGS: not
#: imported for the help, which would load numpy; tests/test_cli_contract.py keeps the two alike).
SAMPLE_NAMES = ("clothing", "fashion-mnist", "style-artworks")
SAMPLES_WORDS = (f"Sample catalogs to try, made on first use: {', '.join(SAMPLE_NAMES)} "
                 f"(`vsdesk search --catalog {SAMPLE_NAMES[0]} IMAGE`).")

DESCRIPTIONS = {
    "vsdesk": "Visual search by artistic style, product type or VAE latent space. "
    "Without a command, opens the desktop window: `vsdesk IMAGE` opens it with that image as the query, "
    "`vsdesk FOLDER` offering to add that folder as a catalog; a window already open takes them, unless "
    "`--new-window` comes first; `vsdesk -- -n.jpg` for a name that starts with \"-\". " + SAMPLES_WORDS,
    "vsdesk-cli": "Visual search by artistic style, product type or VAE latent space: the command "
    "line alone, without the desktop window (run `vsdesk` for the window, or `vsdesk IMAGE`). " + SAMPLES_WORDS,
}


#: The end of the top-level ``--help``: the exit codes, in README's words ("The command line").
EXIT_CODES = """exit codes, the same for every command:
  0    done
  1    failed for a reason outside the command line: the same command may work once that changes
  2    the command cannot be done as given: it must change
  129  stopped by SIGHUP (its terminal closed)
  130  stopped by Ctrl+C (SIGINT)
  143  stopped by SIGTERM"""


class _HelpFormatter(argparse.HelpFormatter):
    """argparse's, but a text of several lines (the exit codes) keeps its lines, each wrapped
    to the width under its own text ("1    failed for …" goes on under "failed"); and a line
    never breaks inside a name at its hyphen ("fashion-" / "mnist", "--new-" / "window")."""

    def _split_lines(self, text, width):
        return textwrap.wrap(" ".join(text.split()), width, break_on_hyphens=False)

    def _fill_text(self, text, width, indent):
        if "\n" not in text:
            return textwrap.fill(" ".join(text.split()), width, initial_indent=indent, subsequent_indent=indent,
                                 break_on_hyphens=False)
        filled = []
        for line in text.splitlines():
            hang = re.match(r"\s+\S+\s+", line) if line.startswith(" ") else None
            filled.append(textwrap.fill(line.strip(), width, initial_indent=indent + line[:len(line) - len(line.lstrip())],
                                        subsequent_indent=indent + " " * (hang.end() if hang else 0)))
        return "\n".join(filled)


class _UsageError(SystemExit):
    """argparse's exit on a command line it cannot read (code 2), keeping the message it said,
    for ``main`` to print with --json."""

    def __init__(self, message: str):
        super().__init__(USAGE)
        self.message = message


class _Parser(argparse.ArgumentParser):
    """An argument a command does not know is told by that command's own parser, with its usage
    (`vsdesk catalogs remove NAME --zip`: what `catalogs remove` takes), not by the top-level one
    with vsdesk's usage. Subparsers are of the class of the parser that makes them."""

    #: The words the top-level parser was given (``parse_known_args``), for ``_dashed_path_hint``.
    _words: list[str] = []

    #: While ``_unrecognized`` reads the command line again: an error then is not said.
    _probing = False

    def __init__(self, *args, formatter_class=None, **kwargs):  # every command's help wrapped as the top's
        super().__init__(*args, formatter_class=formatter_class or _HelpFormatter, **kwargs)

    def parse_known_args(self, args=None, namespace=None):
        if self._subparsers is not None:  # the top-level parser: the whole command line, for every parser
            _Parser._words = list(sys.argv[1:] if args is None else args)
        self._given = list(sys.argv[1:] if args is None else args)
        namespace, extras = super().parse_known_args(args, namespace)
        if extras and self._subparsers is None:  # a command's own parser (it has no subcommands)
            self.error(f"unrecognized arguments: {' '.join(extras)}")
        return namespace, extras

    def error(self, message):
        """As argparse's: the usage and the message on stderr, exit 2; the message with the
        prefix of every other error ("vsdesk: "), whatever the program's name as typed, and the
        command it is about ("vsdesk: search: ..."), so that a script matches one prefix. The
        JSON "error" is the message without the prefix, as every other error's."""
        if self._probing:
            raise _UsageError(message)
        if message.startswith("the following arguments are required") and self._subparsers is None:
            unknown = self._unrecognized()  # (`index --json --bogus`: the typo first, then what is missing)
            message = f"unrecognized arguments: {' '.join(unknown)}" if unknown else message
        message += _did_you_mean(message)
        self.print_usage(sys.stderr)
        command = self.prog.partition(" ")[2]  # "vsdesk-cli search" -> "search"; "" at the top level
        message = f"{command}: {message}" if command else message
        message += self._dashed_path_hint()
        _common.say(f"vsdesk: {message}")
        raise _UsageError(message)

    def _unrecognized(self) -> list[str]:
        """The words of this command's line it does not know, read by argparse again with nothing
        required: argparse tells a missing required argument before them."""
        required = [action for action in self._actions if action.required]
        for action in required:
            action.required = False
        self._probing = True
        try:
            return argparse.ArgumentParser.parse_known_args(self, self._given)[1]
        except _UsageError:  # another mistake: the missing argument is said, as before
            return []
        finally:
            self._probing = False
            for action in required:
                action.required = True

    def _dashed_path_hint(self) -> str:
        """`vsdesk -n.jpg`, `vsdesk search --catalog c -n.jpg`: a word that looks like an option
        but names a file (or folder) here is a path whose name starts with "-"; how to give it
        ("--" before it) is said, as a command to paste. Looked up in the command line itself, not
        in argparse's message: a name with a space (`vsdesk "-my photo.jpg"`) is taken by argparse
        for a command ("invalid choice"), and its message splits such a name. Not for
        `vsdesk-cli` alone (it opens no window: a path is no command of its)."""
        top_level = self._subparsers is not None
        if top_level and self.prog != "vsdesk":
            return ""
        words = _Parser._words
        words, after = (words[:words.index("--")], words[words.index("--") + 1:]) if "--" in words else (words, [])
        dashed = [word for word in words if word.startswith("-") and os.path.exists(word)]
        if not dashed:
            return ""
        kind = "a folder" if os.path.isdir(dashed[0]) else "a file"
        options = [] if top_level else [word for word in words if word not in dashed]
        command = [self.prog.split()[0], *options, "--", *dashed, *after]
        what = "open" if top_level else "give"
        return f" ({dashed[0]} is {kind} here: to {what} it, put -- before it: {shlex.join(command)})"


def _did_you_mean(message: str) -> str:
    """`vsdesk serach`: argparse's "invalid choice" names every choice; the one near the word
    typed is said ("; did you mean 'search'?"), as argparse does itself only from Python 3.14."""
    found = re.search(r"invalid choice: '(.*)' \(choose from (.*)\)$", message)
    if not found:
        return ""
    choices = [choice.strip().strip("'") for choice in found.group(2).split(",")]
    near = difflib.get_close_matches(found.group(1), choices, n=1)
    return f"; did you mean {near[0]!r}?" if near else ""


def build_parser(prog: str = "vsdesk") -> argparse.ArgumentParser:
    parser = _Parser(prog=prog, description=DESCRIPTIONS[prog], epilog=EXIT_CODES)
    parser.add_argument("--version", action="version", version=f"vsdesk {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(f"vsdesk.cli.{name}").register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    """The ``vsdesk-cli`` console script (``argv`` None: this process's own arguments), and the
    commands of ``vsdesk`` (``vsdesk/__main__.py`` passes its ``argv``)."""
    if argv is None:  # this process's own command line: the `vsdesk-cli` script, or main() called so in Python
        early_signals.hold()  # for a caller of ``vsdesk.cli.main()`` in Python: the console script has held them
        native_stderr.install()
        from vsdesk.engine.paths import keep_keras_home_in_cache

        keep_keras_home_in_cache()
        log_command_line()
        return log_command_end(lambda: _main(None))
    return _main(argv)


def _main(argv: list[str] | None) -> int:
    """``main`` after the process's set-up: parse ``argv`` and run the command."""
    parser = build_parser("vsdesk-cli" if argv is None else "vsdesk")
    try:
        # (--help, --version and a usage error's JSON document: stdout unwritable is said too)
        with _common.output_checked():
            args = _parsed(parser, argv)
    except _common.OutputError as exc:
        error(str(exc))
        return exc.code
    if not getattr(args, "handler", None):
        parser.print_help(sys.stderr)
        return USAGE
    _common.json_printed = False
    return _run(args)


def _parsed(parser: argparse.ArgumentParser, argv: list[str] | None) -> argparse.Namespace:
    try:
        return parser.parse_args(argv)
    except _UsageError as exc:
        # With --json, the JSON document every command given it prints however it ends: a
        # script reading stdout gets the reason too, and its kind tells a command line that
        # must change from a command that failed.
        if _asks_for_json(sys.argv[1:] if argv is None else argv):
            _common.print_json({"error": exc.message, "error_kind": _common.USAGE_ERROR})
        raise
    except SystemExit:  # --help, --version: their text written now, while a failure can be said
        sys.stdout.flush()
        raise


def _asks_for_json(argv: list[str]) -> bool:
    """Whether --json is among the options (or an abbreviation of it, which argparse takes)."""
    options = argv[:argv.index("--")] if "--" in argv else argv
    return any(len(arg) > 2 and "--json".startswith(arg) for arg in options)


def _run(args: argparse.Namespace) -> int:
    """The command's handler; an error that ends it is said on stderr (and, with --json, printed
    as ``{"error", "error_kind"}`` when the command printed no JSON document of its own)."""
    try:
        # (the output checked outermost: a failure document that cannot be written is said too)
        with _common.output_checked(), json_on_failure(args), _common.stop_on_signals():
            code = int(args.handler(args) or 0)
            sys.stdout.flush()  # a text output's last lines: a full disk is told here, not at exit
            return code
    except (CommandError, KeyboardInterrupt, LocationError) as exc:
        error(why_not_done(exc)[0])
        if isinstance(exc, _common.OutputError) and _common.stopped_by_ending_signal():
            return interrupted_exit_code()  # (its terminal closed: the SIGHUP is what ended it, not the EIO after)
        if isinstance(exc, CommandError):
            return exc.code
        if isinstance(exc, KeyboardInterrupt):
            return interrupted_exit_code()
        # LocationError: VSDESK_DATA_DIR and the like naming a file is how the command was given
        # (the environment is part of it); a read-only disk is not (README's table)
        return location_exit_code(exc)
    except BrokenPipeError:
        # `vsdesk ... --json | head`: the reader has gone, which is not an error of ours; stdout
        # is pointed at /dev/null so the interpreter's final flush does not complain either.
        _common.point_at_devnull(sys.stdout.fileno())
        return 0
    finally:
        _common.restore_signal_handlers()  # (after a stop, only once its document and error are written)
