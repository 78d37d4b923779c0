"""Commands of the style mode: ``vsdesk eval style``.

Handlers import the engine (and so TensorFlow) only when they run.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from vsdesk.cli._common import FAILED, USAGE, CommandError, StderrProgress, check_given_path, print_json, say
from vsdesk.engine.text import shown_path


def register_eval(subparsers) -> None:
    parser = subparsers.add_parser(
        "style",
        help="leave-one-out style retrieval: default configuration vs the notebook's",
        description="Every image of a labelled folder is a query against all the others; reports "
        "precision@5, precision@10 and mAP of vsdesk's default style embedding and of the research "
        "notebook's (raw Gram matrices of block1_conv1-block3_conv1 at 224 px), in the same run. "
        "Labels come from labels.csv (filename,label), else from one subfolder per label (as catalogs "
        "label: cubism/*.jpg), else from the file name prefix: s_cubism-07.jpg -> cubism.",
    )
    parser.add_argument("--data", required=True, type=Path, help="folder of labelled images, or of one subfolder per label")
    parser.add_argument("--subject-weight", type=float, default=None,
                        help="style <-> subject blend of the default configuration (0 = style only)")
    parser.add_argument("--json", action="store_true",
                        help='print {"default": {...}, "notebook": {...}} with p@5, p@10, map, bytes_per_image')
    parser.set_defaults(handler=_eval)


def _eval(args: argparse.Namespace) -> int:
    from vsdesk.engine.imageio import ImageError
    from vsdesk.engine.models import ModelStoreError
    from vsdesk.engine.style import NOTEBOOK, make_config
    from vsdesk.engine.style.evaluate import LABEL_SOURCES, LabelError, evaluate_folder, read_folder

    try:
        default = make_config(subject_weight=args.subject_weight)
    except ValueError as exc:  # a --subject-weight out of range
        raise CommandError(f"--subject-weight: {exc}", USAGE) from None
    check_given_path(args.data, "folder", "--data")
    try:
        read = read_folder(args.data)  # one walk of the folder, said wrong before VGG16 loads
        results, files, labels, unreadable = evaluate_folder(
            read, {"default": default, "notebook": NOTEBOOK}, progress=StderrProgress("eval style")
        )
    except (LabelError, ImageError, ModelStoreError, ValueError, OSError) as exc:
        raise CommandError(str(exc), FAILED) from None
    if args.json:
        data = {name: result.to_dict() for name, result in results.items()}
        data["images"] = len(files)
        data["labels"] = {label: labels.count(label) for label in sorted(set(labels))}
        data["left_out"] = [{"path": str(path), "reason": reason} for path, reason in unreadable]
        data["labels_from"] = read.source
        print_json(data)
        return 0
    for path, reason in unreadable:
        say(f"left out {path}: {reason}")
    counts = ", ".join(f"{label} {labels.count(label)}" for label in sorted(set(labels)))
    print(f"{shown_path(str(args.data))}: {len(files)} images ({counts}; labels {LABEL_SOURCES[read.source]}); "
          "leave-one-out retrieval: each image the query, all the others the database")
    default, notebook = results["default"], results["notebook"]
    print(f"  default: {_how_ranked(default)}")
    print("  notebook: raw Gram matrices of block1_conv1-block3_conv1 at 224 px, plain cosine")
    print(f"{'configuration':<22} {'P@5':>6} {'P@10':>6} {'mAP':>6} {'bytes/image':>12} {'seconds':>8}")
    rows = [("default", default.metrics, default)]
    if default.plain is not None:  # the same vectors, the same run (its time is the default's)
        rows.append(("default, plain cosine", default.plain, None))
    rows.append(("notebook", notebook.metrics, notebook))
    for name, m, result in rows:
        seconds = f"{result.seconds:>8.1f}" if result is not None else f"{'':>8}"
        print(f"{name:<22} {m['p@5']:>6.3f} {m['p@10']:>6.3f} {m['map']:>6.3f} "
              f"{(result or default).config.bytes_per_image:>12,} {seconds}".rstrip())
    print("seconds: embedding every image with that configuration and ranking them all (VGG16's load and the "
          "decoding, done once for both, not counted)")
    return 0


def _how_ranked(result) -> str:
    """The default configuration as a researcher would write it: its input, its style/subject
    blend and its search (what --json's ``config`` and ``query_expansion`` hold)."""
    config, expansion = result.config, result.expansion
    w = config.subject_weight
    blend = f"cosine {100 * (1 - w):.0f} % style + {100 * w:.0f} % subject (block5_pool)" if w else "style cosine alone"
    window = (f"centre {config.size} x {config.size} px window of the picture reduced to {config.scale} px" if config.scale
              else f"whole picture squashed to {config.size} px")
    search = (f"alpha-DBA + alpha-QE ({expansion.database_n} database / {expansion.n} query neighbours, "
              f"alpha {expansion.alpha:g}), as style search ranks" if expansion is not None else "plain ranking")
    return f"{window}, {blend}, {search}"
