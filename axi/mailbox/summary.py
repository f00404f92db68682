"""The dashboard's mail lines for one folder. Runs on every agent session start: no click, one
read-only SQLite open, and nothing at all when there is no mailbox."""

from __future__ import annotations

import os
import sqlite3

from axi import views

FILENAME = "mailbox.sqlite"  # the mailbox's modules load only once one exists

SHOWN = 3


def for_folder(path: str) -> dict | None:
    """This folder's identity, unread mail and open tasks; None when there is no mailbox."""
    db = os.path.join(_state_dir(), FILENAME)
    if not os.path.exists(db):
        return None
    try:
        from axi.mailbox.db import connect_readonly
        from axi.mailbox.identity import find_pointer

        tag = os.environ.get("AXI_AGENT_TAG", "")
        found = find_pointer(path, tag)
        if found is None:
            return {"agent": "none in this folder (`axi agents init <name>` creates one)"}
        conn = connect_readonly(db)
        try:
            return _lines(conn, found[0], found[1], tag)
        finally:
            conn.close()
    except Exception as exc:  # the dashboard must never fail because of mail
        return {"agent": f"mailbox unavailable ({type(exc).__name__})"}


def _state_dir() -> str:
    from axi.paths import state_dir

    return state_dir()


def _lines(conn: sqlite3.Connection, folder: str, name: str, tag: str) -> dict:
    agent = conn.execute("SELECT * FROM agents WHERE name = ?", (name,)).fetchone()
    if agent is None or agent["folder"] != folder:
        where = views.hint(views.command("agents", "init", name), "here binds it")
        return {"agent": f"{name} is not bound to this folder ({where})"}
    if agent["state"] != "approved":
        from axi.mailbox.identity import approve_hint

        return {"agent": f"{name} ({agent['state']}: {approve_hint(agent)})"}
    data: dict = {"agent": name}
    data.update(_mail(conn, agent["id"]))
    data.update(_tasks(conn, agent["id"]))
    return data


def _mail(conn: sqlite3.Connection, me: int) -> dict:
    unread = conn.execute("SELECT count(*) FROM deliveries WHERE recipient = ? "
                          "AND read_at IS NULL", (me,)).fetchone()[0]
    if not unread:
        return {"mail": "0 unread"}
    rows = conn.execute(
        "SELECT m.id, s.name, m.created, m.body FROM deliveries d "
        "JOIN messages m ON m.id = d.message JOIN agents s ON s.id = m.sender "
        "WHERE d.recipient = ? AND d.read_at IS NULL ORDER BY m.id DESC LIMIT ?",
        (me, SHOWN)).fetchall()
    more = views.hint(views.command("inbox", flags={"--unread": True}), "shows them all")
    return {"mail": f"{unread} unread" + (f" ({more})" if unread > SHOWN else ""),
            "unread": [{"id": r[0], "from": f"@{r[1]}", "age": views.age(r[2]),
                        "text": views.one_line(r[3], 60)} for r in rows]}


def _tasks(conn: sqlite3.Connection, me: int) -> dict:
    where = "assignee = ? AND status IN ('open', 'doing', 'blocked')"
    total = conn.execute(f"SELECT count(*) FROM tasks WHERE {where}", (me,)).fetchone()[0]
    if not total:
        return {"tasks": "0 open"}
    rows = conn.execute(
        f"SELECT id, status, priority, title FROM tasks WHERE {where} ORDER BY CASE priority "
        "WHEN 'urgent' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 ELSE 3 END, id DESC "
        "LIMIT ?", (me, SHOWN)).fetchall()
    more = views.hint(views.command("tasks"), "shows them all")
    return {"tasks": f"{total} open" + (f" ({more})" if total > SHOWN else ""),
            "open_tasks": [{"id": r[0], "status": r[1], "priority": r[2],
                            "title": views.one_line(r[3], 60)} for r in rows]}
