"""Labelled product images: from a CSV (the Clothing Dataset's ``images.csv``) or class subfolders.

Photos by one contributor share background, lighting and often the very garment, so a random
split flatters a model; ``group_split`` keeps every group (``sender_id``) on one side only.
"""

from __future__ import annotations

import csv
import hashlib
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from vsdesk.engine.imageio import is_image_name

#: Labels of the Clothing Dataset that are not clothing classes.
NOT_CLASSES = frozenset({"Not sure", "Other", "Skip"})
#: The five classes the original notebook kept.
NOTEBOOK_CLASSES = ("Shoes", "Dress", "Longsleeve", "T-Shirt", "Hat")


class DatasetError(ValueError):
    """The labelled data cannot be used; the message says why."""


@dataclass(frozen=True)
class Item:
    path: str
    label: str
    group: str | None = None  # contributor (sender_id) when known
    kids: bool | None = None  # the Clothing Dataset's second attribute


@dataclass
class Dataset:
    items: list[Item]
    root: str
    has_groups: bool
    has_kids: bool
    excluded: dict[str, int]  # label -> count of rows left out (not classes / missing files)
    #: The image names of the rows counted as "(missing file)", as the CSV gives them.
    missing_files: list[str] = field(default_factory=list)

    @property
    def labels(self) -> list[str]:
        return [item.label for item in self.items]

    def classes(self) -> list[str]:
        return sorted(set(self.labels))

    def subset(self, indices) -> "Dataset":
        return Dataset([self.items[i] for i in indices], self.root, self.has_groups, self.has_kids, dict(self.excluded),
                       list(self.missing_files))

    def fingerprint(self) -> str:
        """Identifies the data (files, labels, groups and file sizes): same data -> same string."""
        digest = hashlib.sha256()
        for item in sorted(self.items, key=lambda it: it.path):
            try:
                stat = os.stat(item.path)
                size = stat.st_size
            except OSError:
                size = -1
            rel = os.path.relpath(item.path, self.root)
            digest.update(f"{rel}\t{item.label}\t{item.group}\t{item.kids}\t{size}\n".encode())
        return digest.hexdigest()[:16]


def load_dataset(path: str | os.PathLike, *, exclude: frozenset[str] = NOT_CLASSES) -> Dataset:
    """A CSV (``image,label[,sender_id][,kids]``, images in ``images/`` beside it or beside the CSV)
    or a folder: either one holding such a CSV, or one subfolder per class."""
    path = Path(path).expanduser()
    if not path.exists():  # said first: "give a folder of class subfolders" would suggest a wrong form
        raise DatasetError(f"{path}: no such folder or file")
    if path.is_dir():
        csv_path = path / "images.csv"
        if csv_path.is_file():
            return _from_csv(csv_path, exclude)
        return _from_folders(path, exclude)
    if path.is_file() and path.suffix.lower() == ".csv":
        return _from_csv(path, exclude)
    raise DatasetError(f"{path}: give a folder of class subfolders, or a CSV with image and label columns")


def _truthy(value: str) -> bool | None:
    text = (value or "").strip().lower()
    if text in ("true", "1", "yes", "y", "t"):
        return True
    if text in ("false", "0", "no", "n", "f"):
        return False
    return None


def _from_csv(csv_path: Path, exclude: frozenset[str]) -> Dataset:
    try:
        # utf-8-sig: a spreadsheet's byte-order mark would otherwise be part of the first header
        with open(csv_path, newline="", encoding="utf-8-sig") as fp:
            reader = csv.DictReader(fp)
            # headers as a person types them ("Image", " label ") name the same columns
            reader.fieldnames = [(name or "").strip().lower() for name in reader.fieldnames or []]
            rows = list(reader)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise DatasetError(f"{csv_path}: cannot read the CSV ({exc})") from None
    if not rows or "image" not in rows[0] or "label" not in rows[0]:
        raise DatasetError(f"{csv_path}: the CSV needs 'image' and 'label' columns")
    # an image is named relative to images/ beside the CSV (the Clothing Dataset) or to the
    # CSV's own folder ("images/x.jpg", "x.jpg"); without an extension it is a .jpg
    bases = [csv_path.parent / "images", csv_path.parent]
    has_groups = "sender_id" in rows[0]
    has_kids = "kids" in rows[0]
    items: list[Item] = []
    excluded: dict[str, int] = {}
    missing: list[str] = []
    for row in rows:
        label = (row.get("label") or "").strip()
        name = (row.get("image") or "").strip()
        if not label or not name or label in exclude:
            excluded[label or "(none)"] = excluded.get(label or "(none)", 0) + 1
            continue
        file = _find_image(bases, name)
        if file is None:
            excluded["(missing file)"] = excluded.get("(missing file)", 0) + 1
            missing.append(name)
            continue
        group = (row.get("sender_id") or "").strip() or None if has_groups else None
        kids = _truthy(row.get("kids", "")) if has_kids else None
        items.append(Item(str(file), label, group, kids))
    if not items:
        raise DatasetError(f"{csv_path}: no usable labelled images")
    return Dataset(items, str(csv_path.parent), has_groups, has_kids, excluded, missing)


def _find_image(bases: list[Path], name: str) -> Path | None:
    for base in bases:
        file = base / name
        for candidate in (file, Path(f"{file}.jpg")) if not file.suffix else (file,):
            if candidate.is_file():
                return candidate
    return None


def _from_folders(root: Path, exclude: frozenset[str]) -> Dataset:
    items: list[Item] = []
    excluded: dict[str, int] = {}
    for sub in sorted(p for p in root.iterdir() if p.is_dir()):
        files = sorted(p for p in sub.rglob("*") if p.is_file() and is_image_name(p))
        if sub.name in exclude:
            excluded[sub.name] = len(files)
            continue
        items.extend(Item(str(f), sub.name) for f in files)
    if not items:
        raise DatasetError(f"{root}: no class subfolders with images (and no images.csv)")
    return Dataset(items, str(root), False, False, excluded)


def split_count(test_fraction: float) -> int:
    """Into how many parts ``group_split`` divides the data (one of them is held out)."""
    return max(2, int(round(1 / test_fraction)))


def group_split(
    dataset: Dataset, test_fraction: float = 0.2, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Train/test indices. With groups: whole groups go to one side (StratifiedGroupKFold, so
    every class still appears in both where possible); without: a stratified random split.
    Every class has photos on the training side (``_every_class_trained``)."""
    labels = np.array(dataset.labels)
    n = len(labels)
    n_splits = split_count(test_fraction)
    if dataset.has_groups:
        from sklearn.model_selection import StratifiedGroupKFold

        groups = np.array([item.group or f"_item{i}" for i, item in enumerate(dataset.items)])
        if len(set(groups)) < n_splits:
            raise DatasetError(f"only {len(set(groups))} contributors: too few for a grouped split")
        splitter = StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=seed)
        with warnings.catch_warnings():
            # sklearn warns of a class with fewer photos than folds, in the terms of cross-
            # validation ("n_splits=5"), which the user never chose: one split is taken here,
            # and what matters of that (the class missing from training) is mended below.
            warnings.filterwarnings("ignore", message="The least populated class in y has only", category=UserWarning)
            train, test = next(splitter.split(np.zeros(n), labels, groups))
    else:
        from sklearn.model_selection import StratifiedKFold

        groups = np.arange(n)
        counts = {label: int((labels == label).sum()) for label in set(labels)}
        if min(counts.values()) < n_splits:
            rng = np.random.default_rng(seed)
            order = rng.permutation(n)
            cut = max(1, int(n * test_fraction))
            test, train = np.sort(order[:cut]), np.sort(order[cut:])
        else:
            splitter = StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=seed)
            train, test = next(splitter.split(np.zeros(n), labels))
    return _every_class_trained(labels, groups, np.asarray(train), np.asarray(test))


def _every_class_trained(labels: np.ndarray, groups: np.ndarray, train: np.ndarray,
                         test: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The split with the held-out groups of any class that has no training photo moved to the
    training side: a model cannot learn a class it never sees, and its linear heads would have
    fewer classes than the model (training stopped on a shape error). A class of one or two
    contributors (a rare class, a small subset) can fall that way."""
    untrained = np.setdiff1d(labels[test], labels[train])
    if not len(untrained):
        return train, test
    back = np.isin(groups[test], groups[test][np.isin(labels[test], untrained)])
    return np.sort(np.concatenate([train, test[back]])), test[~back]


def stratified_subset(dataset: Dataset, count: int, seed: int, floor: int) -> Dataset:
    """About ``count`` photos drawn at random class by class: each class in proportion to its
    size, but at least ``floor`` photos (all of a smaller one), so that a small subset for a quick
    run keeps every class with enough photos to be split (a plain random draw left a rare class
    one photo or none)."""
    rng = np.random.default_rng(seed)
    labels = np.array(dataset.labels)
    keep: list[int] = []
    for label in sorted(set(labels)):
        members = np.flatnonzero(labels == label)
        share = max(floor, round(count * len(members) / len(labels)))
        keep.extend(rng.choice(members, min(share, len(members)), replace=False).tolist())
    return dataset.subset(sorted(keep))
