"""What ``TabQuery`` says of the results it shows: their count in the status bar, the query's
caption ("in this catalog"), the note the results need (none found and why, a weak match, the
copies left out, the panel's note on its options), and that they are another catalog's while
the chosen one opens or its model searches the query again (greyed, until they follow it)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from vsdesk.engine.query import WEAK_MATCH
from vsdesk.engine.session import QueryOutcome
from vsdesk.engine.text import counted, sentence, shown_path
from vsdesk.gui.panels.base import Note
from vsdesk.gui.query_results import copies_note, query_in_catalog_as

if TYPE_CHECKING:
    from PySide6.QtCore import SignalInstance

    from vsdesk.gui.gallery import GalleryView
    from vsdesk.gui.message_bar import MessageBar
    from vsdesk.gui.panels.base import ModePanel
    from vsdesk.gui.query_area import QueryArea
    from vsdesk.gui.tab_catalog import TabCatalog
    from vsdesk.gui.worker import TaskRunner


class QueryNotes:
    """Mixed into ``TabQuery``: uses its widgets, the results shown and the state below."""

    # What it uses of ``TabQuery``'s state, all set in its ``__init__`` (declared here for readers
    # and type checkers, as ``TabCatalog``'s mixins declare theirs).
    mode: str
    title: str
    runner: TaskRunner
    catalog: TabCatalog
    query_area: QueryArea
    gallery: GalleryView
    panel: ModePanel
    messages: MessageBar
    status_message: SignalInstance
    outcome: QueryOutcome | None
    _results_from_other_catalog: bool
    _other_catalog_said: str
    _note_said: str
    _last_query: tuple | None
    _searching_again_for: str

    def _show(self, text: str, kind: str, action=None) -> None:
        """Show a message about the query or its results instead of what is up, but for what the
        catalog's opening said (``TabCatalog.news``): still true, and perhaps not yet read (a
        weak match's note, said again as the query was ranked in the catalog brought up to date,
        took "… brought up to date: 2 new" down at once). Unless ``text`` says it again (the
        failure of an opening, in "No results: …")."""
        self.messages.show_message(text, kind, action, keep=[news for news in self.catalog.news() if news not in text])

    def _say_results(self, outcome: QueryOutcome, size: int, elapsed: float) -> None:
        """How many results, from what, in the status bar: after a search, and after a re-rank
        (the type box, kids' wear), which left the first search's count there ("16 results" with 8)."""
        found = counted(len(outcome.hits), "result")
        kept = self.panel.results_kept_to(outcome.extras)
        filtered = self.panel.results_filtered(outcome.extras)
        self.status_message.emit(
            f"{self.title}: {found}{f' of the type {kept}' if kept else ''}{f' ({filtered})' if filtered else ''} "
            f"from “{outcome.catalog}” "
            f"({counted(size, 'image')}) in {elapsed:.2f} s"
        )

    def _say_whose_results_are_kept(self) -> None:
        """Under the error of a search that failed: the results kept, if they are another
        catalog's (the chosen one's model failed to search the query again), say so. The note
        that said it while the chosen catalog opened went under the error, and the results
        were left under the chosen catalog's name."""
        outcome = self.outcome
        if outcome is not None and outcome.catalog != self.catalog.name:
            self.messages.add_message(f"The results shown are still those of “{outcome.catalog}”.", "info")

    def _caption_query(self, outcome: QueryOutcome) -> None:
        """The query's name under it; "in this catalog" after it when the catalog holds the
        query itself under another name (the quick start's dress is in the sample catalog):
        said there, calmly, not as a note in the message bar, which read as a problem."""
        if self._last_query is None:
            return
        inside = query_in_catalog_as(outcome)
        if inside:
            self.query_area.set_caption(self._last_query[3], "in this catalog", tooltip=(
                f"This catalog holds the query itself, as {shown_path(Path(inside).name)} (the same bytes), so it is "
                "not among its own results."))
        else:
            self.query_area.set_caption(self._last_query[3])

    def _say_results_are_from_another_catalog(self) -> bool:
        """Whether the results shown are another catalog's, the chosen one being indexed (then
        the message bar says so)."""
        outcome = self.outcome
        searching_again = bool(self._searching_again_for) and self.runner.is_running(f"{self.mode}/query")
        if outcome is None or outcome.catalog == self.catalog.name or not (self.catalog.is_opening() or searching_again):
            return False
        if self.catalog.is_opening():
            # Being opened (its folders scanned, its index read) is not being indexed: an indexed
            # catalog opened on a busy machine was said to be "still being indexed".
            doing = "indexed" if self.catalog.is_indexing() else "opened"
            why = f"“{self.catalog.name}” is still being {doing}, and the results follow it once it is ready."
        else:  # open, its model (another) loading to search the query again: a minute, the first time
            model = f"model {self.catalog.snapshot.model}" if self.catalog.snapshot and self.catalog.snapshot.model \
                else "its model"
            why = f"the query is being searched again in “{self.catalog.name}” with {model}; its results follow."
        self.messages.remove_message(self._other_catalog_said)  # (said again: "opened" now, not "still being opened")
        self._other_catalog_said = f"These results are from “{outcome.catalog}”: {why}"
        self._show(self._other_catalog_said, "info")
        self._results_from_other_catalog = True
        self._grey_results(True)  # the other catalog's, greyed: never read as this one's
        return True

    def _grey_results(self, grey: bool) -> None:
        """The results and the panel's facts (probabilities, model) greyed while they are another
        catalog's, or shown plainly again."""
        self.gallery.setEnabled(not grey)
        self.panel.setEnabled(not grey)

    def _forget_results_were_from_another_catalog(self, outcome: QueryOutcome) -> None:
        """The results follow the chosen catalog now (re-ranked, or searched again by its
        model): the note that they were another catalog's goes, alone (clearing the bar took
        the news beside it down too: that the catalog shown before was removed)."""
        if self._results_from_other_catalog and outcome.catalog == self.catalog.name:
            self._results_from_other_catalog = False
            self._grey_results(False)
            self.messages.remove_message(self._other_catalog_said)
            self._other_catalog_said = ""

    def _show_results_note(self, outcome: QueryOutcome) -> None:
        """What the results need said: none found (and why), or the panel's note on its options
        (e.g. results kept to a product type that is a guess); a note of ours no longer true goes."""
        note, beside = None, False
        if self.catalog.snapshot is not None and len(self.catalog.snapshot):
            note = self.panel.results_note(outcome.extras, len(outcome.hits))
        if outcome.nothing_to_compare:
            note = None  # not the catalog's doing: the empty gallery says why (``no_results_text``)
        elif note is None and not outcome.hits and outcome.left_out:  # (as `vsdesk search` says it)
            copies = counted(outcome.left_out, "copy", "copies")  # its file, bytes or vector
            note = Note("info", f"No other images: the catalog “{self.catalog.name}” holds only the query "
                                f"itself ({copies} of it, left out).")
        elif note is None and not outcome.hits and self.catalog.failure:
            # Why it could not be opened, again: that message was replaced by this one.
            note = Note("warning", f"No results: the catalog “{self.catalog.name}” has no indexed images. "
                                   f"{self.catalog.failure}", self.catalog.failure_action)
        elif note is None and not outcome.hits:
            note = Note("warning", f"No results: the catalog “{self.catalog.name}” has no indexed images yet"
                                   " (see the message above or add a folder).")
            # Beside what opening the catalog said of it (its last folder forgotten, none of its
            # files readable ...), which it points to: that message said what just happened.
            beside = True
        elif note is None and outcome.weak_match:  # (as `vsdesk search` says it)
            note = Note("info", f"{sentence(WEAK_MATCH)}.")
        copies = copies_note(outcome)
        if note is not None:
            note = note._replace(text=f"{note.text} {copies}" if copies else note.text)
            if self._note_said:
                self.messages.remove_message(self._note_said)  # (the same note, said again: not twice)
            if beside and self.messages.text():
                self.messages.add_message(note.text, note.kind, note.action)
            else:
                self._show(note.text, note.kind, note.action)
        elif copies:  # beside what is up (e.g. what was done with the files given), not instead
            if self._note_said:
                self.messages.remove_message(self._note_said)
            self.messages.add_message(copies, "info")
        elif self._note_said and self.messages.text() == self._note_said:
            self.messages.clear()  # the option it was about was changed back
        self._note_said = note.text if note is not None else copies
