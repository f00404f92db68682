"""Tasks: the ownership ledger. A task has one creator and one assignee (its owner); assigning
it to someone else mentions them in a message, in the same transaction. Every move is also
appended to the mailbox's history (`history.py`), in that transaction too."""

from __future__ import annotations

from axi.errors import AxiError, NotFound, UsageFault
from axi.mailbox import history
from axi.mailbox.db import write
from axi.mailbox.identity import check_name
from axi.mailbox.mail import Outgoing, post, recipient
from axi.mailbox.queries import OPEN, TASK_COLUMNS, TASK_FROM, listing  # noqa: F401
from axi.sqlite import sqlite3
from axi.views import clock

STATUSES = ("open", "doing", "blocked", "done", "cancelled")
PRIORITIES = ("low", "medium", "high", "urgent")
INTENT_PRIORITY = {"general": "medium", "review": "medium", "implement": "high",
                   "qa": "medium", "status": "medium", "incident": "urgent"}
MAX_TITLE = 300


def create(conn: sqlite3.Connection, creator: sqlite3.Row, title: str, assignee: str | None,
           priority: str = "medium", intent: str | None = None, body: str | None = None,
           ack_required: bool = False) -> tuple[sqlite3.Row, dict | None]:
    """Create a task; when it is someone else's, post `body` (or a notice) to them.
    Returns (task, sent message summary or None). One transaction."""
    title = " ".join(title.split())
    if not title:
        raise UsageFault("the task title is empty",
                         help=['example: axi tasks create "fix the login test" --assign @bob'])
    title = title[:MAX_TITLE]
    with write(conn):
        owner = (recipient(conn, check_name(assignee), "no task was created") if assignee
                 else creator)
        now = clock()
        task_id = conn.execute(
            "INSERT INTO tasks (title, creator, assignee, status, priority, intent, created, "
            "updated) VALUES (?, ?, ?, 'open', ?, ?, ?, ?)",
            (title, creator["id"], owner["id"], priority, intent, now, now)).lastrowid
        history.task_moved(conn, task_id, "created", now, creator["id"], "open", owner["id"])
        sent = None
        if owner["id"] != creator["id"]:
            text = body or f"@{owner['name']} task #{task_id} ({priority}): {title}"
            sent = post(conn, creator, Outgoing(
                to=[owner["name"]], body=text, kind="handoff" if intent else "task",
                task=task_id, ack_required=ack_required))
            conn.execute("UPDATE tasks SET thread = ? WHERE id = ?", (sent["thread"], task_id))
        return get(conn, task_id), sent


def get(conn: sqlite3.Connection, task_id: int) -> sqlite3.Row:
    row = conn.execute(f"SELECT {TASK_COLUMNS} FROM {TASK_FROM} WHERE t.id = ?",
                       (task_id,)).fetchone()
    if row is None:
        raise NotFound(f"no task {task_id}", help=["`axi tasks --all` lists every task"])
    return row


def update(conn: sqlite3.Connection, me: sqlite3.Row, task_id: int, status: str | None,
           note: str | None) -> tuple[sqlite3.Row, bool, dict | None]:
    """Change a task's status (creator or owner only); the other party hears of it in the
    task's thread. Returns (task, already, sent message summary or None)."""
    with write(conn):
        task = get(conn, task_id)
        if me["id"] not in (task["creator"], task["assignee"]):
            raise AxiError(f"task {task_id} is not yours: @{task['creator_name']} created it "
                           f"for @{task['owner_name']}", code="NOT_YOURS",
                           help=["only its creator or owner can update a task"])
        if (status is None or status == task["status"]) and not note:
            return task, True, None
        new_status, now = status or task["status"], clock()
        conn.execute("UPDATE tasks SET status = ?, updated = ? WHERE id = ?",
                     (new_status, now, task_id))
        history.task_moved(conn, task_id, "note" if new_status == task["status"] else "status",
                           now, me["id"], new_status, task["assignee"])
        sent = _tell_other_party(conn, me, task, new_status, note)
        return get(conn, task_id), False, sent


def _tell_other_party(conn: sqlite3.Connection, me: sqlite3.Row, task: sqlite3.Row,
                      status: str, note: str | None) -> dict | None:
    other = task["creator_name"] if me["id"] == task["assignee"] else task["owner_name"]
    if other == me["name"]:
        return None
    text = f"task #{task['id']} is {status}" + (f": {note}" if note else "")
    return post(conn, me, Outgoing(to=[other], body=text, reply_to=task["thread"],
                                   kind="task", task=task["id"]))
