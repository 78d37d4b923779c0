"""``vsdesk desktop-entry install|remove``: the Linux menu entry, "Open with vsdesk", icons."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from vsdesk.cli._common import FAILED, USAGE, CommandError
from vsdesk.engine.text import shown_path


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "desktop-entry",
        help="add vsdesk to the Linux desktop's menu and \"Open with\" for images, or remove it",
        description="Installs the .desktop entry, its AppStream metadata and the icons under "
        "$XDG_DATA_HOME (~/.local/share), with Exec= the absolute path of this installation's vsdesk.",
    )
    actions = parser.add_subparsers(dest="desktop_action", metavar="ACTION", required=True)
    install = actions.add_parser("install", help="install (or update) the entry for this installation")
    install.add_argument("--exec", dest="executable", type=Path, default=None, metavar="PATH",
                         help="the vsdesk launcher the entry starts (default: this installation's)")
    remove = actions.add_parser("remove", help="remove the entry and icons installed by `install`")
    for action, where in ((install, "where to install"), (remove, "where it was installed")):
        action.add_argument("--prefix", type=Path, default=None, metavar="DIR",
                            help=f"{where} (default: $XDG_DATA_HOME or ~/.local/share; "
                            "/usr/local/share for every user)")
    parser.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    from vsdesk.engine import desktop_entry

    try:
        if args.desktop_action == "install":
            executable = args.executable or desktop_entry.this_executable()
            if executable is None:  # (a Python run from source, say)
                raise CommandError("no `vsdesk` launcher found to point the entry at; give its path with --exec", USAGE)
            if not (Path(executable).is_file() and os.access(executable, os.X_OK)):
                raise CommandError(f"{executable}: not an executable file", USAGE)
            written = desktop_entry.install(executable, args.prefix)
            print(f"installed {desktop_entry.APP_ID} into {shown_path(str(written[0].parents[1]))} ({len(written)} "
                  f"files); the menu entry and \"Open with vsdesk\" start {shown_path(str(Path(executable).absolute()))}")
        else:
            removed = desktop_entry.remove(args.prefix)
            print(f"removed {len(removed)} files" if removed else "no desktop entry of vsdesk was installed there")
    except desktop_entry.DesktopEntryError as exc:  # a folder that cannot be written ...
        raise CommandError(str(exc), FAILED) from None
    return 0
