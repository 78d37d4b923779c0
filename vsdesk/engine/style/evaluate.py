"""Leave-one-out retrieval on a labelled folder: precision@5, precision@10, mAP.

Every image is a query against all the others; an answer is relevant when it has the query's
label. Labels come from ``labels.csv`` (columns ``filename`` and a label column) when the
folder has one; else, when the folder holds no images itself but subfolders of them, from the
first-level subfolder as a catalog labels them (``cubism/a.jpg`` -> ``cubism``); else from the
file name: ``s_cubism-07.jpg`` -> ``cubism`` (an optional one-letter tag and a trailing number
are dropped).
"""

from __future__ import annotations

import csv
import re
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from vsdesk.engine.style.config import DEFAULT, NOTEBOOK, QUERY_EXPANSION, QueryExpansion, StyleConfig
from vsdesk.engine.tasks import Cancelled, Progress, check_cancelled, never_cancelled, no_progress

_NAME = re.compile(r"^(?:[A-Za-z]_)?(?P<label>.+?)[-_ ]*\(?\d+\)?$")


class LabelError(ValueError):
    """The folder cannot be evaluated (no images, no labels, one class only ...)."""


def label_from_name(path: str | Path) -> str:
    stem = Path(path).stem
    match = _NAME.match(stem)
    return (match.group("label") if match else stem).lower()


#: Where labels are read from, for messages: how each source names a label.
LABEL_SOURCES = {
    "labels.csv": "from labels.csv",
    "subfolders": "from the first-level subfolders (one per label)",
    "names": "from the file-name prefix (s_cubism-07.jpg -> cubism)",
}
_WHERE_LABELS_COME_FROM = (
    "labels come from a labels.csv (filename,label) in the folder, else from one subfolder per label "
    "(cubism/*.jpg, impressionism/*.jpg), else from the file-name prefix (s_cubism-07.jpg -> cubism)"
)


@dataclass
class LabelledFolder:
    """A folder read for evaluation by one walk (``read_folder``): the images scored and their
    labels, where the labels come from (a key of ``LABEL_SOURCES``), and (path, reason) of the
    files left out before any is decoded."""

    folder: Path
    files: list[Path]
    labels: list[str]
    source: str
    left_out: list[tuple[Path, str]]


def read_folder(folder: str | Path) -> LabelledFolder:
    """Image files of ``folder`` (sorted) and their labels, from one walk of it as `vsdesk index`
    walks a catalog folder (hidden names left out, linked folders followed, photo formats vsdesk
    cannot read said): its own images, or with no image of its own and no labels.csv, those of
    its subfolders (at any depth) labelled by their first-level subfolder."""
    from vsdesk.engine.catalog import scan_folders

    folder = Path(folder)
    if not folder.is_dir():
        raise LabelError(f"{folder}: not a folder")
    scan = scan_folders([str(folder)])
    own, below = [], []
    for path in sorted(Path(p) for p in scan.files):
        parts = path.relative_to(folder).parts
        if len(parts) == 1:
            own.append(path)
        else:
            below.append((path, parts[0]))
    if (folder / "labels.csv").is_file():
        source = "labels.csv"
    else:
        source = "names" if own or not below else "subfolders"
    # What the scan could not take (a HEIC photo, a folder it cannot list) where images are read from.
    skipped = [(Path(p), message) for p, kind, message in scan.unreadable
               if (len(Path(p).relative_to(folder).parts) == 1) != (source == "subfolders")]
    if source == "subfolders":
        files, labels, left_out = [p for p, _ in below], [label for _, label in below], []
    elif not own:
        raise LabelError(f"{folder}: no image files, neither in it nor in subfolders of it")
    elif source == "labels.csv":
        by_name = _read_labels_csv(folder / "labels.csv")
        files = [p for p in own if p.name in by_name]
        labels, left_out = [by_name[p.name] for p in files], _not_labelled(folder, own, by_name)
    else:
        files, labels, left_out = own, [label_from_name(p) for p in own], []
    _check_labels(folder, labels, source, files)
    return LabelledFolder(folder, files, labels, source, left_out + skipped)


def labelled_images(folder: str | Path) -> tuple[list[Path], list[str]]:
    """The images of ``folder`` that are scored, and their labels (``read_folder``)."""
    read = read_folder(folder)
    return read.files, read.labels


def label_source(folder: str | Path) -> str:
    """How ``read_folder`` labels ``folder``: a key of ``LABEL_SOURCES``."""
    return read_folder(folder).source


def _check_labels(folder, labels: list[str], source: str, files: list[Path] | None = None) -> None:
    read = f"labels read {LABEL_SOURCES[source]}"
    if source == "names" and files:
        read += f", e.g. {files[0].name} -> {labels[0]}"
    if not labels and source == "labels.csv":
        raise LabelError(f"{folder}: no image of it is listed in its labels.csv; {_WHERE_LABELS_COME_FROM}")
    if not labels:  # every image left out (unreadable)
        raise LabelError(f"{folder}: no readable image to evaluate")
    if len(set(labels)) < 2:
        raise LabelError(f"{folder}: retrieval needs at least two labels, found {sorted(set(labels))} ({read}); "
                         f"{_WHERE_LABELS_COME_FROM}")
    if max(labels.count(label) for label in set(labels)) < 2:
        raise LabelError(f"{folder}: every label has one image only ({read}); a label needs two or more to be "
                         "retrieved")


def _not_labelled(folder: Path, own: list[Path], by_name: dict[str, str]) -> list[tuple[Path, str]]:
    """With a labels.csv: the folder's images it does not list, and the files it lists that are
    not scored, each with why (so nothing drops out unsaid)."""
    left = [(p, "not listed in labels.csv") for p in own if p.name not in by_name]
    scored = {p.name for p in own}
    for name in sorted(set(by_name) - scored):
        if name.startswith(".") and (folder / name).exists():
            why = ('listed in labels.csv, but hidden (its name starts with "."): left out, as `vsdesk index` '
                   "leaves it out")
        elif (folder / name).exists():
            why = "listed in labels.csv, but not an image file vsdesk reads"
        else:
            why = "listed in labels.csv, but not in the folder"
        left.append((folder / name, why))
    return left


def _read_labels_csv(path: Path) -> dict[str, str]:
    with open(path, newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.reader(handle))
    if not rows:
        raise LabelError(f"{path}: empty")
    header = [h.strip().lower() for h in rows[0]]
    if "filename" in header or "file" in header or "image" in header:
        name_col = next(header.index(h) for h in ("filename", "file", "image") if h in header)
        label_col = next((i for i, h in enumerate(header) if i != name_col), None)
        body = rows[1:]
    else:
        name_col, label_col, body = 0, 1, rows
    if label_col is None:
        raise LabelError(f"{path}: needs a file name column and a label column")
    return {row[name_col].strip(): row[label_col].strip() for row in body if len(row) > max(name_col, label_col)}


def retrieval_metrics(
    vectors: np.ndarray,
    labels: list[str],
    ks: tuple[int, ...] = (5, 10),
    expansion: QueryExpansion | None = None,
) -> dict[str, float]:
    """Leave-one-out P@k and mAP by cosine similarity (ties broken by file order). An image
    whose label has no other image is not a query (nothing to retrieve) but stays a distractor.

    With ``expansion`` each query is ranked as ``vsdesk.engine.search.search_catalog`` ranks an
    outside picture against a catalog of all the other images (``leave_one_out_scores``)."""
    x = np.asarray(vectors, np.float64)
    x = x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
    n = len(x)
    sims = x @ x.T if expansion is None else leave_one_out_scores(x, expansion)
    lab = np.asarray(labels)
    precision = {k: [] for k in ks}
    average_precisions = []
    for i in range(n):
        if (lab == lab[i]).sum() < 2:
            continue  # nothing to retrieve for it: a distractor for the others, not a query
        s = sims[i].copy()
        s[i] = -np.inf
        order = np.argsort(-s, kind="stable")[: n - 1]
        relevant = (lab[order] == lab[i]).astype(np.float64)
        for k in ks:
            precision[k].append(relevant[:k].mean())
        if relevant.sum() > 0:
            hits = np.cumsum(relevant)
            average_precisions.append(float((hits / np.arange(1, n))[relevant > 0].mean()))
    result = {f"p@{k}": float(np.mean(v)) for k, v in precision.items()}
    result["map"] = float(np.mean(average_precisions))
    return result


def leave_one_out_scores(vectors: np.ndarray, expansion: QueryExpansion) -> np.ndarray:
    """(n, n) scores: row i ranks every other image j as ``search.expand`` + ``top_k`` do when
    image i is searched in a catalog of the other n - 1 images (the catalog is augmented
    without image i, so the query cannot help its own neighbours). The diagonal is -inf.

    The same numbers as n separate catalog searches (a test checks), in O(n^2 d) instead of
    O(n^3 d): only the rows that had image i among their neighbours are augmented again."""
    from vsdesk.engine.search import expand_queries

    x = np.asarray(vectors, np.float32)
    n, dn, alpha = len(x), expansion.database_n, expansion.alpha
    sims = (x @ x.T).astype(np.float64)
    np.fill_diagonal(sims, -np.inf)
    order = np.lexsort((np.broadcast_to(np.arange(n), (n, n)), -sims), axis=1)[:, : dn + 1]

    def augmented(j: int, neighbours) -> np.ndarray:
        row = x[j].astype(np.float64)
        for t in neighbours:
            row = row + max(sims[j, t], 0.0) ** alpha * x[t]
        return row / max(np.linalg.norm(row), 1e-12)

    full = np.stack([augmented(j, order[j, :dn]) for j in range(n)]) if dn > 0 else x.astype(np.float64)
    scores = np.full((n, n), -np.inf)
    for i in range(n):
        others = np.delete(np.arange(n), i)
        db = full.copy()
        if dn > 0:
            for j in np.flatnonzero((order[:, :dn] == i).any(axis=1)):
                db[j] = augmented(j, [t for t in order[j] if t != i][:dn])
        db = db[others].astype(np.float32)
        query = expand_queries(db, x[i], expansion.n, alpha) if expansion.n > 0 else x[i]
        scores[i, others] = db @ query
    return scores


@dataclass
class EvalResult:
    name: str
    config: StyleConfig
    metrics: dict[str, float]
    seconds: float
    expansion: QueryExpansion | None = None
    #: The same vectors searched without query expansion (when ``expansion`` is set).
    plain: dict[str, float] | None = None

    def to_dict(self) -> dict[str, Any]:
        extra: dict[str, Any] = {}
        if self.expansion is not None:
            extra["query_expansion"] = asdict(self.expansion)
            extra["without_query_expansion"] = self.plain
        else:
            extra["query_expansion"] = None
        return {
            **self.metrics,
            **extra,
            "bytes_per_image": self.config.bytes_per_image,
            "dim": self.config.dim,
            "seconds": round(self.seconds, 2),
            "config": self.config.to_dict(),
        }


def evaluate_folder(
    folder: "str | Path | LabelledFolder",
    configs: dict[str, StyleConfig] | None = None,
    progress: Progress = no_progress,
    cancelled: Cancelled = never_cancelled,
    batch_size: int = 16,
    expansions: dict[str, QueryExpansion | None] | None = None,
) -> tuple[dict[str, EvalResult], list[Path], list[str], list[tuple[Path, str]]]:
    """Evaluate each named configuration on ``folder`` (or a ``read_folder`` of it: read once)
    with one VGG16 model shared by all.
    Returns the results, the images used and their labels, and (path, reason) of files that
    could not be read (left out).

    ``expansions`` names the query expansion searched with per configuration; by default
    "default" gets what style search applies (``QUERY_EXPANSION``), the others none (the
    notebook ranked by plain cosine)."""
    from vsdesk.engine.imageio import ImageError, load_image
    from vsdesk.engine.style.embedder import StyleEmbedder, base_model

    configs = configs or {"default": DEFAULT, "notebook": NOTEBOOK}
    read = folder if isinstance(folder, LabelledFolder) else read_folder(folder)
    files, labels, source, unreadable = read.files, read.labels, read.source, list(read.left_out)
    folder = read.folder
    progress(0, len(files), "decoding")
    images, used = [], []
    for i, path in enumerate(files):
        check_cancelled(cancelled)
        try:
            images.append(load_image(path))
            used.append(i)
        except ImageError as exc:  # left out and reported, as indexing does
            unreadable.append((path, str(exc)))
        progress(i + 1, len(files), "decoding")
    files, labels = [files[i] for i in used], [labels[i] for i in used]
    _check_labels(folder, labels, source, files)
    base = base_model()
    results = {}
    for name, config in configs.items():
        start = time.perf_counter()
        embedder = StyleEmbedder(config, base=base)
        rows = []
        for lo in range(0, len(images), batch_size):
            check_cancelled(cancelled)
            batch = np.stack([embedder.preprocess(im) for im in images[lo : lo + batch_size]])
            rows.append(embedder.embed(batch))
            progress(min(lo + batch_size, len(images)), len(images), f"embedding ({name})")
        vectors = np.concatenate(rows)
        expansion = (expansions or {"default": QUERY_EXPANSION}).get(name)
        plain = retrieval_metrics(vectors, labels)
        metrics = retrieval_metrics(vectors, labels, expansion=expansion) if expansion is not None else plain
        results[name] = EvalResult(name, config, metrics, time.perf_counter() - start, expansion,
                                   plain if expansion is not None else None)
    return results, files, labels, unreadable
