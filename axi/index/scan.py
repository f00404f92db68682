"""Bring the index up to date with the harness stores, touching as little as possible.

An unchanged file (same size, mtime and inode) is not opened. A grown append-only transcript
is read from its saved byte offset with its saved parser state. A shrunk or replaced file is
read again from the start; a deleted one leaves the index. Reading and storing is `ingest`'s.
"""

from __future__ import annotations

import os
import time

from axi.harnesses import all_harnesses, get
from axi.harnesses.base import Harness
from axi.index.store import build_deferred, defer_indexes, get_meta, write
from axi.index.tallies import newest_where
from axi.sqlite import sqlite3

TYPE_CHECKING = False  # not typing's: a quick refresh that finds nothing new imports neither
if TYPE_CHECKING:  # typing nor what reads and stores a transcript (axi.index.ingest)
    from axi.index.jobs import Job
    from axi.index.pool import Pool

HOT_WINDOW = 24 * 3600
HOT_BUDGET = 256  # files a quick refresh stats, beyond those the hooks name
ACTIVE_WINDOW = 600.0  # a session its hooks reported this recently is always checked
SWEEP_EVERY = 30.0
EARLY_EVERY = 32  # a first sweep weighs the jobs found so far each time this many more are
DB_BATCH = 500  # sessions of a database store (opencode) read, then written, at a time
DIR_BUDGET = 64  # directories a quick refresh stats: the newest, then a slice that rotates


class ScanReport:
    """What one refresh did, and what it left for later."""

    def __init__(self) -> None:
        self.parsed_files = self.parsed_bytes = self.removed = self.pending = 0
        self.skipped_lines = 0
        self.warnings: list[str] = []
        self.seconds = 0.0
        self.sweep_due = False
        self.texts_handed_on = False  # the workers go on to read the search text, alone
        # A quick refresh's every stat (path, result or None): what its answer rests on, for
        # a caller that keeps the answer while none of them moves (`axi.commands.replay`).
        # None after a sweep, whose answer rests on every file.
        self.seen: list[tuple[str, os.stat_result | None]] | None = None

    @property
    def complete(self) -> bool:
        return self.pending == 0


def refresh(conn: sqlite3.Connection, deadline: float | None = None,
            harnesses: list[Harness] | None = None, full: bool = False,
            scope: tuple[str, list] | None = None, plan: SweepPlan | None = None,
            on_read=None) -> ScanReport:
    """Index what changed. With `deadline` (epoch s), stop in time and report what is pending.

    A full sweep stats every transcript. Between sweeps, a quick refresh stats a bounded set
    of files (`_hot_files`: the most recently written, those the hooks just named, the newest
    in `scope`) and of directories (`_dirs_moved`: any created or removed file changes one),
    so its cost grows neither with how many files were written today nor with how many
    folders a machine has; it falls back to a sweep when a directory changed. Any other file
    that grows again is caught by the next sweep, which the caller runs in the background
    once the last one is `SWEEP_EVERY` seconds old (`report.sweep_due`).

    `on_read(report)` is called when a sweep has read and stored what changed, before the
    writes that end it (a first index's indexes among them).
    """
    started = time.monotonic()
    swept = get_meta(conn, "swept_at")
    if full or harnesses or swept is None or get_meta(conn, "complete") != "1":
        report = _sweep(conn, deadline, harnesses or all_harnesses(), plan,
                        first=swept is None and plan is None, on_read=on_read)
    else:
        report = _quick(conn, deadline, scope)
        report.sweep_due = time.time() - float(swept) > SWEEP_EVERY
    report.seconds = time.monotonic() - started
    return report


class SweepPlan:
    """What a sweep found by statting every transcript: the files to read, those gone, the
    directories' mtimes. Made without the scan lock (it only reads), so a background sweep
    holds the lock only while it writes, not while it stats a machine's worth of files."""

    def __init__(self, harnesses: list[Harness]):
        self.harnesses = harnesses
        self.jobs: list[Job] = []
        self.touched: list[tuple[int, str]] = []  # (new mtime, path): nothing else changed
        self.gone: list[str] = []
        self.dirs: list = []
        self.warnings: list[str] = []


def plan_sweep(conn: sqlite3.Connection, harnesses: list[Harness], early=None) -> SweepPlan:
    """`early` (an `EarlyWorkers`) is shown the jobs as they are found."""
    from axi.harnesses import base

    plan = SweepPlan(harnesses)
    known = {r["path"]: r for r in conn.execute(
        "SELECT path, harness, size, mtime_ns, inode, offset, text_at, session_key FROM files")}
    seen: set[str] = set()
    base.DIR_LOG = plan.dirs
    try:
        for harness in (h for h in harnesses if h.kind != "db"):
            try:
                for path, st in harness.discover():
                    seen.add(path)
                    _sort_change(harness.name, path, st, known.get(path), plan.jobs,
                                 plan.touched)
                    if early is not None and len(plan.jobs) % EARLY_EVERY == 0:
                        early.consider(plan.jobs)
            except OSError as exc:
                plan.warnings.append(f"{harness.name}: {exc}")
    finally:
        base.DIR_LOG = None
    if early is not None:
        early.consider(plan.jobs)
    plan.gone = [p for p, r in known.items() if p not in seen and r["harness"] != "opencode"]
    return plan


def _sweep(conn: sqlite3.Connection, deadline: float | None, harnesses: list[Harness],
           plan: SweepPlan | None = None, first: bool = False, on_read=None) -> ScanReport:
    """`first`: the index's first sweep, which reads everything: once the files listed so far
    make a large read, its worker processes start, so they are ready when the list is; when
    it is complete they go on to read the search text, on their own."""
    early = _early() if first and plan is None else None
    workers = None
    try:
        plan = plan or plan_sweep(conn, harnesses, early)
        workers = early.workers if early is not None else None
        report = _sweep_planned(conn, deadline, plan, first, workers)
        plan.jobs = []  # read: at 100,000 files they hold tens of megabytes
        report.texts_handed_on = bool(workers and report.complete and report.parsed_bytes)
        if on_read is not None:
            on_read(report)
        complete = "1" if report.complete else "0"
        with write(conn):
            conn.execute("INSERT OR REPLACE INTO meta VALUES ('complete', ?)", (complete,))
            conn.execute("INSERT OR REPLACE INTO meta VALUES ('swept_at', ?)",
                         (str(time.time()),))
            conn.execute("DELETE FROM dirs")
            conn.executemany("INSERT OR REPLACE INTO dirs VALUES (?, ?)", plan.dirs)
            build_deferred(conn)
        if report.texts_handed_on:  # after this process's own writes: they come first
            from axi.index import texts

            texts.hand_on(conn, workers)
    finally:
        if early is not None:
            early.close()
    return report


def _sweep_planned(conn: sqlite3.Connection, deadline: float | None, plan: SweepPlan,
                   first: bool, workers: Pool | None) -> ScanReport:
    if first:
        defer_indexes(conn)
    report = ScanReport()
    report.warnings += plan.warnings
    databases = [h for h in plan.harnesses if h.kind == "db"]
    _forget(conn, plan.gone)
    report.removed += len(plan.gone)
    _store_touched(conn, plan.touched)
    _run(conn, plan.jobs, deadline, report, meanwhile=lambda: [
        _refresh_db(conn, harness, report) for harness in databases], workers=workers)
    return report


def _quick(conn: sqlite3.Connection, deadline: float | None,
           scope: tuple[str, list] | None = None) -> ScanReport:
    hot, folders = _hot_files(conn, int((time.time() - HOT_WINDOW) * 1e9), scope)
    seen: list[tuple[str, os.stat_result | None]] = []
    if _dirs_moved(conn, folders, seen):
        return _sweep(conn, deadline, all_harnesses())
    report = ScanReport()
    report.seen = seen
    jobs, gone, touched = [], [], []
    for row in hot:
        try:
            st = os.stat(row["path"])
        except OSError:
            seen.append((row["path"], None))
            gone.append(row["path"])
            continue
        seen.append((row["path"], st))
        _sort_change(row["harness"], row["path"], st, row, jobs, touched)
    _forget(conn, gone)
    _store_touched(conn, touched)
    report.removed += len(gone)
    _run(conn, jobs, deadline, report,
         meanwhile=lambda: _refresh_db(conn, get("opencode"), report))
    return report


def _dirs_moved(conn: sqlite3.Connection, parents: set[str],
                seen: list[tuple[str, os.stat_result | None]] | None = None) -> bool:
    """Whether a directory a new or removed transcript would change has moved since the last
    sweep. Checked: `parents` (the folders of the sessions hooks named or a command looks at:
    a new session lands beside its siblings), the DIR_BUDGET most recently changed (today's
    Codex folder, a new project under Claude's `projects/`), and a slice of the rest that
    moves on every second. What the slice has not reached yet, the background sweep (every
    SWEEP_EVERY seconds) finds. Each stat goes to `seen` (`ScanReport.seen`)."""
    # a sweep writes the table whole, so its rowids run from `low` to `high` without a gap:
    # the slice is a rowid range, not an OFFSET that steps over every row before it
    low, high = conn.execute("SELECT min(rowid), max(rowid) FROM dirs").fetchone()
    total = high - low + 1 if low is not None else 0
    offset = int(time.time()) * DIR_BUDGET % total if total > 2 * DIR_BUDGET else 0
    rows = conn.execute(
        "SELECT path, mtime_ns FROM (SELECT * FROM dirs ORDER BY mtime_ns DESC LIMIT ?) "
        "UNION SELECT path, mtime_ns FROM (SELECT * FROM dirs WHERE rowid >= ? LIMIT ?)",
        (DIR_BUDGET, (low or 0) + offset, DIR_BUDGET)).fetchall()
    marks = ",".join("?" * len(parents))
    if parents:
        rows += conn.execute(f"SELECT path, mtime_ns FROM dirs WHERE path IN ({marks})",
                             list(parents)).fetchall()
    for path, mtime_ns in rows:
        try:
            st = os.stat(path)
        except OSError:
            st = None
        if seen is not None:
            seen.append((path, st))
        if (st.st_mtime_ns if st else 0) != mtime_ns:
            return True
    return False


def _hot_files(conn: sqlite3.Connection, since: int, scope: tuple[str, list] | None
               ) -> tuple[list[sqlite3.Row], set[str]]:
    """The files a quick refresh stats, a bounded number whatever the hot set: the HOT_BUDGET
    written most recently (of those written since `since`), those of every session its hooks
    reported in the last ACTIVE_WINDOW seconds (the journal names a live or resumed session,
    however old its file), and the HOT_BUDGET newest sessions in `scope` (a WHERE clause on
    sessions: the folder a command looks at). Anything else that changed waits for the
    background sweep, due every SWEEP_EVERY seconds. Also returns the folders of the sessions
    named by hooks or in scope: where their new siblings would appear."""
    # Not `state` nor anything stored after it: rows hold the parser's state (~1.4 KB), and
    # reading past it costs the dashboard its overflow pages.
    columns = "f.path, f.harness, f.size, f.mtime_ns, f.inode, f.offset, f.text_at"
    named = conn.execute(
        f"SELECT {columns} FROM files f WHERE f.session_key IN (SELECT harness || ':' || id "
        "FROM lifecycle WHERE max(coalesce(started, 0), coalesce(state_at, 0), "
        "coalesce(ended, 0)) > ?)", (time.time() - ACTIVE_WINDOW,)).fetchall()
    if scope is not None:
        # the folder's newest picked first, along the cheaper index for its size
        # (`tallies.newest_where`), then joined to their files
        where = newest_where(conn, scope[0], scope[1], HOT_BUDGET, "is_subagent IN (0, 1)")
        named += conn.execute(
            f"SELECT {columns} FROM files f WHERE f.session_key IN (SELECT key FROM sessions "
            f"WHERE rowid IN (SELECT rowid FROM sessions WHERE {where} "
            "ORDER BY last DESC LIMIT ?))", [*scope[1], HOT_BUDGET]).fetchall()
    newest = conn.execute(f"SELECT {columns} FROM files f WHERE f.mtime_ns > ? "
                          "ORDER BY f.mtime_ns DESC LIMIT ?", (since, HOT_BUDGET)).fetchall()
    rows = {row["path"]: row for row in newest + named}
    return list(rows.values()), {os.path.dirname(row["path"]) for row in named}


def _sort_change(harness: str, path: str, st: os.stat_result, row: sqlite3.Row | None,
                 jobs: list[Job], touched: list[tuple[int, str]]) -> None:
    """Put a statted file where it belongs: a job to read, a new mtime to record, or
    nothing (unchanged)."""
    if _only_touched(row, st):
        touched.append((st.st_mtime_ns, path))
        return
    job = _job(harness, path, st, row)
    if job is not None:
        jobs.append(job)


def _only_touched(row: sqlite3.Row | None, st: os.stat_result) -> bool:
    """Only the mtime moved (a restored home folder, `touch`): same file, same size, read to
    its end. Transcripts are append-only, so there is nothing to read: the new mtime is
    recorded without opening the file."""
    return (row is not None and row["mtime_ns"] != st.st_mtime_ns
            and row["inode"] == st.st_ino and row["size"] == st.st_size
            and row["offset"] == st.st_size)


def _store_touched(conn: sqlite3.Connection, touched: list[tuple[int, str]]) -> None:
    if touched:
        with write(conn):
            conn.executemany("UPDATE files SET mtime_ns = ? WHERE path = ?", touched)


def _job(harness: str, path: str, st: os.stat_result, row: sqlite3.Row | None) -> Job | None:
    if row is not None and (row["size"], row["mtime_ns"], row["inode"]) == (
            st.st_size, st.st_mtime_ns, st.st_ino):
        return None
    from axi.index.jobs import Job

    grown = (row is not None and row["inode"] == st.st_ino and st.st_size >= row["size"]
             and (row["offset"] or 0) <= st.st_size)
    return Job(harness, path, st.st_size, st.st_mtime_ns, st.st_ino,
               start=row["offset"] if grown else 0, state=None,
               text_at=(row["text_at"] or 0) if grown else 0)


def _run(conn: sqlite3.Connection, jobs: list[Job], deadline: float | None,
         report: ScanReport, meanwhile=None, workers: Pool | None = None) -> None:
    jobs.sort(key=lambda j: j.mtime_ns, reverse=True)  # freshest first: they matter most
    _load_states(conn, jobs)
    if not jobs:  # nothing to read: what reads and stores transcripts is not even imported
        if meanwhile:
            meanwhile()
        return
    from axi.index.ingest import ingest

    stored, report.pending = ingest(conn, jobs, deadline, meanwhile, workers)
    report.parsed_files += stored.files
    report.parsed_bytes += stored.bytes
    report.skipped_lines += stored.skipped_lines
    report.warnings += stored.warnings


def _early():
    from axi.index.ingest import EarlyWorkers

    return EarlyWorkers()


def _forget(conn: sqlite3.Connection, paths: list[str]) -> None:
    if paths:
        from axi.index.writes import forget

        forget(conn, paths)


def _load_states(conn: sqlite3.Connection, jobs: list[Job]) -> None:
    from axi.harnesses.jsonl import decode

    for job in jobs:
        if job.start:
            row = conn.execute("SELECT state FROM files WHERE path = ?", (job.path,)).fetchone()
            job.state = decode(row[0]) if row and row[0] else None
            if job.state is None:
                job.start = 0


def _refresh_db(conn: sqlite3.Connection, harness, report: ScanReport) -> None:
    """Database stores (opencode): re-read only sessions whose update time moved."""
    from axi.errors import AxiError

    meta_key = f"fingerprint:{harness.name}"
    stats = [(path, _stat(path)) for path in harness.fingerprint_paths()]
    if report.seen is not None:  # what the fingerprint is made of
        report.seen += stats
    fingerprint = harness.fingerprint(stats)
    if fingerprint is None:
        _forget_harness(conn, harness.name)
        return
    if get_meta(conn, meta_key) == repr(fingerprint):
        return
    from axi.index.writes import delete_session

    known = {r["id"]: r["last"] for r in conn.execute(
        "SELECT id, last FROM sessions WHERE harness = ?", (harness.name,))}
    present: set[str] = set()
    unreadable: list[str] = []
    batch: list = []
    try:
        for loaded in harness.changed_sessions(known, present, unreadable):
            batch.append(loaded)
            if len(batch) >= DB_BATCH:
                _store_db_sessions(conn, harness.name, batch, known, report)
                batch = []
    except (AxiError, sqlite3.Error) as exc:
        # what was stored stays (each session whole); the fingerprint is not moved, so the
        # next refresh reads the rest
        report.warnings.append(f"{harness.name}: {getattr(exc, 'message', exc)}; "
                               "kept the sessions indexed before")
        return
    _store_db_sessions(conn, harness.name, batch, known, report)
    report.warnings += unreadable
    with write(conn):
        indexed = int(get_meta(conn, "fts_upto") or 0)
        for key in [f"{harness.name}:{i}" for i in known if i not in present]:
            delete_session(conn, key, indexed)
            report.removed += 1
        conn.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)",
                     (meta_key, repr(fingerprint)))


def _stat(path: str) -> os.stat_result | None:
    try:
        return os.stat(path)
    except OSError:
        return None


def _store_db_sessions(conn: sqlite3.Connection, harness: str, batch: list, known: dict,
                       report: ScanReport) -> None:
    """One short write per batch: the workers of a cold index store between them."""
    if not batch:
        return
    from axi.index.vet import vet, vet_texts
    from axi.index.writes import delete_session, put_session

    with write(conn):
        indexed = int(get_meta(conn, "fts_upto") or 0)
        for summary, texts in batch:
            report.warnings += [f"{harness} session {summary.id}: {note}"
                                for note in vet(summary)]
            new = summary.id not in known
            if not new:  # its text is read whole again
                delete_session(conn, summary.key, indexed, texts_only=True)
            put_session(conn, summary, vet_texts(texts), fresh=new)
            report.parsed_files += 1


def _forget_harness(conn: sqlite3.Connection, name: str) -> None:
    keys = [r[0] for r in conn.execute("SELECT key FROM sessions WHERE harness = ?", (name,))]
    if not keys:
        return
    from axi.index.writes import delete_session

    with write(conn):
        for key in keys:
            delete_session(conn, key)
        conn.execute("DELETE FROM meta WHERE key = ?", (f"fingerprint:{name}",))
