"""Turning exceptions from background tasks into sentences for the tab's message bar.

Expected problems (a bad file, a missing model, a damaged catalog) carry their own readable
message; anything else is reported as unexpected with its type and logged with a traceback, to
the log file the message names (``logfile.log_to_file``).
"""

from __future__ import annotations

import errno
import logging
import os
from pathlib import Path

from vsdesk.engine import paths
from vsdesk.engine.imageio import ImageError
from vsdesk.engine.text import sentence, shown_path
from vsdesk.gui.crash import details_note

log = logging.getLogger(__name__)


def user_message(exc: BaseException, action: str = "") -> str:
    """``action`` says what was being done, e.g. "search with photo.jpg"."""
    prefix = f"Could not {action}: " if action else ""
    if isinstance(exc, ImageError):
        name = shown_path(Path(exc.source).name) if exc.source and not exc.source.startswith("<") else "the image"
        if name in action:  # "Could not search with a.jpg: not an image file", not "a.jpg — …" again
            return f"{prefix}{exc.reason}."
        return f"{prefix}{name} — {exc.reason}."
    if _is_plain_os_error(exc):
        return f"{prefix}{os_error_words(exc)}.{_cache_advice(exc)}"
    if _is_expected(exc):
        return f"{prefix}{exc}"
    log.error("unexpected error while trying to %s", action or "work", exc_info=exc)
    return f"{prefix}unexpected error ({type(exc).__name__}: {exc}). {details_note()}"


#: What each sample catalog holds, in words (``sample_offline_text``).
SAMPLE_WORDS = {"style-artworks": "sample paintings"}
#: A sample's local copy, where one can be used instead of the download: said to the window's
#: user too (the command line and the log said it, the window did not).
MIRROR_WORDS = {"style-artworks": f", or use a copy of the 32 paintings: start vsdesk with {paths.ENV_STYLE_MIRROR} "
                                  "set to its folder"}


def sample_offline_text(exc, menu: str = "Folders") -> str:
    """A sample that could not be downloaded for want of a connection (``samples.SampleOffline``),
    for a person: what is missing and why, and what to do instead, by the names of the window's
    own menus (``menu``: the catalog bar's menu button), not an environment variable to set."""
    what = SAMPLE_WORDS.get(exc.sample, "sample pictures")
    return (f"The {what} could not be downloaded: {exc.why}. Search your own pictures meanwhile: "
            f"“{menu}” ▸ “New catalog from a folder…” (also in the File menu, Ctrl+Shift+O)"
            f"{MIRROR_WORDS.get(exc.sample, '')}. vsdesk tries the download again at its next start.")


def sample_offline_brief(exc) -> str:
    """``sample_offline_text`` in a few words, for the map's place and the status line."""
    return f"the {SAMPLE_WORDS.get(exc.sample, 'sample pictures')} could not be downloaded ({exc.why})"


def os_error_words(exc: OSError) -> str:
    """"no space left on device: /path", not "[Errno 28] No space left on device: '/path'"."""
    if not exc.strerror:
        return str(exc)
    return exc.strerror.lower() + (f": {exc.filename}" if exc.filename else "")


def _cache_advice(exc: OSError) -> str:
    """What to do when vsdesk's cache folder (models are converted into it) cannot be written:
    the words of the CLI (``store.cache_words``), found without I/O (the GUI thread)."""
    from vsdesk.engine.models.store import cache_words

    if exc.errno not in (errno.EROFS, errno.EACCES, errno.EPERM) or not exc.filename:
        return ""
    where = Path(os.fsdecode(exc.filename))
    if not where.is_relative_to(paths.cache_location()):
        return ""
    words = cache_words(exc.errno, where.parent)
    return f" {sentence(words)}."


#: OS errors the user can put right (a full disk, a read-only or locked folder, a file where a
#: folder should be), said in words: not "unexpected", and no log file to read.
PLAIN_OS_ERRORS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM, errno.ENOENT,
                             errno.EEXIST, errno.ENOTDIR})


def _is_plain_os_error(exc: BaseException) -> bool:
    """An OS error as the OS raised it (the engine's own errors carry their own words)."""
    return (isinstance(exc, OSError) and not type(exc).__module__.startswith("vsdesk.")
            and exc.errno in PLAIN_OS_ERRORS and bool(exc.strerror))


def _is_expected(exc: BaseException) -> bool:
    """The engine's own exceptions carry user-facing messages (docs/architecture.md: errors the
    user can cause are typed exceptions with a readable message); so do a few OS errors."""
    return type(exc).__module__.startswith("vsdesk.") or isinstance(exc, (FileNotFoundError, PermissionError))
