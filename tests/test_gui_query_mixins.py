"""``QueryNotes`` (query_notes.py), mixed into ``TabQuery``, uses the tab's state through ``self``
and declares what it uses as class-level annotations, as ``TabCatalog``'s mixins do. Checked
here on a real tab, built by the real window, as test_gui_catalog_mixins.py checks those: a note
using an attribute the tab does not set would fail only on the path that says it."""

from __future__ import annotations

import pytest
from test_gui_catalog_mixins import used_on_self

from vsdesk.gui.main_window import MainWindow
from vsdesk.gui.query_notes import QueryNotes
from vsdesk.gui.tab_query import TabQuery

pytestmark = pytest.mark.gui


def test_query_notes_is_the_one_part_mixed_into_tab_query():
    assert {QueryNotes} == {base for base in TabQuery.__mro__ if base.__module__ != TabQuery.__module__
                            and base.__module__.startswith("vsdesk.")}


def test_every_attribute_the_query_notes_use_is_declared_and_set_on_the_tab(qtbot):
    window = MainWindow(autostart=False)
    qtbot.addWidget(window)  # (closed and deleted after the test)
    declared = set(QueryNotes.__annotations__)
    used = used_on_self(QueryNotes)
    for tab in (window.tab(mode).query for mode in ("style", "product", "vae")):
        state = set(vars(tab))  # what ``__init__`` set
        methods = {name for name in used if hasattr(type(tab), name)}  # methods and signals
        assert used <= state | methods, f"QueryNotes uses what a built tab lacks: {used - state - methods}"
        undeclared = (used & state) - declared
        assert not undeclared, f"QueryNotes uses the tab's {undeclared} without declaring it"
        assert declared <= used, f"QueryNotes declares {declared - used}, which it does not use"
        missing = {name for name in declared if not hasattr(tab, name)}
        assert not missing, f"QueryNotes declares {missing}, which a built tab lacks"
