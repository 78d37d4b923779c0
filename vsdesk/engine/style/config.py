"""What a style embedding is made of: ``StyleConfig``, the default and the notebook's.

Every choice here was measured (docs/style.md has the table); the defaults are the ones that
need no data-fitted step, so they carry over to collections we have not seen:

- Gram matrices of the first convolution of VGG16's blocks (Gatys et al.'s style layers),
  divided by H*W so the input size does not scale them;
- signed square root of every Gram entry (the usual power normalisation of second-order
  features: it tames the few huge co-activations that otherwise decide the cosine);
- each layer's vector centred on its own mean entry (so cosine becomes Pearson correlation:
  Gram entries of ReLU features are all positive, and the all-ones direction they share says
  nothing about style; removing it needs no data) and L2-normalised on its own, then all layers weighted equally, so the 512-channel
  layers (131,328 upper-triangle entries) do not drown the 64-channel one (2,080 entries);
- compression by a count sketch (a fixed, seeded, data-independent random projection: every
  Gram entry is added with a random sign into one of ``sketch_dim`` buckets), which keeps
  inner products in expectation and fits nothing to any image collection;
- a "subject" part, the global average of ``block5_pool`` (what the picture shows), blended by
  ``subject_weight``: cosine(blend) = (1-w) * cosine(style) + w * cosine(subject).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, replace
from typing import Any

#: Width of VGG16's layers, to size vectors without building the model.
CHANNELS = {
    **{f"block1_conv{i}": 64 for i in (1, 2)},
    **{f"block2_conv{i}": 128 for i in (1, 2)},
    **{f"block3_conv{i}": 256 for i in (1, 2, 3)},
    **{f"block4_conv{i}": 512 for i in (1, 2, 3)},
    **{f"block5_conv{i}": 512 for i in (1, 2, 3)},
    "block5_pool": 512,
}
#: Network order, to know how deep a configuration must run.
ORDER = list(CHANNELS)

SUBJECT_LAYER = "block5_pool"


@dataclass(frozen=True)
class StyleConfig:
    layers: tuple[str, ...]
    size: int  # the network sees size x size pixels
    #: Longest side (pixels) the picture is reduced to (never magnified: ``centre_window``)
    #: before a centre size x size crop is cut from it, so texture is measured at one pixel
    #: scale whatever the picture's proportions;
    #: None = the whole picture squashed to size x size (the notebook's way).
    scale: int | None = None
    power: str = "sqrt"  # "sqrt" (signed square root of Gram entries) or "none"
    layer_norm: bool = True  # L2-normalise each layer's Gram before concatenation
    centre: bool = True  # subtract each vector's own mean entry (cosine -> Pearson correlation)
    sketch_dim: int | None = 1024  # per-layer length after the count sketch; None = the full Gram
    triangle: bool = True  # keep each Gram's upper triangle (it is symmetric); False = all C*C
    subject_weight: float = 0.0  # 0 = style only, 1 = subject only
    seed: int = 0  # of the count sketch's hash
    version: int = 1  # bump when the computation changes for the same fields

    def __post_init__(self) -> None:
        unknown = [name for name in self.layers if name not in CHANNELS or name == SUBJECT_LAYER]
        if unknown or not self.layers:
            raise ValueError(f"style layers must be VGG16 conv layers, not {unknown or 'none'}")
        if self.power not in ("sqrt", "none"):
            raise ValueError(f"power must be 'sqrt' or 'none', not {self.power!r}")
        if not 32 <= self.size <= 1024:
            raise ValueError(f"input size must be between 32 and 1024 pixels, not {self.size}")
        if self.scale is not None and not self.size <= self.scale <= 4096:
            raise ValueError(f"scale must be between the input size ({self.size}) and 4096, not {self.scale}")
        if not 0.0 <= self.subject_weight <= 1.0:
            raise ValueError(f"subject weight must be between 0 and 1, not {self.subject_weight}")
        if self.sketch_dim is not None and self.sketch_dim < 16:
            raise ValueError(f"sketch dimension must be at least 16, not {self.sketch_dim}")

    def layer_dim(self, layer: str) -> int:
        """Length of one layer's part: its Gram's upper triangle, or the sketch if shorter."""
        channels = CHANNELS[layer]
        full = channels * (channels + 1) // 2 if self.triangle else channels * channels
        return full if self.sketch_dim is None else min(full, self.sketch_dim)

    @property
    def style_dim(self) -> int:
        return sum(self.layer_dim(layer) for layer in self.layers)

    @property
    def uses_subject(self) -> bool:
        return self.subject_weight > 0.0

    @property
    def dim(self) -> int:
        return self.style_dim + (CHANNELS[SUBJECT_LAYER] if self.uses_subject else 0)

    @property
    def bytes_per_image(self) -> int:
        return 4 * self.dim  # float32, as catalogs store vectors

    @property
    def decode_size(self) -> int:
        """Smallest side a decoder may reduce a picture to (``load_image(min_size=...)``)."""
        return self.size if self.scale is None else self.scale

    @property
    def last_layer(self) -> str:
        wanted = list(self.layers) + ([SUBJECT_LAYER] if self.uses_subject else [])
        return max(wanted, key=ORDER.index)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["layers"] = list(self.layers)
        return data

    @property
    def key(self) -> str:
        """Identifies the vectors: same key <=> same numbers (with the same weights)."""
        text = json.dumps(self.to_dict(), sort_keys=True)
        return "style-vgg16-" + hashlib.sha256(text.encode()).hexdigest()[:12]

    def with_options(self, **options: Any) -> "StyleConfig":
        if "layers" in options:
            options["layers"] = tuple(options["layers"])
        return replace(self, **options)


STYLE_LAYERS = ("block1_conv1", "block2_conv1", "block3_conv1", "block4_conv1", "block5_conv1")

#: The default: justified in docs/style.md. The deep style layers (block3-5) describe texture
#: at the scale of brush strokes and shapes; block1-2 add little but pixel-level colour/edge
#: statistics that every photo shares. The picture is brought to 400 px on its longest side
#: (the notebook's scale) and the network sees the central 224 x 224 window of it at that scale
#: (VGG16's training size): brushwork keeps its pixel scale instead of being squashed, at the
#: compute cost of a 224 px pass.
#: Version 2: a picture smaller than ``scale`` is no longer magnified to it (``centre_window``).
DEFAULT = StyleConfig(layers=STYLE_LAYERS[2:], size=224, scale=400, sketch_dim=1024, subject_weight=0.2, version=2)


#: A style search whose best score (after query expansion, at the default subject weight) is
#: below this is said to be of low similarity (``Results.weak_match``): a warning, not a verdict,
#: for a right best result can score below it too (a painting's detail found its painting first
#: at 0.60 in `style-artworks`). Measured with ``DEFAULT`` on the 32 artworks and their 128
#: quarters against a catalog of them and 300 clothing photos: 5 % of the queries whose best
#: result was right (a painting of the query's style) scored below it, and all 5 whose best was
#: wrong; the same 160 queries against the clothing photos alone (nothing of their style to
#: find) scored below it 91 % of the time.
WEAK_MATCH_SCORE = 0.78


@dataclass(frozen=True)
class QueryExpansion:
    """Search-time neighbour averaging, the textbook pair of Radenovic et al. (2018):

    - database-side augmentation (αDBA; Arandjelovic & Zisserman 2012): every catalog vector is
      replaced by the sum of itself and its ``database_n`` nearest catalog vectors;
    - alpha-weighted average query expansion (αQE; Chum et al. 2007): the query is searched
      again as the sum of itself and its ``n`` best (augmented) matches;

    each neighbour weighted by max(cosine, 0) ** ``alpha``. Stored vectors do not change
    (``vsdesk.engine.search.expand``)."""

    n: int = 3
    database_n: int = 3
    alpha: float = 3.0

    def __post_init__(self) -> None:
        if self.n < 0 or self.database_n < 0 or self.alpha < 0:
            raise ValueError(f"query expansion needs n, database_n, alpha >= 0, not {self}")


#: What style search applies (CLI, eval; the GUI through the same function): alpha = 3 as
#: Radenovic et al.; 3 neighbours each, small because a catalog may hold only a handful of
#: pictures in one style (docs/style.md, table 5).
QUERY_EXPANSION = QueryExpansion(n=3, database_n=3, alpha=3.0)

#: The research notebook's descriptor: raw Gram matrices of block1_conv1..block3_conv1 at
#: 224 px, divided by H*W, concatenated as they are (86,016 floats), compared by cosine.
NOTEBOOK = StyleConfig(
    layers=STYLE_LAYERS[:3], size=224, power="none", layer_norm=False, centre=False, sketch_dim=None,
    triangle=False,
    subject_weight=0.0,
)
