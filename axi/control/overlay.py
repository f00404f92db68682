"""The control plane's word on sessions the catalog lists: needs you, review, done, crashed.

The catalog knows sessions from their transcripts; for the ones axi launched, the launch
record and the holder's heartbeat know better. Listing commands ask here, by session id, and
pay nothing when there is no mailbox or no launch.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from contextlib import closing


def _launches(where: str = "", args: Iterable = ()) -> tuple[dict, set] | None:
    from axi.mailbox import db

    if not db.exists():
        return None
    try:
        with closing(db.connect_readonly(db.mailbox_path())) as conn:
            rows = conn.execute("SELECT * FROM launches WHERE session IS NOT NULL "
                                f"{where} ORDER BY created", list(args)).fetchall()
            if not rows:
                return None
            from axi.control.live import asking_ids

            latest = {r["session"]: r for r in rows}  # a continued session: its newest launch
            return latest, asking_ids(conn, [r["id"] for r in latest.values()])
    except sqlite3.Error:  # no control tables yet, or a mailbox being migrated
        return None


def statuses(rows: list) -> dict[str, tuple[str, str | None]]:
    """(status, name) for the catalog `rows` that axi launched, by session id."""
    ids = [r["id"] for r in rows]
    if not ids:
        return {}
    found = _launches(f"AND session IN ({','.join('?' for _ in ids)})", ids)
    if not found:
        return {}
    from axi.control import live

    latest, asking = found
    last = {r["id"]: r["last"] for r in rows}
    return {sid: (live.status(row, row["id"] in asking, last.get(sid)), row["name"])
            for sid, row in latest.items()}


def sessions_with(word: str) -> tuple[list[str], list[str]]:
    """(launched session ids whose status is `word`, every launched session id)."""
    found = _launches()
    if not found:
        return [], []
    from axi.control import live

    latest, asking = found
    hits = [sid for sid, row in latest.items() if live.status(row, row["id"] in asking) == word]
    return hits, list(latest)


def launch_details(session_id: str) -> dict | None:
    """How axi launched this session, for `sessions view` (None: axi did not)."""
    found = _launches("AND session = ?", [session_id])
    if not found or session_id not in found[0]:
        return None
    row = found[0][session_id]
    data = {"launch_id": row["id"], "run": row["run"], "mode": row["mode"],
            "parent": row["parent"], "depth": row["depth"], "outcome": row["outcome"],
            "exit": row["exit_code"], "end_reason": row["end_reason"]}
    return {k: v for k, v in data.items() if v is not None}
