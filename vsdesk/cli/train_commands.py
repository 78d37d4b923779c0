"""``vsdesk train {product,vae}``: each mode's command module adds its own training."""

from __future__ import annotations

import importlib

from vsdesk.engine.modes import MODES


def register(subparsers) -> None:
    parser = subparsers.add_parser("train", help="train a mode's model (product classifier, VAE)")
    modes = parser.add_subparsers(dest="train_mode", metavar="MODE", required=True)
    for mode in MODES:
        module = importlib.import_module(f"vsdesk.cli.{mode}_commands")
        if hasattr(module, "register_train"):
            module.register_train(modes)
