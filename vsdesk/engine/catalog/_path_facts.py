"""What one look at a path tells, shared by the scan (``_scan``), the quick check for changed
folders (``_folder_changes``) and the words (``_away_words``): a folder's time and device, and
whether a name is an image's.
"""

from __future__ import annotations

import os

from vsdesk.engine.imageio import IMAGE_SUFFIXES, UNSUPPORTED_SUFFIXES


#: The time noted for a folder that is not there (``mtime_and_device``).
AWAY = -1


def mtime_and_device(path: str) -> tuple[int, int | None]:
    """The folder's modification time (``AWAY`` when it cannot be had) and its device (None):
    one ``stat``."""
    try:
        st = os.stat(path)
    except OSError:
        return AWAY, None
    return st.st_mtime_ns, st.st_dev


def has_image_name(path: str) -> bool:
    """Whether ``path`` ends like an image file's name (one vsdesk reads, or a photo format it
    cannot): a link of that name that leads nowhere is taken for a file, not a folder."""
    suffix = os.path.splitext(path)[1].lower()
    return suffix in IMAGE_SUFFIXES or suffix in UNSUPPORTED_SUFFIXES
