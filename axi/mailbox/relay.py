"""Mail between machines, as the mailbox stores it.

An agent on another machine is an identity named `name@machine` (stored with `machine` set;
`identity.kind_of` calls it `remote`). Nobody here acts as it: mail to it waits as a delivery
marked `queued` until a sync hands it over the transport (`axi.remote.mailsync`), then
`delivered` (or `refused`, with the far side's reason). Mail from it arrives with the global
id (`messages.gid`) it was given where it was written, so a second delivery of the same message
is recognised and ignored: a sync killed at any point loses and duplicates nothing.

Which machines exist: this one (`[machine] name`, else the short hostname), the `[[host]]`
blocks, and any machine a remote identity already names (one that reached us by pulling or
pushing). Trust is the transport's: whoever can run the remote axi is the person.
"""

from __future__ import annotations

import os

from axi.errors import AxiError, UsageFault
from axi.mailbox.names import check_name
from axi.paths import config_at_a_glance
from axi.sqlite import sqlite3
from axi.views import clock

BATCH_BYTES = 4 * 1024 * 1024  # of message text handed over in one transport call
MACHINE_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")


def this_machine(config: dict | None = None) -> str:
    """This machine's name in addresses: `[machine] name`, else the short hostname."""
    import socket

    config = config_at_a_glance() if config is None else config
    named = (config.get("machine") or {}).get("name") if isinstance(
        config.get("machine"), dict) else None
    return named if isinstance(named, str) and named else (
        socket.gethostname().split(".")[0] or "local")


def new_gid() -> str:
    return os.urandom(16).hex()


def split_address(raw: str, what: str = "agent name") -> tuple[str, str | None]:
    """`@bob` -> ("bob", None); `@bob@box` -> ("bob", "box"), a name checked either way
    (`what` names it in the error)."""
    name, at, machine = raw.strip().lstrip("@").partition("@")
    if at and not (machine and set(machine) <= MACHINE_CHARS and len(machine) <= 63):
        raise UsageFault(f"invalid address {raw!r}", help=[
            "an agent on another machine is @name@machine (`axi hosts` lists the machines)"])
    return check_name(name, what), (machine or None)


def configured_machines(config: dict | None = None) -> set[str]:
    config = config_at_a_glance() if config is None else config
    blocks = config.get("host")
    return {b["name"] for b in blocks if isinstance(b, dict) and isinstance(b.get("name"), str)
            } if isinstance(blocks, list) else set()


def known_machines(conn: sqlite3.Connection) -> set[str]:
    """The configured hosts, and the machines that ever synced with this one."""
    met = {r[0].partition(":")[2] for r in conn.execute(
        "SELECT key FROM meta WHERE substr(key, 1, 8) = 'machine:'")}
    return configured_machines() | met


def met(conn: sqlite3.Connection, machine: str) -> None:
    """Remember a machine that synced with this one (inside a write transaction): its agents
    may now be written to before any of them wrote here."""
    conn.execute("INSERT INTO meta VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET "
                 "value = excluded.value", (f"machine:{machine}", str(clock())))


def remote_recipient(conn: sqlite3.Connection, name: str, machine: str) -> sqlite3.Row:
    """The identity standing for `name` on `machine`, made on first use (inside the caller's
    write transaction); an unknown machine is refused."""
    full = f"{name}@{machine}"
    row = conn.execute("SELECT * FROM agents WHERE name = ?", (full,)).fetchone()
    if row is not None:
        return row
    if machine not in known_machines(conn):
        raise AxiError(f"no machine named {machine!r}; nothing was sent", code="UNKNOWN_HOST",
                       help=["`axi hosts` lists the machines; "
                             f'`axi hosts add {machine} --transport "ssh -T {machine}"` adds it'])
    return remote_identity(conn, full, machine)


def remote_identity(conn: sqlite3.Connection, full: str, machine: str) -> sqlite3.Row:
    row = conn.execute("SELECT * FROM agents WHERE name = ?", (full,)).fetchone()
    if row is None:
        now = clock()
        # `builtin`: the kind CHECK of schema 5 cannot be widened in place; `machine` says
        # remote. Approval happens on that machine, by its person; here it is only an address.
        conn.execute("INSERT INTO agents (name, state, origin, host, \"user\", folder, tag, "
                     "created, approved, kind, machine) VALUES (?, 'approved', ?, ?, '', '', '', "
                     "?, ?, 'builtin', ?)", (full, f"remote:{full}:{new_gid()}", machine, now, now,
                                       machine))
        row = conn.execute("SELECT * FROM agents WHERE name = ?", (full,)).fetchone()
    return row


def queue(conn: sqlite3.Connection, message_id: int, remote_ids: list[int]) -> None:
    """Mark the message's deliveries to remote identities as waiting for a sync."""
    if remote_ids:
        marks = ",".join("?" * len(remote_ids))
        conn.execute(f"UPDATE deliveries SET relay = 'queued' WHERE message = ? AND recipient "
                     f"IN ({marks})", (message_id, *remote_ids))


def outgoing(conn: sqlite3.Connection, machine: str, limit_bytes: int = BATCH_BYTES
             ) -> list[dict]:
    """Queued mail for agents on `machine`, oldest first, about `limit_bytes` of text at most
    (always at least one message)."""
    rows = conn.execute(
        "SELECT m.id, m.gid, m.body, m.kind, m.created, m.ack_required, m.reply_to, m.thread, "
        "s.name AS sender, a.name AS recipient FROM deliveries d "
        "JOIN messages m ON m.id = d.message JOIN agents a ON a.id = d.recipient "
        "JOIN agents s ON s.id = m.sender WHERE d.relay = 'queued' AND a.machine = ? "
        "ORDER BY m.id, d.seq", (machine,)).fetchall()
    out: list[dict] = []
    size = 0
    for row in rows:
        if out and out[-1]["id"] == row["id"]:
            out[-1]["to"].append(_local_part(row["recipient"]))
            continue
        if out and size + len(row["body"]) > limit_bytes:
            break
        size += len(row["body"])
        out.append({"id": row["id"], "gid": row["gid"] or gid_of(conn, row["id"]),
                    "from": row["sender"], "to": [_local_part(row["recipient"])],
                    "body": row["body"], "kind": row["kind"], "created": row["created"],
                    "ack": bool(row["ack_required"]),
                    "reply": gid_of(conn, row["reply_to"]) if row["reply_to"] else None,
                    "thread": gid_of(conn, row["thread"]) if row["thread"] not in (
                        None, row["id"]) else None})
    return out


def _local_part(address: str) -> str:
    return address.partition("@")[0]


def gid_of(conn: sqlite3.Connection, message_id: int) -> str:
    """A message's global id, given one now if it was written before schema 7."""
    row = conn.execute("SELECT gid FROM messages WHERE id = ?", (message_id,)).fetchone()
    if row is None:
        return ""
    if row[0]:
        return row[0]
    gid = new_gid()
    conn.execute("UPDATE messages SET gid = ? WHERE id = ? AND gid IS NULL", (gid, message_id))
    return conn.execute("SELECT gid FROM messages WHERE id = ?", (message_id,)).fetchone()[0]


def settle(conn: sqlite3.Connection, machine: str, accepted: list[str],
           refused: dict[str, str]) -> int:
    """Record what `machine` took (delivered) and refused; returns how many deliveries moved."""
    moved = 0
    now = clock()
    for gid, state, note in [(g, "delivered", None) for g in accepted] + [
            (g, "refused", r) for g, r in refused.items()]:
        moved += conn.execute(
            "UPDATE deliveries SET relay = ?, relay_at = ?, relay_note = ? WHERE relay = "
            "'queued' AND message = (SELECT id FROM messages WHERE gid = ?) AND recipient IN "
            "(SELECT id FROM agents WHERE machine = ?)",
            (state, now, note, gid, machine)).rowcount
    return moved


def pending(conn: sqlite3.Connection, machine: str | None = None) -> int:
    """Deliveries still waiting for a sync (to `machine`, or any)."""
    sql = ("SELECT count(*) FROM deliveries d JOIN agents a ON a.id = d.recipient "
           "WHERE d.relay = 'queued'")
    args: tuple = ()
    if machine is not None:
        sql += " AND a.machine = ?"
        args = (machine,)
    return conn.execute(sql, args).fetchone()[0]
