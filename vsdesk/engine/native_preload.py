"""Load TensorFlow's large native libraries with the GIL released, before ``import tensorflow``.

Python holds the GIL while it loads an extension module, and TensorFlow's libraries
(``libtensorflow_cc.so.2`` alone is ~770 MB) run their static initialisers inside that load: a
quarter of a second with the files in the page cache, up to a second from a cold disk. The
window's thread, which needs the GIL for every Python slot, froze that long at every start,
while the first model loaded on the worker thread. Calling libc's ``dlopen`` through ctypes
releases the GIL for the call (ctypes does so for every foreign call), and the import that
follows finds the libraries already loaded. What is left of the import's stalls is Python
unmarshalling TensorFlow's large generated modules (~0.1 s each, GIL held, unavoidable in
one process). ``vsdesk bench --section foundation`` measures the longest stall both ways.

Linux only, where it was measured; anywhere else, or if anything fails, this does nothing and
the ordinary import does all the work. The flags are Python's own for extension modules
(``RTLD_NOW``, local symbols): TensorFlow refuses to share its symbols globally.
"""

from __future__ import annotations

import ctypes
import importlib.util
import sys
import threading
from pathlib import Path

#: Inside the tensorflow package, biggest first; each also pulls in what it links to.
LIBRARIES = (
    "libtensorflow_framework.so.2",
    "libtensorflow_cc.so.2",
    "python/lib_pywrap_tensorflow_common.so",
    "lite/python/libpywrap_tflite_common.so",
    "python/profiler/internal/_pywrap_profiler_plugin.so",
)

_lock = threading.Lock()
_done = False


def preload_tensorflow() -> list[str]:
    """Load the libraries (once per process) unless TensorFlow is imported already; the paths
    loaded."""
    global _done
    with _lock:
        if _done or sys.platform != "linux" or "tensorflow" in sys.modules:
            return []
        _done = True
        try:
            spec = importlib.util.find_spec("tensorflow")  # finds the package without running it
            if spec is None or spec.origin is None:
                return []
            dlopen = ctypes.CDLL(None).dlopen
            dlopen.restype = ctypes.c_void_p
            dlopen.argtypes = [ctypes.c_char_p, ctypes.c_int]
        except (ImportError, ValueError, OSError, AttributeError):
            return []
        root = Path(spec.origin).parent
        loaded = []
        for name in LIBRARIES:
            path = root / name
            if path.is_file() and dlopen(str(path).encode(), sys.getdlopenflags()):
                loaded.append(str(path))
        return loaded
