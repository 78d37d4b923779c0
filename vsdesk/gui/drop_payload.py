"""What a drag over the window holds, judged as it comes in, so that the cursor says "no" over
the window for what a drop would only refuse: web links, a file that is not an image.

Told from the drag's data alone (no I/O on the GUI thread): a web link, a text that is not a
path, a name with an image's suffix. A path without one may be a folder (offered as a catalog):
that is asked on the I/O thread, and the drag refused once the answer is that none is. What can
only be told by reading the file (a ".jpg" that is not a picture) is said after the drop.
"""

from __future__ import annotations

import os
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QMimeData, QUrl

from vsdesk.engine.imageio import is_image_name


@dataclass
class DropPayload:
    paths: list[str]  # local files or folders, from file URLs or a text holding one path
    has_image: bool = False  # image data (an image dragged from a web page or an editor)
    folders: list[str] | None = None  # which of ``paths`` are folders; None: not looked at yet

    def needs_look(self) -> bool:
        """Whether a folder among the paths is all that could make the drop useful."""
        return not self.has_image and not any(is_image_name(p) for p in self.paths)

    def acceptable(self) -> bool | None:
        """True: a drop would search or open something; False: it would only be refused;
        None: not known until the I/O thread has said which paths are folders."""
        if not self.needs_look():
            return True
        return None if self.folders is None else bool(self.folders)


def read_drag(mime: QMimeData) -> DropPayload | None:
    """The payload of a drag, or None for one a drop would refuse whatever the files hold: web
    links only, a text that is not one local path, nothing vsdesk reads."""
    if mime.hasUrls():
        local = [local_path(url) for url in mime.urls() if url.isLocalFile()]
        if local or mime.hasImage():
            return DropPayload(local, has_image=mime.hasImage())
        return None
    if mime.hasImage():
        return DropPayload([], has_image=True)
    if mime.hasText():
        path = path_in_text(mime.text())
        return DropPayload([path]) if path else None
    return None


def path_in_text(text: str) -> str:
    """The one local path a dragged (or pasted) text holds: a path selected in a terminal or an
    editor, perhaps quoted or as a file URL; "" for any other text."""
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        text = text[1:-1]
    if not text or "\n" in text:
        return ""
    if text.startswith("file://"):
        return local_path(QUrl(text))
    if text.startswith(("/", "~")):
        return str(Path(text).expanduser())
    return ""



def local_path(url: QUrl) -> str:
    """The path of a ``file:`` URL, its percent-encoded bytes as they are: a name not UTF-8
    (``local_file_url``, "Copy path", a file manager's) came out of ``QUrl.toLocalFile`` with
    "\ufffd" in place of its bytes, a file that is not there. (Any other is Qt's: a drive letter.)"""
    path = url.toLocalFile()
    if "\ufffd" not in path or os.name == "nt":
        return path
    return os.fsdecode(urllib.parse.unquote_to_bytes(url.path(QUrl.ComponentFormattingOption.FullyEncoded)))


__all__ = ["DropPayload", "local_path", "path_in_text", "read_drag"]
