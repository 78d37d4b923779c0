"""The labels of a catalog folder's images: from a labels file at its top, else from class subfolders.

A labels file is ``labels.csv`` (``filename,label``) or the Clothing Dataset's ``images.csv``
(``image,...,label``); the scan reads it once per catalog folder (``Labeller``).
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

#: Files at a folder's top that give labels (``filename,label``; the Clothing Dataset's
#: ``images.csv`` has ``image,...,label`` with the image id without ``.jpg``).
LABEL_FILES = ("labels.csv", "images.csv")
_NAME_COLUMNS = ("filename", "file", "image", "path", "name")


class Labeller:
    """A file's label: from a labels file at the root, else its class subfolder, else None."""

    def __init__(self, root: str, relpaths: list[str]):
        self.table = _read_label_files(Path(root))
        # "Organised in class subfolders": no images directly in the root, all in subfolders.
        self.by_subfolder = not self.table and bool(relpaths) and all("/" in r for r in relpaths)

    def label(self, rel: str) -> str | None:
        """``rel``: the file's path relative to the root, with '/' separators."""
        if self.table:
            name = rel.rsplit("/", 1)[-1]
            for key in (rel, name, os.path.splitext(name)[0]):
                if key in self.table:
                    return self.table[key]
            return None
        if self.by_subfolder:
            return rel.split("/", 1)[0]
        return None


def _read_label_files(root: Path) -> dict[str, str]:
    candidates = [root / name for name in LABEL_FILES]
    if root.name == "images":
        # The Clothing Dataset's own layout: images/<id>.jpg with images.csv beside the folder.
        candidates.append(root.parent / "images.csv")
    for path in candidates:
        try:
            table = _read_label_file(path)
        except (OSError, UnicodeDecodeError, csv.Error):
            continue  # an unreadable labels file means no labels, not a failed index
        if table:
            return table
    return {}


def _read_label_file(path: Path) -> dict[str, str]:
    if not path.is_file():
        return {}
    with open(path, newline="", encoding="utf-8-sig") as fp:
        reader = csv.reader(fp)
        header = [h.strip().lower() for h in next(reader, [])]
        if len(header) < 2:
            return {}
        name_col = next((header.index(c) for c in _NAME_COLUMNS if c in header), 0)
        label_col = header.index("label") if "label" in header else (1 if name_col != 1 else 0)
        table = {}
        for row in reader:
            if len(row) > max(name_col, label_col) and row[name_col].strip():
                table[row[name_col].strip()] = row[label_col].strip()
        return table
