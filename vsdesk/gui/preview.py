"""A strip under the map showing the image of the point or result the user picked."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QWidget

from vsdesk.engine.text import shown_path
from vsdesk.gui import theme
from vsdesk.gui.elided_label import ElidedLabel
from vsdesk.gui.thumbnails import ThumbnailCache

SIZE = 72
#: (Not "or use the arrow keys and Enter" for both: among the results the arrows show an image
#: here, and Enter opens it in another application.)
HINT = "Click a point or a result to see it here;\non the map, also the arrow keys and Enter."


class ItemPreview(QWidget):
    #: nothing is picked any more (new results): the map takes its ring off the item it showed
    cleared = Signal()

    def __init__(self, cache: ThumbnailCache, parent: QWidget | None = None):
        super().__init__(parent)
        self._cache = cache
        self._source: str | None = None
        self._caption = HINT  # the item's own caption, shown again once its image can be read
        self.image = QLabel()
        self.image.setFixedSize(SIZE, SIZE)
        self.image.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.caption = ElidedLabel(HINT)
        theme.muted(self.caption)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.image)
        layout.addWidget(self.caption, 1)
        cache.ready.connect(self._on_ready)

    def show_item(self, source: str | None, caption: str) -> None:
        self._source = source
        self._caption = caption  # (its name already as shown: ``shown_path`` by the caller)
        self.caption.setText(caption)
        self._refresh()

    def clear(self) -> None:
        self.show_item(None, HINT)
        self.cleared.emit()

    def source(self) -> str | None:
        return self._source

    def _refresh(self) -> None:
        if not self._source:
            self.image.clear()
            return
        pixmap = self._cache.pixmap(self._source, SIZE, self.devicePixelRatioF())
        if pixmap is not None:
            self.image.setPixmap(pixmap)
            self.caption.setText(self._caption)  # e.g. read again once its disk is back
        else:
            error = self._cache.error(self._source)
            self.image.setText("⚠" if error else "…")
            if error:  # on a line of its own: shortened to fit, the name keeps its end
                self.caption.setText(f"{shown_path(Path(self._source).name)}\n{error}")

    def _on_ready(self, source: str) -> None:
        if source == self._source:
            self._refresh()

    def event(self, event) -> bool:
        # Moved to a screen of another device pixel ratio: the image made anew at that one (the
        # gallery asks again by itself, as it repaints).
        if event.type() == QEvent.Type.DevicePixelRatioChange:
            self._refresh()
        return super().event(event)
