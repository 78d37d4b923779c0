"""``vsdesk bench``: runner, records with baselines and ratios, JSON output."""

from __future__ import annotations

import json
import logging
import sys

import pytest

from vsdesk.cli import main
from vsdesk.engine import logfile
from vsdesk.engine.bench.runner import ratio_of, run_bench


def test_ratio_is_above_one_when_faster_for_rates_and_times():
    assert ratio_of(200, 100, "images/s") == 2
    assert ratio_of(5, 10, "ms") == 2
    assert ratio_of(5, None, "ms") is None


def test_text_lines_keep_the_figures_in_columns_whatever_the_name():
    from vsdesk.engine.bench.runner import Record

    short = Record("vae encode", 5120.0, "images/s", 310.0, 16.5).line()
    long = Record("product first start in a fresh cache: both members loaded, one photo classified",
                  0.8, "s", 19.0, 23.8).line()
    assert "\n" not in short and long.startswith("product first start in a fresh cache: both members")
    figures = long.splitlines()[-1]
    assert figures.index("baseline") == short.index("baseline") and figures.index("x") == short.index("x")


def test_the_help_says_how_long_quick_takes_and_what_the_baseline_is(capsys):
    """`--quick` was said to take "seconds": 56 s on a loaded machine."""
    with pytest.raises(SystemExit):
        main(["bench", "--help"])
    said = " ".join(capsys.readouterr().out.split())
    assert "--quick: about a minute" in said and "seconds" not in said
    assert "unless the line names another" in said


def test_missing_section_is_skipped_with_a_note(monkeypatch):
    from vsdesk.engine.bench import runner

    monkeypatch.setattr(runner, "SECTIONS", ("foundation", "not_written_yet"))
    notes = []
    records = run_bench(["not_written_yet"], quick=True, show=notes.append, note=notes.append)
    assert records == [] and notes == ["[not_written_yet] skipped: no benchmark for this section yet"]
    with pytest.raises(ValueError, match="unknown bench section"):
        run_bench(["nope"], quick=True)


@pytest.mark.slow
def test_quick_foundation_bench_json(capsys):
    code = main(["bench", "--quick", "--json", "--section", "foundation"])
    assert code == 0
    out = capsys.readouterr()
    records = json.loads(out.out)
    names = [r["name"] for r in records]
    assert any(n.startswith("search latency, 10,000 x 256") for n in names)
    # Its baseline is vsdesk's single query, not a naive one: its name says so (x0.5 read as a regression).
    assert any(n.startswith("batch of 64 queries") and n.endswith("(baseline: one query at a time)") for n in names)
    # a catalog's load against its query through plain sqlite3 (what reading names not UTF-8 costs)
    assert any(n.startswith("catalog load, 10,000 entries") for n in names)
    # t-SNE in a child process against in this one, beside a thread standing for the window's
    assert "longest window-thread stall while a 1,000-point map is computed" in names
    if sys.platform == "linux":  # fresh interpreters importing TensorFlow, with and without the preload
        assert "longest window-thread stall while TensorFlow loads" in names
    for r in records:
        assert set(r) >= {"name", "value", "unit", "baseline", "ratio"}
        assert r["value"] > 0 and r["baseline"] > 0 and r["ratio"] > 0
    # Each figure has its baseline from the same run; the ratio is consistent with the unit.
    for r in records:
        expected = r["value"] / r["baseline"] if r["unit"].endswith("/s") else r["baseline"] / r["value"]
        assert r["ratio"] == pytest.approx(expected)


def test_a_section_that_fails_is_one_line_the_others_run_and_the_exit_code_says_it(monkeypatch, capsys, tmp_path):
    """A section that fails (here: its photo cannot be read) was a traceback on the output and
    exit 0: now one line, the section and why; the other sections run; exit 1 at the end, and
    the traceback is in the log."""
    import types

    from vsdesk.engine import bench
    from vsdesk.engine.bench import runner
    from vsdesk.engine.imageio import load_image

    photo = tmp_path / "photo.jpg"
    photo.write_bytes(b"\xff\xd8\xff\xe0 cut short")
    broken = types.ModuleType("vsdesk.engine.bench.broken")
    broken.run = lambda record, quick: record("decode", load_image(photo).width, "px")
    fine = types.ModuleType("vsdesk.engine.bench.fine")
    fine.run = lambda record, quick: record("a figure", 2.0, "ms", 4.0)
    monkeypatch.setitem(sys.modules, broken.__name__, broken)
    monkeypatch.setitem(sys.modules, fine.__name__, fine)
    monkeypatch.setattr(bench, "SECTIONS", ("broken", "fine"))
    monkeypatch.setattr(runner, "SECTIONS", ("broken", "fine"))
    monkeypatch.setenv("VSDESK_CACHE_DIR", str(tmp_path / "cache"))
    root, level = logging.getLogger(), logging.getLogger().level
    handler = logfile.log_to_file(rotate=False)  # as a command line process logs (INFO and above)
    root.setLevel(logging.INFO)
    try:
        code = main(["bench", "--section", "broken", "--section", "fine"])
    finally:
        root.setLevel(level)
        root.removeHandler(handler)
        handler.close()
    out, err = capsys.readouterr()
    assert code == 1 and "Traceback" not in err + out, err
    [failed] = [line for line in err.splitlines() if line.startswith("[broken] failed")]
    assert str(photo) in failed
    assert "a figure" in out  # the other section ran
    # The review: "see its line above" did not say where the traceback was: the log, named.
    log_path = tmp_path / "cache" / "vsdesk.log"
    assert err.strip().endswith(f"vsdesk: bench: 1 section failed (broken): see its line above; its traceback "
                                f"is in {log_path}")
    assert "bench section broken failed\nTraceback" in log_path.read_text()


def test_load_stall_bench_in_the_bundle_is_skipped_with_a_note_why(monkeypatch, tmp_path, capsys):
    """The bundle's sys.executable is vsdesk, which has no ``-c``: the benchmark's interpreter
    answered with the command line's "invalid choice", cut to its end. The real bundle entry stands
    in for the app, as in tests/test_map_process.py."""
    from conftest import REPO
    from vsdesk.engine.bench import foundation

    app = tmp_path / "vsdesk"
    app.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{REPO / "packaging" / "vsdesk_entry.py"}" "$@"\n')
    app.chmod(0o755)
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", str(app))
    records = []
    foundation._bench_load_stall(lambda *args: records.append(args), quick=True)
    assert records == []
    assert capsys.readouterr().err == ("load-stall benchmark skipped: it starts a Python interpreter of its own, "
                                       "which the bundle does not have\n")


def test_bench_starting_removes_the_map_folder_a_killed_process_left(tmp_path):
    """A `vsdesk bench` or window killed while it mapped in a child left the child's folder in
    the temporary folder, removed only once a map ran in a child again: `bench --section vae`
    or `product`, which map nothing, left it. bench removes those whose owner is gone as it
    starts, before its first section."""
    import os
    import subprocess

    from conftest import map_folder_left_by_a_killed_process

    temporary = tmp_path / "tmp"
    temporary.mkdir()
    left = map_folder_left_by_a_killed_process(temporary)
    bench = subprocess.Popen([sys.executable, "-m", "vsdesk", "bench", "--quick", "--section", "vae", "--json"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                             env={**os.environ, "TMPDIR": str(temporary)})
    with bench:
        first = bench.stderr.readline()  # its first section begun
        still_there = left.exists()
        bench.kill()
    assert first.strip() == "[vae]", first
    assert not still_there
