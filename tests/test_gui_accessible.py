"""What a screen reader and a keyboard user meet in the window: names, kinds, Tab stops."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAccessible, QAction, QKeySequence
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLabel, QMenu, QPushButton, QVBoxLayout, QWidget

from conftest import STYLE_DIR
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
    label = next(w for w in bar.findChildren(QLabel) if w.text() == "&Catalog:")
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
    label = next(w for w in product.findChildren(QLabel) if w.text() == "&Map colours:")
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


# -- the keyboard's letters, names, the list of keys (review53) -----------------------------------

def _menu_key_problems(menu: QMenu, where: str) -> list[str]:
    """Each entry of ``menu`` (and of its submenus) with text and no "&" letter, or with one
    another entry of the same menu has: the letter would then not say which."""
    problems, seen = [], {}
    for action in menu.actions():
        if action.isSeparator() or not action.text():
            continue
        key = QKeySequence.mnemonic(action.text()).toString()
        if not key:
            problems.append(f"{where} › {action.text()!r}: no key")
        elif key in seen:
            problems.append(f"{where} › {action.text()!r}: {key}, as {seen[key]!r}")
        else:
            seen[key] = action.text()
        if action.menu() is not None:
            problems += _menu_key_problems(action.menu(), f"{where} › {action.text()}")
    return problems


def _shown_window(qtbot) -> MainWindow:
    window = MainWindow(autostart=False)
    qtbot.addWidget(window)
    window.resize(1400, 860)
    window.show()
    qtbot.waitExposed(window)
    window._build_plots()  # the maps, as after the first paint
    window.activateWindow()
    qtbot.waitActive(window)
    return window


def _popup_menu_of(qtbot, widget: QWidget) -> QMenu:
    """The menu Shift+F10 opens on ``widget`` (it has the keyboard focus)."""
    widget.setFocus()
    qtbot.waitUntil(widget.hasFocus, timeout=3000)
    QTest.keyClick(widget, Qt.Key.Key_F10, Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: isinstance(QApplication.activePopupWidget(), QMenu), timeout=3000)
    return QApplication.activePopupWidget()


def test_every_menu_entry_has_a_key_letter_no_other_entry_of_its_menu_has(qtbot, tmp_path):
    """The review: no menu entry had an underlined letter, the way a keyboard user picks one in
    an open menu. Every menu of the window: the menu bar's, the Folders menu (with its Forget
    entries), a result's menu and the map's."""
    from vsdesk.gui.gallery import GalleryItem

    window = _shown_window(qtbot)
    problems = _menu_key_problems(window.menuBar(), "menu bar")
    folders = [str(tmp_path / "a&b"), str(tmp_path / "shoes")]
    for mode in ("style", "product", "vae"):
        tab = window.tab(mode)
        window.tabs.setCurrentWidget(tab)
        tab.catalog_bar.set_catalog("mine & yours", tuple(folders), is_sample=False, model="product/mine")
        problems += _menu_key_problems(tab.catalog_bar.menu, f"{mode} Folders")
        assert len(tab.catalog_bar.forget_actions()) == 2
        photo = next(STYLE_DIR.glob("*.jpg"))
        problems += _menu_key_problems(tab.gallery.result_menu(GalleryItem(0, str(photo), str(photo), 0.5)),
                                       f"{mode} result")
    scatter = window.tab("style").scatter
    window.tabs.setCurrentWidget(window.tab("style"))
    menu = _popup_menu_of(qtbot, scatter.plot)
    problems += _menu_key_problems(menu, "map")
    menu.close()
    assert problems == []
    # A name's own "&" is shown, not taken as the entry's letter.
    assert window.tab("product").catalog_bar.add_action.text() == "&Add a folder to “mine && yours”…"


def test_alt_and_a_letter_goes_to_the_catalog_list_the_map_colours_list_and_the_folders_menu_and_no_letter_is_twice(
        qtbot):
    """The review: the "Catalog:" and "Map colours:" labels named their lists but gave no key to
    them, nor had the Folders button of the catalog line one. Their Alt+letters clash with no
    menu's, tab's nor other button's."""
    from PySide6.QtWidgets import QAbstractButton

    window = _shown_window(qtbot)
    for mode in ("style", "product"):  # "Folders", "Folders & model"
        tab = window.tab(mode)
        window.tabs.setCurrentWidget(tab)
        window.activateWindow()  # (again after the menu of the tab before)
        qtbot.waitActive(window)
        tab.colour_by.parentWidget().show()  # its row, as for a labelled catalog
        labels = [w.text() for w in tab.findChildren(QLabel) if w.buddy() is not None]
        # every button of the tab with a letter (the Folders button must have one)
        buttons = [b.text() for b in tab.findChildren(QAbstractButton)
                   if QKeySequence.mnemonic(b.text()).toString() or b is tab.catalog_bar.menu_button]
        assert tab.catalog_bar.menu_button.text() in buttons
        letters = ([a.text() for a in window.menuBar().actions()]
                   + [window.tabs.tabText(i) for i in range(window.tabs.count())] + labels + buttons)
        keys = [QKeySequence.mnemonic(text).toString() for text in letters]
        assert "" not in keys and len(set(keys)) == len(keys), list(zip(letters, keys))
        for key, combo in ((Qt.Key.Key_C, tab.catalog_bar.combo), (Qt.Key.Key_M, tab.colour_by)):
            tab.gallery.setFocus()
            qtbot.waitUntil(tab.gallery.hasFocus, timeout=3000)
            QTest.keyClick(tab.gallery, key, Qt.KeyboardModifier.AltModifier)
            assert QApplication.focusWidget() is combo
        # Alt+L opens the Folders menu (it waits in its exec: closed once seen)
        opened = []
        bar = tab.catalog_bar
        bar.menu.aboutToShow.connect(lambda: QTimer.singleShot(0, lambda: (opened.append(bar.menu.isVisible()),
                                                                             bar.menu.close())))
        tab.gallery.setFocus()
        QTest.keyClick(tab.gallery, Qt.Key.Key_L, Qt.KeyboardModifier.AltModifier)
        qtbot.waitUntil(lambda: opened == [True] and not bar.menu.isVisible(), timeout=3000)


def test_help_keyboard_shortcuts_lists_every_key_of_every_action(qtbot):
    """Ctrl+Right and Ctrl+Left (README, docs) were shown nowhere in the window: the Go menu
    shows one key an entry, F3. Help › Keyboard shortcuts lists them all, read from the actions
    (the maps' too), and a menu entry with two keys says the second in the status bar."""
    window = _shown_window(qtbot)
    help_menu = window.menuBar().actions()[-1].menu()
    assert window.keys_action in help_menu.actions()
    window.keys_action.trigger()
    dialog = window._keys
    qtbot.waitExposed(dialog)
    rows = dialog.rows()
    listed = [(set(keys.split(" or ")), what) for keys, what in rows]
    actions = [a for a in window.findChildren(QAction) if any(not k.isEmpty() for k in a.shortcuts())]
    assert {"&Reset view", "Context menu", "&Next result"} <= {a.text() for a in actions}  # the maps' too
    missing = []
    for action in actions:
        name = action.text().replace("&", "")
        for key in action.shortcuts():
            said = key.toString(QKeySequence.SequenceFormat.NativeText)
            if not key.isEmpty() and not any(said in keys and name in what for keys, what in listed):
                missing.append((said, name))
    assert missing == []
    assert any("Ctrl+Right" in keys and what == "Next result" for keys, what in listed)
    assert ("Alt+C", "To the Catalog list") in rows and ("Alt+W", "The View menu") in rows
    assert ("Alt+L", "The Folders button") in rows and ("Alt+L", "The Folders & model button") in rows
    assert "Ctrl+Right" in window.next_action.statusTip() and "Ctrl+Left" in window.prev_action.statusTip()
    # every row's words whole in the list (the VAE map's arrows were cut to "… a drawing that …")
    words = dialog.list.columnWidth(1)
    assert all(dialog.list.fontMetrics().horizontalAdvance(what) <= words for _keys, what in rows)
    qtbot.waitUntil(lambda: dialog.list.columnWidth(0) + words <= dialog.list.viewport().width())  # (once laid out)
    # keys the maps and the results handle themselves, no action's (cr53: the results' were left out)
    from vsdesk.gui.gallery import GalleryView
    from vsdesk.gui.panels.manifold_map import ManifoldMap
    from vsdesk.gui.scatter import ScatterView

    for own in (*ScatterView.OWN_KEYS, *ManifoldMap.OWN_KEYS):
        assert any(keys == own[0] and what.endswith(f": {own[1]}") for keys, what in rows), (own, rows)
    for keys, what in GalleryView.OWN_KEYS:
        assert (keys, f"Results: {what}") in rows, (keys, what, rows)
    dialog.close()


def test_a_key_of_a_part_with_no_name_says_the_parts_kind(qtbot):
    """cr53: a part of the window with no name a screen reader says (none has one now) would have
    listed its keys as ": Context menu"; it is named by its kind instead."""
    from PySide6.QtWidgets import QMainWindow

    from vsdesk.gui.gallery import GalleryView
    from vsdesk.gui.keys_dialog import WHERE_FOCUSED, window_keys
    from vsdesk.gui.thumbnails import ThumbnailCache

    window = QMainWindow()
    qtbot.addWidget(window)
    window.setCentralWidget(GalleryView(ThumbnailCache()))  # not named "Results", as a tab names it
    rows = window_keys(window)
    assert (WHERE_FOCUSED, "Shift+F10 or Menu", "Gallery view: Context menu") in rows, rows
    assert not any(what.startswith(":") for _section, _keys, what in rows), rows


def test_every_widget_a_screen_reader_meets_has_a_name(qtbot):
    """scripts/accessible_names.py's check: every widget that takes the keyboard focus, and every
    button, has a name a screen reader says (QAccessible's: a button's text counts), on each tab
    and each of the VAE's map pages, and the lists the combos open. The review found the VAE's
    map pages (a tab widget) unnamed, and the combos' lists."""
    from PySide6.QtWidgets import QAbstractButton, QComboBox

    def unnamed() -> list[str]:
        found = []
        for widget in window.findChildren(QWidget):
            if not (widget.focusPolicy() & Qt.FocusPolicy.TabFocus or isinstance(widget, QAbstractButton)):
                continue
            if isinstance(widget, QAbstractButton) and not widget.text() and not widget.isVisibleTo(window):
                continue  # a button shown with its text (a message's, the map's "Try again"): below, shown
            if not said_name(widget).strip():
                found.append(f"{type(widget).__name__} in {type(widget.parentWidget()).__name__}")
        return found

    window = _shown_window(qtbot)
    for mode in ("style", "product", "vae"):
        tab = window.tab(mode)
        window.tabs.setCurrentWidget(tab)
        tab.colour_by.parentWidget().show()
        tab.messages.show_message("A message.", "warning", action=("Search", lambda: None), other=("Other", lambda: None))
        tab.scatter.set_status("The map could not be made.", action=("Try again", lambda: None))
        pages = tab.map_pages.count() if tab.map_pages is not None else 1
        for page in range(pages):
            if tab.map_pages is not None:
                tab.map_pages.setCurrentIndex(page)
            QApplication.processEvents()
            assert unnamed() == [], (mode, page)
        assert tab.messages.action_button.isVisible() and said_name(tab.messages.action_button) == "Search"
    assert said_name(window.tab("vae").map_pages) and said_name(window.tabs)
    for combo in window.findChildren(QComboBox):
        assert said_name(combo.view()) == combo.accessibleName() != "", combo.currentText()


def _shown_panel(qtbot, panel):
    """``panel`` shown at a side panel's size, for a look at its labels."""
    qtbot.addWidget(panel)
    panel.resize(340, 500)
    panel.show()
    qtbot.waitExposed(panel)
    return panel


def _lone_dashes(widget) -> list[str]:
    """The labels under ``widget`` that say nothing but a dash (a screen reader: "em dash")."""
    return [label.text() for label in widget.findChildren(QLabel) if label.text().strip() in ("—", "-", "–")]


def test_the_vae_panel_says_no_lone_dash_before_a_query_nor_after_one_is_cleared(qtbot):
    """Review53: a lone "—" stood under the VAE's two silhouettes before any query, read out as
    "em dash". Nothing is said there now, and the line keeps its room (the lines below do not
    jump at the first query)."""
    from vsdesk.gui.panels.vae_panel import VaePanel

    panel = _shown_panel(qtbot, VaePanel())

    def dashes() -> list[str]:
        return _lone_dashes(panel.scroll.widget())

    assert dashes() == [] and said_name(panel.category) == ""
    assert panel.category.height() >= panel.category.fontMetrics().lineSpacing()
    panel.build_plots()
    panel.clear()  # a query gone (its file removed, the catalog changed)
    assert dashes() == [] and panel.category.text() == ""


def test_the_product_panel_says_no_lone_dash_before_a_query_nor_for_a_model_without_attributes(qtbot):
    """As the VAE panel's: a lone "—" stood under "Product type" before any query (read out as
    "em dash"), and under "Attributes" after a query with a model that tells none. Before a query
    nothing is said there, each line keeping its room (the bars and the lines below do not jump
    at the first query); a model without attributes says so in words."""
    from vsdesk.gui.panels.product_panel import ProductPanel

    panel = _shown_panel(qtbot, ProductPanel())

    def dashes() -> list[str]:
        return _lone_dashes(panel)

    def tops() -> list[int]:
        return [widget.geometry().top() for widget in (panel.bars, panel.same_class, panel.model_info)]

    assert dashes() == [] and said_name(panel.predicted) == "" and said_name(panel.attributes) == ""
    for label in (panel.predicted, panel.attributes):
        label.ensurePolished()  # (the type's line is in a bigger font, set by its style sheet)
        assert label.height() >= label.fontMetrics().lineSpacing()
    before = tops()
    extras = {"classes": [{"label": "Dress", "probability": 0.9}, {"label": "Skirt", "probability": 0.1}],
              "predicted": "Dress", "kids": None, "model": "product/shipped", "backbone": "EfficientNet-Lite0"}
    panel.show_extras(extras)  # a model trained without the kids attribute
    assert dashes() == [] and panel.attributes.text() == "None: this model does not tell kids' wear."
    panel.show_extras({**extras, "kids": 0.1})
    QApplication.processEvents()
    assert tops() == before  # the lines came with the query: nothing under them moved
    panel.clear()  # a query gone (its file removed, the catalog changed)
    assert dashes() == [] and panel.predicted.text() == panel.attributes.text() == ""
