"""Write what a chunk's read found into the index: new files' sessions together, the rest
one file at a time inside a savepoint (whatever a transcript holds, a failure costs that file
alone), and the search text a second pass read.

A write is dropped when another process already indexed the same bytes (`_still_current`), so
concurrent scans never double count. `axi.index.ingest` reads the chunks; it and the database
stores (opencode) write through here.
"""

from __future__ import annotations

from axi.harnesses.base import SearchText, SessionSummary
from axi.harnesses.jsonl import dumps
from axi.index.jobs import Job, Parsed
from axi.index.store import get_meta, index_texts, write
from axi.index.vet import vet, vet_texts
from axi.sqlite import sqlite3

TEXT_CAP = 16_000
FTS_EVERY = 20_000  # text rows the text pass stores before adding them to the full-text index


class Stored:
    """What storing one chunk did; workers send this back instead of the parsed data."""

    def __init__(self) -> None:
        self.files = self.bytes = self.skipped_lines = 0
        self.warnings: list[str] = []

    def count(self, stored: list[Parsed]) -> None:
        for parsed in stored:
            self.files += 1
            self.bytes += parsed.offset - parsed.job.start
            self.skipped_lines += parsed.summary.skipped_lines if parsed.summary else 0

    def add(self, other: Stored) -> None:
        self.files += other.files
        self.bytes += other.bytes
        self.skipped_lines += other.skipped_lines
        self.warnings += other.warnings


def store(conn: sqlite3.Connection, batch: list[Parsed]) -> Stored:
    stored = Stored()
    if not batch:
        return stored
    with write(conn):
        for parsed in batch:
            if parsed.error:
                stored.warnings.append(f"{parsed.job.path}: {parsed.error}")
        read = [p for p in batch if not p.error]
        _store_summaries(conn, [p for p in read if not p.job.for_texts], stored)
        texts = [p for p in read if p.job.for_texts]
        if texts:
            stored.files += _store_texts(conn, texts)
            # The text pass indexes what it stored as it goes, in writes of FTS_EVERY rows or
            # so (fewer, larger segments for FTS5 to merge); whoever ends the pass (the last
            # worker, the sweep, a search) indexes the rest.
            if _unindexed(conn) >= FTS_EVERY:
                index_texts(conn)
    return stored


def _store_summaries(conn: sqlite3.Connection, batch: list[Parsed], stored: Stored) -> None:
    for parsed in batch:
        if parsed.summary is not None:
            stored.warnings += [f"{parsed.job.path}: {note}" for note in vet(parsed.summary)]
            vet_texts(parsed.texts)
    new = _store_new(conn, _new_files(conn, batch))
    stored.count(new)
    written = set(map(id, new))
    indexed = int(get_meta(conn, "fts_upto") or 0)
    for parsed in batch:
        if id(parsed) in written or not _still_current(conn, parsed.job):
            continue
        problem = _store_guarded(conn, parsed, indexed)
        if problem:
            stored.warnings.append(f"{parsed.job.path}: {problem}")
            continue
        stored.count([parsed])


def _unindexed(conn: sqlite3.Connection) -> int:
    top = conn.execute("SELECT coalesce(max(rowid), 0) FROM texts").fetchone()[0]
    return top - int(get_meta(conn, "fts_upto") or 0)


def _new_files(conn: sqlite3.Connection, batch: list[Parsed]) -> list[Parsed]:
    """The files read from their start whose path and session the index has never seen,
    each session once in the batch: nearly every file of a cold index. They need none of
    the lookups and deletes a file seen before does, so they are written together."""
    whole = [p for p in batch if p.job.start == 0 and p.summary is not None]
    if not whole:
        return []
    keys = [p.summary.key for p in whole]
    seen_paths = _present(conn, "SELECT path FROM files WHERE path IN", [p.job.path for p in whole])
    seen_keys = _present(conn, "SELECT key FROM sessions WHERE key IN", keys)
    repeated = {k for k in keys if keys.count(k) > 1} if len(set(keys)) < len(keys) else ()
    return [p for p, key in zip(whole, keys, strict=True) if p.job.path not in seen_paths
            and key not in seen_keys and key not in repeated]


def _present(conn: sqlite3.Connection, query: str, values: list[str]) -> set[str]:
    return {row[0] for row in conn.execute(f"{query} {_marks(values)}", values)}


def _marks(values: list) -> str:
    """The `(?, ?, ...)` of an IN list of `values`."""
    return f"({', '.join('?' * len(values))})"


def _store_new(conn: sqlite3.Connection, new: list[Parsed]) -> list[Parsed]:
    """Write the new files' rows, sessions and usage at once; returns what was written:
    nothing when any row fails, so that each is then stored alone and a failure costs only
    its own file."""
    if not new:
        return []
    files, sessions, usage, texts = [], [], [], []
    for parsed in new:
        job, summary = parsed.job, parsed.summary
        files.append((job.path, job.harness, job.size, job.mtime_ns, job.inode, parsed.offset,
                      parsed.text_at(), dumps(parsed.state), summary.key))
        row, buckets = session_rows(summary)
        sessions.append(row)
        usage += buckets
        texts += text_rows(summary.key, parsed.texts)
    conn.execute("SAVEPOINT new_files")
    try:
        conn.executemany(INSERT_FILE, files)
        conn.executemany(INSERT_USAGE, usage)
        conn.executemany(INSERT_SESSION, sessions)
        conn.executemany(INSERT_TEXT, texts)
    except (sqlite3.Error, ValueError, TypeError, OverflowError):
        conn.execute("ROLLBACK TO new_files")
        conn.execute("RELEASE new_files")
        return []
    conn.execute("RELEASE new_files")
    return new


def _still_current(conn: sqlite3.Connection, job: Job) -> bool:
    """False when another process indexed this file past where our read began."""
    if job.start == 0:
        return True
    row = conn.execute("SELECT offset, inode FROM files WHERE path = ?", (job.path,)).fetchone()
    return row is not None and row["offset"] == job.start and row["inode"] == job.inode


def _store_guarded(conn: sqlite3.Connection, parsed: Parsed, indexed: int) -> str | None:
    """Store one file's session inside a savepoint: whatever its text holds, a failure costs
    that file alone (reported), never the chunk or the catalog."""
    conn.execute("SAVEPOINT one_file")
    try:
        _store_one(conn, parsed, indexed)
    except (sqlite3.Error, ValueError, TypeError, OverflowError) as exc:
        conn.execute("ROLLBACK TO one_file")
        conn.execute("RELEASE one_file")
        return f"not indexed ({type(exc).__name__}: {str(exc)[:120]})"
    conn.execute("RELEASE one_file")
    return None


def _store_one(conn: sqlite3.Connection, parsed: Parsed, indexed: int) -> None:
    job, summary = parsed.job, parsed.summary
    key = summary.key if summary is not None else None
    row = conn.execute("SELECT session_key FROM files WHERE path = ?", (job.path,)).fetchone()
    current = row[0] if row else None
    if current and current != key:
        delete_session(conn, current, indexed)
    known = current is not None or (key is not None and _known(conn, key))
    if key and job.start == 0 and known:
        delete_session(conn, key, indexed, texts_only=True)  # a full read replaces every text
    conn.execute(
        INSERT_FILE,
        (job.path, job.harness, job.size, job.mtime_ns, job.inode, parsed.offset,
         parsed.text_at(), dumps(parsed.state), key),
    )
    if summary is not None:
        put_session(conn, summary, parsed.texts, fresh=not known)


def _store_texts(conn: sqlite3.Connection, batch: list[Parsed]) -> int:
    """The search text a second pass read, for files whose summaries were stored without it;
    kept only for a file whose row is still the one the pass read. Returns how many kept."""
    paths = [p.job.path for p in batch]
    rows = {r[0]: r for r in conn.execute(
        f"SELECT path, offset, inode, text_at, session_key FROM files WHERE path IN "
        f"{_marks(paths)}", paths)}
    kept = []
    for parsed in batch:
        job, row = parsed.job, rows.get(parsed.job.path)
        if row is not None and row[4] and (row[1], row[2], row[3]) == (
                job.size, job.inode, job.text_at):
            kept.append((parsed, row[4]))
    conn.execute("SAVEPOINT texts")
    try:
        conn.executemany(INSERT_TEXT, [row for parsed, key in kept
                                       for row in text_rows(key, _read_texts(parsed))])
    except (sqlite3.Error, ValueError, TypeError, OverflowError):
        conn.execute("ROLLBACK TO texts")
        for parsed, key in kept:  # one at a time: a file whose text fails loses only that
            _insert_texts_alone(conn, key, _read_texts(parsed))
    conn.execute("RELEASE texts")
    conn.executemany("UPDATE files SET text_at = ? WHERE path = ?",
                     [(parsed.job.size, parsed.job.path) for parsed, _ in kept])
    return len(kept)


def _read_texts(parsed: Parsed) -> list[SearchText]:
    job = parsed.job
    return [t for t in vet_texts(parsed.texts) if job.text_at <= t.cursor < job.size]


def _insert_texts_alone(conn: sqlite3.Connection, key: str, texts: list[SearchText]) -> None:
    conn.execute("SAVEPOINT one_file")
    try:
        conn.executemany(INSERT_TEXT, text_rows(key, texts))
    except (sqlite3.Error, ValueError, TypeError, OverflowError):
        conn.execute("ROLLBACK TO one_file")  # that file's text is not searchable; nothing else
    conn.execute("RELEASE one_file")


def _known(conn: sqlite3.Connection, key: str) -> bool:
    return conn.execute("SELECT 1 FROM sessions WHERE key = ?", (key,)).fetchone() is not None


INSERT_FILE = "INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
INSERT_USAGE = "INSERT OR REPLACE INTO usage VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
INSERT_SESSION = ("INSERT OR REPLACE INTO sessions VALUES "
                  "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
INSERT_TEXT = "INSERT INTO texts (session_key, role, ts, cursor, text) VALUES (?, ?, ?, ?, ?)"


def put_session(conn: sqlite3.Connection, s: SessionSummary, texts: list[SearchText],
                fresh: bool = False) -> None:
    """Write one session's row, usage buckets and new search text (`fresh`: not yet stored)."""
    if not fresh:
        conn.execute("DELETE FROM usage WHERE session_key = ?", (s.key,))
    row, buckets = session_rows(s)
    conn.executemany(INSERT_USAGE, buckets)
    conn.execute(INSERT_SESSION, row)
    if texts:
        conn.executemany(INSERT_TEXT, text_rows(s.key, texts))


def session_rows(s: SessionSummary) -> tuple[tuple, list[tuple]]:
    """A session's row and its usage buckets' rows; the row's totals are the buckets' sums."""
    totals = [0, 0, 0, 0]
    reasoning = None  # NULL: the harness records no reasoning count
    buckets = []
    key = s.key
    for bucket_key, counts in s.usage.items():
        hour, _, model = bucket_key.partition("|")
        part = counts[5] if len(counts) > 5 else None
        buckets.append((key, int(hour), model, *counts[:4], counts[4], part))
        totals = [t + c for t, c in zip(totals, counts[:4], strict=True)]
        if part is not None:
            reasoning = (reasoning or 0) + part
    row = (key, s.harness, s.id, s.source, s.dir, s.title, s.title_source, s.model, s.provider,
           s.git_branch, s.created, s.last, s.turns, *totals, s.ctx_tokens, s.ctx_window,
           int(s.turn_open), s.parent_id, int(s.is_subagent), s.first_uuid, s.skipped_lines,
           reasoning)
    return row, buckets


def text_rows(key: str, texts: list[SearchText]) -> list[tuple]:
    return [(key, t.role, t.ts, t.cursor, t.text[:TEXT_CAP]) for t in texts]


def delete_session(conn: sqlite3.Connection, key: str, indexed: int | None = None,
                   texts_only: bool = False) -> None:
    """Remove a session's search text (and, unless `texts_only`, its row and usage)."""
    # Built on the first delete, not with the table: a cold index never deletes, and keeping
    # this index up to date cost its stores a tenth of their time.
    conn.execute("CREATE INDEX IF NOT EXISTS texts_session ON texts(session_key)")
    if indexed is None:
        indexed = int(get_meta(conn, "fts_upto") or 0)
    if indexed:
        # External-content FTS5 forgets a row only when told its old text.
        conn.execute("INSERT INTO texts_fts (texts_fts, rowid, text) SELECT 'delete', rowid, text "
                     "FROM texts WHERE session_key = ? AND rowid <= ?", (key, indexed))
    conn.execute("DELETE FROM texts WHERE session_key = ?", (key,))
    if not texts_only:
        conn.execute("DELETE FROM usage WHERE session_key = ?", (key,))
        conn.execute("DELETE FROM sessions WHERE key = ?", (key,))


def forget(conn: sqlite3.Connection, paths: list[str]) -> None:
    """Files that are gone: their sessions leave the index."""
    if not paths:
        return
    with write(conn):
        for path in paths:
            row = conn.execute("SELECT session_key FROM files WHERE path = ?",
                               (path,)).fetchone()
            if row and row[0]:
                delete_session(conn, row[0])
            conn.execute("DELETE FROM files WHERE path = ?", (path,))
