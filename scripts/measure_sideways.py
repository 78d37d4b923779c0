#!/usr/bin/env python3
"""Measure the "on its side" test's gains (docs/product.md, "A garment on its side").

For held-out photos of the twin (every n-th of its held-out contributors' photos, so that it
never saw them), through the app's path (``decode_query``, the first member, int8): the gain of
each picture, the score of the better of its two turns by 90 degrees minus its own
(``Familiarity.turned_gain``; the score is the similarity to the K-th nearest bank photo), for
the photo as it is and turned by 90 and 270 degrees. It prints the largest gain of an upright
photo, and the share of upright and of turned photos above ``SIDEWAYS_GAIN`` (0.03) and above
0.01, and told by the app's rule (``Familiarity.sideways``: above 0.03, the turn itself familiar):
the false alarms and the turned photos told.

    .venv/bin/python scripts/measure_sideways.py [--data ../shared/data] [--photos 120]

About 2 minutes for 120 photos on 2 cores. Other rules, on all the held-out photos, chosen
on half of the contributors and confirmed on the other: scripts/choose_sideways_rule.py.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from measure_screenshot_familiarity import TWIN, heldout_photos  # noqa: E402
from vsdesk.engine.embedding import l2_normalise  # noqa: E402
from vsdesk.engine.product import familiarity, load_embedder  # noqa: E402
from vsdesk.engine.product.features import image_array  # noqa: E402
from vsdesk.engine.query import decode_query  # noqa: E402

TURNS = {"as it is": None, "turned by 90 degrees": Image.Transpose.ROTATE_90,
         "turned by 270 degrees": Image.Transpose.ROTATE_270}


def gain(embedder, image: Image.Image) -> float:
    """How much higher the picture scores turned upright one way or the other than as it is."""
    return gain_and_told(embedder, image)[0]


def gain_and_told(embedder, image: Image.Image) -> tuple[float, bool]:
    """``gain``, and whether the app calls the picture "on its side" (``Familiarity.sideways``:
    that gain, with the turn itself like the training photos)."""
    pixels = image_array(image, embedder.meta.size)
    vector = embedder.embed(embedder.preprocess(image)[None])[0]
    embedding = l2_normalise(np.asarray(vector, np.float32)[None, : embedder.features_dim])[0]
    turned = embedder.turned(pixels)
    return (embedder.familiarity.turned_gain(embedding, turned), embedder.familiarity.sideways(embedding, turned))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--photos", type=int, default=120)
    args = parser.parse_args()
    held = heldout_photos(args.data)
    chosen = held[:: max(1, len(held) // args.photos)][: args.photos]
    embedder = load_embedder(model=TWIN)
    gains: dict[str, list[float]] = {name: [] for name in TURNS}
    told: dict[str, list[bool]] = {name: [] for name in TURNS}
    for path in chosen:
        image = decode_query(embedder, str(path))
        for name, turn in TURNS.items():
            value, said = gain_and_told(embedder, image if turn is None else image.transpose(turn))
            gains[name].append(value)
            told[name].append(said)
    upright = np.array(gains["as it is"])
    print(f"{len(chosen)} held-out photos (twin); gain of the better turn over the picture as given:")
    print(f"  as it is: largest {upright.max():.3f}, median {np.median(upright):.3f}")
    for name, values in gains.items():
        values = np.array(values)
        print(f"  {name}: above {familiarity.SIDEWAYS_GAIN} (the rule before 29 Nov) "
              f"{np.mean(values > familiarity.SIDEWAYS_GAIN):.1%}, above 0.01 {np.mean(values > 0.01):.1%}, "
              f"told now (and the turn familiar) {np.mean(told[name]):.1%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
