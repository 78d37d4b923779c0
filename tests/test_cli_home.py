"""The command line with a home folder it cannot write, or none: what only lists needs no write
(review 34: `catalogs list` and `models list` failed, and made folders), and what must write says
how to move vsdesk's folders elsewhere (README: VSDESK_DATA_DIR, VSDESK_CACHE_DIR)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from conftest import CLOTHING_DIR, REPO, needs_setpriv

#: vsdesk's folders left to their default, under HOME (the tests' own are set by conftest).
MOVED_BY = ("VSDESK_DATA_DIR", "VSDESK_CACHE_DIR", "VSDESK_CONFIG_DIR", "XDG_DATA_HOME", "XDG_CACHE_HOME",
            "XDG_CONFIG_HOME")


def _env(home) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in MOVED_BY}
    return {**env, "HOME": str(home), "PYTHONPATH": str(REPO)}


def _vsdesk(*argv: str) -> list[str]:
    return [sys.executable, "-m", "vsdesk", *argv]


def without_root_powers(argv: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    """conftest's, with an environment of the test's: a read-only folder stops root too."""
    return subprocess.run(["setpriv", "--bounding-set", "-dac_override,-dac_read_search", *argv],
                          capture_output=True, text=True, timeout=300, cwd=str(REPO), env=env)


def test_listing_with_a_home_that_is_not_there_lists_nothing_and_makes_no_folder(tmp_path):
    home = tmp_path / "no-such-home"
    for argv in (("catalogs", "list", "--json"), ("models", "list", "--json")):
        ran = subprocess.run(_vsdesk(*argv), env=_env(home), cwd=tmp_path, capture_output=True, text=True,
                             timeout=300)
        assert ran.returncode == 0, ran.stderr
        listed = json.loads(ran.stdout)
        assert listed == [] if argv[0] == "catalogs" else {"vgg16", "product"} <= {m["name"] for m in listed}
        assert ran.stderr == "" and not home.exists(), (argv, ran.stderr)


@needs_setpriv
def test_listing_with_a_read_only_home_works_and_a_write_names_the_variable(tmp_path):
    home = tmp_path / "home"
    folder = home / "photos"
    folder.mkdir(parents=True)
    os.chmod(home, 0o555)
    try:
        for argv in (("catalogs", "list", "--json"), ("models", "list", "--json")):
            ran = without_root_powers(_vsdesk(*argv), env=_env(home))
            assert ran.returncode == 0 and ran.stderr == "", (argv, ran.stderr)
            assert isinstance(json.loads(ran.stdout), list)
        ran = without_root_powers(_vsdesk("index", "--mode", "style", "--catalog", "mine", str(folder), "--json"),
                                  env=_env(home))
        assert ran.returncode == 1, ran.stderr
        said = json.loads(ran.stdout)["error"]
        assert said.startswith(f"cannot use {home}/.local/share/vsdesk as vsdesk's folder: Permission denied")
        assert said.endswith("set VSDESK_DATA_DIR to a folder that can be written"), said
        assert sorted(p.name for p in home.iterdir()) == ["photos"]
    finally:
        os.chmod(home, 0o755)


def test_a_cache_setting_that_names_a_file_is_a_usage_error_for_every_command(tmp_path):
    """XDG_CACHE_HOME=/dev/null: `search` and `vae describe` exited 2 (README: a setting naming a
    file must change), `models list`, `models export vae` and `vae decode` 1 with the same words,
    and `vae decode` put "cannot write …/dec.png:" before them, blaming a file never written."""
    afile = tmp_path / "afile"
    afile.write_bytes(b"")
    env = {**_env(tmp_path / "home"), "XDG_CACHE_HOME": str(afile)}
    said = f"cannot use {afile}/vsdesk as vsdesk's folder"
    for argv in (("models", "list"), ("models", "export", "vae", str(tmp_path / "export")),
                 ("vae", "decode", "0", "0", "--out", str(tmp_path / "dec.png")),
                 ("vae", "describe", str(sorted((CLOTHING_DIR / "images").glob("*.jpg"))[0]))):
        ran = subprocess.run(_vsdesk(*argv), env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300)
        last = ran.stderr.splitlines()[-1]
        assert (ran.returncode, last.startswith(f"vsdesk: {said}")) == (2, True), (argv, ran.stderr)
    assert not (tmp_path / "dec.png").exists() and not (tmp_path / "export").exists()


@needs_setpriv
def test_a_catalog_not_there_on_a_read_only_home_is_no_such_catalog(tmp_path):
    """Review 34: on a read-only home `search --catalog nosuch` said "Permission denied" of the
    data folder (looking for a catalog made its folder); a catalog that is not there is said as
    everywhere else (exit 2), on a read-only home or a read-only VSDESK_DATA_DIR."""
    home = tmp_path / "home"
    home.mkdir()
    read_only_data = tmp_path / "data"
    read_only_data.mkdir()
    query = str(sorted((CLOTHING_DIR / "images").glob("*.jpg"))[0])
    os.chmod(home, 0o555)
    os.chmod(read_only_data, 0o555)
    try:
        for env in (_env(home), {**_env(home), "VSDESK_DATA_DIR": str(read_only_data)}):
            for argv in (("search", "--catalog", "nosuch", query), ("search", "--mode", "style", "--catalog", "nosuch",
                                                                    query),
                         ("index", "--catalog", "nosuch"), ("catalogs", "remove", "nosuch"),
                         ("catalogs", "remove-folder", "nosuch", str(tmp_path))):
                ran = without_root_powers(_vsdesk(*argv), env=env)
                last = ran.stderr.splitlines()[-1]
                assert (ran.returncode, last.startswith("vsdesk: no catalog named 'nosuch' (see `vsdesk catalogs "
                                                        "list`)")) == (2, True), (argv, ran.stderr)
        assert list(home.iterdir()) == [] and list(read_only_data.iterdir()) == []
    finally:
        os.chmod(home, 0o755)
        os.chmod(read_only_data, 0o755)


@needs_setpriv
def test_what_only_reads_works_on_a_read_only_home_and_makes_no_folder(tmp_path):
    """Review 34: `vae describe` failed on a read-only home (its caches' folder was made first),
    and so did `eval vae` (looking for a downloaded Fashion-MNIST made the cache folder);
    `--help` said "no log file" there. A cache that cannot be written is made again next time.
    A sample that must be written into a read-only cache folder says so, not a traceback."""
    home = tmp_path / "home"
    home.mkdir()
    query = str(sorted((CLOTHING_DIR / "images").glob("*.jpg"))[0])
    os.chmod(home, 0o555)
    try:
        for argv in (("bench", "--help"), ("vae", "describe", "--help"), ("--version",)):
            ran = without_root_powers(_vsdesk(*argv), env=_env(home))
            assert (ran.returncode, ran.stderr) == (0, ""), (argv, ran.stderr)
        ran = without_root_powers(_vsdesk("vae", "describe", query, "--json"), env=_env(home))
        assert ran.returncode == 0, ran.stderr
        assert json.loads(ran.stdout)[0]["category"] and "Traceback" not in ran.stderr
        ran = without_root_powers(_vsdesk("eval", "vae", "--test-limit", "100", "--clothing-count", "10", "--json"),
                                  env=_env(home))
        assert ran.returncode == 0 and "Traceback" not in ran.stderr, ran.stderr
        assert isinstance(json.loads(ran.stdout), dict)
        assert list(home.iterdir()) == []
        read_only_cache = tmp_path / "cache"
        read_only_cache.mkdir(mode=0o555)
        ran = without_root_powers(_vsdesk("search", "--catalog", "fashion-mnist", query),
                                  env={**_env(home), "VSDESK_CACHE_DIR": str(read_only_cache)})
        assert ran.returncode == 1 and "Traceback" not in ran.stderr, ran.stderr
        assert ran.stderr.splitlines()[-1] == (f"vsdesk: cannot make vsdesk's cache folder {read_only_cache}/samples: "
                                               "Permission denied; set VSDESK_CACHE_DIR to a folder that can be written")
    finally:
        os.chmod(home, 0o755)


@needs_setpriv
def test_catalogs_list_with_a_sample_catalog_on_a_read_only_home_without_a_cache(tmp_path, monkeypatch):
    """`catalogs list` asks whether a sample catalog's folder is this installation's: looking
    for it made the cache folder, and failed on a read-only home whose cache had been emptied."""
    from vsdesk.engine.catalog import Catalog

    home = tmp_path / "home"
    monkeypatch.setenv("VSDESK_DATA_DIR", str(home / ".local" / "share" / "vsdesk"))
    Catalog.create("fashion-mnist", "vae", [tmp_path]).close()
    os.chmod(home, 0o555)
    try:
        ran = without_root_powers(_vsdesk("catalogs", "list", "--json"), env=_env(home))
        assert (ran.returncode, ran.stderr) == (0, ""), ran.stderr
        assert [entry["name"] for entry in json.loads(ran.stdout)] == ["fashion-mnist"]
        assert sorted(path.name for path in home.iterdir()) == [".local"]
    finally:
        os.chmod(home, 0o755)


@needs_setpriv
def test_a_command_without_a_log_says_so_once_after_its_answer(tmp_path):
    """On a read-only home every command began with "no log file: …" (its cache folder could not
    be made), or with "the log file … cannot be written" (a read-only cache folder), before its
    answer or its error. Now a command that went well says it in one line after its answer, and
    one that failed says only its error."""
    query = str(sorted((CLOTHING_DIR / "images").glob("*.jpg"))[0])
    read_only_home = tmp_path / "home"
    read_only_home.mkdir()
    read_only_cache = tmp_path / "home2" / ".cache" / "vsdesk"
    read_only_cache.mkdir(parents=True)
    why = {read_only_home: f"cannot use {read_only_home}/.cache/vsdesk as vsdesk's folder: Permission denied; "
                           "set VSDESK_CACHE_DIR to a folder that can be written",
           read_only_cache.parents[1]: f"the log file {read_only_cache}/vsdesk.log cannot be written (Permission denied)"}
    os.chmod(read_only_home, 0o555)
    os.chmod(read_only_cache, 0o555)
    try:
        for home, reason in why.items():
            ran = without_root_powers(_vsdesk("vae", "describe", query, "--json"), env=_env(home))
            assert ran.returncode == 0 and json.loads(ran.stdout)[0]["category"], ran.stderr
            assert ran.stderr == f"vsdesk: note: this command was not logged: {reason}\n"
            ran = without_root_powers(_vsdesk("search", "--catalog", "nosuch", query), env=_env(home))
            assert (ran.returncode, ran.stderr) == (2, "vsdesk: no catalog named 'nosuch' (see `vsdesk catalogs list`)\n")
    finally:
        os.chmod(read_only_home, 0o755)
        os.chmod(read_only_cache, 0o755)
