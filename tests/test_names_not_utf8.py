"""Photos and folders whose names are not UTF-8 (an old archive or a network share written in
Latin-1: ``b"caf\\xe9.jpg"``) are indexed, searched and kept up to date like any other: they
were skipped ("its name is not valid UTF-8 ...; rename the file to index it")."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3

from conftest import CLOTHING_DIR, run_cli as run

PHOTOS = sorted((CLOTHING_DIR / "images").glob("*.jpg"))


def _latin1_catalog_folder(folder) -> dict[str, bytes]:
    """``folder`` with 3 photos of UTF-8 names, one named ``caf\\xe9.jpg``, and a subfolder
    named ``\\xc9t\\xe9`` ("Été" in Latin-1) with two: one of an ASCII name, one ``\\xe0.jpg``.
    Returns each photo's path as bytes, by a short name."""
    folder.mkdir()
    raw = os.fsencode(folder)
    made = {"a": raw + b"/a.jpg", "b": raw + b"/b.jpg", "c": raw + b"/c.jpg", "cafe": raw + b"/caf\xe9.jpg",
            "ete": raw + b"/\xc9t\xe9/plain.jpg", "ete_a": raw + b"/\xc9t\xe9/\xe0.jpg"}
    os.mkdir(raw + b"/\xc9t\xe9")
    for src, path in zip(PHOTOS, made.values()):
        with open(src, "rb") as fp, open(path, "wb") as out:
            out.write(fp.read())
    return made


def _paths_of(report_results) -> set[bytes]:
    return {os.fsencode(hit["path"]) for hit in report_results}


def _rows(catalog_name: str) -> list[tuple]:
    """(path as bytes, SQLite's type of it) of every entry of the catalog's index, read plainly."""
    from vsdesk.engine.catalog import catalog_location

    with sqlite3.connect(catalog_location(catalog_name) / "index.sqlite") as conn:
        rows = conn.execute("SELECT path, typeof(path) FROM files").fetchall()
    return sorted((p if isinstance(p, bytes) else p.encode(), kind) for p, kind in rows)


def test_photos_named_in_latin1_are_indexed_and_searched_with_the_product_model(capsys, tmp_path):
    made = _latin1_catalog_folder(tmp_path / "share")
    code, out, err = run(capsys, "index", "--mode", "product", "--catalog", "shop", str(tmp_path / "share"), "--json")
    report = json.loads(out)
    assert code == 0 and report["indexed"] == 6 and report["skipped"] == [], err
    # Stored as their bytes (a BLOB) exactly where the name is not UTF-8; TEXT elsewhere, as before.
    assert _rows("shop") == sorted((path, "text" if b"\xe9" not in path and b"\xe0" not in path else "blob")
                                   for path in made.values())
    # A search finds them, and its JSON gives a string whose os.fsencode opens the file.
    code, out, err = run(capsys, "search", "--catalog", "shop", "-k", "10", "--json", os.fsdecode(made["a"]))
    [record] = json.loads(out)
    assert code == 0 and _paths_of(record["results"]) == set(made.values()) - {made["a"]}, err
    for hit in record["results"]:
        with open(os.fsencode(hit["path"]), "rb") as fp:
            assert fp.read(2) == b"\xff\xd8"  # a JPEG: the file itself
    # The query itself such a file: left out as the query, the others found.
    code, out, err = run(capsys, "search", "--catalog", "shop", "-k", "10", "--json", os.fsdecode(made["cafe"]))
    [record] = json.loads(out)
    assert code == 0 and _paths_of(record["results"]) == set(made.values()) - {made["cafe"]}, err
    # In the text, the name is readable, its bytes told as Python's escapes.
    code, out, err = run(capsys, "search", "--catalog", "shop", "-k", "10", os.fsdecode(made["a"]))
    assert code == 0 and f"{tmp_path}/share/caf\\xe9.jpg" in out and f"{tmp_path}/share/\\xc9t\\xe9/\\xe0.jpg" in out
    # Nothing changed: the run after finds nothing to do (the folder times of the Latin-1
    # folder were kept, and its listing matches what the index holds).
    from vsdesk.engine.catalog import Catalog

    with Catalog.open("shop") as catalog:
        assert catalog.changed_folders() == []
        assert catalog.folder_counts(os.fsdecode(made["ete"]).rsplit("/", 1)[0]) == (2, 0)


def test_renaming_and_deleting_such_photos_updates_the_index_without_duplicates(capsys, tmp_path):
    made = _latin1_catalog_folder(tmp_path / "share")
    assert run(capsys, "index", "--mode", "vae", "--catalog", "shop", str(tmp_path / "share"))[0] == 0
    os.rename(made["cafe"], made["cafe"].replace(b"caf\xe9", b"caf\xe8"))  # renamed, still Latin-1
    os.remove(made["ete_a"])
    os.rename(made["ete"], made["ete"].replace(b"plain", b"\xfcber"))  # an ASCII name made Latin-1
    from vsdesk.engine.catalog import Catalog

    with Catalog.open("shop") as catalog:
        assert catalog.changed_folders() == [str(tmp_path / "share")]
    code, out, err = run(capsys, "index", "--catalog", "shop", "--json")
    assert code == 0, err
    raw = os.fsencode(tmp_path / "share")
    now = {raw + b"/a.jpg", raw + b"/b.jpg", raw + b"/c.jpg", raw + b"/caf\xe8.jpg", raw + b"/\xc9t\xe9/\xfcber.jpg"}
    assert [path for path, _ in _rows("shop")] == sorted(now)  # no duplicate, none lost
    code, out, _ = run(capsys, "search", "--catalog", "shop", "-k", "10", "--json", os.fsdecode(raw + b"/a.jpg"))
    assert _paths_of(json.loads(out)[0]["results"]) == now - {raw + b"/a.jpg"}
    # A folder of the catalog dropped: its entries named in Latin-1 go with it.
    shutil.copytree(os.fsdecode(raw), tmp_path / "second")
    assert run(capsys, "index", "--catalog", "shop", str(tmp_path / "second"))[0] == 0
    assert len(_rows("shop")) == 10
    code, _, err = run(capsys, "catalogs", "remove-folder", "shop", str(tmp_path / "second"))
    assert code == 0, err
    assert [path for path, _ in _rows("shop")] == sorted(now)


def test_an_index_of_utf8_names_takes_latin1_names_beside_them(capsys, tmp_path):
    """An index as the code before this wrote it (all TEXT) is read and updated as it is: no
    migration; a photo named in Latin-1 added later is a BLOB beside the TEXT rows."""
    folder = tmp_path / "photos"
    folder.mkdir()
    for src in PHOTOS[:3]:
        shutil.copy(src, folder / src.name)
    assert run(capsys, "index", "--mode", "vae", "--catalog", "shop", str(folder))[0] == 0
    assert {kind for _, kind in _rows("shop")} == {"text"}
    shutil.copy(PHOTOS[3], os.fsdecode(os.fsencode(folder) + b"/\xe9t\xe9.jpg"))
    code, out, err = run(capsys, "index", "--catalog", "shop", "--json")
    assert code == 0 and json.loads(out)["indexed"] == 4, err
    assert [kind for _, kind in _rows("shop")] == ["text"] * 3 + ["blob"]


def test_a_catalog_folder_named_in_latin1_is_kept_indexed_and_dropped(capsys, tmp_path):
    """The catalog's own folder not UTF-8: catalog.json could not be written (a traceback)."""
    root = os.fsencode(tmp_path) + b"/\xc9t\xe9"
    os.mkdir(root)
    for n, src in enumerate(PHOTOS[:2]):
        shutil.copy(src, os.fsdecode(root + b"/p%d.jpg" % n))
    code, _, err = run(capsys, "index", "--mode", "vae", "--catalog", "shop", os.fsdecode(root))
    assert code == 0, err
    code, out, err = run(capsys, "index", "--catalog", "shop", "--json")
    assert code == 0 and json.loads(out)["unchanged"] == 2, err
    code, out, _ = run(capsys, "catalogs", "list", "--json")
    assert [os.fsencode(folder) for folder in json.loads(out)[0]["folders"]] == [root]
    assert run(capsys, "catalogs", "remove-folder", "shop", os.fsdecode(root))[0] == 0
    assert _rows("shop") == []


def test_such_a_folder_is_printed_as_search_prints_it_by_every_command(capsys, tmp_path):
    """The review: `catalogs list` printed such a folder's raw bytes (mojibake on a terminal, or
    a UnicodeEncodeError on a strict one), `remove-folder`'s error "\\udce9"; `search` prints
    "\\xe9" (docs/cli.md). All say "\\xe9" now; --json keeps the name exactly."""
    root = os.fsencode(tmp_path) + b"/\xc9t\xe9"
    os.mkdir(root)
    shutil.copy(PHOTOS[0], os.fsdecode(root + b"/p.jpg"))
    assert run(capsys, "index", "--mode", "vae", "--catalog", "shop", os.fsdecode(root))[0] == 0
    shown = f"{tmp_path}/\\xc9t\\xe9"
    code, out, _ = run(capsys, "catalogs", "list")
    assert code == 0 and f"    {shown}\n" in out
    assert all(not 0xD800 <= ord(char) <= 0xDFFF for char in out)
    code, out, err = run(capsys, "catalogs", "remove-folder", "shop", os.fsdecode(root + b"/sous-\xe0"))
    assert code == 2 and out == ""
    assert err == (f"vsdesk: {shown}/sous-\\xe0 is not a folder of catalog 'shop'; its folders are:\n"
                   f"    {shown}\n")
    code, out, _ = run(capsys, "catalogs", "list", "--json")
    assert [os.fsencode(folder) for folder in json.loads(out)[0]["folders"]] == [root]


def test_a_skipped_file_named_in_latin1_is_kept_as_its_path_and_shown_escaped(qtbot, tmp_path):
    """The scan's skipped files were stored as ``shown_path`` text ("caf\\\\xe9.heic", not the
    path), while those of ``files`` came back as paths; the window showed the latter as Qt
    shows lone surrogates: without the bytes ("caf.jpg")."""
    from vsdesk.engine.catalog import Catalog, SkippedFile
    from vsdesk.gui.catalog_texts import skipped_tooltip
    from vsdesk.gui.skipped_dialog import SkippedFilesDialog

    root = tmp_path / "share"
    root.mkdir()
    heic = os.fsdecode(os.fsencode(root) + b"/caf\xe9.heic")
    # (z.heic: sorted after it in Python, before it in SQLite, where a BLOB is after every TEXT)
    notes = [SkippedFile(path, "unsupported-format", "HEIC photos cannot be read") for path in (heic, f"{root}/z.heic")]
    with Catalog.open_or_create("shop", "vae", [str(root)]) as catalog:
        catalog.note_scan_skipped(notes)
        version = catalog.version
        catalog.note_scan_skipped(notes)
        assert catalog.version == version  # the same notes again: nothing changed
        skipped = catalog.skipped()
    assert [os.fsencode(item.path) for item in skipped] == [os.fsencode(root) + b"/caf\xe9.heic",
                                                            os.fsencode(root) + b"/z.heic"]
    assert skipped_tooltip(skipped[:1]) == "Skipped:\ncaf\\xe9.heic: HEIC photos cannot be read"
    dialog = SkippedFilesDialog("shop", skipped)
    qtbot.addWidget(dialog)
    assert dialog.text.toPlainText().startswith(f"{root}/caf\\xe9.heic\n")


def test_each_read_converts_its_own_path_columns_and_no_vector(tmp_path):
    """Rows are read with a factory chosen by the result's columns (a read without a path
    column at SQLite's speed): a path or label that is not UTF-8 comes back as that path, in
    any column position, a vector's BLOB stays bytes, and a cursor of its own converts too."""
    from vsdesk.engine.catalog._ondisk import connect_index, write_schema

    conn, _ = connect_index(tmp_path / "index.sqlite")
    write_schema(conn)
    path, label = os.fsdecode(tmp_path.as_posix().encode() + b"/\xc9t\xe9/caf\xe9.jpg"), os.fsdecode(b"\xc9t\xe9")
    vector = b"\xe9\x00\x01\x02"
    conn.execute("INSERT INTO files VALUES (?, ?, 1, 2, 'h', ?, 'ok', NULL, NULL)", (path, str(tmp_path), label))
    conn.execute("INSERT INTO files VALUES ('/plain.jpg', '/', 1, 2, 'p', 'Shirt', 'ok', NULL, NULL)")
    conn.execute("INSERT INTO vectors VALUES ('h', 'k', ?)", (vector,))
    joined = ("SELECT {} FROM files f JOIN vectors v ON v.sha256 = f.sha256 WHERE f.status = 'ok'")
    assert conn.execute(joined.format("f.path, f.label, f.sha256, v.vector")).fetchall() == [(path, label, "h", vector)]
    assert conn.execute(joined.format("v.vector, f.sha256, f.label, f.path")).fetchone() == (vector, "h", label, path)
    assert conn.execute("SELECT vector FROM vectors").fetchall() == [(vector,)]
    assert conn.execute("SELECT path FROM files ORDER BY path").fetchall() == [("/plain.jpg",), (path,)]
    cursor = conn.cursor()
    assert cursor.execute("SELECT root, path, label FROM files WHERE sha256 = 'h'").fetchall() == [
        (str(tmp_path), path, label)]
    conn.close()
