"""Help → About: name, version, licence and every third-party model and data set (from NOTICE)."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTextBrowser, QVBoxLayout, QWidget

from vsdesk.engine.about import APP_TITLE, NoticeNotFoundError, about_html


class AboutDialog(QDialog):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(f"About {APP_TITLE}")
        self.resize(620, 520)
        self.text = QTextBrowser()
        self.text.setOpenExternalLinks(True)
        try:
            self.text.setHtml(about_html())
        except NoticeNotFoundError as exc:  # a broken installation: say so, do not crash
            self.text.setPlainText(f"{APP_TITLE}\n\nThe NOTICE file is missing: {exc}")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.text)
        layout.addWidget(buttons)
