"""A query's outcome as the session hands it out (``QueryOutcome``, its ``Hit``s), and what is
worked out from it without the model: the query's place on the map, a style query re-weighed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

#: How many neighbours place the query on the map (weighted by similarity).
PLACE_NEIGHBOURS = 10


#: The ``kids`` search option (as `vsdesk search --kids` takes it): kids' wear only, or none.
KIDS_OPTION = {"yes": True, "no": False}


class StaleQuery(Exception):
    """A query vector from another model than the catalog's: it must be embedded again."""


@dataclass(frozen=True)
class Hit:
    index: int  # row in the catalog snapshot (and point on its map)
    path: str
    score: float
    label: str
    #: The other paths of the same file (the same bytes: a backup, a link), shown once as this hit.
    also: tuple[str, ...] = ()
    #: Their rows, in the same order (their points on the map select this hit).
    also_rows: tuple[int, ...] = ()
    #: The other files of the same picture (a PNG export, a re-saved JPEG), folded into this hit
    #: (``query.fold_same_pictures``), and their rows.
    copies: tuple[str, ...] = ()
    copy_rows: tuple[int, ...] = ()


@dataclass
class QueryOutcome:
    source: str  # what the user searched with (a path, "clipboard image", ...)
    vector: np.ndarray
    hits: list[Hit]
    extras: dict[str, Any]
    catalog: str
    catalog_version: int
    #: The query's own row when it is a catalog item (left out of its results): its map point.
    self_index: int | None = None
    #: The key of the model that embedded ``vector``: a catalog of another model's vectors
    #: needs the query embedded again, not re-ranked.
    model_key: str = ""
    #: The query file's content hash (None for a pasted image): its copies in a catalog are left
    #: out of its results. Read once: a re-rank does not read the file again.
    query_hash: str | None = None
    #: The query picture's signature (``copies.signature``) when it has no file to read it from
    #: (a pasted image): its copies in a catalog as other files are left out by it. None: read
    #: from the file (``query.rank_queries``).
    query_signature: Any = None
    #: Catalog items left out as the query itself (its file, copies of it): said when they were
    #: all the catalog held, else the empty results would read as an empty catalog.
    left_out: int = 0
    #: Which files those are, each with how it is the query (``query.LeftOut``): the window
    #: names those the model alone sees as the query (a crop a painting came from), as
    #: `vsdesk search` does.
    copies: tuple = ()
    #: Why the query is not compared with a catalog (a VAE picture with no object in it), or
    #: None: its ``hits`` are then empty, whatever the catalog (``query.rank_queries``).
    nothing_to_compare: str | None = None
    #: Even the best of ``hits`` scores below most true matches (``Results.weak_match``); None:
    #: the mode has no measured threshold to tell.
    weak_match: bool | None = False


def place_on_map(hits: list[Hit], xy: np.ndarray, k: int = PLACE_NEIGHBOURS) -> tuple[float, float] | None:
    """The query's map position: its nearest neighbours' positions weighted by similarity.

    t-SNE has no transform for new points; the similarity-weighted mean of the neighbours is
    where the query would sit among them (weights sharpened so the closest dominate).
    """
    top = [h for h in hits[:k] if 0 <= h.index < len(xy)]
    if not top:
        return None
    scores = np.array([max(h.score, 0.0) for h in top], np.float64)
    weights = np.exp((scores - scores.max()) * 20.0)
    pos = (xy[[h.index for h in top]] * weights[:, None]).sum(0) / weights.sum()
    return float(pos[0]), float(pos[1])


def reweigh_style_query(embedder: Any, query: np.ndarray, weight: float) -> np.ndarray:
    """The style <-> subject weight at search time, without re-embedding the catalog.

    Style vectors indexed with weight w0 (0 < w0 < 1; the engine's default is measured, 0.2 now)
    are [sqrt(1-w0) s, sqrt(w0) u] (unit s, u; ``vsdesk.engine.style.descriptor.blend``).
    A query [(1-w)/sqrt(1-w0) s, w/sqrt(w0) u] scores every such row as (1-w) cos(s) + w cos(u):
    only the query changes, the (possibly huge) matrix is used as stored.
    """
    config = getattr(embedder, "config", None)
    w0 = float(getattr(config, "subject_weight", 0.0) or 0.0)
    style_dim = getattr(config, "style_dim", None)
    if not 0.0 < w0 < 1.0 or style_dim is None or query.shape[-1] <= style_dim:
        return query  # indexed without a subject part: style only
    weight = min(max(weight, 0.0), 1.0)
    out = np.array(query, dtype=np.float32, copy=True)
    out[..., :style_dim] *= (1.0 - weight) / (1.0 - w0)
    out[..., style_dim:] *= weight / w0
    return out
