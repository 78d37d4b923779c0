"""Bringing a catalog's index up to date with its folders, incrementally and crash-safely.

1. Scan: stat every image file (no reads). A file whose (size, mtime_ns, ctime_ns) match the
   index and whose vector exists for this embedder is unchanged and never opened.
2. Files that disappeared are dropped (one transaction). Their vectors stay, so a file that was
   moved or renamed is recognised by its content hash and not re-embedded (and one put back later,
   or a folder forgotten and added again, while they are kept: see ``_collect_garbage``).
   Folders that cannot be read (or a disk that is not mounted) keep their entries; a catalog
   folder that is away (missing, a file now, or empty: a disk not mounted), a linked folder
   inside one that leads nowhere (its disk unplugged), or a mount point inside one that the
   last complete run noted and that is empty now (its disk not mounted), is said in
   ``missing_folders``, not among the skipped files.
3. New or changed files are read and hashed (SHA-256) in a small thread pool; a known hash reuses
   its vector, otherwise the pool decodes (``load_image``) and ``preprocess``es, and the calling
   thread (the one that owns TensorFlow) ``embed``s in batches. The pool is fed through a bounded
   window, so memory stays flat however large the folder. When the model is given as a loader,
   the changed files are hashed first and the model is loaded only if some content is new: a
   folder whose files were only touched, copied without their times or moved needs no model.
   Then the entries kept for folders away whose content the run saw in a file of the catalog
   are forgotten (the folder moved, or was copied while its disk was unplugged): the copies
   hold their vectors, so each image is listed once, and the folder, back, is re-added by hash.
4. Every batch is one SQLite transaction (file rows together with their vectors): killing the
   process at any moment loses at most the batch in flight, and the next run resumes from there.
   The report counts a batch once it is committed, so a run interrupted (Ctrl+C, a cancel)
   reports what its index holds.
5. A complete run keeps the times of the folders it scanned (``Catalog.changed_folders``), and
   their linked folders and mount points (``Catalog.attached_folders``), and its links to
   single images (``Catalog.image_links_away`` tells those away later).
"""

from __future__ import annotations

import collections
import concurrent.futures as cf
import os
from dataclasses import dataclass, field

import numpy as np

from vsdesk.engine.catalog._away_words import (
    EMPTY_FOLDER,
    KEPT,
    LINK_KEPT,
    LINK_TO_NOTHING,
    MOUNT_AWAY,
    NONE_KEPT,
)
from vsdesk.engine.catalog._errors import CatalogModeMismatch
from vsdesk.engine.catalog._file_reading import (
    AWAY_NOW,
    GONE,
    FileRow,
    index_rows,
    is_unchanged,
    read_and_prepare,
    settle_file,
)
from vsdesk.engine.catalog._folders_away import is_empty_folder
from vsdesk.engine.catalog._index_contents import SkippedFile
from vsdesk.engine.catalog._index_report import FoundElsewhere, IndexReport
from vsdesk.engine.catalog._scan import (
    AWAY_KINDS,
    BROKEN_LINK,
    MOUNT,
    FileStat,
    is_within,
    scan_folders,
)
from vsdesk.engine.catalog._path_facts import has_image_name
from vsdesk.engine.catalog._store import Catalog
from vsdesk.engine.embedding import Embedder
from vsdesk.engine.text import RESUMING, counted, shown_path
from vsdesk.engine.tasks import CancelledError, keeping_work


#: Vectors of the catalog's model that no file uses (files deleted, a folder forgotten) are kept
#: as long as they are no more than the vectors in use, or than this many bytes of them when
#: that is more (64 MB: 12,600 Product vectors, 4,600 Style ones): the same content back is not
#: embedded again, and the index grows by no more than that. Beyond it they all go at the end of
#: a complete run (which of them were unused last is not known: the table keeps no time).
UNUSED_VECTORS_KEPT_BYTES = 64 * 1024 * 1024


def _takes_a_gone_place(gone: collections.Counter[str], row: FileRow) -> bool:
    """Whether the new path of ``row`` takes the place of a path gone with the same content (a
    move or a rename, not an addition): one such place is taken from ``gone`` (hash -> paths)."""
    if gone.get(row.sha256 or "", 0) > 0:
        gone[row.sha256] -= 1
        return True
    return False


def check_mode(catalog: Catalog, embedder: Embedder) -> None:
    if embedder.mode != catalog.mode:
        raise CatalogModeMismatch(
            f"catalog {catalog.name!r} is indexed with mode {catalog.mode!r}, not {embedder.mode!r}"
        )


@dataclass
class _Plan:
    gone: list[FileRow]
    todo: list[tuple[FileStat, bool]]
    relabel: list[tuple[str | None, str, str]]
    unchanged: int
    skipped: list[SkippedFile]
    #: (path, ctime_ns) of unchanged entries whose change time the index has not noted yet (an
    #: index from before ``file_ctimes``): noted, without reading them.
    new_ctimes: list[tuple[str, int]] = field(default_factory=list)


class Indexer:
    def __init__(self, catalog, embedder, loader, progress, cancelled, batch_size, workers, model_key=None,
                 report=None, joined=()):
        self.catalog = catalog
        self.joined = list(joined)  # folders this run added to the catalog (``_add_folders``)
        self.model_key = model_key
        self.conn = catalog.conn
        self.embedder: Embedder | None = embedder
        self.loader = loader
        self.progress = progress
        self.cancelled = cancelled
        self.batch_size = max(1, int(batch_size))
        self.workers = workers or min(4, os.cpu_count() or 2)
        self.report = report if report is not None else IndexReport()
        self.report.model_loaded = embedder is not None
        self.folder_times: list[tuple[str, str, int]] = []  # of the scan: see ScanResult
        self.attached: list[tuple[str, str, str]] = []  # of the scan: see ScanResult
        self.image_links: list[tuple[str, str]] = []  # of the scan: see ScanResult
        self.known: set[str] = set()  # hashes with a vector under this embedder's key
        self.gone_hashes: collections.Counter[str] = collections.Counter()
        #: Paths counted as added by this run, by content hash (``_forget_found_elsewhere``).
        self.added: dict[str, list[str]] = {}
        #: Changed files already read and settled without the model (``_settle_without_model``).
        self.settled: dict[str, FileRow] = {}
        #: The content hash of every image the index held before the run, by path: a file read
        #: again with the same content was only touched; one skipped now is now unreadable.
        self.indexed_before: dict[str, str | None] = {}

    # -- the steps --------------------------------------------------------------------------

    def run(self) -> IndexReport:
        self.progress(0, 0, "scanning folders")
        scan = scan_folders(self.catalog.folders)
        self.folder_times, self.attached, self.image_links = scan.folder_times, scan.attached, scan.image_links
        rows = index_rows(self.conn)
        self.indexed_before = {path: row.sha256 for path, row in rows.items() if row.status == "ok"}
        for root in self.catalog.folders:
            if is_empty_folder(root) and any(is_within(path, root) for path in rows):
                scan.unreadable.append((root, "empty-folder", EMPTY_FOLDER))  # its entries are kept
        for folder, kind, root in self.catalog.attached_folders():  # noted by the last complete run
            # A mount point left empty is a disk not mounted, not a folder the user emptied.
            # (One in a root or a linked folder that is away is not there at all: not empty.)
            if kind == MOUNT and root in self.catalog.folders and is_empty_folder(folder) and any(
                    path.startswith(folder + os.sep) for path in rows):
                scan.unreadable.append((folder, "empty-folder", MOUNT_AWAY))  # its entries are kept
        links_away = set()
        for link, kind, message, image_link in scan.dangling:  # said when it held images (one always dangling holds none)
            if any(is_within(path, link) for path in rows):
                scan.unreadable.append((link, kind, message))  # its entries are kept
                if image_link:
                    links_away.add(link)
                    # Noted with the links found: still told away after this run (an index from
                    # before they were noted has no row to keep for it).
                    self.image_links += [(root, link) for root in self.catalog.folders if is_within(link, root)][:1]
            elif has_image_name(link):  # never indexed through it: a link to nothing, as any
                scan.unreadable.append((link, BROKEN_LINK, LINK_TO_NOTHING.format(target=shown_path(
                    os.path.realpath(link)))))
        for path, kind, message in scan.unreadable:
            if kind in AWAY_KINDS:
                self.report.missing_folders.append(SkippedFile(path, kind, message, path in links_away))
            else:
                self.report.skipped.append(SkippedFile(path, kind, message))
        # Kept with the catalog, for `catalogs list` and the window to count and list them too.
        self.catalog.note_scan_skipped(self.report.skipped)
        if self.report.missing_folders:  # (a pass over every row: only when a folder is away)
            self._count_kept(rows)

        # A folder there with no image file in it (nothing indexed, nothing skipped) is said.
        looked_past = {stat.root for stat in scan.files.values()} | {f.path for f in self.report.missing_folders}
        self.report.no_images = [root for root in self.catalog.folders if root not in looked_past
                                 and not any(is_within(path, root) for path, _, _ in scan.unreadable)]
        # A folder added to a catalog that holds no image file is not kept (a wrong folder
        # given): kept, it would be said later as a disk not mounted (an empty folder).
        for root in [root for root in self.joined if root in self.report.no_images]:
            self.catalog.remove_folder(root)
            self.report.no_images.remove(root)
            self.report.folders_not_added.append(root)
            self.report.folders_added.pop(root, None)

        came_loaded = self.embedder is not None
        if self.embedder is None:
            stored_key = self.catalog.embedder_key
            plan = self._plan(scan, rows, stored_key)
            same_model = self.model_key is None or (stored_key or "").startswith(self.model_key)
            if stored_key is None and not plan.todo:
                key = None  # never indexed, and no file to index (an empty folder): no model needed
            elif stored_key is not None and same_model and self._settle_without_model(plan.todo, rows):
                key = stored_key  # nothing to embed: no model needed
            else:
                self.progress(0, 0, "loading the model")
                self.embedder = self.loader()
                check_mode(self.catalog, self.embedder)
                self.report.model_loaded = True
        if self.embedder is not None:
            self._adopt_key()
            key = self.embedder.key
            plan = self._plan(scan, rows, key)
            if came_loaded and not self.report.model_changed and self.indexed_before:
                # The model came loaded (the window's): the changed files are hashed first all
                # the same, to tell the files to embed (the work) from those moved or renamed.
                self._settle_without_model(plan.todo, rows)
            # Kept: the rows whose vector this model has. A skip may be the model's own
            # ("cannot be prepared for the model"), so skipped files are decided again.
            self.settled = {path: row for path, row in self.settled.items()
                            if row.status == "ok" and row.sha256 in self.known}

        self.report.unchanged = plan.unchanged
        self.report.skipped.extend(plan.skipped)
        # From here every step ends in a commit, and a cancel is seen at the next batch's end: a
        # window closed meanwhile waits for that (``keeping_work``), not for the model's loading.
        with keeping_work():
            self._drop(plan.gone)
            if plan.relabel:
                with self.catalog.write_transaction():
                    self.conn.executemany("UPDATE files SET label = ?, root = ? WHERE path = ?", plan.relabel)
            if plan.new_ctimes:  # (nothing a search reads: no new version)
                with self.catalog.write_transaction(new_version=False):
                    self.conn.executemany("INSERT OR REPLACE INTO file_ctimes VALUES (?, ?)", plan.new_ctimes)
            self._process(plan.todo)
            self._forget_found_elsewhere(scan.files)
            self._collect_garbage(key)
        return self.report

    def _count_kept(self, rows: dict[str, FileRow]) -> None:
        """The images kept for the folders away, and of those, the ones of image links away
        (one each, none when its entry is a file skipped): counted apart, as the summary
        says them apart. A link's entry is at its own path."""
        links = {away.path for away in self.report.missing_folders if away.image_link_away}
        for path, row in rows.items():
            if row.status == "ok" and any(is_within(path, away.path) for away in self.report.missing_folders):
                self.report.kept += 1
                if path in links:
                    self.report.kept_by_links += 1

    def _plan(self, scan, rows: dict[str, FileRow], key: str | None) -> _Plan:
        """What a run has to do when vectors are those of ``key``."""
        self.known = {r[0] for r in self.conn.execute("SELECT sha256 FROM vectors WHERE key = ?", (key,))}
        # Entries under folders that cannot be read now are kept; not that of a broken link (its file is gone).
        protected = [p for p, kind, _ in scan.unreadable if kind != BROKEN_LINK]
        gone = [row for path, row in rows.items()
                if path not in scan.files and not any(is_within(path, p) for p in protected)]
        plan = _Plan(gone, [], [], 0, [])
        for path, stat in sorted(scan.files.items()):  # a stable order: resumable, reproducible
            row = rows.get(path)
            if is_unchanged(row, stat, self.known):
                if row.status == "skipped":  # counted under skipped, with its reason
                    plan.skipped.append(SkippedFile(path, row.kind or "unreadable", row.message or ""))
                else:
                    plan.unchanged += 1
                if row.ctime_ns is None and stat.ctime_ns is not None:
                    plan.new_ctimes.append((path, stat.ctime_ns))
                if row.label != stat.label or row.root != stat.root:  # labels file edited, folders merged
                    plan.relabel.append((stat.label, stat.root, path))
            else:
                plan.todo.append((stat, row is not None))
        return plan

    def _settle_without_model(self, todo: list[tuple[FileStat, bool]], rows: dict[str, FileRow]) -> bool:
        """Read and hash the new or changed files (as ``_process`` would) until one needs the
        model: True when none does, every one's content having a vector already (only its time
        changed, or it was moved, copied, renamed) or being the same bytes as a file skipped
        before (at this path or another: a folder moved with a broken file in it). The rows
        are kept in ``self.settled`` for ``_process``, so no file is read twice. Once one needs
        the model, the rest are still hashed (not decoded), to tell the files to embed from
        those moved or renamed: the run's work, as its progress counts it (a re-index of 1313
        files, 813 of them moves, said "indexing 1313 files"); only those to embed are read
        twice. Writes nothing: a kill here loses nothing."""
        total = len(todo)
        if not total:
            return True
        self.progress(0, total, f"checking {counted(total, 'new or changed file')}")
        known = frozenset(self.known)
        # The same bytes fail to decode the same way at any path (a folder moved with a broken
        # file in it); "unusable" was the model's own failure, decided by the model again.
        skips = {row.sha256: row for row in rows.values()
                 if row.status == "skipped" and row.sha256 and row.kind != "unusable"}
        pool = cf.ThreadPoolExecutor(self.workers, thread_name_prefix="vsdesk-hash")
        try:
            queue: collections.deque[cf.Future] = collections.deque()
            items = iter(todo)
            done = 0
            needs_model = False
            while True:
                while len(queue) < 4 * self.workers:
                    item = next(items, None)
                    if item is None:
                        break
                    stat = item[0]
                    queue.append(pool.submit(settle_file, stat, known, skips, not needs_model))
                if not queue:
                    return not needs_model
                if self.cancelled():
                    raise CancelledError("indexing cancelled")
                row = queue.popleft().result()
                done += 1
                if row is None:
                    needs_model = True  # new content: the model is needed
                else:
                    self.settled[row.path] = row
                self.progress(done, total, "checking")
        finally:
            pool.shutdown(wait=True, cancel_futures=True)

    def _adopt_key(self) -> None:
        """The catalog's vectors are those of the embedder's key from now on (a new model
        re-embeds; old vectors are dropped once the run completes)."""
        if self.catalog.embedder_key == self.embedder.key and self.catalog.dim == self.embedder.dim:
            return
        self.report.model_changed = self.catalog.embedder_key is not None
        with self.catalog.write_transaction():
            self.conn.execute("INSERT OR REPLACE INTO meta VALUES ('embedder_key', ?)", (self.embedder.key,))
            self.conn.execute("INSERT OR REPLACE INTO meta VALUES ('dim', ?)", (str(int(self.embedder.dim)),))

    def _drop(self, gone: list[FileRow]) -> None:
        if not gone:
            return
        self.gone_hashes.update(r.sha256 for r in gone if r.status == "ok" and r.sha256)
        with self.catalog.write_transaction():
            self.conn.executemany("DELETE FROM files WHERE path = ?", [(r.path,) for r in gone])
            self.conn.executemany("DELETE FROM file_ctimes WHERE path = ?", [(r.path,) for r in gone])
        # Images removed: the entry of a file skipped before was none of the catalog's images.
        self.report.removed = sum(r.status == "ok" for r in gone)

    def _process(self, todo: list[tuple[FileStat, bool]]) -> None:
        total = len(todo)
        if not total:  # (a folder away was not looked at: its images are only kept)
            if self.report.missing_folders:
                self.progress(0, 0, "nothing new in the folders there")
            else:
                self.progress(0, 0, "no images found" if self.report.no_images and not self.report.unchanged
                              else "up to date")
            return
        known_snapshot = frozenset(self.known)
        decode_size = self.embedder.decode_size if self.embedder is not None else None
        window = max(2 * self.batch_size, 4 * self.workers)
        pending_rows: list[tuple[FileRow, bool]] = []  # (row, existed) ready to write: a reused vector or a skip
        to_embed: list[tuple[FileRow, bool, np.ndarray | None]] = []
        batch_hashes: set[str | None] = set()
        # The work is the files to embed: those settled by their content before (moved,
        # renamed, touched) are written as they come, and counted apart.
        known_already = sum(stat.path in self.settled for stat, _existed in todo)
        work = total - known_already
        done = 0
        # A run that goes on with one cut off says so: the user may not have started it (the
        # window opens the catalog it showed when it was closed during its run).
        apart = self._settled_words(todo)
        self.progress(0, work, f"{RESUMING}: {counted(work, 'image')} left{apart}" if self.report.resumed
                      else f"indexing {counted(work, 'file')}{apart}")
        pool = cf.ThreadPoolExecutor(self.workers, thread_name_prefix="vsdesk-decode")
        try:
            # (future, existed, work: not settled before, so counted as the run's work)
            queue: collections.deque[tuple[cf.Future, bool, bool]] = collections.deque()
            items = iter(todo)
            while True:
                while len(queue) < window:
                    item = next(items, None)
                    if item is None:
                        break
                    stat, existed = item
                    settled = self.settled.pop(stat.path, None)
                    if settled is not None:  # read and hashed before the model was needed
                        future: cf.Future = cf.Future()
                        future.set_result((settled, None))
                    else:
                        future = pool.submit(read_and_prepare, stat, known_snapshot, self.embedder, decode_size)
                    queue.append((future, existed, settled is None))
                if not queue:
                    break
                if self.cancelled():
                    for future, _existed, _work in queue:
                        future.cancel()
                    self._write(pending_rows, [])  # what is finished is kept
                    raise CancelledError("indexing cancelled")
                future, existed, is_work = queue.popleft()
                row, array = future.result()
                if row.status != "ok" or row.sha256 in self.known:  # (skipped, or gone: no vector)
                    pending_rows.append((row, existed))
                elif row.sha256 in batch_hashes:
                    to_embed.append((row, existed, None))  # same content twice in a batch: embed once
                else:
                    to_embed.append((row, existed, array))
                    batch_hashes.add(row.sha256)
                done += is_work
                if len(batch_hashes) >= self.batch_size or len(pending_rows) >= 4 * self.batch_size:
                    self._write(pending_rows, to_embed)
                    pending_rows, to_embed, batch_hashes = [], [], set()
                    self.progress(done, work, "indexing")
            self._write(pending_rows, to_embed)
            self.progress(work, work, "indexed")
        finally:
            pool.shutdown(wait=True, cancel_futures=True)

    def _settled_words(self, todo: list[tuple[FileStat, bool]]) -> str:
        """" (100 moved or renamed, 3 copies: nothing to embed)": the new paths settled by their
        content, told as the report will count them (``_count``): a move takes the place of a
        path gone with the same content, a copy of content still in the catalog is added."""
        gone = collections.Counter(self.gone_hashes)
        moved = copies = 0
        for stat, existed in todo:
            row = self.settled.get(stat.path)
            if row is None or existed:
                continue
            if row.status == "ok" and _takes_a_gone_place(gone, row):
                moved += 1
            else:
                copies += 1
        said = ([f"{moved} moved or renamed"] if moved else []) + ([counted(copies, "copy", "copies")] if copies else [])
        return f" ({', '.join(said)}: nothing to embed)" if said else ""

    def _count(self, row: FileRow, existed: bool) -> None:
        if row.status != "ok":
            return  # counted once, under skipped (with its reason)
        if existed:
            self.report.updated += 1
        elif _takes_a_gone_place(self.gone_hashes, row):
            self.report.moved += 1
            self.report.removed -= 1  # a move, not a removal plus an addition
        else:
            self.report.added += 1
            self.added.setdefault(row.sha256 or "", []).append(row.path)

    def _forget_found_elsewhere(self, seen: dict[str, FileStat]) -> None:
        """The entries of folders away whose content is in a file this run saw (``seen``, all
        outside them) are forgotten: the folder moved (else each image is listed twice, once
        at a path that is gone), or was copied while its disk was unplugged. Nothing is lost:
        the vector stays, the copy refers to it, and the folder's files, back, are indexed
        again by their hash without the model. A copy the run added is counted as moved."""
        away = list(self.report.missing_folders)
        if not away:
            return
        links = {folder.path for folder in away if folder.image_link_away}
        found, present = self._found_elsewhere(away, seen)
        if found:
            with self.catalog.write_transaction():
                self.conn.executemany("DELETE FROM files WHERE path = ?", [(path,) for _, path, _, _ in found])
        copies: dict[str, list[str]] = collections.defaultdict(list)  # folder away -> its images' copies
        moved: collections.Counter[str] = collections.Counter()
        for folder, _, sha256, status in found:
            added = self.added.get(sha256) if status == "ok" else None
            if added:  # its copy is new: the image moved (or was copied) there
                copies[folder].append(added.pop())
                moved[folder] += 1
                self.report.added -= 1
                self.report.moved += 1
            else:  # its copy was indexed before (or is a file skipped again): one entry less
                # (an image removed only if it was one: the entry of a file skipped is none)
                self.report.removed += status == "ok"
                if status == "ok":
                    copies[folder].append(present[sha256, status][0])
            if status == "ok":
                self.report.kept -= 1
                if folder in links:  # (a link's entry is at the link)
                    self.report.kept_by_links -= 1
        for folder in away:
            if copies[folder.path]:
                self.report.found_elsewhere.append(FoundElsewhere(
                    folder.path, folder.kind, len(copies[folder.path]), moved[folder.path],
                    _holding_folders(copies[folder.path], seen)))
            if not self.catalog.holds_files(folder.path):
                self.report.missing_without_images.append(folder.path)
        # Their message (``--json``) must not promise entries kept that are gone now.
        self.report.missing_folders = [
            folder._replace(message=folder.message.replace(KEPT, NONE_KEPT).replace(LINK_KEPT, NONE_KEPT))
            if folder.path in self.report.missing_without_images else folder
            for folder in self.report.missing_folders]

    def _found_elsewhere(self, away: list[SkippedFile], seen: dict[str, FileStat]):
        """The entries in the folders ``away`` whose content (and status: an image, or a file
        skipped) is that of a file ``seen``, as (folder away, path, sha256, status), and the
        paths seen by (sha256, status)."""
        present: dict[tuple[str, str], list[str]] = {}
        kept: list[tuple[str, str, str, str]] = []
        rows = self.conn.execute("SELECT path, sha256, status FROM files WHERE sha256 IS NOT NULL")
        for path, sha256, status in rows:
            folder = next((f.path for f in away if is_within(path, f.path)), None)
            if folder is not None:
                kept.append((folder, path, sha256, status))
            elif path in seen:
                present.setdefault((sha256, status), []).append(path)
        return [entry for entry in kept if (entry[2], entry[3]) in present], present

    def _write(self, ready: list[tuple[FileRow, bool]], to_embed: list[tuple[FileRow, bool, np.ndarray | None]]) -> None:
        """One transaction: new vectors and the file rows that refer to them; counted in the
        report once committed. ``ready``: (row, existed) of skipped files and known contents."""
        # A file whose folder went mid-run (a disk unplugged): its entry is left as it is.
        ready = [(row, existed) for row, existed in ready if row.status != AWAY_NOW]
        vectors: list[tuple[str, str, bytes]] = []
        if to_embed:
            fresh = [(row, array) for row, _, array in to_embed if array is not None]
            batch = np.stack([a for _, a in fresh])
            out = np.asarray(self.embedder.embed(batch), dtype="<f4")
            if out.shape != (len(fresh), self.embedder.dim):
                raise RuntimeError(f"embedder returned shape {out.shape}, expected {(len(fresh), self.embedder.dim)}")
            vectors = [(row.sha256, self.embedder.key, vec.tobytes()) for (row, _), vec in zip(fresh, out)]
        rows = [row for row, _ in ready] + [row for row, _, _ in to_embed]
        if not rows and not vectors:
            return
        gone = [(row.path,) for row in rows if row.status == GONE]
        with self.catalog.write_transaction():
            self.conn.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?, ?)", vectors)
            self.conn.executemany("INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                                  [r.values() for r in rows if r.status != GONE])
            self.conn.executemany("DELETE FROM files WHERE path = ?", gone)
            self.conn.executemany("INSERT OR REPLACE INTO file_ctimes VALUES (?, ?)",
                                  [(r.path, r.ctime_ns) for r in rows if r.status != GONE and r.ctime_ns is not None])
            self.conn.executemany("DELETE FROM file_ctimes WHERE path = ?", gone)
        self.known.update(v[0] for v in vectors)
        for row, existed in ready:
            if row.status == GONE:  # deleted since the scan: removed if it was an image of the catalog
                self.report.removed += row.path in self.indexed_before
            elif row.status == "skipped":  # counted once, under skipped (with its reason)
                self.report.skipped.append(SkippedFile(row.path, row.kind or "", row.message or ""))
                if row.path in self.indexed_before and row.kind == BROKEN_LINK:
                    self.report.removed += 1  # its file is gone (the entry goes with the next scan)
                elif row.path in self.indexed_before:  # an image of the catalog until now
                    self.report.now_unreadable += 1
            elif self.indexed_before.get(row.path) == row.sha256:  # touched: a new time, the same bytes
                self.report.unchanged += 1
                self.report.touched += 1
            else:
                self.report.reused += 1
                self._count(row, existed)
        self.report.embedded += len(vectors)
        for row, existed, array in to_embed:
            if array is None:  # the same content twice in the batch: embedded once
                self.report.reused += 1
            self._count(row, existed)

    def _collect_garbage(self, key: str | None) -> None:
        """At the end of a complete run (never earlier), vectors of an older model go, and the
        vectors no file uses once there are too many of them (``UNUSED_VECTORS_KEPT_BYTES``).
        Kept until then, they spare the model the same content back: a folder forgotten by
        mistake and added again (``Catalog.remove_folder`` leaves its vectors), photos
        restored, whether or not runs came in between."""
        unused = ("key = ? AND sha256 NOT IN (SELECT sha256 FROM files WHERE status = 'ok' "
                  "AND sha256 IS NOT NULL)")
        with self.catalog.write_transaction(new_version=False):
            self.conn.execute("DELETE FROM vectors WHERE key != ?", (key,))
            # (the change times of entries gone otherwise: a folder forgotten, found elsewhere)
            self.conn.execute("DELETE FROM file_ctimes WHERE path NOT IN (SELECT path FROM files)")
            stored = self.conn.execute("SELECT COUNT(*) FROM vectors WHERE key = ?", (key,)).fetchone()[0]
            not_used = self.conn.execute(f"SELECT COUNT(*) FROM vectors WHERE {unused}", (key,)).fetchone()[0]
            row_bytes = 4 * (self.catalog.dim or 0) + 64 + len(key or "")  # the vector, its hash and key
            if not_used > max(stored - not_used, UNUSED_VECTORS_KEPT_BYTES // row_bytes):
                self.conn.execute(f"DELETE FROM vectors WHERE {unused}", (key,))


def _holding_folders(paths: list[str], seen: dict[str, FileStat]) -> list[str]:
    """Where ``paths`` are, in a few words: the folder holding them all when it is in the
    catalog (a folder moved, with its subfolders), else the catalog folders they are in."""
    common = os.path.commonpath([os.path.dirname(path) for path in paths])
    roots = sorted({seen[path].root for path in paths})
    return [common] if any(is_within(common, root) for root in roots) else roots
