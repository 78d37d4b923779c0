#!/usr/bin/env python3
"""List what a screen reader meets in the vsdesk window: every widget that can take the keyboard
focus, or a button, with its accessible name (Qt's own, as QAccessible reports it: a label's or
button's text counts), description, tooltip and the tab order. Builds the window offscreen
without loading any model (``autostart=False``), then its maps.

    QT_QPA_PLATFORM=offscreen python scripts/accessible_names.py

Used for an accessibility review; it changes nothing in vsdesk.
"""

from __future__ import annotations

import os
import sys
import tempfile

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("VSDESK_CONFIG_DIR", tempfile.mkdtemp(prefix="vsdesk-a11y-"))

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtGui import QAccessible  # noqa: E402
from PySide6.QtWidgets import QAbstractButton, QApplication, QWidget  # noqa: E402


def describe(w: QWidget) -> str:
    iface = QAccessible.queryAccessibleInterface(w)
    name = iface.text(QAccessible.Text.Name) if iface else ""
    desc = iface.text(QAccessible.Text.Description) if iface else ""
    role = iface.role().name if iface else "?"
    text = getattr(w, "text", lambda: "")() if isinstance(w, QAbstractButton) else ""
    return (f"{type(w).__name__:<18} role={role:<14} name={name!r:<40.40} desc={bool(desc)!s:<5} "
            f"tip={bool(w.toolTip())!s:<5} text={text!r} obj={w.objectName()!r}")


def main() -> int:
    app = QApplication([sys.argv[0]])
    from vsdesk.gui.main_window import MainWindow

    window = MainWindow(autostart=False)
    window.resize(1480, 900)
    window.show()
    window._build_plots()  # (the maps come after the first paint)
    app.processEvents()
    for index in range(window.tabs.count()):
        window.tabs.setCurrentIndex(index)
        app.processEvents()
        print(f"\n== tab {window.tabs.tabText(index)!r}: focusable / buttons, unnamed first")
        rows = []
        for w in window.tabs.widget(index).findChildren(QWidget):
            focusable = w.focusPolicy() & Qt.FocusPolicy.TabFocus
            if not (focusable or isinstance(w, QAbstractButton)):
                continue
            iface = QAccessible.queryAccessibleInterface(w)
            named = bool(iface and iface.text(QAccessible.Text.Name).strip())
            rows.append((named, w.isVisibleTo(window), describe(w)))
        for named, visible, line in sorted(rows, key=lambda r: r[0]):
            print(("   " if named else "!! ") + ("" if visible else "(hidden) ") + line)
        print("-- tab order from the tab bar (visible widgets):")
        start = w = window.tabs.tabBar()
        for _ in range(60):
            print("   ", describe(w)[:120])
            w = w.nextInFocusChain()
            while w is not start and not (w.isVisible() and w.isEnabled() and w.focusPolicy() & Qt.FocusPolicy.TabFocus):
                w = w.nextInFocusChain()
            if w is start:
                break
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
