"""Tasks and identities as activity: every entry of the mailbox's history (schema 9,
`axi/mailbox/history.py`), and, for a task or identity with no entry there, what its row
still tells (its creation, latest change, approval and revocation), as before the history.

The two meet without a seam. Migration 9 copies into the history exactly the events the rows
told, at the same times, and an entry is given the same identity (so the same cursor) as the
event derived from the row: a cursor taken before the migration resumes after it, with no gap
and no repeat. A row is derived from only when the history holds nothing of it: a mailbox not
migrated yet (read-only here, so never migrated by reading), or an identity made by a writer
that records none (an agent on another machine, made by a relayed message)."""

from __future__ import annotations

from axi.console.activity_events import Event, Filters
from axi.sqlite import sqlite3

TASK_KINDS = ("task.created", "task.updated")
AGENT_KINDS = ("agent.pending", "agent.approved", "agent.revoked")
# history's `change` -> the event kind
KIND = {("task", "created"): "task.created", ("task", "assigned"): "task.updated",
        ("task", "status"): "task.updated", ("task", "note"): "task.updated",
        ("agent", "pending"): "agent.pending", ("agent", "moved"): "agent.pending",
        ("agent", "created"): "agent.approved", ("agent", "approved"): "agent.approved",
        ("agent", "revoked"): "agent.revoked"}


def events(conn: sqlite3.Connection, low: float, filters: Filters) -> list[Event]:
    if filters.session or filters.run:
        return []
    subjects = [s for s, kinds in (("task", TASK_KINDS), ("agent", AGENT_KINDS))
                if any(filters.wants(k) for k in kinds)]
    if not subjects:
        return []
    recorded = has_history(conn)
    out = _history(conn, low, filters, subjects) if recorded else []
    if "task" in subjects:
        out += _derived_tasks(conn, low, filters, recorded)
    if "agent" in subjects:
        out += _derived_agents(conn, low, filters, recorded)
    return out


def has_history(conn: sqlite3.Connection) -> bool:
    if getattr(conn, "backend", "sqlite") == "postgres":
        return True  # the team schema has had it from its first step
    return bool(_rows(conn, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND "
                            "name = 'history'", ()))


def _rows(conn: sqlite3.Connection, sql: str, args: tuple) -> list[sqlite3.Row]:
    """A query's rows; none when a table is missing (an older mailbox) or busy."""
    try:
        return conn.execute(sql, args).fetchall()
    except sqlite3.Error:
        return []


# ---- the history ----------------------------------------------------------------------------

def _history(conn: sqlite3.Connection, low: float, filters: Filters, subjects: list[str]
             ) -> list[Event]:
    where = " OR ".join(f"h.{s} IS NOT NULL" for s in subjects)
    # a millisecond earlier than asked: entries sharing a millisecond are told apart by
    # their order in it, which must not depend on where the window starts
    rows = _rows(conn, (
        "SELECT h.id, h.at, h.task, h.agent, h.change, h.state, h.folder, a.name AS actor, "
        "o.name AS owner, t.title, t.priority, c.name AS creator, g.name, g.kind, g.machine "
        "FROM history h LEFT JOIN agents a ON a.id = h.actor "
        "LEFT JOIN agents o ON o.id = h.owner LEFT JOIN tasks t ON t.id = h.task "
        "LEFT JOIN agents c ON c.id = t.creator LEFT JOIN agents g ON g.id = h.agent "
        f"WHERE h.at >= ? AND ({where}) ORDER BY h.id"), (low - 0.001,))
    out: list[Event] = []
    seen: set[tuple[str, str, int]] = set()
    for r in rows:
        subject = "task" if r["task"] is not None else "agent"
        kind = KIND.get((subject, r["change"]))
        if kind is None:
            continue  # a change a newer axi records
        base = f"t{r['task']}" if subject == "task" else f"a{r['agent']}"
        slot = (kind, base, int(round(r["at"] * 1000)))
        ident = base if slot not in seen else f"{base}\0{r['id']}"  # the same, as derived
        seen.add(slot)
        if r["at"] < low or not filters.wants(kind):
            continue
        if subject == "task":
            out.append(_task_event(r, kind, ident))
        elif r["name"] is not None:
            out.append(_agent_event(r, kind, ident))
    return out


def _task_event(r: sqlite3.Row, kind: str, ident: str) -> Event:
    task, owner, status = r["task"], r["owner"] or "?", r["state"]
    agents = tuple(sorted({n for n in (r["creator"], r["owner"], r["actor"]) if n}))
    if kind == "task.created":
        return Event(r["at"], kind, ident, f"@{r['creator']}",
                     _created_what(task, r["creator"], owner, r["priority"], r["title"]),
                     agents=agents)
    what = {"assigned": f"now @{owner}'s ({status})",
            "note": f"got a note, still {status} (@{owner}'s)"}.get(
                r["change"], f"now {status} (@{owner}'s)")
    if r["actor"]:
        return Event(r["at"], kind, ident, f"@{r['actor']}", f"task #{task} {what}",
                     agents=agents)
    return Event(r["at"], kind, ident, f"task #{task}", what, agents=agents)


def _agent_event(r: sqlite3.Row, kind: str, ident: str) -> Event:
    from axi.paths import tilde

    change = r["change"]
    if change == "moved":
        what = f"moved to {tilde(r['folder'] or '')}: asks to join again"
    elif change == "pending":
        what = _pending_what(r, r["folder"])
    elif change == "created":
        what = "approved on creation"
    else:
        what = change
    return Event(r["at"], kind, ident, f"@{r['name']}", what, agents=(r["name"],))


def _created_what(task: int, creator: str, owner: str, priority: str, title: str) -> str:
    from axi.views import one_line

    owner_part = "" if owner == creator else f" for @{owner}"
    return f"task #{task}{owner_part} ({priority}): {one_line(title, 60)}"


def _pending_what(row: sqlite3.Row, folder: str | None) -> str:
    from axi.mailbox.identity import kind_of
    from axi.paths import tilde

    if folder:
        return f"asked to join from {tilde(folder)}"
    kind = kind_of(row)
    return "asked to join as a service sender" if kind == "service" else f"created ({kind})"


# ---- derived from the rows ------------------------------------------------------------------

def _derived_tasks(conn: sqlite3.Connection, low: float, filters: Filters, recorded: bool
                   ) -> list[Event]:
    untold = " AND NOT EXISTS (SELECT 1 FROM history h WHERE h.task = t.id)" if recorded else ""
    rows = _rows(conn, (
        "SELECT t.id, t.title, t.status, t.priority, t.created, t.updated, c.name AS creator, "
        "o.name AS owner FROM tasks t JOIN agents c ON c.id = t.creator "
        f"JOIN agents o ON o.id = t.assignee WHERE (t.created >= ? OR t.updated >= ?){untold}"),
        (low, low))
    out = []
    for r in rows:
        agents = tuple(sorted({r["creator"], r["owner"]}))
        if r["created"] >= low and filters.wants("task.created"):
            out.append(Event(r["created"], "task.created", f"t{r['id']}", f"@{r['creator']}",
                             _created_what(r["id"], r["creator"], r["owner"], r["priority"],
                                           r["title"]), agents=agents))
        if (r["updated"] >= low and round(r["updated"] * 1000) > round(r["created"] * 1000)
                and filters.wants("task.updated")):
            out.append(Event(r["updated"], "task.updated", f"t{r['id']}", f"task #{r['id']}",
                             f"now {r['status']} (@{r['owner']}'s)", agents=agents))
    return out


def _derived_agents(conn: sqlite3.Connection, low: float, filters: Filters, recorded: bool
                    ) -> list[Event]:
    untold = (" AND NOT EXISTS (SELECT 1 FROM history h WHERE h.agent = agents.id)"
              if recorded else "")
    rows = _rows(conn, "SELECT * FROM agents WHERE (created >= ? OR approved >= ? OR "
                       f"revoked >= ?){untold}", (low, low, low))
    out = []
    for r in rows:
        for kind, column, what in (("agent.pending", "created", None),
                                   ("agent.approved", "approved", "approved"),
                                   ("agent.revoked", "revoked", "revoked")):
            at = r[column]
            if at is not None and at >= low and filters.wants(kind):
                out.append(Event(at, kind, f"a{r['id']}", f"@{r['name']}",
                                 what or _pending_what(r, r["folder"]), agents=(r["name"],)))
    return out
