#!/usr/bin/env python3
"""How long vsdesk takes to end: a command after its last output line, the window after Ctrl+Q.

``cli``: runs a vsdesk command (the real ``vsdesk`` of this environment) several times and says
the seconds from its last output line to the process's end, alternated with the same command
whose garbage is collected at exit as before (an exit function that runs last calls
``gc.unfreeze``): the ratio of the two is the figure (a shared machine's load varies).

``window``: starts the real window on an X display (Xvfb, ``--display``) with a home of its own,
waits until it shows (``--when-mapping``: until a map's t-SNE child runs, its home's maps
forgotten first) and, after ``--wait`` seconds more, sends Ctrl+Q with ``xdotool``; it says the seconds from the key to the window unmapped (``xev``) and to the
process's end.

    .venv/bin/python scripts/measure_quit.py cli --rounds 3 -- search --mode product --catalog c20 photo.jpg
    .venv/bin/python scripts/measure_quit.py window --display :95 --home /tmp/h --when-mapping --wait 3 [-- ARGS]
"""

from __future__ import annotations

import argparse
import os
import selectors
import shutil
import subprocess
import sys
import tempfile
import threading
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


class UnmapWatch:
    """When the X server unmapped (or destroyed) ``window``: ``xev`` listening for its structure
    events, each line read as it comes (a poll of ``xwininfo`` added 30-100 ms at a high load)."""

    def __init__(self, window: str, env: dict[str, str]):
        self.at: float | None = None
        self.process = subprocess.Popen(["stdbuf", "-oL", "xev", "-id", window, "-event", "structure"], env=env,
                                        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        for line in self.process.stdout:
            if self.at is None and line.startswith(("UnmapNotify", "DestroyNotify")):
                self.at = time.monotonic()

    def close(self) -> None:
        self.process.kill()
        self.process.wait()


def map_child_running(pid: int) -> bool:
    """Whether the window ``pid`` has a t-SNE child process now."""
    children = subprocess.run(["ps", "--ppid", str(pid), "-o", "args="], capture_output=True, text=True)
    return "vsdesk.engine.tsne_process" in children.stdout


def map_child_started(pid: int, timeout: float = 300.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if map_child_running(pid):
            return True
        time.sleep(0.2)
    return False


def measure_window(display: str, home: str, wait: float, rounds: int, args: list[str], when_mapping: bool) -> None:
    env = dict(os.environ, DISPLAY=display, HOME=home)
    for round_ in range(rounds):
        if when_mapping:  # the maps computed again: the ones kept in the cache forgotten
            for kept in Path(home, ".cache", "vsdesk", "projections").glob("*"):
                kept.unlink()
        window_process = subprocess.Popen(vsdesk_command() + ["--new-window", *args], env=env,
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            window = window_shown(env)
            if window is None:
                print(f"round {round_}: the window did not show")
                continue
            if when_mapping and not map_child_started(window_process.pid):
                print(f"round {round_}: no map was computed")
                continue
            time.sleep(wait)
            mapping = "a map computing" if map_child_running(window_process.pid) else "no map computing"
            # Focused, not activated: Xvfb has no window manager to activate it. The key is a real
            # one (XTEST), not an event sent to the window.
            subprocess.run(["xdotool", "windowfocus", "--sync", window], env=env, capture_output=True, timeout=10)
            watch = UnmapWatch(window, env)
            time.sleep(0.3)  # (xev selecting the window's events)
            sent = time.monotonic()
            subprocess.run(["xdotool", "key", "ctrl+q"], env=env, check=True)
            window_process.wait(timeout=120)
            ended = time.monotonic() - sent
            time.sleep(0.2)
            watch.close()
            hidden = ended if watch.at is None else watch.at - sent
            print(f"round {round_}: Ctrl+Q -> hidden {hidden:.2f} s, -> process ended {ended:.2f} s "
                  f"(exit {window_process.returncode}; {mapping})", flush=True)
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
    win.add_argument("--when-mapping", action="store_true",
                     help="forget the home's maps, and wait for one to be computed before --wait")
    win.add_argument("args", nargs=argparse.REMAINDER)
    options = parser.parse_args()
    rest = [word for word in (options.command if options.what == "cli" else options.args) if word != "--"]
    if options.what == "cli":
        measure_cli(rest, options.rounds)
    else:
        measure_window(options.display, options.home, options.wait, options.rounds, rest, options.when_mapping)


if __name__ == "__main__":
    main()
