"""Runs the ``vsdesk bench`` sections and collects their records.

A section is ``vsdesk.engine.bench.<name>`` with ``run(record, quick)``. A section whose module
does not exist yet (a mode still being written) is skipped with a note; one that fails is
reported and the others still run.
"""

from __future__ import annotations

import importlib
import logging
import time
from dataclasses import dataclass
from typing import Callable

from vsdesk.engine.bench import SECTIONS

log = logging.getLogger(__name__)

#: The width of the name column in the text output.
NAME_WIDTH = 52

#: Units that are rates (higher is better); every other unit is a time (lower is better).
RATE_SUFFIX = "/s"


@dataclass
class Record:
    name: str
    value: float
    unit: str
    baseline: float | None
    ratio: float | None
    section: str = ""

    def as_dict(self) -> dict:
        return {"name": self.name, "value": self.value, "unit": self.unit, "baseline": self.baseline,
                "ratio": self.ratio, "section": self.section}

    def line(self) -> str:
        # A name too long for its column gets a line of its own, so the figures stay in columns.
        name = self.name if len(self.name) <= NAME_WIDTH else f"{self.name}\n{'':<{NAME_WIDTH}}"
        text = f"{name:<{NAME_WIDTH}} {_fmt(self.value):>12} {self.unit:<10}"
        if self.baseline is not None:
            text += f" baseline {_fmt(self.baseline):>12} {self.unit:<10}"
            if self.ratio is not None:
                text += f" x{self.ratio:,.1f}"
        return text


def ratio_of(value: float, baseline: float | None, unit: str) -> float | None:
    """Above 1 means vsdesk is better than the baseline, for rates and times alike."""
    if baseline is None or not value or not baseline:
        return None
    return value / baseline if unit.endswith(RATE_SUFFIX) else baseline / value


def _fmt(x: float) -> str:
    if x == 0:
        return "0"
    if abs(x) >= 100:
        return f"{x:,.0f}"
    if abs(x) >= 1:
        return f"{x:.2f}"
    return f"{x:.3g}"


def run_bench(
    sections: list[str] | None = None,
    quick: bool = False,
    show: Callable[[str], None] = print,
    note: Callable[[str], None] = print,
    failed: list[str] | None = None,
) -> list[Record]:
    """Run ``sections`` (all by default); ``show`` gets each record's line as it is measured.
    A section that fails is said in one line (``note``) and named in ``failed``, and the others
    run."""
    records: list[Record] = []
    failed = failed if failed is not None else []
    for section in sections or SECTIONS:
        if section not in SECTIONS:
            raise ValueError(f"unknown bench section {section!r}; sections: {', '.join(SECTIONS)}")
        module_name = f"vsdesk.engine.bench.{section}"
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:
                note(f"[{section}] skipped: no benchmark for this section yet")
                continue
            raise

        def record(name, value, unit, baseline=None, _section=section):
            value = float(value)
            baseline = None if baseline is None else float(baseline)
            rec = Record(name, value, unit, baseline, ratio_of(value, baseline, unit), _section)
            records.append(rec)
            show(rec.line())
            return rec

        note(f"[{section}]")
        start = time.perf_counter()
        try:
            module.run(record, quick)
        except Exception as exc:  # noqa: BLE001 - one broken section must not hide the others
            # One line for the reader (the section and why); the traceback goes to the log.
            log.info("bench section %s failed", section, exc_info=True)
            note(f"[{section}] failed: {' '.join(str(exc).split()) or type(exc).__name__}")
            failed.append(section)
        note(f"[{section}] {time.perf_counter() - start:.1f} s")
    return records
