"""``vsdesk models list|fetch|import|export|remove``: the pretrained weights and where they come from."""

from __future__ import annotations

import argparse
from pathlib import Path

from vsdesk.cli._common import (
    USAGE,
    CommandError,
    StderrProgress,
    check_given_path,
    failed,
    json_on_failure,
    print_json,
    say,
    say_note,
)
from vsdesk.engine.text import shell_quoted, shown_path


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "models",
        help="list, fetch, import, export or remove pretrained weights",
        description="Pretrained weights come from the cache, shipped resources, installed packages "
        "or the published download, in that order; each is converted once and verified.",
    )
    commands = parser.add_subparsers(dest="models_command", metavar="ACTION", required=True)

    listing = commands.add_parser("list", help="every model: ready or not, source, size, version",
                                  description="List every model vsdesk knows (the shipped ones and the product "
                                  "models trained here): ready or not, where it comes from, its size, version "
                                  "and licence, and how to get one that is not ready.")
    listing.add_argument("--json", action="store_true", help="a JSON list on stdout")
    listing.set_defaults(handler=_list)

    fetching = commands.add_parser("fetch", help="make a model ready now (convert or download it)")
    fetching.add_argument("name", metavar="NAME", help="a model name from `vsdesk models list`")
    fetching.add_argument("--json", action="store_true",
                          help='print {"model", "path"} on stdout (where its weights are)')
    fetching.set_defaults(handler=_fetch)

    importing = commands.add_parser(
        "import", help="use your own weights file (Keras .weights.h5/.h5, or the source's own format), "
        "or a product model folder as product/NAME"
    )
    importing.add_argument("name", metavar="NAME", help="a model of the store from `vsdesk models list` (vgg16, "
                           "efficientnet-lite0, efficientnet-b0, vae), or product/NAME")
    importing.add_argument("file", metavar="FILE", help="the weights file, or for product/NAME the model's folder "
                           "(copied, never moved)")
    importing.add_argument("--json", action="store_true",
                           help='print {"model", "path"} on stdout (the path it was imported to)')
    importing.set_defaults(handler=_import)

    exporting = commands.add_parser(
        "export", help="copy a product model of the store (product/NAME), or the VAE in use (vae), to a new "
        "folder, to share or keep",
        description="Copies the files of a product model trained or imported here into FOLDER (new, or empty; "
        "nothing is overwritten). `vsdesk models import product/NAME FOLDER` takes it in again, here or on "
        "another computer. `vae` copies the VAE in use (vae.weights.h5, its metadata, training latents and "
        "nearness reference), which `vsdesk models import vae FOLDER/vae.weights.h5` takes in again.")
    exporting.add_argument("name", metavar="NAME", help="a product model from `vsdesk models list` (product/NAME "
                           "or NAME), or vae")
    exporting.add_argument("folder", metavar="FOLDER", help="the new folder to copy it to")
    exporting.add_argument("--json", action="store_true",
                           help='print {"model", "path"} on stdout (the folder it was exported to)')
    exporting.set_defaults(handler=_export)

    removing = commands.add_parser(
        "remove", help="delete a model's converted/imported weights from the cache; for a product model trained "
        "or imported here (product/NAME), its own files too: its only copy",
        description="Removes a model's converted, downloaded or imported weights from the cache (a model of the "
        "store is converted again from its source when next used). A product model trained or imported here, "
        "product/NAME, is deleted for good: its folder (the only copy) and its cached conversions. One that "
        "catalogs are indexed with is kept unless --force is given; they are then embedded again with the "
        "shipped model at their next search or index run.",
    )
    removing.add_argument("name", metavar="NAME", help="a model name from `vsdesk models list`")
    removing.add_argument("--force", action="store_true",
                          help="remove a trained product model even though catalogs are indexed with it")
    removing.add_argument("--json", action="store_true",
                          help='print {"model", "removed": [files], "catalogs": [indexed with it]} on stdout')
    removing.set_defaults(handler=_remove)


def _list(args: argparse.Namespace) -> int:
    from vsdesk.engine import models
    from vsdesk.engine.product.model_store import shipped_twin_info, trained_infos

    try:
        infos = models.list_models()
        twin = shipped_twin_info()  # shipped beside the product model: listed after it
        if twin is not None:
            infos.insert(next(i + 1 for i, info in enumerate(infos) if info.name == "product"), twin)
        infos += trained_infos()  # + product models trained here
    except (models.ModelStoreError, OSError) as exc:
        raise failed(exc, _describe(exc)) from None
    if args.json:
        print_json([info.to_dict() for info in infos])
        return 0
    rows = [("NAME", "READY", "SOURCE", "SIZE", "VERSION", "LICENSE")]
    for info in infos:
        rows.append(
            (
                info.name,
                _readiness(info),
                info.source or "-",
                _size(info.size_bytes),
                info.version,
                info.license,
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)) + "  " + row[-1])
    for info in infos:
        if not info.ready and info.how_to_get:
            print(f"\n{info.name}: {info.how_to_get}")
    _print_product_details(infos)
    for info in infos:
        if info.heldout_twin_of:  # what the row is, and that --model takes it by that name
            print(f"\n{info.name}: {_twin_words(info)}; `--model {shell_quoted(info.name)}` uses it")
    return 0


def _print_product_details(infos) -> None:
    """The product models' classes and held-out accuracy, in the words of the window's model dialog."""
    from vsdesk.engine.product.choice import model_choices

    listed = {info.name for info in infos}
    details = [(choice.name or "product", choice.details) for choice in model_choices()]
    details = [(name, words) for name, words in details if name in listed]
    if details:
        print()
    for name, words in details:
        print(f"{name}: {words}")


def _twin_words(info) -> str:
    if info.source == "resource":  # the shipped twin: its description says it all
        return info.description
    return (f"held-out twin of {info.heldout_twin_of}: the same recipe trained with contributors held out, "
            "scored on them by `vsdesk eval product`")


def _shipped_twin(name: str):
    """The ``ModelInfo`` of the shipped model's held-out twin when ``name`` names it, else None."""
    from vsdesk.engine.product.model_store import shipped_twin_info

    twin = shipped_twin_info()
    return twin if twin is not None and twin.name == name else None


def _readiness(info) -> str:
    if not info.ready:
        return "no"
    if info.cached or info.source == "resource":
        return "yes"
    return "yes (converted on first use)"


def _fetch(args: argparse.Namespace) -> int:
    from vsdesk.engine import models

    with json_on_failure(args, model=args.name):
        twin = _shipped_twin(args.name)
        if twin is not None:  # listed by `models list`, but no entry of the store: nothing to fetch
            if args.json:
                print_json({"model": args.name, "path": str(twin.path)})
            (say if args.json else print)(f"{args.name}: ready, shipped with vsdesk ({_size(twin.size_bytes)}) "
                                          f"at {shown_path(str(twin.path))}")
            return 0
        return _run(lambda: models.fetch(args.name, StderrProgress(args.name)), args.name, "ready", args.json,
                    unknown=_unknown_for_fetch)


def _import(args: argparse.Namespace) -> int:
    from vsdesk.engine import models
    from vsdesk.engine.product.model_store import is_shipped_name, refused_name

    with json_on_failure(args, model=args.name):
        if args.name == "product" or args.name.startswith("product/"):
            return _import_product(args)
        if is_shipped_name(args.name):  # "product-heldout", as `models list` shows it: not the store's
            instead = f"{args.name}-imported"
            raise CommandError(f"{args.name}: {refused_name(args.name, instead)}; a product model's folder is "
                               f"imported as product/NAME, `vsdesk models import {shell_quoted(f'product/{instead}')} "
                               f"{shell_quoted(args.file)}`", USAGE)
        try:
            models.get_spec(args.name)  # an unknown name is told before the file
        except models.UnknownModelError as exc:
            raise CommandError(_unknown_for_import(exc, args.file), USAGE) from None
        check_given_path(args.file, "file")
        return _run(lambda: models.import_weights(args.name, args.file, StderrProgress(args.name)), args.name,
                    "imported", args.json, origin=args.file)


def _import_product(args: argparse.Namespace) -> int:
    """Product models are folders (weights of every member, metadata), used by name."""
    from vsdesk.engine.product.import_export import import_folder
    from vsdesk.engine.product.model import META_FILE, ProductModelError, read_meta
    from vsdesk.engine.product.model_store import refused_name, user_dir

    if args.name == "product":
        raise CommandError("the shipped product model is not replaced; import a model folder under a name of its "
                           f"own, `vsdesk models import product/NAME {shell_quoted(args.file)}`, and use it with `--model NAME`",
                           USAGE)
    name = args.name.removeprefix("product/")
    try:
        taken = (user_dir(name) / META_FILE).is_file()
    except ProductModelError as exc:  # a name that cannot be a folder's
        raise CommandError(str(exc), USAGE) from None
    problem = refused_name(name, instead=f"{name}-imported")
    if problem:  # `--model product-heldout` would then mean which?
        raise CommandError(f"{args.name}: {problem}", USAGE)
    if taken:  # as a catalog name that is taken: this command cannot be done as given
        raise CommandError(f"a product model named {name!r} exists; `vsdesk models remove {shell_quoted(f'product/{name}')}` first", USAGE)
    check_given_path(args.file, "folder")
    try:
        twin = read_meta(Path(args.file).expanduser()).heldout_twin  # not in the copy (import_folder): said below
        folder = import_folder(args.name, args.file)
    except (ProductModelError, OSError) as exc:  # not a model's folder, a disk that fails
        raise failed(exc) from None
    # Converted for the fast path now (a model made to ship carries it; one trained elsewhere
    # does not): at its first use in the window the converter would stall it, holding the GIL.
    say(f"{args.name}: preparing it for fast use (once)…")
    unprepared = _prepare_for_fast_use(name)
    tell = say if args.json else print  # (with --json, stdout is the record alone)
    if args.json:
        print_json({"model": args.name, "path": str(folder)})
    # Each command as it can be pasted ("index|search" read as a pipe by the shell). A catalog
    # keeps the model it was indexed with, so the search needs no --model (and the sample
    # catalog is not suggested: searched with --model, it would keep this model for good).
    tell(f"{args.name}: imported into {shown_path(str(folder))}; index a folder with it: "
         f"`vsdesk index --mode product --model {shell_quoted(name)} --catalog NAME FOLDER`, "
         "then search that catalog: `vsdesk search --mode product --catalog NAME PHOTO`")
    if twin:
        tell(f"{args.name}: the held-out twin it named ({twin!r}) is not imported with it, so it names none here "
              "(a twin is found by its folder's name, which in the store may be another model's): `vsdesk eval "
              f"product --model {shell_quoted(name)}` scores this model itself, on photos it was not trained on; import the twin "
              "as a model of its own to score that one")
    if unprepared:  # the import is done (and kept); what its first use will meet is said now
        say_note(f"{args.name} could not be prepared for fast use now ({unprepared}); its first use tries again")
    return 0


def _export(args: argparse.Namespace) -> int:
    with json_on_failure(args, model=args.name):
        return _export_vae(args) if args.name == "vae" else _export_product(args)


def _export_vae(args: argparse.Namespace) -> int:
    from vsdesk.engine import models
    from vsdesk.engine.samples import SampleDataError
    from vsdesk.engine.files import export_target
    from vsdesk.engine.vae.export import export_vae

    try:
        export_target(args.folder)  # a folder that is there: refused before "exporting" is said
        say("vae: exporting (its nearness reference is made first if these weights have none: seconds)…")
        folder = export_vae(args.folder)
    except FileExistsError as exc:  # a folder that is there
        raise CommandError(str(exc), USAGE) from None
    # weights that do not load, no test images to make the nearness reference from, a full disk
    except (models.ModelStoreError, SampleDataError, OSError) as exc:
        raise failed(exc, _describe(exc)) from None
    if args.json:
        print_json({"model": "vae", "path": str(folder)})
    (say if args.json else print)(f"vae: exported to {shown_path(str(folder))}; `vsdesk models import vae "
                                  f"{shell_quoted(str(folder / 'vae.weights.h5'))}` takes it in again")
    return 0


def _export_product(args: argparse.Namespace) -> int:
    from vsdesk.engine.product.import_export import export_folder
    from vsdesk.engine.product.model import ProductModelError

    name = args.name.removeprefix("product/")
    if name == "product":  # the shipped one is in the installation already
        raise CommandError("the shipped product model is not exported: it comes with every vsdesk; export a "
                           "model of yours, `vsdesk models export product/NAME FOLDER`", USAGE)
    try:
        twin = _twin_of(name)  # not named by the copy (export_folder): said below
        folder = export_folder(name, args.folder)
    except ProductModelError as exc:  # no such model, a folder that is there
        raise CommandError(str(exc), USAGE) from None
    except OSError as exc:  # a disk that fails
        raise failed(exc, _describe(exc)) from None
    tell = say if args.json else print  # (with --json, stdout is the record alone)
    if args.json:
        print_json({"model": f"product/{name}", "path": str(folder)})
    tell(f"product/{name}: exported to {shown_path(str(folder))}; `vsdesk models import {shell_quoted(f'product/{name}')} "
         f"{shell_quoted(str(folder))}` takes it in again")
    if twin:
        tell(f"product/{name}: the held-out twin it names ({twin!r}) is not exported with it, so the copy names "
             f"none; export it too, `vsdesk models export {shell_quoted(f'product/{twin}')} FOLDER`, to keep it")
    return 0


def _prepare_for_fast_use(name: str) -> str | None:
    """Converts every member of the imported product model ``name`` for the fast path (read from
    its folder when it carries them); why that could not be done, or None. A conversion needs the
    backbone's weights in the model cache, which may not be had (offline, a read-only cache)."""
    from vsdesk.engine import models
    from vsdesk.engine.product import load_embedder
    from vsdesk.engine.product.model import ProductModelError

    try:
        load_embedder(name).warm_up()
    except (models.ModelStoreError, ProductModelError, OSError) as exc:
        return _describe(exc)
    return None


def _remove(args: argparse.Namespace) -> int:
    with json_on_failure(args, model=args.name):
        if args.name.startswith("product/"):  # a product model trained here (`train product --out`)
            return _remove_trained(args)
        return _remove_from_store(args)


def _remove_from_store(args: argparse.Namespace) -> int:
    from vsdesk.engine import models

    if _shipped_twin(args.name) is not None:  # shipped files are never removed; it has no cache entry
        if args.json:
            print_json({"model": args.name, "removed": [], "catalogs": []})
        else:
            print(f"{args.name}: nothing cached (it is shipped with vsdesk, and stays)")
        return 0
    try:
        removed = models.remove(args.name)
    except models.UnknownModelError as exc:
        raise CommandError(_unknown_for_remove(exc), USAGE) from None
    except (models.ModelStoreError, OSError) as exc:
        raise failed(exc, _describe(exc)) from None
    if args.json:
        print_json({"model": args.name, "removed": [str(path) for path in removed], "catalogs": []})
    elif removed:
        print(f"{args.name}: removed {len(removed)} cached file(s)")
    else:
        print(f"{args.name}: nothing cached")
    return 0


def _remove_trained(args: argparse.Namespace) -> int:
    """A trained product model is its only copy, and catalogs may be indexed with it: those are
    named, and it is kept unless --force says otherwise (they would be embedded again)."""
    from vsdesk.engine.product import remove_trained
    from vsdesk.engine.product.model import META_FILE, ProductModelError
    from vsdesk.engine.product.model_store import user_dir

    name = args.name.removeprefix("product/")
    try:
        folder = user_dir(name)
    except ProductModelError as exc:  # a name that cannot be a folder's
        raise CommandError(str(exc), USAGE) from None
    if not (folder / META_FILE).is_file():
        raise CommandError(f"no trained product model named {name!r} (see `vsdesk models list`)", USAGE)
    try:
        users = _catalogs_using(folder)
        if users and not args.force:  # the command must change: --force
            raise CommandError(
                f"{args.name} is kept: {_indexed_with(users)} it. Removing it deletes the model for good (its only "
                f"copy), and {_embedded_again(users)}; `vsdesk models remove {shell_quoted(args.name)} --force` removes it anyway",
                USAGE)
        twin = _twin_of(args.name)
        removed = remove_trained(args.name)
    except (ProductModelError, OSError) as exc:  # files of the user's in its folder, a disk that fails
        raise failed(exc, _describe(exc)) from None
    if args.json:
        print_json({"model": args.name, "removed": [str(path) for path in removed], "catalogs": users})
        return 0
    own = [path for path in removed if path.parent == folder]
    print(f"{args.name}: removed the model ({len(own)} file(s) in {shown_path(str(folder))}, its only copy) "
          f"and {len(removed) - len(own)} cached conversion(s)")
    if users:
        print(f"{_indexed_with(users, 'was', 'were')} it: {_embedded_again(users)} (`--model NAME` picks another)")
    if twin:
        print(f"its held-out twin product/{twin} is kept; `vsdesk models remove {shell_quoted(f'product/{twin}')}` removes it too")
    return 0


def _catalogs_using(folder) -> list[str]:
    """The catalogs indexed with the trained product model in ``folder`` (their settings keep
    the model by name, product/NAME or NAME, or by its folder), when it is there."""
    from vsdesk.engine import paths
    from vsdesk.engine.catalog import list_catalogs
    from vsdesk.engine.product.model import META_FILE, ProductModelError
    from vsdesk.engine.product.model_store import model_dir

    if not (folder / META_FILE).is_file():
        return []  # no such model: remove_trained says so

    def uses(model: str) -> bool:
        try:
            return paths.same_place(model_dir(model), folder)
        except (ProductModelError, OSError):
            return False

    return [info.name for info in list_catalogs() if info.mode == "product" and info.model and uses(info.model)]


def _indexed_with(catalogs: list[str], one: str = "is", several: str = "are") -> str:
    names = ", ".join(repr(name) for name in catalogs)
    return f"catalogs {names} {several} indexed with" if len(catalogs) > 1 else f"catalog {names} {one} indexed with"


def _embedded_again(catalogs: list[str]) -> str:
    """What becomes of the catalogs of a trained model removed (``modes.catalog_model``)."""
    which = "each" if len(catalogs) > 1 else "that catalog"
    return f"the next search or index run of {which} embeds its images again with the shipped model"


def _store_names(exc) -> str:
    """The models of the store a user fetches or removes, then the shipped product models, which
    `models list` lists too and `fetch`/`remove` take (ready as shipped: nothing to fetch, nothing
    cached to remove)."""
    from vsdesk.engine.product.model_store import shipped_twin_info

    store = ", ".join(name for name in exc.known if name != "product")
    twin = shipped_twin_info()
    shipped = "product" if twin is None else f"product, {twin.name}"
    return f"{store} (their weights), {shipped} (shipped ready)"


def _unknown_for_fetch(exc) -> str:
    return _twin_not_here(exc) or (
        f"unknown model {exc.name!r}; `vsdesk models fetch` takes {_store_names(exc)}; the product models "
        "trained or imported here (product/NAME) are ready as they are")


def _twin_not_here(exc) -> str | None:
    """Installed (a wheel, the bundle), the shipped model's held-out twin is not there: said so,
    as `--model product-heldout` says it, not "unknown model" (`models list` in the checkout
    names it). None for another name, or where the twin is shipped."""
    from vsdesk.engine.product.model_store import NO_SHIPPED_TWIN, SHIPPED_TWIN, shipped_twin_info

    if exc.name != SHIPPED_TWIN or shipped_twin_info() is not None:
        return None
    return NO_SHIPPED_TWIN


def _unknown_for_remove(exc) -> str:
    """The store's "unknown model" error in the names `remove` takes, with the product models
    trained here: `models list` shows them as product/NAME, and that is how they are removed (a
    bare NAME is the store's)."""
    from vsdesk.engine.product.model_store import TRAINED_PREFIX, trained_names

    text = _twin_not_here(exc) or (
        f"unknown model {exc.name!r}; `vsdesk models remove` takes {_store_names(exc)}, or product/NAME "
        "(a product model trained or imported here)")
    trained = trained_names()
    if not trained:
        return text
    text += f"; trained product models: {', '.join(trained)}"
    if f"{TRAINED_PREFIX}{exc.name}" in trained:
        text += f"; did you mean `vsdesk models remove {shell_quoted(TRAINED_PREFIX + exc.name)}`?"
    return text


def _unknown_for_import(exc, file: str) -> str:
    """The store's "unknown model" error with the names `import` takes (the store's "known
    models" named the shipped product model, which it refuses, and not product/NAME), and what
    to type when FILE is a product model's folder: those are imported as product/NAME."""
    from vsdesk.engine.product.model import META_FILE

    weights = [name for name in exc.known if name != "product"]  # (the shipped one is not replaced)
    text = (f"unknown model {exc.name!r}; `vsdesk models import` takes {', '.join(weights)} (a weights file), "
            "or product/NAME (a product model's folder)")
    if not (Path(file).expanduser() / META_FILE).is_file():
        return text
    name = exc.name if "/" not in exc.name and not exc.name.startswith(".") else "NAME"
    return f"{text}; {file} is a product model's folder: `vsdesk models import {shell_quoted(f'product/{name}')} {shell_quoted(file)}`"


def _twin_of(name: str) -> str | None:
    """The held-out twin a trained product model names (`train product --retrain-on-all`), if it is there."""
    from vsdesk.engine.product.model import ProductModelError, read_meta
    from vsdesk.engine.product.model_store import heldout_twin_dir, user_dir

    try:
        folder = user_dir(name.removeprefix("product/"))
        twin = heldout_twin_dir(folder, read_meta(folder))
    except ProductModelError:
        return None  # remove_trained says what is wrong
    return twin.name if twin else None


def _run(action, name: str, verb: str, json: bool = False, unknown=str, origin: str | None = None) -> int:
    """``action()``'s weights path said (``verb``: "ready", "imported"); ``unknown``: the words
    of its ``UnknownModelError``; ``origin``: the file imported, said in place of the source's
    kind (which for an import is "import": "imported from import")."""
    from vsdesk.engine import models

    try:
        path = action()
    except models.UnknownModelError as exc:
        raise CommandError(unknown(exc), USAGE) from None
    except (models.ModelStoreError, OSError) as exc:  # OSError: e.g. an unusable cache directory
        raise failed(exc, _describe(exc)) from None
    info = models.model_info(name)
    if json:
        print_json({"model": name, "path": str(path)})
    (say if json else print)(f"{name}: {verb} from {shown_path(origin) if origin else info.source} ({_size(info.size_bytes)}) at {shown_path(str(path))}")
    return 0


def _describe(exc: Exception) -> str:
    if isinstance(exc, OSError) and exc.filename:
        return f"cannot use {exc.filename}: {exc.strerror or exc}"
    return str(exc)


def _size(size: int | None) -> str:
    if size is None:
        return "-"
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return str(size)
