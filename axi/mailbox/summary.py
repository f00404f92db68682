"""The dashboard's mail lines for one folder. Runs on every agent session start: no click, one
read-only SQLite open, and nothing at all when there is no mailbox.

With a team mailbox (PostgreSQL) the lines come from there within TEAM_BUDGET seconds; each
answer is remembered per folder, and when the server does not answer in time the last one is
shown, marked stale with its age and the reason, so a session never waits on the network."""

from __future__ import annotations

import os

from axi import views
from axi.quiet import suppress
from axi.sqlite import sqlite3

FILENAME = "mailbox.sqlite"  # the mailbox's modules load only once one exists

SHOWN = 3
CELL = 60  # characters of quoted text (a message, a task title) per cell


def for_folder(path: str) -> dict | None:
    """This folder's identity, unread mail and open tasks; None when there is no mailbox."""
    try:
        from axi.mailbox.store import url

        team = url()
    except Exception as exc:  # a config that does not parse: say so, never guess the mailbox
        return {"agent": f"mailbox unavailable ({getattr(exc, 'message', exc)})"}
    if team is not None:
        return _team_lines(team, path)
    db = os.path.join(_state_dir(), FILENAME)
    if not os.path.exists(db):
        return None
    try:
        from axi.mailbox.db import connect_readonly

        conn = connect_readonly(db)
        try:
            return _lines(conn, path)
        finally:
            conn.close()
    except Exception as exc:  # the dashboard must never fail because of mail
        return {"agent": f"mailbox unavailable ({type(exc).__name__})"}


TEAM_BUDGET = 1.0  # seconds the dashboard gives a team mailbox
REMEMBERED = "team-dashboard.json"


def _team_lines(url: str, path: str) -> dict:
    import threading

    answer: dict = {}

    def ask() -> None:
        try:
            from axi.mailbox.store import connect_team

            conn = connect_team(url)
            try:
                answer["lines"] = _lines(conn, path)
            finally:
                conn.close()
        except Exception as exc:
            answer["error"] = getattr(exc, "message", None) or type(exc).__name__

    worker = threading.Thread(target=ask, daemon=True)  # left behind if the network hangs
    worker.start()
    worker.join(TEAM_BUDGET)
    if "lines" in answer:
        _remember(path, answer["lines"])
        return answer["lines"]
    return _last_known(path, answer.get("error") or f"no answer in {TEAM_BUDGET:g}s")


def _remembered() -> dict:
    import json

    try:
        with open(os.path.join(_state_dir(), REMEMBERED), encoding="utf-8") as fh:
            known = json.load(fh)
    except (OSError, ValueError):
        return {}
    return known if isinstance(known, dict) else {}


def _remember(path: str, lines: dict) -> None:
    import json

    from axi.paths import write_atomic
    from axi.views import clock

    known = _remembered()
    known[path] = {"at": clock(), "lines": lines}
    with suppress(OSError):  # only a convenience for when the server is away
        write_atomic(os.path.join(_state_dir(), REMEMBERED), json.dumps(known), durable=False)


def _last_known(path: str, reason: str) -> dict:
    entry = _remembered().get(path)
    reason = views.one_line(reason, CELL)
    if not isinstance(entry, dict) or not isinstance(entry.get("lines"), dict):
        return {"agent": f"team mailbox unreachable ({reason}); `axi mailbox status` checks it"}
    lines = dict(entry["lines"])
    lines["stale"] = (f"last known {views.age(entry.get('at') or 0)} ago; the team mailbox "
                      f"did not answer ({reason})")
    return lines


def _state_dir() -> str:
    from axi.paths import state_dir

    return state_dir()


def _lines(conn: sqlite3.Connection, path: str) -> dict:
    """Whom the mail commands would act as here (the same lookup), and its mail and tasks."""
    from axi.errors import AxiError
    from axi.mailbox.identity import approve_hint, lookup

    try:
        agent = lookup(conn, None, path).row
    except AxiError as exc:
        if exc.code == "NO_IDENTITY":
            return {"agent": "none in this folder (`axi agents init <name>` creates one)"}
        return {"agent": f"{exc.message} ({exc.help[0] if exc.help else exc.code})"}
    name = agent["name"]
    if agent["state"] != "approved":
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
                        "text": views.one_line(r[3], CELL)} for r in rows]}


def _tasks(conn: sqlite3.Connection, me: int) -> dict:
    """The agent's open tasks exactly as `axi tasks` counts and orders them."""
    from axi.mailbox.queries import listing

    rows, total = listing(conn, me, False, None, SHOWN)
    if not total:
        return {"tasks": "0 open"}
    more = views.hint(views.command("tasks"), "shows them all")
    return {"tasks": f"{total} open, owned or created" + (f" ({more})" if total > SHOWN else ""),
            "open_tasks": [_task_cell(r) for r in rows]}


def _task_cell(row: sqlite3.Row) -> dict:
    return {"id": row["id"], "status": row["status"], "priority": row["priority"],
            "owner": f"@{row['owner_name']}", "title": views.one_line(row["title"], CELL)}
