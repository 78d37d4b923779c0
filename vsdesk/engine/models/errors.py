"""Errors of the model store. Each message is written for the user: it says what failed and what to do."""

from __future__ import annotations

from vsdesk.engine.text import sentence


class ModelStoreError(Exception):
    """Base class: a problem with model weights that the user can understand and act on."""


class UnknownModelError(ModelStoreError, ValueError):
    def __init__(self, name: str, known: list[str]):
        self.name = name
        self.known = known
        super().__init__(f"unknown model {name!r}; known models: {', '.join(known) or 'none'}")


class ModelUnavailableError(ModelStoreError):
    """No source could provide the model's weights (not installed, offline, hash mismatch ...)."""

    def __init__(self, name: str, how_to_get: str, reasons: list[str] | tuple[str, ...] = ()):
        self.name = name
        self.how_to_get = how_to_get
        self.reasons = list(reasons)
        message = f"model {name!r} is not available"
        if self.reasons:
            message += " (" + "; ".join(self.reasons) + ")"
        if how_to_get:
            message += ". " + sentence(how_to_get)  # a sentence of its own: "… (…). No space is left …"
        super().__init__(message)


class CacheWriteError(ModelStoreError):
    """The model cache cannot take a file: no space left, a read-only disk, no permission
    (``errno``). No other source helps then (each writes into the cache), so the message is
    what to do about the cache, not how to get the model."""

    def __init__(self, message: str, code: int):
        super().__init__(message)
        self.errno = code


class InvalidWeightsError(ModelStoreError, ValueError):
    """A weights file (imported, downloaded or packaged) does not fit the model."""


class DownloadError(ModelStoreError):
    """A download failed: no network, HTTP error, or the file's hash is not the published one."""
