"""What the page shows, read from the stores the CLI reads, by the functions it reads them with.

- sessions: the index's top-level sessions (sub-agents roll up, as in the picker), newest
  first, through `index.rows.present` with the control plane's word (`control.overlay`): the
  same rows and status as `axi sessions` and `axi pick`, `question`/`answer_with` included;
- agents: every identity with its state, origin code (not yet approved), unread mail,
  listening and last activity, as the picker's person tab shows them;
- mail: threads, newest first, and one thread's messages; tasks: every open one, most urgent
  first (`mailbox.queries.listing`); runs: newest first with their members;
- activity: `console.activity`'s stream with its cursors, which the live stream resumes from.

The mailbox is opened read-only here, and nothing is created: a machine with no mailbox yet
shows empty lists. Every string leaves through `to_json`, which applies the output
boundary's rule (`axi.text.shown`): no control or invisible formatting character reaches the
page, and the page sets text only as text, never as markup.
"""

from __future__ import annotations

import contextlib
import json
import time

from axi import views
from axi.paths import tilde
from axi.sqlite import sqlite3
from axi.text import shown

SESSIONS_SHOWN = 200
SESSION_FIELDS = ["id", "harness", "status", "age", "title", "dir", "model", "ctx", "cost",
                  "launch", "full_id"]
THREADS_SHOWN = 100
THREAD_MESSAGES = 200
TASKS_SHOWN = 100
RUNS_SHOWN = 50
ACTIVITY_SHOWN = 100
ACTIVITY_DAYS = 7  # the page's first list looks this far back (the journal is bisected)
CELL = 80


def to_json(data: object) -> bytes:
    return json.dumps(_clean(data), ensure_ascii=False, separators=(",", ":")).encode()


def _clean(value: object) -> object:
    if isinstance(value, str):
        return shown(str(value))  # a two-faced value (an age, a folder) as its short form
    if isinstance(value, dict):
        return {shown(str(k)): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


@contextlib.contextmanager
def mailbox(local: bool = False):
    """The mailbox, read-only; None when there is none yet. `local`: this machine's file (its
    runs), even when a team mailbox holds the mail."""
    from axi.mailbox import db, store

    if local:
        conn = db.connect_readonly(db.mailbox_path()) if db.exists() else None
    else:
        conn = store.connect_readonly()
    if conn is None:
        yield None
        return
    try:
        yield conn
    finally:
        conn.close()


def overview(person: str, host: str) -> dict:
    return {"person": person, "host": host, "now": views.iso(time.time())}


# ---- sessions -------------------------------------------------------------------------------

def sessions(limit: int = SESSIONS_SHOWN) -> dict:
    from axi.control.overlay import statuses
    from axi.index.catalog import newest, open_index, short_ids
    from axi.index.rows import present

    conn, fresh = open_index(budget=2.0)
    try:
        total = conn.execute("SELECT count(*) FROM sessions WHERE is_subagent = 0").fetchone()[0]
        rows = newest(conn, "is_subagent = 0", [], limit)
        ids = short_ids(conn, [r["id"] for r in rows])
        shown_rows = present(conn, rows, SESSION_FIELDS, ids, overlay=statuses)
    finally:
        conn.close()
    data: dict = {"total": total, "sessions": shown_rows}
    note = fresh.note() or ("; ".join(fresh.warnings[:1]) if fresh.warnings else None)
    if note:
        data["note"] = note
    return data


# ---- agents ---------------------------------------------------------------------------------

def agents(person: str) -> dict:
    from axi.mailbox import identity

    with mailbox() as conn:
        if conn is None:
            return {"agents": [], "note": "no mailbox yet: `axi agents init <name>` in an "
                    "agent's folder creates the first identity"}
        rows = conn.execute(
            "SELECT a.*, (SELECT count(*) FROM deliveries d WHERE d.recipient = a.id "
            "AND d.read_at IS NULL) AS unread, (SELECT max(m.created) FROM messages m "
            "WHERE m.sender = a.id) AS last_sent FROM agents a "
            "ORDER BY a.state != 'pending', a.name").fetchall()
    out = []
    for row in rows:
        kind = identity.kind_of(row)
        last = max(row["last_seen"] or 0, row["last_sent"] or 0) or None
        out.append({
            "name": row["name"], "kind": kind, "state": row["state"],
            "code": identity.confirm_code(row) if row["state"] != "approved" else None,
            "folder": str(tilde(row["folder"]) or ""), "host": row["host"], "user": row["user"],
            "tag": row["tag"] or None, "listening": identity.is_listening(row, time.time()),
            "unread": None if kind == "service" else row["unread"],
            "last_activity": views.age(last, time.time()) if last else None,
            "created": views.iso(row["created"]), "approved": views.iso(row["approved"]),
            "revoked": views.iso(row["revoked"]), "you": row["name"] == person})
    return {"agents": out}


# ---- mail -----------------------------------------------------------------------------------

def threads(person: str, limit: int = THREADS_SHOWN) -> dict:
    with mailbox() as conn:
        if conn is None:
            return {"threads": []}
        me = _id_of(conn, person)
        found = conn.execute(
            "SELECT thread, count(*) AS n, max(created) AS last, min(id) AS first "
            "FROM messages GROUP BY thread ORDER BY last DESC LIMIT ?", (limit,)).fetchall()
        out = []
        for t in found:
            first = conn.execute(
                "SELECT m.body, m.task, s.name FROM messages m JOIN agents s ON s.id = m.sender "
                "WHERE m.id = ?", (t["first"],)).fetchone()
            names = [r[0] for r in conn.execute(
                "SELECT DISTINCT a.name FROM messages m JOIN agents a ON a.id = m.sender "
                "WHERE m.thread = ? UNION SELECT DISTINCT a.name FROM messages m "
                "JOIN deliveries d ON d.message = m.id JOIN agents a ON a.id = d.recipient "
                "WHERE m.thread = ? ORDER BY 1", (t["thread"], t["thread"]))]
            unread = conn.execute(
                "SELECT count(*) FROM messages m JOIN deliveries d ON d.message = m.id "
                "WHERE m.thread = ? AND d.recipient = ? AND d.read_at IS NULL",
                (t["thread"], me)).fetchone()[0] if me else 0
            out.append({"thread": t["thread"], "messages": t["n"], "from": first["name"],
                        "with": names, "task": first["task"],
                        "subject": views.one_line(first["body"], CELL),
                        "last": views.age(t["last"], time.time()),
                        "unread_to_you": unread, "yours": person in names})
    return {"threads": out}


def thread(person: str, thread_id: int) -> dict:
    from axi.errors import NotFound
    from axi.mailbox.mail import MESSAGE_COLUMNS, recipients_of, state_of

    with mailbox() as conn:
        rows = [] if conn is None else conn.execute(
            f"SELECT {MESSAGE_COLUMNS} FROM messages m JOIN agents s ON s.id = m.sender "
            "WHERE m.thread = ? ORDER BY m.id LIMIT ?", (thread_id, THREAD_MESSAGES)).fetchall()
        if not rows:
            raise NotFound(f"no mail thread {thread_id}", help=["the Mail tab lists threads"])
        out = []
        for m in rows:
            to = recipients_of(conn, m["id"])
            mine = next((r for r in to if r["name"] == person), None)
            out.append({"id": m["id"], "from": m["sender_name"], "to": [r["name"] for r in to],
                        "time": views.iso(m["created"]),
                        "age": views.age(m["created"], time.time()), "kind": m["kind"],
                        "auto": bool(m["auto"]), "task": m["task"], "reply_to": m["reply_to"],
                        "text": m["body"], "to_you": state_of(mine) if mine else None})
    return {"thread": thread_id, "messages": out}


def _id_of(conn: sqlite3.Connection, name: str) -> int | None:
    row = conn.execute("SELECT id FROM agents WHERE name = ?", (name,)).fetchone()
    return row[0] if row else None


# ---- tasks and runs -------------------------------------------------------------------------

def tasks(limit: int = TASKS_SHOWN) -> dict:
    from axi.mailbox.queries import listing

    with mailbox() as conn:
        if conn is None:
            return {"total": 0, "tasks": []}
        try:
            rows, total = listing(conn, 0, True, None, limit)
        except sqlite3.Error:
            return {"total": 0, "tasks": []}
    return {"total": total, "tasks": [{
        "id": r["id"], "title": views.one_line(r["title"], 120), "status": r["status"],
        "priority": r["priority"], "intent": r["intent"], "owner": r["owner_name"],
        "creator": r["creator_name"], "updated": views.age(r["updated"], time.time())}
        for r in rows]}


def runs(limit: int = RUNS_SHOWN) -> dict:
    with mailbox(local=True) as conn:
        if conn is None:
            return {"total": 0, "runs": []}
        try:
            total = conn.execute("SELECT count(*) FROM runs").fetchone()[0]
            rows = conn.execute("SELECT * FROM runs ORDER BY started DESC LIMIT ?",
                                (limit,)).fetchall()
        except sqlite3.Error:  # a mailbox from before the control plane
            return {"total": 0, "runs": []}
        return {"total": total, "runs": [_run(conn, r) for r in rows]}


def _run(conn: sqlite3.Connection, run: sqlite3.Row) -> dict:
    from axi.control import live, records
    from axi.index.rows import money

    members = records.members(conn, run["id"])
    cost = None
    if run["concluded"] is not None and run["totals"]:
        with contextlib.suppress(ValueError, TypeError, KeyError):
            total = json.loads(run["totals"])
            cost = money(total.get("cost"), total["cost_kind"])
    return {"id": run["id"], "outcome": run["outcome"] or "live", "sessions": len(members),
            "live": sum(1 for m in members if live.running(m)),
            "task": views.one_line(run["task"], CELL), "reason": run["reason"],
            "age": views.age(run["started"], time.time()),
            "duration": views.duration((run["concluded"] or time.time()) - run["started"]),
            "cost": cost}


# ---- activity -------------------------------------------------------------------------------

def activity(limit: int = ACTIVITY_SHOWN) -> dict:
    """The newest events up to the live stream's horizon, and where the stream resumes."""
    from axi.console.activity import LAG, Filters, Stream

    horizon = time.time() - LAG
    stream = Stream(Filters())
    try:
        events = stream.collect(None, lower=horizon - ACTIVITY_DAYS * 86400, upper=horizon)
    finally:
        stream.close()
    shown_events = events[-limit:]
    after = shown_events[-1].cursor.word() if shown_events else str(int(horizon * 1000))
    return {"events": [e.record() for e in shown_events], "after": after,
            "days": ACTIVITY_DAYS}
