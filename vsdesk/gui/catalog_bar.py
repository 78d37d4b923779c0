"""The catalog row of a tab: which catalog is searched, add a folder, indexing progress + Cancel."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QWidget,
)


class CatalogBar(QWidget):
    catalog_chosen = Signal(str)
    folder_chosen = Signal(str)
    cancel_requested = Signal()
    details_requested = Signal()  # the status line's link (e.g. "3 skipped") was clicked

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.combo = QComboBox()
        self.combo.setMinimumContentsLength(18)
        self.combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.combo.currentIndexChanged.connect(self._on_index_changed)
        self.add_button = QPushButton("Add folder…")
        self.add_button.setToolTip("Index one of your own folders (searched recursively) as a catalog")
        self.add_button.clicked.connect(self.choose_folder)
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(260)
        self.progress.setTextVisible(True)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop indexing; what is indexed so far is kept")
        self.cancel_button.clicked.connect(self.cancel_requested)
        self.status = QLabel("")
        self.status.setStyleSheet("color:#555;")
        self.status.setTextFormat(Qt.TextFormat.RichText)
        self.status.linkActivated.connect(lambda _link: self.details_requested.emit())
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QLabel("Catalog:"))
        layout.addWidget(self.combo)
        layout.addWidget(self.add_button)
        layout.addWidget(self.progress)
        layout.addWidget(self.cancel_button)
        layout.addWidget(self.status, 1)
        self.set_busy(False)
        self._quiet = False

    def set_catalogs(self, names: list[str], current: str | None = None) -> None:
        self._quiet = True
        self.combo.clear()
        self.combo.addItems(names)
        if current in names:
            self.combo.setCurrentIndex(names.index(current))
        self._quiet = False

    def names(self) -> list[str]:
        return [self.combo.itemText(i) for i in range(self.combo.count())]

    def current(self) -> str:
        return self.combo.currentText()

    def set_busy(self, busy: bool, message: str = "") -> None:
        self.progress.setVisible(busy)
        self.cancel_button.setVisible(busy)
        self.cancel_button.setEnabled(busy)
        if busy:
            self.progress.setRange(0, 0)  # busy until the first progress report
            self.progress.setFormat(message or "%p%")
        self.combo.setEnabled(not busy)
        self.add_button.setEnabled(not busy)

    def set_progress(self, done: int, total: int, message: str = "") -> None:
        if total > 0:
            self.progress.setRange(0, total)
            self.progress.setValue(min(done, total))
            self.progress.setFormat(f"{done}/{total}")
        if message:
            self.progress.setToolTip(message)
            self.status.setText(html.escape(message))

    def set_status(self, text: str, tooltip: str = "", link: str = "") -> None:
        """Plain ``text``, then ``link`` (if any) as a link that emits ``details_requested``."""
        shown = html.escape(text) + (f" · <a href='details'>{html.escape(link)}</a>" if link else "")
        self.status.setText(shown)
        self.status.setToolTip(tooltip)

    def _on_index_changed(self, _index: int) -> None:
        if not self._quiet and self.combo.currentText():
            self.catalog_chosen.emit(self.combo.currentText())

    def choose_folder(self) -> None:
        if not self.add_button.isEnabled():
            return  # indexing: one catalog at a time (the menu's "Add folder…" lands here too)
        folder = QFileDialog.getExistingDirectory(self, "Add a folder to search")
        if folder:
            self.folder_chosen.emit(folder)
