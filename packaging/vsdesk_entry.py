"""Entry point of the PyInstaller bundle: the same ``vsdesk`` as the installed gui-script.

``vsdesk`` alone opens the window, ``vsdesk photo.jpg`` opens it with that image (as the
.desktop file's ``Exec=vsdesk %F`` calls it), ``vsdesk models list`` runs the CLI.
"""

import multiprocessing
import sys

if __name__ == "__main__":
    multiprocessing.freeze_support()  # a frozen app must not re-run main() in worker processes
    from vsdesk.__main__ import main

    sys.exit(main())
