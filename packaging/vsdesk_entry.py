"""Entry point of the PyInstaller bundle: the same ``vsdesk`` as the installed gui-script.

``vsdesk`` alone opens the window, ``vsdesk photo.jpg`` opens it with that image (as the
.desktop file's ``Exec=vsdesk %F`` calls it), ``vsdesk models list`` runs the CLI.

For the bundle's smoke test (packaging/check_bundle.sh) only: with
``VSDESK_BUNDLE_SCREENSHOT=FILE.png`` set, the window saves a picture of itself after
``VSDESK_BUNDLE_SCREENSHOT_AFTER`` seconds (default 30) and quits, so a frozen build can be
looked at without a display or a Python prompt inside it.

``vsdesk --vsdesk-child MODULE ...`` is a child process of vsdesk's own (a map's t-SNE, the
check of a damaged index: ``vsdesk.engine.child_process``), not a command of the user's.
"""

import multiprocessing
import os
import sys


def _screenshot_then_quit(path: str, seconds: float) -> None:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    original_exec = QApplication.exec

    def shoot() -> None:
        windows = [w for w in QApplication.topLevelWidgets() if w.isVisible()]
        if windows:
            max(windows, key=lambda w: w.width() * w.height()).grab().save(path)
        QApplication.instance().quit()

    def exec_with_timer(self=None):
        QTimer.singleShot(int(seconds * 1000), shoot)
        return original_exec()

    QApplication.exec = staticmethod(exec_with_timer)


if __name__ == "__main__":
    # A child process of vsdesk's own (``vsdesk.engine.child_process.child_command``): here,
    # where ``sys.executable`` is this app, it is started as vsdesk with this first argument.
    from vsdesk.engine.child_process import CHILD_ARGUMENT, run_child

    if sys.argv[1:2] == [CHILD_ARGUMENT]:
        sys.exit(run_child(sys.argv[2:]))
    multiprocessing.freeze_support()  # a frozen app must not re-run main() in worker processes
    if os.environ.get("VSDESK_BUNDLE_SCREENSHOT"):
        _screenshot_then_quit(
            os.environ["VSDESK_BUNDLE_SCREENSHOT"],
            float(os.environ.get("VSDESK_BUNDLE_SCREENSHOT_AFTER", "30")),
        )
    from vsdesk.__main__ import main

    sys.exit(main())
