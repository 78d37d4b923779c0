"""A search session for one mode: the Qt-free facade the desktop window drives.

It strings the engine together the way a person uses it: open a catalog (the sample one, or
the user's folders, re-indexed incrementally; the model is loaded only if an image must be
embedded), load the catalog's model, search it with an image, place the query on the
catalog's t-SNE map. Every method is a plain function call that may be slow; the window runs
``load``/``load_model``/``open_catalog``/``query``/``rerank``/``decode_*`` on its one
TensorFlow thread, ``projection`` on a compute thread, and the catalog-list helpers
(``catalog_names``, ``changed_elsewhere``, ``changed_folders``, ``folder_catalog``,
``model_choices``, ``create_folder_catalog``) on its I/O thread; tests can call them directly.

Catalog snapshots are immutable, so the compute thread can project one while the TensorFlow
thread answers queries. The model and the catalog shown change together (``open_catalog``): a
query answered while another catalog opens meets the vectors of the model that embedded it.
An indexed catalog is the one searched as soon as its index is read, before its index run.

Modules: ``_mode_session`` (``ModeSession``: the model, queries, the map, the VAE's map),
``_opening`` (opening and indexing a catalog, its snapshot), ``_catalogs`` (the mode's
catalogs on disk: listed, made for a folder, a folder forgotten, removed), ``_snapshot``
(``CatalogSnapshot`` and what it says of its items), ``_query`` (a query's outcome and hits).
"""

from vsdesk.engine.session._catalogs import DEFAULT_SAMPLE, folder_catalog_name, nested_folder_notes, no_catalog_words
from vsdesk.engine.session._mode_session import ModeSession
from vsdesk.engine.session._opening import INDEX_BATCH, KEEP_MODEL
from vsdesk.engine.session._query import (
    Hit,
    QueryOutcome,
    StaleQuery,
    place_on_map,
    reweigh_style_query,
)
from vsdesk.engine.session._snapshot import CatalogSnapshot, ItemCaptions, ItemType, item_facts, map_rows

__all__ = [
    "DEFAULT_SAMPLE",
    "INDEX_BATCH",
    "KEEP_MODEL",
    "CatalogSnapshot",
    "Hit",
    "ItemCaptions",
    "ItemType",
    "ModeSession",
    "QueryOutcome",
    "StaleQuery",
    "folder_catalog_name",
    "item_facts",
    "map_rows",
    "nested_folder_notes",
    "no_catalog_words",
    "place_on_map",
    "reweigh_style_query",
]
