"""Session starts, ends and states reported by the agent hosts' hooks.

`axi hook session-start|session-end|state` appends one JSON line per event to `sessions.jsonl`
(`journal.py`). The file is the record; the index copies it into its `lifecycle` table from the
last byte offset it read: when the session started and ended (and why), and its latest state
word with its time. `axi/index/status.py` decides what the catalog shows from them.
"""

from __future__ import annotations

import os

from axi.harnesses.base import iter_lines
from axi.index.journal import path
from axi.quiet import suppress
from axi.sqlite import sqlite3

KINDS = ("start", "end", "state")


def sync(conn: sqlite3.Connection) -> None:
    """Copy new events into the index (caller holds the scan lock)."""
    from axi.index.store import get_meta, write

    try:
        st = os.stat(path())
    except OSError:
        return
    inode, _, offset = (get_meta(conn, "events") or "").partition(":")
    start = int(offset) if inode == str(st.st_ino) and offset.isdigit() else 0
    if start > st.st_size:
        start = 0
    if start == st.st_size:
        return
    rows, end = [], start
    for _offset, line, after in iter_lines(path(), start):  # a torn last line waits its turn
        rows.append(_parse(line) if line is not None else None)
        end = after
    if end == start:
        return
    with write(conn):
        for row in filter(None, rows):
            _apply(conn, row)
        conn.execute("INSERT OR REPLACE INTO meta VALUES ('events', ?)",
                     (f"{st.st_ino}:{end}",))


def _parse(line: bytes) -> dict | None:
    from axi.jsontext import loads

    with suppress(ValueError, UnicodeDecodeError):
        row = loads(line)
        if isinstance(row, dict) and row.get("event") in KINDS and row.get("id"):
            return row
    return None


def _apply(conn: sqlite3.Connection, row: dict) -> None:
    key = (row.get("harness"), row["id"])
    conn.execute("INSERT OR IGNORE INTO lifecycle (harness, id) VALUES (?, ?)", key)
    ts = row.get("ts") if isinstance(row.get("ts"), (int, float)) else None
    why = row.get("why") or None
    if row["event"] == "start":
        conn.execute("UPDATE lifecycle SET started = ?, source = ?, ended = NULL, reason = NULL "
                     "WHERE harness = ? AND id = ?", (ts, why, *key))
        if why != "startup":
            # A resumed (cleared, compacted) session is a new run of an old id: what the last
            # run reported is void. A startup has no last run; OpenCode's plugin reports its
            # first model request as one, after that turn's `busy`, which must stay.
            conn.execute("UPDATE lifecycle SET state = NULL, state_at = NULL "
                         "WHERE harness = ? AND id = ?", key)
    elif row["event"] == "end":
        conn.execute("UPDATE lifecycle SET ended = ?, reason = ? WHERE harness = ? AND id = ?",
                     (ts, why, *key))
    elif ts is not None:  # a state; concurrent hooks may append out of order
        conn.execute("UPDATE lifecycle SET state = ?, state_at = ? WHERE harness = ? AND id = ? "
                     "AND (state_at IS NULL OR state_at <= ?)", (why, ts, *key, ts))


def lifecycles(conn: sqlite3.Connection, rows: list) -> dict[tuple[str, str], sqlite3.Row]:
    """What the hooks reported for each of the session `rows`, by (harness, id)."""
    ids = list({r["id"] for r in rows})
    found: dict[tuple[str, str], sqlite3.Row] = {}
    for at in range(0, len(ids), 500):
        chunk = ids[at:at + 500]
        for life in conn.execute("SELECT * FROM lifecycle WHERE id IN "
                                 f"({','.join('?' * len(chunk))})", chunk):
            found[(life["harness"], life["id"])] = life
    return found
