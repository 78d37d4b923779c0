"""How many images an index run would embed with a given model (``images_to_embed``), told
before the run by the index and a stat of each file: for the window to say what a model
switch costs.
"""

from __future__ import annotations

import collections
from typing import Container, Iterable

from vsdesk.engine.catalog._file_reading import FileRow, hash_of, is_unchanged, same_stat
from vsdesk.engine.catalog._scan import FileStat, scan_folders
from vsdesk.engine.catalog._store import Catalog


def images_to_embed(catalog: Catalog, key_prefixes: list[str | None]) -> list[int]:
    """For each vectors key prefix (how a model's keys start, ``modes.vectors_key_prefix``;
    None: not known), how many images an index run of ``catalog`` with that model would embed:
    the files its folders hold now (more than it has indexed after a run cut off), less those
    a run leaves as they are (``is_unchanged``: a vector of that model in the index already,
    which survives a model switch until a run completes, or skipped) and those moved or
    renamed (``_moved``), each content once (``_new_contents``: a file touched or copied with
    a new time, whose bytes a run finds known by their hash, is not counted; nor the copies
    of one new content, embedded once). A file that turns out not to decode is counted. A scan
    of the folders, a stat per file, and a read of the few new files of the same size as another:
    for a worker thread, not the window's. A damaged index raises ``CatalogError``
    as its other queries do."""
    scan = scan_folders(catalog.folders)
    rows = catalog.file_entries()
    hashes: dict[str, str | None] = {}  # (each file read once, for every prefix)
    counts = []
    for prefix in key_prefixes:
        known = set() if prefix is None else catalog.hashes_with_vectors(prefix)
        settled = _settled_times(rows.values(), known)
        candidates = [stat for path, stat in scan.files.items()
                      if not is_unchanged(rows.get(path), stat, known) and not _moved(stat, settled)]
        counts.append(_new_contents(candidates, _settled_contents(rows.values(), known), hashes, rows))
    return counts


def _settled_contents(rows: Iterable[FileRow], known: Container[str]) -> dict[int, set[str]]:
    """The content hashes a run settles without the model (``_settled_times``), by file size."""
    found: dict[int, set[str]] = {}
    for row in rows:
        if _settles(row, known):
            found.setdefault(row.size, set()).add(row.sha256)
    return found


def _new_contents(candidates: list[FileStat], settled: dict[int, set[str]], hashes: dict[str, str | None],
                  rows: dict[str, FileRow]) -> int:
    """How many contents of the files ``candidates`` a run embeds: none it finds ``settled`` by
    its hash, and the copies of one content once. Only a file of the size of a settled content
    or of another candidate can be either, and only those are read (``hashes``: by path, kept
    for the next call), unless the index (``rows``) has its hash under its size and time: a model
    switch finds every file a candidate, and reading each of a big catalog's many files of a
    shared size could take minutes. One that cannot be read is skipped by a run, not embedded."""
    sizes = collections.Counter(stat.size for stat in candidates)
    alone, new = 0, set()
    for stat in candidates:
        if stat.size not in settled and sizes[stat.size] == 1:
            alone += 1  # no other content of its size: new, whatever its bytes
            continue
        if stat.path not in hashes:
            hashes[stat.path] = _indexed_hash(rows.get(stat.path), stat) or hash_of(stat)
        sha = hashes[stat.path]
        if sha is not None and sha not in settled.get(stat.size, ()):
            new.add(sha)
    return alone + len(new)


def _indexed_hash(row: FileRow | None, stat: FileStat) -> str | None:
    """The content hash the index holds for the file, if it has not changed since (its size and
    time): what a run would find by reading it."""
    return row.sha256 if same_stat(row, stat) else None


def _settled_times(rows: Iterable[FileRow], known: Container[str]) -> set[tuple[int, int]]:
    """(size, mtime_ns) of the entries whose content a run settles without the model, at any
    path (``settle_file``): a vector in ``known``, or bytes skipped before (not for the model's own
    failure, "unusable", which the model decides again)."""
    return {(row.size, row.mtime_ns) for row in rows if _settles(row, known)}


def _settles(row: FileRow, known: Container[str]) -> bool:
    """Whether a run settles the content of entry ``row`` without the model, at any path."""
    return bool(row.sha256) and (row.sha256 in known if row.status == "ok" else row.kind != "unusable")


def _moved(stat: FileStat, settled: set[tuple[int, int]]) -> bool:
    """Whether the file found at ``stat`` is, by all signs short of reading it, one of the index
    at another path (``_settled_times``): moved or renamed, which keeps its size and time. A
    run reads it and finds its content known: not embedded."""
    return (stat.size, stat.mtime_ns) in settled
