"""The messages ``TabCatalog`` says in the message bar, each taken down when it is no longer true:
the one about the catalog shown (when another opens), a note up until the catalog has opened,
the news that a catalog was removed (when one of that name is shown again); none of them takes
down an offer the user has yet to answer."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PySide6.QtCore import SignalInstance

    from vsdesk.gui.message_bar import MessageBar


class CatalogMessages:
    """Mixed into ``TabCatalog``: uses its ``messages`` (the message bar) and the texts it keeps,
    declared below."""

    # What it uses of ``TabCatalog``'s state, all set in its ``__init__`` (declared here for readers
    # and type checkers; tests/test_gui_catalog_mixins.py checks that a built tab has each, and
    # that every ``self.X`` used here is one of these or one of the tab's methods and signals).
    title: str
    messages: MessageBar
    status_message: SignalInstance
    _said: str
    _said_beside: list[str]
    _note: str
    _until_opened: str
    _removed_said: tuple[str, str] | None

    def news(self) -> list[str]:
        """The messages up about the catalog shown (what opening it said, a note up until it has
        opened), each taken down by this class when no longer true: the results' notes go beside
        them, not in their place (a weak match's note, said again as the query was ranked in the
        catalog brought up to date, took down "… brought up to date: 2 new", unseen)."""
        return [text for text in (self._said, *self._said_beside, self._note, self._until_opened)
                if text and self.messages.says(text)]

    def say(self, kind: str, text: str, action=None, other=None) -> None:
        """A message about the catalog shown or one of its images (it cannot be opened ...):
        taken down when another catalog is chosen, or this one opened again."""
        self._tell(kind, text, action, other)
        self._said = text

    def _say_beside(self, text: str) -> None:
        """An info about the catalog shown, beside what is up (what opening it said), else alone."""
        if self.messages.text():
            self.messages.add_message(text, "info")
            self._said_beside.append(text)  # taken back with the rest (``_unsay``)
        else:
            self.say("info", text)

    def _tell(self, kind: str, text: str, action=None, other=None, stays: bool = False) -> None:
        """Say ``text`` without taking down an offer the user has yet to answer: news of the
        catalog opening in the background (the sample failing to download, offline) must not
        lose what the user asked for (a folder given at start-up, offered as a catalog).
        ``stays``: not replaced by the messages said after it (``MessageBar.show_message``)."""
        if action is None and self.messages.has_offer():
            self.messages.add_message(text, kind, stays=stays)
        else:
            self.messages.show_message(text, kind, action, other, stays=stays)

    def _tell_removed(self, name: str, kind: str, text: str) -> None:
        """Say that catalog ``name`` was removed: kept up while another is shown (not about that
        one: what is said of it, or of the results left, goes beside), until the user dismisses
        it or a catalog of that name is shown again (``_show``). The status line says it too: it
        said "catalog “X” ready" until the next catalog had opened (a sample offline never
        does), beside the news that X was gone."""
        if self._removed_said is not None:  # (one catalog removed after another: the latest said)
            self.messages.remove_message(self._removed_said[1])
        self._tell(kind, text, stays=True)
        self._removed_said = (name, text)
        self.status_message.emit(f"{self.title}: catalog “{name}” removed")

    def _note_until_opened(self, text: str, beside: bool = False) -> None:
        """Say ``text`` until the catalog has opened (news of what opening it does): beside an
        offer up, as ``_tell`` says it, and taken down alone, leaving the offer up. ``beside``:
        beside all that is up (news of what led to the opening)."""
        self._drop_note()
        if beside:
            self.messages.add_message(text, "info")
        else:
            self._tell("info", text)
        self._note = text

    def _drop_note(self) -> None:
        if self._note:
            self.messages.remove_message(self._note)
            self._note = ""

    def _take_back_until_opened(self) -> None:
        if self._until_opened:
            self.messages.remove_message(self._until_opened)
            self._until_opened = ""

    def _unsay(self) -> bool:
        """Take back the message about the catalog shown, if it is still up: True if it was."""
        up = bool(self._said) and self.messages.remove_message(self._said)
        self._said = ""
        for text in self._said_beside:
            self.messages.remove_message(text)
        self._said_beside = []
        return up
