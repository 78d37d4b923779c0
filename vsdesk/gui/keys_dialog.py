"""Help → Keyboard shortcuts: every key of the window, read from its actions, menus, tabs and
labels when the dialog opens, so that the list cannot say a key the window no longer has, nor
leave out one it has. (A menu shows one key an action: Ctrl+Right, F3's twin, was said nowhere.)"""

from __future__ import annotations

import re

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractButton, QDialog, QDialogButtonBox, QLabel, QMainWindow, QTabWidget, QTreeWidget, QTreeWidgetItem,
    QVBoxLayout, QWidget,
)

#: The list's sections, in their order.
ANYWHERE = "Anywhere in the window"
ALT_LETTERS = "Alt and a letter"
WHERE_FOCUSED = "Where the keyboard focus is"


def keys_of(action: QAction) -> list[str]:
    """``action``'s keys as the platform writes them ("Ctrl+Right"); none that is empty (a
    standard key the platform has none for)."""
    return [key.toString(QKeySequence.SequenceFormat.NativeText) for key in action.shortcuts() if not key.isEmpty()]


def plain_text(text_or_action: str | QAction) -> str:
    """A menu entry's or label's text without its "&" marks ("&&" is a shown "&")."""
    text = text_or_action.text() if isinstance(text_or_action, QAction) else text_or_action
    return re.sub(r"&(.)", r"\1", text)


def alt_key(text: str) -> str:
    """The Alt+letter an "&" in ``text`` makes ("Alt+F" for "&File"), "" for none."""
    return QKeySequence.mnemonic(text).toString(QKeySequence.SequenceFormat.NativeText)


def _place(widget: QWidget) -> str:
    """What a screen reader calls ``widget``, or the first part of it Tab stops at (a map's
    view): where a key of its own works."""
    if widget.accessibleName():
        return widget.accessibleName()
    for child in widget.findChildren(QWidget):
        if child.focusPolicy() & Qt.FocusPolicy.TabFocus and child.accessibleName():
            return child.accessibleName()
    # Nothing named: its kind in words ("GalleryView": "Gallery view"), not a row ": Context menu".
    first, *rest = re.findall(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])", re.sub(r"^_|^Q(?=[A-Z])", "", type(widget).__name__))
    return " ".join([first, *(word if word.isupper() else word.lower() for word in rest)])  # ("VAE panel")


def window_keys(window: QMainWindow) -> list[tuple[str, str, str]]:
    """(section, keys, what they do) for every key of ``window``: its actions' shortcuts (all of
    them, "F3 or Ctrl+Right"), the Alt+letters of its menus, tabs and labelled fields, and the
    keys of a part of it (the map's Home) where the keyboard focus is. Each once."""
    rows: list[tuple[str, str, str]] = []

    def add(section: str, keys: str, what: str) -> None:
        if keys and (section, keys, what) not in rows:
            rows.append((section, keys, what))

    for action in window.actions():
        add(ANYWHERE, " or ".join(keys_of(action)), plain_text(action))
    for action in window.menuBar().actions():
        add(ALT_LETTERS, alt_key(action.text()), f"The {plain_text(action)} menu")
    for tabs in window.findChildren(QTabWidget):
        for index in range(tabs.count()):
            add(ALT_LETTERS, alt_key(tabs.tabText(index)), f"The {plain_text(tabs.tabText(index))} tab")
    for label in window.findChildren(QLabel):
        if label.buddy() is not None:
            name = label.buddy().accessibleName() or plain_text(label.text()).rstrip(":")
            add(ALT_LETTERS, alt_key(label.text()), f"To the {name} list")
    for button in window.findChildren(QAbstractButton):
        add(ALT_LETTERS, alt_key(button.text()), f"The {plain_text(button.text())} button")
    for action in window.findChildren(QAction):
        owner = action.parent()
        if owner is window or not isinstance(owner, QWidget):
            continue
        add(WHERE_FOCUSED, " or ".join(keys_of(action)), f"{_place(owner)}: {plain_text(action)}")
    for widget in window.findChildren(QWidget):  # keys a widget handles itself, no action's (a map's arrows)
        for keys, what in getattr(widget, "OWN_KEYS", ()):
            add(WHERE_FOCUSED, keys, f"{_place(widget)}: {what}")
    order = (ANYWHERE, ALT_LETTERS, WHERE_FOCUSED)
    return sorted(rows, key=lambda row: order.index(row[0]))


class KeysDialog(QDialog):
    """The window's keys in a list (``window_keys``): keys, and what they do, by section."""

    def __init__(self, window: QMainWindow):
        super().__init__(window)
        self._window = window
        self.setWindowTitle("Keyboard shortcuts")
        self.resize(560, 560)
        self.list = QTreeWidget()
        self.list.setHeaderLabels(["Keys", "What they do"])
        self.list.setRootIsDecorated(False)
        self.list.setAccessibleName("Keyboard shortcuts")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.list)
        layout.addWidget(buttons)

    def refresh(self) -> None:
        self.list.clear()
        sections: dict[str, QTreeWidgetItem] = {}
        for section, keys, what in window_keys(self._window):
            if section not in sections:
                sections[section] = QTreeWidgetItem(self.list, [section])
                sections[section].setFirstColumnSpanned(True)
                font = sections[section].font(0)
                font.setBold(True)
                sections[section].setFont(0, font)
            QTreeWidgetItem(sections[section], [keys, what])
        self.list.expandAll()
        self.list.resizeColumnToContents(0)
        # (Measured without the rows' indent: "Shift+F3 or Ctrl+Left" ran into its words.)
        self.list.setColumnWidth(0, self.list.columnWidth(0) + self.list.indentation() + 16)
        # Wide enough for every row's words (the VAE map's arrows were cut to "… a drawing that …"),
        # within the screen.
        self.list.resizeColumnToContents(1)
        margins = self.layout().contentsMargins()  # (measured, not read off the list: not laid out yet)
        frame = (margins.left() + margins.right() + 2 * self.list.frameWidth()
                 + self.list.verticalScrollBar().sizeHint().width())
        wanted = self.list.columnWidth(0) + self.list.columnWidth(1) + frame
        room = self.screen().availableGeometry().width() * 9 // 10
        self.resize(max(self.width(), min(wanted, room)), self.height())

    def rows(self) -> list[tuple[str, str]]:
        """(keys, what they do), as the list shows them."""
        return [(section.child(i).text(0), section.child(i).text(1))
                for section in (self.list.topLevelItem(n) for n in range(self.list.topLevelItemCount()))
                for i in range(section.childCount())]
