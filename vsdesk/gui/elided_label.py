"""A label that shortens each line of its text with "…" in the middle to the width it is given,
never asking for more: a long file name or folder path must not widen its panel (and so the
window) to fit. What is cut is in the tooltip; the text is plain (a user's "<b>" is no markup)."""

from __future__ import annotations

import html

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget


class ElidedLabel(QLabel):
    def __init__(self, text: str = "", parent: QWidget | None = None):
        super().__init__(parent)
        self._full = ""
        self._link = ""  # a short link after the text, never shortened (it emits linkActivated)
        self._tip = ""  # a tooltip of the caller's, after the whole text when that is shortened
        self._tail = ""  # plain words after the text, never shortened ("— searching…")
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.setText(text)

    def setText(self, text: str) -> None:  # noqa: N802 - Qt's name
        self.set_text(text)

    def set_text(self, text: str, link: str = "", tooltip: str = "", tail: str = "") -> None:
        """``text`` (shortened to fit), then `` · link`` as a link, whole; ``tooltip`` shown on
        hover. ``tail``: words said after a one-line ``text``, whole, however short the text is
        cut ("exam…ess.jpg — waiting to search…", not "example-dress.jpg — wai… to search…")."""
        self._full, self._link, self._tip, self._tail = text, link, tooltip, tail
        self._elide()

    def text(self) -> str:
        """The whole text, as given, and its link's words (what is painted may be shortened)."""
        return self._full + self._tail + (f" · {self._link}" if self._link else "")

    def sizeHint(self) -> QSize:  # noqa: N802
        """All of the text (a layout that gives room for it may; none has to: see minimumSizeHint)."""
        lines = self.text().split("\n")
        width = max(self.fontMetrics().horizontalAdvance(line) for line in lines)
        return QSize(width + 2 * self.margin() + 4, super().sizeHint().height())

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        return QSize(20, super().minimumSizeHint().height())

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._elide()

    def focusInEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().focusInEvent(event)
        # Tabbed to: the link itself has the focus (Enter follows it), not the label around it,
        # which took a second Tab.
        reason = event.reason()
        if self._link and reason in (Qt.FocusReason.TabFocusReason, Qt.FocusReason.BacktabFocusReason):
            super().focusNextPrevChild(reason == Qt.FocusReason.TabFocusReason)

    def _elide(self) -> None:
        metrics = self.fontMetrics()
        after = f" · {self._link}" if self._link else ""
        width = max(self.width() - metrics.horizontalAdvance(self._tail + after) - 2 * self.margin(), 20)
        shown = "\n".join(metrics.elidedText(line, Qt.TextElideMode.ElideMiddle, width)
                          for line in self._full.split("\n")) + self._tail
        # A link is reached with Tab and followed with Enter ("3 skipped: why?" was for the mouse only).
        links = Qt.TextInteractionFlag.LinksAccessibleByMouse | Qt.TextInteractionFlag.LinksAccessibleByKeyboard
        self.setTextInteractionFlags(links if self._link else Qt.TextInteractionFlag.LinksAccessibleByMouse)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus if self._link else Qt.FocusPolicy.NoFocus)
        if self._link:
            self.setTextFormat(Qt.TextFormat.RichText)
            super().setText(html.escape(shown).replace("\n", "<br>")
                            + f" · <a href='link'>{html.escape(self._link)}</a>")
        else:
            self.setTextFormat(Qt.TextFormat.PlainText)
            super().setText(shown)
        whole = [self._full + self._tail] if shown != self._full + self._tail else []
        self.setToolTip("\n\n".join(whole + ([self._tip] if self._tip else [])))
