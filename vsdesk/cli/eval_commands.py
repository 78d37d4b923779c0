"""``vsdesk eval {style,product,vae}``: each mode's command module adds its own evaluation."""

from __future__ import annotations

import importlib

from vsdesk.engine.modes import MODES


def register(subparsers) -> None:
    parser = subparsers.add_parser("eval", help="measure retrieval/classification quality of a mode")
    modes = parser.add_subparsers(dest="eval_mode", metavar="MODE", required=True)
    for mode in MODES:
        module = importlib.import_module(f"vsdesk.cli.{mode}_commands")
        if hasattr(module, "register_eval"):
            module.register_eval(modes)
