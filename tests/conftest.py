"""Test-wide set-up: every test runs with its own vsdesk directories, never the user's."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = (REPO.parent / "shared" / "data").resolve()
STYLE_DIR = SHARED_DATA / "images-by-style"
CLOTHING_DIR = SHARED_DATA / "clothing-dataset"
FASHION_MNIST_DIR = SHARED_DATA / "fashion-mnist"

# Quieter TensorFlow, and the style artworks from the local mirror instead of the network.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # no display here or in CI
os.environ.setdefault("VSDESK_STYLE_MIRROR", str(STYLE_DIR))
os.environ.setdefault("VSDESK_FASHION_MNIST_DIR", str(FASHION_MNIST_DIR))  # local Fashion-MNIST copy


@pytest.fixture(scope="session")
def session_dirs(tmp_path_factory) -> Path:
    """Cache shared by the whole session (converted weights are costly to rebuild per test)."""
    return tmp_path_factory.mktemp("vsdesk-session")


@pytest.fixture(autouse=True)
def isolated_dirs(tmp_path, session_dirs, monkeypatch) -> Path:
    """Catalogs and settings per test; the model cache per session."""
    monkeypatch.setenv("VSDESK_CACHE_DIR", str(session_dirs / "cache"))
    monkeypatch.setenv("VSDESK_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("VSDESK_CONFIG_DIR", str(tmp_path / "config"))
    return tmp_path
