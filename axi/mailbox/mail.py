"""Mail: send (one transaction), peek at an inbox, mark read and ack (idempotent, own mail only).

A message has one row in `messages` and one row per recipient in `deliveries`. Message ids are
assigned inside the serialized write transaction, so for any recipient they grow in commit
order: a message id is a valid cursor. A delivery is unread until it is read or acked.
"""

from __future__ import annotations

import os

from axi.errors import AxiError, NotFound, UsageFault
from axi.mailbox import identity
from axi.mailbox.db import write
from axi.mailbox.identity import check_name, is_name
from axi.sqlite import sqlite3
from axi.views import clock

MAX_BODY = 64 * 1024  # bytes of UTF-8
MENTION = r"(?<![\w@])@([A-Za-z][A-Za-z0-9_-]{0,31})(?![A-Za-z0-9_-])"


class Outgoing:
    """What to post: recipients by name, the text, and how it relates to other mail. (A plain
    class: `dataclasses` costs every `axi send` ~6 ms to import.)"""

    def __init__(self, to: list[str], body: str, reply_to: int | None = None,
                 ack_required: bool = False, kind: str = "mail", task: int | None = None,
                 auto: bool = False, idem: str | None = None,
                 mentions: list[str] | None = None, route_mentions: bool = True):
        self.to, self.body, self.reply_to = to, body, reply_to
        self.ack_required, self.kind, self.task = ack_required, kind, task
        self.auto, self.idem = auto, idem
        self.mentions = [] if mentions is None else mentions
        self.route_mentions = route_mentions  # False: @names in the text deliver nothing

    def __repr__(self) -> str:
        return f"Outgoing(to={self.to!r}, kind={self.kind!r}, reply_to={self.reply_to!r})"


def check_body(body: str) -> str:
    if not body.strip():
        raise UsageFault("the message is empty", help=['example: axi send @bob "build is green"'])
    size = len(body.encode("utf-8", "surrogatepass"))
    if size > MAX_BODY:
        raise UsageFault(f"the message is {size} bytes; the limit is {MAX_BODY}",
                         help=["put the long part in a file and send its path"])
    if any(0xD800 <= ord(ch) <= 0xDFFF for ch in body):
        raise UsageFault("the message is not valid UTF-8",
                         help=["re-encode it as UTF-8 (for example with iconv)"])
    return body


def mentions_in(body: str) -> list[str]:
    """The `@names` in `body`, in order, each once. `re` is imported only for a body with an
    `@` in it: its import (with `enum`) is about 4 ms of an `axi send`."""
    seen: list[str] = []
    if "@" not in body:
        return seen
    import re

    for match in re.finditer(MENTION, body):
        name = match.group(1).lower()
        if is_name(name) and name not in seen:
            seen.append(name)
    return seen


def send(conn: sqlite3.Connection, sender: sqlite3.Row, out: Outgoing) -> dict:
    """Post one message in its own transaction. Nothing is inserted when anything is wrong.

    Sends may run side by side (a shared write): two with the same sender and idempotency key
    at once collide on the key's uniqueness, and the loser, looking again, finds the winner's."""
    try:
        with write(conn, shared=True):
            return post(conn, sender, out)
    except sqlite3.IntegrityError:
        if not out.idem:
            raise
        with write(conn, shared=True):
            return post(conn, sender, out)


def post(conn: sqlite3.Connection, sender: sqlite3.Row, out: Outgoing) -> dict:
    """Post inside the caller's open write transaction."""
    check_body(out.body)
    if out.idem:
        earlier = conn.execute("SELECT id FROM messages WHERE sender = ? AND idem = ?",
                               (sender["id"], out.idem)).fetchone()
        if earlier:
            return {**sent_summary(conn, earlier["id"]), "already": True}
    parent = visible(conn, sender["id"], out.reply_to) if out.reply_to else None
    routes, unknown, remote, names = _routes(conn, sender, out, parent)
    message_id, thread = _insert_message(conn, sender, out, parent)
    _insert_deliveries(conn, message_id, routes)
    # What `sent_summary` would read back, known already (deliveries go in in `routes` order).
    summary = {"id": message_id, "to": [f"@{names[rid]}" for rid, _ in routes],
               "thread": thread}
    if remote:
        from axi.mailbox import relay

        relay.queue(conn, message_id, remote)
        summary["queued"] = [f"@{names[rid]}" for rid, _ in routes if rid in remote]
    if unknown:
        summary["not_routed"] = [f"@{n}" for n in unknown]
    return summary


def _routes(conn: sqlite3.Connection, sender: sqlite3.Row, out: Outgoing,
            parent: sqlite3.Row | None
            ) -> tuple[list[tuple[int, str]], list[str], list[int], dict[int, str]]:
    """(recipient id, reason) for every recipient, in-text mentions that name no agent, the
    recipients on another machine (their mail waits for a sync: relay.py), and their names."""
    explicit = [_address(conn, n) for n in out.to]
    if not explicit and parent is not None:
        explicit = [_reply_target(conn, n) for n in _reply_targets(conn, sender["id"], parent)]
    routes: dict[int, str] = {}
    remote: set[int] = set()
    names: dict[int, str] = {}
    for row in explicit:
        routes.setdefault(row["id"], "to")
        names[row["id"]] = row["name"]
        if row["machine"]:
            remote.add(row["id"])
    unknown = []
    for name in (mentions_in(out.body) if out.route_mentions else []) + out.mentions:
        row = conn.execute("SELECT * FROM agents WHERE name = ?", (name,)).fetchone()
        if row is None:
            row = identity.addressable(conn, name)
        if row is None or row["state"] == "revoked" or identity.kind_of(row) == "service":
            unknown.append(name)
        else:
            routes.setdefault(row["id"], "mention")
            names[row["id"]] = row["name"]
            if row["machine"]:
                remote.add(row["id"])
    routes.pop(sender["id"], None)
    if not routes:
        raise UsageFault("the message has no recipient but you", help=[
            'name one: axi send @bob "text" (mentions in the text route too)'])
    return sorted(routes.items()), unknown, sorted(remote & set(routes)), names


def _reply_target(conn: sqlite3.Connection, name: str) -> sqlite3.Row:
    """Whom a reply goes to: a remote identity as it is, a local one checked as `recipient`."""
    row = conn.execute("SELECT * FROM agents WHERE name = ?", (name,)).fetchone()
    return row if row is not None and row["machine"] else recipient(conn, name)


def _address(conn: sqlite3.Connection, raw: str) -> sqlite3.Row:
    """The identity `@name` or `@name@machine` names (one on another machine: see relay.py)."""
    from axi.mailbox import relay

    if "@" not in raw.strip().lstrip("@"):
        return recipient(conn, check_name(raw))
    name, machine = relay.split_address(raw)
    if machine is None or machine == relay.this_machine():
        return recipient(conn, name)
    if getattr(conn, "backend", "sqlite") == "postgres":
        return _team_member(conn, name, machine)
    return relay.remote_recipient(conn, name, machine)


def _team_member(conn: sqlite3.Connection, name: str, machine: str) -> sqlite3.Row:
    """In a team mailbox every machine's agents are here: `@name@machine` is `@name`, checked
    to be that machine's (its database role, or the host it was made on)."""
    row = recipient(conn, name)
    if machine not in (row["role"], row["host"], row["host"].split(".")[0]):
        raise NotFound(f"@{name} is not on {machine!r} (it is {row['role']}'s, made on "
                       f"{row['host']}); nothing was sent",
                       help=["`axi agents` lists every agent of the team with its machine"])
    return row


def recipient(conn: sqlite3.Connection, name: str, outcome: str = "nothing was sent"
              ) -> sqlite3.Row:
    """An agent mail or work can be addressed to; `outcome` says what the refusal left undone."""
    row = conn.execute("SELECT * FROM agents WHERE name = ?", (name,)).fetchone()
    if row is None:
        row = identity.addressable(conn, name)
    if row is None:
        raise NotFound(f"no agent named {name!r}; {outcome}",
                       help=["`axi agents` lists every agent"])
    if identity.kind_of(row) == "service":
        raise AxiError(f"{name!r} is a service sender: it sends and receives nothing; "
                       f"{outcome}", code="RECIPIENT_SERVICE",
                       help=["`axi agents` lists every identity"])
    if row["state"] == "revoked":
        raise AxiError(f"agent {name!r} was revoked; {outcome}", code="RECIPIENT_REVOKED",
                       help=["`axi agents` lists every agent"])
    return row


def _reply_targets(conn: sqlite3.Connection, me: int, parent: sqlite3.Row) -> list[str]:
    if parent["sender"] != me:
        return [parent["sender_name"]]
    rows = conn.execute("SELECT a.name FROM deliveries d JOIN agents a ON a.id = d.recipient "
                        "WHERE d.message = ? ORDER BY d.seq", (parent["id"],)).fetchall()
    return [r[0] for r in rows]


def _insert_message(conn: sqlite3.Connection, sender: sqlite3.Row, out: Outgoing,
                    parent: sqlite3.Row | None) -> tuple[int, int]:
    """The new message's id and thread (its own id when it starts one)."""
    thread = parent["thread"] if parent is not None else None
    cur = conn.execute(
        "INSERT INTO messages (sender, body, thread, reply_to, kind, auto, ack_required, task, "
        "idem, created, gid) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (sender["id"], out.body, thread, out.reply_to, out.kind, int(out.auto),
         int(out.ack_required), out.task, out.idem, clock(), os.urandom(16).hex()))
    message_id = cur.lastrowid
    if thread is None and not getattr(conn, "threads_itself", False):  # pg_schema's trigger
        conn.execute("UPDATE messages SET thread = id WHERE id = ?", (message_id,))
    return message_id, message_id if thread is None else thread


def _insert_deliveries(conn: sqlite3.Connection, message_id: int,
                       routes: list[tuple[int, str]]) -> None:
    """One statement for them all (one round trip to a team database)."""
    rows = ", ".join("(?, ?, ?)" for _ in routes)
    conn.execute(f"INSERT INTO deliveries (message, recipient, reason) VALUES {rows}",
                 [v for rid, reason in routes for v in (message_id, rid, reason)])


def sent_summary(conn: sqlite3.Connection, message_id: int) -> dict:
    sent = conn.execute(
        "SELECT a.name, d.relay, m.thread FROM deliveries d JOIN agents a ON a.id = d.recipient "
        "JOIN messages m ON m.id = d.message WHERE d.message = ? ORDER BY d.seq",
        (message_id,)).fetchall()
    thread = sent[0][2] if sent else conn.execute(
        "SELECT thread FROM messages WHERE id = ?", (message_id,)).fetchone()[0]
    summary = {"id": message_id, "to": [f"@{r[0]}" for r in sent], "thread": thread}
    queued = [f"@{r[0]}" for r in sent if r[1] == "queued"]
    if queued:
        summary["queued"] = queued  # for another machine: `axi hosts sync` hands it over
    return summary


def receive_relayed(conn: sqlite3.Connection, machine: str, messages: list[dict]
                    ) -> tuple[list[str], dict[str, str], int]:
    """Store mail `machine` handed over (see relay.py), inside the caller's write transaction.
    Returns the global ids taken (new or seen before), those refused with the reason, and how
    many were new."""
    accepted: list[str] = []
    refused: dict[str, str] = {}
    fresh = 0
    for item in messages:
        gid = item.get("gid") if isinstance(item, dict) else None
        if not isinstance(gid, str) or not gid:
            continue
        if conn.execute("SELECT 1 FROM messages WHERE gid = ?", (gid,)).fetchone():
            accepted.append(gid)
            continue
        try:
            _store_received(conn, machine, gid, item)
        except (AxiError, ValueError, TypeError) as exc:
            refused[gid] = str(getattr(exc, "message", exc))[:200]
        else:
            accepted.append(gid)
            fresh += 1
    return accepted, refused, fresh


def _store_received(conn: sqlite3.Connection, machine: str, gid: str, item: dict) -> None:
    from axi.mailbox import relay

    sender_name = check_name(str(item.get("from", "")), "sender name")
    body = check_body(str(item.get("body", "")))
    names = item.get("to") if isinstance(item.get("to"), list) else []
    targets = []
    for name in names:
        row = recipient(conn, check_name(str(name)), "it was not delivered")
        if row["machine"]:
            raise ValueError(f"{row['name']!r} is not on this machine")
        targets.append(row["id"])
    if not targets:
        raise ValueError("no recipient on this machine")
    sender = relay.remote_identity(conn, f"{sender_name}@{machine}", machine)
    reply_to = _local_id(conn, item.get("reply"))
    thread_root = _local_id(conn, item.get("thread")) or reply_to
    thread = None
    if thread_root is not None:
        thread = conn.execute("SELECT thread FROM messages WHERE id = ?",
                              (thread_root,)).fetchone()[0]
    created = item.get("created")
    kind = item.get("kind") if item.get("kind") in ("mail", "handoff", "task") else "mail"
    cur = conn.execute(
        "INSERT INTO messages (sender, body, thread, reply_to, kind, auto, ack_required, "
        "created, gid) VALUES (?, ?, ?, ?, ?, 0, ?, ?, ?)",
        (sender["id"], body, thread, reply_to, kind, int(bool(item.get("ack"))),
         float(created) if isinstance(created, (int, float)) else clock(), gid))
    if thread is None:
        conn.execute("UPDATE messages SET thread = id WHERE id = ?", (cur.lastrowid,))
    conn.executemany("INSERT OR IGNORE INTO deliveries (message, recipient, reason) "
                     "VALUES (?, ?, 'to')", [(cur.lastrowid, t) for t in dict.fromkeys(targets)])


def _local_id(conn: sqlite3.Connection, gid: object) -> int | None:
    if not isinstance(gid, str) or not gid:
        return None
    row = conn.execute("SELECT id FROM messages WHERE gid = ?", (gid,)).fetchone()
    return row[0] if row else None


# ---- reading -------------------------------------------------------------------------------

MESSAGE_COLUMNS = ("m.id, m.sender, m.body, m.thread, m.reply_to, m.kind, m.auto, "
                   "m.ack_required, m.task, m.created, s.name AS sender_name")


def visible(conn: sqlite3.Connection, me: int, message_id: int) -> sqlite3.Row:
    """A message the caller sent or received, with the caller's delivery state if any."""
    row = conn.execute(
        f"SELECT {MESSAGE_COLUMNS}, d.seq, d.read_at, d.acked_at, d.reason "
        "FROM messages m JOIN agents s ON s.id = m.sender "
        "LEFT JOIN deliveries d ON d.message = m.id AND d.recipient = ? "
        "WHERE m.id = ? AND (m.sender = ? OR d.seq IS NOT NULL)",
        (me, message_id, me)).fetchone()
    if row is None:
        raise NotFound(f"no message {message_id} in your mail",
                       help=["`axi inbox` lists your mail"])
    return row


def inbox_rows(conn: sqlite3.Connection, me: int, unread_only: bool = False, after: int = 0,
               limit: int = 20, oldest_first: bool = False) -> list[sqlite3.Row]:
    where = " AND d.read_at IS NULL" if unread_only else ""
    order = "ASC" if oldest_first else "DESC"
    return conn.execute(
        f"SELECT {MESSAGE_COLUMNS}, d.seq, d.read_at, d.acked_at, d.reason "
        "FROM deliveries d JOIN messages m ON m.id = d.message JOIN agents s ON s.id = m.sender "
        f"WHERE d.recipient = ? AND m.id > ?{where} ORDER BY m.id {order} LIMIT ?",
        (me, after, limit)).fetchall()


def counts(conn: sqlite3.Connection, me: int) -> tuple[int, int]:
    """(total, unread) deliveries for the caller; unread is exactly what `--unread` lists."""
    row = conn.execute("SELECT count(*), count(*) FILTER (WHERE read_at IS NULL) "
                       "FROM deliveries WHERE recipient = ?", (me,)).fetchone()
    return row[0], row[1]


def recipients_of(conn: sqlite3.Connection, message_id: int) -> list[sqlite3.Row]:
    return conn.execute("SELECT a.name, d.read_at, d.acked_at, d.relay FROM deliveries d "
                        "JOIN agents a ON a.id = d.recipient WHERE d.message = ? "
                        "ORDER BY d.seq", (message_id,)).fetchall()


def state_of(row: sqlite3.Row) -> str:
    """unread, read, acked; for an agent on another machine queued, delivered or refused."""
    try:
        relayed = row["relay"]
    except (IndexError, KeyError):  # an inbox row: mail that reached its reader here
        relayed = None
    if relayed:
        return relayed
    if row["acked_at"] is not None:
        return "acked"
    if row["read_at"] is not None:
        return "read"
    return "unread"


def mark(conn: sqlite3.Connection, me: int, ids: list[int], ack: bool) -> list[dict]:
    """Mark the caller's own deliveries read (or acked, which implies read). Idempotent."""
    column = "acked_at" if ack else "read_at"
    results = []
    with write(conn):
        for message_id in ids:
            row = conn.execute("SELECT seq, read_at, acked_at FROM deliveries "
                               "WHERE message = ? AND recipient = ?", (message_id, me)).fetchone()
            if row is None:
                raise NotFound(f"no message {message_id} was delivered to you; nothing was "
                               "marked", help=["`axi inbox` lists your mail"])
            already = row[column] is not None
            if not already:
                now = clock()
                if ack:
                    conn.execute("UPDATE deliveries SET acked_at = ?, read_at = "
                                 "coalesce(read_at, ?) WHERE seq = ?", (now, now, row["seq"]))
                else:
                    conn.execute("UPDATE deliveries SET read_at = ? WHERE seq = ?",
                                 (now, row["seq"]))
            results.append({"id": message_id, "already": already})
    return results


def task_thread(conn: sqlite3.Connection, me: int, task: sqlite3.Row,
                limit: int) -> tuple[list[sqlite3.Row], int]:
    """The newest `limit` messages of a task (its thread, or tagged with it) that the caller
    sent or received, oldest first; and how many there are in all."""
    where = ("(m.task = ? OR m.thread = ?) AND (m.sender = ? OR d.seq IS NOT NULL)")
    args = (me, task["id"], task["thread"] or -1, me)
    source = ("messages m JOIN agents s ON s.id = m.sender "
              "LEFT JOIN deliveries d ON d.message = m.id AND d.recipient = ?")
    total = conn.execute(f"SELECT count(*) FROM {source} WHERE {where}", args).fetchone()[0]
    rows = conn.execute(f"SELECT {MESSAGE_COLUMNS}, d.seq, d.read_at, d.acked_at, d.reason "
                        f"FROM {source} WHERE {where} ORDER BY m.id DESC LIMIT ?",
                        (*args, limit)).fetchall()
    return rows[::-1], total
