#!/usr/bin/env python3
"""Start the vsdesk window as a dark desktop would: Fusion style and a dark palette set on the
application before vsdesk's entry point runs (a KDE Breeze Dark-like palette, not vsdesk's own
``theme.dark_palette``, to see how the window copes with a palette it did not choose).

    python scripts/dark_desktop.py [vsdesk's window arguments...]

Used for an accessibility review (keyboard, HiDPI, dark theme); it changes nothing in vsdesk.
"""

from __future__ import annotations

import sys

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

BREEZE_DARK = {
    "Window": "#2a2e32", "WindowText": "#fcfcfc", "Base": "#1b1e20", "AlternateBase": "#232629",
    "ToolTipBase": "#31363b", "ToolTipText": "#fcfcfc", "PlaceholderText": "#a1a9b1", "Text": "#fcfcfc",
    "Button": "#31363b", "ButtonText": "#fcfcfc", "BrightText": "#ffffff", "Light": "#40464c",
    "Midlight": "#363b40", "Mid": "#1d2023", "Dark": "#151719", "Shadow": "#0f1012",
    "Highlight": "#3daee9", "HighlightedText": "#fcfcfc", "Link": "#1d99f3", "LinkVisited": "#9b59b6",
}


def dark_palette() -> QPalette:
    pal = QPalette()
    for role, value in BREEZE_DARK.items():
        pal.setColor(getattr(QPalette.ColorRole, role), QColor(value))
    for role in ("WindowText", "Text", "ButtonText"):
        pal.setColor(QPalette.ColorGroup.Disabled, getattr(QPalette.ColorRole, role), QColor("#6e7175"))
    return pal


def main() -> int:
    app = QApplication([sys.argv[0]])
    app.setStyle("Fusion")
    app.setPalette(dark_palette())
    from vsdesk.gui.app import run

    return run(sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
