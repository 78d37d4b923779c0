"""Downloads of sample data, checked by hash and written atomically, and the errors of sample data.

A download that never reached its server (no internet connection) is ``DownloadUnreachable``,
told from a bad download, so that the window can word it for a person who cannot mend a
network (``SampleOffline``).
"""

from __future__ import annotations

import hashlib
import urllib.error
import urllib.request
from pathlib import Path

from vsdesk.engine.files import atomic_path


class SampleDataError(Exception):
    """Sample data that cannot be found, downloaded or verified. ``str()`` is for the user."""


class DownloadUnreachable(SampleDataError):
    """A download that could not reach its server (no internet connection, the site refused or
    timed out): not a bad download, nothing to fix but the connection. ``why``: that in words."""

    def __init__(self, message: str, why: str):
        super().__init__(message)
        self.why = why


class SampleOffline(SampleDataError):
    """A sample whose files could not be downloaded for want of a connection (``DownloadUnreachable``).
    ``str()`` is the command line's (it names ``VSDESK_STYLE_MIRROR``, for experts); ``sample``
    (its catalog name) and ``why`` (``DownloadUnreachable.why``) let the window word it for a
    person who can neither set an environment variable nor mend a network."""

    def __init__(self, message: str, sample: str, why: str):
        super().__init__(message)
        self.sample, self.why = sample, why


def download_file(url: str, dest: Path, *, md5: str | None = None, sha256: str | None = None,
                  timeout: float = 60.0) -> Path:
    """Download ``url`` to ``dest`` atomically (temp file + ``os.replace``) after checking its hash."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.md5() if md5 else hashlib.sha256()  # noqa: S324
    expected = md5 or sha256
    with atomic_path(dest) as tmp:
        with open(tmp, "wb") as out:
            try:
                with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310
                    while chunk := response.read(1 << 20):
                        digest.update(chunk)
                        out.write(chunk)
            except urllib.error.URLError as exc:
                reason = getattr(exc, "reason", exc)
                why = _unreachable(exc)
                if why:
                    raise DownloadUnreachable(f"{why} ({_reason_words(reason)})", why) from None
                raise SampleDataError(f"download failed ({reason})") from None
            except (TimeoutError, ConnectionError) as exc:  # while reading: the connection was lost
                raise DownloadUnreachable(f"the connection was lost ({_reason_words(exc)})",
                                          "the connection was lost") from None
        if expected and digest.hexdigest() != expected:
            raise SampleDataError(f"downloaded file has checksum {digest.hexdigest()}, expected {expected}")
    return dest


def _unreachable(exc: urllib.error.URLError) -> str:
    """Why ``exc`` (urlopen's) never reached the server, in words; "" for a server's answer (an
    HTTP error: the file is not there) or anything else."""
    import socket

    reason = exc.reason
    if isinstance(exc, urllib.error.HTTPError) or not isinstance(reason, OSError):
        return ""
    if isinstance(reason, socket.gaierror):  # the server's name could not be looked up: offline
        return "no internet connection"
    return "the download site could not be reached"  # refused, timed out, no route to it


def _reason_words(reason: object) -> str:
    """An OS error's words without its errno ("Name or service not known", not "[Errno -2] ...")."""
    return getattr(reason, "strerror", None) or str(reason)
