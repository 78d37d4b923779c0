"""Where vsdesk keeps its files.

Every directory follows the platform's conventions (platformdirs) and can be redirected by an
environment variable, so tests and CI never touch a user's real cache, catalogs or settings.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "vsdesk"

#: Environment variables that override the default locations.
ENV_CACHE = "VSDESK_CACHE_DIR"  # converted model weights, downloaded sample data, projections
ENV_DATA = "VSDESK_DATA_DIR"  # catalogs (the user's indexes): valuable, never deleted by us
ENV_CONFIG = "VSDESK_CONFIG_DIR"  # settings
ENV_STYLE_MIRROR = "VSDESK_STYLE_MIRROR"  # a local folder holding the 32 style artworks

#: The repository's ``resources/`` folder (shipped weights and sample catalogs).
RESOURCES = Path(__file__).resolve().parent.parent.parent / "resources"


class LocationError(OSError):
    """One of vsdesk's folders cannot be created or used; the message names it and why."""


def _dir(env: str, default: str) -> Path:
    path = Path(os.environ.get(env) or default).expanduser()
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        source = f"{env}={os.environ[env]}" if os.environ.get(env) else str(path)
        why = "it is a file, not a folder" if isinstance(exc, FileExistsError) else (exc.strerror or str(exc))
        raise LocationError(f"cannot use {source} as vsdesk's folder: {why}") from None
    return path


def cache_dir() -> Path:
    return _dir(ENV_CACHE, platformdirs.user_cache_dir(APP_NAME))


def data_dir() -> Path:
    return _dir(ENV_DATA, platformdirs.user_data_dir(APP_NAME))


def config_dir() -> Path:
    return _dir(ENV_CONFIG, platformdirs.user_config_dir(APP_NAME))


def models_dir() -> Path:
    path = cache_dir() / "models"
    path.mkdir(parents=True, exist_ok=True)
    return path


def catalogs_dir() -> Path:
    path = data_dir() / "catalogs"
    path.mkdir(parents=True, exist_ok=True)
    return path


def keep_keras_home_in_cache() -> None:
    """For a vsdesk process (its entry points call this before Keras is imported): Keras writes
    its ``keras.json`` into ``~/.keras`` unless ``KERAS_HOME`` says otherwise; vsdesk's cache is
    where it goes instead, so that vsdesk leaves nothing outside the folders the README names.
    A user's own ``KERAS_HOME`` is kept."""
    if "KERAS_HOME" not in os.environ:
        try:
            os.environ["KERAS_HOME"] = str(cache_dir() / "keras")
        except LocationError:
            pass  # the command says so when it uses the cache; Keras then uses ~/.keras


def resources_dir() -> Path:
    """The shipped resources: inside the package when installed from a wheel, else the repo's."""
    packaged = Path(__file__).resolve().parent.parent / "resources"
    return packaged if packaged.is_dir() else RESOURCES
