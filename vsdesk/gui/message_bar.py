"""An inline message strip for a tab: expected problems are shown where they happened."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass

from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QFontMetrics, QPalette
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QSizePolicy,
    QStyle,
    QToolButton,
    QWidget,
)

from vsdesk.engine.text import names_escaped
from vsdesk.gui import theme

#: Each kind's hue. The bar is the window's colour with a share of it (light or dark with the
#: palette) and its text the palette's own: fixed light backgrounds under a dark palette's light
#: text left the message, its buttons and its ✕ unreadable.
HUES = {"error": "#d93025", "warning": "#e0a000", "info": "#2f7de1"}
BACKGROUND_SHARE = 0.18
BORDER_SHARE = 0.55
_STRENGTH = {"info": 0, "warning": 1, "error": 2}
#: Each kind said in words (to a screen reader) and by an icon, not by the bar's colour alone.
KIND_WORDS = {"error": "Error", "warning": "Warning", "info": "Note"}
_KIND_ICONS = {"error": QStyle.StandardPixmap.SP_MessageBoxCritical,
               "warning": QStyle.StandardPixmap.SP_MessageBoxWarning,
               "info": QStyle.StandardPixmap.SP_MessageBoxInformation}

Action = tuple[str, Callable[[], None]]  # (button text, callback)

#: The bar shows at most this many lines: a longer message is cut short with "…", and
#: "Details…" shows all of it. Without a cap, a message of a hundred lines (SQLite's answer
#: about a damaged index) made the window taller than the screen, and it stayed so.
MAX_LINES = 4
#: The tooltip of a message cut short holds this much of it at most (a tooltip is not scrolled).
TOOLTIP_CHARS = 1500


@dataclass(frozen=True)
class _Message:
    text: str
    kind: str
    action: Action | None = None
    other: Action | None = None  # a second choice (a dropped folder: added to the catalog, or a new one)
    offer: bool = False  # asks the user something they have yet to answer (``has_offer``)
    stays: bool = False  # news a message shown instead does not take down (``show_message``)


class MessageBar(QFrame):
    """One message as a rule: a new one replaces what is up. ``add_message`` says one more
    along with what is up, for news that must not take down an offer the user has yet to answer
    (a folder given at start-up, offered as a catalog while the sample catalog fails to open).
    A message shown with ``stays`` (a catalog removed) is not replaced: it goes when the user
    dismisses it (✕, a button, a new query) or when its sayer takes it back (``remove_message``)."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("MessageBar")
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setTextFormat(Qt.TextFormat.PlainText)  # a folder named "<b>x</b>" is no markup
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        # Neither wider nor taller than the window gives it, whatever the text (a long path
        # cannot be wrapped: it is cut off, and shown whole by "Details…").
        self.label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.label.setMaximumHeight(self._lines_height() + 4)
        self.details_button = QToolButton(text="Details…", autoRaise=True)
        self.details_button.setToolTip("The whole message")
        self.details_button.clicked.connect(self.show_details)
        self.details_button.hide()
        self.icon = QLabel()  # the kind's icon: the kind told by more than the bar's colour
        close = QToolButton(text="✕", autoRaise=True)
        close.setToolTip("Dismiss")
        close.setAccessibleName("Dismiss")  # not "✕"
        self.close_button = close
        close.clicked.connect(self.clear)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 4, 4)
        self.action_button = QPushButton()
        self.action_button.hide()
        self.action_button.clicked.connect(self._run_action)
        self.other_button = QPushButton()
        self.other_button.hide()
        self.other_button.clicked.connect(lambda: self._run_action(other=True))
        layout.addWidget(self.icon, 0, Qt.AlignmentFlag.AlignVCenter)  # as the label's text is
        layout.addWidget(self.label, 1)
        layout.addWidget(self.details_button, 0, Qt.AlignmentFlag.AlignTop)
        layout.addWidget(self.action_button, 0, Qt.AlignmentFlag.AlignTop)
        layout.addWidget(self.other_button, 0, Qt.AlignmentFlag.AlignTop)
        layout.addWidget(close, 0, Qt.AlignmentFlag.AlignTop)
        self._messages: list[_Message] = []
        self.kind = ""  # the strongest kind up ("" when nothing is)
        self.hide()
        theme.follow(self, self._colour)

    def show_message(self, text: str, kind: str = "info", action: Action | None = None,
                     other: Action | None = None, offer: bool = False, stays: bool = False,
                     keep: Collection[str] = ()) -> None:
        """Show ``text`` instead of what is up, but for news that ``stays`` and the messages
        ``keep`` names; ``action`` offers one thing to do about it, ``other`` a second one beside
        it. ``offer``: the message asks the user something (a folder given to the window: made a
        catalog?), not said beside a remedy (Try again). ``stays``: news no later message replaces
        (the catalog shown was removed: the note on the results left, shown next, took it down,
        and nothing said the catalog was gone). ``keep``: messages still true that its sayer
        leaves up beside it (what a catalog's opening said, beside the results' note:
        ``QueryNotes._show``)."""
        kept = [m for m in self._messages if (m.stays or m.text in keep) and m.text != text]
        self._messages = kept + [_Message(text, kind, action, other, offer, stays)]
        self._update()

    def add_message(self, text: str, kind: str = "info", action: Action | None = None,
                    other: Action | None = None, offer: bool = False, stays: bool = False) -> None:
        """Show ``text`` along with what is up (an offer up keeps its buttons unless this has one)."""
        self._messages = [m for m in self._messages if m.text != text] + [
            _Message(text, kind, action, other, offer, stays)]
        self._update()

    def remove_message(self, text: str) -> bool:
        """Take ``text`` down, leaving the rest up: True if it was up."""
        kept = [m for m in self._messages if m.text != text]
        if len(kept) == len(self._messages):
            return False
        self._messages = kept
        self._update()
        return True

    def says(self, text: str) -> bool:
        return any(m.text == text for m in self._messages)

    def kind_of(self, text: str) -> str | None:
        """The kind ("info", "warning", "error") of the message ``text`` up, None if it is not."""
        return next((m.kind for m in self._messages if m.text == text), None)

    def has_offer(self) -> bool:
        """A message up asks the user something they have yet to answer (shown with ``offer``);
        a message with a remedy button (Try again, Resume indexing, Copy path) is not one: news
        replaces it, as any message is replaced."""
        return any(m.offer for m in self._messages)

    def error(self, text: str) -> None:
        self.show_message(text, "error")

    def warning(self, text: str) -> None:
        self.show_message(text, "warning")

    def info(self, text: str) -> None:
        self.show_message(text, "info")

    def text(self) -> str:
        """All the messages up, a name not UTF-8 in them with its bytes as escapes, as the command
        line says it (Qt drops such bytes: a folder "\\xc9t\\xe9" was shown as "t")."""
        return names_escaped("\n".join(m.text for m in self._messages))

    def _action(self, other: bool = False) -> Action | None:
        offer = next((m for m in reversed(self._messages) if m.action is not None), None)
        return None if offer is None else offer.other if other else offer.action

    def _update(self) -> None:
        if not self._messages:
            self.clear()
            return
        self.kind = max((m.kind for m in self._messages), key=_STRENGTH.__getitem__)
        for button, action in ((self.action_button, self._action()), (self.other_button, self._action(other=True))):
            button.setText(action[0] if action else "")
            button.setVisible(action is not None)
        self._colour()
        self._say_kind()
        self._fit_text()
        self.show()

    def _colour(self) -> None:
        """The bar tinted with its kind's hue, from the palette as it is now."""
        if not self.kind:
            return
        background = theme.tint(HUES[self.kind], BACKGROUND_SHARE)
        text = theme.readable(theme.colour(QPalette.ColorRole.WindowText), background)
        theme.set_sheet(self, f"#MessageBar {{ background:{theme.css(background)}; "
                              f"border:1px solid {theme.css(theme.tint(HUES[self.kind], BORDER_SHARE))}; "
                              f"border-radius:4px; }} "
                              f"QLabel {{ border:none; color:{theme.css(text)}; }}")

    def _say_kind(self) -> None:
        """The kind as an icon beside the message and in the names a screen reader reads."""
        word = KIND_WORDS[self.kind]
        size = QFontMetrics(self.label.font()).height()
        self.icon.setPixmap(self.style().standardIcon(_KIND_ICONS[self.kind]).pixmap(size, size))
        self.icon.setAccessibleName(word)
        self.setAccessibleName(f"{word} message")

    def is_cut_short(self) -> bool:
        """The label shows part of the message (``text()`` is all of it)."""
        return self.label.text() != self.text()

    def _lines_height(self) -> int:
        return MAX_LINES * QFontMetrics(self.label.font()).lineSpacing()

    def _fit_text(self) -> None:
        """Show as much of the message as ``MAX_LINES`` lines of the label's width hold."""
        full = self.text()
        shown = _fitted(full, QFontMetrics(self.label.font()), max(self.label.width(), 200), self._lines_height())
        self.label.setText(shown)
        self.label.setAccessibleName(f"{KIND_WORDS[self.kind]}: {shown}")
        cut = shown != full
        self.details_button.setVisible(cut)
        self.label.setToolTip(_tooltip(full) if cut else "")

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        if self._messages:  # wider or narrower: more or less of the message fits
            self._fit_text()

    def show_details(self) -> QMessageBox:
        """The whole message, in a box that scrolls (window-modal: the window keeps painting)."""
        box = QMessageBox(QMessageBox.Icon.Information, "vsdesk", self.label.text(), QMessageBox.StandardButton.Close,
                          self.window())
        box.setTextFormat(Qt.TextFormat.PlainText)  # paths and names are the user's, not markup
        box.setDetailedText(self.text())
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()
        return box

    def _run_action(self, other: bool = False) -> None:
        action = self._action(other)
        self.clear()
        if action is not None:
            action[1]()

    def clear(self) -> None:
        self._messages = []
        self.action_button.hide()
        self.details_button.hide()
        self.other_button.hide()
        self.kind = ""
        self.label.clear()
        self.label.setAccessibleName("")
        self.icon.clear()
        self.setAccessibleName("")
        self.hide()


def _fitted(text: str, metrics: QFontMetrics, width: int, height: int) -> str:
    """``text``, or as much of it as fits ``height`` when wrapped at ``width``, cut at a word
    and ended with "…". (A word wider than ``width``, which cannot be wrapped, does not fit.)"""
    def fits(candidate: str) -> bool:
        box = metrics.boundingRect(QRect(0, 0, width, 1 << 20), Qt.TextFlag.TextWordWrap, candidate)
        return box.height() <= height and box.width() <= width

    if fits(text):
        return text
    low, high = 0, len(text)  # the longest beginning that fits with "…" after it: a binary search
    while low < high:
        middle = (low + high + 1) // 2
        if fits(text[:middle].rstrip() + " …"):
            low = middle
        else:
            high = middle - 1
    cut = text[:low]
    space = cut.rfind(" ")
    if space > low * 2 // 3:  # not in the middle of a word, unless that loses much
        cut = cut[:space]
    return cut.rstrip() + " …"


def _tooltip(text: str) -> str:
    if len(text) <= TOOLTIP_CHARS:
        return text
    return text[:TOOLTIP_CHARS].rstrip() + " … (Details… shows all of it)"
