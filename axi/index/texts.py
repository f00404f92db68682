"""The second pass of a cold index: the search text of transcripts whose summary was stored
without it (`files.text_at` short of `offset`).

A cold index stores every session's row first, so lists and hooks never wait for search text;
then the worker processes that read the summaries go on to read the text (`hand_on`), on every
core, after the command has answered (a background sweep does it when the index was read
without them), and the full-text index catches up. A search that finds text still missing
reads it too, within its budget, and says what it could not reach. A warm refresh reads text
with the summary, so nothing lags for long.
"""

from __future__ import annotations

import time

from axi.index.ingest import Job, ingest
from axi.index.ingest import hand_on as hand_on_jobs
from axi.sqlite import sqlite3

LAGGING = "coalesce(text_at, 0) < offset AND session_key IS NOT NULL"


def lagging(conn: sqlite3.Connection) -> int:
    """How many transcripts' search text is not stored yet."""
    return conn.execute(f"SELECT count(*) FROM files WHERE {LAGGING}").fetchone()[0]


def catch_up(conn: sqlite3.Connection, budget: float | None = None, workers=None) -> int:
    """Read the missing search text (within `budget` seconds); returns how many transcripts
    still lack it. A file that changed meanwhile is left to the next pass. `workers`: an
    `axi.index.pool.Pool` started early for it (its starter closes it)."""
    jobs = _lagging_jobs(conn)
    if not jobs:
        return 0
    ingest(conn, jobs, None if budget is None else time.time() + budget, workers=workers)
    return lagging(conn)


def hand_on(conn: sqlite3.Connection, workers) -> bool:
    """Hand the missing search text to `workers` that just read the summaries (started with
    two phases): they read it and bring the full-text index up to date on their own, after
    this process has answered. False when there was none to read."""
    jobs = _lagging_jobs(conn)
    if jobs:
        hand_on_jobs(workers, jobs)
    return bool(jobs)


def _lagging_jobs(conn: sqlite3.Connection) -> list[Job]:
    rows = conn.execute(f"SELECT path, harness, mtime_ns, inode, offset, text_at FROM files "
                        f"WHERE {LAGGING} ORDER BY mtime_ns DESC")
    return [Job(r["harness"], r["path"], r["offset"], r["mtime_ns"], r["inode"], 0, None,
                text_at=r["text_at"] or 0, for_texts=True) for r in rows]
