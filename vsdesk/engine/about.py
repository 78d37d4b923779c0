"""What the About dialog shows: name, version, licence and every third-party model and data set.

The text comes from the NOTICE file that ships with vsdesk, so the dialog, the wheel and the
desktop bundle can never disagree. NOTICE is found in three places, first hit wins:

- next to the ``vsdesk`` package (a source checkout, and the PyInstaller bundle, which puts
  NOTICE at its root beside ``vsdesk/``);
- in the installed distribution's metadata (a wheel puts ``licenses/NOTICE`` in its dist-info).

NOTICE entries are blocks of ``Key: value`` lines separated by lines of dashes; indented lines
continue the previous value, and a line holding only ``.`` is an empty line inside a value.
Qt-free: the GUI formats what this module returns.
"""

from __future__ import annotations

import importlib.metadata
import re
from dataclasses import dataclass, field
from pathlib import Path

from vsdesk import __version__

APP_NAME = "vsdesk"
APP_TITLE = "vsdesk — visual search desktop"
APP_SUMMARY = "Find images alike by artistic style, product type or a VAE latent space."
APP_LICENCE = "MIT"
APP_COPYRIGHT = "Copyright (c) 2026 The vsdesk developers"

_SEPARATOR = re.compile(r"^-{20,}\s*$", re.MULTILINE)
_KEY_LINE = re.compile(r"^([A-Z][A-Za-z ]*):(?:\s(.*))?$")


class NoticeNotFoundError(FileNotFoundError):
    """The NOTICE file is missing from this installation (a broken package)."""


@dataclass(frozen=True)
class ThirdPartyItem:
    """One NOTICE entry: a model, data set or bundled software."""

    name: str
    kind: str  # "model", "data set" or "software"
    licence: str
    origin: str = ""
    licence_url: str = ""
    redistributed: str = ""
    fields: dict[str, str] = field(default_factory=dict)  # every key of the entry, verbatim

    @property
    def is_redistributed(self) -> bool:
        """False when vsdesk ships none of it (it is downloaded or read from the user's disk)."""
        return not self.redistributed.lower().startswith("no")


@dataclass(frozen=True)
class AboutInfo:
    name: str
    title: str
    version: str
    summary: str
    licence: str
    copyright: str
    third_party: tuple[ThirdPartyItem, ...]
    notice_text: str


def _is_our_notice(path: Path) -> bool:
    # site-packages can hold another project's stray NOTICE beside our package: check the title.
    try:
        return path.is_file() and path.read_text(encoding="utf-8").startswith(APP_NAME)
    except (OSError, UnicodeDecodeError):
        return False


def notice_text() -> str:
    """The full NOTICE text of this installation."""
    beside = Path(__file__).resolve().parent.parent.parent / "NOTICE"
    if _is_our_notice(beside):
        return beside.read_text(encoding="utf-8")
    try:
        dist = importlib.metadata.distribution(APP_NAME)
    except importlib.metadata.PackageNotFoundError:
        dist = None
    for file in (dist.files or []) if dist else []:
        if file.name == "NOTICE":
            text = file.read_text(encoding="utf-8")
            if text.startswith(APP_NAME):
                return text
    raise NoticeNotFoundError(
        "vsdesk's NOTICE file (third-party licences) is missing from this installation; "
        "reinstall vsdesk"
    )


def parse_notice(text: str) -> list[ThirdPartyItem]:
    """The entries of a NOTICE text, in file order (blocks without a ``Name:`` are prose)."""
    items = []
    for block in _SEPARATOR.split(text):
        fields: dict[str, str] = {}
        key = None
        for line in block.splitlines():
            match = _KEY_LINE.match(line)
            if match and not line.startswith(" "):
                key = match.group(1)
                fields[key] = (match.group(2) or "").strip()
            elif key and line.startswith(" "):
                part = line.strip()
                fields[key] += "\n\n" if part == "." else (" " if fields[key] and not fields[key].endswith("\n") else "") + part
            elif line.strip():
                key = None  # prose between entries
        if "Name" in fields:
            items.append(
                ThirdPartyItem(
                    name=fields["Name"],
                    kind=fields.get("Kind", ""),
                    licence=fields.get("Licence", ""),
                    origin=fields.get("Origin", ""),
                    licence_url=fields.get("Licence URL", ""),
                    redistributed=fields.get("Redistributed", ""),
                    fields=fields,
                )
            )
    return items


def third_party() -> list[ThirdPartyItem]:
    return parse_notice(notice_text())


def about_info() -> AboutInfo:
    text = notice_text()
    return AboutInfo(
        name=APP_NAME,
        title=APP_TITLE,
        version=__version__,
        summary=APP_SUMMARY,
        licence=APP_LICENCE,
        copyright=APP_COPYRIGHT,
        third_party=tuple(parse_notice(text)),
        notice_text=text,
    )


def about_plain_text() -> str:
    """A compact plain-text About (for a CLI or a dialog's text area)."""
    info = about_info()
    lines = [
        f"{info.name} {info.version}",
        info.summary,
        f"{info.copyright}. Licence: {info.licence}.",
        "",
        "Third-party models and data sets:",
    ]
    for item in info.third_party:
        shipped = "" if item.is_redistributed else " (not redistributed; downloaded on use)"
        lines.append(f"- {item.name} [{item.kind}]: {item.licence}{shipped}")
        if item.origin:
            lines.append(f"    {item.origin.splitlines()[0]}")
    return "\n".join(lines)


def about_html() -> str:
    """The same as :func:`about_plain_text` as simple rich text (QLabel/QTextBrowser subset)."""
    from html import escape

    info = about_info()
    rows = []
    for item in info.third_party:
        licence = escape(item.licence)
        if item.licence_url:
            licence = f'<a href="{escape(item.licence_url)}">{licence}</a>'
        shipped = "" if item.is_redistributed else "<br/><i>Not redistributed: downloaded from upstream on first use.</i>"
        rows.append(
            f"<li><b>{escape(item.name)}</b> ({escape(item.kind)}) — {licence}"
            f"<br/>{escape(item.origin)}{shipped}</li>"
        )
    return (
        f"<h3>{escape(info.name)} {escape(info.version)}</h3>"
        f"<p>{escape(info.summary)}</p>"
        f"<p>{escape(info.copyright)}. Licensed under the {escape(info.licence)} License.</p>"
        f"<p><b>Third-party models and data sets</b></p><ul>{''.join(rows)}</ul>"
    )


if __name__ == "__main__":  # python -m vsdesk.engine.about
    print(about_plain_text())
