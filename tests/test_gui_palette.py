"""The window in a dark palette (a dark KDE scheme, qt6ct): its text reads, measured on the
pixels drawn, and its own panels (message bars, maps, the drop zone) are as dark as the palette.

A user review found captions, the map legend and every message bar unreadable there: their
colours were written down for a light palette. The contrast here is WCAG 2's ratio between a
text's colour and its background, both read from the window as drawn.
"""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QRect
from PySide6.QtGui import QColor, QImage, QPalette
from PySide6.QtWidgets import QApplication, QWidget

from conftest import REPO, STYLE_DIR, settle
from vsdesk.gui import theme
from vsdesk.gui.main_window import MainWindow

pytestmark = pytest.mark.gui

#: The review's dark palette, as its sitecustomize.py set it on the application.
DARK = {
    "Window": "#2b2b2b", "WindowText": "#e8e8e8", "Base": "#1e1e1e", "AlternateBase": "#333333",
    "Text": "#e8e8e8", "Button": "#3a3a3a", "ButtonText": "#e8e8e8", "ToolTipBase": "#3a3a3a",
    "ToolTipText": "#e8e8e8", "Highlight": "#2f7de1", "HighlightedText": "#ffffff",
    "PlaceholderText": "#9a9a9a", "Link": "#6aa8ff",
}
#: WCAG's contrast level for body text, which every text measured must reach.
BODY = theme.TEXT_CONTRAST


def review_dark_palette() -> QPalette:
    pal = QPalette()
    for role, value in DARK.items():
        pal.setColor(getattr(QPalette.ColorRole, role), QColor(value))
    for role in (QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText, QPalette.ColorRole.WindowText):
        pal.setColor(QPalette.ColorGroup.Disabled, role, QColor("#777777"))
    return pal


@pytest.fixture
def app_palette(qapp):
    """Sets the application's palette for a test; the session's own is restored after it."""
    before = QPalette(qapp.palette())
    yield qapp.setPalette
    qapp.setPalette(before)


def _pixels(window: QWidget) -> np.ndarray:
    """The window as drawn: an (h, w, 3) array of RGB, one row per device pixel."""
    image = window.grab().toImage().convertToFormat(QImage.Format.Format_RGB888)
    width, height = image.width(), image.height()
    data = np.frombuffer(image.constBits(), np.uint8, count=image.bytesPerLine() * height)
    return data.reshape(height, image.bytesPerLine())[:, : width * 3].reshape(height, width, 3).copy()


def _luminance(rgb: np.ndarray) -> np.ndarray:
    v = rgb.astype(np.float64) / 255
    v = np.where(v <= 0.04045, v / 12.92, ((v + 0.055) / 1.055) ** 2.4)
    return v @ np.array([0.2126, 0.7152, 0.0722])


def drawn_contrast(pixels: np.ndarray, window: QWidget, widget: QWidget, rect: QRect | None = None,
                   greys: bool = False) -> float:
    """The contrast of what ``widget`` draws (in ``rect`` of it) as the window shows it: its
    background is the colour most of the area has, its text the colour there that stands out
    most from that (a glyph's core, where antialiasing leaves its colour whole). ``greys``: the
    text is grey, and coloured pixels (the legend's bullets) are not text."""
    rect = rect or widget.rect()
    scale = window.devicePixelRatioF()
    top_left = widget.mapTo(window, rect.topLeft())
    x0, y0 = int(top_left.x() * scale), int(top_left.y() * scale)
    area = pixels[y0: y0 + int(rect.height() * scale), x0: x0 + int(rect.width() * scale)].reshape(-1, 3)
    assert len(area), f"{widget} is not in the window"
    colours, counts = np.unique(area, axis=0, return_counts=True)
    background = _luminance(colours[np.argmax(counts)])
    if greys:
        colours = colours[np.ptp(colours.astype(int), axis=1) < 24]
    lum = _luminance(colours)
    ratios = (np.maximum(lum, background) + 0.05) / (np.minimum(lum, background) + 0.05)
    return float(ratios.max())


def background_of(pixels: np.ndarray, window: QWidget, widget: QWidget) -> QColor:
    """The colour most of ``widget``'s area has, as drawn."""
    return background_of_rect(pixels, window, widget, widget.rect())


def background_of_rect(pixels: np.ndarray, window: QWidget, widget: QWidget, rect: QRect) -> QColor:
    """The colour most of ``rect`` of ``widget`` has, as drawn."""
    scale = window.devicePixelRatioF()
    top_left = widget.mapTo(window, rect.topLeft())
    x0, y0 = int(top_left.x() * scale), int(top_left.y() * scale)
    area = pixels[y0: y0 + int(rect.height() * scale), x0: x0 + int(rect.width() * scale)].reshape(-1, 3)
    colours, counts = np.unique(area, axis=0, return_counts=True)
    return QColor(*(int(v) for v in colours[np.argmax(counts)]))


def _fill(window: MainWindow) -> None:
    """What the review saw: counts, captions, a product query's facts, the VAE's notes, a map."""
    for mode in ("style", "product", "vae"):
        tab = window.tab(mode)
        tab.catalog_bar.set_status("10978 images")
        tab.query_area.set_caption("q_worn_astronaut.png")
    product = window.tab("product").panel
    product.show_extras({
        "predicted": "T-Shirt",
        "classes": [{"label": "T-Shirt", "probability": 0.33}, {"label": "Longsleeve", "probability": 0.19}],
        "kids": 0.0, "model": "product", "backbone": "efficientnet-lite0",
        "familiarity": {"typicality": 0.0, "unfamiliar": True},
    })
    window.tab("style").panel.info.setText("Style is the artwork's brushwork and colour; subject is what it shows.")
    scatter = window.tab("product").scatter
    xy = np.random.default_rng(0).normal(size=(60, 2)).astype(np.float32)
    scatter.set_points(xy, np.arange(60) % 3, ["Blazer", "T-Shirt", "Undershirt"])
    scatter.set_status("Computing the map: t-SNE 25%")


def _checked(qtbot, window: MainWindow, mode: str) -> dict[str, float]:
    """The contrast of each text the review named on ``mode``'s tab, drawn."""
    window.tabs.setCurrentWidget(window.tab(mode))
    tab = window.tab(mode)
    settle(window)  # laid out and painted
    pixels = _pixels(window)
    measured = {
        "catalog count": drawn_contrast(pixels, window, tab.catalog_bar.status),
        "query caption": drawn_contrast(pixels, window, tab.query_area.caption),
        "preview caption": drawn_contrast(pixels, window, tab.preview.caption),
        "drop zone": drawn_contrast(pixels, window, tab.query_area.image_label),
    }
    if mode == "product":
        panel, scatter = tab.panel, tab.scatter
        bars = panel.bars
        names = QRect(0, 0, int(min(110, bars.width() * 0.42)), bars.height())
        measured |= {
            "class names": drawn_contrast(pixels, window, bars, names),
            "class percentages": drawn_contrast(pixels, window, bars, QRect(bars.width() - 44, 0, 44, bars.height())),
            "unfamiliar note": drawn_contrast(pixels, window, panel.unfamiliar),
            "class predicted": drawn_contrast(pixels, window, panel.predicted, QRect(  # its name, not its share
                0, 0, panel.predicted.fontMetrics().horizontalAdvance("T-Shirt"), panel.predicted.height())),
            "model line": drawn_contrast(pixels, window, panel.model_info),
            "map legend": drawn_contrast(pixels, window, scatter.legend, greys=True),
        }
        status = scatter.plot.mapFromScene(scatter._status.sceneBoundingRect()).boundingRect()  # noqa: SLF001
        measured["map status"] = drawn_contrast(pixels, window, scatter.plot, status)
    elif mode == "vae":
        panel = tab.panel
        panel.scroll.ensureWidgetVisible(panel.knows)
        settle(window)
        pixels = _pixels(window)
        measured["VAE explanation"] = drawn_contrast(pixels, window, panel.knows)
    elif mode == "style":
        measured["style note"] = drawn_contrast(pixels, window, tab.panel.info)
    return measured


def _message_bars(qtbot, window: MainWindow) -> dict[str, float]:
    tab = window.tab("style")
    window.tabs.setCurrentWidget(tab)
    measured = {}
    for kind in ("info", "warning", "error"):
        tab.messages.show_message(f"A message of the kind {kind}: it reads on its bar.", kind,
                                  action=("Search", lambda: None))
        settle(window)
        pixels = _pixels(window)
        measured[f"{kind} bar"] = drawn_contrast(pixels, window, tab.messages.label)
        close = tab.messages.findChildren(type(tab.messages.details_button))[-1]
        measured[f"{kind} bar's ✕"] = drawn_contrast(pixels, window, close)
        measured[f"{kind} bar's button"] = drawn_contrast(pixels, window, tab.messages.action_button)
    return measured


@pytest.mark.parametrize("when", ["light", "dark", "dark after start"])
def test_every_text_reads_in_a_light_and_a_dark_palette_and_after_a_switch(qtbot, app_palette, when):
    """Each text the review found unreadable in a dark palette, measured as drawn: at least
    WCAG's 4.5:1 against the background it is drawn on, in the light palette, the dark one, and
    the dark one set while the window is open (a desktop switched to its dark scheme)."""
    if when == "dark":
        app_palette(review_dark_palette())
    window = MainWindow(autostart=False)
    qtbot.addWidget(window)
    window.resize(1400, 900)
    window.show()
    qtbot.waitExposed(window)
    _fill(window)
    if when == "dark after start":
        for mode in ("style", "product", "vae"):  # each tab shown, so its widgets are polished in the light palette
            window.tabs.setCurrentWidget(window.tab(mode))
            settle(window)
        app_palette(review_dark_palette())
    measured = _message_bars(qtbot, window)
    for mode in ("style", "product", "vae"):
        measured |= _checked(qtbot, window, mode)
    unreadable = {what: round(ratio, 2) for what, ratio in measured.items() if ratio < BODY}
    assert not unreadable, f"{when}: {unreadable}"
    if when != "light":  # the window's own panels are dark with the palette, not left white
        window.tabs.setCurrentWidget(window.tab("product"))
        tab = window.tab("product")
        settle(window)
        pixels = _pixels(window)
        for name, widget in (("map", tab.scatter.plot), ("drop zone", tab.query_area.image_label),
                             ("message bar", tab.messages)):
            if widget is tab.messages:
                tab.messages.show_message("x", "info")
                settle(window)
                pixels = _pixels(window)
            assert background_of(pixels, window, widget).lightnessF() < 0.35, name
    window.close()


def test_a_dark_colour_scheme_the_platform_reports_darkens_a_light_palette(qtbot, app_palette):
    """Where the platform says its colour scheme is dark (Qt 6.5+) but its theme leaves the
    palette light (Qt's generic theme), the window takes a dark palette, and its own back when
    the scheme turns light. (The platform's report is the boundary: its signal is emitted here.)"""
    from PySide6.QtCore import Qt

    app = QApplication.instance()
    light = QPalette(app.palette())
    assert not theme.is_dark(light)
    follower = theme.ColourScheme(app)
    app.styleHints().colorSchemeChanged.emit(Qt.ColorScheme.Dark)
    assert theme.is_dark(app.palette())
    app.styleHints().colorSchemeChanged.emit(Qt.ColorScheme.Light)
    assert app.palette().color(QPalette.ColorRole.Window) == light.color(QPalette.ColorRole.Window)
    follower.deleteLater()


def _breeze_dark() -> QPalette:
    """scripts/dark_desktop.py's palette (KDE's Breeze Dark), as the review53 ran the window."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("dark_desktop", REPO / "scripts" / "dark_desktop.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.dark_palette()


@pytest.mark.parametrize("palette", ["light", "Breeze Dark", "review dark"])
def test_the_selected_results_caption_reads_on_the_highlight(qtbot, app_palette, palette):
    """Review53: with Breeze Dark the selected result's caption was white on #3daee9, 2.4:1. The
    colours the gallery's delegate gives the caption, and the caption as drawn, reach 4.5:1 on
    the highlight, with the light palette the tests run with and with two dark ones."""
    from PySide6.QtWidgets import QStyleOptionViewItem

    from vsdesk.gui.gallery import GalleryItem, GalleryView
    from vsdesk.gui.thumbnails import ThumbnailCache

    if palette == "Breeze Dark":
        app_palette(_breeze_dark())
    elif palette == "review dark":
        app_palette(review_dark_palette())
    gallery = GalleryView(ThumbnailCache(), thumb_size=96)
    qtbot.addWidget(gallery)
    gallery.resize(520, 420)
    gallery.show()
    qtbot.waitExposed(gallery)
    photos = sorted(STYLE_DIR.glob("*.jpg"))[:3]
    gallery.set_items([GalleryItem(i, str(p), str(p), 0.5, "cubism") for i, p in enumerate(photos)])
    index = gallery.results.index(1)
    gallery.setCurrentIndex(index)
    option = QStyleOptionViewItem()
    option.initFrom(gallery.viewport())
    gallery.itemDelegate().initStyleOption(option, index)
    for group in (QPalette.ColorGroup.Active, QPalette.ColorGroup.Inactive):
        text, highlight = (option.palette.color(group, role) for role in (QPalette.ColorRole.HighlightedText,
                                                                           QPalette.ColorRole.Highlight))
        assert theme.contrast(text, highlight) >= BODY, (group, text.name(), highlight.name())
    settle(gallery)
    pixels = _pixels(gallery)
    cell = gallery.visualRect(index)
    lines = 2 * gallery.fontMetrics().lineSpacing()
    caption = QRect(cell.left() + 4, cell.bottom() - lines, cell.width() - 8, lines)
    assert drawn_contrast(pixels, gallery, gallery.viewport(), caption) >= BODY
    highlight = option.palette.color(QPalette.ColorGroup.Active, QPalette.ColorRole.Highlight)
    # What it was measured on is the selection (the style draws it a shade off the highlight).
    assert theme.contrast(background_of_rect(pixels, gallery, gallery.viewport(), caption), highlight) < 1.15
