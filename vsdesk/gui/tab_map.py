"""A tab's t-SNE map: the projection computed on the compute thread, its steps shown as they
come, the points coloured by the catalog's labels or by the model's classes, the best results
ringed and the query placed among them; the map and the gallery linked both ways.

``TabMap`` owns the tab's "<mode>/map" slot on the runner and the map widget, created on first
use (the window shows before pyqtgraph loads) in the place of the placeholder it is given. It
reads the catalog shown from the ``TabCatalog`` and the results from the ``TabQuery``.

The map of the tab the user looks at goes first on the compute worker: submitted urgent, or
made urgent when the user turns to the tab (``tab_shown``), it starts at once on a thread of its
own, and the map being computed, even one that was urgent itself, waits at its next pause
(between t-SNE stages); a map that waits meanwhile (queued, or paused for the other) says whose
("Waiting for the Product tab's map…").
A catalog is mapped as soon as its index is read, before its index run; the same rows told
more afterwards (the classes the model predicts) are only coloured again, and a new version of
it (its resumed run done, images added) is mapped from that map, refined, not afresh. A map that failed
is computed again when the catalog changes (opened again, new images indexed), when the
user asks ("Try again" under the error), and once when the user turns to a tab whose map
failed while it was hidden. A map that could not be saved in the cache is shown
all the same, with a note under it (the user may want to free some space).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QComboBox, QWidget

from vsdesk.engine.map_colours import Colouring
from vsdesk.engine.projection import REFINING, CatalogMap, initial_layout, quick_to_lay_out
from vsdesk.engine.session import CatalogSnapshot, ItemCaptions, ModeSession, item_facts, place_on_map
from vsdesk.engine.text import names_escaped, shown_path, telling_names
from vsdesk.gui.errors import os_error_words, user_message
from vsdesk.gui.gallery import GalleryItem, GalleryView
from vsdesk.gui.placeholder import replace_placeholder
from vsdesk.gui.preview import ItemPreview
from vsdesk.gui.settings import Settings
from vsdesk.gui.tab_catalog import TabCatalog
from vsdesk.gui.tab_query import TabQuery
from vsdesk.gui.thumbnails import ThumbnailCache
from vsdesk.gui.worker import TaskRunner

#: The best results are ringed on the map (all 48 would ring most of a small catalog).
MAP_HIGHLIGHT = 12
#: How long a map may take before the user is told it is coming: a map from the cache comes
#: sooner (3 ms for 212 images here), and a status said and taken back at once only flashes.
#: Said again at that interval until the map is done: whose map the compute worker works on
#: meanwhile changes (another tab's, queued first or gone ahead of this one, paused).
WAIT_BEFORE_SAYING_MS = 300
#: Said after the error of a map that failed while its catalog's earlier map, updated, was shown.
PROVISIONAL_LEFT = " The map shown is the earlier one, updated for now (new images beside their closest)."


class TabMap(QObject):
    #: emitted when the catalog's t-SNE map is complete
    map_ready = Signal()

    def __init__(self, *, mode: str, session: ModeSession, runner: TaskRunner, settings: Settings,
                 cache: ThumbnailCache, catalog: TabCatalog, query: TabQuery, gallery: GalleryView,
                 preview: ItemPreview, colour_by: QComboBox, colour_row: QWidget, placeholder: QWidget,
                 titles: dict[str, str], parent: QObject):
        super().__init__(parent)
        self.mode = mode
        self.titles = titles  # each mode's tab title: whose map goes first is said
        self.session = session
        self.runner = runner
        self.settings = settings
        self.cache = cache
        self.catalog = catalog
        self.query = query
        self.gallery = gallery
        self.preview = preview
        self.colour_by = colour_by  # labels, or the classes the model predicts
        self.colour_row = colour_row  # shown for a catalog that has both
        self._placeholder = placeholder
        self._scatter = None  # built after the window's first paint (pyqtgraph costs ~0.5 s)
        self.xy: np.ndarray | None = None
        #: The catalog mapped (or being mapped), as last told (the same rows may be told more).
        self._mapped: CatalogSnapshot | None = None
        self._map_snapshot: CatalogSnapshot | None = None  # whose points the map was given
        self._progress: tuple[int, int, str] | None = None  # the map's last progress, said again after a wait
        #: The map failed while its tab was hidden: tried once more when the user turns to it.
        self._failed_unseen = False
        #: The map shown is an earlier one updated (``_show_updated``) until the refined one comes.
        self._provisional = False
        #: The catalog being opened while nothing is mapped, until it is shown: its steps are said.
        self._opening = ""
        # The ring marks the item the preview shows: none once the preview is cleared (new
        # results, or the item picked re-ranked out of them), else it stayed on an item of the
        # previous results.
        preview.cleared.connect(self._on_preview_cleared)

    @property
    def scatter(self):
        """The t-SNE map widget, created on first use (the window shows before pyqtgraph loads)."""
        return self.ensure_scatter()

    def ensure_scatter(self):
        """The map widget, created in the place of its placeholder if not yet: the window has it
        created after its first paint (pyqtgraph costs ~0.5 s), else its first use does."""
        if self._scatter is None:
            from vsdesk.gui.scatter import ScatterView

            self._scatter = ScatterView(self.cache)
            self._scatter.point_clicked.connect(self._on_point_clicked)
            replace_placeholder(self._placeholder, self._scatter)
        return self._scatter

    # -- the catalog's map -----------------------------------------------------------------------
    def leave_catalog(self) -> None:
        self.xy = None
        self._opening = ""
        self._provisional = False
        self._mapped = None
        self.runner.cancel(f"{self.mode}/map", notify=False)
        self.runner.cancel(f"{self.mode}/map-update", notify=False)
        self.scatter.clear()

    def catalog_opening(self, name: str) -> None:
        self._failed_unseen = False  # a map comes with the catalog opened
        if self._nothing_shown():
            # What the catalog holds is shown, and mapped, once its index is read.
            self._opening = name
            self.scatter.set_status(f"Opening “{name}”…")

    def catalog_step(self, step: str) -> None:
        """The step the catalog's opening is at (``step``, as its line says it): said here too
        while the map waits for it. A 15k catalog's line said "reading the index of 15254
        images" for seconds while the map still said "Opening “photos”…", as if stuck."""
        if self._opening and self._nothing_shown():
            self.scatter.set_status(names_escaped(f"Opening “{self._opening}”: {step}; its map comes next…"))

    def catalog_indexing(self, name: str) -> None:
        """Nothing of the catalog can be shown before it is indexed (a new one, or one of another
        model's vectors)."""
        self._opening = ""  # (its run's steps are the catalog line's: the map waits for its end)
        if self._nothing_shown():
            self.scatter.set_status(f"The map of “{name}” appears once it is indexed…")

    def _nothing_shown(self) -> bool:
        return self.xy is None and not self.runner.is_running(f"{self.mode}/map")

    def show_catalog(self, snapshot: CatalogSnapshot) -> None:
        """The catalog shown: its map computed, unless it is the one mapped, row for row (the
        same catalog told more: the classes the model predicts), which is coloured again only."""
        self._opening = ""  # (its steps from now on are its index run's: the map says its own)
        if snapshot.same_rows(self._mapped):
            self._mapped = snapshot
            self.colour_row.setVisible(snapshot.predicted_colouring is not None)
            self._show_colours(item_labels=True)
            return
        start_from = self._earlier_map(snapshot)
        self.catalog_opened(snapshot)
        self.start(snapshot, start_from)
        if start_from is not None:
            self._show_updated(snapshot, start_from)

    def _show_updated(self, snapshot: CatalogSnapshot, earlier: CatalogMap) -> None:
        """The map shown at once for a catalog changed since ``earlier`` (a few files added,
        renamed, removed): its points kept, gone ones dropped, new ones beside their nearest
        neighbour (``initial_layout``), said provisional while the map is refined. It was blank
        at 0 % for the whole map's time (30-45 s for 2,000 images). Laid out on the I/O thread,
        ahead of its other tasks, and only when that is a few milliseconds there
        (``quick_to_lay_out``): else the map's worker shows the same layout as its first step,
        moments later. (On the GUI thread, 40,000 images and one new took 15-80 ms, and up to
        40 ms more to tell whether it was quick.)"""
        def lay_out(ctx):
            if not quick_to_lay_out(snapshot.paths, earlier):
                return None
            return initial_layout(snapshot.paths, snapshot.vectors, earlier, snapshot.hashes or None)

        self.runner.submit(f"{self.mode}/map-update", lay_out, worker="io", urgent=True,
                           on_done=lambda layout: self._show_layout(snapshot, layout))

    def _show_layout(self, snapshot: CatalogSnapshot, layout: np.ndarray | None) -> None:
        """``_show_updated``'s layout, unless the map has moved on meanwhile: another catalog or
        version mapped, a step of the map shown (its layout, or the map whole from the cache),
        or the map done or failed (its error stays)."""
        if layout is None or len(snapshot) < 3 or self.xy is not None or not snapshot.same_rows(self._mapped) \
                or not self.runner.is_running(f"{self.mode}/map"):
            return
        self._show_map(snapshot, layout)
        self._provisional = True
        self._progress = (0, 1, REFINING)
        self.scatter.set_status(self._progress_words())

    def _earlier_map(self, snapshot: CatalogSnapshot) -> CatalogMap | None:
        """The map shown (or its latest step) when it is of an earlier version of ``snapshot``'s
        catalog (the part indexed before its run resumed, mapped as its index was read): the new
        map starts from it (``ModeSession.projection``'s ``start_from``) rather than afresh."""
        mapped, xy = self._mapped, self.xy
        if mapped is None or xy is None or len(xy) != len(mapped) or mapped.name != snapshot.name \
                or mapped.model_key != snapshot.model_key:
            return None
        return CatalogMap(list(mapped.paths), xy, hashes=list(mapped.hashes) or None)

    def catalog_opened(self, snapshot: CatalogSnapshot) -> None:
        """No points until the first step of the new map (``start``)."""
        self.xy = None
        self._opening = ""
        self._provisional = False
        self.colour_row.setVisible(snapshot.predicted_colouring is not None)
        self.scatter.clear()

    def catalog_failed(self, why: str) -> None:
        """``why``: what happened, in a few words (``TabCatalog.failure_brief``)."""
        self._opening = ""
        self.scatter.set_status(f"No map: {why}")  # not "appears once …"

    def start(self, snapshot: CatalogSnapshot, start_from: CatalogMap | None = None) -> None:
        """Map ``snapshot`` on the compute worker (``start_from``: an earlier map of it to refine)."""
        self._mapped = snapshot
        if len(snapshot) < 3:
            self.runner.cancel(f"{self.mode}/map", notify=False)
            self.scatter.set_status("Too few images for a map")
            return
        # Nothing said yet: a map from the cache appears within moments, and a map computed
        # says its progress as it starts ("t-SNE 0%"). Only a map that keeps the user waiting
        # (behind another tab's, or read from a slow disk) is said to be coming.
        self.scatter.set_status("")
        self._failed_unseen = False
        self._progress = None
        task = self.runner.submit(
            f"{self.mode}/map",
            lambda ctx: self.session.projection(snapshot, ctx.progress, ctx.cancelled, lambda xy: ctx.partial(xy, force=True),
                                                start_from=start_from),
            worker="compute",
            # Said in the status bar, which said "Ready" while the map was still computed.
            label=f"{self.titles[self.mode]}: computing the map of “{snapshot.name}”",
            # The map the user looks at goes ahead of another tab's at once, that one waiting at
            # its next pause (between t-SNE stages): a first start maps the VAE sample's 10,000
            # images for minutes, and a catalog opened meanwhile waited for all of it.
            urgent=self.parent().isVisible(),
            on_progress=self._on_progress,
            on_partial=lambda xy: self._show_map(snapshot, xy),
            on_done=lambda found: self._show_map(snapshot, found.xy, final=True, note=_unsaved_note(found)),
            on_error=self._failed,
        )
        QTimer.singleShot(WAIT_BEFORE_SAYING_MS, self, lambda: self._say_coming(task))

    def _on_progress(self, done: int, total: int, message: str) -> None:
        self._progress = (done, total, message)
        self.scatter.set_status(self._progress_words())

    def _progress_words(self) -> str:
        """"Computing the map: t-SNE 25%", and what holds it back: t-SNE's threads crawl while
        an index run keeps the processor busy (its first step said "0%" for 50 s and more
        while a catalog was indexed, and went quickly once the run was done)."""
        if self._progress is None:
            said = "Computing the t-SNE map…"
        else:
            done, total, message = self._progress
            # "t-SNE", or with what a stage of a big map does: "t-SNE: finding each image's neighbours"
            name, _, step = (message or "t-SNE").partition(": ")
            said = f"Computing the map: {name} {100 * done // max(total, 1)}%"
            if name == REFINING:  # the map shown is the earlier one updated (``_show_updated``)
                said = ("Map updated for now (new images beside their closest, removed ones gone): "
                        f"refining it {100 * done // max(total, 1)}%")
            if step:
                said += f" ({step})"
        indexing = _indexing_words(self.runner.running_slots("tf"), self.mode, self.catalog.name, self.titles)
        return f"{said.rstrip('…')}, slow while {indexing} (it speeds up once that is done)" if indexing else said

    def _say_coming(self, task: int) -> None:
        """While the map keeps the user waiting, say why: the compute worker works on another
        tab's map first (queued before it, or gone ahead of it, the user having turned to that
        tab), or this one is coming. Said again until the map is done."""
        slot = f"{self.mode}/map"
        if self.runner.current(slot) != task:
            return  # done, failed, or another map superseded it
        running = self.runner.running_slots("compute")
        status = self.scatter.status()
        if running and running[-1] != slot:
            self.scatter.set_status(_waiting_words(running[-1], self.titles))
        elif running and (not status or status.startswith(("Waiting", "Computing the", "Map updated"))):  # at work on this one
            self.scatter.set_status(self._progress_words())  # (an index run started or ended meanwhile)
        QTimer.singleShot(WAIT_BEFORE_SAYING_MS, self, lambda: self._say_coming(task))

    def _failed(self, exc: BaseException) -> None:
        # The steps shown so far stay: the map is then unfinished rather than missing.
        doing = "compute the map" if self.xy is None else "finish the map"
        said = user_message(exc, doing)
        if self._provisional and self.xy is not None:  # the error took the place of "Map updated for now"
            said += ("" if said.endswith(".") else ".") + PROVISIONAL_LEFT
        self._failed_unseen = not self.parent().isVisible()
        if self._failed_unseen:  # (``tab_shown``)
            said += ("" if said.endswith(".") else ".") + " It is tried again when you turn to this tab."
        self.scatter.set_status(said, action=("Try again", self.try_again))

    def try_again(self) -> None:
        """The map once more after an error: what failed (a full disk, say) may be put right."""
        if self.catalog.snapshot is not None:
            self.start(self.catalog.snapshot)

    def tab_shown(self) -> None:
        """The user turned to the tab: its map, if it waits behind another tab's, goes first;
        one that failed while the tab was hidden is tried again, once: what failed (a lock
        another program held for a while, a full disk) may be over by now, and the error was
        never seen. A map that fails with its tab in view waits for "Try again" (no loop)."""
        self.runner.hurry(f"{self.mode}/map")
        if self._failed_unseen:
            self._failed_unseen = False
            self.try_again()

    def _show_map(self, snapshot: CatalogSnapshot, xy: np.ndarray, final: bool = False, note: str = "") -> None:
        """A step of the map, or with ``final`` the finished map (and ``note``, said under it)."""
        if not snapshot.same_rows(self._mapped) or snapshot.name != self.catalog.name:
            return  # the catalog changed meanwhile, or another is being opened
        xy = np.asarray(xy, np.float32)
        self.xy = xy
        # The points' images and labels are given with the snapshot's first step only: later
        # steps just move the points (no O(n) work on the GUI thread at each one).
        first = snapshot is not self._map_snapshot
        self._map_snapshot = snapshot
        mapped = self._mapped  # the same rows, as last told (its colours)
        shown = self._colouring(mapped)
        self.scatter.set_points(xy, shown.codes, shown.names, mapped.paths if first else None,
                                ItemCaptions(mapped) if first else None, shown.colours)
        self.show_outcome()
        # Fitted at every step: t-SNE starts from a small PCA layout (about ±0.7) and spreads
        # out (about ±20), so a view fitted to its first step lost every later one.
        self.scatter.fit()
        if final:
            self._provisional = False
            self.scatter.set_status(note)
            self.map_ready.emit()

    # -- colours and results ---------------------------------------------------------------------
    def _colouring(self, snapshot: CatalogSnapshot) -> Colouring:
        if snapshot.predicted_colouring is not None and self.colour_by.currentIndex() == 1:
            return snapshot.predicted_colouring
        return snapshot.colouring

    def recolour(self, index: int) -> None:
        self.settings.set_value(f"{self.mode}/map_by_model", index == 1)
        self._show_colours()

    def _show_colours(self, item_labels: bool = False) -> None:
        """The points shown coloured anew (``item_labels``: each one's label, said on hover, too)."""
        mapped, xy = self._mapped, self.xy
        if mapped is not None and xy is not None and len(xy) == len(mapped):
            shown = self._colouring(mapped)
            self.scatter.set_points(xy, shown.codes, shown.names, None, ItemCaptions(mapped) if item_labels else None,
                                    shown.colours)
            self.show_outcome()

    def show_outcome(self) -> None:
        """The best results ringed and the query placed, if they are of the catalog as mapped."""
        outcome, xy = self.query.outcome, self.xy
        if outcome is None or xy is None or not self._results_are_mapped():
            self.scatter.set_highlight([])
            self.scatter.set_query(None)
            return
        # A result's copies folded into it (``Hit.copy_rows``) are points of their own: ringed
        # with it, or they would sit by the query as if they were no result. (Its file's other
        # paths, ``also_rows``, are not drawn.)
        self.scatter.set_highlight([row for h in outcome.hits[:MAP_HIGHLIGHT] for row in (h.index, *h.copy_rows)])
        if outcome.self_index is not None and outcome.self_index < len(xy):
            self.scatter.set_query(tuple(float(v) for v in xy[outcome.self_index]))  # a catalog item: its own point
        else:
            self.scatter.set_query(place_on_map(outcome.hits, xy))

    def _results_are_mapped(self) -> bool:
        """Whether the gallery's items are rows of the catalog mapped: its browsing view, or
        results of it as mapped (not of the catalog shown before, while another opens)."""
        outcome, mapped = self.query.outcome, self._mapped
        return mapped is not None and (outcome is None or (outcome.catalog, outcome.catalog_version) == (
            mapped.name, mapped.version))

    # -- linking gallery and map -----------------------------------------------------------------
    def on_gallery_current(self, item: GalleryItem | None) -> None:
        if item is None:
            return
        self.scatter.select(item.index if item.index >= 0 and self._results_are_mapped() else None)
        facts = item_facts(item.label, item.kind)
        facts += [f"similarity {item.score:.3f}"] if item.score is not None else []
        # "also at" on a line of its own: at the end of the facts, shortened in the middle to
        # fit, it lost its words and its folder ("… similarity 0.560 · als…/0734….jpg").
        also = [also_words(item.also, item.path or "")] if item.also else []
        self.preview.show_item(item.source, _caption(shown_path(item.name), facts, also))

    def _on_preview_cleared(self) -> None:
        if self._scatter is not None:
            self._scatter.select(None)

    def _on_point_clicked(self, index: int) -> None:
        snapshot = self._mapped
        if snapshot is None or not 0 <= index < len(snapshot):
            return
        path, label = snapshot.paths[index], snapshot.labels[index]
        if not self._results_are_mapped() or not self.gallery.select_catalog_index(index):
            self.scatter.select(index)
            facts = item_facts(label, snapshot.item_type(index))
            facts += ["not among the results"] if self.query.outcome is not None else []
            self.preview.show_item(path, _caption(shown_path(Path(path).name), facts))


def _waiting_words(slot: str, titles: dict[str, str]) -> str:
    """What the map waits for: the task ``slot`` at work on the compute thread."""
    mode, _, kind = slot.partition("/")
    if kind == "map" and mode in titles:
        return f"Waiting for the {titles[mode]} tab's map…"
    return "Waiting: other work goes first…"


def _indexing_words(slots: list[str], mode: str, name: str, titles: dict[str, str]) -> str:
    """The index runs under way on the TensorFlow thread (``slots``): this window's own, said
    from tab ``mode``, whose catalog is ``name``: "this window indexes the new images of
    “photos”" (the map is of what was indexed before its run), "this window indexes the Style
    tab's catalog". ("“photos” is indexed" read as another program's doing, or as done.)"""
    modes = [slot.partition("/")[0] for slot in slots if slot.endswith("/catalog")]
    if not modes:
        return ""
    if modes[-1] == mode:  # (the one at work now is the last started)
        return f"this window indexes the new images of “{name}”"
    return f"this window indexes the {titles.get(modes[-1], modes[-1])} tab's catalog"


def _unsaved_note(found: CatalogMap) -> str:
    """What the user is told under a map that could not be kept in the cache (they may want to
    free some space: a large map takes minutes to compute)."""
    if found.unsaved is None:
        return ""
    return (f"The map could not be saved in the cache ({os_error_words(found.unsaved)}): "
            "it will be computed again next time")


def also_words(paths: tuple[str, ...], own: str = "") -> str:
    """The other places of a result's file (at ``own``), in the preview: "also at backup/x.jpg"
    (its folder and name, more folders where they are the result's own folder's name: the
    path whole is in the tooltip), "also at backup/x.jpg and 2 more"."""
    first = shown_path(telling_names([paths[0], *([own] if own else [])], least=2)[0])
    more = f" and {len(paths) - 1} more" if len(paths) > 1 else ""
    return f"also at {first}{more}"


def _caption(name: str, facts: list[str], more: list[str] = ()) -> str:
    """The preview's caption: the name on a line of its own, so that shortened to fit it does not
    take the facts (label, similarity) with it; then each of ``more`` on a line of its own."""
    return "\n".join([name, *([" · ".join(facts)] if facts else []), *more])
