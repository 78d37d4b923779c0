#!/usr/bin/env python3
"""How long vsdesk takes to end: a command after its last output line, the window after Ctrl+Q.

``cli``: runs a vsdesk command (the real ``vsdesk`` of this environment) several times and says
the seconds from its last output line to the process's end, alternated with the same command
whose garbage is collected at exit as before (an exit function that runs last calls
``gc.unfreeze``): the ratio of the two is the figure (a shared machine's load varies).

``window``: starts the real window on an X display (Xvfb, ``--display``) with a home of its own,
waits until it shows and, after ``--wait`` seconds (a map computing, say), sends Ctrl+Q with
``xdotool``; it says the seconds from the key to the window unmapped (``xwininfo``) and to the
process's end.

    .venv/bin/python scripts/measure_quit.py cli --rounds 3 -- search --mode product --catalog c20 photo.jpg
    .venv/bin/python scripts/measure_quit.py window --display :95 --home /tmp/h --wait 8 --rounds 3 [-- ARGS]
"""

from __future__ import annotations

import argparse
import os
import selectors
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

#: A sitecustomize whose exit function, registered first, runs last: the collection of the
#: objects alive at exit comes back (the behaviour before ``vsdesk.__main__.without_collecting_at_exit``).
COLLECTED_AS_BEFORE = "import atexit, gc\natexit.register(gc.unfreeze)\n"


def vsdesk_command() -> list[str]:
    found = shutil.which("vsdesk", path=os.path.dirname(sys.executable)) or shutil.which("vsdesk")
    return [found] if found else [sys.executable, "-m", "vsdesk"]


def after_last_line(argv: list[str], env: dict[str, str]) -> tuple[float, float, int]:
    """(seconds from the last output line to the end, seconds in all, exit code)."""
    start = time.monotonic()
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        selector.register(process.stderr, selectors.EVENT_READ)
        last, open_pipes = start, 2
        while open_pipes:
            for key, _ in selector.select():
                if os.read(key.fileobj.fileno(), 65536):
                    last = time.monotonic()
                else:
                    selector.unregister(key.fileobj)
                    open_pipes -= 1
    process.wait()
    end = time.monotonic()
    return end - last, end - start, process.returncode


def measure_cli(command: list[str], rounds: int) -> None:
    with tempfile.TemporaryDirectory(prefix="vsdesk-measure-quit-") as site:
        Path(site, "sitecustomize.py").write_text(COLLECTED_AS_BEFORE)
        as_before = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [site, os.environ.get("PYTHONPATH")])))
        tails: dict[str, list[float]] = {"now": [], "collected at exit": []}
        for _ in range(rounds):
            for name, env in (("now", dict(os.environ)), ("collected at exit", as_before)):
                tail, total, code = after_last_line(vsdesk_command() + command, env)
                tails[name].append(tail)
                print(f"{name:>18}: last line -> end {tail:5.2f} s (in all {total:5.2f} s, exit {code})", flush=True)
    for name, values in tails.items():
        print(f"{name:>18}: {', '.join(f'{v:.2f}' for v in values)} s")
    print(f"ratio (collected at exit / now), median: {sorted(tails['collected at exit'])[rounds // 2] / max(1e-3, sorted(tails['now'])[rounds // 2]):.1f}")


def window_shown(env: dict[str, str], timeout: float = 120.0) -> str | None:
    """The id of vsdesk's main window once it is viewable, or None."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = subprocess.run(["xdotool", "search", "--onlyvisible", "--name", "^vsdesk .* visual search$"],
                               capture_output=True, text=True, env=env)
        if found.stdout.split():
            return found.stdout.split()[0]
        time.sleep(0.1)
    return None


def is_viewable(window: str, env: dict[str, str]) -> bool:
    info = subprocess.run(["xwininfo", "-id", window], capture_output=True, text=True, env=env)
    return "IsViewable" in info.stdout


def measure_window(display: str, home: str, wait: float, rounds: int, args: list[str]) -> None:
    env = dict(os.environ, DISPLAY=display, HOME=home)
    for round_ in range(rounds):
        window_process = subprocess.Popen(vsdesk_command() + ["--new-window", *args], env=env,
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            window = window_shown(env)
            if window is None:
                print(f"round {round_}: the window did not show")
                continue
            time.sleep(wait)
            subprocess.run(["xdotool", "windowactivate", "--sync", window], env=env, capture_output=True)
            sent = time.monotonic()
            subprocess.run(["xdotool", "key", "--window", window, "ctrl+q"], env=env, check=True)
            hidden = None
            while window_process.poll() is None and hidden is None:
                if not is_viewable(window, env):
                    hidden = time.monotonic() - sent
                time.sleep(0.01)
            window_process.wait(timeout=120)
            ended = time.monotonic() - sent
            hidden = ended if hidden is None else hidden
            print(f"round {round_}: Ctrl+Q -> hidden {hidden:.2f} s, -> process ended {ended:.2f} s "
                  f"(exit {window_process.returncode})", flush=True)
        finally:
            if window_process.poll() is None:
                window_process.kill()
                window_process.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="what", required=True)
    cli = sub.add_parser("cli")
    cli.add_argument("--rounds", type=int, default=3)
    cli.add_argument("command", nargs=argparse.REMAINDER)
    win = sub.add_parser("window")
    win.add_argument("--display", required=True)
    win.add_argument("--home", required=True)
    win.add_argument("--wait", type=float, default=5.0, help="seconds between the window shown and Ctrl+Q")
    win.add_argument("--rounds", type=int, default=3)
    win.add_argument("args", nargs=argparse.REMAINDER)
    options = parser.parse_args()
    rest = [word for word in (options.command if options.what == "cli" else options.args) if word != "--"]
    if options.what == "cli":
        measure_cli(rest, options.rounds)
    else:
        measure_window(options.display, options.home, options.wait, options.rounds, rest)


if __name__ == "__main__":
    main()
