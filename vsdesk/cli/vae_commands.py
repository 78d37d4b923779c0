"""Commands of the vae mode: ``vsdesk train vae``, ``vsdesk eval vae`` and the ``vsdesk vae`` group
(``vsdesk vae grid`` renders the decoded 2-D map to a PNG; ``vsdesk vae decode`` draws one point).

Handlers import the engine (and so TensorFlow) only when they run.
"""

from __future__ import annotations

import math
from pathlib import Path

from vsdesk.cli._common import (
    FAILED,
    USAGE,
    CommandError,
    QueryIsFolder,
    StderrProgress,
    busy_key,
    check_given_path,
    check_query,
    error,
    failed,
    interrupted_exit_code,
    positive_int,
    print_json,
    queries_exit_code,
    say,
    say_note,
    show,
    why_not_done,
)
from vsdesk.engine.text import shell_quoted, shown_path

#: The square [-MAP_EXTENT, MAP_EXTENT]^2 of the 2-D map where 98 % of the training images lie
#: (the shipped VAE's 60,000: 98.4 %; 99.8 % within 3): `vae grid`'s default span. The map is
#: a VAE whose prior is a standard normal, so any retrained one puts its images about there too.
MAP_EXTENT = 2.5

#: The help of every ``--weights`` of the VAE commands.
WEIGHTS_HELP = ("a vae.weights.h5 with its vae.json beside it, as `vsdesk train vae --out DIR` writes them "
                "(default: the VAE in use, the shipped one or one put in place with `vsdesk models import vae`)")


def register_train(subparsers) -> None:
    parser = subparsers.add_parser(
        "vae",
        help="train the Fashion-MNIST VAE (about 5-10 minutes on 2 CPU cores)",
        description="Train the convolutional VAE (search latent + 2-D map) on the 60,000 Fashion-MNIST "
        "training images. A checkpoint is written after every epoch: run the same command again to "
        "resume an interrupted run. The result (vae.weights.h5 + vae.json) goes to --out; "
        "`vsdesk models import vae OUT/vae.weights.h5` then puts it in place of the shipped VAE.",
    )
    from vsdesk.engine.vae.train import TrainConfig

    defaults = TrainConfig()
    parser.add_argument("--epochs", type=int, default=defaults.epochs, help=f"image VAE epochs (default {defaults.epochs})")
    parser.add_argument("--out", type=Path, default=None,
                        help="output folder (default: models/vae-trained in the data folder, beside the catalogs); "
                        "to use the result in place of the shipped VAE, `vsdesk models import vae OUT/vae.weights.h5` "
                        "(in a checkout of vsdesk's sources, --out resources/models/vae rebuilds the shipped one)")
    parser.add_argument("--checkpoint-dir", type=Path, default=None, help="where per-epoch checkpoints go (default: the cache dir, one folder per --out)")
    parser.add_argument("--limit", type=int, default=None,
                        help="train on the first N images only (quick trials; default: all 60,000)")
    parser.add_argument("--seed", type=int, default=defaults.seed,
                        help=f"random seed of the initial weights and of the order of the images (default "
                        f"{defaults.seed}): the same seed and data give the same training")
    parser.add_argument("--json", action="store_true", help="print the training summary as JSON on stdout")
    parser.set_defaults(handler=_train)


def _train(args) -> int:
    from vsdesk.engine import paths
    from vsdesk.engine.samples import SampleDataError
    from vsdesk.engine.tasks import CancelledError
    from vsdesk.engine.vae.train import StoppedAfterSaving, TrainConfig, train

    out = args.out or paths.trained_vae_dir()
    config = TrainConfig(epochs=args.epochs, seed=args.seed, limit=args.limit)
    try:
        result = train(out, config, checkpoint_dir=args.checkpoint_dir, progress=StderrProgress("train vae"))
    except SampleDataError as exc:
        raise CommandError(str(exc), FAILED) from None
    except StoppedAfterSaving as stop:  # (before KeyboardInterrupt: it is one)
        saved = shown_path(stop.weights)
        raise CommandError(f"interrupted while measuring the test images' nearness; the training is saved ({saved}) "
                           "and the first query will measure it" if stop.measuring else
                           f"interrupted once the training was saved ({saved}); the test images' nearness was not "
                           "measured: the first query will measure it", interrupted_exit_code()) from None
    except (CancelledError, KeyboardInterrupt):
        raise CommandError("training interrupted; run the same command again to resume from the last epoch",
                           interrupted_exit_code()) from None
    summary = {"weights": str(result.weights), "metadata": str(result.metadata),
               "seconds": round(result.seconds, 1), "history": result.history}
    if args.json:
        print_json(summary)
    else:
        last = result.history[-1] if result.history else {}
        say(f"trained in {result.seconds / 60:.1f} min; final -ELBO {last.get('neg_elbo', float('nan')):.1f} nats; "
            f"weights: {result.weights}")
    return 0


def register_eval(subparsers) -> None:
    parser = subparsers.add_parser(
        "vae",
        help="k-NN accuracy of the search latent and 2-D map, test ELBO, anomaly AUROC, raw-pixel baseline",
        description="Classify the 10,000 Fashion-MNIST test images by their k nearest training images "
        "(k = 1, 5) in the search latent, in the 2-D map and in raw pixels (baseline); test ELBO; "
        "anomaly AUROC against scaled 8x8 digits and clothing photos.",
    )
    parser.add_argument("--json", action="store_true", help="print the figures as JSON on stdout")
    parser.add_argument("--details", action="store_true", help="with --json, add a 'details' object")
    parser.add_argument("--weights", type=Path, default=None, help=WEIGHTS_HELP)
    parser.add_argument("--clothing-dir", type=Path, default=None,
                        help="clothing photos for the anomaly AUROC (default: $VSDESK_CLOTHING_DIR, else the "
                        "Clothing Dataset's images where they are found, else the clothing sample)")
    parser.add_argument("--clothing-count", type=positive_int, default=300, metavar="N",
                        help="how many clothing photos (default 300)")
    parser.add_argument("--test-limit", type=positive_int, default=None, metavar="N",
                        help="only the first N test images (quick look; default: all 10,000)")
    parser.set_defaults(handler=_eval)


def _eval(args) -> int:
    from vsdesk.engine.models.errors import (
        ModelStoreError,  # any model-store error, the VAE's too
    )
    from vsdesk.engine.samples import SampleDataError, load_fashion_mnist
    from vsdesk.engine.vae import load_engine
    from vsdesk.engine.imageio import IMAGE_FORMATS
    from vsdesk.engine.vae.evaluate import clothing_files, evaluate

    _check_weights(args.weights)
    if args.clothing_dir is not None:
        check_given_path(args.clothing_dir, "folder", "--clothing-dir")
        if not clothing_files(args.clothing_dir):  # else an AUROC of "n/a (0 images ...)" and exit 0
            raise CommandError(f"--clothing-dir {args.clothing_dir}: no image files in it or its subfolders "
                               f"({IMAGE_FORMATS}); the clothing AUROC needs clothing photos", FAILED)
    try:
        engine = load_engine(args.weights)
        test = None
        if args.test_limit:
            images, labels = load_fashion_mnist("test")
            test = (images[: args.test_limit], labels[: args.test_limit])
        result = evaluate(engine, test=test, clothing_dir=args.clothing_dir, clothing_count=args.clothing_count,
                          progress=StderrProgress("eval vae"))
    except (ModelStoreError, SampleDataError) as exc:
        raise CommandError(str(exc), FAILED) from None
    details = result.pop("details")
    if args.json:
        if args.details:
            result["details"] = details
        print_json(result)
        return 0
    fmt = lambda v: "n/a" if v is None else f"{v:.4f}"  # noqa: E731
    s, m, b, a = result["search"], result["map2d"], result["baseline"], result["auroc"]
    print(f"test {details['test_images']} vs train {details['train_images']} images, {details['seconds']} s")
    print(f"search latent ({s['dims']}-D, cosine)  1-NN {fmt(s['knn1'])}  5-NN {fmt(s['knn5'])}")
    print(f"2-D map (Euclidean)           1-NN {fmt(m['knn1'])}  5-NN {fmt(m['knn5'])}")
    print(f"raw pixels (baseline)         1-NN {fmt(b['knn1'])}  5-NN {fmt(b['knn5'])}")
    print(f"test ELBO {result['test_elbo']:.2f} nats/image")
    clothing = details["anomaly_images"]["clothing"]
    of_clothing = (f"{clothing} images of {details['clothing_dir']}" if clothing else
                   f"not measured: no readable image in {details['clothing_dir']}")
    print(f"anomaly AUROC: digits {fmt(a['digits'])} ({details['anomaly_images']['digits']} images), "
          f"clothing photos {fmt(a['clothing'])} ({of_clothing})")
    return 0


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "vae", help="the VAE's 2-D manifold map (render the decoded grid, decode points) and describe images",
        description="The Fashion-MNIST VAE: draw its 2-D map as a grid of decoded images (grid), decode one "
        "point of it (decode), or describe images: category, anomaly score, place on the map (describe).")
    commands = parser.add_subparsers(dest="vae_command", metavar="COMMAND", required=True)

    grid = commands.add_parser("grid", help="decode an N x N grid over the 2-D map into one PNG")
    grid.add_argument("--out", type=Path, required=True,
                      help="image file to write, in an existing folder (PNG, or the format its ending asks for)")
    grid.add_argument("--n", type=int, default=20, help="tiles per side (default 20)")
    grid.add_argument("--range", dest="extent", type=float, default=MAP_EXTENT,
                      help=f"the grid spans [-RANGE, RANGE] on both axes (default {MAP_EXTENT:g}: 98%% of the "
                      "training images lie within)")
    grid.add_argument("--scale", type=int, default=1, help="enlarge every pixel (default 1: 28 px tiles)")
    grid.add_argument("--weights", type=Path, default=None, help=WEIGHTS_HELP)
    grid.set_defaults(handler=_grid)

    decode = commands.add_parser("decode", help="decode one point (x, y) of the 2-D map into a 28x28 PNG")
    decode.add_argument("x", type=float, metavar="X",
                        help=f"the point's horizontal place on the map (the training images lie within about "
                        f"-{MAP_EXTENT:g}..{MAP_EXTENT:g}; `vae describe` tells an image's place)")
    decode.add_argument("y", type=float, metavar="Y", help="the point's vertical place on the map (up is larger)")
    decode.add_argument("--out", type=Path, required=True,
                        help="image file to write, in an existing folder (PNG, or the format its ending asks "
                        "for: .jpg, .webp ...)")
    decode.add_argument("--weights", type=Path, default=None, help=WEIGHTS_HELP)
    decode.set_defaults(handler=_decode)

    describe = commands.add_parser("describe", help="category, anomaly score, map position of any image(s)")
    describe.add_argument("images", nargs="+", type=Path, metavar="IMAGE",
                          help="image files (any photo or drawing: it is brought to the 28x28 greyscale form "
                          "of Fashion-MNIST first)")
    describe.add_argument("-k", type=int, default=5, help="training-set neighbours to list (default 5)")
    describe.add_argument("--json", action="store_true",
                          help="a JSON list on stdout, one record per image: category, votes, anomaly, nearness, "
                          "map2d, the neighbours (train_neighbours), images as PNG data URLs")
    describe.add_argument("--weights", type=Path, default=None, help=WEIGHTS_HELP)
    describe.set_defaults(handler=_describe)


def _grid(args) -> int:
    from vsdesk.engine.models.errors import (
        ModelStoreError,  # any model-store error, the VAE's too
    )
    from vsdesk.engine.vae import load_engine
    from vsdesk.engine.vae.grid import save_grid_png

    if args.n < 1 or args.n > 200 or args.extent <= 0 or args.scale < 1:
        raise CommandError("--n must be 1..200, --range > 0 and --scale >= 1", USAGE)
    _check_out_folder(args.out)
    _check_weights(args.weights)
    try:
        path = save_grid_png(load_engine(args.weights), args.out, n=args.n, extent=args.extent, scale=args.scale)
    except ModelStoreError as exc:
        raise CommandError(str(exc), FAILED) from None
    except OSError as exc:
        raise failed(exc, f"cannot write {args.out}: {exc.strerror or exc}") from None
    say(f"wrote {path} ({args.n}x{args.n} tiles over [-{args.extent:g}, {args.extent:g}]^2)")
    return 0


def _decode(args) -> int:
    from vsdesk.engine.models.errors import (
        ModelStoreError,  # any model-store error, the VAE's too
    )
    from vsdesk.engine.vae import load_engine
    from vsdesk.engine.vae.grid import write_png

    if not (math.isfinite(args.x) and math.isfinite(args.y)):
        raise CommandError(f"x and y must be finite numbers (the map's useful range is about "
                           f"-{MAP_EXTENT:g}..{MAP_EXTENT:g})", USAGE)
    _check_out_folder(args.out)
    _check_weights(args.weights)
    if max(abs(args.x), abs(args.y)) > MAP_EXTENT:  # decoded all the same: the user may want to see it
        say_note(f"({args.x:g}, {args.y:g}) is outside the part of the map the model learned (98 % of its "
                 f"training images lie within -{MAP_EXTENT:g}..{MAP_EXTENT:g} on both axes, few or none beyond): "
                 "the picture is more the decoder's guess than a garment it has seen")
    try:
        pixels = load_engine(args.weights).decode_points([[args.x, args.y]])[0]
        path = write_png(args.out, pixels)
    except ModelStoreError as exc:
        raise CommandError(str(exc), FAILED) from None
    except OSError as exc:
        raise failed(exc, f"cannot write {args.out}: {exc.strerror or exc}") from None
    say(f"wrote {path} (the map's point ({args.x:g}, {args.y:g}) decoded)")
    return 0


def _check_out_folder(out: Path) -> None:
    """The folder of an output file given by the user must exist, and the file must not be a
    folder (exit 2). Folders are not made for it: a mistyped path would leave new folders in odd
    places."""
    folder = out.parent
    if not folder.is_dir():
        raise CommandError(f"cannot write {out}: the folder {folder} does not exist" if not folder.exists()
                           else f"cannot write {out}: {folder} is not a folder", USAGE)
    if out.is_dir():
        raise CommandError(f"cannot write {out}: it is a folder; give the image file to write", USAGE)


def _check_weights(weights: Path | None) -> None:
    """A --weights file that is not there is told before TensorFlow loads (exit 2)."""
    if weights is not None:
        check_given_path(weights, "file", "--weights")


def _describe(args) -> int:
    records = [{"query": str(path)} for path in args.images]  # one per query, in their order
    try:
        failed = _describe_into(args, records)
    except BaseException as exc:
        why = why_not_done(exc)
        if args.json and why is not None:
            # As `vsdesk search --json`: still the list of records, each query not answered (a
            # record holding its query alone) saying why. The message is on stderr too.
            for record in records:
                if len(record) == 1:
                    record.update(error=why[0], error_kind=why[1], **busy_key(exc))
            print_json(records)
        raise
    if args.json:
        print_json(records)
    return queries_exit_code(args.images, failed)


def _describe_into(args, records: list[dict]) -> int:
    """Fills in ``records`` with each image's facts, or the error that kept it from being
    described; how many could not be."""
    from vsdesk.engine.imageio import ImageError
    from vsdesk.engine.models.errors import (
        ModelStoreError,  # any model-store error, the VAE's too
    )
    from vsdesk.engine.query import decode_query
    from vsdesk.engine.samples import SampleDataError
    from vsdesk.engine.vae import dataset_form_of, load_embedder
    from vsdesk.engine.vae.engine import NO_OBJECT, VOTE_K
    from vsdesk.engine.vae.nearness import high_note

    if args.k < 0:
        raise CommandError("-k must be 0 or more", USAGE)
    _check_weights(args.weights)
    failed = 0

    def failure(record: dict, exc: ImageError | QueryIsFolder) -> None:  # as `vsdesk search` does: a record that says why, exit 1
        nonlocal failed
        error(str(exc))
        failed += 1
        record.update(error=str(exc), error_kind=exc.kind)

    for path, record in zip(args.images, records):  # a missing or empty file: told before the model loads
        try:
            check_query(str(path),
                        lambda folder: f"give the image files in it (`vsdesk vae describe {shell_quoted(folder)}/*.jpg`)")
        except (ImageError, QueryIsFolder) as exc:
            failure(record, exc)
    if failed < len(records):
        try:
            embedder = load_embedder(args.weights)
            engine = embedder.engine
            engine.train_index(progress=StderrProgress("vae"))
        except (ModelStoreError, SampleDataError) as exc:
            raise CommandError(str(exc), FAILED) from None
    for path, record in zip(args.images, records):
        if "error" in record:
            continue
        try:
            # Decoded as `vsdesk search --mode vae` and the window decode it: the same facts.
            form = dataset_form_of(decode_query(embedder, path))
            facts = engine.describe(form.pixels, neighbours=args.k, object_found=form.object_found)
        except ImageError as exc:
            failure(record, exc)
            continue
        record.update(facts)
        if not args.json and not form.object_found:  # a blank is no garment: no category, no verdict
            show(f"{shown_path(path)}: {NO_OBJECT} (nothing to compare with Fashion-MNIST's items)")
        elif not args.json:
            a, note = facts["anomaly"], high_note(facts["nearness"]["percentile"])  # the note as the window says it
            show(f"{shown_path(path)}: {facts['category']} ({facts['confidence']:.0%} of {VOTE_K} neighbours), "
                  f"anomaly percentile {a['percentile']:.1f} (score {a['score']:.1f}), "
                  f"nearness percentile {facts['nearness']['percentile']:.1f}, "
                  f"map ({facts['map2d'][0]:.2f}, {facts['map2d'][1]:.2f})"
                  + (f". {note}" if note else ""))
    return failed
