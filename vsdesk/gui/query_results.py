"""A query's results as the gallery shows them (or the whole catalog, browsed without a query),
and what is said of them: the copies of the query left out, the query found in the catalog
under another name, why nothing was compared. Used by ``TabQuery`` (tab_query.py) and the notes
it says on its results (query_notes.py)."""

from __future__ import annotations

from vsdesk.engine.query import copies_to_name
from vsdesk.engine.session import CatalogSnapshot, QueryOutcome
from vsdesk.engine.text import counted, shown_path, telling_names
from vsdesk.gui.gallery import GalleryItem, LazyItems


def copies_note(outcome: QueryOutcome) -> str:
    """The files left out as copies of the query other than its own file, named as `vsdesk
    search` names them (``query.copies_to_name``), or "": the painting a crop came from, which
    the model sees as the crop itself, is then not missing from the results without a word."""
    named = copies_to_name(outcome.copies)
    if not named or outcome.nothing_to_compare or query_in_catalog_as(outcome):
        return ""
    # Told apart by their folders where their names are one ("a/x.png; b/x.png").
    names = [shown_path(name) for name in telling_names([path for path, _ in named])]
    shown = "; ".join(f"{name} ({words})" for name, (_, words) in zip(names[:3], named))
    more = f" and {counted(len(named) - 3, 'other')}" if len(named) > 3 else ""
    return f"Not shown, as {'a copy' if len(named) == 1 else 'copies'} of the query: {shown}{more}."


def query_in_catalog_as(outcome: QueryOutcome) -> str:
    """The catalog file that is the query itself under another name (its only copy there, the
    same bytes: a photo searched from outside the catalog that also holds it), or "". Two
    copies, or a copy beside the query's own file, are duplicates in the catalog: they are
    named in the message bar (``copies_note``), where they inform."""
    copies = list(outcome.copies or ())
    if len(copies) == 1 and copies[0][1] == "bytes" and not outcome.nothing_to_compare:
        return copies[0][0]
    return ""


def no_results_text(outcome: QueryOutcome) -> str:
    """What the empty gallery says for a query that was not compared with the catalog at all
    (a VAE picture with no object: ``QueryOutcome.nothing_to_compare``), as `vsdesk search`
    says it; "" for any other."""
    why = outcome.nothing_to_compare
    return f"{why[:1].upper()}{why[1:]}." if why else ""


def first_score(outcome: QueryOutcome) -> float | None:
    """The number the first result shows under its name, or None without results."""
    return outcome.hits[0].score if outcome.hits else None


def browse_items(snapshot: CatalogSnapshot) -> LazyItems:
    """The whole catalog in the gallery, when there is no query: each file once, its other
    paths (identical bytes) under it ("also at …"), as search results show them. Each item is
    made as the gallery shows its row: tens of thousands made at once kept the window from
    painting for up to 0.6 s (40,000 images)."""
    rows, paths, n = snapshot.browse, snapshot.paths, len(snapshot)

    def make(row: int) -> GalleryItem:
        i, also = rows[row] if rows is not None else (row, ())
        return GalleryItem(i, paths[i], paths[i], None, snapshot.labels[i], snapshot.item_type(i),
                           tuple(paths[other] for other in also), also_rows=also)

    if rows is None:
        return LazyItems(n, make, lambda index: index if 0 <= index < n else -1)
    shown_at: dict[int, int] = {}  # a catalog row -> the gallery's row showing it, made at the first map click

    def row_of_index(index: int) -> int:
        if not shown_at:
            for row, (i, also) in enumerate(rows):
                shown_at[i] = row
                shown_at.update(dict.fromkeys(also, row))
        return shown_at.get(index, -1)

    return LazyItems(len(rows), make, row_of_index)


def result_items(outcome: QueryOutcome, snapshot: CatalogSnapshot | None) -> list[GalleryItem]:
    """The results in the gallery, each with its product type when ``snapshot`` is the catalog
    version they were ranked in (its rows are theirs) and knows the types."""
    same = snapshot is not None and (snapshot.name, snapshot.version) == (outcome.catalog, outcome.catalog_version)
    # The rows of a result's other paths (the same file, folded into it), on the map shown when
    # it is the version ranked: a click on one of their points selects the result, as browsing does.
    return [GalleryItem(h.index, h.path, h.path, h.score, h.label, snapshot.item_type(h.index) if same else None,
                        h.also, also_rows=h.also_rows if same else (), copies=h.copies,
                        copy_rows=h.copy_rows if same else ())
            for h in outcome.hits]
