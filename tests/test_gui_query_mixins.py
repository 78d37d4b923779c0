"""``QueryNotes`` (query_notes.py), mixed into ``TabQuery``, uses the tab's state through ``self``
and declares what it uses as class-level annotations, as ``TabCatalog``'s mixins do. Checked
here on a real tab, built by the real window, by the check test_gui_catalog_mixins.py runs on
those: a note using an attribute the tab does not set would fail only on the path that says it."""

from __future__ import annotations

import pytest

# (named so that pytest does not collect it here a second time)
from test_gui_catalog_mixins import (
    test_every_attribute_a_catalog_mixin_uses_is_declared_by_it_and_set_on_the_tab as check_mixin_state,
)

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
    check_mixin_state([window.tab(mode).query for mode in ("style", "product", "vae")], QueryNotes)
