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

Measured (docs/product.md, "Unfamiliar photos"): the held-out twin flags 2.7 % of the photos
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


@dataclass
class Familiarity:
    bank: np.ndarray  # (n, d) float32, unit rows
    reference: np.ndarray  # sorted scores of reference photos

    def scores(self, embeddings: np.ndarray) -> np.ndarray:
        """Cosine similarity of each (unit) embedding to its K-th nearest bank photo."""
        similarities = np.asarray(embeddings, np.float32) @ self.bank.T
        k = min(K, self.bank.shape[0])
        return np.partition(similarities, -k, axis=1)[:, -k]

    def typicality(self, embeddings: np.ndarray) -> np.ndarray:
        """Per cent of reference photos less typical than each embedding's photo (0-100)."""
        ranks = np.searchsorted(self.reference, self.scores(embeddings), side="right")
        return 100.0 * ranks / len(self.reference)

    def describe(self, embedding: np.ndarray) -> dict:
        """JSON-ready: {"typicality": per cent, "unfamiliar": bool}."""
        value = float(self.typicality(np.asarray(embedding, np.float32)[None])[0])
        return {"typicality": round(value, 1), "unfamiliar": value < UNFAMILIAR_BELOW}


def sentence(described: dict) -> str:
    """``Familiarity.describe`` output in words, for the CLI and the window."""
    typicality = float(described.get("typicality", 0.0))
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
    return Familiarity(bank_array, np.sort(scores))


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
        np.savez_compressed(tmp, bank=familiarity.bank.astype(np.float16), reference=familiarity.reference.astype(np.float32))


def load(folder: Path, dim: int) -> Familiarity | None:
    """The model's familiarity data, or None when it has none or it does not fit (a model
    trained before it existed, a damaged file: the app then just does not say)."""
    path = folder / FILE
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as data:
            bank, reference = data["bank"].astype(np.float32), data["reference"].astype(np.float32)
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
    return Familiarity(bank, np.sort(reference))


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
