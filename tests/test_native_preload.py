"""TensorFlow's native libraries loaded ahead of its import, with the GIL released
(``vsdesk.engine.native_preload``): TensorFlow then imports and runs as usual. How long the
window's thread waits is measured by ``vsdesk bench --section foundation``, not here.

Each check runs in a fresh interpreter: this pytest process imported TensorFlow long ago."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from conftest import REPO

SCRIPT = r"""
import json, sys
from vsdesk.engine.native_preload import preload_tensorflow

def mapped():
    with open("/proc/self/maps") as fp:
        return {line.split()[-1].rsplit("/", 1)[-1] for line in fp if ".so" in line}

loaded = preload_tensorflow()
before_import = "tensorflow" in sys.modules, sorted(n for n in mapped() if "tensorflow" in n)
again = preload_tensorflow()
import numpy as np
import keras
layer = keras.layers.Dense(3, kernel_initializer="ones")
out = layer(np.ones((2, 4), "float32")).numpy().tolist()
from vsdesk.engine.modes import load_embedder
vae = load_embedder("vae")
vectors = vae.embed(vae.preprocess(__import__("PIL.Image").Image.new("L", (28, 28), 128))[None])
print(json.dumps({"loaded": loaded, "imported_before": before_import[0], "mapped": before_import[1],
                  "again": again, "out": out, "vae_dim": int(vectors.shape[1])}))
"""


@pytest.mark.skipif(sys.platform != "linux", reason="the preload is for Linux, where it was measured")
def test_tensorflow_runs_after_its_libraries_are_loaded_ahead(tmp_path):
    env = {"PYTHONPATH": str(REPO), "VSDESK_CACHE_DIR": str(tmp_path / "cache"), "TF_CPP_MIN_LOG_LEVEL": "3",
           "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    run = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=env, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert not result["imported_before"] and len(result["loaded"]) >= 2
    assert {"libtensorflow_cc.so.2", "libtensorflow_framework.so.2"} <= set(result["mapped"])
    assert result["again"] == []  # once per process
    assert result["out"] == [[4.0] * 3] * 2 and result["vae_dim"] > 0  # TensorFlow and a real model work
