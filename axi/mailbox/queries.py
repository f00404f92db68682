"""Task queries the ledger (`axi tasks`) and the dashboard share, so both mean the same by an
agent's open tasks: the ones it owns or created. Plain SQL, no imports: the dashboard loads it
on every session start."""

from __future__ import annotations

from axi.sqlite import sqlite3

OPEN = ("open", "doing", "blocked")
TASK_COLUMNS = "t.*, c.name AS creator_name, o.name AS owner_name"
TASK_FROM = "tasks t JOIN agents c ON c.id = t.creator JOIN agents o ON o.id = t.assignee"
PRIORITY_ORDER = ("CASE t.priority WHEN 'urgent' THEN 0 WHEN 'high' THEN 1 "
                  "WHEN 'medium' THEN 2 ELSE 3 END")


def listing(conn: sqlite3.Connection, me: int, everyone: bool, status: str | None,
            limit: int) -> tuple[list[sqlite3.Row], int]:
    """Tasks, most urgent first: the caller's (owned or created) unless `everyone`; open ones
    unless `status` names one. Returns (the first `limit` rows, how many match)."""
    where, args = [], []
    if not everyone:
        where.append("(t.assignee = ? OR t.creator = ?)")
        args += [me, me]
    if status:
        where.append("t.status = ?")
        args.append(status)
    else:
        where.append(f"t.status IN ({','.join('?' * len(OPEN))})")
        args += list(OPEN)
    clause = " AND ".join(where)
    total = conn.execute(f"SELECT count(*) FROM {TASK_FROM} WHERE {clause}", args).fetchone()[0]
    rows = conn.execute(f"SELECT {TASK_COLUMNS} FROM {TASK_FROM} WHERE {clause} "
                        f"ORDER BY {PRIORITY_ORDER}, t.id DESC LIMIT ?",
                        args + [limit]).fetchall()
    return rows, total
