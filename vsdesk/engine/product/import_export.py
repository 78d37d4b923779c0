"""Product models into and out of the model store: ``vsdesk models import`` copies a model
folder (one trained elsewhere, say, and shared) in as ``product/NAME``, ``vsdesk models export``
copies one out to a new folder. Each copy is whole or not at all (``staging_dir``, ``install``).
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from vsdesk.engine.files import atomic_write_json, export_target
from vsdesk.engine.product.model import (META_FILE, OPTIONAL_FILES, ProductMeta, ProductModelError, load_head,
                                         read_meta, weights_file)
from vsdesk.engine.product.model_store import TRAINED_PREFIX, refused_name, user_dir
from vsdesk.engine.product.staging import install, install_among_other_files, staging_dir
from vsdesk.engine.text import shell_quoted


def import_folder(name: str, source: str | os.PathLike) -> Path:
    """Copy a product model folder (one trained elsewhere, say, and shared) into the model store
    as ``product/NAME``; the folder written. Its members must load into the model its metadata
    describes. Nothing is replaced: an existing name is refused. Its metadata names it NAME, as
    it is used here (what `vsdesk eval product` and a search report), not as it was trained,
    and names no held-out twin (``_without_twin``). A shipped model's name is refused."""
    name = name.removeprefix(TRAINED_PREFIX)
    target = user_dir(name)  # refuses names that would leave the folder
    problem = refused_name(name, instead=f"{name}-imported")
    if problem:
        raise ProductModelError(problem)
    source = Path(source).expanduser()
    if not source.is_dir():
        raise ProductModelError(f"{source}: not a folder; a product model is a folder holding {META_FILE} "
                                "and its weights (what `vsdesk train product --export` writes)")
    if (target / META_FILE).is_file():
        raise ProductModelError(f"a product model named {name!r} exists; `vsdesk models remove {shell_quoted(f'product/{name}')}` first")
    meta = read_meta(source)
    for member in range(meta.members):
        load_head(source, member)  # a file that does not fit is refused here, not at first use
    _copy_model(source, meta, target, name=name)  # a folder there without metadata (an interrupted import) is replaced
    return target


def export_folder(name: str, target: str | os.PathLike) -> Path:
    """Copy the product model ``product/NAME`` of the store to the new folder ``target`` (what
    ``import_folder`` takes back, here or elsewhere); the folder written. Nothing is
    overwritten: a ``target`` that exists and is not empty is refused. The copy names no
    held-out twin (``_without_twin``): the twin is not copied with it, and a folder of its name
    beside ``target`` may be another model's."""
    name = name.removeprefix(TRAINED_PREFIX)
    source = user_dir(name)  # refuses names that would leave the folder
    if not (source / META_FILE).is_file():
        raise ProductModelError(f"no trained product model named {name!r} (see `vsdesk models list`)")
    try:
        target = export_target(target)
    except FileExistsError as exc:
        raise ProductModelError(str(exc)) from None
    # An empty folder there (a USB disk's top, a private folder) is written into, not replaced:
    # a mount point cannot be renamed ("Device or resource busy"), and its permissions stay.
    _copy_model(source, read_meta(source), target, into=target.is_dir())
    return target


def _without_twin(meta: dict) -> dict:
    """A copied model's metadata (imported, exported) without the held-out twin it names
    (``heldout_twin``, the scores copied from it kept): a twin is found by its folder's name
    beside the model, and beside the copy that name may be an unrelated model's, or no model's.
    Dropped rather than the twin copied with it, which would need a second name that may be
    taken and a second copy: the model can then never stand in for the wrong one (`vsdesk eval
    product` scores it itself)."""
    return {key: value for key, value in meta.items() if key != "heldout_twin"}


def _copy_model(source: Path, meta: ProductMeta, target: Path, into: bool = False, name: str | None = None) -> None:
    """The model files of ``source`` (no other file) copied into ``target``, whole or not at all
    (``into``: the existing folder ``target``, staged inside it, its metadata moved in last);
    its metadata naming no held-out twin, and naming it ``name`` when given (an import, said
    ``imported``)."""
    import shutil

    files = [META_FILE, *(weights_file(m) for m in range(meta.members))]
    files += [f for f in OPTIONAL_FILES if (source / f).is_file()] + [p.name for p in source.glob("fast-*.tflite")]
    staging = (Path(tempfile.mkdtemp(prefix=f".{target.name}.partial-{os.getpid()}-", dir=target)) if into
               else staging_dir(target))
    try:
        for file in files:
            shutil.copyfile(source / file, staging / file)
            os.chmod(staging / file, 0o644)
        # (the fast path's files are keyed by the weights alone)
        if name is not None or meta.heldout_twin:
            written = json.loads((staging / META_FILE).read_text(encoding="utf-8"))  # every other key kept
            imported = {"imported": True} if name is not None else {}  # (`models list`'s "source")
            atomic_write_json(staging / META_FILE, _without_twin(written) | {"name": name or meta.name} | imported,
                              indent=2, ensure_ascii=False)
            os.chmod(staging / META_FILE, 0o644)
        if into:
            install_among_other_files(staging, target)
        else:
            install(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        for file in files if into else ():  # those moved in already: the folder was empty
            try:
                (target / file).unlink(missing_ok=True)
            except OSError:
                pass
        raise
