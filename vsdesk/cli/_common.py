"""Small helpers shared by the CLI commands."""

from __future__ import annotations

import json
import sys
import time
from typing import Any

from vsdesk.engine.modes import MODES


def add_mode_argument(parser, required: bool = True) -> None:
    parser.add_argument("--mode", choices=MODES, required=required, help="search mode")


def print_json(data: Any) -> None:
    json.dump(data, sys.stdout, indent=2, ensure_ascii=False, default=_jsonable)
    sys.stdout.write("\n")
    sys.stdout.flush()


def _jsonable(value: Any) -> Any:
    if hasattr(value, "tolist"):
        return value.tolist()
    if hasattr(value, "__fspath__"):
        return str(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def error(message: str) -> None:
    print(f"vsdesk: {message}", file=sys.stderr)


class StderrProgress:
    """A ``Progress`` that redraws one line on stderr at most every 0.2 s."""

    def __init__(self, label: str = ""):
        self.label = label
        self._last = 0.0
        self._tty = sys.stderr.isatty()

    def __call__(self, done: int, total: int, message: str = "") -> None:
        now = time.monotonic()
        final = total and done >= total
        if not final and now - self._last < 0.2:
            return
        self._last = now
        pct = f"{100 * done / total:5.1f}%" if total else ""
        line = f"{self.label} {done}/{total} {pct} {message}".strip()
        if self._tty:
            sys.stderr.write("\r\033[K" + line + ("\n" if final else ""))
        else:
            sys.stderr.write(line + "\n")
        sys.stderr.flush()
