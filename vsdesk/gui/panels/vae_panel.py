"""VAE: the query's reconstruction, its anomaly score, and the clickable manifold map.

The panel reads the keys ``VaeEngine.describe`` returns, and only those: a key renamed there
fails the tests instead of leaving the panel silently empty.

Its verdicts are about the 28x28 grey silhouette a picture is reduced to, not the picture: the
words say so (a crop of a Monet was "Typical ... T-shirt/top" to a first-time reader), and a
line under the verdict says what the model knows.

The manifold map is not in the panel: with it, the panel needed ~570 px and had ~400 at 1024x680
(the map cut off, the note on what the model knows below the fold). It is a page of its own
(``map_page``), which the tab shows beside its catalog map (``ModePanel.side_page``).
"""

from __future__ import annotations

import html
from typing import Any

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QPalette, QPixmap
from PySide6.QtWidgets import QFrame, QGridLayout, QHBoxLayout, QLabel, QScrollArea, QVBoxLayout, QWidget

from vsdesk.engine.text import sentence
from vsdesk.engine.vae.engine import (
    CLASS_NAMES,
    LESS_USUAL_FROM,
    NO_OBJECT,
    SOMEWHAT_UNUSUAL_FROM,
    UNUSUAL_FROM,
    VOTE_K,
    anomaly_share,
    anomaly_verdict,
)
from vsdesk.engine.vae.nearness import high_note
from vsdesk.gui import theme
from vsdesk.gui.panels.base import ModePanel
from vsdesk.gui.placeholder import replace_placeholder

PREVIEW = 84
#: The manifold map's smallest side (pixels) in a window of the usual smallest size (1024x680):
#: its 20 x 20 decoded tiles stay big enough to tell apart and to click.
MAP_MIN = 280
#: The least it shrinks to in a window smaller still: its page's minimum is the window's, and
#: holding MAP_MIN there raised the window's smallest height from 543 to 593 px (a window asked
#: for 700x560 could not have it).
MAP_SMALLEST = 200


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


#: A tile with a picture: black, as Fashion-MNIST's backgrounds are; empty: a dashed frame on
#: the palette's base colour (``_empty_tile``), not a black square that reads as a dark picture.
TILE_SHOWN = "background:#111; border:1px solid #888;"


def _empty_tile() -> str:
    base = theme.colour(QPalette.ColorRole.Base)
    border = theme.mix(theme.colour(QPalette.ColorRole.Text), base, 0.6)
    return f"background:{theme.css(base)}; border:1px dashed {theme.css(border)};"


def set_tile(tile: QLabel, pixmap: QPixmap | None) -> None:
    if pixmap is None:
        tile.clear()
    else:
        tile.setPixmap(pixmap)
    _style_tile(tile)


def _style_tile(tile: QLabel) -> None:
    theme.set_sheet(tile, _empty_tile() if tile.pixmap().isNull() else TILE_SHOWN)


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
    theme.follow(image, lambda: _style_tile(image))
    caption = QLabel(title)
    caption.setWordWrap(True)  # a narrow panel wraps it, instead of widening past its scroll area
    caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
    theme.muted(caption, "font-size:11px;")
    caption.setToolTip(paragraphs(tip))
    return image, caption


def _note(text: str, tip: str) -> QLabel:
    """A small grey explanation, wrapped, with its detail in the tooltip."""
    label = QLabel(text)
    label.setWordWrap(True)
    theme.muted(label, "font-size:11px;")
    label.setToolTip(paragraphs(tip))
    return label


#: Always shown, right under the verdict: the model's verdicts on a photo or a painting read
#: right only when one knows what it has seen and what it judges (the review: a crop of Monet's
#: *Impression, Sunrise* came out as a "typical" T-shirt/top; Manet's bar scene as a "somewhat
#: unusual" T-shirt/top, with this note below the fold at 1024x680). One short line; the rest,
#: ``KNOWS_DETAIL`` and ``KNOWS_TIP``, in its tooltip.
KNOWS = "It knows only 10 kinds of clothing, shoes and bags, and judges the silhouette alone."
KNOWS_DETAIL = ("This model knows only Fashion-MNIST: 10 kinds of clothing, shoes and bags, as 28×28 grey "
                "pictures on a plain background. Your picture is reduced to such a silhouette (the left "
                "picture above) and only that is judged: a painting can make a typical T-shirt. It has seen "
                "items only upright, shoes with the toe to the left: a mirrored or turned item can read as "
                "another kind, or as unusual.")
KNOWS_TIP = ("The 10 kinds: " + ", ".join(CLASS_NAMES) + ".\n"
             "A photo or a painting is made small, grey and centred first (the left picture above): "
             "the item is what stands out from the picture's border colour, made light on black. "
             "Its category is then the nearest of the 10 kinds, however unlike them it is, and the line "
             "on how unusual it is says how well the model explains the silhouette, not your picture.")
CATEGORY_TIP = (f"The kind of item most of the {VOTE_K} training images nearest to the silhouette show "
                "(nearest in the model's own summary of a picture), and how many of them do.")
#: What the number on each result's second line in the gallery is ("test-08….png" over
#: "0.833 · Sandal"; "0.801 · Shirt" for a picture the catalog has no label for, with the type predicted).
#: Cosine similarities run from -1 to 1, and the review found "-0.471" under "1 = the same".
#: ``{example}``: the first result's own number (``results_hint_text``), so that the example is
#: one the gallery shows.
RESULTS_HINT = ("The number under each result's name{example}: how alike its silhouette is to yours, "
                "from 1 (the same) through 0 (nothing in common); below 0, less alike still.")
RESULTS_TIP = ("The cosine similarity of the two pictures' summaries in the model (the 32 numbers its "
               "encoder gives a 28×28 silhouette), from -1 to 1: 1 for the same summary, 0 for unrelated "
               "ones, below 0 for summaries that point the opposite way (the least alike). After the "
               "number is the result's label in the catalog, if it has one (Fashion-MNIST's own "
               "pictures do), or the type predicted for a picture without one.")
MAP_TIP = ("The model sums up every picture as a point on this plane; each small picture is what "
           "it draws at that place. The star is your picture. Click anywhere to see the item the "
           "model would draw there (the picture above the map), or move the square with the arrow keys "
           "and press Enter; scroll to zoom, drag to move; the "
           "button at the bottom left, or a new query, shows the whole map again.\n"
           "The two axes are the map's two latent dimensions (the numbers the model places a "
           "picture by), in standard deviations: 98 % of the training images lie within -2.5 to 2.5.")
#: What the panel says for a picture with nothing in it (``describe()``'s "object_found").
NO_OBJECT_TEXT = ("Nothing stands out from the background, so there is no silhouette to read as an "
                  "item or to judge.")


#: The left tile: the silhouette the model is given and judges.
INPUT_TITLE = "silhouette judged"
INPUT_TIP = ("Your picture as the model is given it, and the only thing it judges: 28×28 grey, the item "
             "made light on a black background, as Fashion-MNIST's pictures are.")
#: The left tile when no object was found: what was looked at, and not judged.
NO_OBJECT_TITLE = "looked at, not judged"
NO_OBJECT_TIP = ("Your picture reduced as the model would be given it: nothing stands out from its "
                 "background, so there is no silhouette and nothing was judged.")


#: The right tile: what the model draws at a point of the map.
DECODED_TIP = "The item the model draws at the point you last clicked on the map below."
#: The map's page's title, beside "Catalog map" in the tab's right-hand column.
MAP_PAGE_TITLE = "What the model learned"


class VaePanel(ModePanel):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.knows = _note(KNOWS, KNOWS_DETAIL + "\n" + KNOWS_TIP)
        self.input_image, input_caption = _tile(INPUT_TITLE, INPUT_TIP)
        self.input_caption = input_caption
        self.recon_image, recon_caption = _tile(
            "redrawn by the model", "What the model draws back from its summary of the silhouette (the VAE's "
            "reconstruction): close to the left picture when it knows this kind of item well.")
        tiles = QGridLayout()
        for col, (img, cap) in enumerate([(self.input_image, input_caption), (self.recon_image, recon_caption)]):
            tiles.addWidget(img, 0, col, Qt.AlignmentFlag.AlignCenter)
            tiles.addWidget(cap, 1, col)
        # Empty before a query: a lone "—" there was read out as "em dash". Its line's room is
        # kept, so the lines below do not jump at the first query.
        self.category = QLabel("")
        self.category.setWordWrap(True)
        self.category.setMinimumHeight(self.category.fontMetrics().lineSpacing())
        self._category = ""  # its text, as rich text made with the palette's grey (see _show_category)
        theme.follow(self.category, self._show_category)
        self.category.setToolTip(paragraphs(CATEGORY_TIP))
        self.anomaly = QLabel("")
        self.anomaly.setWordWrap(True)
        # room for its two lines from the start, so the lines below do not jump at the first query
        self.anomaly.setMinimumHeight(2 * self.anomaly.fontMetrics().lineSpacing())
        self.anomaly.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        # The second signal (engine/vae/nearness.py): are there training images like it at all?
        self.nearness = QLabel("")
        self.nearness.setWordWrap(True)
        self.nearness.hide()  # until a query with an object
        self.results_hint = _note(results_hint_text(None), RESULTS_TIP)
        self.results_hint.hide()  # until there are results (the catalog browsed shows no numbers)
        contents = QWidget()
        layout = QVBoxLayout(contents)
        layout.setContentsMargins(0, 0, 4, 0)
        layout.addLayout(tiles)
        layout.addWidget(self.category)
        layout.addWidget(self.anomaly)
        layout.addWidget(self.nearness)
        layout.addWidget(self.knows)  # next to the verdicts it qualifies
        layout.addWidget(self.results_hint)
        layout.addStretch(1)
        # Fits at 1024x680 (the map is on its own page); the scroll is for a window lower still.
        self.scroll = QScrollArea()
        self.scroll.setWidget(contents)
        self.scroll.setWidgetResizable(True)
        self.scroll.setAccessibleName("What the VAE saw")
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.scroll)
        self.map_page = self._make_map_page()

    def _make_map_page(self) -> QWidget:
        """The manifold map under the picture drawn at its clicked point and a line on what it is."""
        self.decoded_image, decoded_caption = _tile("clicked point", DECODED_TIP)
        self.decoded_caption = decoded_caption
        decoded_caption.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.map_hint = _note("Map of what the model learned: click a point (or use the arrow keys and Enter) "
                              "to see the item it would draw there",
                              MAP_TIP)
        self._map = None  # the ManifoldMap (pyqtgraph), created after the window's first paint
        page = QWidget()
        self._map_placeholder = QLabel("", page)
        self._map_placeholder.setMinimumHeight(MAP_SMALLEST)
        words = QVBoxLayout()
        words.addWidget(self.map_hint)
        words.addWidget(decoded_caption)
        words.addStretch(1)
        top = QHBoxLayout()
        top.addWidget(self.decoded_image, 0, Qt.AlignmentFlag.AlignTop)
        top.addLayout(words, 1)
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self._map_placeholder, 1)
        layout.addStretch(0)  # below the map, which grows no taller than its square grid
        return page

    def side_page(self) -> tuple[str, QWidget]:
        return MAP_PAGE_TITLE, self.map_page

    @property
    def map(self):
        if self._map is None:
            from vsdesk.gui.panels.manifold_map import ManifoldMap

            self._map = ManifoldMap()
            self._map.setMinimumHeight(MAP_SMALLEST)
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
        found = extras.get("object_found", True)
        # A blank has no silhouette: no redrawing of it, no category, verdict or place on the map.
        shown = ("input", "reconstruction") if found else ("input",)
        for key, tile in (("input", self.input_image), ("reconstruction", self.recon_image)):
            set_tile(tile, gray_pixmap(extras[key]) if key in extras and key in shown else None)
        # Nothing was judged: its picture, "silhouette judged", sat above "no silhouette to read".
        self._caption_input(*((INPUT_TITLE, INPUT_TIP) if found else (NO_OBJECT_TITLE, NO_OBJECT_TIP)))
        self._category = extras if found else f"<b>{html.escape(sentence(NO_OBJECT))}</b>"
        self._show_category()
        self.anomaly.setText(anomaly_text(extras) if found else NO_OBJECT_TEXT)
        self.anomaly.setToolTip(paragraphs(anomaly_tip(extras)) if found else "")
        near = extras.get("nearness") if found else None
        self.nearness.setText(nearness_text(near) if near else "")
        self.nearness.setToolTip(paragraphs(NEARNESS_TIP.format(definition=near["definition"])) if near else "")
        self.nearness.setVisible(bool(near))
        self.map.set_query(tuple(extras["map2d"]) if found else None)
        self.results_hint.setVisible(found)  # (a blank has no results)

    def show_first_score(self, score: float | None) -> None:
        self.results_hint.setText(results_hint_text(score))

    def clear(self) -> None:
        for label in (self.input_image, self.recon_image):
            set_tile(label, None)
        self._caption_input(INPUT_TITLE, INPUT_TIP)
        self._category = ""
        self._show_category()
        self.anomaly.clear()
        self.anomaly.setToolTip("")
        self.nearness.clear()
        self.nearness.hide()
        self.results_hint.hide()
        self.results_hint.setText(results_hint_text(None))
        self.map.set_query(None)

    def _caption_input(self, title: str, tip: str) -> None:
        self.input_caption.setText(title)
        for label in (self.input_image, self.input_caption):
            label.setToolTip(paragraphs(tip))

    def _show_category(self) -> None:
        """The category line, its counts in the palette's grey as it is now."""
        said = self._category
        self.category.setText(said if isinstance(said, str) else category_text(said))

    # -- the manifold map -----------------------------------------------------------------------
    def show_grid(self, grid: np.ndarray, extent) -> None:
        self.map.set_grid(grid, tuple(extent))

    def show_decoded(self, image: np.ndarray) -> None:
        set_tile(self.decoded_image, gray_pixmap(image))

    def show_decoded_point(self, facts: dict[str, Any]) -> None:
        """``Session.decode_point_facts``: the picture drawn at the clicked point, its place and
        the kind of item there under it (a click gave a picture, and no word of where or what)."""
        self.show_decoded(facts["pixels"])
        x, y = facts["point"]
        # The point kept on one line (a no-break space): "(-2.0," and "1.5)" wrapped apart.
        self.decoded_caption.setText(f"clicked point ({x:.1f},\u00a0{y:.1f}):\n{facts['category']}")
        tip = (f"{DECODED_TIP}\nAt latent dimension 1 = {x:.2f}, latent dimension 2 = {y:.2f}. "
               f"{facts['category']}: the kind {facts['count']} of the {facts['of']} training images "
               "placed nearest that point on the map show.")
        for label in (self.decoded_image, self.decoded_caption):
            label.setToolTip(paragraphs(tip))


def results_hint_text(first_score: float | None) -> str:
    """``RESULTS_HINT`` quoting the first result's number as the gallery shows it, or no example
    before there is a result."""
    return RESULTS_HINT.format(example="" if first_score is None else f" ({first_score:.3f} for the first)")


def category_text(extras: dict[str, Any]) -> str:
    """"Read as Sneaker (9 of the 10 nearest training images)", as the command line says it:
    counts say what a share ("90% of neighbours") did not, of how many."""
    category, votes = extras["category"], extras["votes"]
    return (f"Read as <b>{html.escape(category)}</b> <span style='color:{theme.css(theme.secondary_text())}'>"
            f"({votes[category]} of the {sum(votes.values())} nearest training images)</span>")


def anomaly_text(extras: dict[str, Any]) -> str:
    """"Its silhouette is typical: 38.0 % of the Fashion-MNIST training images are more unusual"
    (the verdict, on what, and the share; the score itself is in the tooltip, ``anomaly_tip``)."""
    p = float(extras["anomaly"]["percentile"])
    return f"Its silhouette is <b>{anomaly_verdict(p)}</b>: {anomaly_share(p)}"


#: The nearness line's detail: what it measures and how well it tells apart what the model has
#: not seen (the figures of scripts/vae_nearness_auroc.py, docs/vae.md).
NEARNESS_TIP = ("Whether the model has seen anything like the silhouette: how alike its 10 nearest training "
                "images are to it, compared with Fashion-MNIST's own test items (none of them in the training "
                "set). Clothing photos are often far from all of them too: it says the picture is unlike what "
                "the model knows, not that it is not clothing.\n"
                "Measured: it tells Fashion-MNIST's test items from handwritten digits with an AUROC of 0.988, "
                "from clothing photos 0.948, from paintings 0.982 (the line above: 0.959, 0.905, 0.950).\n"
                "The figure: {definition}.")


def nearness_text(near: dict[str, Any]) -> str:
    """"Its nearest training images are less alike to it than for 98.4 % of the Fashion-MNIST
    items." (``describe()``'s "nearness"), then, when that is high, what it means
    (``high_note``)."""
    percentile = float(near["percentile"])
    return (f"Its nearest training images are less alike to it than for <b>{percentile:.1f} %</b> "
            f"of the Fashion-MNIST items. {html.escape(high_note(percentile))}").rstrip()


def anomaly_tip(extras: dict[str, Any]) -> str:
    """The technical detail the label leaves out: the score, in describe()'s own definition."""
    anomaly = extras["anomaly"]
    p = float(anomaly["percentile"])
    return (f"How much of the silhouette the model fails to explain, compared with its training images "
            f"(more unusual than {LESS_USUAL_FROM:g} % of them: less usual than most; than "
            f"{SOMEWHAT_UNUSUAL_FROM:g} %: somewhat unusual; than {UNUSUAL_FROM:g} %: unusual).\n"
            f"Anomaly score {float(anomaly['score']):.1f} nats (higher: more unusual), {p:.1f} % of the "
            f"training images scoring lower. The score: {anomaly['definition']}.\n"
            f"ELBO: the VAE's evidence lower bound, how likely the model finds the picture.")
