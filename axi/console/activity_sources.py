"""Where activity is read from in the mailbox: its tables, read-only, in one read transaction
(one consistent snapshot); tasks and identities are in `activity_history.py`, the hooks'
journal in `activity_journal.py` (see `axi/console/activity.py`). No message body, question
or answer is read."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable

from axi.console import activity_history
from axi.console.activity_events import Event, Filters, _word
from axi.sqlite import sqlite3

# ---- the mailbox ----------------------------------------------------------------------------

def open_mailbox() -> sqlite3.Connection | None:
    """This machine's mailbox file, read-only (None when there is none yet or it cannot be
    read): its launches, runs and asks, and its mail unless a team mailbox holds that."""
    from axi.mailbox import db

    path = db.mailbox_path()
    if not os.path.exists(path):
        return None
    try:
        return db.connect_readonly(path)
    except sqlite3.Error:
        return None


def open_team():
    """The team mailbox when one is configured and answers, else None (mail is then read from
    this machine's file)."""
    from axi.errors import AxiError
    from axi.mailbox import store

    try:
        address = store.url()
        return store.connect_team(address) if address else None
    except AxiError:
        return None


def _rows(conn: sqlite3.Connection, sql: str, args: tuple) -> list[sqlite3.Row]:
    """A query's rows; none when the table is missing (an older mailbox) or busy."""
    try:
        return conn.execute(sql, args).fetchall()
    except sqlite3.Error:
        return []


def mailbox_events(local: sqlite3.Connection | None, mail: sqlite3.Connection | None,
                   lower: float | None, filters: Filters) -> list[Event]:
    """Events of the mail tables (from `mail`) and of the launch tables (from `local`, this
    machine's file; the same connection unless a team mailbox holds the mail)."""
    low = -1.0 if lower is None else lower
    out: list[Event] = []
    for conn, sources in ((mail, _MAIL_SOURCES), (local, _LOCAL_SOURCES)):
        if conn is not None:
            out += _in_one_snapshot(conn, sources, low, filters)
    return out


def _in_one_snapshot(conn: sqlite3.Connection, sources, low: float, filters: Filters
                     ) -> list[Event]:
    out: list[Event] = []
    try:
        conn.execute("BEGIN")  # every query below sees the same commits
    except sqlite3.Error:
        return out
    try:
        for kind, source in sources:
            if any(filters.wants(k) for k in kind):
                out += source(conn, low, filters)
    finally:
        if conn.in_transaction:
            conn.execute("COMMIT")
    return out


def _names(text: str | None) -> tuple[str, ...]:
    return tuple(sorted(set((text or "").split("\x1f")) - {""}))


def _at_list(names: Iterable[str], limit: int = 4) -> str:
    names = list(names)
    shown = ", ".join(f"@{n}" for n in names[:limit])
    return shown + (f" +{len(names) - limit}" if len(names) > limit else "") if names else "nobody"


def _sent(conn: sqlite3.Connection, low: float, filters: Filters) -> list[Event]:
    if filters.session or filters.run:
        return []
    rows = _rows(conn, (
        "SELECT m.id, m.created, m.kind, m.thread, m.task, m.ack_required, m.auto, "
        "s.name AS sender, group_concat(r.name, char(31)) AS recipients "
        "FROM messages m JOIN agents s ON s.id = m.sender "
        "LEFT JOIN deliveries d ON d.message = m.id LEFT JOIN agents r ON r.id = d.recipient "
        "WHERE m.created >= ? GROUP BY m.id"), (low,))
    out = []
    for r in rows:
        to = _names(r["recipients"])
        what = f"message #{r['id']} to {_at_list(to)}"
        extras = [r["kind"]] if r["kind"] and r["kind"] != "mail" else []
        if r["task"]:
            extras.append(f"task #{r['task']}")
        if r["thread"] and r["thread"] != r["id"]:
            extras.append(f"thread #{r['thread']}")
        if r["ack_required"]:
            extras.append("ack required")
        if extras:
            what += f" ({', '.join(extras)})"
        out.append(Event(r["created"], "mail.sent", f"m{r['id']}", f"@{r['sender']}", what,
                         agents=tuple(sorted({r["sender"], *to}))))
    return out


def _progress(conn: sqlite3.Connection, low: float, filters: Filters) -> list[Event]:
    """What a `listen --exec` handler reported while working on a message."""
    if filters.session or filters.run:
        return []
    rows = _rows(conn, "SELECT p.id, p.at, p.text, p.message, a.name AS agent, s.name AS sender "
                 "FROM progress p JOIN agents a ON a.id = p.agent JOIN messages m ON "
                 "m.id = p.message JOIN agents s ON s.id = m.sender WHERE p.at >= ?", (low,))
    return [Event(r["at"], "mail.progress", f"p{r['id']}", f"@{r['agent']}",
                  f"on message #{r['message']}: {r['text']}",
                  agents=tuple(sorted({r["agent"], r["sender"]}))) for r in rows]


def _marked(conn: sqlite3.Connection, low: float, filters: Filters) -> list[Event]:
    if filters.session or filters.run:
        return []
    rows = _rows(conn, (
        "SELECT d.seq, d.message, d.read_at, d.acked_at, r.name AS reader, s.name AS sender "
        "FROM deliveries d JOIN agents r ON r.id = d.recipient "
        "JOIN messages m ON m.id = d.message JOIN agents s ON s.id = m.sender "
        "WHERE d.read_at >= ? OR d.acked_at >= ?"), (low, low))
    out = []
    for r in rows:
        for kind, column, verb in (("mail.read", "read_at", "read"),
                                   ("mail.acked", "acked_at", "acknowledged")):
            at = r[column]
            if at is None or at < low or not filters.wants(kind):
                continue
            out.append(Event(at, kind, f"d{r['seq']}", f"@{r['reader']}",
                             f"{verb} message #{r['message']} from @{r['sender']}",
                             agents=tuple(sorted({r["reader"], r["sender"]}))))
    return out


def _launch_scope(filters: Filters, table: str) -> tuple[str, list]:
    """` AND ...` keeping the launches of `--run` and `--session` (`table`: the launches
    table's alias and a dot, or nothing)."""
    where, args = "", []
    if filters.run:
        where += f" AND {table}run = ?"
        args.append(filters.run)
    if filters.session:
        where += (f" AND ({table}session LIKE ? ESCAPE '\\' OR {table}id LIKE ? "
                  "ESCAPE '\\')")
        args += [_prefix(filters.session)] * 2
    return where, args


def _launches(conn: sqlite3.Connection, low: float, filters: Filters) -> list[Event]:
    scope, scope_args = _launch_scope(filters, "")
    where = "(created >= ? OR ended >= ? OR outcome_at >= ?)" + scope
    args = [low, low, low, *scope_args]
    rows = _rows(conn, "SELECT id, session, harness, mode, run, name, created, ended, "
                       "exit_code, exit_signal, end_reason, outcome, outcome_at "
                       f"FROM launches WHERE {where}", tuple(args))
    out = []
    for r in rows:
        who = r["name"] or f"launch {r['id'][:8]}"
        base = {"session": r["session"], "launch": r["id"], "run": r["run"]}
        if r["created"] >= low and filters.wants("launch.started"):
            out.append(Event(r["created"], "launch.started", r["id"], who,
                             f"{r['harness']} launched ({r['mode']}) in run {r['run']}",
                             **base))
        if r["ended"] is not None and r["ended"] >= low and filters.wants("launch.ended"):
            how = (f"signal {r['exit_signal']}" if r["exit_signal"] is not None
                   else f"exit {r['exit_code']}" if r["exit_code"] is not None else "gone")
            reason = _word(r["end_reason"])
            out.append(Event(r["ended"], "launch.ended", r["id"], who,
                             f"ended: {how}" + (f" ({reason})" if reason else ""), **base))
        if (r["outcome_at"] is not None and r["outcome_at"] >= low
                and filters.wants("launch.judged")):
            out.append(Event(r["outcome_at"], "launch.judged", r["id"], who,
                             f"outcome {_word(r['outcome']) or '?'}", **base))
    return out


def _runs(conn: sqlite3.Connection, low: float, filters: Filters) -> list[Event]:
    if filters.session:
        return []
    where, args = "(started >= ? OR concluded >= ?)", [low, low]
    if filters.run:
        where += " AND id = ?"
        args.append(filters.run)
    rows = _rows(conn, f"SELECT id, root, started, concluded, outcome, reason FROM runs "
                       f"WHERE {where}", tuple(args))
    out = []
    for r in rows:
        if r["started"] >= low and filters.wants("run.started"):
            out.append(Event(r["started"], "run.started", r["id"], f"run {r['id']}", "started",
                             run=r["id"]))
        if r["concluded"] is not None and r["concluded"] >= low and filters.wants(
                "run.concluded"):
            reason = _word(r["reason"], 80)
            out.append(Event(r["concluded"], "run.concluded", r["id"], f"run {r['id']}",
                             f"concluded: {_word(r['outcome']) or '?'}"
                             + (f" ({reason})" if reason else ""), run=r["id"]))
    return out


def _asks(conn: sqlite3.Connection, low: float, filters: Filters) -> list[Event]:
    scope, scope_args = _launch_scope(filters, "l.")
    where = "(a.asked >= ? OR a.answered >= ?)" + scope
    args = [low, low, *scope_args]
    rows = _rows(conn, "SELECT a.id, a.launch, a.kind, a.asked, a.answered, l.session, l.run, "
                       "l.name FROM asks a LEFT JOIN launches l ON l.id = a.launch "
                       f"WHERE {where}", tuple(args))
    out = []
    for r in rows:
        who = r["name"] or f"launch {r['launch'][:8]}"
        base = {"session": r["session"], "launch": r["launch"], "run": r["run"]}
        if r["asked"] >= low and filters.wants("ask.asked"):
            out.append(Event(r["asked"], "ask.asked", f"q{r['id']}", who,
                             f"asks question #{r['id']} ({_word(r['kind'])}): needs you",
                             **base))
        if r["answered"] is not None and r["answered"] >= low and filters.wants(
                "ask.answered"):
            out.append(Event(r["answered"], "ask.answered", f"q{r['id']}", who,
                             f"question #{r['id']} answered", **base))
    return out


def _prefix(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


_MAIL_SOURCES: tuple[tuple[tuple[str, ...], Callable], ...] = (
    (("mail.sent",), _sent),
    (("mail.read", "mail.acked"), _marked),
    (activity_history.TASK_KINDS + activity_history.AGENT_KINDS, activity_history.events),
    (("mail.progress",), _progress),
)
_LOCAL_SOURCES: tuple[tuple[tuple[str, ...], Callable], ...] = (
    (("launch.started", "launch.ended", "launch.judged"), _launches),
    (("run.started", "run.concluded"), _runs),
    (("ask.asked", "ask.answered"), _asks),
)


def agent_folders(conn: sqlite3.Connection | None, name: str) -> set[str] | None:
    """The folder an agent is bound to (its sessions are the ones started there)."""
    if conn is None:
        return set()
    rows = _rows(conn, "SELECT folder FROM agents WHERE name = ?", (name.lstrip("@"),))
    return {r["folder"] for r in rows}


def run_sessions(conn: sqlite3.Connection | None, run: str) -> set[str]:
    """The session ids of a run's launches."""
    if conn is None:
        return set()
    rows = _rows(conn, "SELECT session FROM launches WHERE run = ? AND session IS NOT NULL",
                 (run,))
    return {r["session"] for r in rows}
