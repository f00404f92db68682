"""`--close-on-done`: when a watched session has concluded, its holder ends the harness.

A session concludes when it is tagged with an outcome (`axi sessions tag --outcome`, by
itself or by whoever drives it; success only once its `--accept` check passed). The tag is
usually a tool call in the middle of the harness's last turn, so the holder waits until the
harness has been quiet for QUIET seconds after it (the final report is written by then), and
never while the session waits on an open `axi ask`. A harness that never goes quiet is ended
AT_MOST seconds after the tag. The launch ends with reason `closed`; its outcome stands.
"""

from __future__ import annotations

from axi.control import records
from axi.sqlite import sqlite3

QUIET = 3.0
AT_MOST = 120.0
EVERY = 1.0  # seconds between looks


def due(conn: sqlite3.Connection, launch_id: str, last_output: float, now: float) -> bool:
    row = records.get(conn, launch_id)
    if row is None or row["outcome"] is None or row["ended"] is not None:
        return False
    if records.open_asks(conn, [launch_id]):
        return False
    tagged = row["outcome_at"] or 0.0
    return now - max(tagged, last_output) >= QUIET or now - tagged >= AT_MOST
