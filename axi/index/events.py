"""Session starts and ends reported by the agent hosts' hooks.

`axi hook session-start|session-end` appends one JSON line per event to `sessions.jsonl` in
the state dir (O_APPEND, one write under PIPE_BUF, so concurrent hooks never interleave).
The file is the record; the index copies it into its `lifecycle` table from the last byte
offset it read, so `axi sessions` shows a session that ended as `ended`, and `view` says why.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3

from axi.harnesses.base import iter_lines
from axi.paths import state_dir

FILE = "sessions.jsonl"
HARNESS = {"claude": "claude", "codex": "codex", "opencode": "opencode", "pi": "pi"}
MAX_LINE = 4000
SLACK = 30.0  # an end this close before the transcript's last write still counts


def path() -> str:
    return os.path.join(state_dir(), FILE)


def record(event: str, host: str | None, session_id: str, cwd: str | None, ts: float,
           why: str | None = None) -> bool:
    """Append one event; False when it could not be written (never raises)."""
    harness = HARNESS.get(host or "")
    if not harness or not session_id:
        return False
    entry = {"ts": round(ts, 3), "event": event, "harness": harness, "id": session_id[:200],
             "cwd": (cwd or "")[:1000], "why": (why or "")[:200]}
    line = (json.dumps(entry, ensure_ascii=False) + "\n").encode()
    if len(line) > MAX_LINE:
        return False
    try:
        fd = os.open(path(), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    except OSError:
        return False
    try:
        os.write(fd, line)
        return True
    except OSError:
        return False
    finally:
        os.close(fd)


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
    with contextlib.suppress(ValueError, UnicodeDecodeError):
        row = json.loads(line)
        if isinstance(row, dict) and row.get("event") in ("start", "end") and row.get("id"):
            return row
    return None


def _apply(conn: sqlite3.Connection, row: dict) -> None:
    key = (row.get("harness"), row["id"])
    conn.execute("INSERT OR IGNORE INTO lifecycle (harness, id) VALUES (?, ?)", key)
    ts = row.get("ts") if isinstance(row.get("ts"), (int, float)) else None
    if row["event"] == "start":
        conn.execute("UPDATE lifecycle SET started = ?, source = ?, ended = NULL, reason = NULL "
                     "WHERE harness = ? AND id = ?",
                     (ts, row.get("why") or None, *key))
    else:
        conn.execute("UPDATE lifecycle SET ended = ?, reason = ? WHERE harness = ? AND id = ?",
                     (ts, row.get("why") or None, *key))


# SQL true for a session row (`sessions` table) whose host reported its end after its last write.
ENDED = ("EXISTS (SELECT 1 FROM lifecycle l WHERE l.harness = sessions.harness "
         "AND l.id = sessions.id AND l.ended IS NOT NULL AND l.ended >= coalesce(l.started, 0) "
         f"AND l.ended >= coalesce(sessions.last, 0) - {SLACK})")


def ending(conn: sqlite3.Connection, row: sqlite3.Row) -> tuple[float, str | None] | None:
    """(when, why) the host reported this session ended, if that is its latest news."""
    try:
        found = conn.execute("SELECT started, ended, reason FROM lifecycle "
                             "WHERE harness = ? AND id = ?", (row["harness"], row["id"])
                             ).fetchone()
    except sqlite3.Error:
        return None
    if not found or found["ended"] is None:
        return None
    if found["ended"] < (found["started"] or 0) or found["ended"] < (row["last"] or 0) - SLACK:
        return None
    return found["ended"], found["reason"]
