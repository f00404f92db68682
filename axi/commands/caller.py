"""What the mail, task and coordination commands share: the caller's identity and how a message
is shown in a list (the `--as` option itself is in `tree.py`, with click)."""

from __future__ import annotations

from axi import views
from axi.mailbox import identity, mail, store
from axi.sqlite import sqlite3

MAIL_FIELDS = ["id", "from", "age", "state", "text"]
ALL_MAIL_FIELDS = MAIL_FIELDS + ["to", "thread", "reply_to", "kind", "task", "ack", "created"]
TEXT_IN_LIST = 200


def caller(as_name: str | None, listening_for: float | None = None,
           token_file: str | None = None, sends: bool = False
           ) -> tuple[sqlite3.Connection, sqlite3.Row]:
    """The mailbox and the caller's approved identity; records the caller's activity.

    Only a command that `sends` and reads nothing (`axi send`) may act as a service sender,
    which authenticates with its token file."""
    conn = store.connect()
    me = identity.resolve(conn, as_name, token_file, reading=not sends)
    identity.touch(conn, me["id"], listening_for)
    return conn, me


def warm_output() -> None:
    """Load the encoder before a wait, so the answer goes out the moment something arrives."""
    from axi.output import encode

    encode({"ready": True})


def mail_row(conn: sqlite3.Connection, row: sqlite3.Row, fields: list[str]) -> dict:
    """One message as a list row; `state` is the caller's delivery state (or `sent`)."""
    values = {
        "id": row["id"],
        "from": f"@{row['sender_name']}",
        "age": views.age(row["created"]),
        "state": mail.state_of(row) if _has(row, "seq") and row["seq"] is not None else "sent",
        "text": views.one_line(row["body"], TEXT_IN_LIST),
        "thread": row["thread"],
        "reply_to": row["reply_to"],
        "kind": row["kind"],
        "task": row["task"],
        "ack": "required" if row["ack_required"] else None,
        "created": views.iso(row["created"]),
    }
    if "to" in fields:
        values["to"] = " ".join(f"@{r['name']}" for r in mail.recipients_of(conn, row["id"]))
    return {f: values.get(f) for f in fields}


def _has(row: sqlite3.Row, key: str) -> bool:
    return key in row.keys()  # noqa: SIM118 (a Row iterates values, not keys)


def reply_hint(message_id: object) -> str:
    return views.hint(views.command("send", "--reply", str(message_id), "<text>"),
                      "answers in its thread")
