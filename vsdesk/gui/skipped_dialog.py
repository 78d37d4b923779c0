"""The files a catalog could not index, each with its full path and the reason, to read and copy."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QPlainTextEdit, QVBoxLayout, QWidget

from vsdesk.engine.text import counted


class SkippedFilesDialog(QDialog):
    def __init__(self, catalog: str, skipped: list, parent: QWidget | None = None):
        super().__init__(parent)
        # Each "why?" click opens a new one: it goes when closed, or every click would leave one
        # behind as a hidden child of the tab.
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setWindowTitle(f"Files not indexed in “{catalog}”")
        count = len(skipped)
        intro = QLabel(
            f"{counted(count, 'file')} could not be indexed; they are tried again when "
            "they change. Your files are never modified."
        )
        intro.setWordWrap(True)
        # Plain text: every line can be selected and copied (Ctrl+A, Ctrl+C), unlike a tooltip.
        self.text = QPlainTextEdit("\n".join(f"{f.path}\n    {f.message}" for f in skipped))
        self.text.setReadOnly(True)
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.text, 1)
        layout.addWidget(buttons)
        self.resize(720, 360)
