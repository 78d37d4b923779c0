"""The files a catalog could not index, each with its full path and the reason, to read and copy."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QPlainTextEdit, QVBoxLayout, QWidget

from vsdesk.engine.text import counted, shown_path


class SkippedFilesDialog(QDialog):
    def __init__(self, catalog: str, skipped: list, parent: QWidget | None = None):
        super().__init__(parent)
        # Each "why?" click opens a new one: it goes when closed, or every click would leave one
        # behind as a hidden child of the tab.
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setWindowTitle(f"Files not indexed in “{catalog}”")
        intro = QLabel(f"{not_indexed_words(skipped)} Your files are never modified.")
        intro.setWordWrap(True)
        # Plain text: every line can be selected and copied (Ctrl+A, Ctrl+C), unlike a tooltip.
        # A name not UTF-8 with its bytes as escapes: Qt drops such bytes ("caf\udce9" was "caf").
        self.text = QPlainTextEdit("\n".join(f"{shown_path(f.path)}\n    {f.message}" for f in skipped))
        self.text.setReadOnly(True)
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.text, 1)
        layout.addWidget(buttons)
        self.resize(720, 360)


def not_indexed_words(skipped: list) -> str:
    """"2 files could not be indexed; …", and a catalog's folder that cannot be listed (the scan
    skips it whole, ``unreadable-folder``) said as a folder, not counted as one more file."""
    folders = sum(1 for item in skipped if item.kind == "unreadable-folder")
    files = len(skipped) - folders
    said = [words for count, words in ((files, f"{counted(files, 'file')} could not be indexed"),
                                       (folders, f"{counted(folders, 'folder')} could not be read")) if count]
    they = "it is" if len(skipped) == 1 else "they are"
    changes = "it changes" if len(skipped) == 1 else "they change"
    return f"{' and '.join(said) or 'No file was skipped'}; {they} tried again when {changes}."
