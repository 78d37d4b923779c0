"""Paths whose names are not UTF-8 kept in an index as they are (``IndexConnection``).

A photo on an old archive or a network share written by another system has a name in Latin-1
or Shift-JIS (``b"caf\\xe9.jpg"``). Python gives it as a ``str`` with the undecodable bytes as
lone surrogates (``os.fsdecode``), which SQLite TEXT cannot hold. SQLite is dynamically typed,
so such a path is stored as a BLOB of its bytes (``os.fsencode``), in exactly those rows, and
every other path as TEXT as before: no migration, an index written before reads as it did, and
a BLOB read back is that path again. A separate column or an escaped text form would have
needed a new schema, or made a path's text ambiguous with a real name holding the escape.

The conversion is done for every statement of the connection (its parameters, and the path
columns of what it reads, each read by a row factory chosen by its columns), so no query can
forget it. What is left to the queries is the order:
SQLite sorts every BLOB after every TEXT, so a folder's range of paths is asked in both
(``folder_range_sql``).
"""

from __future__ import annotations

import os
import sqlite3

#: The columns that hold a path, or a folder's name (``label``: a class subfolder's).
PATH_COLUMNS = frozenset({"path", "root", "folder", "link", "label"})


def stored(value):
    """``value`` as the index keeps it: a ``str`` that is not UTF-8 as its bytes, else as it is."""
    if type(value) is str and not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:  # lone surrogates: bytes os.fsdecode could not decode
            return os.fsencode(value)
    return value


def _stored_row(params):
    if isinstance(params, dict):
        return {key: stored(value) for key, value in params.items()}
    return tuple(stored(value) for value in params)


def _read_row(cursor: sqlite3.Cursor, row: tuple) -> tuple:
    """A row read with its path columns' BLOBs as paths again (a vector's BLOB stays bytes).
    Rows of a cursor not made by ``IndexConnection.execute`` (which picks a cheaper reader)."""
    if bytes not in map(type, row):
        return row
    return _decoded(row, _path_indices(cursor.description))


def _decoded(row: tuple, indices: tuple[int, ...]) -> tuple:
    row = list(row)
    for i in indices:
        if type(row[i]) is bytes:
            row[i] = os.fsdecode(row[i])
    return tuple(row)


def _path_indices(description) -> tuple[int, ...]:
    return tuple(i for i, column in enumerate(description) if column[0] in PATH_COLUMNS)


def _paths_reader(indices: tuple[int, ...]):
    """A row factory that turns the BLOBs at ``indices`` (path columns) into paths. Called once
    per row read (a million when a big catalog opens), so it only looks at those columns, with
    the common cases (one or two of them) spelled out."""
    if len(indices) == 1:
        [a] = indices
        return lambda cursor, row: row if type(row[a]) is not bytes else _decoded(row, indices)
    if len(indices) == 2:
        a, b = indices
        return lambda cursor, row: (row if type(row[a]) is not bytes and type(row[b]) is not bytes
                                    else _decoded(row, indices))
    return lambda cursor, row: row if bytes not in map(type, row) else _decoded(row, indices)


#: Row factories by the names of a result's columns (a few dozen statements): made once each.
_READERS: dict[tuple[str, ...], object] = {}


def _reader_for(description) -> object:
    """The row factory for a result with columns ``description``: none (rows as SQLite gives
    them, at C speed) when no column is a path, as for vectors and counts."""
    names = tuple(column[0] for column in description)
    if names not in _READERS:
        indices = _path_indices(description)
        _READERS[names] = _paths_reader(indices) if indices else None
    return _READERS[names]


class IndexConnection(sqlite3.Connection):
    """A connection to an index that stores and reads paths not UTF-8 (``sqlite3.connect``'s
    ``factory``). Each statement's cursor reads its rows with a factory chosen by its columns
    (``_reader_for``): converting every row of every read cost a big catalog's opening 18 %
    (1,000,000 entries)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.row_factory = _read_row  # (a cursor of its own, ``cursor()``: every row looked at)

    def execute(self, sql, parameters=()):
        cursor = super().execute(sql, _stored_row(parameters))
        if cursor.description is not None:  # (a read: rows are converted as they are fetched)
            cursor.row_factory = _reader_for(cursor.description)
        return cursor

    def executemany(self, sql, rows):
        return super().executemany(sql, map(_stored_row, rows))


def folder_range_sql(column: str, folder: str, directly: bool = False) -> tuple[str, tuple]:
    """(A WHERE clause, its parameters) for the paths in ``column`` inside ``folder`` (at any
    depth, or ``directly`` in it): a range of the primary key, asked once among the TEXT paths
    and once among the BLOB ones (names not UTF-8, sorted after every TEXT: a folder's such
    files are not between its TEXT bounds). In bytes, the range and a name's start are counted
    in bytes (SQLite's ``substr`` counts a BLOB's bytes, a TEXT's characters)."""
    prefix = folder.rstrip(os.sep) + os.sep
    raw = os.fsencode(prefix)
    ranges = [(raw, raw[:-1] + bytes([raw[-1] + 1]), os.sep.encode())]
    if stored(prefix) is prefix:  # (no TEXT path is inside a folder whose name is not UTF-8)
        ranges.insert(0, (prefix, prefix[:-1] + chr(ord(os.sep) + 1), os.sep))
    clauses, params = [], []
    for start, after, sep in ranges:
        if directly:  # no separator after the folder's: not in a subfolder
            clauses.append(f"({column} > ? AND {column} < ? AND instr(substr({column}, ?), ?) = 0)")
            params += [start, after, len(start) + 1, sep]  # (substr counts from 1)
        else:
            clauses.append(f"({column} > ? AND {column} < ?)")
            params += [start, after]
    return "(" + " OR ".join(clauses) + ")", tuple(params)
