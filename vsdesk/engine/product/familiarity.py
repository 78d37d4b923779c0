"""Does a photo look like the clothing photos the product model learned from?

A classifier gives every photo a class, a painting or a plain colour too, and often with
confidence (its top probability is no guide: an inner-split model's median on paintings was
0.59). What tells them
apart is the model's own embedding: a photo of clothing has close neighbours among the training
photos, the rest do not (k-nearest-neighbour distance on normalised features, as in Sun et al.,
"Out-of-distribution detection with deep nearest neighbors", ICML 2022).

The model folder keeps ``familiar.npz``: a bank of training photos' embeddings (first member,
L2-normalised, float16) and the reference scores of other training photos, of contributors kept
out of the bank. A photo's score is the cosine similarity to its ``K``-th nearest bank photo;
its *typicality* is the percentage of reference photos that score lower. Below
``UNFAMILIAR_BELOW`` per cent the photo is called unfamiliar: its class is a guess.

A second test looks at the pixels: a screenshot of a shop page holds a clothing photo, whose
features can pass for the training photos' (a review's page was read as a 50 % Hat, 1.7 %
typical), in a page drawn in areas of one exact colour, which a camera photo hardly has. The
file keeps the training photos' *flat shares* (the share of the model's input pixels whose 3x3
neighbourhood is one colour), and a picture flatter than all but ``FLAT_ABOVE`` per cent of them
is unfamiliar too (threshold set before measuring, half the first test's, so that the two
together add little to its false alarms). A plain frame or letterbox is left out first
(``trim_frame``): it is not content, and a framed photo is a photo.

A third test turns the picture: clothing is photographed upright, and a garment on its side
(a photo turned by 90 degrees, or by its EXIF tag) gets a wrong class more often than not
while its features still pass. Turned upright, such a picture scores far higher; a picture
that scores ``SIDEWAYS_GAIN`` higher turned by 90 degrees one way or the other, and turned is
not unfamiliar itself, "may be on its side" and is unfamiliar too (two more passes of the first
member per query). A painting is unlike the photos whichever way it is turned: its reason is that.

Measured (docs/product.md, "Unfamiliar photos"): the held-out twin flags 2.3-2.7 % of the photos
of contributors it never saw, and every painting, noise image and plain colour tried.
Nothing is pickled (``allow_pickle=False``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from vsdesk.engine.embedding import l2_normalise
from vsdesk.engine.files import atomic_path
from vsdesk.engine.text import percent

log = logging.getLogger(__name__)

FILE = "familiar.npz"
#: Which neighbour's similarity is the score: the 10th, so that one near-duplicate in the bank
#: does not make a photo familiar.
K = 10
#: Bank photos (2.6 MB in float16 for 1,280-D embeddings, 0.9 MB compressed); on the inner split
#: a 1,000-photo bank flagged as many unseen photos as one of 2,200.
BANK_SIZE = 1000
#: The share of photos, of whole contributors, that give the reference scores (not in the bank).
REFERENCE_SHARE = 0.2
#: Typicality (per cent) below which a photo is unfamiliar; set before measuring, not tuned.
UNFAMILIAR_BELOW = 1.0
#: Fewer reference photos than this and a model gets no familiarity data at all (it then says
#: nothing, as a model trained before the data existed). Below 100 / UNFAMILIAR_BELOW = 100
#: photos the 1 % quantile does not exist: with a dozen, "below 1 %" means "less typical than
#: every reference photo", which a model of 80 photos said of 15 % of ordinary photos.
MIN_REFERENCE = int(round(100 / UNFAMILIAR_BELOW))
#: ... and the same minimum for the bank: with fewer than 10 * K photos the K-th neighbour is
#: more than a tenth of the bank away, far into other classes, so nothing is near to anything.
#: Measured (docs/product.md): with 100 reference photos and a bank of 20 (a model of 120
#: photos), 4-17 % of 32 paintings were called unfamiliar, their median typicality 5-23 %
#: (a shoe's is about 50 %); from a bank of 60-100 on, 70-80 % of them; clothing photos
#: never seen were flagged 0-3 % throughout.
MIN_BANK = MIN_REFERENCE
#: The fewest training photos a model can have familiarity data with (more when its
#: contributors are few and large: only whole ones are split between bank and reference).
MIN_PHOTOS = MIN_REFERENCE + MIN_BANK
#: Per cent of the training photos flatter than a picture (``flat_share``) below which it is
#: unfamiliar: set before measuring, half of ``UNFAMILIAR_BELOW``.
FLAT_ABOVE = 0.5
#: Training photos whose flat shares are kept (a seeded sample of them).
FLAT_REFERENCE_SIZE = 1000
#: How much higher (the score: similarity to the K-th nearest bank photo) a picture turned by
#: 90 degrees one way or the other must score than as it is given to be "maybe on its side".
#: Clothing is photographed upright, and turned it looks far less like the training photos
#: (the twin's held-out photos: median score 0.54 upright, 0.38 turned). Set on 120 held-out
#: photos with a prototype (the largest such gain of an upright one was 0.029) and checked
#: through the app's path on 100 (scripts/measure_screenshot_familiarity.py --copies); on that
#: path a few upright photos gain more (scripts/measure_sideways.py: 4 % of 120; 2.5 % of the
#: 1,007 held-out photos are told by this test alone: docs/product.md, "A garment on its side").
#: Checked in the nineteenth session on all 1,007, chosen on half of the contributors and
#: confirmed on the other (scripts/choose_sideways_rule.py): no higher gain, nor a rule on the
#: turn's class probability or typicality, was clearly better; 11 of the 25 upright photos told
#: are of garments that were photographed lying on their side.
SIDEWAYS_GAIN = 0.03


#: How far apart (levels of 0-255, per channel) the pixels of an edge row or column may be for
#: it to count as a uniform strip of a frame or letterbox (``trim_frame``): a frame saved as
#: JPEG, or blended by the resize where it meets the photo, is not one exact colour.
FRAME_TOLERANCE = 8


def trim_frame(pixels: np.ndarray) -> np.ndarray:
    """The picture without a plain frame or letterbox: the uniform strips along its edges (rows
    and columns whose pixels are all within ``FRAME_TOLERANCE`` of each other), as deep on
    opposite sides (the shallower of the two is taken off both). A frame is not content: a
    photo in a white frame of 8 % is a photo, not a page (a review's framed photos were all
    called "as in a screenshot"). A frame or letterbox is even; the empty bottom of a phone's
    page is not, and stays (trimmed from one side only, 4 % of the synthetic pages passed). The
    picture as it is when trimming would leave less than a quarter of it (a plain colour)."""
    x = np.asarray(pixels, np.int16)
    uniform_rows = (x.max(1) - x.min(1)).max(-1) <= FRAME_TOLERANCE
    uniform_cols = (x.max(0) - x.min(0)).max(-1) <= FRAME_TOLERANCE

    def leading(flags: np.ndarray) -> int:  # how many True at the start
        return len(flags) if flags.all() else int(np.argmin(flags))

    h, w = x.shape[:2]
    rows = min(leading(uniform_rows), leading(uniform_rows[::-1]))
    cols = min(leading(uniform_cols), leading(uniform_cols[::-1]))
    if max(0, h - 2 * rows) * max(0, w - 2 * cols) < h * w / 4:
        return x
    return x[rows:h - rows, cols:w - cols]


def flat_share(pixels: np.ndarray, trim: bool = True) -> float:
    """Share of an image's pixels ((h, w, 3) uint8, as the model is given them), inside any
    plain frame (``trim_frame``), whose 3x3 neighbourhood is one exact colour: the flat areas a
    page or a drawing is made of. A camera photo's noise leaves few (half of the Clothing
    Dataset's photos: under 0.5 %; 99.5 %: under 17 %), a photo on a white sheet too; a shop
    page's screenshot is mostly flat (median 64 %). ``trim`` False: the whole picture, frame
    included, as it was measured before 28 Nov (for scripts/measure_screenshot_familiarity.py)."""
    x = trim_frame(pixels) if trim else np.asarray(pixels, np.int16)
    if min(x.shape[:2]) < 3:
        return 0.0
    # One int32 per pixel (its three channels side by side): the same equalities, one
    # comparison each instead of three and a reduction (several times faster per query).
    x = x.astype(np.int32)
    colour = (x[..., 0] << 16) | (x[..., 1] << 8) | x[..., 2]
    centre = colour[1:-1, 1:-1]
    same = np.ones(centre.shape, bool)
    h, w = colour.shape
    for dy in (0, 1, 2):
        for dx in (0, 1, 2):
            if dy != 1 or dx != 1:
                same &= colour[dy:h - 2 + dy, dx:w - 2 + dx] == centre
    return float(same.mean())


@dataclass
class Familiarity:
    bank: np.ndarray  # (n, d) float32, unit rows
    reference: np.ndarray  # sorted scores of reference photos
    #: Sorted ``flat_share`` of training photos; None in a file made before it existed (the
    #: pixels are then not looked at).
    flat_reference: np.ndarray | None = None

    def scores(self, embeddings: np.ndarray) -> np.ndarray:
        """Cosine similarity of each (unit) embedding to its K-th nearest bank photo."""
        similarities = np.asarray(embeddings, np.float32) @ self.bank.T
        k = min(K, self.bank.shape[0])
        return np.partition(similarities, -k, axis=1)[:, -k]

    def typicality(self, embeddings: np.ndarray) -> np.ndarray:
        """Per cent of reference photos less typical than each embedding's photo (0-100)."""
        return self._typicality_of(self.scores(embeddings))

    def _typicality_of(self, scores: np.ndarray) -> np.ndarray:
        ranks = np.searchsorted(self.reference, scores, side="right")
        return 100.0 * ranks / len(self.reference)

    def flat_unusual(self, share: float) -> bool:
        """Whether a picture with this ``flat_share`` is flatter than all but ``FLAT_ABOVE`` % of
        the training photos (False without their flat shares)."""
        if self.flat_reference is None:
            return False
        flatter = 100.0 * float(np.mean(self.flat_reference >= share))  # per cent of training photos
        return bool(share > 0 and flatter < FLAT_ABOVE)

    def turned_gain(self, embedding: np.ndarray, turned: np.ndarray) -> float:
        """How much higher the better of the ``turned`` embeddings (the picture turned by 90
        degrees each way) scores than the picture as given (``embedding``)."""
        return _turned_gain(self.scores(np.vstack([np.asarray(embedding, np.float32)[None],
                                                   np.asarray(turned, np.float32)])))

    def describe(self, embedding: np.ndarray, pixels: np.ndarray | None = None,
                 turned: np.ndarray | None = None) -> dict:
        """JSON-ready: {"typicality": per cent, "unfamiliar": bool}, and given the ``pixels``
        the model saw (with flat shares in the file) "flat_areas": per cent of the picture in
        areas of one colour, "flat_unusual": flatter than all but ``FLAT_ABOVE`` % of the
        training photos; given the unit embeddings of the picture ``turned`` by 90 degrees each
        way, "sideways": one of them scores ``SIDEWAYS_GAIN`` higher and is itself familiar (it
        may be on its side: ``_on_its_side``) and "typicality_turned": the better one's
        typicality. Any of the tests makes the picture unfamiliar."""
        rows = np.asarray(embedding, np.float32)[None]
        if turned is not None:
            rows = np.vstack([rows, np.asarray(turned, np.float32)])
        scores = self.scores(rows)  # the picture's and its turns' in one product with the bank
        typicality = self._typicality_of(scores)
        value = float(typicality[0])
        described = {"typicality": round(value, 1), "unfamiliar": value < UNFAMILIAR_BELOW}
        if turned is not None:
            sideways = _on_its_side(scores, typicality)
            described.update(sideways=sideways, typicality_turned=round(float(typicality[1:].max()), 1))
            described["unfamiliar"] = described["unfamiliar"] or sideways
        if pixels is not None and self.flat_reference is not None:
            share = flat_share(pixels)
            unusual = self.flat_unusual(share)
            described.update(flat_areas=round(100 * share, 1), flat_unusual=unusual)
            described["unfamiliar"] = described["unfamiliar"] or unusual
        return described

    def sideways(self, embedding: np.ndarray, turned: np.ndarray) -> bool:
        """Whether the picture "may be on its side" (``describe``'s "sideways"), from its unit
        embedding and those of its two turns by 90 degrees."""
        scores = self.scores(np.vstack([np.asarray(embedding, np.float32)[None], np.asarray(turned, np.float32)]))
        return _on_its_side(scores, self._typicality_of(scores))


def _on_its_side(scores: np.ndarray, typicality: np.ndarray) -> bool:
    """The "on its side" test, from the scores and typicalities of a picture as given (``[0]``)
    and turned (``[1:]``): a turn scores ``SIDEWAYS_GAIN`` higher, and turned the picture is
    itself like the training photos (its typicality at least ``UNFAMILIAR_BELOW``). Without the
    second condition a painting or a plain gradient, unlike them either way, was called "on its
    side" whenever a turn happened to score a little higher (12 of the 32 paintings): turning it
    would not help, and the reason to give is that it is unlike them."""
    return bool(_turned_gain(scores) > SIDEWAYS_GAIN and typicality[1:].max() >= UNFAMILIAR_BELOW)


def _turned_gain(scores: np.ndarray) -> float:
    """``Familiarity.turned_gain`` of the scores of a picture as given (``scores[0]``) and turned
    (``scores[1:]``)."""
    return float(scores[1:].max() - scores[0])


def sentence(described: dict) -> str:
    """``Familiarity.describe`` output in words, for the CLI and the window."""
    typicality = float(described.get("typicality", 0.0))
    if described.get("flat_unusual"):
        return (f"unlike the photos the model was trained on ({described['flat_areas']:.0f} % of it is areas of one "
                f"flat colour, as in a screenshot or a drawing, more than in {100 - FLAT_ABOVE:g} % of them): "
                "its class is a guess")
    if described.get("sideways"):
        return (f"it may be on its side: turned by 90 degrees it looks more like the photos the model was trained "
                f"on (more typical than {percent(described['typicality_turned'])} of them, against "
                f"{percent(typicality)} as it is): its class is a guess")
    if described.get("unfamiliar"):
        return (f"unlike the photos the model was trained on (more unusual than {100 - typicality:.1f} % of them): "
                "its class is a guess")
    return f"like the photos the model was trained on ({typicality:.0f} % of them are less typical)"


def split(groups: Sequence[str], seed: int = 0) -> tuple[np.ndarray, np.ndarray] | None:
    """(reference, bank) indices of training photos by their contributors: whole contributors,
    in random order, until a fifth of the photos (and at least ``MIN_REFERENCE``) are held out
    of the bank; each side sampled down to ``BANK_SIZE``. None when either side would be under
    its minimum (``MIN_REFERENCE``, ``MIN_BANK``): the model then gets no familiarity data."""
    groups = np.asarray(list(groups))
    names = sorted(set(groups.tolist()))
    if len(names) < 2 or len(groups) < MIN_PHOTOS:
        return None
    rng = np.random.default_rng(seed)
    rng.shuffle(names)
    counts = {name: int(n) for name, n in zip(*np.unique(groups, return_counts=True))}
    held, count, wanted = set(), 0, max(MIN_REFERENCE, REFERENCE_SHARE * len(groups))
    for name in names[:-1]:  # at least one contributor stays in the bank
        if count >= wanted:
            break
        held.add(name)
        count += counts[name]
    is_reference = np.array([g in held for g in groups])
    reference, bank = np.flatnonzero(is_reference), np.flatnonzero(~is_reference)
    if len(reference) < MIN_REFERENCE or len(bank) < MIN_BANK:
        return None
    bank = np.sort(rng.choice(bank, min(BANK_SIZE, len(bank)), replace=False))
    reference = np.sort(rng.choice(reference, min(BANK_SIZE, len(reference)), replace=False))
    return reference, bank


def build(
    embed: Callable[[Sequence[str]], np.ndarray],
    files: Sequence[str],
    groups: Sequence[str],
    seed: int = 0,
    flat: Callable[[Sequence[str]], np.ndarray] | None = None,
) -> Familiarity | None:
    """From training photos and their contributors: the reference scores of a fifth of the
    photos and a bank of up to ``BANK_SIZE`` of the others (``split``).
    ``embed(files)`` gives their unit embeddings (rows of NaN for unreadable files). None when
    there are too few photos or contributors for ``MIN_REFERENCE`` and ``MIN_BANK`` photos."""
    files = list(files)
    sides = split(groups, seed)
    if sides is None:
        return None
    reference, bank = sides
    vectors = embed([files[i] for i in bank])
    bank_vectors = vectors[np.isfinite(vectors).all(1)]
    ref_vectors = embed([files[i] for i in reference])
    ref_vectors = ref_vectors[np.isfinite(ref_vectors).all(1)]
    if len(ref_vectors) < MIN_REFERENCE or len(bank_vectors) < MIN_BANK:
        return None
    bank_array = l2_normalise(bank_vectors).astype(np.float16).astype(np.float32)  # as it is saved
    scores = Familiarity(bank_array, np.zeros(0, np.float32)).scores(l2_normalise(ref_vectors))
    flat_reference = None
    if flat is not None:  # the flat shares of a sample of all the training photos (NaN: unreadable)
        chosen = np.sort(np.random.default_rng(seed).choice(len(files), min(FLAT_REFERENCE_SIZE, len(files)),
                                                            replace=False))
        shares = np.asarray(flat([files[i] for i in chosen]), np.float32)
        flat_reference = np.sort(shares[np.isfinite(shares)])
    return Familiarity(bank_array, np.sort(scores), flat_reference)


def flat_shares(files: Sequence[str], size: int) -> np.ndarray:
    """``flat_share`` of image files as the model is given them (``size`` px); NaN if unreadable."""
    from vsdesk.engine.product.features import decode_many

    out = np.full(len(files), np.nan, np.float32)
    for i, image, _error in decode_many(files, size):
        if image is not None:
            out[i] = flat_share(image)
    return out


def unavailable(train_images: int | None) -> str:
    """Why a model has no familiarity data, in words (``train_images``: how many photos it was
    trained on, None when unknown)."""
    if train_images is not None and train_images < MIN_PHOTOS:
        return (f"this model cannot tell whether a photo is like its training photos: it was trained on "
                f"{train_images} photos, and that needs at least {MIN_PHOTOS}")
    return ("this model cannot tell whether a photo is like its training photos: it has no data for that "
            "(trained before vsdesk made it, or on too few photos or contributors)")


def save(folder: Path, familiarity: Familiarity) -> None:
    with atomic_path(folder / FILE, ".npz") as tmp:
        flat = {} if familiarity.flat_reference is None else {"flat_reference": familiarity.flat_reference.astype(np.float32)}
        np.savez_compressed(tmp, bank=familiarity.bank.astype(np.float16), reference=familiarity.reference.astype(np.float32),
                            **flat)


def load(folder: Path, dim: int) -> Familiarity | None:
    """The model's familiarity data, or None when it has none or it does not fit (a model
    trained before it existed, a damaged file: the app then just does not say)."""
    path = folder / FILE
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as data:
            bank, reference = data["bank"].astype(np.float32), data["reference"].astype(np.float32)
            flat = data["flat_reference"].astype(np.float32) if "flat_reference" in data.files else None
    except (OSError, ValueError, KeyError) as exc:
        log.warning("product: %s is unreadable (%s); photos are not checked for familiarity", path, exc)
        return None
    if bank.ndim != 2 or bank.shape[1] != dim or len(bank) < 1 or reference.ndim != 1 or len(reference) < 1:
        log.warning("product: %s does not fit this model; photos are not checked for familiarity", path)
        return None
    if len(reference) < MIN_REFERENCE or len(bank) < MIN_BANK:  # written before those minimums
        log.info("product: %s has %d reference and %d bank photos, fewer than %d and %d; photos are not checked "
                 "for familiarity", path, len(reference), len(bank), MIN_REFERENCE, MIN_BANK)
        return None
    if flat is not None and (flat.ndim != 1 or len(flat) < MIN_REFERENCE):
        flat = None  # too few to tell the flattest 0.5 %: the pixels are not looked at
    return Familiarity(bank, np.sort(reference), None if flat is None else np.sort(flat))


def embed_files(embedder, files: Sequence[str], batch: int = 32) -> np.ndarray:
    """Unit embeddings (the first member's) of image files; NaN rows for unreadable ones."""
    from vsdesk.engine.product.features import decode_many

    out = np.full((len(files), embedder.features_dim), np.nan, np.float32)
    rows: list[int] = []
    pixels: list[np.ndarray] = []

    def flush() -> None:
        vectors = embedder.embed(embedder.backbone.preprocess(np.stack(pixels).astype(np.float32)))
        out[rows] = l2_normalise(vectors[:, : embedder.features_dim])
        rows.clear()
        pixels.clear()

    for i, image, _error in decode_many(files, embedder.meta.size):
        if image is None:  # unreadable: its row stays NaN
            continue
        rows.append(i)
        pixels.append(image)
        if len(rows) == batch:
            flush()
    if rows:
        flush()
    return out
