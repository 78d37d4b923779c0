"""The main window: a tab per mode, a status bar that says what is loading, shortcuts.

The window shows before anything heavy happens: TensorFlow and the models are loaded by the
tabs' first tasks on the worker thread, the current tab first.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from PySide6.QtCore import QPoint, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence
from PySide6.QtWidgets import QApplication, QMainWindow, QSizePolicy, QStatusBar, QTabWidget, QToolButton

from vsdesk import __version__
from vsdesk.engine.modes import MODES
from vsdesk.engine.text import names_escaped
from vsdesk.gui.catalogs_watcher import CatalogsWatcher
from vsdesk.gui.elided_label import ElidedLabel
from vsdesk.gui.focus_frame import show_tab_focus
from vsdesk.gui.keys_dialog import KeysDialog, keys_of, plain_text
from vsdesk.gui.message_bar import MessageBar
from vsdesk.gui.mode_tab import ModeTab
from vsdesk.gui.settings import Settings
from vsdesk.gui.thumbnails import ThumbnailCache
from vsdesk.gui.worker import TaskRunner, ms_until

if TYPE_CHECKING:
    from vsdesk.gui.single_instance import Listener

#: Closing waits at most this long for background work to stop at a safe point (the window is
#: hidden first): an index run's batch in flight committed. In the ``vsdesk`` process, a step
#: that keeps nothing (a model loading, a t-SNE stage) is not waited for, and the process ends
#: without it (``app.run``).
CLOSE_WAIT_S = 3.0
#: After SIGTERM, which ends the process once the window has closed (``app.run``), closing waits
#: only this long: enough for an index run to stop between two batches, where a step that cannot
#: be interrupted (TensorFlow's import, a model loading, a t-SNE stage) held the exit for all of
#: CLOSE_WAIT_S, for nothing: an unfinished step leaves nothing to keep.
SIGTERM_CLOSE_WAIT_S = 0.5
#: The sample photo of Help > Try the sample photo, in the shipped resources' samples folder.
SAMPLE_PHOTO = "example-dress.jpg"
#: The status bar's activity label is at most this wide: the rest of the line is for messages.
ACTIVITY_MAX_WIDTH = 560


class MainWindow(QMainWindow):
    closed = Signal()

    def __init__(self, settings: Settings | None = None, autostart: bool = True, parent=None,
                 geometry_given: bool = False):
        """``autostart``: load every tab's model and catalog once shown (tests start tabs
        themselves, to load only what they use). ``geometry_given``: the command line gave the
        window's geometry (``-qwindowgeometry``), which Qt applies as it is shown: the saved
        one is not restored (a maximised one kept the window maximised over it)."""
        super().__init__(parent)
        self.autostart = autostart
        #: Later launches' paths come here (``single_instance.Listener``, set by ``app.run``):
        #: None for a window that does not listen (``--new-window``, the tests).
        self.listener: Listener | None = None
        #: How long closing waits for background work to stop (SIGTERM_CLOSE_WAIT_S after SIGTERM).
        self.close_wait_s = CLOSE_WAIT_S
        #: The process ends once this window has closed (set by ``app.run``): closing then waits
        #: only for work to keep (an index run's batch), not for a model loading or a map.
        self.process_ends_on_close = False
        self.setWindowTitle(f"vsdesk {__version__} — visual search")
        self.settings = settings or Settings()
        self.runner = TaskRunner(("tf", "compute", "io"), self)
        self.cache = ThumbnailCache(parent=self)
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.setAccessibleName("Search modes")  # (its tabs say which)
        self.mode_tabs: dict[str, ModeTab] = {}
        self.catalogs_watcher = CatalogsWatcher(self)  # one for the tabs: each watches the catalogs' folder
        for mode in MODES:
            tab = ModeTab(mode, self.runner, self.cache, self.settings, watcher=self.catalogs_watcher)
            tab.status_message.connect(lambda text, t=tab: self._show_status(t, text))
            tab.catalog_ready.connect(self._show_activity)  # (opened, or not: "No catalog: why")
            self.mode_tabs[mode] = tab
            self.tabs.addTab(tab, f"&{tab.title}")  # Alt+S, Alt+P, Alt+V (the menus have F, G, H)
        self.setCentralWidget(self.tabs)
        # Tab from the map reaches the mode tabs; the style's mark of their focus is too faint to see.
        self._tabs_focus_frame = show_tab_focus(self.tabs.tabBar())
        self.setAcceptDrops(True)

        self.status = QStatusBar()
        # What the tab is doing ("Product: forgetting FOLDER · “X”"): a long path is shortened
        # in the middle, not widening the window.
        self.activity = ElidedLabel("")
        self.activity.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        self.activity.setMaximumWidth(ACTIVITY_MAX_WIDTH)
        self.status.addPermanentWidget(self.activity)
        self.setStatusBar(self.status)
        self._running = 0  # tasks queued or running, of every tab
        self.runner.activity.connect(self._on_activity)
        self._create_actions()

        if geometry_given or not self._restore_geometry():
            size = QSize(1480, 900)
            screen = QGuiApplication.primaryScreen()
            if screen is not None:  # a small (or scaled) screen: never bigger than it
                size = size.boundedTo(screen.availableGeometry().size())
            self.resize(size)
        last = self.settings.last_tab()
        if last in self.mode_tabs:
            self.tabs.setCurrentWidget(self.mode_tabs[last])
        self._shown_tab: ModeTab | None = self.current_tab()
        self._last_query: str | None = None  # the file last searched with in a tab left (offered)
        self.tabs.currentChanged.connect(self._on_tab_changed)
        # Back from a terminal where catalogs may have been added or removed: list them again.
        QGuiApplication.instance().applicationStateChanged.connect(self._on_application_state)
        self._first_paint_done = False
        self._about = None
        self._keys = None
        self.status.showMessage("Starting… TensorFlow and the models load in the background.")
        if self.settings.notice:  # (the log has it too; from the desktop's menu nobody reads that)
            self.current_tab().messages.add_message(self.settings.notice, "info")

    def _restore_geometry(self) -> bool:
        """The size and place the window had, if they fit a screen here: not a geometry Qt
        reads from damaged bytes (a 20-byte one gave a 1x1 window, made 642x634 by the layout,
        cutting the map's hint), nor one of a screen that is gone or was bigger."""
        geometry = self.settings.geometry()
        if geometry is None or not self.restoreGeometry(geometry):
            return False
        restored, smallest = self.geometry(), self.minimumSizeHint()
        # (The window's frame is not counted: its size, not its place to the pixel, must fit.)
        screen = QGuiApplication.screenAt(restored.center())
        fits = (screen is not None and restored.width() >= smallest.width() and restored.height() >= smallest.height()
                and restored.width() <= screen.availableGeometry().width()
                and restored.height() <= screen.availableGeometry().height())
        if not fits:
            self.setWindowState(Qt.WindowState.WindowNoState)  # (the bytes may say maximised)
            screen = QGuiApplication.primaryScreen()
            if screen is not None:
                self.move(screen.availableGeometry().topLeft())
        return fits

    def current_tab(self) -> ModeTab:
        return self.tabs.currentWidget()  # type: ignore[return-value]

    def tab(self, mode: str) -> ModeTab:
        return self.mode_tabs[mode]

    def _step_results(self, delta: int) -> None:
        """Next or previous result, and the keyboard focus to the gallery: the arrows and Enter
        that follow act on the results, not on the widget that had the focus (a combo changed
        its value). A text field keeps Ctrl+arrows for itself (word by word): no shortcut then."""
        gallery = self.current_tab().gallery
        gallery.step(delta)
        if gallery.results.rowCount():
            gallery.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def start_background_loading(self) -> None:
        """Current tab first, then the others (the TensorFlow thread runs them in order)."""
        current = self.current_tab()
        current.start()
        for tab in self.mode_tabs.values():
            if tab is not current:
                tab.start()

    def paintEvent(self, event) -> None:
        super().paintEvent(event)
        if not self._first_paint_done:
            # Everything heavy waits for the first paint, so the window appears at once: the
            # maps (pyqtgraph), then TensorFlow and the models on the worker thread.
            self._first_paint_done = True
            QTimer.singleShot(0, self._after_first_paint)

    def _after_first_paint(self) -> None:
        self._build_plots()
        if self.autostart:
            self.start_background_loading()

    def _build_plots(self) -> None:
        """The maps (pyqtgraph) after the first paint: the current tab's first."""
        current = self.current_tab()
        current.build_plots()
        for tab in self.mode_tabs.values():
            if tab is not current:
                tab.build_plots()

    # -- actions --------------------------------------------------------------------------------------
    def _create_actions(self) -> None:
        # Each entry has its "&" letter (Alt+F, then O: Open image…), none twice in a menu.
        def action(text, shortcuts, slot):
            act = QAction(text, self)
            act.setShortcuts([QKeySequence(s) for s in shortcuts])
            act.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            if len(keys_of(act)) > 1:  # a menu shows only the first: the others in the status bar
                act.setStatusTip(f"{plain_text(act)}: {' or '.join(keys_of(act))}")
            act.triggered.connect(slot)
            self.addAction(act)
            return act

        self.open_action = action("&Open image…", [QKeySequence.StandardKey.Open], lambda: self.current_tab().choose_file())
        self.paste_action = action("&Paste image", [QKeySequence.StandardKey.Paste], lambda: self.current_tab().paste())
        self.next_action = action(
            "&Next result", [QKeySequence.StandardKey.FindNext, "Ctrl+Right"], lambda: self._step_results(1)
        )
        self.prev_action = action(
            "&Previous result", [QKeySequence.StandardKey.FindPrevious, "Ctrl+Left"], lambda: self._step_results(-1)
        )
        # Listed in the View menu, with the tabs' own Alt+letter (Alt+S, Alt+P, Alt+V: the tab bar's,
        # not the actions' too, or the keys would be ambiguous and do nothing) and Ctrl+Tab (the
        # tab widget's): a key no menu lists is a key nobody finds.
        self.tab_actions = []
        for i, mode in enumerate(MODES):
            title = self.mode_tabs[mode].title
            # ``triggered`` passes ``checked``: it must not land in ``m``
            self.tab_actions.append(action(f"&{title} tab (Alt+{title[0]})", [f"Ctrl+{i + 1}"],
                                           lambda _checked=False, m=mode: self.show_tab(m)))
        self.next_tab_action = action("N&ext tab", ["Ctrl+Tab"], lambda: self._step_tab(1))
        self.prev_tab_action = action("P&revious tab", ["Ctrl+Shift+Tab"], lambda: self._step_tab(-1))

        # Escape: the message read goes (a dialog open has the keyboard, and its own Escape).
        self.close_message_action = action("Close message", ["Escape"], self.close_message)
        # The catalog bar's menu's folder entries, from the window's menu and the keyboard too.
        self.add_folder_action = action("&New catalog from a folder…", ["Ctrl+Shift+O"],
                                        lambda: self.current_tab().catalog_bar.choose_folder())
        self.add_to_catalog_action = action("&Add a folder to this catalog…", ["Ctrl+Shift+A"],
                                            lambda: self.current_tab().catalog.choose_folder_to_add())
        file_menu = self.menuBar().addMenu("&File")
        for act in (self.open_action, self.paste_action, self.add_folder_action, self.add_to_catalog_action):
            file_menu.addAction(act)
        file_menu.addSeparator()
        quit_action = action("&Quit", [QKeySequence.StandardKey.Quit], self.close)
        file_menu.addAction(quit_action)
        go_menu = self.menuBar().addMenu("&Go")
        go_menu.addAction(self.next_action)
        go_menu.addAction(self.prev_action)
        view_menu = self.menuBar().addMenu("Vie&w")  # (Alt+V is the VAE tab)
        for act in (*self.tab_actions, self.next_tab_action, self.prev_tab_action):
            view_menu.addAction(act)
        # The menu bar's ">>" for the menus a narrow window cannot show: a button a screen reader met unnamed.
        for more in self.menuBar().findChildren(QToolButton):
            more.setAccessibleName("More menus")
        help_menu = self.menuBar().addMenu("&Help")
        self.sample_action = action("&Try the sample photo", [], self.open_sample)
        help_menu.addAction(self.sample_action)
        # Every key of the window in one list, read from the actions (a menu shows one key each:
        # Ctrl+Right, F3's twin, was said nowhere).
        self.keys_action = action("&Keyboard shortcuts", [], self.show_keys)
        help_menu.addAction(self.keys_action)
        self.about_action = action("&About vsdesk", [], self.show_about)
        help_menu.addAction(self.about_action)

    def close_message(self) -> bool:
        """Close the message banner that has the keyboard focus (its button), else the top one
        shown in the tab. False: none was up."""
        shown = [bar for bar in self.current_tab().findChildren(MessageBar) if bar.isVisible()]
        if not shown:
            return False
        focused = QApplication.focusWidget()
        with_focus = [bar for bar in shown if focused is not None and (bar is focused or bar.isAncestorOf(focused))]
        bar = with_focus[0] if with_focus else min(shown, key=lambda b: b.mapTo(self, QPoint(0, 0)).y())
        bar.clear()
        return True

    def show_tab(self, mode: str) -> None:
        self.tabs.setCurrentWidget(self.mode_tabs[mode])

    def _step_tab(self, step: int) -> None:
        self.tabs.setCurrentIndex((self.tabs.currentIndex() + step) % self.tabs.count())

    def open_sample(self) -> None:
        """The shipped sample photo (a dress) as the Product tab's query, against its shipped
        clothing catalog: the quick start for an installed vsdesk, which has no repository."""
        from vsdesk.engine.paths import resources_dir

        self.show_tab("product")
        self.current_tab().open_paths([str(resources_dir() / "samples" / SAMPLE_PHOTO)], "given")

    def show_about(self):
        from vsdesk.gui.about_dialog import AboutDialog

        if self._about is None:  # one dialog, raised again rather than stacked
            self._about = AboutDialog(self)
        self._about.show()  # not modal: the window keeps working
        self._about.raise_()
        self._about.activateWindow()
        return self._about

    def show_keys(self):
        if self._keys is None:  # one dialog, raised again rather than stacked
            self._keys = KeysDialog(self)
        self._keys.refresh()  # (the maps, and their keys, come after the first paint)
        self._keys.show()  # not modal: the window keeps working
        self._keys.raise_()
        self._keys.activateWindow()
        return self._keys

    def _on_application_state(self, state) -> None:
        if state == Qt.ApplicationState.ApplicationActive and self.isVisible():
            # The user is back, maybe from plugging a catalog's disk in again: thumbnails that
            # could not be read are tried again (else they stayed warnings until a restart).
            self.cache.forget_errors()
            for tab in self.mode_tabs.values():
                if tab.started:
                    tab.refresh_catalog_list()

    def _on_tab_changed(self, _index: int) -> None:
        current, left = self.current_tab(), self._shown_tab
        self._shown_tab = current
        self.settings.set_last_tab(current.mode)
        self.status.clearMessage()  # it spoke of the tab just left
        self._show_activity()  # this tab's work now, not the other's
        # Comparing criteria: the last query on screen is one click away in a tab without one,
        # through any number of tabs passed on the way (Product, Style offered it, VAE: none).
        if left is not None and left.outcome is not None:
            self._last_query = left.query_file()  # None: a pasted image, no file to offer
        if self._last_query and current.outcome is None:
            current.offer_query(self._last_query)

    def _show_status(self, tab: ModeTab, text: str) -> None:
        # The message line is the visible tab's: another tab's news is not shown (the activity
        # label names that tab as busy in the background).
        if tab is self.current_tab():
            self.status.showMessage(names_escaped(text), 8000)  # (Qt drops a name's bytes not UTF-8)
            self._show_activity()  # (its catalog being indexed elsewhere, or no longer: said there too)

    def _on_activity(self, _label: str, running: int) -> None:
        self._running = running
        self._show_activity()

    def _show_activity(self) -> None:
        """The activity label, on the right, says what the tab shown is doing (its latest task:
        "Product: indexing · “clothing”", its progress in the catalog line). Other tabs' work,
        which the user is not looking at (their models load at start-up), is said after "In the
        background — " (the latest started, with its percent done; every one in the tooltip), and
        replaced when the user turns to that tab; "Ready" once nothing runs at all."""
        mode = self.current_tab().mode
        running = self.runner.running_labels()
        own = [label for slot, label in running if slot.split("/", 1)[0] == mode]
        busy = {slot.split("/", 1)[0] for slot, _label in running} - {mode}
        if own:
            text, tip = own[-1], ""
        elif busy:
            # What is done and how far, not only which tab: on a first start another tab prepares
            # its model and sample catalog for minutes ("VAE: indexing · “fashion-mnist” · 40%").
            slot, label = running[-1]
            percent = self.runner.percent_done(slot)
            text = f"In the background — {label}" + (f" · {percent}%" if percent is not None else "")
            tip = "\n".join(label for _slot, label in running)
        elif self._running == 0 and self.current_tab().catalog.failure_brief:
            # Not "Ready": the tab has no catalog to search, and says why (the message about it
            # may have been closed).
            text, tip = f"No catalog: {self.current_tab().catalog.failure_brief}", ""
        elif self._running == 0 and self.current_tab().catalog.indexed_elsewhere():
            # Not "Ready": the catalog shown changes under the user's eyes (its line says so too).
            text, tip = f"“{self.current_tab().catalog.indexed_elsewhere()}” being indexed by another vsdesk process", ""
        else:
            text, tip = ("Ready" if self._running == 0 else ""), ""
        self.activity.set_text(text, tooltip=tip)

    # -- drops anywhere in the window go to the current tab --------------------------------------------
    def dragEnterEvent(self, event) -> None:
        self.current_tab().dragEnterEvent(event)

    def dragMoveEvent(self, event) -> None:
        self.current_tab().dragMoveEvent(event)

    def dragLeaveEvent(self, event) -> None:
        # A drag that left the window from the status bar or its bottom edge (the window's, not
        # the tab's): the tab's highlight goes with it.
        self.current_tab().dragLeaveEvent(event)

    def dropEvent(self, event) -> None:
        self.current_tab().dropEvent(event)

    def open_handed_over(self, paths: list[str]) -> None:
        """Another ``vsdesk`` launch's paths ("Open with vsdesk" again): this window comes to the
        front and opens them as a drop (single_instance)."""
        if self.isMinimized():
            self.showNormal()
        self.raise_()
        self.activateWindow()
        if paths:
            self.current_tab().open_paths(paths, "given")

    # -- closing -----------------------------------------------------------------------------------------
    def closeEvent(self, event) -> None:
        if self.listener is not None:  # not listening from now on: a launch opens its own window
            self.listener.stop()
        self.settings.set_geometry(self.saveGeometry())
        self.hide()  # at once: what is waited for below (up to 3 s) is not seen
        self.settings.set_last_tab(self.current_tab().mode)
        for tab in self.mode_tabs.values():
            tab.save_state()
            tab.catalog.note_closing()
        self.settings.sync()
        deadline = time.monotonic() + self.close_wait_s  # one for all: a slow worker leaves less to the rest
        self.runner.shutdown(ms_until(deadline), only_kept_work=self.process_ends_on_close)
        if not self.process_ends_on_close:  # (a thumbnail keeps nothing)
            self.cache.wait_idle(ms_until(deadline))
        super().closeEvent(event)
        self.closed.emit()
