"""Sends that wait on this machine while the team mailbox cannot be reached.

`axi send` that finds the team database unreachable writes what it was asked to send here, in
this machine's own file (`outbox`, schema step 10), and answers `queued`. The next mailbox
command that reaches the team database sends what waits, oldest first, each exactly once: every
entry carries an idempotency key (the sender's `--idem`, else one made when it was queued), and
the team database keeps one message per (sender, key), so an entry sent but not yet marked
here (a process killed between the two) is recognised, not sent twice. An entry the team
refuses (an unknown recipient, a revoked sender) is kept, marked with the reason, never
dropped.

The sender is the identity the command would have acted as: resolved when the entry goes out
from the folder, `--as`, token file and agent variables it was queued with.
"""

from __future__ import annotations

import contextlib
import json
import os

from axi.mailbox import db
from axi.mailbox.db import write
from axi.sqlite import sqlite3
from axi.views import clock

ENV_KEPT = ("AXI_AGENT", "AXI_AGENT_TAG")


def queue(url: str, to: list[str], body: str, reply_to: int | None, ack_required: bool,
          idem: str | None, as_name: str | None, token_file: str | None, folder: str) -> dict:
    """Keep one send for later; returns what `axi send` prints."""
    entry = {"to": to, "body": body, "reply_to": reply_to, "ack": ack_required,
             "as": as_name, "token_file": token_file, "folder": folder,
             "env": {k: os.environ[k] for k in ENV_KEPT if os.environ.get(k)}}
    key = idem or f"outbox-{os.urandom(12).hex()}"
    conn = db.connect()
    try:
        with write(conn):
            new = conn.execute("INSERT INTO outbox (target, idem, payload, created) VALUES "
                               "(?, ?, ?, ?)", (target_of(url), key, json.dumps(entry), clock()))
        return {"outbox": new.lastrowid, "idem": key}
    finally:
        conn.close()


def target_of(url: str) -> str:
    """The database an entry is meant for, without the password."""
    from axi.text import without_password

    return without_password(url)


def waiting(url: str | None = None) -> list[sqlite3.Row]:
    if not db.exists():
        return []
    conn = db.connect()
    try:
        sql = "SELECT * FROM outbox WHERE sent_at IS NULL AND refused IS NULL"
        args: tuple = ()
        if url is not None:
            sql, args = sql + " AND target = ?", (target_of(url),)
        return conn.execute(sql + " ORDER BY id", args).fetchall()
    finally:
        conn.close()


def counts() -> dict:
    """How many entries wait, went out, and were refused (for `axi mailbox status`)."""
    if not db.exists():
        return {"waiting": 0, "sent": 0, "refused": 0}
    conn = db.connect()
    try:
        row = conn.execute("SELECT count(*) FILTER (WHERE sent_at IS NULL AND refused IS NULL), "
                           "count(sent_at), count(refused) FROM outbox").fetchone()
        return {"waiting": row[0], "sent": row[1], "refused": row[2]}
    finally:
        conn.close()


def flush(team, url: str) -> int:
    """Send what waits for `url` over the open team connection; returns how many went out."""
    pending = waiting(url)
    if not pending:
        return 0
    local = db.connect()
    sent = 0
    try:
        for entry in pending:
            outcome = _send_one(team, entry)
            with write(local):
                if "refused" in outcome:
                    local.execute("UPDATE outbox SET refused = ? WHERE id = ?",
                                  (outcome["refused"], entry["id"]))
                else:
                    local.execute("UPDATE outbox SET sent_at = ?, message = ? WHERE id = ?",
                                  (clock(), outcome["message"], entry["id"]))
                    sent += 1
    finally:
        local.close()
    return sent


def _send_one(team, entry: sqlite3.Row) -> dict:
    from axi.errors import AxiError
    from axi.mailbox import identity, mail

    payload = json.loads(entry["payload"])
    try:
        with _as_queued(payload):
            me = identity.lookup(team, payload.get("as"), start=payload["folder"],
                                 token_file=payload.get("token_file"), reading=False).row
        if me["state"] != "approved":
            return {"refused": f"{me['name']} is {me['state']}"}
        done = mail.send(team, me, mail.Outgoing(
            to=payload["to"], body=payload["body"], reply_to=payload.get("reply_to"),
            ack_required=bool(payload.get("ack")), idem=entry["idem"]))
    except AxiError as exc:
        if exc.code == "MAILBOX_UNREACHABLE":
            raise  # gone again: what is left waits for the next time
        return {"refused": exc.message}
    return {"message": done["id"]}


@contextlib.contextmanager
def _as_queued(payload: dict):
    """The agent variables as they were when the send was queued (identity lookup reads
    them), restored after."""
    saved = {k: os.environ.get(k) for k in ENV_KEPT}
    try:
        for key in ENV_KEPT:
            os.environ.pop(key, None)
        os.environ.update({k: v for k, v in payload.get("env", {}).items() if k in ENV_KEPT})
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
