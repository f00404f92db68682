"""History (mailbox schema 9): every move of a task and every change of an identity, one row
each, appended inside the write transaction of the change itself (so it is there exactly when
the change is) and never rewritten. `axi activity` reads it (axi/console/activity_history.py).

A task's changes: `created` (by its creator, for its owner), `assigned` (a new owner),
`status` (a new status), `note` (a note, the status unchanged). An identity's: `pending` (asked
to join), `moved` (bound to another folder by `init --move`: pending again), `created` (made
approved: the person, a built-in), `approved`, `revoked`."""

from __future__ import annotations

from axi.sqlite import sqlite3

TASK_CHANGES = ("created", "assigned", "status", "note")
AGENT_CHANGES = ("pending", "moved", "created", "approved", "revoked")


def task_moved(conn: sqlite3.Connection, task_id: int, change: str, at: float, actor_id: int,
               status: str, owner_id: int) -> None:
    assert change in TASK_CHANGES and conn.in_transaction
    conn.execute("INSERT INTO history (at, task, change, state, actor, owner) "
                 "VALUES (?, ?, ?, ?, ?, ?)", (at, task_id, change, status, actor_id, owner_id))


def agent_changed(conn: sqlite3.Connection, agent_id: int, change: str, at: float, state: str,
                  folder: str | None = None) -> None:
    assert change in AGENT_CHANGES and conn.in_transaction
    conn.execute("INSERT INTO history (at, agent, change, state, folder) VALUES (?, ?, ?, ?, ?)",
                 (at, agent_id, change, state, folder))
