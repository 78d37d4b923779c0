"""Packaging: `python -m build` makes a wheel and an sdist that carry the resources and licences,
and the wheel installs into a clean virtual environment where `vsdesk` runs offline.

What "clean" means here (installing TensorFlow afresh would download ~600 MB per run):
- vsdesk itself comes only from the built wheel, installed by pip into a new venv with
  ``--no-deps --no-index``; the commands run from a temporary directory, with no PYTHONPATH and no
  user site, so neither the source tree nor the editable install of the dev venv can leak in;
- its dependencies are exactly the closure of the wheel's own ``Requires-Dist`` (markers
  evaluated, versions checked against the specifiers), linked from the dev venv's already
  installed distributions into a separate folder that a ``.pth`` file puts on the new venv's path.
  pytest, scikit-image, PyInstaller and anything else the wheel does not declare are absent, so
  an undeclared import fails here as it would for a user;
- the network is cut at the socket boundary (a ``.pth`` start-up hook refuses every non-local
  connection), so "runs offline" is checked, not assumed.
The PyInstaller bundle is a separate, slower command: packaging/build_bundle.sh.
"""

from __future__ import annotations

import configparser
import fcntl
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement

REPO = Path(__file__).resolve().parent.parent
#: How long a build, an install or a command of the installed vsdesk may take before the test
#: calls it hung. Seconds on an idle machine; on two cores shared with the other xdist worker
#: and other jobs, TensorFlow's import alone took minutes. A hang still fails, with its output.
DEADLINE_S = 900

RESOURCES = REPO / "resources"
OFFLINE_HOOK = '''\
"""Test hook: this interpreter has no network (only loopback and Unix sockets)."""
import socket

_real_connect = socket.socket.connect
_real_getaddrinfo = socket.getaddrinfo


def _local(address):
    host = address[0] if isinstance(address, tuple) else address
    return isinstance(host, (str, bytes)) and (
        not isinstance(address, tuple) or host in ("127.0.0.1", "::1", "localhost")
    )


def _connect(self, address):
    if self.family != socket.AF_UNIX and not _local(address):
        raise OSError(f"network disabled by the vsdesk packaging test: {address!r}")
    return _real_connect(self, address)


def _getaddrinfo(host, *args, **kwargs):
    if host not in (None, "localhost", "127.0.0.1", "::1"):
        raise socket.gaierror(f"network disabled by the vsdesk packaging test: {host!r}")
    return _real_getaddrinfo(host, *args, **kwargs)


socket.socket.connect = _connect
socket.getaddrinfo = _getaddrinfo
'''


def _shipped_resources() -> list[str]:
    """The files under resources/ that the wheel must carry, by setup.py's own rule."""
    spec = importlib.util.spec_from_file_location("vsdesk_setup", REPO / "setup.py")
    setup_py = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(setup_py)  # not __main__: defines the rule, does not run setup()
    return [rel.as_posix() for rel in setup_py.resource_files(RESOURCES)]


def test_shipped_resources_rule_skips_clutter_and_checkpoints():
    shipped = _shipped_resources()
    assert "icons/vsdesk.svg" in shipped
    assert not [r for r in shipped if r.endswith((".tmp", ".part", ".pyc")) or "/." in f"/{r}"
                or "checkpoint" in r.split("/")[:-1] or "__pycache__" in r]


def test_the_installed_package_names_no_path_of_the_repository_as_the_users():
    """`train vae --out` help said "pass resources/models/vae", `train product --export`'s
    "e.g. resources/models/product", and the shipped product model, when missing, said to run
    `--data ../shared/data/clothing-dataset --export resources/models/product`: paths of a
    checkout, which an installed user has not got. What the installed package tells names
    them only as a checkout's; and the sample photo a user opens (Help > Try the sample photo)
    is carried by the wheel."""
    from vsdesk.cli import build_parser
    from vsdesk.engine.product.model import SPEC

    train = next(a for a in build_parser()._subparsers._group_actions if "train" in a.choices).choices["train"]
    commands = next(a for a in train._subparsers._group_actions).choices
    for command in ("vae", "product"):
        text = " ".join(commands[command].format_help().split())
        for sentence in re.split(r"[;.(]\s", text):
            assert "resources/" not in sentence or "checkout" in sentence, (command, sentence)
    assert "vsdesk models import vae" in " ".join(commands["vae"].format_help().split())
    assert "resources/" not in SPEC.how_to_get and "../" not in SPEC.how_to_get, SPEC.how_to_get
    assert "samples/example-dress.jpg" in _shipped_resources()


def test_the_held_out_twin_stays_in_the_checkout_and_out_of_the_wheel_rule():
    """The wheel and the bundle carried `models/product-heldout/` (12 MB, a quarter of the
    wheel), which only `eval product` scores, on the Clothing Dataset, which is not shipped. The
    rule leaves it out (the sdist grafts resources/ whole: ``test_sdist_carries_...``); what
    `eval product --data` reads of the shipped model stays: its baseline and the digests and
    looks of its training photos, which leave copies of them out of the user's test photos."""
    if not (RESOURCES / "models" / "product-heldout" / "product.json").is_file():
        pytest.skip("no held-out twin in this checkout")
    shipped = _shipped_resources()
    assert not [rel for rel in shipped if rel.startswith("models/product-heldout/")]
    assert {f"models/product/{name}" for name in ("product.json", "product.weights.h5", "baseline.npz",
                                                   "train-photos.npy", "train-looks.npy")} <= set(shipped)
    assert "graft resources" in (REPO / "MANIFEST.in").read_text(encoding="utf-8").splitlines()


def _installed_copy(site: Path) -> Path:
    """vsdesk laid out as a wheel installs it, without building one: the package's modules
    under ``site`` and, as setup.py puts them there, the resources the wheel carries (links to
    the checkout's files). No pyproject.toml beside it: no checkout."""
    for module in (REPO / "vsdesk").rglob("*.py"):
        target = site / module.relative_to(REPO)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(module, target)
    for rel in _shipped_resources():
        link = site / "vsdesk" / "resources" / rel
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(RESOURCES / rel)
    return site


def test_an_installed_vsdesk_guesses_no_path_of_a_checkout(tmp_path):
    """Installed, `eval product` looked for the shipped model's data at
    ``…/lib/python3.11/shared/data/clothing-dataset`` (its relative path taken from
    site-packages' parent), `eval vae` and the benchmarks for the Clothing Dataset beside it.
    There is no checkout there: the data set is said to be not shipped, with the way to score the
    shipped model on one's own photos, and the held-out twin to be only in the checkout."""
    site = _installed_copy(tmp_path / "site")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env.update(PYTHONPATH=str(site), PYTHONNOUSERSITE="1", PYTHONDONTWRITEBYTECODE="1")

    def vsdesk(*argv: str) -> subprocess.CompletedProcess:
        return _run_to_end([sys.executable, "-m", "vsdesk", *argv], "the installed copy", cwd=elsewhere, env=env)

    probe = _run_to_end([sys.executable, "-c", (
        "import json, vsdesk, vsdesk.engine.paths as p, vsdesk.engine.vae.evaluate as e\n"
        "print(json.dumps([vsdesk.__file__, str(p.source_checkout()), str(p.shared_data('clothing-dataset')),"
        " str(e.default_clothing_dir())]))")], "asking the installed copy", cwd=elsewhere, env=env)
    assert probe.returncode == 0, probe.stderr
    module, checkout, shared, clothing = json.loads(probe.stdout)
    assert Path(module).is_relative_to(site) and checkout == shared == "None", probe.stdout
    assert Path(clothing) == site / "vsdesk" / "resources" / "samples" / "clothing"

    evaluated = vsdesk("eval", "product")
    assert evaluated.returncode == 1, evaluated.stderr
    said = " ".join(evaluated.stderr.split())
    assert "shared/data" not in said and "is not shipped with vsdesk" in said, said
    assert "held-out twin 'product-heldout'" in said and "only in vsdesk's source checkout" in said, said
    assert "--data PATH" in said, said
    twin = vsdesk("eval", "product", "--model", "product-heldout")
    assert twin.returncode == 2 and "only in vsdesk's source checkout" in twin.stderr, twin.stderr
    assert "`vsdesk eval product --data PATH`" in twin.stderr, twin.stderr
    listed = vsdesk("models", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    names = [m["name"] for m in json.loads(listed.stdout)]
    assert "product" in names and "product-heldout" not in names, names

    # From the checkout itself the same commands find both (paths beside the repository).
    from vsdesk.engine import paths

    assert paths.source_checkout() == REPO
    assert paths.shared_data("clothing-dataset") in (None, REPO.parent / "shared" / "data" / "clothing-dataset")


def test_an_installed_vsdesk_says_the_held_out_twin_is_in_the_checkout_to_models_fetch_and_remove(tmp_path):
    """Installed, `models fetch product-heldout` and `models remove product-heldout` said
    "unknown model", where `--model product-heldout` says that it is only in the source checkout
    (and `models list` in the checkout lists it): they say that too, with the same exit code."""
    site = _installed_copy(tmp_path / "site")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env.update(PYTHONPATH=str(site), PYTHONNOUSERSITE="1", PYTHONDONTWRITEBYTECODE="1")
    for argv in (("models", "fetch", "product-heldout"), ("models", "remove", "product-heldout"),
                 ("eval", "product", "--model", "product-heldout")):
        ran = _run_to_end([sys.executable, "-m", "vsdesk", *argv], "the installed copy", cwd=tmp_path, env=env)
        said = ran.stderr.splitlines()[-1]
        assert ran.returncode == 2 and "unknown model" not in said, (argv, ran.stderr)
        assert said.startswith("vsdesk: 'product-heldout', the shipped product model's held-out twin, is only in "
                               "vsdesk's source checkout"), (argv, ran.stderr)
    ran = _run_to_end([sys.executable, "-m", "vsdesk", "models", "fetch", "nosuch"], "the installed copy", cwd=tmp_path,
                      env=env)
    assert ran.returncode == 2 and ran.stderr.startswith("vsdesk: unknown model 'nosuch'"), ran.stderr



def test_build_dists_without_its_python_says_how_to_make_it(tmp_path):
    """Without the repository's .venv, build_dists.sh said only "line 29: …/.venv/bin/python: No
    such file or directory": it says how to make the venv, as build_bundle.sh does."""
    for script in ("build_dists.sh", "build_bundle.sh"):
        ran = _run_to_end([str(REPO / "packaging" / script)], script,
                          env={**os.environ, "PYTHON": str(tmp_path / "no-venv" / "bin" / "python")})
        assert ran.returncode == 2, (script, ran.stderr)
        assert "python3 -m venv" in ran.stderr and "[packaging]" in ran.stderr, (script, ran.stderr)


def _run_to_end(argv: list[str], what: str, **options) -> subprocess.CompletedProcess:
    """``subprocess.run`` with the common deadline; past it, the test fails saying what hung
    and how loaded the machine was, rather than with a bare TimeoutExpired."""
    try:
        return subprocess.run(argv, capture_output=True, text=True, timeout=DEADLINE_S, **options)
    except subprocess.TimeoutExpired as hung:
        said = "".join(part.decode(errors="replace") if isinstance(part, bytes) else part or ""
                       for part in (hung.stdout, hung.stderr))
        pytest.fail(f"{what} did not end in {DEADLINE_S} s (load average {os.getloadavg()[0]:.1f} "
                    f"on {os.cpu_count()} cores): {' '.join(argv)}\n{said[-3000:]}")


def _not_sources(folder: str, names: list[str]) -> set[str]:
    """What a build, a venv or a test run leaves in a source tree, not what a release is built
    from: left out of the copy when the repository is no git checkout (an unpacked sdist)."""
    left_out = {n for n in names if n == "__pycache__" or n.endswith((".pyc", ".pyo"))}
    if Path(folder) == REPO:
        left_out |= {n for n in names if n in (".git", ".venv", "build", "dist", ".pytest_cache", ".ruff_cache")
                     or n.endswith(".egg-info") or (n.startswith("vsdesk-") and (REPO / n).is_dir())}
    return left_out


def _source_files() -> list[str] | None:
    """The repository's files a release is built from, relative to it: tracked or new, not
    ignored (`git ls-files`); None when it is not a git checkout."""
    try:
        listed = subprocess.run(["git", "-C", str(REPO), "ls-files", "-z", "--cached", "--others",
                                 "--exclude-standard"], capture_output=True, text=True, timeout=60)
    except OSError:  # no git
        return None
    if listed.returncode != 0:
        return None
    return [rel for rel in listed.stdout.split("\0") if rel and (REPO / rel).is_file()]  # (not one deleted)


def _copy_sources(target: Path) -> Path:
    """A copy of the repository's sources in ``target``, to build from: a build in the source
    tree writes ``vsdesk-VERSION/``, ``build/`` and ``vsdesk.egg-info`` there while it runs,
    which a developer's own build at the same time collides with, and a crash leaves behind."""
    files = _source_files()
    if files is None:
        shutil.copytree(REPO, target, ignore=_not_sources, symlinks=True)
        return target
    for rel in files:
        (target / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / rel, target / rel, follow_symlinks=False)
    return target


def _build_output(rel: str) -> bool:
    """Whether ``rel`` (a path in the repository, as git names it) is where a build run in the
    source tree writes: ``build/``, ``dist/``, ``vsdesk.egg-info/`` and the sdist's
    ``vsdesk-VERSION/``, at its top."""
    top = rel.rstrip("/").split("/")[0]
    return top in ("build", "dist") or top.endswith(".egg-info") or top.startswith("vsdesk-")


def _build_output_in_repository() -> dict[str, float]:
    """What a build run in the source tree would have written there, as git sees it beside the
    tracked files (ignored ones included: a ``vsdesk.egg-info`` there from ``pip install -e``),
    each with the time of its latest change. Only those names: another test, or the developer,
    writing some other ignored file into the repository meanwhile (a log, ``.pytest_cache``) is
    no fault of the build."""
    listed = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain", "--ignored"],
                            capture_output=True, text=True, timeout=60)
    found = {}
    for line in listed.stdout.splitlines():
        rel = line[3:]
        if line[:2] in ("??", "!!") and _build_output(rel):
            path = REPO / rel
            found[rel] = max((p.stat().st_mtime for p in (path, *path.rglob("*")) if p.exists()), default=0.0)
    return found


@pytest.fixture(scope="session")
def dists(tmp_path_factory, worker_id) -> dict[str, Path]:
    """The wheel and sdist, built like a release: sdist first, the wheel from the sdist.

    Built from a copy of the sources (``_copy_sources``), so the working tree is left as it
    was, and once a run, under a lock that both xdist workers take: the second waits for the
    first's build and takes its files (two builds at once would cost twice the time)."""
    if worker_id == "master":  # (no xdist)
        shared = tmp_path_factory.mktemp("dist")
    else:
        shared = tmp_path_factory.getbasetemp().parent / "vsdesk-dist"  # beside the workers' own folders
        shared.mkdir(exist_ok=True)
    out, built = shared / "out", shared / "built"
    with open(shared / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # held until this process's build, or the other's, has ended
        if not built.is_file():  # (a build that failed left no mark: this worker tries, and says why)
            shutil.rmtree(out, ignore_errors=True)
            sources = shared / "sources"
            shutil.rmtree(sources, ignore_errors=True)
            before = _build_output_in_repository()
            # The release's own command (packaging/README.md); --no-isolation: the dev venv's
            # setuptools instead of one downloaded per run.
            copy = _copy_sources(sources)
            result = _run_to_end([str(copy / "packaging" / "build_dists.sh"), "--no-isolation", "--outdir", str(out)],
                                 "building the wheel and sdist", env={**os.environ, "PYTHON": sys.executable})
            assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
            # `python -m build` alone left vsdesk.egg-info/ there (setuptools' sdist step).
            assert sorted(p.name for p in copy.glob("*.egg-info")) == [], "the build left its egg-info"
            after = _build_output_in_repository()
            written = sorted(rel for rel, changed in after.items() if before.get(rel) != changed)
            assert not written, f"the build wrote into the source tree: {written}"
            shutil.rmtree(sources)
            built.write_text("")
    wheels = list(out.glob("vsdesk-*.whl"))
    sdists = list(out.glob("vsdesk-*.tar.gz"))
    assert len(wheels) == 1 and len(sdists) == 1, sorted(p.name for p in out.iterdir())
    return {"wheel": wheels[0], "sdist": sdists[0]}


@pytest.mark.slow
def test_wheel_carries_package_resources_licences_and_entry_points(dists):
    from vsdesk import __version__

    wheel = dists["wheel"]
    assert wheel.name == f"vsdesk-{__version__}-py3-none-any.whl"
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        dist_info = f"vsdesk-{__version__}.dist-info"
        entry_points = configparser.ConfigParser()
        entry_points.read_string(zf.read(f"{dist_info}/entry_points.txt").decode())
        notice = zf.read(f"{dist_info}/licenses/NOTICE").decode()

    # Every module of the source tree (a missing package would only fail at a user's import).
    modules = {p.relative_to(REPO).as_posix() for p in (REPO / "vsdesk").rglob("*.py")}
    assert modules - names == set()
    # Everything in resources/ lands inside the package, where resources_dir() looks first.
    shipped = _shipped_resources()
    assert shipped, "resources/ is empty"
    missing = {f"vsdesk/resources/{rel}" for rel in shipped} - names
    assert missing == set()
    in_wheel = {n for n in names if n.startswith("vsdesk/resources/")}
    assert len(in_wheel) == len(shipped)  # nothing stale, nothing half-written
    assert not [n for n in names if "product-heldout" in n]  # checkout only (setup.py)
    for folder in ("icons", "desktop", "samples/clothing", "samples/fashion-mnist"):
        assert any(n.startswith(f"vsdesk/resources/{folder}/") for n in names), folder
    for folder in ("models/product", "models/vae"):  # trained weights, once they are committed
        if any(rel.startswith(f"{folder}/") for rel in shipped):
            assert any(n.startswith(f"vsdesk/resources/{folder}/") for n in names), folder
    assert {f"{dist_info}/licenses/LICENSE", f"{dist_info}/licenses/NOTICE"} <= names
    assert notice == (REPO / "NOTICE").read_text(encoding="utf-8")
    assert entry_points["gui_scripts"]["vsdesk"] == "vsdesk.__main__:main"
    assert entry_points["console_scripts"]["vsdesk-cli"] == "vsdesk.__main__:cli"


@pytest.mark.slow
def test_sdist_carries_what_a_wheel_is_built_from(dists):
    with tarfile.open(dists["sdist"]) as tf:
        root = tf.getnames()[0].split("/")[0]
        names = {n.split("/", 1)[1] for n in tf.getnames() if "/" in n}
    expected = {"setup.py", "pyproject.toml", "LICENSE", "NOTICE", "packaging/vsdesk.spec",
                "resources/desktop/io.github.vsdesk.vsdesk.desktop",
                "resources/desktop/io.github.vsdesk.vsdesk.metainfo.xml",
                "vsdesk/__init__.py"}
    assert expected - names == set()
    assert {f"resources/{rel}" for rel in _shipped_resources()} - names == set()
    # What the wheel leaves out (the held-out twin) and what reproduces README's figures.
    checkout_only = [rel for rel in (_source_files() or []) if rel.startswith("resources/models/product-heldout/")]
    assert set(checkout_only) - names == set()
    cited = set(re.findall(r"`(scripts/[\w.]+\.py)`", (REPO / "README.md").read_text(encoding="utf-8")))
    assert cited and cited - names == set(), cited
    assert not any("__pycache__" in n or n.startswith(".venv") for n in names), root


def _dependency_closure(wheel: Path) -> list[metadata.Distribution]:
    """The installed distributions the wheel's Requires-Dist needs, recursively."""
    with zipfile.ZipFile(wheel) as zf:
        meta = next(n for n in zf.namelist() if n.endswith(".dist-info/METADATA"))
        requires = [
            line.split(":", 1)[1].strip()
            for line in zf.read(meta).decode().splitlines()
            if line.startswith("Requires-Dist:")
        ]
    seen: dict[str, metadata.Distribution] = {}
    todo = [Requirement(r) for r in requires]
    while todo:
        req = todo.pop()
        if req.marker and not req.marker.evaluate({"extra": ""}):
            continue
        key = re.sub(r"[-_.]+", "-", req.name).lower()
        if key in seen:
            continue
        dist = metadata.distribution(req.name)
        assert req.specifier.contains(dist.version, prereleases=True), (
            f"the dev venv has {req.name} {dist.version}, the wheel asks for {req}"
        )
        seen[key] = dist
        todo += [Requirement(r) for r in dist.requires or []]
    return list(seen.values())


def _link_distributions(dists: list[metadata.Distribution], target: Path) -> None:
    """Symlink each distribution's top-level files and its dist-info folder into target."""
    target.mkdir()
    for dist in dists:
        site = Path(dist.locate_file(""))
        tops = {Path(str(f)).parts[0] for f in dist.files or [] if not str(f).startswith("..")}
        for top in tops - {"__pycache__"}:
            link = target / top
            if not link.exists() and (site / top).exists():
                link.symlink_to(site / top)


@pytest.fixture(scope="session")  # once a worker: conftest runs long tests apart from the rest
def clean_venv(dists, tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("clean-venv")
    venv = root / "venv"
    made = _run_to_end([sys.executable, "-m", "venv", "--without-pip", str(venv)], "making the clean venv")
    assert made.returncode == 0, made.stderr
    python = venv / "bin" / "python"
    asked = _run_to_end([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                        "asking the clean venv for its site-packages")
    assert asked.returncode == 0, asked.stderr
    site = Path(asked.stdout.strip())
    # vsdesk from the wheel alone: no dependencies resolved by pip, no index.
    installed = _run_to_end(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index",
         "--no-cache-dir", "--disable-pip-version-check", "--quiet", str(dists["wheel"])],
        "installing the wheel into the clean venv",
    )
    assert installed.returncode == 0, installed.stdout[-3000:] + installed.stderr[-3000:]
    deps = root / "deps"
    _link_distributions(_dependency_closure(dists["wheel"]), deps)
    (site / "vsdesk_test_deps.pth").write_text(f"{deps}\n")
    (site / "_vsdesk_test_offline.py").write_text(OFFLINE_HOOK)
    (site / "zz_vsdesk_test_offline.pth").write_text("import _vsdesk_test_offline\n")
    return venv


def _run(venv: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env.update(PYTHONNOUSERSITE="1", QT_QPA_PLATFORM="offscreen", TF_CPP_MIN_LOG_LEVEL="2",
               PATH=f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}")
    return _run_to_end(list(args), "a command in the clean venv", cwd=cwd, env=env)


@pytest.mark.slow
def test_clean_venv_has_vsdesk_only_from_the_wheel_and_no_network(clean_venv, tmp_path):
    python = str(clean_venv / "bin" / "python")
    probe = _run(clean_venv, python, "-c", (
        "import json, socket, importlib.util as u, vsdesk, vsdesk.engine.paths as p\n"
        "try:\n    socket.create_connection(('pypi.org', 443), timeout=5); net = True\n"
        "except OSError:\n    net = False\n"
        "print(json.dumps({'vsdesk': vsdesk.__file__, 'resources': str(p.resources_dir()),\n"
        "  'pytest': u.find_spec('pytest') is not None, 'network': net}))"
    ), cwd=tmp_path)
    assert probe.returncode == 0, probe.stderr
    found = json.loads(probe.stdout)
    assert Path(found["vsdesk"]).is_relative_to(clean_venv), found
    assert Path(found["resources"]).is_relative_to(clean_venv), found
    assert found["pytest"] is False and found["network"] is False, found


@pytest.mark.slow
def test_installed_wheel_runs_offline(clean_venv, tmp_path):
    from vsdesk import __version__

    for script in ("vsdesk", "vsdesk-cli"):
        version = _run(clean_venv, str(clean_venv / "bin" / script), "--version", cwd=tmp_path)
        assert version.returncode == 0, version.stderr
        assert version.stdout.strip() == f"vsdesk {__version__}"

    listed = _run(clean_venv, str(clean_venv / "bin" / "vsdesk"), "models", "list", "--json", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr[-3000:]
    models = json.loads(listed.stdout)
    records = models if isinstance(models, list) else models.get("models", [])
    ready = {m["name"] for m in records if m.get("ready")}
    assert {"vgg16", "efficientnet-lite0"} <= ready, listed.stdout

    # A real model load and search with only what the wheel declares, no network: the VAE
    # weights and the clothing samples both come from vsdesk/resources inside the wheel.
    # (Converting the weights carried by dependencies is proved by packaging/check_bundle.sh.)
    site_resources = Path(json.loads(_run(clean_venv, str(clean_venv / "bin" / "python"), "-c",
                                          "import json, vsdesk.engine.paths as p; print(json.dumps(str(p.resources_dir())))",
                                          cwd=tmp_path).stdout))
    images = tmp_path / "images"
    images.mkdir()
    for sample in sorted((site_resources / "samples" / "clothing").glob("*.jpg"))[:6]:
        (images / sample.name).write_bytes(sample.read_bytes())
    vsdesk = str(clean_venv / "bin" / "vsdesk")
    indexed = _run(clean_venv, vsdesk, "index", "--mode", "vae", "--catalog", "smoke", str(images), cwd=tmp_path)
    assert indexed.returncode == 0, indexed.stderr[-3000:]
    query = sorted(images.glob("*.jpg"))[0]
    searched = _run(clean_venv, vsdesk, "search", "--mode", "vae", "--catalog", "smoke", str(query), "-k", "3",
                    "--json", cwd=tmp_path)
    assert searched.returncode == 0, searched.stderr[-3000:]
    [record] = json.loads(searched.stdout)
    results = record["results"]
    assert len(results) == 3
    assert all(Path(r["path"]).parent == images and Path(r["path"]) != query for r in results)
    assert [r["score"] for r in results] == sorted((r["score"] for r in results), reverse=True)

    # The shipped model's data and held-out twin are not installed: said so, with --data's way.
    evaluated = _run(clean_venv, vsdesk, "eval", "product", cwd=tmp_path)
    assert evaluated.returncode == 1 and "is not shipped with vsdesk" in evaluated.stderr, evaluated.stderr
    assert "product-heldout" not in {m["name"] for m in records}, listed.stdout
    catalogs = _run(clean_venv, vsdesk, "catalogs", "list", cwd=tmp_path)
    assert catalogs.returncode == 0 and "fashion-mnist" in catalogs.stderr, catalogs.stderr

    about = _run(clean_venv, str(clean_venv / "bin" / "python"), "-m", "vsdesk.engine.about", cwd=tmp_path)
    assert about.returncode == 0, about.stderr
    assert f"vsdesk {__version__}" in about.stdout and "Fashion-MNIST [data set]: MIT" in about.stdout


# --- Desktop integration files -------------------------------------------------------------

DESKTOP = REPO / "resources" / "desktop"  # shipped in the wheel: `vsdesk desktop-entry install` reads it
APP_ID = "io.github.vsdesk.vsdesk"
#: The MIME type of every suffix vsdesk decodes (freedesktop shared-mime-info names).
SUFFIX_MIME = {
    ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".jpe": "image/jpeg", ".jfif": "image/jpeg",
    ".png": "image/png", ".bmp": "image/bmp", ".gif": "image/gif", ".tif": "image/tiff",
    ".tiff": "image/tiff", ".webp": "image/webp", ".ppm": "image/x-portable-pixmap",
    ".pgm": "image/x-portable-graymap", ".pbm": "image/x-portable-bitmap",
    ".pnm": "image/x-portable-anymap", ".ico": "image/vnd.microsoft.icon", ".tga": "image/x-tga", ".avif": "image/avif",
}


def _desktop_entry() -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None, delimiters=("=",))
    parser.optionxform = str  # keys are case-sensitive in .desktop files
    parser.read(DESKTOP / f"{APP_ID}.desktop", encoding="utf-8")
    return parser["Desktop Entry"]


def test_desktop_file_opens_every_image_type_we_decode():
    from vsdesk.engine.imageio import IMAGE_SUFFIXES

    entry = _desktop_entry()
    assert entry["Type"] == "Application"
    assert entry["Exec"] == "vsdesk %F"  # files go to `vsdesk FILE...`, which opens the window
    assert entry["TryExec"] == "vsdesk"
    assert entry["Icon"] == APP_ID
    assert entry["Terminal"] == "false"
    assert entry["Categories"] == "Graphics;Viewer;"
    mime = set(entry["MimeType"].rstrip(";").split(";"))
    assert set(IMAGE_SUFFIXES) <= set(SUFFIX_MIME), "a new suffix: add its MIME type here and to the .desktop"
    assert {SUFFIX_MIME[s] for s in IMAGE_SUFFIXES} <= mime
    assert all(m.startswith("image/") for m in mime)


def test_desktop_icon_and_metainfo_are_consistent():
    import xml.etree.ElementTree as ET

    from vsdesk import __version__

    for name in ["vsdesk.svg", "vsdesk.ico"] + [f"vsdesk-{n}.png" for n in (16, 32, 48, 128, 256)]:
        assert (RESOURCES / "icons" / name).is_file(), name
    from PIL import Image

    with Image.open(RESOURCES / "icons" / "vsdesk-256.png") as icon:
        assert icon.size == (256, 256) and icon.mode == "RGBA"
    ET.parse(RESOURCES / "icons" / "vsdesk.svg")  # well-formed

    meta = ET.parse(DESKTOP / f"{APP_ID}.metainfo.xml").getroot()
    assert meta.findtext("id") == APP_ID
    assert meta.findtext("launchable") == f"{APP_ID}.desktop"
    assert meta.findtext("project_license") == "MIT"
    assert __version__ in [r.get("version") for r in meta.iter("release")]
    mime = set(_desktop_entry()["MimeType"].rstrip(";").split(";"))
    assert {m.text for m in meta.iter("mediatype")} <= mime

    # The official validators, where installed (appstream, desktop-file-utils).
    if shutil.which("appstreamcli"):
        result = _run_to_end(["appstreamcli", "validate", "--no-net", str(DESKTOP / f"{APP_ID}.metainfo.xml")],
                             "the AppStream validator")
        assert result.returncode == 0, result.stdout + result.stderr
    if shutil.which("desktop-file-validate"):
        result = _run_to_end(["desktop-file-validate", str(DESKTOP / f"{APP_ID}.desktop")], "the desktop file validator")
        assert result.returncode == 0, result.stdout + result.stderr


def test_desktop_entry_install_points_at_this_installation_and_remove_takes_only_its_files(tmp_path, capsys):
    """A pip install's `vsdesk` is in a virtual environment's bin/, not on the desktop session's
    PATH: the installed entry starts it by its absolute path (quoted when it has spaces)."""
    from vsdesk.cli import main

    prefix = tmp_path / "share"
    (prefix / "applications").mkdir(parents=True)
    (prefix / "applications" / "someone-else.desktop").write_text("[Desktop Entry]\n")
    launcher = tmp_path / "my apps" / "vsdesk"
    launcher.parent.mkdir()
    launcher.write_text("#!/bin/sh\n")
    launcher.chmod(0o755)
    assert main(["desktop-entry", "install", "--prefix", str(prefix), "--exec", str(launcher)]) == 0
    assert str(launcher) in capsys.readouterr().out
    parser = configparser.ConfigParser(interpolation=None, delimiters=("=",))
    parser.optionxform = str
    parser.read(prefix / "applications" / f"{APP_ID}.desktop", encoding="utf-8")
    entry, shipped = parser["Desktop Entry"], _desktop_entry()
    assert entry["Exec"] == f'"{launcher}" %F' and entry["TryExec"] == str(launcher)
    assert {k: v for k, v in entry.items() if k not in ("Exec", "TryExec")} == \
           {k: v for k, v in shipped.items() if k not in ("Exec", "TryExec")}
    icon = prefix / "icons" / "hicolor" / "256x256" / "apps" / f"{APP_ID}.png"
    assert icon.read_bytes() == (RESOURCES / "icons" / "vsdesk-256.png").read_bytes()
    assert (prefix / "metainfo" / f"{APP_ID}.metainfo.xml").is_file()
    if shutil.which("desktop-file-validate"):
        done = _run_to_end(["desktop-file-validate", str(prefix / "applications" / f"{APP_ID}.desktop")],
                           "the desktop file validator")
        assert done.returncode == 0, done.stdout + done.stderr

    # Without --exec: this installation's own launcher, beside its Python.
    assert main(["desktop-entry", "install", "--prefix", str(prefix)]) == 0
    parser.read(prefix / "applications" / f"{APP_ID}.desktop", encoding="utf-8")
    assert parser["Desktop Entry"]["TryExec"] == str(Path(sys.executable).parent / "vsdesk")

    assert main(["desktop-entry", "remove", "--prefix", str(prefix)]) == 0
    left = {p.relative_to(prefix).as_posix() for p in prefix.rglob("*") if p.is_file()}
    assert left <= {"applications/someone-else.desktop", "icons/hicolor/icon-theme.cache",
                    "applications/mimeinfo.cache"}
    assert "applications/someone-else.desktop" in left
    assert main(["desktop-entry", "install", "--prefix", str(prefix), "--exec", str(tmp_path / "nothing")]) == 2
    assert "not an executable file" in capsys.readouterr().err
