"""Downloading a published weights file and checking its published hash (Keras's ``get_file`` rules).

We use urllib rather than ``keras.utils.get_file``: it needs no TensorFlow, reports through our
``Progress`` instead of printing to stdout (where ``--json`` output goes), honours the usual
proxy environment variables, and never leaves a partial or unverified file behind.
"""

from __future__ import annotations

import errno
import hashlib
import http.client
import os
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

from vsdesk.engine.files import temp_path
from vsdesk.engine.models.errors import DownloadError
from vsdesk.engine.tasks import Cancelled, Progress, check_cancelled, never_cancelled, no_progress

TIMEOUT_SECONDS = 30
#: The errors of writing the download into a full disk (or over a quota).
_DISK_FULL = (errno.ENOSPC, errno.EDQUOT)
_CHUNK = 1 << 16


def hash_algorithm(file_hash: str) -> str:
    """As Keras decides: a 64-hex-digit hash is SHA-256, anything else MD5."""
    return "sha256" if len(file_hash) == 64 else "md5"


def download(
    url: str,
    file_hash: str,
    directory: Path,
    progress: Progress = no_progress,
    cancelled: Cancelled = never_cancelled,
) -> Path:
    """Download ``url`` into a temp file in ``directory`` whose name ends like the URL's.

    Returns the verified file; the caller owns (and deletes) it. Raises ``DownloadError`` with a
    one-line reason, or the ``OSError`` of a ``directory`` whose disk is full (what to do is
    about the cache, not the network); on any failure nothing is left behind.
    """
    basename = os.path.basename(urlsplit(url).path) or "download"
    digest = hashlib.new(hash_algorithm(file_hash))
    try:
        tmp = temp_path(directory, "-" + basename)
    except OSError as exc:
        raise DownloadError(f"cannot write a download into {directory}: {exc}") from None
    try:
        request = urllib.request.Request(url, headers={"User-Agent": "vsdesk"})
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response, open(tmp, "wb") as out:
            total = int(response.headers.get("Content-Length") or 0)
            done = 0
            while chunk := response.read(_CHUNK):
                check_cancelled(cancelled)  # raises CancelledError; the temp file is deleted below
                out.write(chunk)
                digest.update(chunk)
                done += len(chunk)
                progress(done, total, f"downloading {basename}")
        if total and done != total:
            raise DownloadError(f"download of {url} was cut off ({done} of {total} bytes)")
        if digest.hexdigest() != file_hash.lower():
            raise DownloadError(
                f"{url}: {digest.name} is {digest.hexdigest()}, expected the published {file_hash}; "
                "the download is corrupt or was altered, so it was deleted"
            )
        return tmp
    except urllib.error.HTTPError as exc:
        tmp.unlink(missing_ok=True)
        raise DownloadError(f"cannot download {url}: HTTP {exc.code} {exc.reason}") from None
    except (OSError, http.client.HTTPException) as exc:  # URLError, refused, timeout, reset, disk full
        tmp.unlink(missing_ok=True)
        if isinstance(exc, OSError) and not isinstance(exc, urllib.error.URLError) and exc.errno in _DISK_FULL:
            raise  # (no network error has these)
        reason = getattr(exc, "reason", None) or exc
        raise DownloadError(f"cannot download {url}: {reason}") from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
