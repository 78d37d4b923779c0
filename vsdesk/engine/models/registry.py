"""Which models exist: the ``SPEC`` of every module in ``vsdesk.engine.models.SPEC_MODULES``.

Spec modules are imported on first use, not when the package is imported, so ``import
vsdesk.engine.models`` stays cheap. A listed module that does not exist (yet) is skipped; any
other error inside a spec module is a bug and propagates.
"""

from __future__ import annotations

import importlib
import threading

from vsdesk.engine.models.errors import UnknownModelError
from vsdesk.engine.models.spec import ModelSpec

_lock = threading.RLock()  # a spec module may itself ask for specs while being imported
_specs: dict[str, ModelSpec] | None = None
_extra: dict[str, ModelSpec] = {}


def _is_missing(exc: ModuleNotFoundError, module_name: str) -> bool:
    """True when ``exc`` says ``module_name`` itself (or a parent package of it) does not exist."""
    missing = exc.name or ""
    return bool(missing) and (module_name == missing or module_name.startswith(missing + "."))


def _collect() -> dict[str, ModelSpec]:
    from vsdesk.engine import models  # the package's SPEC_MODULES, read at call time

    specs: dict[str, ModelSpec] = {}
    for module_name in models.SPEC_MODULES:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if _is_missing(exc, module_name):
                continue
            raise
        spec = module.SPEC
        if spec.name in specs:
            raise RuntimeError(f"model name {spec.name!r} is declared twice (second time in {module_name})")
        specs[spec.name] = spec
    return specs


def specs() -> dict[str, ModelSpec]:
    """All known specs by name, in ``SPEC_MODULES`` order, then those added by ``register``."""
    global _specs
    with _lock:
        if _specs is None:
            _specs = _collect()
        return {**_specs, **_extra}


def get_spec(name: str) -> ModelSpec:
    known = specs()
    try:
        return known[name]
    except KeyError:
        raise UnknownModelError(name, list(known)) from None


def register(spec: ModelSpec) -> None:
    """Add a spec that does not live in ``SPEC_MODULES`` (plug-ins, tests); replaces one of that name."""
    _extra[spec.name] = spec


def unregister(name: str) -> None:
    _extra.pop(name, None)
