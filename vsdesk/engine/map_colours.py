"""The colours of a catalog's t-SNE map: a colour slot per label, no two labels alike, the shipped
model's classes in the same slot on every map (whatever its model), the rarest labels grouped in grey beyond
``COLOUR_SLOTS`` (``colouring``). Slots, not colours: the window's palette
(``vsdesk.gui.scatter.PALETTE``) turns them into colours."""

from __future__ import annotations

import functools
import re
import zlib
from typing import NamedTuple, Sequence

import numpy as np

from vsdesk.engine.text import CLASS_WORDS, shown_class

#: Marks a label the model predicted (an unlabelled folder in product mode), on the map and in tips.
PREDICTED = " (predicted)"
#: The name the map gives items without a label.
UNLABELLED = "unlabelled"
#: Distinct colours a map has for labels (``vsdesk.gui.scatter.PALETTE``): a map with more labels
#: colours the commonest and groups the rarest in grey.
COLOUR_SLOTS = 24
#: The greys: items without a label, and the rarest labels grouped (``vsdesk.gui.scatter.NEUTRALS``).
UNLABELLED_SLOT, GROUPED_SLOT = -1, -2
#: Slots by strength of hue (``PALETTE``'s order: 9 strong, 9 light, 6 dark): a map with few
#: labels gets strong ones.
_SLOT_TIERS = (range(0, 9), range(18, 24), range(9, 18))


class Colouring(NamedTuple):
    """How a map colours its points: ``codes[i]`` indexes ``names`` (the legend), each name
    drawn in its colour slot ``colours[code]`` (``label_colours``)."""

    names: list[str]
    codes: np.ndarray
    colours: list[int]


def colouring(labels: list[str], classes: list[str], drawn: Sequence[int] | None = None) -> Colouring:
    """The map's colours for items labelled ``labels``: a colour of its own for each label, up
    to ``COLOUR_SLOTS`` of them; beyond, the rarest share one grey, "N rarer labels" in the legend
    (each point's own label is still said on hover). ``drawn``: the rows the map draws, one per
    file (``CatalogSnapshot.map_rows``); the others, a file's other paths, get the code -1: no
    point and no legend entry of their own (None: every row)."""
    rows = np.arange(len(labels)) if drawn is None else np.asarray(drawn, np.int64)
    # Labels read alike are one legend entry of one colour: folders "Outwear/" and "Outerwear/"
    # (the data set's spelling and the word) were two entries reading "Outerwear".
    names, part = label_codes([shown_class(labels[row]) for row in rows])
    names, part, grouped = _group_rarest(names, part)
    codes = np.full(len(labels), -1, np.int32)
    codes[rows] = part
    colours = label_colours(names, classes)
    if grouped:
        names, colours = [*names, f"{grouped} rarer labels"], [*colours, GROUPED_SLOT]
    return Colouring(names, codes, colours)


def label_codes(labels: list[str]) -> tuple[list[str], np.ndarray]:
    """Labels -> (sorted distinct names, int code per item); unlabelled items share 'unlabelled'."""
    names = sorted({label or UNLABELLED for label in labels})
    lookup = {name: i for i, name in enumerate(names)}
    codes = np.fromiter((lookup[label or UNLABELLED] for label in labels), np.int32, len(labels))
    return names, codes


def _group_rarest(names: list[str], codes: np.ndarray) -> tuple[list[str], np.ndarray, int]:
    """Keeps the ``COLOUR_SLOTS`` commonest labels (and 'unlabelled'); the others' items get the
    code ``len(kept)``, for the group the caller names. Returns (kept, codes, labels grouped)."""
    labelled = [i for i, name in enumerate(names) if name != UNLABELLED]
    if len(labelled) <= COLOUR_SLOTS:
        return names, codes, 0
    counts = np.bincount(codes, minlength=len(names))
    commonest = sorted(labelled, key=lambda i: (-counts[i], names[i]))[:COLOUR_SLOTS]
    kept = sorted(set(commonest) | {i for i, name in enumerate(names) if name == UNLABELLED})
    remap = np.full(len(names), len(kept), np.int32)
    remap[kept] = np.arange(len(kept), dtype=np.int32)
    return [names[i] for i in kept], remap[codes], len(names) - len(kept)


def label_colours(names: list[str], classes: list[str]) -> list[int]:
    """A colour slot per label name (0 .. ``COLOUR_SLOTS``-1: ``vsdesk.gui.scatter.PALETTE``),
    no two names alike, so that folder names such as "New", "Not_sure", "Skip" can be told apart.

    A class of the shipped product model (``shipped_classes``) has one slot, its place among
    them, whatever the map's model (``classes``): so "Dress" is one colour under the shipped
    model, a model of the user's own and in every catalog (predicted or given, and a folder's own
    spelling: "dress/", "Dresses" is a Dress, unless another name is that class already). Other
    names, the model's own classes first, take free slots, each starting at a place its name
    gives (so a name keeps its colour from map to map when it can), strong hues before dark and
    light ones; with a model of classes (``classes``), slots of no shipped class first, so that
    a folder's name does not look like a class the model could predict. 'unlabelled' is grey (-1).
    At most ``COLOUR_SLOTS`` names (``colouring`` groups the rest)."""
    slots: list[int | None] = [UNLABELLED_SLOT if name == UNLABELLED else None for name in names]
    fixed = {colour_key(name): i for i, name in enumerate(shipped_classes()) if i < COLOUR_SLOTS}
    taken: set[int] = set()
    for loose in (False, True):  # a class's own name before a near spelling of it (plural, singular)
        for i, name in enumerate(names):
            if slots[i] is None:
                key = colour_key(name)
                own = next((fixed[k] for k in (_near_keys(key) if loose else [key])
                            if fixed.get(k) is not None and fixed[k] not in taken), None)
                if own is not None:
                    slots[i] = own
                    taken.add(own)
    # Strong hues, then dark, then light ones; with a model, slots of no shipped class before those
    # of one absent here (which keeps its colour for the map by the model's classes).
    reserved = set(fixed.values()) if classes else set()
    tiers = [[s for s in tier if s not in reserved] for tier in _SLOT_TIERS]
    tiers.append([s for tier in _SLOT_TIERS for s in tier if s in reserved])
    model_keys = {colour_key(name) for name in classes}
    for i in sorted(range(len(names)), key=lambda i: colour_key(names[i]) not in model_keys):
        if slots[i] is None:
            free = next(([s for s in tier if s not in taken] for tier in tiers if set(tier) - taken), [])
            if not free:  # more names than slots: ``colouring`` groups them first
                slots[i] = GROUPED_SLOT
                continue
            slots[i] = free[zlib.crc32(colour_key(names[i]).encode()) % len(free)]
            taken.add(slots[i])
    return slots  # type: ignore[return-value]


@functools.cache
def shipped_classes() -> tuple[str, ...]:
    """The shipped product model's classes (its ``product.json``; the Clothing Dataset's): the
    names with a slot of their own on every map. Empty if its metadata cannot be read (the map
    then colours every name by its own)."""
    from vsdesk.engine.product import model as product_model  # JSON only, no TensorFlow

    try:
        return tuple(product_model.read_meta(product_model.default_dir()).classes)
    except product_model.ProductModelError:
        return ()


def colour_key(name: str) -> str:
    """A label as compared with a class: "T_shirt", "t-shirt" and "T-Shirt (predicted)" are one;
    so are a class as its data set spells it and as it is said ("Outwear", "Outerwear")."""
    key = _plain_key(name.removesuffix(PREDICTED))
    return _SAME_KEYS.get(key, key)


def _plain_key(name: str) -> str:
    return re.sub(r"[\W_]+", "", name.casefold())


_SAME_KEYS = {_plain_key(spelt): _plain_key(said) for spelt, said in CLASS_WORDS.items()}


def _near_keys(key: str) -> list[str]:
    """Plural and singular spellings of a key ("dresses" -> "dress", "pant" -> "pants")."""
    near = [key + "s", key + "es"]
    near += [key[:-2]] if key.endswith("es") else []
    near += [key[:-1]] if key.endswith("s") else []
    return [k for k in near if k]
