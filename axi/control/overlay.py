"""The control plane's word on sessions the catalog lists: needs you, needs auth, review, done,
crashed.

The catalog knows sessions from their transcripts; for the ones axi launched, the launch
record and the holder's heartbeat know better. Listing commands ask here, by session id, and
pay nothing when there is no mailbox or no launch.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Iterable

from axi.quiet import closing
from axi.sqlite import sqlite3

# What the control plane says of one session axi launched: its status, name, the launch id
# `axi sessions new` printed (every verb takes it), its oldest open `axi ask` question when it
# is blocked on one, and whether it is held live (`attach` and `type` reach it). A plain
# namedtuple: `typing` costs the dashboard 2 ms to import.
Control = namedtuple("Control", "status name launch question held")


def _launches(where: str = "", args: Iterable = ()) -> tuple[dict, dict] | None:
    """The newest launch of each session matching `where`, and their open questions."""
    from axi.mailbox import db

    if not db.exists():
        return None
    try:
        with closing(db.connect_readonly(db.mailbox_path())) as conn:
            rows = conn.execute("SELECT * FROM launches WHERE session IS NOT NULL "
                                f"{where} ORDER BY created", list(args)).fetchall()
            if not rows:
                return None
            latest = {r["session"]: r for r in rows}  # a continued session: its newest launch
            return latest, _questions(conn, [r["id"] for r in latest.values()])
    except sqlite3.Error:  # no control tables yet, or a mailbox being migrated
        return None


def _questions(conn: sqlite3.Connection, launch_ids: list[str]) -> dict[str, str]:
    """The oldest open question of each launch that has one (`live.asking_ids`, with text)."""
    from axi.control.live import asking_ids

    asking = asking_ids(conn, launch_ids)
    if not asking:
        return {}
    marks = ",".join("?" for _ in asking)
    found: dict[str, str] = {}
    for launch, question in conn.execute(
            f"SELECT launch, question FROM asks WHERE answered IS NULL AND launch IN ({marks}) "
            "ORDER BY id", list(asking)):
        found.setdefault(launch, question)
    return found


def statuses(rows: list) -> dict[str, Control]:
    """The control plane's word on the catalog `rows` that axi launched, by session id."""
    ids = [r["id"] for r in rows]
    if not ids:
        return {}
    found = _launches(f"AND session IN ({','.join('?' for _ in ids)})", ids)
    if not found:
        return {}
    from axi.control import live

    latest, questions = found
    last = {r["id"]: r["last"] for r in rows}
    out = {}
    for sid, row in latest.items():
        question = questions.get(row["id"])
        where = live.state(row)[0]
        out[sid] = Control(live.status(row, question is not None, last.get(sid)), row["name"],
                           row["id"], question, row["mode"] == "watched" and where == live.LIVE)
    return out


def sessions_with(word: str) -> tuple[list[str], list[str]]:
    """(launched session ids whose status is `word`, the launched session ids the catalog's
    own status must not decide). For `needs you` the catalog still decides held sessions that
    are working or idle: their hooks may report a permission prompt (`rows.status_of`)."""
    found = _launches()
    if not found:
        return [], []
    from axi.control import live

    latest, questions = found
    hits, decided = [], []
    for sid, row in latest.items():
        status = live.status(row, row["id"] in questions)
        if status == word:
            hits.append(sid)
        held_quiet = (row["mode"] == "watched" and status in ("working", "idle")
                      and live.state(row)[0] == live.LIVE)
        if not (word == "needs you" and held_quiet):
            decided.append(sid)
    return hits, decided


def launch_details(session_id: str) -> dict | None:
    """How axi launched this session, for `sessions view` (None: axi did not)."""
    found = _launches("AND session = ?", [session_id])
    if not found or session_id not in found[0]:
        return None
    row = found[0][session_id]
    import json

    try:
        closes = json.loads(row["spec"] or "{}").get("close_on_done")
    except (ValueError, AttributeError):
        closes = None
    data = {"run": row["run"], "mode": row["mode"], "on_done": "close" if closes else None,
            "parent": row["parent"], "depth": row["depth"], "outcome": row["outcome"],
            "exit": row["exit_code"], "end_reason": row["end_reason"]}
    return {k: v for k, v in data.items() if v is not None}
