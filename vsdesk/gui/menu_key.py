"""Shift+F10 opens a view's context menu, as the Menu key does: the keyboard's way to it on
Windows and GNOME, and on keyboards without a Menu key. Qt maps only the Menu key."""

from __future__ import annotations

from typing import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QWidget

MENU_KEYS = ("Shift+F10", "Menu")


def open_menu_with_keys(widget: QWidget, open_menu: Callable[[], object]) -> QAction:
    """``open_menu`` on Shift+F10 or the Menu key while ``widget`` (or a child) has the focus."""
    action = QAction("Context menu", widget)
    action.setShortcuts([QKeySequence(key) for key in MENU_KEYS])
    action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
    action.triggered.connect(lambda _checked=False: open_menu())
    widget.addAction(action)
    return action


def number_key(number: int) -> str:
    """"&1 " to "&9 ": a menu entry's place (from 1) as its key in the open menu, as recent files
    are numbered (the entries' own letters, a folder's or file's name, would clash); "" from 10 on:
    a list that long is read."""
    return f"&{number} " if 1 <= number <= 9 else ""
