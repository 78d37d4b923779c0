"""Any picture -> the form of a Fashion-MNIST image: 28x28 greyscale, object centred on black.

Fashion-MNIST was made from product photos on white by: trimming the edges that are close to the
corner colour, resizing the longest edge to 28, centring on a 28x28 canvas, negating and
converting to greyscale. A user's photo gets the same treatment, with two additions for photos
that are not shot on pure white: the background colour is estimated from the image border (and
the image inverted when the object is darker than that background), and pixels close to the
background colour are faded to black so a textured floor or wall does not become part of the
object.

A picture in which nothing stands out from its background (one flat colour, or specks on it) has
no object to convert: ``dataset_form_of`` says so (``object_found``) instead of handing on the
all-black square the conversion leaves, which the model would explain easily and call typical.
Nor has a smooth background (a gradient, a vignette), though its far side differs from its border
colour: it has no edge anywhere (``_steepest_slope``). Nor has noise, whose 28x28 is a dim
speckle or a grain with no shape (``_is_silhouette``), and which the model read as a "typical
Sandal" too.

NumPy and Pillow only (thread-safe; used by ``Embedder.preprocess`` in the decode pool).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageFilter

SIZE = 28
#: Photos are reduced to this longest side first: plenty for a 28-pixel result, and fast.
WORK_SIZE = 160
#: Share of the shorter side that counts as the image border for the background estimate.
BORDER = 0.04
#: Minimum colour distance (0-255) from the background for a pixel to count as the object.
MIN_THRESHOLD = 24.0
#: Largest brightness gain applied to bring the object's brightest pixels to white.
MAX_GAIN = 4.0
#: Smallest share of the picture the object mask must cover to be an object; fewer pixels are
#: stray specks, and the whole picture is then used as it is (``_bounding_box``).
MIN_OBJECT_SHARE = 0.002
#: Resolutions (pixels across, square) at which ``_steepest_slope`` looks for an object's edge.
EDGE_SCALES = (28, 56, 80)
#: Below this steepest slope (levels per 1/27 of the picture) the picture is a smooth background,
#: no object. Measured: 1,152 synthetic backgrounds (linear gradients at 12 angles, radial,
#: off-centre, vignette, sky and sine ramps, 4 colour pairs each, 4 sizes from 160x90 to
#: 1000x1000, with and without noise (sd 4), PNG and JPEG q85) reach at most 73, the same 288
#: at 28x28 at most 46; all 4,878 photos of the Clothing Dataset at least 88 (the faintest: pale
#: tops on a pale bedspread); all 70,000 Fashion-MNIST images at least 119 (at 28 pixels, their
#: own size), and 200 of them pasted as 1000x1000 JPEGs stay objects.
MIN_EDGE_SLOPE = 80.0
#: A silhouette with fewer pixels at or above ``BRIGHT_LEVEL`` than this is (nearly) empty: the
#: model would be given a black square, which it explains easily (a "typical Sandal"). Measured:
#: all 70,000 Fashion-MNIST images have at least 3 (a faint Shirt; median 321), all 4,878 Clothing
#: Dataset photos at least 13 (median 342); 95 % of 516 noise pictures of 300 to 1000 px (see
#: ``MIN_STRUCTURE``) fewer, averaged to a dim speckle (Gaussian noise of sd 30, the review's:
#: none, its brightest pixel at most 8).
MIN_BRIGHT_PIXELS = 3
BRIGHT_LEVEL = 64
#: Below this ``_structure`` the silhouette is noise, not an object. Measured: all 70,000
#: Fashion-MNIST images at least 0.266 (a patterned Pullover; median 0.82), all 4,878 Clothing
#: Dataset photos at least 0.368 (median 0.82). 852 synthetic noise pictures (Gaussian grey and
#: RGB at means 40/128/220 and sd 10-100, uniform grey and RGB over 3 ranges, salt-and-pepper at
#: densities 1-50 % on black, grey and white, 4:3 uniform RGB; 28, 64, 300, 640 and 1000 px; PNG
#: and JPEG q85; two seeds): 536 had passed as objects, 513 of them are now caught here or by
#: ``MIN_BRIGHT_PIXELS``, all of those of 300 px and more. Left: 23 (structure 0.225-0.28): 15
#: of 64 px (resized to 28, their grains blur into their neighbours), the model's percentile
#: 55-91; 4 heavy Gaussian ones of 28 px, 98.5-99.9; 4 of 28 px with 5-7 bright specks on a
#: light ground, 66-84. A higher bar (0.25) would catch 15 more but come within 0.016 of a
#: Fashion-MNIST Pullover.
MIN_STRUCTURE = 0.225


@dataclass(frozen=True)
class DatasetForm:
    pixels: np.ndarray  # uint8 (28, 28), bright object on a black background
    #: False when no pixel stands out from the background colour (beyond stray specks): the
    #: picture is (nearly) one flat colour and ``pixels`` is (nearly) black, a blank, not an item;
    #: or when nothing in it has an edge (a gradient, a vignette: ``MIN_EDGE_SLOPE``); or when
    #: the 28x28 is (nearly) black or noise (``MIN_BRIGHT_PIXELS``, ``MIN_STRUCTURE``).
    object_found: bool


def to_dataset_form(image: Image.Image) -> np.ndarray:
    """RGB (or any mode) PIL image -> uint8 (28, 28), bright object on a black background."""
    return dataset_form_of(image).pixels


def dataset_form_of(image: Image.Image) -> DatasetForm:
    """``to_dataset_form``'s pixels, and whether the conversion found an object to put there."""
    if image.size == (SIZE, SIZE) and image.mode in ("L", "RGB"):
        grey = np.asarray(image.convert("L"))
        if _border_values(grey.astype(np.float32)[..., None]).mean() < 64:
            # already a Fashion-MNIST-like image: left untouched, its object told the same way
            mask, _ = _object_mask(grey.astype(np.float32)[..., None])
            found = _has_object(mask) and _steepest_slope(image) >= MIN_EDGE_SLOPE and _is_silhouette(grey)
            return DatasetForm(grey.copy(), found)
    work = image.convert("RGB")
    if max(work.size) > WORK_SIZE:
        work = work.copy()
        work.thumbnail((WORK_SIZE, WORK_SIZE), Image.Resampling.BILINEAR)
    rgb = np.asarray(work, dtype=np.float32)
    mask, background = _object_mask(rgb)

    grey = rgb @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
    bg_grey = float(background @ np.array([0.299, 0.587, 0.114], dtype=np.float32))
    if _object_is_darker(grey, mask, bg_grey):  # negate, as Fashion-MNIST did with its white backdrops
        grey, bg_grey = 255.0 - grey, 255.0 - bg_grey
    # Background level to black, the object's contrast kept.
    grey = np.clip((grey - bg_grey) * 255.0 / max(255.0 - bg_grey, 1.0), 0.0, 255.0)
    # Fade what looks like background (soft edge, so outlines are not jagged).
    soft = Image.fromarray((mask * 255).astype(np.uint8)).filter(ImageFilter.GaussianBlur(1.5))
    grey *= np.asarray(soft, dtype=np.float32) / 255.0
    # Fashion-MNIST images span the full range (their brightest pixels are near 255); a pale
    # object on a pale floor would otherwise come out almost black. The gain is capped so an
    # image with no clear object is not blown up into noise.
    if mask.any():
        top_level = float(np.percentile(grey[mask], 99))
        grey = np.clip(grey * min(MAX_GAIN, 255.0 / max(top_level, 1.0)), 0.0, 255.0)

    top, bottom, left, right = _bounding_box(mask)
    pixels = _centre_square(grey[top:bottom, left:right])
    found = _has_object(mask) and _steepest_slope(work) >= MIN_EDGE_SLOPE and _is_silhouette(pixels)
    return DatasetForm(pixels, found)


def _object_mask(array: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(h, w, c) float pixels -> (the object's mask, the background colour (c,)). Background: the
    median of the border; object: pixels farther from it than Otsu's split of the distance
    histogram, never below a floor that keeps JPEG noise and soft shadows out."""
    background = np.median(_border_values(array), axis=0)
    distance = np.abs(array - background).max(axis=2)
    return distance > max(MIN_THRESHOLD, _otsu(distance)), background


def _object_is_darker(grey: np.ndarray, mask: np.ndarray, bg_grey: float) -> bool:
    """Whether the object is darker than its background, so the picture is negated (the object
    must come out light on black). Told by the object's own median grey where there is an object;
    by the background alone (light: negate) where there is none. The background alone misread a
    black top on a red bedspread (a dark background, not negated): the top, darker still, was
    cut to black with the background, and the model was given an empty square."""
    if not _has_object(mask):
        return bg_grey > 127.5
    return float(np.median(grey[mask])) < bg_grey


def _has_object(mask: np.ndarray) -> bool:
    """More of the mask than stray specks: an object to crop to (as ``_bounding_box`` decides)."""
    return int(np.count_nonzero(mask)) >= MIN_OBJECT_SHARE * mask.size


def _is_silhouette(pixels: np.ndarray) -> bool:
    """Whether the 28x28 the model is given holds an object: not (nearly) black (noise of a large
    picture averages out to a dim speckle), and not noise (``_structure``)."""
    bright = int(np.count_nonzero(pixels >= BRIGHT_LEVEL))
    return bright >= MIN_BRIGHT_PIXELS and _structure(pixels) >= MIN_STRUCTURE


def _structure(pixels: np.ndarray) -> float:
    """How much neighbouring pixels go together, at 28 and at 14 pixels across (mean of the two
    neighbour correlations): an object's outline and surfaces are smooth next to their own
    pixels; noise is not, at either scale (at 28 alone, noise resized from 64 px correlates as
    much as a patterned pullover)."""
    a = pixels.astype(np.float64)
    coarse = a.reshape(SIZE // 2, 2, SIZE // 2, 2).mean(axis=(1, 3))
    return (_neighbour_correlation(a) + _neighbour_correlation(coarse)) / 2


def _neighbour_correlation(a: np.ndarray) -> float:
    """Pearson correlation of each pixel with its right and its lower neighbour (their mean);
    1 for a flat array (nothing varies, nothing is noise)."""
    def correlation(x: np.ndarray, y: np.ndarray) -> float:
        x, y = x - x.mean(), y - y.mean()
        scale = float(np.sqrt((x * x).sum() * (y * y).sum()))
        return float((x * y).sum()) / scale if scale > 0 else 1.0

    return (correlation(a[:, :-1], a[:, 1:]) + correlation(a[:-1], a[1:])) / 2


def _steepest_slope(image: Image.Image) -> float:
    """The largest change between neighbouring pixels (any channel) of the picture averaged down
    to s x s, for each of ``EDGE_SCALES`` the picture has pixels for, in levels per 1/27 of the
    picture. A smooth background changes as much per share of the picture at every scale, and
    little; an object's edge is a step that gets steeper the finer one looks."""
    slopes = []
    for size in EDGE_SCALES:
        if size > SIZE and size > min(image.size):
            break  # finer than the picture itself: nothing new to see
        a = np.asarray(image.resize((size, size), Image.Resampling.BOX), dtype=np.float32)
        a = a.reshape(size, size, -1)
        step = max(float(np.abs(np.diff(a, axis=0)).max()), float(np.abs(np.diff(a, axis=1)).max()))
        slopes.append(step * (size - 1) / (SIZE - 1))
    return max(slopes)


def _otsu(values: np.ndarray) -> float:
    """Otsu's threshold of values in 0..255 (maximises the between-class variance)."""
    hist = np.bincount(np.clip(values, 0, 255).astype(np.int64).ravel(), minlength=256).astype(np.float64)
    total = hist.sum()
    levels = np.arange(256, dtype=np.float64)
    weight0 = np.cumsum(hist)
    mass0 = np.cumsum(hist * levels)
    weight1 = total - weight0
    valid = (weight0 > 0) & (weight1 > 0)
    mean0 = np.where(valid, mass0 / np.maximum(weight0, 1), 0.0)
    mean1 = np.where(valid, (mass0[-1] - mass0) / np.maximum(weight1, 1), 0.0)
    between = np.where(valid, weight0 * weight1 * (mean0 - mean1) ** 2, 0.0)
    return float(np.argmax(between)) if between.any() else 0.0


def _border_values(array: np.ndarray) -> np.ndarray:
    """Pixels of the outer band of an (h, w, c) array as (n, c)."""
    h, w = array.shape[:2]
    b = max(1, int(round(BORDER * min(h, w))))
    return np.concatenate([
        array[:b].reshape(-1, array.shape[2]), array[-b:].reshape(-1, array.shape[2]),
        array[:, :b].reshape(-1, array.shape[2]), array[:, -b:].reshape(-1, array.shape[2]),
    ])


def _bounding_box(mask: np.ndarray) -> tuple[int, int, int, int]:
    """The object's box, ignoring stray specks (the 0.5 % tails of its pixels on each axis).
    With no clear object the whole image is used."""
    h, w = mask.shape
    if not _has_object(mask):
        return 0, h, 0, w
    ys, xs = np.nonzero(mask)
    top, bottom = np.percentile(ys, [0.5, 99.5])
    left, right = np.percentile(xs, [0.5, 99.5])
    return int(top), int(bottom) + 1, int(left), int(right) + 1


def _centre_square(crop: np.ndarray) -> np.ndarray:
    """Longest edge to 28 pixels, the other centred on black (Fashion-MNIST's steps 3 and 5)."""
    h, w = crop.shape
    side = max(h, w, 1)
    canvas = np.zeros((side, side), dtype=np.float32)
    y, x = (side - h) // 2, (side - w) // 2
    canvas[y : y + h, x : x + w] = crop
    small = Image.fromarray(np.clip(canvas, 0, 255).astype(np.uint8), "L").resize(
        (SIZE, SIZE), Image.Resampling.LANCZOS if side > SIZE else Image.Resampling.BILINEAR
    )
    return np.asarray(small, dtype=np.uint8).copy()
