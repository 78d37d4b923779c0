"""VAE: the query's reconstruction, its anomaly score, and the clickable manifold map.

The panel reads the keys ``VaeEngine.describe`` returns, and only those: a key renamed there
fails the tests instead of leaving the panel silently empty.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QGridLayout, QLabel, QVBoxLayout

from vsdesk.engine.vae.engine import anomaly_verdict
from vsdesk.gui.panels.base import ModePanel
from vsdesk.gui.placeholder import replace_placeholder

PREVIEW = 84


def gray_pixmap(array, size: int = PREVIEW) -> QPixmap:
    """A 2-D array (0..1 floats or 0..255) as a crisp enlarged greyscale pixmap."""
    a = np.asarray(array, dtype=np.float32)
    a = np.squeeze(a)
    if a.max() <= 1.0:
        a = a * 255.0
    a = np.ascontiguousarray(np.clip(a, 0, 255).astype(np.uint8))
    h, w = a.shape[:2]
    image = QImage(a.data, w, h, w, QImage.Format.Format_Grayscale8).copy()
    return QPixmap.fromImage(image).scaled(
        size, size, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.FastTransformation
    )


#: A tile with a picture: black, as Fashion-MNIST's backgrounds are; empty: a light, dashed
#: frame, not a black square that reads as a dark picture.
TILE_SHOWN = "background:#111; border:1px solid #888;"
TILE_EMPTY = "background:#f4f4f4; border:1px dashed #aaa;"


def set_tile(tile: QLabel, pixmap: QPixmap | None) -> None:
    if pixmap is None:
        tile.clear()
    else:
        tile.setPixmap(pixmap)
    tile.setStyleSheet(TILE_EMPTY if pixmap is None else TILE_SHOWN)


def _tile(title: str) -> tuple[QLabel, QLabel]:
    image = QLabel()
    image.setFixedSize(PREVIEW, PREVIEW)
    image.setAlignment(Qt.AlignmentFlag.AlignCenter)
    set_tile(image, None)
    caption = QLabel(title)
    caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
    caption.setStyleSheet("color:#555; font-size:11px;")
    return image, caption


class VaePanel(ModePanel):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.input_image, input_caption = _tile("as the VAE sees it")
        self.recon_image, recon_caption = _tile("reconstruction")
        self.decoded_image, decoded_caption = _tile("clicked point")
        tiles = QGridLayout()
        for col, (img, cap) in enumerate(
            [(self.input_image, input_caption), (self.recon_image, recon_caption), (self.decoded_image, decoded_caption)]
        ):
            tiles.addWidget(img, 0, col, Qt.AlignmentFlag.AlignCenter)
            tiles.addWidget(cap, 1, col)
        self.category = QLabel("—")
        self.anomaly = QLabel("")
        self.anomaly.setWordWrap(True)
        # room for its two lines from the start, so the map below does not jump at the first query
        self.anomaly.setMinimumHeight(2 * self.anomaly.fontMetrics().lineSpacing())
        self.anomaly.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self._map = None  # the ManifoldMap (pyqtgraph), created after the window's first paint
        self._map_placeholder = QLabel("")
        self._map_placeholder.setMinimumHeight(150)
        self.map_hint = QLabel("Manifold map: click anywhere to decode that point")
        self.map_hint.setStyleSheet("color:#555; font-size:11px;")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(tiles)
        layout.addWidget(self.category)
        layout.addWidget(self.anomaly)
        layout.addWidget(self.map_hint)
        layout.addWidget(self._map_placeholder, 1)

    @property
    def map(self):
        if self._map is None:
            from vsdesk.gui.panels.manifold_map import ManifoldMap

            self._map = ManifoldMap()
            self._map.setMinimumHeight(150)
            self._map.point_clicked.connect(self.decode_requested)
            replace_placeholder(self._map_placeholder, self._map)
        return self._map

    def build_plots(self) -> None:
        self.map  # noqa: B018 - creates it

    # -- query facts ------------------------------------------------------------------------
    def show_extras(self, extras: dict[str, Any]) -> None:
        # The pictures are decoded from describe()'s "input_png" and "reconstruction_png" by
        # decode_extras, which leaves out one it cannot decode: the facts are still shown.
        for key, tile in (("input", self.input_image), ("reconstruction", self.recon_image)):
            set_tile(tile, gray_pixmap(extras[key]) if key in extras else None)
        self.category.setText(f"<b>{extras['category']}</b> <span style='color:#666'>"
                              f"({100 * float(extras['confidence']):.0f}% of neighbours)</span>")
        self.anomaly.setText(anomaly_text(extras))
        self.map.set_query(tuple(extras["map2d"]))

    def clear(self) -> None:
        for label in (self.input_image, self.recon_image):
            set_tile(label, None)
        self.category.setText("—")
        self.anomaly.clear()
        self.map.set_query(None)

    # -- the manifold map -----------------------------------------------------------------------
    def show_grid(self, grid: np.ndarray, extent) -> None:
        self.map.set_grid(grid, tuple(extent))

    def show_decoded(self, image: np.ndarray) -> None:
        set_tile(self.decoded_image, gray_pixmap(image))


def anomaly_text(extras: dict[str, Any]) -> str:
    p, score = float(extras["anomaly"]["percentile"]), float(extras["anomaly"]["score"])
    return (f"Anomaly: <b>{p:.1f}th percentile</b> of the training images — {anomaly_verdict(p)}"
            f" · −ELBO {score:.1f} nats")
