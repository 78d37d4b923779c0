"""Starting a child process of vsdesk's own (the map's t-SNE, the check of a damaged index).

A child is a fresh interpreter running one of ``CHILD_MODULES`` through ``run_child``:
``python -P -m vsdesk.engine.child_process <module>`` (``child_command``), never
multiprocessing's "spawn", which imports the caller's ``__main__`` again in the child, so that a
user's script without ``if __name__ == "__main__":`` ran itself again there. In the PyInstaller
bundle ``sys.executable`` is vsdesk itself: its entry (``packaging/vsdesk_entry.py``) runs
``run_child`` when given ``CHILD_ARGUMENT``. What goes between the two is JSON, never pickles.

A child of ``BACKGROUND_MODULES`` (the map) runs at a lower priority than the window: a query
took 3-6 times as long while a map's t-SNE held both cores at the same priority.

Only the standard library is imported here: the bundle's entry imports this module first.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

#: The argument on which the bundle's entry runs a child (``run_child``): the module follows it.
CHILD_ARGUMENT = "--vsdesk-child"
#: This module, which a child runs (``python -m``; its ``__name__`` is "__main__" there).
THIS_MODULE = "vsdesk.engine.child_process"
#: The modules a child may run; each has ``main(arguments) -> exit code``.
TSNE_MODULE = "vsdesk.engine.tsne_process"
INDEX_LOOK_MODULE = "vsdesk.engine.index_look"
CHILD_MODULES = (TSNE_MODULE, INDEX_LOOK_MODULE)
#: The children that are background work (a map: minutes for 10,000 images) and yield the CPU to
#: the window, which answers the query the user waits for. Not ``index_look``: its answer is
#: waited for, under the catalog's lock.
BACKGROUND_MODULES = (TSNE_MODULE,)
#: How much a background child lowers its priority on POSIX (``os.nice``; 19 is the lowest).
#: At 10 Linux gives it a tenth of a core the window wants too; alone it runs at full speed.
BACKGROUND_NICENESS = 10


def child_command(module: str, arguments: list[str]) -> list[str]:
    """The command that runs ``module``'s ``main(arguments)`` in a child (``run_child``): this
    module run by this Python (``-P``: not the current folder's modules first), or, in the
    bundle (``sys.frozen``), vsdesk itself."""
    if module not in CHILD_MODULES:
        raise ValueError(f"not a child process of vsdesk's: {module}")
    if getattr(sys, "frozen", False):
        return [sys.executable, CHILD_ARGUMENT, module, *arguments]
    return [sys.executable, "-P", "-m", THIS_MODULE, module, *arguments]


def child_environment() -> dict[str, str] | None:
    """Where the child finds vsdesk: the folder this package is in, first (a script run from a
    source checkout imports it from there; the child, started elsewhere, would not)."""
    from vsdesk.engine.paths import source_checkout

    if getattr(sys, "frozen", False) or source_checkout() is None:  # installed: found as here
        return None  # (site-packages put before the standard library would shadow it)
    env = dict(os.environ)
    root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join([root, *filter(None, [env.get("PYTHONPATH")])])
    return env


def start_child(module: str, arguments: list[str]) -> subprocess.Popen:
    """``module`` started in a child, its stdin and stdout piped to this process (bytes).
    ``OSError`` if it cannot be (no process left to start)."""
    # A window started without a console (pythonw, the bundle on Windows) has no stderr to
    # hand down: the child's would be invalid, and it writes there.
    flags = getattr(subprocess, "CREATE_NO_WINDOW", 0)
    if module in BACKGROUND_MODULES:  # (Windows has no os.nice: the child is started below normal)
        flags |= getattr(subprocess, "BELOW_NORMAL_PRIORITY_CLASS", 0)
    return subprocess.Popen(child_command(module, arguments), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL if sys.stderr is None else None, env=child_environment(),
                            creationflags=flags)


def yield_to_the_window() -> None:
    """Lower this process's priority by ``BACKGROUND_NICENESS`` (POSIX). Called before NumPy is
    imported: on Linux the niceness is each thread's, and only the threads started after it
    (OpenBLAS's, OpenMP's) inherit it."""
    try:
        os.nice(BACKGROUND_NICENESS)
    except (AttributeError, OSError):  # (Windows: done at the start, ``start_child``)
        pass


def run_child(arguments: list[str]) -> int:
    """A child's start (``child_command``; the bundle's entry given ``CHILD_ARGUMENT``):
    ``arguments`` are the module and its own. Imported by name here (not by ``importlib``), so
    that PyInstaller sees what a child needs."""
    module, rest = (arguments[0], arguments[1:]) if arguments else ("", [])
    # A Ctrl+C in the terminal goes to the whole process group: the parent stops (and ends its
    # children: terminated, or their stdin closed); the child printed a KeyboardInterrupt
    # traceback on the user's terminal.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if module in BACKGROUND_MODULES:
        yield_to_the_window()
    if module == TSNE_MODULE:
        from vsdesk.engine.tsne_process import main
    elif module == INDEX_LOOK_MODULE:
        from vsdesk.engine.index_look import main
    else:
        print(f"vsdesk: not a child process of vsdesk's: {module!r}", file=sys.stderr)
        return 2
    return main(rest)


if __name__ == "__main__":
    sys.exit(run_child(sys.argv[1:]))
