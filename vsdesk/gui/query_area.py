"""The query area of a tab: shows the query image; Open and Paste buttons; a drop target.

It only reports what the user chose (a file, clipboard image data); the tab decides what to do.
The image shown is decoded off-thread by the tab and handed in with ``set_image``.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QImage, QPalette, QPixmap
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSizePolicy, QVBoxLayout, QWidget

from vsdesk.gui import theme
from vsdesk.gui.elided_label import ElidedLabel

#: Searching with an image of the catalog is in the gallery's right-click menu: said here, where
#: a new user looks first (double-click opens the image in the desktop's viewer).
#: Lines no wider than "or use Open / Paste": the drop zone's smallest width (120 px). Each line
#: a phrase of its own: broken mid-phrase ("one of / the images beside") it read awkwardly at
#: every size, the zone being wider than the lines.
DROP_HINT = "Drop an image here\nor use Open / Paste\n\nor right-click\nan image beside\nto search with it"


class QueryArea(QWidget):
    open_requested = Signal()
    paste_requested = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.image_label = QLabel(DROP_HINT)
        self.image_label.setObjectName("DropZone")
        self.image_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.image_label.setMinimumSize(120, 120)  # a small screen still fits the VAE tab
        self.image_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)  # no resize feedback
        self._drag_over = False
        theme.follow(self.image_label, self._colour_drop_zone)
        self.caption = ElidedLabel("")
        theme.muted(self.caption)
        self.open_button = QPushButton("Open…")
        self.open_button.setToolTip("Open an image file (Ctrl+O)")
        self.paste_button = QPushButton("Paste")
        self.paste_button.setToolTip("Search with the image or file path on the clipboard (Ctrl+V)")
        self.open_button.clicked.connect(self.open_requested)
        self.paste_button.clicked.connect(self.paste_requested)
        buttons = QHBoxLayout()
        buttons.setContentsMargins(0, 0, 0, 0)
        buttons.addWidget(self.open_button)
        buttons.addWidget(self.paste_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.image_label, 1)
        layout.addWidget(self.caption)
        layout.addLayout(buttons)
        self._pixmap: QPixmap | None = None

    def set_image(self, image: QImage | None, caption: str = "", state: str = "") -> None:
        self._pixmap = QPixmap.fromImage(image) if image is not None and not image.isNull() else None
        self.set_caption(caption, state)
        self._rescale()

    def set_caption(self, caption: str, state: str = "", tooltip: str = "") -> None:
        """``caption`` (the query's name), then `` — state`` ("searching…"): where both do not
        fit, the name is shortened, not the words of the state; ``tooltip`` says more on hover."""
        self.caption.set_text(caption, tail=f" — {state}" if state else "", tooltip=tooltip)

    def set_drag_highlight(self, on: bool) -> None:
        self._drag_over = on
        self._colour_drop_zone()

    def drag_highlighted(self) -> bool:
        return self._drag_over

    def _colour_drop_zone(self) -> None:
        """On the palette's base colour, its dashed border in the highlight colour while a drag
        is over it."""
        border = (theme.colour(QPalette.ColorRole.Highlight) if self._drag_over
                  else theme.mix(theme.colour(QPalette.ColorRole.Text), theme.colour(QPalette.ColorRole.Base), 0.55))
        theme.set_sheet(self.image_label, f"#DropZone {{ border: 2px dashed {theme.css(border)}; border-radius: 8px; "
                                          f"{theme.base_sheet()} }}")

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._rescale()

    def _rescale(self) -> None:
        if self._pixmap is None:
            self.image_label.setPixmap(QPixmap())
            self.image_label.setText(DROP_HINT)
            return
        size = self.image_label.contentsRect().size()
        self.image_label.setPixmap(
            self._pixmap.scaled(size, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation)
        )
