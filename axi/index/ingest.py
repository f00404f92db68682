"""Read changed transcripts, chunk by chunk, and hand what they say to `writes`.

Work is cut into chunks of a few megabytes. Each chunk is parsed and then stored in one short
transaction by whoever parsed it: this process for a small refresh, or worker processes for a
large one, so no single process has to write for everybody. How a parsed chunk is written
(and why a write is dropped when another process already indexed the same bytes) is
`axi.index.writes`.
"""

from __future__ import annotations

import os
import time

from axi.harnesses import get, jsonl
from axi.harnesses.base import iter_blocks, iter_lines
from axi.index.jobs import Job, Parsed
from axi.index.writes import Stored, store
from axi.sqlite import sqlite3

TYPE_CHECKING = False  # not typing's: a warm refresh that reads a few lines imports no typing
if TYPE_CHECKING:
    from axi.index.pool import Pool

PARALLEL_BYTES = 48 * 1024 * 1024  # less new data than this is read in this process
BULK_BYTES = 8 * 1024 * 1024  # reading more than this pays for importing msgspec
CHUNK_BYTES = 16 * 1024 * 1024
CHUNK_FILES = 64
BLANK = (b"", b" ", b"\t", b"\r")  # a line starting so may be blank; others are not


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


def parallel_possible() -> bool:
    return _cpus() > 1


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1
