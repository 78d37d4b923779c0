"""Register vsdesk with a Linux desktop: the menu entry, "Open with vsdesk" for images, icons.

The freedesktop files ship in ``resources/desktop/`` (so a wheel and the bundle carry them, not
only the repository) and are installed under ``$XDG_DATA_HOME`` (``~/.local/share``) with
``Exec=`` set to the absolute path of the ``vsdesk`` being run: a virtual environment's
``bin/`` is not on the desktop session's PATH, so ``Exec=vsdesk`` would not be found there.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from vsdesk.engine import paths
from vsdesk.engine.files import atomic_path

APP_ID = "io.github.vsdesk.vsdesk"
ICON_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


class DesktopEntryError(OSError):
    """The entry cannot be installed; the message says why."""


def default_prefix() -> Path:
    return Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")


def this_executable() -> Path | None:
    """The ``vsdesk`` launcher of this installation: the bundle's executable, or the script
    beside this Python (a virtual environment's ``bin/vsdesk``), or the one on PATH."""
    if getattr(sys, "frozen", False):
        return Path(sys.executable).resolve()
    beside = Path(sys.executable).parent / "vsdesk"
    if beside.is_file() and os.access(beside, os.X_OK):
        return beside.absolute()  # not resolved: a venv's python is a link to the system's
    found = shutil.which("vsdesk")
    return Path(found).absolute() if found else None


def _files(prefix: Path) -> dict[Path, Path | None]:
    """Installed path -> shipped source (None: the .desktop file, written from its template)."""
    desktop, icons = paths.resources_dir() / "desktop", paths.resources_dir() / "icons"
    files: dict[Path, Path | None] = {
        prefix / "applications" / f"{APP_ID}.desktop": None,
        prefix / "metainfo" / f"{APP_ID}.metainfo.xml": desktop / f"{APP_ID}.metainfo.xml",
        prefix / "icons" / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg": icons / "vsdesk.svg",
    }
    for size in ICON_SIZES:
        files[prefix / "icons" / "hicolor" / f"{size}x{size}" / "apps" / f"{APP_ID}.png"] = icons / f"vsdesk-{size}.png"
    return files


def entry_text(executable: Path) -> str:
    """The shipped .desktop file with ``Exec``/``TryExec`` naming ``executable``."""
    template = (paths.resources_dir() / "desktop" / f"{APP_ID}.desktop").read_text(encoding="utf-8")
    exec_path = _exec_quoted(str(executable))
    lines = []
    for line in template.splitlines():
        if line.startswith("Exec=vsdesk "):
            line = f"Exec={exec_path} " + line.removeprefix("Exec=vsdesk ")
        elif line == "TryExec=vsdesk":
            line = "TryExec=" + str(executable).replace("\\", "\\\\")  # a string value's escaping
        lines.append(line)
    return "\n".join(lines) + "\n"


def _exec_quoted(path: str) -> str:
    """``path`` as one argument of a .desktop ``Exec`` key, by the Desktop Entry
    Specification's own rules: ``%`` doubled (field codes); double quotes around a path with a
    reserved character (a space, say), a backslash before ``"`` ``` ` ``` ``$`` ``\\`` inside
    them; then every backslash doubled, the escaping of any string value in the file."""
    path = path.replace("%", "%%")
    if any(c in path for c in RESERVED):
        path = '"' + "".join("\\" + c if c in '"`$\\' else c for c in path) + '"'
    return path.replace("\\", "\\\\")


#: Characters that make an Exec argument need quoting (Desktop Entry Specification, "Exec key").
RESERVED = set(" \t\n\"'\\><~|&;$*?#()`")


def install(executable: Path | None = None, prefix: Path | None = None) -> list[Path]:
    """Install the entry, its AppStream metadata and icons; the files written."""
    executable = executable or this_executable()
    if executable is None:
        raise DesktopEntryError("no `vsdesk` launcher found to point the entry at; give its path with --exec")
    executable = Path(executable).absolute()
    if not (executable.is_file() and os.access(executable, os.X_OK)):
        raise DesktopEntryError(f"{executable}: not an executable file")
    if "\n" in str(executable) or "\r" in str(executable):
        raise DesktopEntryError(f"{executable!r}: a line break in its path cannot be written into a .desktop file")
    prefix = Path(prefix or default_prefix())
    written = []
    try:
        for target, source in _files(prefix).items():
            target.parent.mkdir(parents=True, exist_ok=True)
            with atomic_path(target) as temporary:
                if source is None:
                    temporary.write_text(entry_text(executable), encoding="utf-8")
                else:
                    shutil.copyfile(source, temporary)
                os.chmod(temporary, 0o644)
            written.append(target)
    except OSError as exc:
        raise DesktopEntryError(f"cannot install the desktop entry into {prefix}: {exc}") from None
    _refresh_caches(prefix)
    return written


def remove(prefix: Path | None = None) -> list[Path]:
    """Remove what ``install`` wrote (those files only); the files removed."""
    prefix = Path(prefix or default_prefix())
    removed = []
    for target in _files(prefix):
        if target.is_file():
            target.unlink()
            removed.append(target)
    _refresh_caches(prefix)
    return removed


def _refresh_caches(prefix: Path) -> None:
    """The desktop's MIME and icon caches, where their tools are installed (menus read the rest)."""
    for command in (["update-desktop-database", "-q", str(prefix / "applications")],
                    ["gtk-update-icon-cache", "-q", "-t", str(prefix / "icons" / "hicolor")]):
        if shutil.which(command[0]) and Path(command[-1]).is_dir():
            subprocess.run(command, capture_output=True, check=False, timeout=60)
