"""Blocking until launched sessions conclude, and noticing holders that died without a word."""

from __future__ import annotations

import time

from axi.control import live, proc, records
from axi.sqlite import sqlite3

POLL = 0.2


def concluded(row: sqlite3.Row) -> bool:
    """Tagged with an outcome (a watched session under review counts), crashed, or ended with
    its holder gone. The holder writes the outcome only after the end (and after an --accept
    check, which may take minutes), so an end alone is not yet a conclusion."""
    if row["outcome"] is not None:
        return True
    where = live.state(row)[0]
    if where == live.CRASHED:
        return True
    return where == live.ENDED and not proc.same(row["holder_pid"], row["holder_token"])


def settle(conn: sqlite3.Connection, row: sqlite3.Row) -> sqlite3.Row:
    """Record a crash the holder could not record itself (it was killed, or the machine slept)."""
    if row["ended"] is None and live.state(row)[0] == live.CRASHED:
        from axi.control import runs

        if row["child_pid"] and proc.same(row["child_pid"], row["child_token"]):
            proc.stop_group(row["child_pid"], grace=1.0)  # nothing is left hanging
        with records.db.write(conn):
            conn.execute("UPDATE launches SET ended = ?, end_reason = 'holder_lost', "
                         "outcome = coalesce(outcome, 'crashed') WHERE id = ? AND ended IS NULL",
                         (time.time(), row["id"]))
        live.clear(row["id"])
        runs.conclude_if_done(conn, row["run"])
        row = records.get(conn, row["id"])
    return row


def wait_until(conn: sqlite3.Connection, ids: list[str], every: bool,
               seconds: float | None) -> tuple[list[sqlite3.Row], bool]:
    """The rows once all (or any) concluded; the bool is False when `seconds` ran out."""
    deadline = None if seconds is None else time.monotonic() + seconds
    while True:
        rows = [settle(conn, records.get(conn, i)) for i in ids]
        done = [concluded(r) for r in rows]
        if (all(done) if every else any(done)):
            return rows, True
        if deadline is not None and time.monotonic() >= deadline:
            return rows, False
        time.sleep(POLL)


def await_end(conn: sqlite3.Connection, launch_id: str, seconds: float = 8.0) -> sqlite3.Row:
    """The launch's row once its end is recorded and, when it was stopped, its holder has
    exited (it records the end first, then lets its socket go): nothing of a stopped session
    is left running when this returns, unless `seconds` ran out first. A session that ended
    on its own just before it was stopped is not waited for past its end: its holder may go on
    to run an `--accept` check for minutes."""
    deadline = time.monotonic() + seconds
    while True:
        row = settle(conn, records.get(conn, launch_id))
        if time.monotonic() >= deadline:
            return row
        if row["ended"] is not None and (row["end_reason"] == "exit" or not proc.same(
                row["holder_pid"], row["holder_token"])):
            return row
        time.sleep(0.02 if row["ended"] is not None else 0.05)
