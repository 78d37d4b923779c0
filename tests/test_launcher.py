"""The `vsdesk` launcher: a command goes to the CLI, anything else opens the window; what it
says when neither can happen."""

from __future__ import annotations

import os
import subprocess
import sys

from conftest import CLOTHING_DIR


def _vsdesk(*args: str, **env_changes: str | None) -> subprocess.CompletedProcess:
    env = os.environ.copy()
    for name, value in env_changes.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return subprocess.run([sys.executable, "-m", "vsdesk", *args], env=env, capture_output=True, text=True,
                          timeout=120)


def test_a_mistyped_command_is_named_with_the_commands_not_taken_for_a_photo():
    done = _vsdesk("serach", "--mode", "product", "x.jpg")
    assert done.returncode == 2
    assert "invalid choice: 'serach'" in done.stderr and "'search'" in done.stderr


def test_without_a_display_the_window_says_so_instead_of_dying_silently():
    photo = sorted((CLOTHING_DIR / "images").glob("*.jpg"))[0]
    done = _vsdesk(str(photo), DISPLAY=None, WAYLAND_DISPLAY=None, QT_QPA_PLATFORM=None)
    assert done.returncode == 1
    assert "no display" in done.stderr and "vsdesk --help" in done.stderr
