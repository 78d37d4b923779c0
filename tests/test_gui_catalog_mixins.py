"""The parts of ``TabCatalog`` mixed into it, one module each (catalogs_elsewhere.py,
catalog_folders.py, ...), use the tab's state through ``self``: each declares what it uses as
class-level annotations. Checked here on a real tab, built by the real window: every ``self.X``
a mixin's code uses is one of the tab's methods or signals, or declared by the mixin and set by
``TabCatalog.__init__``; and nothing is declared that the mixin does not use or the tab lacks.
A mixin using an attribute the tab does not set would fail only on the path that reads it."""

from __future__ import annotations

import ast
import inspect
import textwrap

import pytest

from vsdesk.gui.catalog_folders import CatalogFolders
from vsdesk.gui.catalog_messages import CatalogMessages
from vsdesk.gui.catalog_model_switch import CatalogModelSwitch
from vsdesk.gui.catalog_removals import CatalogRemovals
from vsdesk.gui.catalogs_elsewhere import CatalogsElsewhere
from vsdesk.gui.main_window import MainWindow
from vsdesk.gui.tab_catalog import TabCatalog

pytestmark = pytest.mark.gui

MIXINS = [CatalogsElsewhere, CatalogFolders, CatalogRemovals, CatalogModelSwitch, CatalogMessages]


def used_on_self(cls: type) -> set[str]:
    """The names X of every ``self.X`` in ``cls``'s source (read or written)."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(cls)))
    return {node.attr for node in ast.walk(tree)
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "self"}


@pytest.fixture
def tabs(qtbot):
    """Each mode's ``TabCatalog``, as the window builds it (nothing opened: the state it has then)."""
    window = MainWindow(autostart=False)
    qtbot.addWidget(window)  # (closed and deleted after the test)
    return [window.tab(mode).catalog for mode in ("style", "product", "vae")]


def test_the_mixins_are_the_ones_tab_catalog_is_made_of():
    assert set(MIXINS) == {base for base in TabCatalog.__mro__ if base.__module__ != TabCatalog.__module__
                           and base.__module__.startswith("vsdesk.")}


@pytest.mark.parametrize("mixin", MIXINS, ids=lambda mixin: mixin.__name__)
def test_every_attribute_a_catalog_mixin_uses_is_declared_by_it_and_set_on_the_tab(tabs, mixin):
    declared = set(mixin.__annotations__)
    used = used_on_self(mixin)
    for tab in tabs:
        state = set(vars(tab))  # what ``__init__`` set
        methods = {name for name in used if hasattr(type(tab), name)}  # methods and signals, of any part
        assert used <= state | methods, f"{mixin.__name__} uses what a built tab lacks: {used - state - methods}"
        undeclared = (used & state) - declared
        assert not undeclared, f"{mixin.__name__} uses the tab's {undeclared} without declaring it"
        assert declared <= used, f"{mixin.__name__} declares {declared - used}, which it does not use"
        missing = {name for name in declared if not hasattr(tab, name)}
        assert not missing, f"{mixin.__name__} declares {missing}, which a built tab lacks"
