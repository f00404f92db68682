"""Adoption: finding the session id a harness minted itself (Codex, opencode).

A launch whose template has no `{newid}` does not know its session id up front. The holder
looks in the catalog for a session of that harness in the launch's folder, created after the
launch and not yet claimed by another launch, and records it.
"""

from __future__ import annotations

import sqlite3

SLACK = 2.0  # clocks and timestamp rounding: a session this much older still counts


def find_session(conn: sqlite3.Connection, launch: sqlite3.Row) -> str | None:
    from axi.index.catalog import open_index
    from axi.paths import dir_candidates

    index, _ = open_index(budget=1.0)
    dirs = dir_candidates(launch["dir"])
    marks = ",".join("?" for _ in dirs)
    found = index.execute(
        f"SELECT id FROM sessions WHERE harness = ? AND is_subagent = 0 AND dir IN ({marks}) "
        "AND coalesce(created, last) >= ? ORDER BY created DESC",
        [launch["harness"], *dirs, launch["created"] - SLACK]).fetchall()
    index.close()
    for (session_id,) in found:
        claimed = conn.execute("SELECT 1 FROM launches WHERE session = ? AND id != ? LIMIT 1",
                               (session_id, launch["id"])).fetchone()
        if not claimed:
            return session_id
    return None


def session_of(prefix: str) -> str | None:
    """The harness's own session id for a launch `axi sessions new` printed (Codex, opencode
    and pi mint their own), once adopted; None when no such launch or not adopted yet."""
    from axi.control import records
    from axi.errors import AxiError
    from axi.mailbox import db

    if not db.exists():
        return None
    try:
        row = records.find(records.connect(), prefix)
    except AxiError:  # too short or ambiguous: the catalog's own error stands
        return None
    return row["session"] if row is not None and row["session"] else None
