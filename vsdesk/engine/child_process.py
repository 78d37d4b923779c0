"""Starting a child process of vsdesk's own (the map's t-SNE, the check of a damaged index).

A child is a fresh interpreter running one of ``CHILD_MODULES``: ``python -P -m <module>``
(``child_command``), never multiprocessing's "spawn", which imports the caller's ``__main__``
again in the child, so that a user's script without ``if __name__ == "__main__":`` ran itself
again there. In the PyInstaller bundle ``sys.executable`` is vsdesk itself: its entry
(``packaging/vsdesk_entry.py``) runs ``run_child`` when given ``CHILD_ARGUMENT``. What goes
between the two is JSON, never pickles.

Only the standard library is imported here: the bundle's entry imports this module first.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

#: The argument on which the bundle's entry runs a child (``run_child``): the module follows it.
CHILD_ARGUMENT = "--vsdesk-child"
#: The modules a child may run; each has ``main(arguments) -> exit code``.
TSNE_MODULE = "vsdesk.engine.tsne_process"
INDEX_LOOK_MODULE = "vsdesk.engine.index_look"
CHILD_MODULES = (TSNE_MODULE, INDEX_LOOK_MODULE)


def child_command(module: str, arguments: list[str]) -> list[str]:
    """The command that runs ``module``'s ``main(arguments)`` in a child: ``module`` run by this
    Python (``-P``: not the current folder's modules first), or, in the bundle (``sys.frozen``),
    vsdesk itself."""
    if module not in CHILD_MODULES:
        raise ValueError(f"not a child process of vsdesk's: {module}")
    if getattr(sys, "frozen", False):
        return [sys.executable, CHILD_ARGUMENT, module, *arguments]
    return [sys.executable, "-P", "-m", module, *arguments]


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
    return subprocess.Popen(child_command(module, arguments), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL if sys.stderr is None else None, env=child_environment(),
                            creationflags=getattr(subprocess, "CREATE_NO_WINDOW", 0))


def run_child(arguments: list[str]) -> int:
    """The bundle's entry given ``CHILD_ARGUMENT``: ``arguments`` are the module and its own.
    Imported by name here (not by ``importlib``), so that PyInstaller sees what a child needs."""
    module, rest = (arguments[0], arguments[1:]) if arguments else ("", [])
    if module == TSNE_MODULE:
        from vsdesk.engine.tsne_process import main
    elif module == INDEX_LOOK_MODULE:
        from vsdesk.engine.index_look import main
    else:
        print(f"vsdesk: not a child process of vsdesk's: {module!r}", file=sys.stderr)
        return 2
    return main(rest)
