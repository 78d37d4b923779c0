"""Mode-specific side panels: what each mode says about a query beyond its neighbours."""

from vsdesk.gui.panels.base import ModePanel
from vsdesk.gui.panels.product_panel import ProductPanel
from vsdesk.gui.panels.style_panel import StylePanel
from vsdesk.gui.panels.vae_panel import VaePanel

PANELS = {"style": StylePanel, "product": ProductPanel, "vae": VaePanel}

__all__ = ["PANELS", "ModePanel", "ProductPanel", "StylePanel", "VaePanel"]
