"""What a screen reader and a keyboard user meet in the window: names, kinds, Tab stops."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAccessible
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLabel, QPushButton, QVBoxLayout, QWidget

from vsdesk.gui.catalog_bar import CatalogBar
from vsdesk.gui.main_window import MainWindow
from vsdesk.gui.message_bar import MessageBar
from vsdesk.gui.panels.style_panel import StylePanel
from vsdesk.gui.scatter import ScatterView
from vsdesk.gui.settings import Settings
from vsdesk.gui.thumbnails import ThumbnailCache

pytestmark = pytest.mark.gui


def said_name(widget: QWidget) -> str:
    return QAccessible.queryAccessibleInterface(widget).text(QAccessible.Text.Name)


def tab_stops(qtbot, first: QWidget, presses: int) -> list[QWidget]:
    """The widgets real presses of Tab give the focus to, from ``first``."""
    first.setFocus()
    qtbot.waitUntil(first.hasFocus, timeout=3000)
    stops = []
    for _ in range(presses):
        QTest.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        stops.append(QApplication.focusWidget())
    return stops


def test_the_catalog_combo_is_named_and_its_label_is_its_buddy(qtbot):
    bar = CatalogBar(settings=Settings())
    qtbot.addWidget(bar)
    label = next(w for w in bar.findChildren(QLabel) if w.text() == "Catalog:")
    assert label.buddy() is bar.combo
    assert bar.combo.accessibleName() == "Catalog"


def test_the_style_slider_says_what_it_weighs(qtbot):
    panel = StylePanel()
    qtbot.addWidget(panel)
    assert "style" in said_name(panel.slider) and "subject" in said_name(panel.slider)


def test_a_map_is_one_named_tab_stop(qtbot):
    top = QWidget()
    qtbot.addWidget(top)
    layout = QVBoxLayout(top)
    before, scatter, after = QPushButton("before"), ScatterView(ThumbnailCache()), QPushButton("after")
    for widget in (before, scatter, after):
        layout.addWidget(widget)
    top.show()
    qtbot.waitExposed(top)
    top.activateWindow()
    qtbot.waitActive(top)
    assert tab_stops(qtbot, before, 3) == [scatter.plot, after, before]
    assert said_name(scatter.plot) == "Catalog map"
    assert said_name(scatter.plot.viewport()) == "Catalog map"
    assert "legend" in scatter.plot.accessibleDescription()


@pytest.mark.parametrize("kind, word", [("error", "Error"), ("warning", "Warning"), ("info", "Note")])
def test_a_message_says_its_kind_in_words_and_by_an_icon_and_its_close_button_is_dismiss(qtbot, kind, word):
    bar = MessageBar()
    qtbot.addWidget(bar)
    bar.resize(600, 60)
    bar.show_message("The folder is gone.", kind)
    assert said_name(bar.label) == f"{word}: The folder is gone."
    assert said_name(bar) == f"{word} message"
    assert not bar.icon.pixmap().isNull()
    assert said_name(bar.close_button) == "Dismiss"
    bar.clear()
    assert bar.icon.pixmap().isNull() and said_name(bar.label) == ""


def test_each_tabs_gallery_and_panel_are_named(qtbot):
    window = MainWindow(autostart=False)
    qtbot.addWidget(window)
    for mode in ("style", "product", "vae"):
        tab = window.tab(mode)
        assert said_name(tab.gallery) == "Results"
        assert said_name(tab.panel)


def test_the_vae_tabs_two_maps_have_names_of_their_own(qtbot):
    """The VAE tab shows two maps, its catalog's and the model's latent plane: a screen reader
    said neither apart (the latent map had no name at all)."""
    from vsdesk.gui.panels.manifold_map import ManifoldMap

    latent, catalog = ManifoldMap(), ScatterView(ThumbnailCache())
    for widget in (latent, catalog):
        qtbot.addWidget(widget)
    names = {said_name(latent.plot), said_name(latent.plot.viewport()), said_name(catalog.plot)}
    assert names == {"Latent space map", "Catalog map"}
    assert "click" in latent.plot.accessibleDescription()


def _unnamed_controls(window: MainWindow) -> list[str]:
    """The shown widgets that Tab reaches with neither an accessible name nor a text of their
    own (a button's, a tab bar's tabs) for a screen reader to say."""
    from PySide6.QtWidgets import QAbstractButton, QTabBar

    unnamed = []
    for widget in window.findChildren(QWidget):
        if not widget.isVisible() or not widget.focusPolicy() & Qt.FocusPolicy.TabFocus:
            continue
        if widget.focusProxy() is not None:  # Tab gives the focus to its proxy, walked itself
            continue
        text = widget.text() if isinstance(widget, QAbstractButton) else ""
        if isinstance(widget, QTabBar):
            text = widget.tabText(widget.currentIndex())
        if not (widget.accessibleName() or text):
            unnamed.append(f"{type(widget).__name__} in {type(widget.parent()).__name__}")
    return unnamed


def test_every_control_tab_reaches_on_each_tab_has_a_name_or_a_text(qtbot):
    """The review found the kids' wear combo and the "Map colours" combo without a name."""
    window = MainWindow(autostart=False)
    qtbot.addWidget(window)
    window.resize(1400, 860)
    window.show()
    qtbot.waitExposed(window)
    for mode in ("style", "product", "vae"):
        tab = window.tab(mode)
        window.tabs.setCurrentWidget(tab)
        tab.colour_by.parentWidget().show()  # its row, as for a labelled catalog
        tab.scatter  # the map, as once a catalog is shown
        QApplication.processEvents()
        assert _unnamed_controls(window) == [], mode
    product = window.tab("product")
    assert product.panel.kids.accessibleName() and product.colour_by.accessibleName() == "Map colours"
    label = next(w for w in product.findChildren(QLabel) if w.text() == "Map colours:")
    assert label.buddy() is product.colour_by and product.colour_by.toolTip()


def _edge_colour(widget: QWidget):
    """The colour drawn at the middle of ``widget``'s left edge (its frame's place)."""
    return widget.grab().toImage().pixelColor(0, widget.height() // 2)


def test_the_gallery_and_the_map_show_a_frame_while_they_have_the_keyboard_focus(qtbot):
    """The review Tabbed into the gallery and the map and saw nothing change on screen."""
    from vsdesk.gui.gallery import GalleryView

    top = QWidget()
    qtbot.addWidget(top)
    layout = QVBoxLayout(top)
    before, gallery, scatter = QPushButton("before"), GalleryView(ThumbnailCache()), ScatterView(ThumbnailCache())
    for widget in (before, gallery, scatter):
        layout.addWidget(widget)
    top.resize(500, 700)
    top.show()
    qtbot.waitExposed(top)
    top.activateWindow()
    qtbot.waitActive(top)
    highlight = top.palette().color(top.palette().ColorGroup.Active, top.palette().ColorRole.Highlight)
    unfocused = {w: _edge_colour(w) for w in (gallery, scatter.plot)}
    assert highlight not in unfocused.values()
    before.setFocus()
    qtbot.waitUntil(before.hasFocus, timeout=3000)
    for stop in (gallery, scatter.plot):
        QTest.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        assert QApplication.focusWidget() is stop
        assert _edge_colour(stop) == highlight, type(stop).__name__
    assert _edge_colour(gallery) == unfocused[gallery]  # the focus has gone on to the map


def test_the_vae_panel_says_no_lone_dash_before_a_query_nor_after_one_is_cleared(qtbot):
    """Review53: a lone "—" stood under the VAE's two silhouettes before any query, read out as
    "em dash". Nothing is said there now, and the line keeps its room (the lines below do not
    jump at the first query)."""
    from vsdesk.gui.panels.vae_panel import VaePanel

    panel = VaePanel()
    qtbot.addWidget(panel)
    panel.resize(340, 500)
    panel.show()
    qtbot.waitExposed(panel)

    def dashes() -> list[str]:
        return [label.text() for label in panel.scroll.widget().findChildren(QLabel)
                if label.text().strip() in ("—", "-", "–")]

    assert dashes() == [] and said_name(panel.category) == ""
    assert panel.category.height() >= panel.category.fontMetrics().lineSpacing()
    panel.build_plots()
    panel.clear()  # a query gone (its file removed, the catalog changed)
    assert dashes() == [] and panel.category.text() == ""
