"""Importing the engine and the CLI loads neither Qt nor TensorFlow (nor other heavy packages).

Each check runs in a fresh interpreter, because this pytest process has long since imported them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from conftest import REPO

HEAVY = ("tensorflow", "keras", "PySide6", "shiboken6", "pyqtgraph", "onnx", "torch", "sklearn.manifold")

SCRIPT = r"""
import importlib, json, pkgutil, sys

HEAVY = %r

def heavy():
    return sorted(m for m in sys.modules if any(m == h or m.startswith(h + ".") for h in HEAVY))

import vsdesk.cli, vsdesk.engine
names = ["vsdesk", "vsdesk.__main__", "vsdesk.engine", "vsdesk.cli"]
for package in (vsdesk.engine, vsdesk.cli):
    names += [info.name for info in pkgutil.walk_packages(package.__path__, package.__name__ + ".")]
culprits = {}
for name in names:
    before = set(heavy())
    importlib.import_module(name)
    new = sorted(set(heavy()) - before)
    if new:
        culprits[name] = new[:5]

# Building the whole command line and listing the models (which imports every spec module) too.
before = set(heavy())
vsdesk.cli.build_parser()
import vsdesk.engine.models as models
listed = [info.name for info in models.list_models()]
new = sorted(set(heavy()) - before)
if new:
    culprits["build_parser() + models.list_models()"] = new[:5]
print(json.dumps({"modules": names, "listed": listed, "culprits": culprits}))
"""


def test_engine_and_cli_import_no_qt_and_no_tensorflow():
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT % (HEAVY,)],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert "vsdesk.engine.models.store" in report["modules"] and "vsdesk.cli.model_commands" in report["modules"]
    assert {"vgg16", "efficientnet-lite0", "efficientnet-b0"} <= set(report["listed"])
    assert report["culprits"] == {}, f"modules importing heavy packages at import time: {report['culprits']}"
