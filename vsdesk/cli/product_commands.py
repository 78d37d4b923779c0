"""Commands of the product mode: ``vsdesk train product`` and ``vsdesk eval product``."""

from __future__ import annotations

import argparse
import math
from pathlib import Path

from vsdesk.cli._common import (
    FAILED,
    USAGE,
    CommandError,
    StderrProgress,
    check_given_path,
    check_product_model,
    end_progress_line,
    print_json,
    say,
)
from vsdesk.engine.text import counted, shell_quoted, shown_path


def register_train(subparsers) -> None:
    parser = subparsers.add_parser(
        "product",
        help="train the product classifier on labelled images",
        description="Train the product classifier (EfficientNet-Lite0 with its top blocks fine-tuned, or EfficientNet-B0) on labelled "
        "images: a CSV with image,label[,sender_id][,kids] columns (images/ beside it), or a folder with one "
        "subfolder per class. Contributors (sender_id) never appear on both sides of the held-out split.",
    )
    parser.add_argument("--data", required=True, help="images.csv, a folder holding one, or a folder of class folders")
    parser.add_argument("--out", default=None, help="name of the trained model in the model store (default: the "
                        "data folder's name; 'product', 'default' and 'product-heldout' are the shipped models')")
    parser.add_argument("--export", type=Path, default=None, help="also write the model files to this folder, "
                        "to keep, copy or import elsewhere (`vsdesk models import product/NAME DIR`); in a checkout "
                        "of vsdesk's sources, resources/models/product rebuilds the shipped default")
    from vsdesk.engine.product import backbones

    parser.add_argument("--backbone", choices=tuple(backbones.BACKBONES), default=backbones.LITE0, metavar="NAME",
                        help="ImageNet backbone from the model store (default efficientnet-lite0, offline; "
                        "efficientnet-b0 needs `vsdesk models fetch efficientnet-b0` or an import first)")
    parser.add_argument("--size", type=int, default=None, help="input size in pixels (default 260 for Lite0, "
                        "224 for B0)")
    parser.add_argument("--epochs", type=int, default=None, help="fine-tuning epochs (default 8; 0: linear heads only)")
    parser.add_argument(
        "--members", type=int, default=None,
        help="fine-tuned members whose class probabilities are averaged (default 2; 1 trains and queries faster)",
    )
    parser.add_argument("--max-images", type=int, default=None,
                        help="train on a random subset of about this many photos, a few of every class at least "
                        "(quick runs; default: every photo)")
    parser.add_argument(
        "--hold-out", type=float, default=None, metavar="FRACTION",
        help="share of the contributors held out for scoring (default 0.2); 0 trains on everything, and "
        "`vsdesk eval product` then needs test data of other contributors (--data)",
    )
    parser.add_argument(
        "--retrain-on-all", action="store_true",
        help="as the shipped model is made: score the recipe on held-out contributors (that model is kept as "
        "NAME-heldout), then train it again on every contributor; `vsdesk eval product` on this data then "
        "scores the held-out twin in its place (about twice the time)",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the split, the subset, the augmented views "
                        "and the batch order (default 0): the same seed trains the same model on the same machine "
                        "and TensorFlow version")
    parser.add_argument("--json", action="store_true", help="print the result as JSON on stdout")
    parser.set_defaults(handler=_train)


def _train(args: argparse.Namespace) -> int:
    from vsdesk.engine.imageio import ImageError
    from vsdesk.engine.models import ModelStoreError
    from vsdesk.engine.product.data import DatasetError
    from vsdesk.engine.product.model import ProductModelError
    from vsdesk.engine.product.train import train, train_and_retrain_on_all

    config = _train_config(args)
    out_name = _given_out_name(args)
    check_given_path(args.data, "folder or file", "--data")  # the data, before the name it is saved under
    dataset = _load_data(args)
    if out_name is None and not args.export:
        from vsdesk.engine.product.model_store import name_for_data

        out_name = name_for_data(args.data)
        say(f"train product: the model will be saved as product/{out_name} (--out NAME to name it)")
    # An export alone (how the shipped model is rebuilt) keeps the shipped model's own name.
    name = out_name or "product"
    if out_name:
        _check_names_to_save(name, args)
    try:
        _say_plan(dataset, config)
    except ValueError as exc:  # one class only ...
        raise CommandError(str(exc), FAILED) from None
    try:
        out = out_name
        progress = StderrProgress("train product")
        twin = None
        # An exported model (one to ship) carries its fast path, so no install converts it.
        keep = args.export is not None
        if args.retrain_on_all:
            twin, result = train_and_retrain_on_all(dataset, out, config, progress=progress,
                                                    export=args.export, name=name, keep_fast_path=keep)
        else:
            result = train(dataset, out=out, config=config, progress=progress, export=args.export, name=name,
                           keep_fast_path=keep)
    except (DatasetError, ProductModelError, ModelStoreError, ImageError, ValueError, OSError) as exc:
        raise CommandError(str(exc), FAILED) from None
    if args.json:
        report = {"folder": str(result.folder), "classes": result.meta.classes, "metrics": result.metrics}
        if twin is not None:
            report["heldout_twin"] = {"folder": str(twin.folder), "metrics": twin.metrics}
        print_json(report)
        return 0
    _print_trained(result, twin)
    return 0


#: Fine-tuning seeds each epoch of each member with seed * 1000 + ..., which NumPy takes below 2**32.
MAX_SEED = 1_000_000


def _train_config(args: argparse.Namespace):
    """The training recipe the options ask for (exit 2 for a value out of range)."""
    from vsdesk.engine.product import backbones
    from vsdesk.engine.product.train import TrainConfig

    config = TrainConfig(backbone_name=args.backbone)
    if args.backbone != backbones.LITE0:
        config.size = backbones.get(args.backbone).default_size
    if args.size:
        config.size = args.size
    if args.epochs is not None:
        if args.epochs < 0:
            raise CommandError("--epochs must be 0 (linear heads only) or more", USAGE)
        config.finetune_epochs = args.epochs
    if args.members is not None:
        if not 1 <= args.members <= 16:
            raise CommandError("--members must be between 1 and 16", USAGE)
        config.members = args.members
    if args.max_images:
        config.max_images = args.max_images
    if args.hold_out is not None:
        if not 0 <= args.hold_out <= 0.5:
            raise CommandError("--hold-out must be between 0 and 0.5", USAGE)
        config.test_fraction = args.hold_out
    if not 0 <= args.seed <= MAX_SEED:
        raise CommandError(f"--seed must be between 0 and {MAX_SEED:,}", USAGE)
    config.seed = args.seed
    if args.retrain_on_all and config.test_fraction <= 0:
        raise CommandError("--retrain-on-all holds contributors out first: give --hold-out above 0, or leave it out",
                           USAGE)
    return config


def _given_out_name(args: argparse.Namespace) -> str | None:
    """--out as `models list` shows it (None: not given), refused (exit 2) if it is no name, is
    a shipped model's, or --export is a file."""
    from vsdesk.engine.product.model_store import TRAINED_PREFIX, refused_name

    if args.out is not None and not args.out.strip():
        raise CommandError("--out needs a name (or leave it out: the model is then named after the data folder)", USAGE)
    out_name = args.out.removeprefix(TRAINED_PREFIX) if args.out else None  # as `models list` shows it
    # `--model product-heldout` would then mean which? (The twin of --retrain-on-all, NAME-heldout,
    # is the shipped twin's name only for NAME "product", refused with it.)
    problem = refused_name(out_name, instead=f"{out_name}-trained") if out_name else None
    if problem:
        raise CommandError(f"--out {args.out}: {problem}", USAGE)
    if args.export is not None and args.export.is_file():
        raise CommandError(f"--export {args.export}: this is a file, not a folder to write the model into", USAGE)
    return out_name


def _load_data(args: argparse.Namespace):
    """--data read (exit 1 if it cannot be), with a word on classes of very few photos."""
    from vsdesk.engine.product.data import DatasetError, load_dataset

    try:
        dataset = load_dataset(args.data)
    except DatasetError as exc:  # a CSV without its columns, no images ...
        raise CommandError(str(exc), FAILED) from None
    _warn_of_small_classes(dataset)
    return dataset


def _print_trained(result, twin) -> None:
    """What was trained and saved (the held-out twin first, with --retrain-on-all), and its
    held-out scores."""
    for item in result.metrics.get("unreadable_images", []):
        say(f"left out {item['path']}: {item['reason']}")
    for done in (twin, result):
        if done is None:
            continue
        m = done.metrics
        print(f"saved {shown_path(str(done.folder))} ({len(done.meta.classes)} classes, {counted(m['train_images'], 'training image')})")
        if m.get("accuracy") is not None:
            _print_heldout_scores(done)
        elif done is result and twin is not None:
            print(f"trained on every contributor; its held-out twin {twin.folder.name!r} stands in for it "
                  f"in `vsdesk eval product` on this data; {m['seconds']:.0f} s")
    if "familiarity" in result.metrics and result.metrics["familiarity"] is None:
        _say_no_familiarity(result.metrics["train_images"])


def _print_heldout_scores(done) -> None:
    m = done.metrics
    # Class folders have no contributors: the split is of photos, and says so.
    held = [counted(m["test_images"], "image")]
    if m.get("test_contributors") is not None:
        held.append(counted(m["test_contributors"], "contributor"))
    five = m.get("accuracy_5class")
    print(
        f"held-out ({', '.join(held)}): accuracy {m['accuracy']:.3f}, "
        + (f"5-class {five:.3f}, " if five is not None else "")
        + f"macro-F1 {m['macro_f1']:.3f} (linear start {m.get('linear_accuracy', float('nan')):.3f}), "
        f"scored in float32 Keras as trained; {m['seconds']:.0f} s"
    )
    # Not to be read against `vsdesk eval product`'s figure as a contradiction.
    print(f"  the app runs it in int8 TFLite: `vsdesk eval product --model {shell_quoted(done.meta.name)}` scores it so "
          "(a photo or two may differ)")
    _say_if_finetuning_scored_lower(m)
    note = five_class_note(done.meta.classes) if five is None else None
    if note:
        print(note)
    _warn_if_few(m["test_images"], "held-out")


def _say_if_finetuning_scored_lower(metrics: dict) -> None:
    """Fine-tuning scored below its starting point (the linear heads) on the held-out photos:
    which is kept, and why, so the two figures do not read as a mistake."""
    start, end, photos = metrics.get("linear_accuracy"), metrics.get("accuracy"), metrics.get("test_images") or 0
    if start is None or end is None or end >= start:
        return
    fewer = round((start - end) * photos)
    print(f"  fine-tuning scored below its start ({end:.3f} vs {start:.3f}: {counted(fewer, 'held-out photo')} "
          "fewer right); the fine-tuned model is kept all the same: choosing by the held-out photos would make "
          "their score flatter it, and fine-tuning is what gains on larger collections (docs/product.md)")


def _check_names_to_save(name: str, args: argparse.Namespace) -> None:
    """The model's name (and its held-out twin's, with --retrain-on-all) must be a valid name
    (exit 2, before any training); a model of that name trained earlier is said to be replaced."""
    from vsdesk.engine.product.model import META_FILE, ProductModelError
    from vsdesk.engine.product.model_store import user_dir
    from vsdesk.engine.product.train import twin_name

    for replaced in [name, twin_name(name)] if args.retrain_on_all else [name]:
        try:
            folder = user_dir(replaced)
        except ProductModelError as exc:  # too long, a '/' in it ...
            raise CommandError(f"--out {args.out}: {exc}", USAGE) from None
        if (folder / META_FILE).is_file():
            say(f"train product: the model {replaced!r} trained earlier is replaced when this one is saved")


#: Fewer photos than this in a class and it is learnt from a handful, and scored on one or two
#: held-out photos (a fifth by default), if any.
FEW_CLASS_PHOTOS = 10


def _warn_of_small_classes(dataset) -> None:
    counts: dict[str, int] = {}
    for label in dataset.labels:
        counts[label] = counts.get(label, 0) + 1
    small = sorted((label, n) for label, n in counts.items() if n < FEW_CLASS_PHOTOS)
    if small:
        listed = ", ".join(f"{label} ({counted(n, 'photo')})" for label, n in small)
        say(f"note: few photos in class {listed}: a class of fewer than {FEW_CLASS_PHOTOS} is learnt from a "
            "handful and scored on one or two held-out photos, if any; more photos of it would help")


def _say_plan(dataset, config) -> None:
    """What training is about to do, said before its minutes start: the classes and their
    photos, the held-out share, and whether the model will get the check for unusual photos
    (and, if not, what would give it)."""
    from vsdesk.engine.product.train import has_familiarity, prepare

    dataset, train_idx, test_idx = prepare(dataset, config)
    counts: dict[str, int] = {}
    for item in dataset.items:
        counts[item.label] = counts.get(item.label, 0) + 1
    classes = ", ".join(f"{label} {n}" for label, n in sorted(counts.items()))
    say(f"train product: {len(counts)} classes ({classes}), {counted(len(dataset.items), 'photo')}")
    if len(test_idx):
        held = f"{len(test_idx)} held out to score it"
        if dataset.has_groups:
            contributors = {item.group for item in dataset.items if item.group}
            out = {dataset.items[i].group for i in test_idx if dataset.items[i].group}
            held += f" (all the photos of {len(out)} of the {len(contributors)} contributors)"
        say(f"  {len(train_idx)} to train on, {held}")
    else:
        say(f"  all {len(train_idx)} to train on (nothing held out: `vsdesk eval product` then needs other photos)")
    if has_familiarity(dataset, train_idx, config):
        return
    from vsdesk.engine.product.familiarity import MIN_PHOTOS

    if len(train_idx) >= MIN_PHOTOS:  # enough photos, too few contributors
        _say_no_familiarity(len(train_idx))
        return
    # The held-out share of more photos is held out too ("about": contributors are held out whole).
    wanted = MIN_PHOTOS if config.test_fraction <= 0 else math.ceil(MIN_PHOTOS / (1 - config.test_fraction))
    more = max(1, wanted - len(dataset.items))
    ways = [f"about {counted(more, 'more photo')}"]
    if len(test_idx) and len(dataset.items) >= MIN_PHOTOS:
        ways.insert(0, f"--hold-out 0 (all {len(dataset.items)} train; score it on other photos then)")
    say(f"note: this model will not warn of unusual photos (a painting, a screenshot: it gives them a class like "
        f"any other): {len(train_idx)} training photos are too few, that check needs {MIN_PHOTOS}; "
        f"{' or '.join(ways)} would give it")


def _say_no_familiarity(train_images: int) -> None:
    """Why this model will never warn of a photo unlike its training photos, and what would."""
    from vsdesk.engine.product.familiarity import MIN_PHOTOS

    why = (f"it was trained on {train_images} photos, and that needs at least {MIN_PHOTOS}"
           if train_images < MIN_PHOTOS else
           f"that needs at least {MIN_PHOTOS} training photos from more than one contributor, at least "
           f"{MIN_PHOTOS // 2} of them from contributors other than the rest")
    say(f"note: this model will not warn of photos unlike its training photos (a painting, a screenshot: it "
        f"gives them a class like any other): {why}")


def register_eval(subparsers) -> None:
    parser = subparsers.add_parser(
        "product",
        help="score the product classifier and the frozen-backbone baseline",
        description="Accuracy, 5-class accuracy, macro-F1, per-class recall, confusion matrix and retrieval "
        "precision@10 of a product model and of the baseline (frozen Lite0 features + logistic regression), "
        "on the model's held-out contributors or on labelled test data.",
    )
    parser.add_argument("--data", default=None, help="labelled test data (CSV or class folders); the model's "
                        "own training data -> its held-out split (default: the model's training data)")
    parser.add_argument("--model", default=None, help="product model name or folder (default: the shipped one)")
    parser.add_argument("--json", action="store_true", help="print the scores as JSON on stdout")
    parser.set_defaults(handler=_eval)


def _eval(args: argparse.Namespace) -> int:
    from vsdesk.engine.models import ModelStoreError
    from vsdesk.engine.product.data import DatasetError
    from vsdesk.engine.product.evaluate import evaluate
    from vsdesk.engine.product.model import ProductModelError

    if args.data is not None:
        check_given_path(args.data, "folder or file", "--data")
    if args.model is not None:
        check_product_model(args.model)
    try:
        result = evaluate(args.data, args.model, progress=StderrProgress("eval product"))
    except (DatasetError, ProductModelError, ModelStoreError, ValueError, OSError) as exc:
        raise CommandError(str(exc), FAILED) from None
    if args.json:
        print_json(result)
        return 0
    end_progress_line()  # stdout and stderr share the terminal: results start on a line of their own
    _print_what_was_scored(result)
    _print_score_table(result)
    _print_item_types_and_unfamiliar(result)
    return 0


def _print_what_was_scored(result: dict) -> None:
    """The test photos (and how far "never seen in training" was checked), the model as run, the
    labels matched and the photos left out."""
    counts = [counted(result["test_images"], "image")]
    if result["test_contributors"]:  # class folders name no contributors
        counts.append(counted(result["test_contributors"], "contributor"))
    given_count = result.get("given_images")
    if given_count is not None and given_count != result["test_images"]:  # what was given, what of it is scored
        counts[0] += f" scored of {given_count:,} given ({given_count - result['test_images']:,} left out)"
    print(f"{result['protocol']}: {', '.join(counts)}")
    if given_count is not None and result.get("near_copies_of_training") is not None:
        # given data: how far "never seen in training" was checked
        print("  photos seen in training are recognised by their contributor (where the data names it), as copies "
              "(the same bytes) or as the same picture saved again (re-encoded, resized, another format): a "
              "mirrored, turned or cropped copy of a training photo is scored as new")
    elif given_count is not None:  # (a model that keeps no looks of its training photos)
        print("  photos seen in training are recognised by their contributor (where the data names it) or as "
              "byte-identical copies only: a mirrored, turned or re-saved copy of a training photo is scored as new")
    _warn_if_few(result["test_images"], "test")
    model = result["model"]
    print(f"model {model['name']} ({model['backbone']}) run as the app runs it: {model['runtime']} {model['precision']}")
    recased = result.get("labels_matched_ignoring_case")
    if recased:  # "Dress" photos for the class "dress": said, as they are scored as that class
        print("test labels taken for the model's classes, ignoring case: "
              + ", ".join(f"{given} -> {label}" for given, label in recased.items()))
    _print_left_out(result)


def _print_score_table(result: dict) -> None:
    """The model's and the baseline's scores side by side, per-class recall, the confusion matrix."""
    print(f"{'':18}{'model':>10}{'baseline':>10}")
    for key in ("accuracy", "accuracy_5class", "macro_f1", "p@10"):
        if key == "accuracy_5class" and result["default"][key] is None and result["baseline"][key] is None:
            continue  # said below the table, once
        row = f"{key:18}{_fmt(result['default'][key]):>10}{_fmt(result['baseline'][key]):>10}"
        best = result.get("p@10_max")
        if key == "p@10" and best is not None and best < 1:  # a perfect score would not read as one
            row += f"  (at most {best:.3f} here: a class has fewer than 11 test photos)"
        print(row)
    note = five_class_note(result["classes"]) if result["default"]["accuracy_5class"] is None else None
    if note:
        print(note)
    elif result["default"]["accuracy_5class"] is not None:  # the row above, said what it is
        from vsdesk.engine.product.data import NOTEBOOK_CLASSES

        print(f"accuracy_5class: on the test photos of the notebook's five classes ({', '.join(NOTEBOOK_CLASSES)}), "
              "the best of those five taken as the answer")
    print("per-class recall:")
    for label in result["classes"]:
        d = result["default"]["per_class_recall"].get(label)
        b = result["baseline"]["per_class_recall"].get(label)
        if d is not None:
            print(f"  {label:16}{_fmt(d):>10}{_fmt(b):>10}")
    _print_confusion(result["classes"], result["default"]["confusion_matrix"])
    print(f"baseline: {result['baseline_protocol']}")


def _print_item_types_and_unfamiliar(result: dict) -> None:
    """How right a catalog item's stored type is, and the share of these photos a search would
    warn of as unlike the training photos."""
    types = result.get("item_types")
    if types:  # a catalog item's type comes from its stored vector, the first member's alone
        members = (result.get("model") or {}).get("members") or 1
        how = (f"at indexing, by the first of the model's {members} ensemble members alone" if members > 1
               else "at indexing")
        print(f"the type a catalog shows for a photo (worked out {how}): accuracy {_fmt(types['accuracy'])}; "
              f"it differs from what a search with the same photo says for {100 * types['differs_from_query']:.1f} % "
              "of the photos")
    if result.get("unfamiliar_share") is not None:
        flat = result.get("unfamiliar_share_flat_areas")
        by_test = [f"feature test {100 * result['unfamiliar_share_features']:.1f} %"]
        if flat is not None:
            by_test.append(f"flat-area test {100 * flat:.1f} %")
        by_test.append(f"photo turned 90° more typical {100 * result['unfamiliar_share_sideways']:.1f} %")
        print(f"out-of-distribution false-positive rate (these in-distribution test photos flagged as unlike the "
              f"training photos): {100 * result['unfamiliar_share']:.1f} % ({', '.join(by_test)})")


#: How many file names a left-out line names before "and N more".
NAMED_FILES = 5


def _print_left_out(result: dict) -> None:
    """The test photos left out of the scores, by why: labels the model does not have (with the
    class one may have meant, and the model's classes), files the CSV names that are not there
    (named), files that could not be read."""
    from vsdesk.engine.product.evaluate import near_class

    left_out = dict(result["left_out_labels"])
    missing = left_out.pop("(missing file)", 0)
    if left_out:
        hints = {k: near_class(k, result["classes"]) for k in left_out}
        left = ", ".join(f"{k} {v}" + (f" ({hints[k]}?)" if hints[k] else "") for k, v in sorted(left_out.items()))
        print(f"left out (not model classes): {left}")
        print(f"  the model's classes: {', '.join(result['classes'])}")
    if missing:
        names = result.get("missing_files") or []
        shown = ", ".join(shown_path(name) for name in names[:NAMED_FILES])
        if len(names) > NAMED_FILES:
            shown += f" and {len(names) - NAMED_FILES} more"
        print(f"left out (image file missing): {missing}" + (f": {shown}" if names else ""))
    if result.get("undecodable"):
        print(f"left out (could not be read as images): {result['undecodable']}")
    resaved = result.get("near_copies_of_training_matches") or []
    if resaved:  # other bytes than any training photo: named, and what of, as the reason is a judgement of looks
        shown = ", ".join(_copy_of(copy) for copy in resaved[:NAMED_FILES]) + (
            f" and {len(resaved) - NAMED_FILES} more" if len(resaved) > NAMED_FILES else "")
        print(f"left out (a training photo saved again): {len(resaved)}: {shown}")


def _copy_of(copy: dict) -> str:
    original = copy.get("training_photo")
    path = shown_path(copy["path"])
    return f"{path} (as {shown_path(original)})" if original else f"{path} (its training photo not at hand to compare)"


def _print_confusion(classes: list[str], matrix: list[list[int]]) -> None:
    """The confusion matrix over the classes present (in the test labels or the predictions):
    a user's few classes, not the model's every class with empty rows (--json keeps them all)."""
    shown = [i for i in range(len(classes)) if sum(matrix[i]) or any(row[i] for row in matrix)]
    print("confusion matrix (rows: true, columns: predicted"
          + (f"; only the {len(shown)} of the model's {len(classes)} classes present):" if len(shown) < len(classes)
             else "):"))
    names = [classes[i] for i in shown]
    # Each column as wide as its class name (or its largest count): "T-Shirt" whole, not "T-Shi".
    widths = [max(5, len(classes[j]), *(len(str(row[j])) for row in matrix)) for j in shown]
    print("  " + " ".join(f"{c:>{w}}" for c, w in zip(names, widths)))
    for i in shown:
        print("  " + " ".join(f"{matrix[i][j]:{w}d}" for j, w in zip(shown, widths)) + f"  {classes[i]}")


#: Fewer held-out (or test) photos than this and their scores say little.
FEW_TEST_IMAGES = 20


def _warn_if_few(count: int, which: str) -> None:
    if count < FEW_TEST_IMAGES:
        say(f"note: only {counted(count, f'{which} image')}: the scores say little (one photo moves accuracy by "
            f"{100 / max(count, 1):.0f} points); more labelled photos would tell more")


def five_class_note(classes) -> str | None:
    """Why there is no five-class accuracy (the notebook's five classes, docs/product.md), when
    one would be looked for: the model has those classes, or all but one of them. A model of
    other classes (a user's own) has nothing to do with that figure: None, nothing said."""
    from vsdesk.engine.product.data import NOTEBOOK_CLASSES

    missing = [c for c in NOTEBOOK_CLASSES if c not in classes]
    if len(missing) > 1:
        return None
    five = ", ".join(NOTEBOOK_CLASSES)
    if missing:
        return (f"five-class accuracy: none; it is a figure of the Clothing Dataset's five classes ({five}), not one "
                f"for this model's classes (it has no {', '.join(missing)})")
    return f"five-class accuracy: none; no test photo is of the Clothing Dataset's five classes ({five})"


def _fmt(value) -> str:
    return "-" if value is None else f"{value:.3f}"
