"""What every mode panel offers the tab."""

from __future__ import annotations

from typing import Any, Callable, NamedTuple

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QWidget


class Note(NamedTuple):
    """A message bar message: kind ("info", "warning"), text, and (button text, callback) or None."""

    kind: str
    text: str
    action: tuple[str, Callable[[], None]] | None = None


class ModePanel(QWidget):
    #: The user changed a search option (e.g. the style <-> subject weight): search again.
    options_changed = Signal()
    #: (x, y) The user clicked a point of the panel's own map: the tab decodes it (the VAE's
    #: manifold map; a task on the TensorFlow thread, which a panel does not run itself).
    decode_requested = Signal(float, float)

    def options(self) -> dict[str, Any]:
        """Search options for the session (passed to ``ModeSession.query`` and ``rerank``); the tab keeps
        each in the settings as "<mode>/<key>" when the user changes it."""
        return {}

    def restore_options(self, settings) -> None:
        """Set the option widgets from the settings (``options`` as last chosen), at start."""

    def follow_catalog(self, snapshot) -> bool:
        """The catalog shown (a ``CatalogSnapshot``): the options its model cannot serve are
        turned off. Whether an option changed (the tab keeps it in the settings)."""
        return False

    def results_note(self, extras: dict[str, Any], found: int) -> Note | None:
        """A message for the bar when this panel's options shape the ``found`` results of a
        non-empty catalog in a way the user must be told (e.g. they left none)."""
        return None

    def results_filtered(self, extras: dict[str, Any]) -> str:
        """What else this panel's options left out of the results, in words ("kids' wear left
        out"), or "": a choice kept from the last session must not filter unsaid."""
        return ""

    def results_kept_to(self, extras: dict[str, Any]) -> str | None:
        """The class the results were kept to by this panel's options, if any."""
        return None

    def show_extras(self, extras: dict[str, Any]) -> None:
        """Show the mode's facts about the current query (``Embedder.describe`` output)."""

    def show_first_score(self, score: float | None) -> None:
        """The number the first result shows (None: no results), for words that quote it."""

    def clear(self) -> None:
        """No query any more."""

    def build_plots(self) -> None:
        """Create plot widgets (pyqtgraph), deferred until after the window's first paint."""

    def side_page(self) -> tuple[str, QWidget] | None:
        """(title, page) the tab shows as a page beside its catalog map (the VAE's manifold
        map, too tall for the panel in a low window), or None."""
        return None
