"""One build step that pyproject.toml cannot express: ship ``resources/`` inside the package.

The repository keeps the shipped weights and sample catalogs in a top-level ``resources/``
folder; an installed vsdesk finds them at ``vsdesk/resources`` (see
``vsdesk.engine.paths.resources_dir``). ``build_py`` copies the whole folder there, whatever it
holds at build time, so new models or samples need no packaging change. The sdist carries
``resources/`` (MANIFEST.in), so a wheel built from the sdist gets the same files; the folders
that only a checkout can use (``CHECKOUT_ONLY``) stay out of the wheel and the desktop bundle.
Everything else (metadata, dependencies, entry points) is in pyproject.toml.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
RESOURCES = HERE / "resources"
#: Never shipped: hidden files, editor/OS clutter, half-written files (temp file + replace) and
#: training checkpoints (resumable state that a training run may leave beside its export).
SKIP_NAMES = {"__pycache__", ".DS_Store", "Thumbs.db", ".gitkeep", "checkpoint", "checkpoints"}
SKIP_SUFFIXES = (".pyc", ".tmp", ".part", ".swp")
#: Kept in the checkout and the sdist (they reproduce README's figures), not installed: folders
#: under resources/ that only a checkout can use. The shipped product model's held-out twin
#: (12 MB) is scored by `vsdesk eval product` on the Clothing Dataset's held-out contributors,
#: and the data set is not shipped; installed, `vsdesk eval product --data` scores the shipped
#: model itself on the user's photos.
CHECKOUT_ONLY = ("models/product-heldout",)


def resource_files(root: Path = RESOURCES) -> list[Path]:
    """Every file under ``root`` that belongs in the package, relative to ``root``, sorted.

    The one rule for what ships: packaging/vsdesk.spec and tests/test_packaging.py import it.
    """
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        here = Path(dirpath).relative_to(root)
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_NAMES and not d.startswith(".")
                             and (here / d).as_posix() not in CHECKOUT_ONLY)
        for name in sorted(filenames):
            if name in SKIP_NAMES or name.endswith(SKIP_SUFFIXES) or name.startswith("."):
                continue
            found.append((Path(dirpath) / name).relative_to(root))
    return found


class BuildPyWithResources(build_py):
    """``build_py`` plus a copy of ``resources/`` into ``<build>/vsdesk/resources``."""

    def run(self) -> None:
        super().run()
        # An editable install runs from the source tree, where resources_dir() falls back to
        # the top-level folder: nothing to copy.
        if getattr(self, "editable_mode", False) or not RESOURCES.is_dir():
            return
        target = Path(self.build_lib) / "vsdesk" / "resources"
        if target.exists():
            shutil.rmtree(target)  # a stale build dir must not keep files removed from resources/
        for rel in resource_files():
            dest = target / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(RESOURCES / rel, dest)

    def get_outputs(self, include_bytecode: bool = True) -> list[str]:
        outputs = list(super().get_outputs(include_bytecode))
        if not getattr(self, "editable_mode", False) and RESOURCES.is_dir():
            target = Path(self.build_lib) / "vsdesk" / "resources"
            outputs += [str(target / rel) for rel in resource_files()]
        return outputs


if __name__ == "__main__":  # setuptools runs this file as __main__; the spec and tests import it
    setup(cmdclass={"build_py": BuildPyWithResources})
