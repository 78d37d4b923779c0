"""What a screen reader meets in a pyqtgraph map, and in a combo's list."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QGraphicsView


def name_map(plot: QGraphicsView, name: str, description: str) -> None:
    """Give the map ``plot`` (a pyqtgraph ``PlotWidget``) a name and a description: pyqtgraph
    leaves the view and its viewport unnamed, so a screen reader said nothing of a map, nor which
    of two it was. (The map is one Tab stop as it is: the viewport's focus goes to the view, its
    focus proxy, which Tab skips.)"""
    plot.setAccessibleName(name)
    plot.setAccessibleDescription(description)
    plot.viewport().setAccessibleName(name)
    plot.viewport().setAccessibleDescription(description)


def name_combo(combo: QComboBox, name: str) -> None:
    """Give ``combo`` and the list it pops up the name ``name``: the list is a widget of its own,
    which a screen reader met unnamed when it opened."""
    combo.setAccessibleName(name)
    combo.view().setAccessibleName(name)


__all__ = ["name_combo", "name_map"]
