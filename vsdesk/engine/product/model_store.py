"""Where product models are and what they are called: the shipped model, the models trained
(or imported) into the model store (``trained_models_dir()/product``, with the user's data),
the names ``--model`` takes for them (``model_dir``, ``name_to_give``), their rows in `vsdesk
models list`, and the removal of a trained one. Reads small JSON files only, no TensorFlow.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from vsdesk.engine import paths
from vsdesk.engine.product.model import (META_FILE, SPEC, WEIGHTS_FILE, ProductMeta, ProductModelError, default_dir,
                                         read_meta)
from vsdesk.engine.product.staging import clean_leftovers, is_model_file


def heldout_twin_dir(folder: Path, meta: ProductMeta) -> Path | None:
    """The folder of the model's held-out twin, if it names one and it is there. Not the
    model's own folder: a copy of the shipped model imported as product-heldout by an earlier
    vsdesk names itself (its twin's name), and would be scored in place of itself."""
    if not meta.heldout_twin:
        return None
    twin = Path(folder).parent / meta.heldout_twin
    if not (twin / META_FILE).is_file() and _in_store(folder):
        try:  # one of the two moved out of the cache, the other not (``_move_from_cache``)
            twin = user_dir(meta.heldout_twin)
        except ProductModelError:
            return None
    return twin if (twin / META_FILE).is_file() and not paths.same_place(twin, Path(folder)) else None


#: The longest model name (a folder of the model store).
MAX_NAME = 100


def user_dir(name: str) -> Path:
    """The folder of the trained model ``name`` in the model store: where it is, or where it is
    to be written. The store is ``trained_models_dir()/product``, with the user's data: a trained
    model is its only copy. One an earlier vsdesk trained into the cache is moved into it at
    first use (``_move_from_cache``), and used where it is if that could not be done."""
    if not name or "/" in name or "\\" in name or name.startswith(".") or len(name) > MAX_NAME:
        raise ProductModelError(f"invalid model name {name!r}: up to 100 characters, no '/' or '\\', "
                                "not starting with '.'")
    folder = store_dir() / name
    if not (folder / META_FILE).is_file():
        former = paths.former_trained_dir("product") / name
        if (former / META_FILE).is_file():
            return former
    return folder


def store_dir() -> Path:
    """The folder of the product models trained (or imported) here: ``data_dir/models/product``."""
    root = paths.trained_models_location() / "product"  # made by what writes a model into it
    _move_from_cache(root)
    return root


#: The (former, store) folders this process has moved models between, or tried to: once is enough.
_moved: set[tuple[str, str]] = set()


def _move_from_cache(root: Path) -> None:
    """Move the models an earlier vsdesk trained into the cache (``models/product`` there, where
    cache cleaners delete them) into the store ``root``: each by ``paths.move_folder``, a rename,
    or across file systems a copy checked before the original goes, so none is ever lost. One
    that cannot be moved (no room, a model of its name with other files in the store) stays in
    the cache, whole, and is used from there (``user_dir``, ``list_models``)."""
    former = paths.former_trained_dir("product")
    key = (str(former), str(root))
    if key in _moved or not former.is_dir():
        return
    _moved.add(key)
    if paths.same_place(former, root):
        return
    clean_leftovers(former)  # a save an earlier vsdesk was killed in
    for name in _names_in(former):
        try:
            paths.move_folder(former / name, root / name)
        except OSError:
            pass  # kept where it was, whole; found there
    try:
        former.rmdir()  # when all went
    except OSError:
        pass


def _names_in(root: Path) -> list[str]:
    """The models in a store folder; a folder being written (``staging_dir``) starts with "."."""
    try:
        return sorted(p.name for p in root.iterdir() if (p / META_FILE).is_file() and not p.name.startswith("."))
    except OSError:
        return []


def _in_store(folder: Path) -> bool:
    """Whether ``folder`` is a model of the store, in its place or in the cache's former one."""
    parent = Path(os.path.abspath(folder)).parent
    return any(paths.same_place(parent, root)
               for root in (paths.trained_models_location() / "product", paths.former_trained_dir("product")))


def _moved_here(folder: Path) -> Path:
    """A model named by its folder in the cache's former store (a catalog indexed with
    ``--model ~/.cache/vsdesk/models/product/NAME``): its place in the store once moved. The
    same folder however written (the cache folder a link to another disk, say)."""
    former = paths.former_trained_dir("product")
    if not paths.same_place(Path(os.path.abspath(folder)).parent, former):
        return folder
    try:
        return user_dir(folder.name)
    except ProductModelError:
        return folder


#: Names of the shipped model (`vsdesk models list` shows it as "product"): never a trained one's.
SHIPPED_NAMES = ("default", "product")
#: How `vsdesk models list` names a model trained into the store: ``product/NAME``.
TRAINED_PREFIX = "product/"


def model_dir(name: str | None = None) -> Path:
    """The one resolver of a product model's name (every ``--model``, ``load_embedder``):
    ``None``/"default"/"product" -> the shipped model; ``NAME`` or ``product/NAME`` (as `vsdesk
    models list` shows it) -> a model trained by the user; "product-heldout" (the shipped
    model's held-out twin, shipped beside it) -> it, unless the user trained a model of that
    name; a path -> it (a bare name only when that folder here holds a model: photos in a
    folder of the model's name, as ``name_for_data`` names it after its data, do not hide it)."""
    if name in (None, "", *SHIPPED_NAMES):
        return default_dir()
    if name.startswith(TRAINED_PREFIX):
        trained = name[len(TRAINED_PREFIX):]
        # The store's model, unless only a folder of that relative path holds one (as before
        # the form was understood, it named a folder).
        if "/" not in trained and "\\" not in trained and trained and not (
            Path(name).is_dir() and not (user_dir(trained) / META_FILE).is_file()
        ):
            return user_dir(trained)
    if os.sep in name or "/" in name or (Path(name) / META_FILE).is_file():
        return _moved_here(Path(name))
    folder = user_dir(name)
    if not (folder / META_FILE).is_file() and name == shipped_twin_name():
        return default_dir().parent / name
    if not (folder / META_FILE).is_file() and name == SHIPPED_TWIN:  # installed: not shipped (setup.py)
        raise ProductModelError(NO_SHIPPED_TWIN)
    return folder


#: Why `--model product-heldout` finds nothing where vsdesk is installed (setup.py's CHECKOUT_ONLY).
NO_SHIPPED_TWIN = ("'product-heldout', the shipped product model's held-out twin, is only in vsdesk's source "
                   "checkout, with the Clothing Dataset it is scored on; here `vsdesk eval product --data PATH` "
                   "scores the shipped model on your labelled photos")


def name_to_give(folder: Path) -> str:
    """How ``--model`` names the model in ``folder`` so that ``model_dir`` finds that very
    folder: "product", the folder's name (a model of the store, the shipped twin), product/NAME,
    or else its absolute path (the shipped twin once the user trained a model of its name, a
    model given by its folder)."""
    for name in ("product", folder.name, f"{TRAINED_PREFIX}{folder.name}"):
        try:
            if paths.same_place(model_dir(name), folder):
                return name
        except (ProductModelError, OSError):
            continue
    return os.path.abspath(folder)


def shipped_twin_name() -> str | None:
    """The name of the shipped model's held-out twin ("product-heldout"), if it is shipped."""
    try:
        twin = heldout_twin_dir(default_dir(), read_meta(default_dir()))
    except ProductModelError:
        return None
    return twin.name if twin is not None else None


#: The shipped model's held-out twin's name, shipped beside it (``shipped_twin_name``).
SHIPPED_TWIN = "product-heldout"


def is_shipped_name(name: str) -> bool:
    """Whether ``name`` is one ``--model`` gives a shipped model: "default", "product", or its
    held-out twin's. In any case: on macOS and Windows "Product-Heldout" is the same folder."""
    shipped = {*SHIPPED_NAMES, SHIPPED_TWIN, shipped_twin_name() or SHIPPED_TWIN}
    return name.lower() in {n.lower() for n in shipped}


def refused_name(name: str, instead: str) -> str | None:
    """Why a new model of the store (trained, imported) cannot be called ``name``, with the name
    ``instead`` to give it; None when it can. A shipped model's name would then be the user's:
    `--model product-heldout` would silently score another model than the shipped twin (a
    model of that name made earlier is still used by it, ``model_dir``)."""
    if name.lower() in SHIPPED_NAMES:
        return (f"{', '.join(repr(n) for n in SHIPPED_NAMES)} name the shipped product model; give yours a name "
                f"of its own, such as {instead!r}")
    if is_shipped_name(name):
        return (f"{name!r} names the shipped product model's held-out twin (`--model {SHIPPED_TWIN}` uses it); "
                f"a model of yours of that name would take its place, so give it a name of its own, such as "
                f"{instead!r}")
    return None


def name_for_data(data: str | os.PathLike) -> str:
    """A model name for training data given without ``--out``: its folder's name (a CSV's
    folder), made a valid name (``user_dir``) with room for the "-heldout" of a twin, and never
    one of the shipped models' names ("product" would then mean the user's model)."""
    path = Path(os.path.abspath(os.fspath(data)))
    if path.suffix.lower() == ".csv" or path.is_file():
        path = path.parent
    name = re.sub(r"[^\w.-]+", "-", path.name).strip("-.")[:MAX_NAME - len("-heldout")].strip("-.")
    if not name:
        return "trained"
    return f"{name}-trained" if is_shipped_name(name) else name


def trained_names() -> list[str]:
    """The product models trained into the store, as `vsdesk models list` names them."""
    return [f"{TRAINED_PREFIX}{name}" for name in list_models() if name != "default"]


def list_models() -> list[str]:
    found = ["default"] if (default_dir() / META_FILE).is_file() else []
    root = store_dir()
    clean_leftovers(root)
    # With any left in the cache's former store (``_move_from_cache``), found there by ``user_dir``.
    return found + sorted(set(_names_in(root)) | set(_names_in(paths.former_trained_dir("product"))))


def trained_models() -> list[tuple[str, Path, ProductMeta]]:
    """(name, folder, metadata) of each product model trained (or imported) into the store whose
    metadata reads: a damaged folder is left out (loading it says what is wrong). Reads small
    JSON files only, no TensorFlow; the first call may move models out of the cache (``store_dir``)."""
    found = []
    for name in list_models():
        if name == "default":
            continue
        folder = user_dir(name)
        try:
            found.append((name, folder, read_meta(folder)))
        except (OSError, ProductModelError, ValueError):
            continue
    return found


def shipped_twin_info():
    """The ``ModelInfo`` row of the shipped model's held-out twin for ``vsdesk models list``
    (named as ``--model`` finds it: "product-heldout", or its path when the user has a model of
    that name), or None when it is not shipped."""
    from vsdesk.engine.models.store import ModelInfo, folder_size

    try:
        twin = heldout_twin_dir(default_dir(), read_meta(default_dir()))
        meta = read_meta(twin) if twin is not None else None
        size = folder_size(twin) if twin is not None else None
    except (ProductModelError, OSError):
        return None  # (the shipped model's own row says what is wrong with it)
    if twin is None:
        return None
    return ModelInfo(
        name=name_to_give(twin),
        description=f"held-out twin of the shipped product model, shipped with it: {_recipe(meta)}",
        ready=True, source="resource", size_bytes=size, version=SPEC.version, license=SPEC.license,
        path=twin / WEIGHTS_FILE, sources=("resource",), heldout_twin_of="product",
    )


def _recipe(meta: ProductMeta) -> str:
    """What a held-out twin is, for ``vsdesk models list``."""
    held, trained = len(meta.test_groups), len(meta.train_groups)
    accuracy = meta.metrics.get("accuracy")
    scored = f" (accuracy {accuracy:.3f})" if isinstance(accuracy, float) else ""
    without = (f"without {held} of its {held + trained} contributors" if held and trained
               else "with contributors held out")
    return f"the same recipe trained {without}, scored on them by `vsdesk eval product`{scored}"


def trained_infos() -> list:
    """``ModelInfo`` rows for the product models trained into the model store (``vsdesk train
    product --out NAME``), named ``product/NAME``, for ``vsdesk models list``."""
    from vsdesk.engine.models.store import ModelInfo, folder_size

    infos = []
    found = trained_models()
    # (--retrain-on-all keeps NAME-heldout beside NAME: said of the twin's row)
    twin_of = {twin.name: f"{TRAINED_PREFIX}{name}" for name, folder, meta in found
               if (twin := heldout_twin_dir(folder, meta)) is not None}
    for name, folder, meta in found:
        try:
            size = folder_size(folder)
        except OSError:
            continue  # a damaged folder is not listed; loading it says what is wrong
        accuracy = meta.metrics.get("accuracy")
        scored = f", held-out accuracy {accuracy:.3f}" if isinstance(accuracy, float) else ""
        infos.append(ModelInfo(
            name=f"product/{name}",
            description=f"product classifier on {meta.backbone}, {len(meta.classes)} classes{scored}",
            ready=True, source="imported" if meta.imported else "trained", size_bytes=size, version=str(meta.format),
            license=("as given with it (imported by vsdesk models import)" if meta.imported
                     else "yours (trained by vsdesk train product on your data)"), path=folder, cached=True,
            heldout_twin_of=twin_of.get(name),
        ))
    return infos


def remove_trained(name: str) -> list[Path]:
    """Delete a product model trained into the model store (``product/NAME`` or ``NAME``): its
    only copy; the files removed. Only that folder is touched; the shipped default cannot go."""
    name = name.removeprefix(TRAINED_PREFIX)
    folder = user_dir(name)  # refuses names that would leave the folder
    if not (folder / META_FILE).is_file():
        raise ProductModelError(f"no trained product model named {name!r} (see `vsdesk models list`)")
    entries = sorted(folder.iterdir())
    others = [p.name for p in entries if not (p.is_file() and is_model_file(p.name))]
    if others:  # something of the user's (notes, a folder): not ours to delete
        raise ProductModelError(f"{folder} holds more than a product model ({', '.join(others)}): nothing removed; "
                                "move those out of it first")
    paths.delete_folder(folder)  # renamed aside whole first: never half a model left looking whole
    return entries
