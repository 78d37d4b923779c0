"""VAE: the query's reconstruction, its anomaly score, and the clickable manifold map.

The panel reads the keys ``VaeEngine.describe`` returns, and only those: a key renamed there
fails the tests instead of leaving the panel silently empty.
"""

from __future__ import annotations

import html
from typing import Any

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QGridLayout, QLabel, QVBoxLayout

from vsdesk.engine.text import sentence
from vsdesk.engine.vae.engine import CLASS_NAMES, VOTE_K, anomaly_share, anomaly_verdict
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


def paragraphs(text: str) -> str:
    """A tooltip as rich text, one paragraph a line: Qt wraps a rich-text tooltip, and shows a
    plain one as a single line as wide as the screen."""
    return "".join(f"<p>{html.escape(line, quote=False)}</p>" for line in text.splitlines())


def _tile(title: str, tip: str) -> tuple[QLabel, QLabel]:
    image = QLabel()
    image.setToolTip(paragraphs(tip))
    image.setFixedSize(PREVIEW, PREVIEW)
    image.setAlignment(Qt.AlignmentFlag.AlignCenter)
    set_tile(image, None)
    caption = QLabel(title)
    caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
    caption.setStyleSheet("color:#555; font-size:11px;")
    caption.setToolTip(paragraphs(tip))
    return image, caption


#: Always shown: the model's verdicts on a photo or a painting read right only when one knows
#: what it has seen (the review: Monet's *Impression, Sunrise* came out as a "typical" Sneaker).
KNOWS = ("This model knows only Fashion-MNIST: 10 kinds of clothing, shoes and bags, as small "
         "28×28 grey pictures centred on a plain background. Any picture is read as one of them.")
KNOWS_TIP = ("The 10 kinds: " + ", ".join(CLASS_NAMES) + ".\n"
             "A photo or a painting is made small, grey and centred first (the left picture below); "
             "its category is then the nearest of these, however unlike them it is; "
             "the line on how unusual it is for the model says how far to trust that.")
CATEGORY_TIP = (f"The kind of item most of the {VOTE_K} training images nearest to this picture show "
                "(nearest in the model's own summary of a picture), and how many of them do.")
MAP_TIP = ("The model sums up every picture as a point on this plane; each small picture is what "
           "it draws at that place. The star is your picture. Click anywhere to see the item the "
           "model would draw there; scroll to zoom, drag to move; the button at the bottom left "
           "shows the whole map again.")


class VaePanel(ModePanel):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.knows = QLabel(KNOWS)
        self.knows.setWordWrap(True)
        self.knows.setStyleSheet("color:#555; font-size:11px;")
        self.knows.setToolTip(paragraphs(KNOWS_TIP))
        self.input_image, input_caption = _tile(
            "as the model sees it", "Your picture as the model is given it: 28×28 grey, the item made light "
            "on a black background, as Fashion-MNIST's pictures are.")
        self.recon_image, recon_caption = _tile(
            "redrawn by the model", "What the model draws back from its summary of your picture (the VAE's "
            "reconstruction): close to the left picture when it knows this kind of item well.")
        self.decoded_image, decoded_caption = _tile(
            "clicked point", "The item the model draws at the point you last clicked on the map below.")
        tiles = QGridLayout()
        for col, (img, cap) in enumerate(
            [(self.input_image, input_caption), (self.recon_image, recon_caption), (self.decoded_image, decoded_caption)]
        ):
            tiles.addWidget(img, 0, col, Qt.AlignmentFlag.AlignCenter)
            tiles.addWidget(cap, 1, col)
        self.category = QLabel("—")
        self.category.setToolTip(paragraphs(CATEGORY_TIP))
        self.anomaly = QLabel("")
        self.anomaly.setWordWrap(True)
        # room for its two lines from the start, so the map below does not jump at the first query
        self.anomaly.setMinimumHeight(2 * self.anomaly.fontMetrics().lineSpacing())
        self.anomaly.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self._map = None  # the ManifoldMap (pyqtgraph), created after the window's first paint
        self._map_placeholder = QLabel("")
        self._map_placeholder.setMinimumHeight(150)
        self.map_hint = QLabel("Map of what the model learned: click a point to see the item it would draw there")
        self.map_hint.setWordWrap(True)
        self.map_hint.setStyleSheet("color:#555; font-size:11px;")
        self.map_hint.setToolTip(paragraphs(MAP_TIP))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.knows)
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
            self._map.setToolTip(paragraphs(MAP_TIP))
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
        self.category.setText(category_text(extras))
        self.anomaly.setText(anomaly_text(extras))
        self.anomaly.setToolTip(paragraphs(anomaly_tip(extras)))
        self.map.set_query(tuple(extras["map2d"]))

    def clear(self) -> None:
        for label in (self.input_image, self.recon_image):
            set_tile(label, None)
        self.category.setText("—")
        self.anomaly.clear()
        self.anomaly.setToolTip("")
        self.map.set_query(None)

    # -- the manifold map -----------------------------------------------------------------------
    def show_grid(self, grid: np.ndarray, extent) -> None:
        self.map.set_grid(grid, tuple(extent))

    def show_decoded(self, image: np.ndarray) -> None:
        set_tile(self.decoded_image, gray_pixmap(image))


def category_text(extras: dict[str, Any]) -> str:
    """"Sneaker (9 of the 10 nearest training images)", as the command line says it: counts say
    what a share ("90% of neighbours") did not, of how many."""
    category, votes = extras["category"], extras["votes"]
    return (f"<b>{category}</b> <span style='color:#666'>"
            f"({votes[category]} of the {sum(votes.values())} nearest training images)</span>")


def anomaly_text(extras: dict[str, Any]) -> str:
    """"Typical: 8.0 % of the Fashion-MNIST training images are more unusual" (the verdict
    and the share; the score itself is in the tooltip, ``anomaly_tip``)."""
    p = float(extras["anomaly"]["percentile"])
    verdict = anomaly_verdict(p)
    return f"<b>{sentence(verdict)}</b>: {anomaly_share(p)}"


def anomaly_tip(extras: dict[str, Any]) -> str:
    """The technical detail the label leaves out: the score, in describe()'s own definition."""
    anomaly = extras["anomaly"]
    p = float(anomaly["percentile"])
    return (f"How much of this picture the model fails to explain, compared with its training images "
            f"(more unusual than 95 % of them: somewhat unusual; than 99 %: unusual).\n"
            f"Anomaly score {float(anomaly['score']):.1f} nats (higher: more unusual), {p:.1f} % of the "
            f"training images scoring lower. The score: {anomaly['definition']}.\n"
            f"ELBO: the VAE's evidence lower bound, how likely the model finds the picture.")
