"""Read changed transcripts and write what they say into the index.

Work is cut into chunks of a few megabytes. Each chunk is parsed and then stored in one short
transaction by whoever parsed it: this process for a small refresh, or worker processes for a
large one, so no single process has to write for everybody. A write is dropped when another
process already indexed the same bytes, so concurrent scans never double count.
"""

from __future__ import annotations

import os
import time

from axi.harnesses import get, jsonl
from axi.harnesses.base import SearchText, SessionSummary, iter_blocks, iter_lines
from axi.harnesses.jsonl import dumps
from axi.index.store import get_meta, index_texts, write
from axi.index.vet import vet, vet_texts
from axi.sqlite import sqlite3

TYPE_CHECKING = False  # not typing's: a warm refresh that reads a few lines imports no typing
if TYPE_CHECKING:
    from axi.index.pool import Pool

PARALLEL_BYTES = 48 * 1024 * 1024  # less new data than this is read in this process
BULK_BYTES = 8 * 1024 * 1024  # reading more than this pays for importing orjson
CHUNK_BYTES = 16 * 1024 * 1024
CHUNK_FILES = 64
TEXT_CAP = 16_000
FTS_EVERY = 20_000  # text rows the text pass stores before adding them to the full-text index
BLANK = (b"", b" ", b"\t", b"\r")  # a line starting so may be blank; others are not


class Job:
    """A file to read from byte `start` (with the parser `state` saved at that offset).

    `text_at` is where the file's stored search text ends; a job `for_texts` reads the file
    only for the search text from there to `size` (the offset its summary was read to)."""

    __slots__ = ("harness", "path", "size", "mtime_ns", "inode", "start", "state", "text_at",
                 "for_texts")

    def __init__(self, harness: str, path: str, size: int, mtime_ns: int, inode: int,
                 start: int, state: dict | None, text_at: int = 0, for_texts: bool = False):
        self.harness, self.path, self.size = harness, path, size
        self.mtime_ns, self.inode, self.start, self.state = mtime_ns, inode, start, state
        self.text_at, self.for_texts = text_at, for_texts

    def keeps_texts(self, bulk: bool) -> bool:
        """Whether reading this job gathers search text: not in a cold index (`bulk`: a second
        pass reads it), and only where the file's stored text reaches the job's start."""
        return self.for_texts or not bulk and (self.start == 0 or self.text_at == self.start)


class Parsed:
    def __init__(self, job: Job, offset: int, state: dict, summary: SessionSummary | None,
                 texts: list[SearchText], error: str | None = None, with_texts: bool = True):
        self.job, self.offset, self.state = job, offset, state
        self.summary, self.texts, self.error = summary, texts, error
        self.with_texts = with_texts

    def text_at(self) -> int:
        """Where the file's stored search text ends once this is stored."""
        if self.with_texts:
            return self.offset
        return self.job.text_at if self.job.start else 0


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


def parse(job: Job, keep_texts: bool = True, blocks: bool = False) -> Parsed:
    """Read a file from the job's offset with the adapter's parser: line by line, or (with
    `blocks`, after `jsonl.bulk()`) in blocks of lines decoded at once into its schema."""
    parser = get(job.harness).parser(job.path, job.state, keep_texts)
    parser.summarising = not job.for_texts
    decode_block = jsonl.block_decoder(parser.schema) if blocks else None
    offset = job.start
    try:
        if decode_block is None:
            feed = _line_feeder(parser)
            for line_offset, line, end in iter_lines(job.path, job.start):
                feed(line, line_offset)
                offset = end
        else:
            from axi.harnesses import sift  # imports msgspec: only for a cold index

            feed = sift.block_feeder(parser, decode_block, _line_feeder(parser, skip=False))
            for block_offset, block, end in iter_blocks(job.path, job.start, job.size):
                feed(block, block_offset, keep_texts)
                offset = end
        return Parsed(job, offset, parser.dump(), parser.summary(), parser.take_texts(),
                      with_texts=keep_texts)
    except OSError as exc:
        return Parsed(job, job.start, job.state or {}, None, [], error=str(exc))
    except Exception as exc:
        return Parsed(job, job.start, job.state or {}, None, [],
                      error=f"unreadable ({type(exc).__name__}); skipped")


def _line_feeder(parser, skip: bool = True):
    """Feeds one line at a time; `skip`: pass over what the adapter's `skip` tells from a
    line's first bytes (a cold index decodes every line it reads a line at a time)."""
    feed = parser.feed  # looked up once: this runs for every line
    skip = parser.skip if skip else _never

    def one(line: bytes | None, offset: int) -> None:
        if line is None:
            parser.s["skipped"] = parser.s.get("skipped", 0) + 1
        elif (line[:1] not in BLANK or line.strip()) and not skip(line):
            try:
                feed(line, offset)
            except Exception:  # a record of a shape nobody expected costs only itself
                parser.s["skipped"] = parser.s.get("skipped", 0) + 1

    return one


def _never(line: bytes) -> bool:
    return False


def chunks(jobs: list[Job]) -> list[list[Job]]:
    """Consecutive jobs grouped into chunks of about CHUNK_BYTES new bytes."""
    out: list[list[Job]] = []
    current: list[Job] = []
    size = 0
    for job in jobs:
        if current and (size + job.size - job.start > CHUNK_BYTES or len(current) >= CHUNK_FILES):
            out.append(current)
            current, size = [], 0
        current.append(job)
        size += job.size - job.start
    if current:
        out.append(current)
    return out


def ingest(conn: sqlite3.Connection, jobs: list[Job], deadline: float | None,
           meanwhile=None, workers: Pool | None = None) -> tuple[Stored, int]:
    """Parse and store `jobs`, freshest first; returns what was stored and how many jobs were
    left for later because `deadline` passed. `meanwhile` runs here while workers parse.
    `workers`: started by the caller, who closes them (used only for a large read)."""
    work = chunks(jobs)
    new_bytes = sum(j.size - j.start for j in jobs)
    bulk = new_bytes > BULK_BYTES
    own = None
    try:
        if new_bytes <= PARALLEL_BYTES or not parallel_possible():
            workers = None
        elif workers is None:
            workers = own = start_workers(bulk)
        if bulk:  # here for the parent; workers are told to do the same
            jsonl.bulk()
        with fewer_collections(bulk):
            return _ingest(conn, work, len(jobs), deadline, meanwhile, bulk, workers)
    finally:
        if own is not None:
            own.close()


def start_workers(bulk: bool = True, phases: int = 1) -> Pool | None:
    """A worker process per core (at most 4), for a read of more than PARALLEL_BYTES; with
    `phases` 2, they can be handed on a second read to finish alone (`hand_on`). None when
    the system would not start them: this process then reads everything itself."""
    from axi.index.pool import Pool
    from axi.index.store import index_path

    try:
        return Pool.start(min(_cpus(), 4), "axi.index.worker", os.path.abspath(index_path()),
                          "bulk" if bulk else "lines", phases=phases)
    except OSError:  # no processes or files left to start them with
        return None


def hand_on(workers: Pool, jobs: list[Job]) -> None:
    """Give `workers` (started with two phases, done with the first) `jobs` to read alone,
    biggest chunks first."""
    work = chunks(jobs)
    work_order(work)
    workers.hand_on(work)


def work_order(work: list[list[Job]]) -> None:
    """Nothing to show early: biggest chunks first, so all workers finish together."""
    work.sort(key=lambda chunk: -sum(j.size - j.start for j in chunk))


class EarlyWorkers:
    """Starts the workers of a read as soon as the jobs found so far make it large enough
    for them, while the rest are still being found."""

    def __init__(self) -> None:
        self.workers: Pool | None = None
        self.weighed = self.bytes = 0
        self.tried = False

    def consider(self, jobs: list[Job]) -> None:
        if self.tried:  # started, or the system would not start them: either way, once
            return
        self.bytes += sum(j.size - j.start for j in jobs[self.weighed:])
        self.weighed = len(jobs)
        if self.bytes > PARALLEL_BYTES and parallel_possible():
            self.tried = True
            self.workers = start_workers(phases=2)

    def close(self) -> None:
        if self.workers is not None:
            self.workers.close()


def _ingest(conn: sqlite3.Connection, work: list[list[Job]], jobs: int, deadline: float | None,
            meanwhile, bulk: bool, workers: Pool | None) -> tuple[Stored, int]:
    if workers is not None and deadline is None:
        work_order(work)
    results = workers.run(work) if workers is not None else (
        store_chunk(conn, c, bulk=bulk) for c in work)
    if meanwhile:
        meanwhile()
    total, done = Stored(), 0
    for answer in results:
        if isinstance(answer, tuple):
            stored, count = answer
            total.add(stored)
            done += count
        else:  # a worker ended early: what it had not stored is read on the next refresh
            total.warnings.append(f"an index worker ended early (exit {answer.code}); its "
                                  "files are read again on the next refresh")
        if deadline is not None and time.time() > deadline:
            break
    return total, jobs - done


class fewer_collections:
    """Parsing allocates millions of short-lived dicts and no reference cycles: run the cyclic
    garbage collector rarely (it took 5-8% of a cold index at its default thresholds), for as
    long as the read lasts. A long-lived process (the picker, a holder) gets its collector back
    after: left rare, connections caught in cycles would keep their files open."""

    def __init__(self, wanted: bool = True):
        self.wanted = wanted

    def __enter__(self) -> None:
        if self.wanted:
            import gc

            self.before = gc.get_threshold()
            gc.freeze()
            gc.set_threshold(100_000, 50, 100)

    def __exit__(self, *exc) -> None:
        if self.wanted:
            import gc

            gc.unfreeze()
            gc.set_threshold(*self.before)


def parse_chunk(chunk: list[Job], bulk: bool = False) -> list[Parsed]:
    """Parse a chunk's jobs (`bulk`: a cold index's way, see `parse`)."""
    return [parse(job, keep_texts=job.keeps_texts(bulk), blocks=bulk) for job in chunk]


def store_chunk(conn: sqlite3.Connection, chunk: list[Job], lock=None, bulk: bool = False
                ) -> tuple[Stored, int]:
    """Parse a chunk and store it in one write (`lock`: shared by the workers, whose turns at
    it wake at once when the other commits, unlike SQLite's busy polling)."""
    parsed = parse_chunk(chunk, bulk)
    if lock is None:
        return store(conn, parsed), len(chunk)
    with lock:
        return store(conn, parsed), len(chunk)


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


def parallel_possible() -> bool:
    return _cpus() > 1


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


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
