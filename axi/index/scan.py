"""Bring the index up to date with the harness stores, touching as little as possible.

An unchanged file (same size, mtime and inode) is not opened. A grown append-only transcript
is read from its saved byte offset with its saved parser state. A shrunk or replaced file is
read again from the start; a deleted one leaves the index. Large amounts of new data are
parsed by worker processes; results are written in short transactions, and a write is dropped
when another process already indexed the same bytes, so concurrent scans never double count.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from dataclasses import dataclass, field

from axi.harnesses import all_harnesses, get
from axi.harnesses.base import Harness, SearchText, SessionSummary, iter_lines
from axi.index.store import get_meta, write

PARALLEL_BYTES = 48 * 1024 * 1024
HOT_WINDOW = 24 * 3600
SWEEP_EVERY = 30.0
BATCH = 400
TEXT_CAP = 16_000


@dataclass
class Job:
    harness: str
    path: str
    size: int
    mtime_ns: int
    inode: int
    start: int
    state: dict | None


@dataclass
class Parsed:
    job: Job
    offset: int
    state: dict
    summary: SessionSummary | None
    texts: list[SearchText]
    error: str | None = None


@dataclass
class ScanReport:
    parsed_files: int = 0
    parsed_bytes: int = 0
    removed: int = 0
    pending: int = 0
    skipped_lines: int = 0
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0
    sweep_due: bool = False

    @property
    def complete(self) -> bool:
        return self.pending == 0


def refresh(conn: sqlite3.Connection, deadline: float | None = None,
            harnesses: list[Harness] | None = None, full: bool = False) -> ScanReport:
    """Index what changed. With `deadline` (epoch s), stop in time and report what is pending.

    A full sweep stats every transcript. Between sweeps, a quick refresh stats only the
    directories (any created or removed file changes one) and the files written in the last
    day (the live ones); it falls back to a sweep when a directory changed. A file older than
    a day that grows again is caught by the next sweep, which the caller runs in the
    background once the last one is `SWEEP_EVERY` seconds old (`report.sweep_due`).
    """
    started = time.monotonic()
    swept = get_meta(conn, "swept_at")
    if full or harnesses or swept is None or get_meta(conn, "complete") != "1":
        report = _sweep(conn, deadline, harnesses or all_harnesses())
    else:
        report = _quick(conn, deadline)
        report.sweep_due = time.time() - float(swept) > SWEEP_EVERY
    report.seconds = time.monotonic() - started
    return report


def _sweep(conn: sqlite3.Connection, deadline: float | None, harnesses: list[Harness]
           ) -> ScanReport:
    from axi.harnesses import base

    report = ScanReport()
    known = {r["path"]: r for r in conn.execute(
        "SELECT path, harness, size, mtime_ns, inode, offset, session_key FROM files")}
    jobs: list[Job] = []
    seen: set[str] = set()
    base.DIR_LOG = dirs = []
    try:
        for harness in harnesses:
            if harness.kind == "db":
                _refresh_db(conn, harness, report)
                continue
            try:
                for path, st in harness.discover():
                    seen.add(path)
                    job = _job(harness.name, path, st, known.get(path))
                    if job is not None:
                        jobs.append(job)
            except OSError as exc:
                report.warnings.append(f"{harness.name}: {exc}")
    finally:
        base.DIR_LOG = None
    gone = [p for p, r in known.items() if p not in seen and r["harness"] != "opencode"]
    _forget(conn, gone)
    report.removed += len(gone)
    _run(conn, jobs, deadline, report)
    complete = "1" if report.complete else "0"
    with write(conn):
        conn.execute("INSERT OR REPLACE INTO meta VALUES ('complete', ?)", (complete,))
        conn.execute("INSERT OR REPLACE INTO meta VALUES ('swept_at', ?)", (str(time.time()),))
        conn.execute("DELETE FROM dirs")
        conn.executemany("INSERT OR REPLACE INTO dirs VALUES (?, ?)", dirs)
    return report


def _quick(conn: sqlite3.Connection, deadline: float | None) -> ScanReport:
    for path, mtime_ns in conn.execute("SELECT path, mtime_ns FROM dirs").fetchall():
        try:
            now = os.stat(path).st_mtime_ns
        except OSError:
            now = 0
        if now != mtime_ns:
            return _sweep(conn, deadline, all_harnesses())
    report = ScanReport()
    since = int((time.time() - HOT_WINDOW) * 1e9)
    jobs, gone = [], []
    for row in conn.execute("SELECT path, harness, size, mtime_ns, inode, offset, session_key "
                            "FROM files WHERE mtime_ns > ?", (since,)).fetchall():
        try:
            st = os.stat(row["path"])
        except OSError:
            gone.append(row["path"])
            continue
        job = _job(row["harness"], row["path"], st, row)
        if job is not None:
            jobs.append(job)
    _refresh_db(conn, get("opencode"), report)
    _forget(conn, gone)
    report.removed += len(gone)
    _run(conn, jobs, deadline, report)
    return report


def _job(harness: str, path: str, st: os.stat_result, row: sqlite3.Row | None) -> Job | None:
    if row is not None and (row["size"], row["mtime_ns"], row["inode"]) == (
            st.st_size, st.st_mtime_ns, st.st_ino):
        return None
    grown = (row is not None and row["inode"] == st.st_ino and st.st_size >= row["size"]
             and (row["offset"] or 0) <= st.st_size)
    return Job(harness, path, st.st_size, st.st_mtime_ns, st.st_ino,
               start=row["offset"] if grown else 0, state=None)


def parse(job: Job) -> Parsed:
    """Read a file from the job's offset; runs in worker processes too."""
    harness = get(job.harness)
    parser = harness.parser(job.path, job.state)
    offset = job.start
    try:
        for line_offset, line, end in iter_lines(job.path, job.start):
            if line is None:
                parser.s["skipped"] = parser.s.get("skipped", 0) + 1
            elif line.strip() and not parser.skip(line):
                parser.feed(line, line_offset)
            offset = end
    except OSError as exc:
        return Parsed(job, job.start, job.state or {}, None, [], error=str(exc))
    return Parsed(job, offset, parser.dump(), parser.summary(), parser.take_texts())


def _run(conn: sqlite3.Connection, jobs: list[Job], deadline: float | None,
         report: ScanReport) -> None:
    if not jobs:
        return
    jobs.sort(key=lambda j: j.mtime_ns, reverse=True)  # freshest first: they matter most
    _load_states(conn, jobs)
    batch: list[Parsed] = []
    new_bytes = sum(j.size - j.start for j in jobs)
    results = _parallel(jobs) if new_bytes > PARALLEL_BYTES and _cpus() > 1 else map(parse, jobs)
    done = 0
    try:
        for parsed in results:
            done += 1
            batch.append(parsed)
            if len(batch) >= BATCH:
                _store(conn, batch, report)
                batch = []
            if deadline is not None and time.time() > deadline:
                break
    finally:
        close = getattr(results, "close", None)
        if close:
            close()
        _store(conn, batch, report)
    report.pending = len(jobs) - done


def _parallel(jobs: list[Job]):
    import multiprocessing

    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    pool = multiprocessing.get_context(method).Pool(min(_cpus(), 4))

    def results():
        try:
            yield from pool.imap_unordered(parse, jobs, chunksize=4)
        finally:
            pool.terminate()
            pool.join()

    return results()


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def _load_states(conn: sqlite3.Connection, jobs: list[Job]) -> None:
    for job in jobs:
        if job.start:
            row = conn.execute("SELECT state FROM files WHERE path = ?", (job.path,)).fetchone()
            job.state = json.loads(row[0]) if row and row[0] else None
            if job.state is None:
                job.start = 0


def _store(conn: sqlite3.Connection, batch: list[Parsed], report: ScanReport) -> None:
    if not batch:
        return
    with write(conn):
        for parsed in batch:
            if parsed.error:
                report.warnings.append(f"{parsed.job.path}: {parsed.error}")
                continue
            if not _still_current(conn, parsed.job):
                continue
            _store_one(conn, parsed)
            report.parsed_files += 1
            report.parsed_bytes += parsed.offset - parsed.job.start
            if parsed.summary is not None:
                report.skipped_lines += parsed.summary.skipped_lines


def _still_current(conn: sqlite3.Connection, job: Job) -> bool:
    """False when another process indexed this file past where our read began."""
    if job.start == 0:
        return True
    row = conn.execute("SELECT offset, inode FROM files WHERE path = ?", (job.path,)).fetchone()
    return row is not None and row["offset"] == job.start and row["inode"] == job.inode


def _store_one(conn: sqlite3.Connection, parsed: Parsed) -> None:
    job, summary = parsed.job, parsed.summary
    key = summary.key if summary is not None else None
    row = conn.execute("SELECT session_key FROM files WHERE path = ?", (job.path,)).fetchone()
    current = row[0] if row else None
    if current and current != key:
        _delete_session(conn, current)
    if key and job.start == 0:
        _delete_session(conn, key, texts_only=True)  # a full read replaces every text
    conn.execute(
        "INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (job.path, job.harness, job.size, job.mtime_ns, job.inode, parsed.offset,
         json.dumps(parsed.state, separators=(",", ":")), key),
    )
    if summary is not None:
        put_session(conn, summary, parsed.texts)


def put_session(conn: sqlite3.Connection, s: SessionSummary, texts: list[SearchText]) -> None:
    totals = [0, 0, 0, 0]
    conn.execute("DELETE FROM usage WHERE session_key = ?", (s.key,))
    buckets = []
    for bucket_key, counts in s.usage.items():
        hour, _, model = bucket_key.partition("|")
        buckets.append((s.key, int(hour), model, *counts[:4], counts[4]))
        totals = [t + c for t, c in zip(totals, counts[:4], strict=True)]
    conn.executemany("INSERT OR REPLACE INTO usage VALUES (?, ?, ?, ?, ?, ?, ?, ?)", buckets)
    conn.execute(
        "INSERT OR REPLACE INTO sessions VALUES "
        "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (s.key, s.harness, s.id, s.source, s.dir, s.title, s.title_source, s.model, s.provider,
         None if s.git_branch == "HEAD" else s.git_branch, s.created, s.last, s.turns,
         *totals, s.ctx_tokens, s.ctx_window, int(s.turn_open), s.parent_id,
         int(s.is_subagent), s.first_uuid, s.skipped_lines),
    )
    if texts:
        first = conn.execute("SELECT coalesce(max(rowid), 0) + 1 FROM texts").fetchone()[0]
        rows = list(enumerate(texts, first))  # we hold the write lock: these rowids are ours
        conn.executemany("INSERT INTO texts VALUES (?, ?, ?, ?, ?)",
                         [(i, s.key, t.role, t.ts, t.cursor) for i, t in rows])
        conn.executemany("INSERT INTO texts_fts (rowid, text) VALUES (?, ?)",
                         [(i, t.text[:TEXT_CAP]) for i, t in rows])


def _delete_session(conn: sqlite3.Connection, key: str, texts_only: bool = False) -> None:
    rowids = conn.execute("SELECT rowid FROM texts WHERE session_key = ?", (key,)).fetchall()
    if rowids:
        # One lookup per rowid: FTS5 would scan the whole table for `rowid IN (subquery)`.
        conn.executemany("DELETE FROM texts_fts WHERE rowid = ?", rowids)
        conn.execute("DELETE FROM texts WHERE session_key = ?", (key,))
    if not texts_only:
        conn.execute("DELETE FROM usage WHERE session_key = ?", (key,))
        conn.execute("DELETE FROM sessions WHERE key = ?", (key,))


def _forget(conn: sqlite3.Connection, paths: list[str]) -> None:
    if not paths:
        return
    with write(conn):
        for path in paths:
            row = conn.execute("SELECT session_key FROM files WHERE path = ?",
                               (path,)).fetchone()
            if row and row[0]:
                _delete_session(conn, row[0])
            conn.execute("DELETE FROM files WHERE path = ?", (path,))


def _refresh_db(conn: sqlite3.Connection, harness, report: ScanReport) -> None:
    """Database stores (opencode): re-read only sessions whose update time moved."""
    from axi.errors import AxiError

    meta_key = f"fingerprint:{harness.name}"
    fingerprint = harness.fingerprint()
    if fingerprint is None:
        _forget_harness(conn, harness.name)
        return
    if get_meta(conn, meta_key) == json.dumps(fingerprint):
        return
    known = {r["id"]: r["last"] for r in conn.execute(
        "SELECT id, last FROM sessions WHERE harness = ?", (harness.name,))}
    try:
        changed, present = harness.changed_sessions(known)
    except (AxiError, sqlite3.Error) as exc:
        report.warnings.append(f"{harness.name}: {getattr(exc, 'message', exc)}; "
                               "kept the sessions indexed before")
        return
    with write(conn):
        for key in [f"{harness.name}:{i}" for i in known if i not in present]:
            _delete_session(conn, key)
            report.removed += 1
        for summary, texts in changed:
            _delete_session(conn, summary.key, texts_only=True)
            put_session(conn, summary, texts)
            report.parsed_files += 1
        conn.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)",
                     (meta_key, json.dumps(fingerprint)))


def _forget_harness(conn: sqlite3.Connection, name: str) -> None:
    keys = [r[0] for r in conn.execute("SELECT key FROM sessions WHERE harness = ?", (name,))]
    if not keys:
        return
    with write(conn):
        for key in keys:
            _delete_session(conn, key)
        conn.execute("DELETE FROM meta WHERE key = ?", (f"fingerprint:{name}",))
