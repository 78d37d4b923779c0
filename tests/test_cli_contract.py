"""What a script can count on from `vsdesk`: its exit codes, its --json output however a
command ends, its usage errors, signals and options."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

import pytest

from conftest import CLOTHING_DIR, REPO, copy_images, run_cli as run
from vsdesk.cli import main


@pytest.fixture
def photos(tmp_path):
    return copy_images(sorted((CLOTHING_DIR / "images").glob("*.jpg"))[:12], tmp_path / "photos")


# -- exit codes -------------------------------------------------------------------------------

#: (argv, exit code, what stderr says). {q}: a photo, {empty}: an empty folder, {noimages}: a
#: folder holding a text file, {nocolumns}: a CSV without image and label columns, {nowhere}: a
#: path that is not there, {loop}: a link to itself; "shop" is a vae catalog of the empty folder.
#: Run in this order, in one process.
EXIT_CASES = [
    # 2: the command cannot be done as given.
    (["index", "--mode", "vae", "--catalog", "c", "{nowhere}"], 2, "{nowhere}: no such folder"),
    # A new catalog without --mode: the folder given wrong is told first (it said only "give its mode").
    (["index", "--catalog", "c", "{nowhere}"], 2, "{nowhere}: no such folder"),
    (["index", "--catalog", "c", "{q}"], 2, "{q}: this is a file, not a folder"),
    (["index", "--mode", "vae", "--catalog", "bad name", "{empty}"], 2, "invalid catalog name 'bad name'"),
    (["index", "--mode", "vae", "--catalog", "clothing", "{empty}"], 2, "'clothing' is a sample catalog"),
    (["index", "--mode", "vae", "--catalog", "c", "{empty}", "--model", "x"], 2, "--model chooses a product model"),
    (["index", "--mode", "product", "--catalog", "c", "{empty}", "--model", "nosuch"], 2, "no product model in"),
    (["index", "--mode", "style", "--catalog", "shop"], 2, "catalog 'shop' is indexed with mode 'vae'"),
    (["search", "--mode", "vae", "--catalog", "nothing", "{q}"], 2, "no catalog named 'nothing'"),
    (["search", "--mode", "style", "--catalog", "shop", "{q}"], 2, "search it with --mode vae"),
    (["search", "--mode", "vae", "--catalog", "shop", "{q}", "-k", "0"], 2, "argument -k: must be 1 or more, not 0"),
    (["search", "--mode", "vae", "--catalog", "shop", "{q}", "--same-class"], 2, "the vae mode has no classes"),
    (["catalogs", "remove", "nothing"], 2, "no catalog named 'nothing'"),
    (["catalogs", "remove-folder", "shop", "{nowhere}"], 2, "{nowhere} is not a folder of catalog 'shop'"),
    (["models", "fetch", "nosuch"], 2, "unknown model 'nosuch'"),
    (["models", "remove", "nosuch"], 2, "unknown model 'nosuch'"),
    (["models", "remove", "product/nosuch"], 2, "no trained product model named 'nosuch'"),
    (["models", "import", "vgg16", "{nowhere}"], 2, "{nowhere}: no such file"),
    (["models", "import", "product/mine", "{nowhere}"], 2, "{nowhere}: no such folder"),
    (["models", "import", "product", "{empty}"], 2, "the shipped product model is not replaced"),
    (["eval", "style", "--data", "{nowhere}"], 2, "--data {nowhere}: no such folder"),
    (["eval", "style", "--data", "{empty}", "--subject-weight", "2"], 2, "--subject-weight: subject weight must be"),
    (["eval", "product", "--data", "{nowhere}"], 2, "--data {nowhere}: no such folder or file"),
    (["eval", "product", "--model", "nosuch"], 2, "no product model in"),
    (["train", "product", "--data", "{empty}", "--epochs", "-1"], 2, "--epochs must be 0"),
    (["train", "product", "--data", "{empty}", "--members", "0"], 2, "--members must be between 1 and 16"),
    (["train", "product", "--data", "{empty}", "--hold-out", "0.9"], 2, "--hold-out must be between 0 and 0.5"),
    (["train", "product", "--data", "{empty}", "--out", "product"], 2, "name the shipped product model"),
    (["train", "product", "--data", "{nowhere}"], 2, "--data {nowhere}: no such folder or file"),
    (["eval", "vae", "--weights", "{nowhere}"], 2, "--weights {nowhere}: no such file"),
    # Counts of 1 or more: 0 ran all 10,000 test images, -5 "all but 5" (Python slicing).
    (["eval", "vae", "--test-limit", "0"], 2, "argument --test-limit: must be 1 or more, not 0"),
    (["eval", "vae", "--test-limit", "-5"], 2, "argument --test-limit: must be 1 or more, not -5"),
    (["eval", "vae", "--clothing-count", "0"], 2, "argument --clothing-count: must be 1 or more, not 0"),
    (["vae", "grid", "--out", "{nowhere}/map.png"], 2, "the folder {nowhere} does not exist"),
    (["vae", "decode", "nan", "0", "--out", "{empty}/p.png"], 2, "x and y must be finite numbers"),
    (["vae", "describe", "{q}", "-k", "-1"], 2, "-k must be 0 or more"),
    (["desktop-entry", "install", "--exec", "{nowhere}", "--prefix", "{empty}"], 2, "not an executable file"),
    # Not one query there: a path named on the command line that is not there (it said 1).
    (["search", "--mode", "vae", "--catalog", "shop", "{nowhere}"], 2, "{nowhere}: the file does not exist"),
    (["vae", "describe", "{nowhere}"], 2, "{nowhere}: the file does not exist"),
    # A folder given as the query: the command must change (it said 1, "unreadable"), review 22.
    (["search", "--mode", "vae", "--catalog", "shop", "{nowhere}", "{empty}"], 2,
     "{empty} is a folder, not an image: search a folder's images by indexing it (`vsdesk index --catalog shop {empty}`)"),
    (["vae", "describe", "{empty}"], 2, "{empty} is a folder, not an image: give the image files in it"),
    # 1: failed for a reason outside the command line (the same command may work later).
    (["train", "product", "--data", "{empty}"], 1, "no class subfolders with images"),
    (["eval", "style", "--data", "{noimages}"], 1, "{noimages}: no image files"),
    # It said "clothing photos n/a (0 images of ...)" and exit 0.
    (["eval", "vae", "--clothing-dir", "{noimages}"], 1, "--clothing-dir {noimages}: no image files"),
    (["eval", "product", "--data", "{empty}"], 1, "{empty}: no class subfolders with images"),
    # The shipped held-out twin by its name, as the model it is (it said "no product model in ...", exit 2).
    (["eval", "product", "--model", "product-heldout", "--data", "{empty}"], 1, "{empty}: no class subfolders"),
    (["eval", "product", "--data", "{nocolumns}"], 1, "{nocolumns}: the CSV needs 'image' and 'label' columns"),
    # A query that is there but cannot be read: a link to itself (it said 2, as if not there), review 26.
    (["search", "--mode", "vae", "--catalog", "shop", "{loop}"], 1,
     "{loop}: the file cannot be read (Too many levels of symbolic links)"),
    (["vae", "describe", "{loop}"], 1, "{loop}: the file cannot be read (Too many levels of symbolic links)"),
]

#: Runs each case through ``vsdesk.cli.main`` in one process: its exit code, output, and whether
#: it imported TensorFlow (none of these may wait for it).
_RUNNER = """
import contextlib, io, json, sys, traceback
from vsdesk.cli import main
from vsdesk.engine.catalog import Catalog
Catalog.create("shop", "vae", [sys.argv[1]]).close()
results = []
for argv in json.load(sys.stdin):
    out, err = io.StringIO(), io.StringIO()
    before = "tensorflow" in sys.modules
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exc:  # argparse
            code = exc.code
        except Exception:  # a bug: the case fails, the others still run
            code = None
            traceback.print_exc()
    results.append([code, out.getvalue(), err.getvalue(), "tensorflow" in sys.modules and not before])
json.dump(results, sys.__stdout__)
"""


@pytest.fixture(scope="session")  # once a worker: conftest runs long tests apart from the rest
def exit_results(tmp_path_factory):
    root = tmp_path_factory.mktemp("exit-codes")
    places = {"q": str(sorted((CLOTHING_DIR / "images").glob("*.jpg"))[0]), "empty": str(root / "empty"),
              "noimages": str(root / "noimages"), "nocolumns": str(root / "photos.csv"),
              "nowhere": str(root / "nowhere"), "loop": str(root / "loop.jpg")}
    os.symlink("loop.jpg", places["loop"])  # a link to itself: ELOOP
    (root / "photos.csv").write_text("file,class\nshirt.jpg,Shirt\n")
    os.mkdir(places["empty"])
    os.mkdir(places["noimages"])
    (root / "noimages" / "notes.txt").write_text("no images here")
    env = {**os.environ, "PYTHONPATH": str(REPO), "VSDESK_DATA_DIR": str(root / "data"),
           "VSDESK_CONFIG_DIR": str(root / "config"), "VSDESK_CACHE_DIR": str(root / "cache")}
    cases = [[arg.format(**places) for arg in argv] for argv, _, _ in EXIT_CASES]
    done = subprocess.run([sys.executable, "-c", _RUNNER, places["empty"]], input=json.dumps(cases),
                          capture_output=True, text=True, env=env, timeout=300, cwd=str(root))
    assert done.returncode == 0, done.stderr
    return places, json.loads(done.stdout)


@pytest.mark.parametrize("case", range(len(EXIT_CASES)), ids=[" ".join(argv) for argv, _, _ in EXIT_CASES])
def test_exit_codes_follow_one_rule_and_come_before_tensorflow_loads(exit_results, case):
    places, results = exit_results
    argv, expected, said = EXIT_CASES[case]
    code, _, err, imported_tensorflow = results[case]
    assert code == expected, err
    assert said.format(**places) in err and "Traceback" not in err, err
    assert not imported_tensorflow, f"{argv} waited for TensorFlow to say so"


def test_an_unknown_argument_is_told_with_the_commands_own_usage(capsys):
    """`vsdesk catalogs remove NAME --json` printed vsdesk's top-level usage ("usage: vsdesk
    [-h] [--version] COMMAND ..."), which does not say what `catalogs remove` takes."""
    for argv, command in [(["models", "fetch", "vgg16", "--zip"], "models fetch"),
                          (["vae", "decode", "0", "0", "--out", "p.png", "--zip"], "vae decode"),
                          (["desktop-entry", "remove", "--zip"], "desktop-entry remove"),
                          (["index", "--mode", "vae", "--catalog", "c", "--zip"], "index")]:
        with pytest.raises(SystemExit) as stopped:
            main(argv)
        err = capsys.readouterr().err
        assert stopped.value.code == 2
        assert err.startswith(f"usage: vsdesk {command} ") and f"\nvsdesk: {command}: unrecognized arguments: " \
            "--zip" in err, err


def test_the_help_says_how_to_open_the_window_and_each_command_what_it_does(capsys):
    """The review: `vsdesk --help` did not say how to open the window with an image or folder;
    `vae`'s line left out `describe`; `desktop-entry remove --prefix` said "where to install";
    `catalogs list` and `models list` had no description."""
    def helped(*argv: str) -> str:
        with pytest.raises(SystemExit) as stopped:
            main([*argv, "--help"])
        assert stopped.value.code == 0
        return " ".join(capsys.readouterr().out.split())  # (argparse wraps lines at the terminal's width)

    top = helped()
    assert all(words in top for words in ("`vsdesk IMAGE`", "`vsdesk FOLDER`", "`--new-window`", "`vsdesk -- -n.jpg`"))
    assert re.search(r"vae [^\n]*describe", top), top
    assert "where it was installed" in helped("desktop-entry", "remove")
    for command in (("catalogs", "list"), ("models", "list")):
        usage, description = helped(*command).split(" options:")[0].rsplit("] ", 1)
        assert description.startswith("List every "), (command, description)


def test_the_help_names_the_sample_catalogs_a_fresh_install_can_search(capsys):
    """On a fresh install neither `vsdesk --help` nor `search --help` named the sample catalogs,
    which `search --catalog NAME` takes with nothing indexed: both name every one; and a name is
    never cut at its hyphen onto two lines ("fashion-" / "mnist")."""
    from vsdesk.cli import build_parser
    from vsdesk.engine.samples import SAMPLE_CATALOGS

    for prog in ("vsdesk", "vsdesk-cli"):
        top = build_parser(prog).format_help()
        assert all(name in top for name in SAMPLE_CATALOGS), top
    with pytest.raises(SystemExit):
        main(["search", "--help"])
    search = capsys.readouterr().out
    catalog = search.split("\n  --catalog NAME", 1)[1].split("\n  -", 1)[0]
    assert all(name in catalog for name in SAMPLE_CATALOGS), catalog


def test_the_help_of_vsdesk_and_vsdesk_cli_lists_the_exit_codes_in_the_readmes_words(capsys):
    """README's exit-code table was in no `--help`: each code is said in a line of its own, in
    the words of the table ("The command line"), by `vsdesk --help` and `vsdesk-cli --help`."""
    from vsdesk.cli import build_parser
    from vsdesk.cli._common import FAILED, USAGE

    table = re.findall(r"^\| (\d+) \| ([^|]+?) \|", (REPO / "README.md").read_text(encoding="utf-8"), re.M)
    assert [int(code) for code, _ in table] == [0, FAILED, USAGE, 129, 130, 143], table
    for prog in ("vsdesk", "vsdesk-cli"):
        helped = build_parser(prog).format_help()
        codes = helped.split("exit codes, the same for every command:\n", 1)[1]
        lines = re.split(r"\n(?=  \d)", codes.strip("\n"))  # (a long one is wrapped onto more lines)
        assert [" ".join(line.split()) for line in lines] == [f"{code} {meaning}" for code, meaning in table], codes
    with pytest.raises(SystemExit) as stopped:
        main(["--help"])
    assert stopped.value.code == 0 and "130  stopped by Ctrl+C (SIGINT)" in capsys.readouterr().out


def test_a_mistyped_command_or_choice_is_answered_with_the_one_meant(capsys):
    """`vsdesk serach` got argparse's "invalid choice" and the list alone."""
    for argv, meant in [(["serach", "x.jpg"], "'search'"), (["search", "--mode", "styel", "x.jpg"], "'style'")]:
        with pytest.raises(SystemExit) as stopped:
            main(argv)
        assert stopped.value.code == 2
        assert f"; did you mean {meant}?" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["zzzz"])
    assert "did you mean" not in capsys.readouterr().err  # nothing near: nothing said


# -- --mode from the catalog ----------------------------------------------------------------------

def test_search_and_index_take_the_mode_of_the_catalog_or_sample_named(capsys, tmp_path):
    """`vsdesk search --catalog NAME IMAGE` required --mode, which the catalog knows."""
    empty = tmp_path / "empty"
    empty.mkdir()
    query = str(sorted((CLOTHING_DIR / "images").glob("*.jpg"))[0])
    assert run(capsys, "index", "--mode", "vae", "--catalog", "shop", str(empty))[0] == 0
    # --same-class is refused for the mode taken, before any model loads: it tells which.
    for catalog, mode in [("shop", "vae"), ("fashion-mnist", "vae"), ("style-artworks", "style")]:
        code, _, err = run(capsys, "search", "--catalog", catalog, query, "--same-class")
        assert code == 2 and f"the {mode} mode has no classes" in err, err
    code, _, err = run(capsys, "search", "--catalog", "clothing", query, "--model", "nosuch")
    assert code == 2 and "no product model in" in err  # product: --model is a product model's name
    code, _, err = run(capsys, "index", "--catalog", "shop")  # the catalog's own folders, with its mode
    assert code == 0 and "0 images indexed" in err, err
    code, _, err = run(capsys, "index", "--catalog", "new", str(empty))
    assert code == 2 and "no catalog named 'new'" in err and "give its mode (style, product or vae): `vsdesk index --mode MODE " in err
    code, _, err = run(capsys, "search", "--catalog", "nothing", query)
    assert code == 2 and "no catalog named 'nothing'" in err and "--mode" not in err
    code, _, err = run(capsys, "search", "--mode", "style", "--catalog", "shop", query)  # kept, when given
    assert code == 2 and "indexed with mode 'vae', not 'style'; search it with --mode vae, or leave --mode out" in err


@pytest.mark.slow
def test_a_search_without_mode_answers_as_with_the_catalogs_mode(capsys, photos):
    assert run(capsys, "index", "--mode", "vae", "--catalog", "shop", str(photos))[0] == 0
    query = str(sorted(photos.glob("*.jpg"))[0])
    code, out, err = run(capsys, "search", "--catalog", "shop", query, "-k", "3", "--json")
    assert code == 0, err
    [record] = json.loads(out)
    assert record["category"] and [hit["path"] for hit in record["results"]][0] != query
    code, with_mode, _ = run(capsys, "search", "--mode", "vae", "--catalog", "shop", query, "-k", "3", "--json")
    assert json.loads(with_mode) == [record]


# -- --json however a command ends ------------------------------------------------------------

def test_json_commands_that_fail_before_any_result_still_print_json(capsys, tmp_path, monkeypatch):
    a_file = tmp_path / "afile"
    a_file.write_text("x")
    monkeypatch.setenv("VSDESK_DATA_DIR", str(a_file))
    code, out, err = run(capsys, "catalogs", "list", "--json")
    said = (f"cannot use VSDESK_DATA_DIR={a_file} as vsdesk's folder: it is a file, not a folder; set VSDESK_DATA_DIR "
            "to a folder that can be written")
    assert code == 2 and said in err
    assert json.loads(out) == {"error": said, "error_kind": "command-failed"}


def test_a_command_line_argparse_cannot_read_prints_json_with_json(capsys):
    """`vsdesk search --json --bogus` printed its usage on stderr and nothing on stdout: a script
    reading the JSON it asked for got no document at all. Its ``error_kind`` is "usage", where it
    was "command-failed" as for a command that was run and failed: a script could not tell its
    own command line wrong from a catalog missing."""
    for argv, said in [
        # An unknown option is named before a missing argument (argparse's own order, known ones
        # first, said "--catalog" of `index --json --bogus`: the typo is the likelier mistake).
        (["search", "--json", "--bogus"], "search: unrecognized arguments: --bogus"),
        (["search", "--json", "--bogus", "x.jpg"], "search: unrecognized arguments: --bogus"),
        (["index", "--json"], "index: the following arguments are required: --catalog"),
        (["search", "--catalog", "c", "q.jpg", "--json", "--bogus"], "search: unrecognized "
                                                                     "arguments: --bogus"),
        (["catalogs", "list", "--js", "-k", "3"], "catalogs list: unrecognized arguments: -k 3"),
        # A bad value, a wrong choice: usage errors as well (exit 2).
        (["search", "--catalog", "c", "-k", "0", "q.jpg", "--json"], "search: argument -k: must be "
                                                                      "1 or more, not 0"),
        (["search", "--catalog", "c", "--mode", "zzz", "q.jpg", "--json"], "search: argument --mode: "
         "invalid choice: 'zzz' (choose from 'style', 'product', 'vae')"),
        (["search", "q.jpg", "--json"], "search: the following arguments are required: --catalog"),
        (["search", "--json", "--k", "zzz", "x.jpg"], "search: argument --kids: invalid choice: 'zzz' "
                                                       "(choose from 'yes', 'no')"),
        (["index", "--json", "--bogus"], "index: unrecognized arguments: --bogus"),
        (["search", "--json", "--catalog"], "search: argument --catalog: expected one argument"),
    ]:
        with pytest.raises(SystemExit) as stopped:
            main(argv)
        out, err = capsys.readouterr()
        assert stopped.value.code == 2
        # The usage as before, then the message with the prefix of every other error's (review 34)
        assert err.startswith(f"usage: vsdesk {said.split(':')[0]} ") and err.endswith(f"\nvsdesk: {said}\n"), err
        assert json.loads(out) == {"error": said, "error_kind": "usage"}
    # Without --json (or with it as a query's name, after "--"), stdout stays empty.
    for argv in (["search", "--bogus"], ["index", "--catalog", "c", "--mode", "zzz", "--", "--json"]):
        with pytest.raises(SystemExit):
            main(argv)
        assert capsys.readouterr().out == ""


def test_catalogs_remove_and_remove_folder_print_json(capsys, tmp_path):
    one, two = tmp_path / "one", tmp_path / "two"
    one.mkdir()
    two.mkdir()
    assert run(capsys, "index", "--mode", "vae", "--catalog", "shop", str(one), str(two))[0] == 0
    code, out, _ = run(capsys, "catalogs", "remove-folder", "shop", str(two), "--json")
    assert (code, json.loads(out)) == (0, {"catalog": "shop", "folder": str(two), "forgotten": 0})
    code, out, err = run(capsys, "catalogs", "remove-folder", "shop", str(two), "--json")
    said = f"{two} is not a folder of catalog 'shop'; its folders are:\n    {one}"
    assert code == 2 and f"vsdesk: {said}" in err
    assert json.loads(out) == {"catalog": "shop", "folder": str(two), "error": said, "error_kind": "command-failed"}
    code, out, _ = run(capsys, "catalogs", "remove", "shop", "--json")
    report = json.loads(out)
    assert code == 0 and report["catalog"] == "shop" and not os.path.exists(report["location"])
    assert report["left_over"] is None and report["warning"] is None
    code, out, _ = run(capsys, "catalogs", "remove", "shop", "--json")
    assert (code, json.loads(out)) == (2, {"catalog": "shop", "error": "no catalog named 'shop' (see `vsdesk catalogs "
                                           "list`)", "error_kind": "command-failed"})
    code, out, _ = run(capsys, "models", "remove", "product/nosuch", "--json")
    assert (code, json.loads(out)) == (2, {"model": "product/nosuch", "error_kind": "command-failed", "error":
                                           "no trained product model named 'nosuch' (see `vsdesk models list`)"})


def test_vae_describe_json_whose_model_does_not_load_prints_its_records(capsys, tmp_path):
    weights = tmp_path / "vae.weights.h5"
    weights.write_bytes(b"not a weights file")
    query, missing = str(sorted((CLOTHING_DIR / "images").glob("*.jpg"))[0]), str(tmp_path / "nonexist.jpg")
    code, out, err = run(capsys, "vae", "describe", query, missing, "--weights", str(weights), "--json")
    records = json.loads(out)
    assert code == 1 and "does not fit the VAE" in err and "Traceback" not in err
    assert records[0]["query"] == query and "does not fit the VAE" in records[0]["error"]
    assert records[0]["error_kind"] == "command-failed"
    assert records[1] == {"query": missing, "error": f"{missing}: the file does not exist (moved or deleted?)",
                          "error_kind": "unreadable"}


# -- SIGTERM (kill, timeout, systemd) as Ctrl+C -----------------------------------------------

def _terminated(argv: list[str], when, signals=(signal.SIGTERM,)) -> tuple[int, str, str]:
    """Runs `vsdesk ARGV`, sends it ``signals`` (SIGTERM) once ``when(line)`` is true of a line of
    its stderr: (exit code, stdout, stderr)."""
    process = subprocess.Popen([sys.executable, "-m", "vsdesk", *argv], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, env=os.environ.copy())
    said = []
    for line in process.stderr:
        said.append(line)
        if when(line):
            for signum in signals:
                process.send_signal(signum)
            break
    said.append(process.stderr.read())
    out = process.stdout.read()
    return process.wait(timeout=120), out, "".join(said)


def _catalogs() -> list[dict]:
    listed = subprocess.run([sys.executable, "-m", "vsdesk", "catalogs", "list", "--json"], capture_output=True,
                            text=True, env=os.environ.copy(), timeout=120)
    return json.loads(listed.stdout)


def _indexing_photos(tmp_path) -> tuple[Path, Callable[[str], bool]]:
    """400 clothing photos (linked), and a test of a stderr line that says some are indexed."""
    folder = tmp_path / "many"
    folder.mkdir()
    for src in sorted((CLOTHING_DIR / "images").glob("*.jpg"))[:400]:
        os.symlink(src, folder / src.name)

    def indexing(line: str) -> bool:  # into a pipe: a line per tenth
        found = re.search(r"indexing many (\d+)/400", line)
        return bool(found and int(found.group(1)) > 0)

    return folder, indexing


def test_sigterm_while_the_model_loads_ends_index_as_ctrl_c_does(photos):
    """SIGTERM ended `vsdesk index --json` at once: nothing on stdout, no message, and a new
    catalog was left empty."""
    code, out, err = _terminated(["index", "--mode", "vae", "--catalog", "new", str(photos), "--json"],
                                 lambda line: "loading the vae model" in line)
    assert code == 143 and "Traceback" not in err, err
    said = "interrupted before any image was indexed; catalog 'new' was not created"
    assert f"vsdesk: {said}" in err
    report = json.loads(out)
    assert (report["catalog"], report["interrupted"], report["error"], report["error_kind"]) == (
        "new", True, said, "interrupted")
    assert _catalogs() == []


def test_sigterm_while_indexing_keeps_what_was_indexed_and_prints_the_report(tmp_path):
    folder, indexing = _indexing_photos(tmp_path)
    code, out, err = _terminated(["index", "--mode", "vae", "--catalog", "many", "--batch-size", "8", str(folder),
                                  "--json"], indexing)
    assert code == 143 and "Traceback" not in err, err
    assert "interrupted: what catalog 'many' has indexed so far is kept" in err
    report = json.loads(out)
    assert (report["interrupted"], report["error_kind"]) == (True, "interrupted")
    [info] = _catalogs()  # the catalog is whole: what the report says, and said to be unfinished
    assert info["indexed"] == report["indexed"] == report["added"] > 0
    assert (info["unfinished"], info["being_indexed"]) == (True, False)


@pytest.mark.parametrize("signals", [(signal.SIGHUP,), (signal.SIGHUP, signal.SIGTERM), (signal.SIGTERM, signal.SIGHUP)],
                         ids=["terminal-closed", "logout-hup-first", "logout-term-first"])
def test_a_closed_terminal_or_a_logout_stops_index_as_ctrl_c_does(tmp_path, signals):
    """SIGHUP (the terminal closed) ended `vsdesk index` on the spot: no report, the batch being
    embedded lost. A logout sends SIGTERM and SIGHUP together: one stop, not a second signal
    that ends the process during its clean-up."""
    folder, indexing = _indexing_photos(tmp_path)
    code, out, err = _terminated(["index", "--mode", "vae", "--catalog", "many", "--batch-size", "8", str(folder),
                                  "--json"], indexing, signals)
    # (both pending at once, Python runs SIGHUP's handler first, whichever was sent first)
    assert code in {128 + signum for signum in signals} and "Traceback" not in err, (code, err)
    assert "interrupted: what catalog 'many' has indexed so far is kept" in err
    assert err.count("vsdesk: stopping after the current step…") == 1, err
    report = json.loads(out)
    assert (report["interrupted"], report["error_kind"]) == (True, "interrupted")
    [info] = _catalogs()
    assert info["indexed"] == report["indexed"] == report["added"] > 0
    assert (info["unfinished"], info["being_indexed"]) == (True, False)


def _full_pipe() -> tuple[int, int, int]:
    """A pipe of one page, filled: (read end, write end, bytes in it). A process whose stdout it
    is waits in its first write until the test reads."""
    import fcntl

    read_end, write_end = os.pipe()
    fcntl.fcntl(write_end, fcntl.F_SETPIPE_SZ, 4096)
    os.set_blocking(write_end, False)
    filled = 0
    with contextlib.suppress(BlockingIOError):
        while True:
            filled += os.write(write_end, b"#" * 4096)
    os.set_blocking(write_end, True)
    return read_end, write_end, filled


def _writing_to_stdout(pid: int) -> bool:
    """Whether process ``pid``'s main thread waits in a write(2) to its stdout (Linux x86-64's
    /proc/PID/syscall: the call's number, 1, then its first argument, the descriptor)."""
    try:
        return (Path("/proc") / str(pid) / "syscall").read_text().split()[:2] == ["1", "0x1"]
    except OSError:
        return False


@pytest.mark.skipif(not (sys.platform.startswith("linux") and os.uname().machine == "x86_64"),
                    reason="reads Linux x86-64's /proc/PID/syscall")
@pytest.mark.parametrize("signals", [(signal.SIGTERM, signal.SIGHUP), (signal.SIGHUP, signal.SIGTERM)],
                         ids=["term-then-hup", "hup-then-term"])
def test_a_logouts_second_signal_while_the_document_is_written_does_not_lose_it(signals):
    """A command stopped by SIGTERM gave back SIGTERM's and SIGHUP's handlers before its --json
    document (``json_on_failure``) and its error line were written: a logout's SIGHUP coming
    then, not together with the SIGTERM, ended the process by SIGHUP without them. The stop's
    handling stays until both are written. The command is held in the write of its document by
    its stdout, a full pipe the test reads only once the second signal is sent."""
    first, second = signals
    read_end, write_end, filled = _full_pipe()
    try:
        process = subprocess.Popen([sys.executable, "-m", "vsdesk", "eval", "vae", "--json", "--test-limit", "50"],
                                   stdout=write_end, stderr=subprocess.PIPE, text=True, env=os.environ.copy())
    finally:
        os.close(write_end)
    with process, open(read_end, "rb") as stdout:
        said = []
        for line in process.stderr:
            said.append(line)
            if "encoding 60000 training images" in line:
                process.send_signal(first)
                break
        deadline = time.monotonic() + 120
        while not _writing_to_stdout(process.pid) and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.002)
        if not _writing_to_stdout(process.pid):
            process.kill()
            pytest.fail("".join(said) + process.stderr.read())
        process.send_signal(second)  # the logout's other signal, while the document waits
        out = stdout.read()
        said.append(process.stderr.read())
        code = process.wait(timeout=120)
    err = "".join(said)
    words = f"interrupted ({signal.Signals(first).name})"
    assert code == 128 + first and "Traceback" not in err, (code, err)
    assert err.strip().endswith(f"vsdesk: {words}"), err
    assert out[:filled] == b"#" * filled
    assert json.loads(out[filled:]) == {"error": words, "error_kind": "interrupted"}


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="a pseudo-terminal closed as Linux does it")
def test_an_index_run_whose_terminal_is_closed_keeps_its_work_and_exits_129(tmp_path):
    """A terminal really closed: the kernel's SIGHUP, then every write to it fails (EIO). The
    stop's own message could not be written, and that error ended the command with 1 and a
    "lost sys.stderr" dump, not the 129 README promises."""
    import pty
    import select

    folder, indexing = _indexing_photos(tmp_path)
    pid, terminal = pty.fork()
    if pid == 0:  # the command, in a session of its own whose terminal is the pty (as in a terminal window)
        try:
            os.execv(sys.executable, [sys.executable, "-m", "vsdesk", "index", "--mode", "vae", "--catalog", "many",
                                      "--batch-size", "8", str(folder)])
        finally:
            os._exit(127)
    said = b""
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not any(indexing(line) for line in said.decode(errors="replace")
                                                      .replace("\r", "\n").splitlines()):
            if select.select([terminal], [], [], 0.1)[0]:
                said += os.read(terminal, 65536)
    finally:
        os.close(terminal)  # the terminal closed: the kernel hangs up on its session
    _pid, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 129, (status, said)
    [info] = _catalogs()
    assert info["indexed"] > 0 and (info["unfinished"], info["being_indexed"]) == (True, False), info


def test_sigterm_while_search_loads_its_model_still_prints_its_json(capsys, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    assert run(capsys, "index", "--mode", "vae", "--catalog", "shop", str(empty))[0] == 0
    query = str(sorted((CLOTHING_DIR / "images").glob("*.jpg"))[0])
    code, out, err = _terminated(["search", "--mode", "vae", "--catalog", "shop", query, "--json"],
                                 lambda line: "loading the vae model" in line)
    assert code == 143 and "vsdesk: interrupted (SIGTERM)" in err and "Traceback" not in err, err
    # Said at once, not only once the model has loaded (seconds of silence before)
    assert err.index("vsdesk: stopping…\n") < err.index("vsdesk: interrupted (SIGTERM)"), err
    assert json.loads(out) == [{"query": query, "error": "interrupted (SIGTERM)", "error_kind": "interrupted",
                                "results": []}]


def _signals_caught(pid: int) -> int:
    """The mask of the signals process ``pid`` has a handler for (Linux's /proc)."""
    with open(f"/proc/{pid}/status") as status:
        return int(next(line for line in status if line.startswith("SigCgt:")).split()[1], 16)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("entry", ["vsdesk", "vsdesk-cli"])
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_a_stop_while_the_process_starts_still_prints_the_commands_document(entry, signum):
    """A Ctrl+C or SIGTERM during the imports (the first half second): a KeyboardInterrupt
    traceback and no JSON, or the process killed by SIGTERM. Sent as soon as the entry point
    holds signals, while vsdesk's modules are still being imported."""
    script = {"vsdesk": "import sys\nfrom vsdesk.__main__ import main\nsys.exit(main())",
              "vsdesk-cli": "import sys\nfrom vsdesk.__main__ import cli\nsys.exit(cli())"}[entry]
    process = subprocess.Popen([sys.executable, "-c", script, "search", "--catalog", "nosuch", "--json", "q.jpg"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=os.environ.copy(),
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    # Once ``early_signals.hold`` has set its SIGTERM handler (Python sets none): a fixed delay
    # after start-up could come before it on a busy machine (the traceback the test is about).
    while not _signals_caught(process.pid) & (1 << (signal.SIGHUP - 1)) and process.poll() is None:
        time.sleep(0.002)
    process.send_signal(signum)
    out, err = process.communicate(timeout=120)
    words = "interrupted" if signum == signal.SIGINT else f"interrupted ({signal.Signals(signum).name})"
    assert process.returncode == 128 + signum and "Traceback" not in err, (process.returncode, err)
    assert err.strip().endswith(f"vsdesk: {words}"), err
    # search's document, the list of its records, whenever the stop came
    assert json.loads(out) == [{"query": "q.jpg", "error": words, "error_kind": "interrupted", "results": []}]


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
@pytest.mark.parametrize("argv", [["catalogs", "list", "--json"], ["models", "list"],
                                  ["catalogs", "list", "--bogus", "--json"], ["--version"], ["--help"],
                                  ["search", "--help"]])
def test_output_that_cannot_be_written_is_said_in_one_line(argv):
    """`> /dev/full` ended in a 25-line traceback; with stdout closed (`>&-`) the output was lost
    and the exit code 0. As ls: one line on stderr, exit 1. So too for what is printed as the
    command line is read: a usage error's --json document (a traceback), --help and --version
    (exit 0, nothing said)."""
    with open("/dev/full", "w") as full:
        written = subprocess.run([sys.executable, "-m", "vsdesk", *argv], stdout=full, stderr=subprocess.PIPE,
                                 text=True, env=os.environ.copy(), timeout=120)
    assert (written.returncode, written.stderr.strip().splitlines()[-1:]) == (
        1, ["vsdesk: cannot write the output: No space left on device"]), written.stderr
    assert "Traceback" not in written.stderr and "Exception ignored" not in written.stderr
    closed = subprocess.run([sys.executable, "-m", "vsdesk", *argv], stderr=subprocess.PIPE, text=True,
                            env=os.environ.copy(), timeout=120, preexec_fn=lambda: os.close(1))
    assert (closed.returncode, closed.stderr.strip().splitlines()[-1:]) == (
        1, ["vsdesk: cannot write the output: stdout is closed"]), closed.stderr


@pytest.mark.skipif(not (os.path.exists("/dev/full") and os.path.isdir("/proc/self/fd")), reason="Linux only")
def test_output_that_cannot_be_written_leaves_no_file_descriptor_open(monkeypatch):
    """What is left to write goes to /dev/null once stdout failed: that /dev/null was opened
    and never closed, one descriptor lost by every such command of a long-lived process."""
    with open("/dev/full", "w") as full:
        monkeypatch.setattr(sys, "stdout", full)
        before = len(os.listdir("/proc/self/fd"))
        assert main(["catalogs", "list", "--json"]) == 1
        assert len(os.listdir("/proc/self/fd")) == before


def test_a_full_non_blocking_stdout_is_not_taken_for_lost_output(monkeypatch):
    """Any OSError of a write was "cannot write the output", and stdout was pointed at /dev/null:
    a non-blocking pipe that is full for now (BlockingIOError) is not a lost output. It is raised
    as it is, and stdout is still the pipe."""
    from vsdesk.cli._common import output_checked

    read_end, write_end = os.pipe()
    os.set_blocking(write_end, False)
    with os.fdopen(read_end, "rb", buffering=0) as reader, open(write_end, "w") as out:
        with contextlib.suppress(BlockingIOError):
            while True:
                os.write(write_end, b"x" * 4096)  # the pipe full: its reader is busy
        monkeypatch.setattr(sys, "stdout", out)
        with pytest.raises(BlockingIOError), output_checked():
            print("one more line", flush=True)
        assert stat.S_ISFIFO(os.fstat(write_end).st_mode)  # not /dev/null
        os.set_blocking(read_end, False)
        while reader.read(65536):  # (emptied: the line left in the buffer is written at close)
            pass


def test_the_help_names_every_models_subcommand(capsys):
    """`vsdesk --help` said "list, fetch, import or remove": `models export` was left out."""
    with pytest.raises(SystemExit):
        main(["--help"])
    [line] = [line for line in capsys.readouterr().out.splitlines() if line.strip().startswith("models ")]
    for name in ("list", "fetch", "import", "export", "remove"):
        assert name in line, line


# -- what the text says -----------------------------------------------------------------------

def test_the_kids_flag_reads_as_a_percentage_like_the_classes():
    """The review: "kids' wear: no (13%)" read as 13 % sure of "no"; it is the chance of kids' wear."""
    from vsdesk.cli._search_text import product_facts

    lines = product_facts({"classes": [{"label": "Dress", "probability": 0.8}], "kids": 0.1305})
    assert lines == ["classes: Dress 80.0%", "kids' wear: unlikely (13 % chance)"]
    assert product_facts({"kids": 0.87})[-1] == "kids' wear: likely (87 % chance)"
    # The review: "unlikely (0.0 % chance)", and the window's "likely (100 % chance)": a model is
    # never that sure. The window says it in the same words (tests/test_gui_widgets.py).
    assert [product_facts({"kids": kids})[-1] for kids in (0.0004, 0.006, 0.994, 0.9996)] == [
        "kids' wear: unlikely (<1 % chance)", "kids' wear: unlikely (1 % chance)",
        "kids' wear: likely (99 % chance)", "kids' wear: likely (>99 % chance)"]


def test_nested_folders_are_said_to_be_indexed_as_their_parent(capsys, tmp_path):
    """A folder and its parent given to `index`: the catalog keeps the parent alone, and says so
    in the window's words."""
    parent, child, other = tmp_path / "parent", tmp_path / "parent" / "child", tmp_path / "other"
    child.mkdir(parents=True)
    (other / "inside").mkdir(parents=True)
    # An image in it: a folder holding none is not added to a catalog that has folders.
    shutil.copy(sorted((CLOTHING_DIR / "images").glob("*.jpg"))[0], other / "inside")
    code, _, err = run(capsys, "index", "--mode", "vae", "--catalog", "c", str(child), str(parent))
    assert code == 0 and (f"note: {child} is inside {parent}, a folder of the catalog “c”: its images are indexed "
                          "as part of it") in err, err  # (the window's words: session.nested_folder_notes)
    assert run(capsys, "index", "--catalog", "c", str(other / "inside"))[0] == 0
    code, _, err = run(capsys, "index", "--catalog", "c", str(other))
    assert code == 0 and (f"note: {other} holds {other / 'inside'}, a folder of the catalog “c”: the catalog keeps "
                          f"{other} alone, and its images with it") in err, err
    [info] = json.loads(run(capsys, "catalogs", "list", "--json")[1])
    assert sorted(info["folders"]) == sorted([str(parent), str(other)])


def test_vsdesk_cli_says_its_usage_errors_with_the_prefix_of_its_other_errors(tmp_path):
    """Review 34: under `vsdesk-cli` a usage error said "vsdesk-cli search: error: ..." (and so
    did its JSON "error"), every other error "vsdesk: ...": a script matching stderr had to
    allow for both."""
    cli = [sys.executable, "-c", "import sys; from vsdesk.__main__ import cli; sys.exit(cli())"]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    usage = subprocess.run([*cli, "search", "--catalog", "c", "--json"], capture_output=True, text=True, env=env,
                           cwd=tmp_path, timeout=300)
    failed = subprocess.run([*cli, "search", "--catalog", "nosuch", "q.jpg"], capture_output=True, text=True,
                            env=env, cwd=tmp_path, timeout=300)
    assert usage.returncode == 2 and failed.returncode == 2
    assert usage.stderr.startswith("usage: vsdesk-cli search ")  # (the usage as typed)
    said = "search: the following arguments are required: IMAGE"
    assert usage.stderr.endswith(f"\nvsdesk: {said}\n"), usage.stderr
    assert json.loads(usage.stdout) == {"error": said, "error_kind": "usage"}
    assert failed.stderr.startswith("vsdesk: no catalog named 'nosuch'"), failed.stderr


def test_a_query_named_like_an_option_is_told_to_come_after_a_double_dash(tmp_path, monkeypatch, capsys):
    """Review 34: `vsdesk search --catalog c -k 1 -x.jpg` said only that IMAGE was missing (or,
    with another query, "unrecognized arguments: -x.jpg"); the top level said how to give such a
    name, the commands did not."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "-x.jpg").write_bytes(b"")
    for argv in (["search", "--catalog", "c", "-k", "1", "-x.jpg", "--json"],
                 ["search", "--catalog", "c", "q.jpg", "-x.jpg"]):
        with pytest.raises(SystemExit) as stopped:
            main(argv)
        err = capsys.readouterr().err
        assert stopped.value.code == 2
        assert err.rstrip().endswith("(-x.jpg is a file here: to give it, put -- before it: vsdesk search --catalog c "
                                     f"{' '.join(w for w in argv[3:] if w != '-x.jpg')} -- -x.jpg)"), err
    with pytest.raises(SystemExit):  # an unknown option that names no file: no such words
        main(["search", "--catalog", "c", "q.jpg", "-y.jpg"])
    assert "put -- before it" not in capsys.readouterr().err


def test_no_usage_help_or_message_shows_a_choice_bash_would_brace_expand(capsys, tmp_path, monkeypatch):
    """`--mode {style,product,vae}` (argparse's placeholder for choices), pasted into bash, is
    three words: `--mode style product vae`, whose "product" and "vae" were then taken for a
    folder to index or an image to search. Every help shows a word (MODE) with the choices said
    in its line, and so does the advice that gives a command to create a catalog; README too."""
    import argparse

    from vsdesk.cli import build_parser

    def parsers(parser, path):
        yield path, parser
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    yield from parsers(sub, (*path, name))

    braced = re.compile(r"\{[^{}\s]*,[^{}\s]*\}")
    for prog in ("vsdesk", "vsdesk-cli"):
        for path, parser in parsers(build_parser(prog), ()):
            helped = parser.format_help()
            assert not braced.search(helped), (path, helped)
    with pytest.raises(SystemExit):
        main(["index", "--help"])
    assert "  --mode MODE " in capsys.readouterr().out.replace("\n", " ")
    monkeypatch.setenv("VSDESK_DATA_DIR", str(tmp_path / "data"))
    assert main(["index", "--catalog", "newone", str(tmp_path)]) == 2
    said = capsys.readouterr().err.splitlines()[-1]
    assert said.endswith("give its mode (style, product or vae): `vsdesk index --mode MODE --catalog newone "
                         "FOLDER...`"), said
    usage = (REPO / "README.md").read_text(encoding="utf-8").split("## The command line", 1)[1].split("```")[1]
    assert not braced.search(usage), usage
