"""A catalog as the session hands it out (``CatalogSnapshot``), and what it says of its items:
their product types (``ItemType``), their captions (``item_facts``, ``ItemCaptions``), the rows
its map draws (``map_rows``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from vsdesk.engine.map_colours import PREDICTED, Colouring, colour_key


@dataclass(frozen=True)
class ItemType:
    """Product mode: a catalog item's type, as a search kept to the query's type reads it
    (``item_classes``), for the gallery, its tips, the preview and the map's hover."""

    name: str
    predicted: bool  # the model's class for its stored vector, not the item's own label
    kids: float | None = None  # the kids' wear probability the model gives it (None: no such head)

    @property
    def for_kids(self) -> bool:
        return self.kids is not None and self.kids >= 0.5

    def short(self) -> str:
        """In a gallery cell, a caption, the map's hover: "T-Shirt", "T-Shirt · kids" (said only
        when yes; the same words everywhere, where the hover said "for kids" and a cell "kids")."""
        from vsdesk.engine.text import shown_class

        return f"{shown_class(self.name)} · kids" if self.for_kids else shown_class(self.name)

    def says(self, label: str) -> bool:
        """Whether the item's ``label`` names this type already (an unlabelled folder's predicted
        class, the sample's own label): then it is said once."""
        return colour_key(label) == colour_key(self.name)

    def tip_lines(self) -> list[str]:
        """Its lines in a tooltip: the type when the model predicted it, the kids' wear flag when yes."""
        from vsdesk.engine.text import kids_words, shown_class

        lines = [f"type: {shown_class(self.name)} (predicted by the model)"] if self.predicted else []
        return lines + ([f"kids' wear: {kids_words(self.kids)}"] if self.for_kids else [])


class ItemCaptions:
    """Each item's label with its product type before it ("T-Shirt · backup"), made when one is
    asked for (the map's hover): a list of them all would cost O(n) strings per catalog shown."""

    def __init__(self, snapshot: CatalogSnapshot):
        self._snapshot = snapshot

    def __len__(self) -> int:
        return len(self._snapshot)

    def __getitem__(self, index: int) -> str:
        return " · ".join(item_facts(self._snapshot.labels[index], self._snapshot.item_type(index)))


def item_facts(label: str, kind: ItemType | None) -> list[str]:
    """What a caption says of an item: its type (and kids' wear when yes), then its label when
    that is something else (a folder's name): "T-Shirt · backup", "Dress (predicted)" as "Dress"."""
    from vsdesk.engine.text import shown_class

    label = shown_class(label.removesuffix(PREDICTED))  # (a folder named "Outwear" is said "Outerwear" too)
    if kind is None:
        return [label] if label else []
    return [kind.short()] + ([label] if label and not kind.says(label) else [])


@dataclass(frozen=True)
class CatalogSnapshot:
    """An indexed catalog at one version: row i of ``vectors`` is ``paths[i]``."""

    name: str
    mode: str
    version: int
    folders: tuple[str, ...]
    paths: list[str]
    labels: list[str]  # "" when unknown
    vectors: np.ndarray
    skipped: int = 0
    skipped_files: list = field(default_factory=list)  # SkippedFile (path, kind, message), by path
    colouring: Colouring = field(default_factory=lambda: Colouring([], np.zeros(0, np.int32), []))
    is_sample: bool = False
    hashes: list[str] = field(default_factory=list)  # content SHA-256 per row
    labels_predicted: bool = False  # labels are the model's predicted classes, not the folder's
    #: A labelled catalog in product mode: the map coloured by the model's predicted classes too.
    predicted_colouring: Colouring | None = None
    note: str = ""  # something the user should know about this opening (e.g. its model is gone)
    #: What the opening's index run found changed in its folders since it was last indexed, in
    #: words ("20 new, 5 moved or renamed, 5 gone": ``change_words``); "" when nothing did, or
    #: when there is nothing to compare with (a new catalog, a model switch, folders added).
    changes: str = ""
    model_key: str = ""  # the key of the model its vectors come from (``Embedder.key``)
    #: The model the catalog keeps (``catalog.model``: product, a trained model's name or folder);
    #: None: the mode's shipped one.
    model: str | None = None
    #: Folders that are gone, a file now, or empty (an unmounted disk), and linked folders or
    #: mount points in them that are away (``Catalog.away_folders``): their images are still
    #: searched. ``missing_kinds``: each with its kind (``AWAY_KINDS``), for the words said.
    missing_folders: tuple[str, ...] = ()
    missing_kinds: dict[str, str] = field(default_factory=dict)
    #: Those of ``missing_folders`` of which the catalog holds no image (all found elsewhere in
    #: it: the folder moved): nothing of theirs is searched (``how_to_drop``).
    missing_without_images: tuple[str, ...] = ()
    #: Links to single images in its folders whose disk is away (``Catalog.image_links_away``):
    #: their entries are kept; not folders, so in none of the above.
    image_links_away: tuple[str, ...] = ()
    #: Its folders that are a sample's folder of another vsdesk installation
    #: (``samples.other_install_sample``): decided where the snapshot is made, on the I/O thread
    #: (it resolves paths, and this installation's cache folder is made), for the window to read.
    other_install_samples: tuple[str, ...] = ()
    #: Those of ``missing_folders`` that are links (leading nowhere), not folders: forgotten by
    #: deleting the link (``how_to_forget``). Looked at here, for the window's words not to.
    links_away: tuple[str, ...] = ()
    #: Made before the model was loaded (an indexed catalog opens without it), in a mode whose
    #: model predicts classes: those come once it is (``ModeSession.load``).
    predictions_pending: bool = False
    #: A run switching the catalog to another model was cancelled: the catalog is back with the
    #: model it had, all its images searched (``note`` says so), nothing to resume.
    switch_cancelled: bool = False
    #: Product mode, once the model is loaded (``ModeSession._predicted``): each row's type as a
    #: search kept to the query's type reads it (``item_classes``: its own label where that is
    #: one of the model's classes, else the class predicted from its stored vector), whether the
    #: model predicted it, and the kids' wear probability (None: a model without that head).
    #: Empty before: a folder's name ("backup") alone said nothing of the type searched by.
    types: tuple[str, ...] = ()
    types_predicted: np.ndarray | None = None
    kids: np.ndarray | None = None
    #: A weak reference to the embedder whose classes gave ``types`` (None: none did): a search
    #: kept to a type reads them when that embedder is the one loaded (``ModeSession._item_classes``).
    types_by: Any = field(default=None, repr=False, compare=False)
    #: The rows a gallery shows when browsing without a query, each file once (``fold_catalog``:
    #: a file at several paths is one row, with the rows of its other paths, as search results
    #: show it); None: every row (a snapshot made without it).
    browse: tuple[tuple[int, tuple[int, ...]], ...] | None = None
    #: Each of ``folders``' (files, paths), counted where the snapshot is made, off the window's
    #: thread (``files_per_folder``: every path walked); empty: a snapshot made without them.
    folder_counts: dict[str, tuple[int, int]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.paths)

    @property
    def map_rows(self) -> list[int] | None:
        """The rows the map draws: one per file, as the gallery shows the catalog (``map_rows``)."""
        return map_rows(self.browse)

    def item_type(self, index: int) -> ItemType | None:
        """Row ``index``'s product type (None: not a product catalog, or its model not loaded yet)."""
        if not self.types or not 0 <= index < len(self.types):
            return None
        predicted = bool(self.types_predicted[index]) if self.types_predicted is not None else True
        return ItemType(self.types[index], predicted, None if self.kids is None else float(self.kids[index]))

    def same_rows(self, other: CatalogSnapshot | None) -> bool:
        """Whether ``other`` is this catalog at the same version, row for row (its map is this
        one's), though perhaps told more (the classes the model predicts, once loaded)."""
        return other is not None and (other.name, other.version, other.model_key, other.paths) == (
            self.name, self.version, self.model_key, self.paths)


def map_rows(browse: tuple[tuple[int, tuple[int, ...]], ...] | None) -> list[int] | None:
    """The rows a catalog's map draws, given its ``browse`` (``fold_catalog``): each file once,
    at the row the gallery shows it by; a file's other paths are neither points nor legend
    entries of their own (their rows stand at its point). None: every row."""
    return None if browse is None else sorted(row for row, _others in browse)


def snapshot_types(labels: list[str], classified: dict[str, Any], classes: list[str]) -> dict[str, Any]:
    """``CatalogSnapshot``'s ``types``, ``types_predicted`` and ``kids`` from the model's
    ``classify_vectors`` output: an item's own label where it is one of the ``classes`` (any
    letter case, as ``item_classes`` reads it), else the class predicted for it."""
    from vsdesk.engine.product import own_classes

    own = own_classes(classes, labels)
    types = tuple(mine or guess for mine, guess in zip(own, classified["labels"]))
    kids = classified.get("kids")
    return {"types": types, "types_predicted": np.array([not mine for mine in own], bool),
            "kids": None if kids is None else np.asarray(kids, np.float32)}
