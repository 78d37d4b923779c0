"""``vsdesk`` without a command: the desktop window (``vsdesk photo.jpg`` searches with it)."""

from __future__ import annotations

import logging
import sys
from pathlib import Path


def run(argv: list[str]) -> int:
    from PySide6.QtGui import QIcon
    from PySide6.QtWidgets import QApplication

    from vsdesk.engine.paths import resources_dir

    from vsdesk.gui.crash import install_excepthooks
    from vsdesk.gui.main_window import MainWindow

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("absl").setLevel(logging.WARNING)  # TensorFlow's converter notes, not vsdesk's
    app = QApplication.instance() or QApplication([sys.argv[0], *[a for a in argv if a.startswith("-")]])
    app.setApplicationName("vsdesk")
    app.setOrganizationName("vsdesk")
    # Must match packaging/io.github.vsdesk.vsdesk.desktop so the desktop groups the window
    # under that entry and shows its icon.
    app.setDesktopFileName("io.github.vsdesk.vsdesk")
    app.setWindowIcon(QIcon(str(resources_dir() / "icons" / "vsdesk.svg")))
    window = MainWindow()
    install_excepthooks(window)
    window.show()
    images = [a for a in argv if not a.startswith("-")]
    if images:
        tab = window.current_tab()
        note = f"{len(images)} images given: searching with the first one." if len(images) > 1 else ""
        if not Path(images[0]).exists():
            tab.messages.error(f"Could not search with {images[0]}: the file does not exist.")
        else:
            tab.search_path(images[0], note)
    return app.exec()


__all__ = ["run"]
