"""The window's settings: typed accessors over one versioned INI file in the config directory.

The file lives in ``vsdesk.engine.paths.config_dir()`` (platformdirs; ``VSDESK_CONFIG_DIR``
overrides it, which is how tests keep away from a user's real settings). A file written by a
newer vsdesk (a higher ``version``) is never written over: the window then uses the defaults.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from PySide6.QtCore import QByteArray, QSettings

from vsdesk.engine import paths

log = logging.getLogger(__name__)

SETTINGS_VERSION = 1


def keep_qt_settings_in_config_dir() -> None:
    """Qt's own settings (its file dialog's last folder, view and column widths, which it keeps
    in "QtProject.conf") in vsdesk's config directory, under ``qt/``: by default Qt writes them
    to ~/.config, where vsdesk writes nothing else (and VSDESK_CONFIG_DIR did not reach).
    Qt's paths are the process's: the window's start-up sets them once (``app.run``), the tests
    at each test's config dir (tests/conftest.py); a window made does not repoint them."""
    folder = str(paths.config_location() / "qt")  # (made by Qt once it writes there, not by pointing)
    for kind in (QSettings.Format.NativeFormat, QSettings.Format.IniFormat):
        QSettings.setPath(kind, QSettings.Scope.UserScope, folder)


class Settings:
    def __init__(self, qsettings: QSettings | None = None):
        self.q: QSettings | _Unsaved = qsettings or QSettings(str(paths.config_dir() / "vsdesk.ini"),
                                                              QSettings.Format.IniFormat)
        version = _version(self.q.value("version", 0))
        #: What the window says once, in its message bar, about its settings ("" when nothing).
        self.notice = ""
        if version > SETTINGS_VERSION:
            # Written by a newer vsdesk: its settings are not ours to rewrite (they would be lost
            # for it). This session starts from the defaults, and keeps its changes to itself.
            log.warning("the settings file %s is from a newer vsdesk (settings version %d; this one reads %d): "
                        "it is left as it is, and this window starts with the default settings",
                        self.q.fileName(), version, SETTINGS_VERSION)
            self.notice = (f"The settings in {self.q.fileName()} are from a newer vsdesk: they are left as they are "
                           f"for it, and this window starts with the default settings (and keeps its changes "
                           f"to itself).")
            self.q = _Unsaved()
        elif version != SETTINGS_VERSION:
            self._upgrade(version)

    def _upgrade(self, old: int) -> None:
        # Version 0 = a fresh file. Later versions migrate keys here, oldest first.
        self.q.setValue("version", SETTINGS_VERSION)

    # -- window -----------------------------------------------------------------------------------
    def geometry(self) -> QByteArray | None:
        value = self.q.value("window/geometry")
        return value if isinstance(value, QByteArray) else None

    def set_geometry(self, value: QByteArray) -> None:
        self.q.setValue("window/geometry", value)

    def last_tab(self) -> str:
        return str(self.q.value("window/last_tab", "product") or "product")

    def set_last_tab(self, mode: str) -> None:
        self.q.setValue("window/last_tab", mode)

    def splitter_state(self, mode: str, which: str = "splitter") -> QByteArray | None:
        """``which``: "splitter" (query | results | map) or "left_splitter" (query above panel)."""
        value = self.q.value(f"{mode}/{which}")
        return value if isinstance(value, QByteArray) else None

    def set_splitter_state(self, mode: str, value: QByteArray, which: str = "splitter") -> None:
        self.q.setValue(f"{mode}/{which}", value)

    def last_query_folder(self) -> str:
        """The folder of the last image file the user opened or dropped and searched with ("":
        none yet): the Open dialog starts there, not in the folder the window was started from."""
        return self._path("window/last_query_folder")

    def set_last_query_folder(self, folder: str) -> None:
        self._set_path("window/last_query_folder", folder)

    def last_catalog_folder(self) -> str:
        """The last folder the user chose to make a catalog of or to add to one ("": none yet)."""
        return self._path("window/last_catalog_folder")

    def set_last_catalog_folder(self, folder: str) -> None:
        self._set_path("window/last_catalog_folder", folder)

    def _path(self, key: str) -> str:
        """A path kept by ``_set_path``: from its bytes, else (a settings file of an earlier
        vsdesk) as the Qt string it was kept as."""
        kept = self.q.value(f"{key}_bytes")
        if isinstance(kept, str) and kept:
            try:
                return os.fsdecode(bytes.fromhex(kept))
            except ValueError:  # (edited by hand)
                pass
        return str(self.q.value(key, "") or "")

    def _set_path(self, key: str, path: str) -> None:
        """``path`` kept with its bytes (as hex): a Qt string drops a name's bytes that are not
        UTF-8 ("caf\\xe9/" came back "caf/", and the next dialog opened elsewhere). The Qt string
        is kept too, for an earlier vsdesk reading the same file."""
        self.q.setValue(f"{key}_bytes", os.fsencode(path).hex())
        self.q.setValue(key, path)

    # -- catalogs -----------------------------------------------------------------------------------
    def catalog(self, mode: str) -> str | None:
        value = self.q.value(f"{mode}/catalog")
        return str(value) if value else None

    def set_catalog(self, mode: str, name: str) -> None:
        self.q.setValue(f"{mode}/catalog", name)

    # -- options --------------------------------------------------------------------------------------
    def float_value(self, key: str, default: float) -> float:
        try:
            return float(self.q.value(key, default))
        except (TypeError, ValueError):
            return default

    def str_value(self, key: str, default: str = "") -> str:
        value = self.q.value(key, default)
        return value if isinstance(value, str) else default

    def bool_value(self, key: str, default: bool) -> bool:
        value = self.q.value(key, default)
        if isinstance(value, str):  # the INI format keeps "true" / "false"
            return value.strip().lower() in ("true", "1", "yes")
        return bool(value)

    def set_value(self, key: str, value) -> None:
        self.q.setValue(key, value)

    def sync(self) -> None:
        self.q.sync()


def nameable_folder(path: str) -> str:
    """``path``, or its nearest parent that a Qt string can name (UTF-8): where a file dialog
    is started for a folder whose name has bytes that are not UTF-8 (Qt would drop them)."""
    while path and os.fsencode(path).decode("utf-8", "replace") != path:
        parent = os.path.dirname(path)
        path = "" if parent == path else parent
    return path


def _version(value: Any) -> int:
    """The settings file's version; 0 (a fresh file) when it has none or one that cannot be read."""
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


class _Unsaved:
    """What ``Settings`` needs of a ``QSettings``, kept in memory only."""

    def __init__(self):
        self._values: dict[str, Any] = {}

    def value(self, key: str, default: Any = None) -> Any:
        return self._values.get(key, default)

    def setValue(self, key: str, value: Any) -> None:  # noqa: N802 - QSettings' name
        self._values[key] = value

    def sync(self) -> None:
        pass
