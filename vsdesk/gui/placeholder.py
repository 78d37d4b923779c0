"""A widget made on first use (a pyqtgraph plot, after the window's first paint), put in the
place a placeholder kept for it in the layout."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget


def replace_placeholder(placeholder: QWidget, widget: QWidget) -> None:
    """``widget`` where ``placeholder`` is, in its parent's layout (same stretch); the
    placeholder goes."""
    placeholder.parentWidget().layout().replaceWidget(placeholder, widget)
    placeholder.hide()  # at once: deleteLater waits for the event loop
    placeholder.deleteLater()
