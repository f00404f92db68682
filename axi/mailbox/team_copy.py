"""`axi mailbox migrate --to URL`: copy this machine's mailbox (the SQLite file) into a team's
PostgreSQL database, once, whatever happens to the copy or how often it is run.

Every copied row carries where it came from in the team's `source` column (`<mailbox id>:<local
id>`, the mailbox id a random one kept in the file's `meta`), and is inserted with ON CONFLICT DO
NOTHING, so a second run adds nothing. Rows are matched, and their references remapped to the
team's ids: identities by source, else by origin (the same agent already there), a relay
identity or built-in by its name and machine; messages by their global id (`gid`; mail written
before gids existed gets one first, in the local file, the only change made there); deliveries
by (message, recipient); tasks, progress and history by source; shared context by key (a value
the team already has is kept); a context file's bytes go to `blobs` under their SHA-256. An
identity the team had already (by origin, or echo by name) keeps the team's history: its changes
recorded here are not added a second time.

Everything is one write transaction. Before it commits the copy is counted again from the team
database: each table must now hold every row of this mailbox; when one does not, the whole copy
is rolled back and the error says which table. The copy runs as this machine's role, so
row-level security holds: the identities it inserts are this machine's (`role` defaults to
`current_user`).
"""

from __future__ import annotations

import hashlib
import os

from axi.errors import AxiError
from axi.mailbox import db
from axi.mailbox.db import write
from axi.mailbox.pg import ID_COLUMNS
from axi.sqlite import sqlite3

# The report's rows, in order; `files` are context files' bytes (`blobs`).
TABLES = ("agents", "messages", "deliveries", "tasks", "context", "files", "progress", "history")
COLUMNS = {
    "agents": ("name", "state", "origin", "host", "user", "folder", "tag", "created",
               "approved", "revoked", "last_seen", "listening_until", "kind", "token_hash",
               "machine"),
    "messages": ("sender", "body", "thread", "reply_to", "kind", "auto", "ack_required", "task",
                 "idem", "created", "gid"),
    "deliveries": ("message", "recipient", "reason", "read_at", "acked_at", "relay", "relay_at",
                   "relay_note"),
    "tasks": ("title", "creator", "assignee", "status", "priority", "intent", "thread",
              "created", "updated"),
    "context": ("key", "value", "blob", "size", "kind", "name", "author", "created", "expires"),
    "progress": ("message", "agent", "at", "text"),
    "history": ("at", "task", "agent", "change", "state", "actor", "owner", "folder"),
}
ORDER = {"agents": "id", "messages": "id", "deliveries": "seq", "tasks": "id", "context": "key",
         "progress": "id", "history": "id"}


def mailbox_id(conn) -> str:
    """This mailbox's own id (random, kept in `meta`): the first half of every `source`."""
    row = conn.execute("SELECT value FROM meta WHERE key = 'mailbox_id'").fetchone()
    if row:
        return row[0]
    with write(conn):
        conn.execute("INSERT OR IGNORE INTO meta VALUES ('mailbox_id', ?)", (os.urandom(8).hex(),))
    return conn.execute("SELECT value FROM meta WHERE key = 'mailbox_id'").fetchone()[0]


def give_gids(conn) -> int:
    """A global id for every message without one (written before schema 6): forward only,
    nothing else changes. Returns how many were given."""
    from axi.mailbox.relay import new_gid

    with write(conn):
        ids = [r[0] for r in conn.execute("SELECT id FROM messages WHERE gid IS NULL")]
        for message_id in ids:
            conn.execute("UPDATE messages SET gid = ? WHERE id = ? AND gid IS NULL",
                         (new_gid(), message_id))
    return len(ids)


def read_local() -> tuple[str, dict[str, list]]:
    """This machine's mailbox id and every row to copy, after giving old mail its gids."""
    local = db.connect()
    try:
        ident = mailbox_id(local)
        give_gids(local)
        rows = {t: local.execute(f"SELECT * FROM {t} ORDER BY {o}").fetchall()
                for t, o in ORDER.items()}
    finally:
        local.close()
    return ident, rows


def local_files(context_rows: list) -> tuple[dict[str, bytes], list[str]]:
    """The bytes of every context file by SHA-256, and the keys whose file cannot be read here
    as stored (missing, or changed on disk: `axi context get` refuses those already)."""
    from axi.mailbox.context import MAX_FILE, artifacts_dir

    found: dict[str, bytes] = {}
    unreadable: list[str] = []
    for row in context_rows:
        sha = row["blob"]
        if not sha or sha in found:
            continue
        try:
            with open(os.path.join(artifacts_dir(), sha), "rb") as fh:
                data = fh.read(MAX_FILE + 1)
        except OSError:
            data = None
        if data is None or hashlib.sha256(data).hexdigest() != sha:
            unreadable.append(row["key"])
        else:
            found[sha] = data
    return found, unreadable


def copy(url: str) -> dict:
    """Copy the local mailbox into the team database at `url` (its schema brought up to date
    when this role owns it). Returns the mailbox id, the per-table counts and the context keys
    whose file could not be read here."""
    from axi.mailbox import store

    ident, rows = read_local()
    files, unreadable = local_files(rows["context"])
    team = store.connect_team(url)
    try:
        with write(team):
            counts = _Copy(team, ident, rows, files).run()
    except AxiError as exc:
        if exc.code != "MAILBOX_DENIED":
            raise
        raise AxiError(f"{exc.message}; nothing was copied", code="MAILBOX_DENIED", help=[
            "a row of this mailbox acts as an identity another machine's role owns there "
            "(the same name or origin), or this role lacks a grant: `axi doctor` checks them",
            "the local mailbox keeps all it had"]) from None
    except sqlite3.Error as exc:  # what the team connection raises for any other refusal
        raise AxiError(f"the team database refused the copy: {str(exc).splitlines()[0]}; "
                       "nothing was copied", code="MIGRATE_FAILED",
                       help=["the local mailbox keeps all it had; `axi mailbox status` checks the "
                             "team database"]) from None
    finally:
        team.close()
    return {"mailbox_id": ident, "tables": counts, "unreadable_files": unreadable}


class _Copy:
    def __init__(self, team, ident: str, rows: dict[str, list], files: dict[str, bytes]):
        self.team, self.ident, self.rows, self.files = team, ident, rows, files
        self.ids: dict[str, dict] = {}
        self.added = dict.fromkeys(TABLES, 0)
        self.new_tasks: list = []  # their thread is set once the messages are in

    def source(self, local_id: int) -> str:
        return f"{self.ident}:{local_id}"

    def run(self) -> list[dict]:
        already = self.find()
        for step in (self.agents, self.tasks, self.messages, self.task_threads,
                     self.deliveries, self.context, self.blobs, self.progress, self.history):
            step()
        present = self.find()
        totals = {t: len(self.rows[t]) for t in ORDER}
        totals["files"] = len(self.files)
        out = []
        for table in TABLES:
            if present[table] != totals[table]:
                raise AxiError(
                    f"the copy did not add up: the team database holds {present[table]} of "
                    f"this mailbox's {totals[table]} {table}; nothing was copied",
                    code="MIGRATE_MISMATCH", help=[
                        "another machine's rows may hold the same names or ids: "
                        "`axi mailbox status` shows the team database",
                        "the local mailbox keeps all it had; run the migrate again once fixed"])
            out.append({"table": table, "copied": self.added[table],
                        "already": already[table], "total": totals[table]})
        return out

    # -- matching: the team's counterpart of each local row, counted ------------------------
    def find(self) -> dict[str, int]:
        """Map every local row that has a counterpart in the team database; count them."""
        team, rows = self.team, self.rows
        ids: dict[str, dict] = {t: {} for t in TABLES}
        found_there: set[int] = set()  # identities the team had before this mailbox came
        by_source, by_origin, by_name = {}, {}, {}
        for r in team.execute("SELECT id, name, origin, source, kind, machine FROM agents"):
            by_source[r["source"]] = r["id"]
            by_origin[r["origin"]] = r["id"]
            by_name[r["name"]] = r
        for a in rows["agents"]:
            match = by_source.get(self.source(a["id"])) or by_origin.get(a["origin"])
            named = by_name.get(a["name"])
            if match is None and named is not None and a["kind"] == "builtin" and (
                    named["kind"], named["machine"]) == ("builtin", a["machine"]):
                match = named["id"]  # echo, or the same agent of another machine
            if match is not None:
                ids["agents"][a["id"]] = match
                if match != by_source.get(self.source(a["id"])):
                    found_there.add(a["id"])
        gids = {m["gid"]: m["id"] for m in rows["messages"]}
        for r in self._any("SELECT id, gid FROM messages WHERE gid = ANY(?)", list(gids)):
            ids["messages"][gids[r["gid"]]] = r["id"]
        for table in ("tasks", "progress", "history"):
            sources = {self.source(r["id"]): r["id"] for r in rows[table]}
            for r in self._any(f"SELECT id, source FROM {table} WHERE source = ANY(?)",
                               list(sources)):
                ids[table][sources[r["source"]]] = r["id"]
        for h in rows["history"]:  # such an identity's own changes are the team's already
            if h["agent"] in found_there:
                ids["history"].setdefault(h["id"], None)
        pairs = {(r["message"], r["recipient"]): r["seq"] for r in self._any(
            "SELECT seq, message, recipient FROM deliveries WHERE message = ANY(?)",
            list(ids["messages"].values()))}
        for d in rows["deliveries"]:
            key = (ids["messages"].get(d["message"]), ids["agents"].get(d["recipient"]))
            if key in pairs:
                ids["deliveries"][d["seq"]] = pairs[key]
        for r in self._any("SELECT key FROM context WHERE key = ANY(?)",
                           [c["key"] for c in rows["context"]]):
            ids["context"][r["key"]] = r["key"]
        for r in self._any("SELECT sha FROM blobs WHERE sha = ANY(?)", list(self.files)):
            ids["files"][r["sha"]] = r["sha"]
        self.ids = ids
        return {t: len(ids[t]) for t in TABLES}

    def _any(self, sql: str, values: list) -> list:
        return self.team.execute(sql, (values,)).fetchall() if values else []

    # -- inserting what is missing -----------------------------------------------------------
    def _insert(self, table: str, row, changed: dict, with_source: bool = True,
                required: str | None = None):
        """Insert `row` with the `changed` (remapped) columns; the new id (rowcount for a
        table without one), or None when it was there already. `required`: what the row is,
        for the error when it must be new but the team database took none."""
        columns = list(COLUMNS[table])
        values = [changed[c] if c in changed else row[c] for c in columns]
        if with_source:
            columns.append("source")
            values.append(self.source(row["id"]))
        names = ", ".join(f'"{c}"' for c in columns)
        marks = ", ".join("?" * len(columns))
        cursor = self.team.execute(f"INSERT INTO {table} ({names}) VALUES ({marks}) "
                                   "ON CONFLICT DO NOTHING", values)
        new = cursor.lastrowid if table in ID_COLUMNS else cursor.rowcount
        if new:
            self.added[table] += 1
        elif required:
            raise _refused(table, required)
        return new

    def agents(self) -> None:
        mapped = self.ids["agents"]
        taken = {r[0] for r in self.team.execute("SELECT name FROM agents")}
        for a in self.rows["agents"]:
            if a["id"] in mapped:
                continue
            if a["name"] in taken:
                raise AxiError(
                    f"the team mailbox already has an identity named {a['name']!r}, another "
                    "than this machine's; nothing was copied", code="NAME_TAKEN", help=[
                        f"rename one of them, or revoke and drop this machine's "
                        f"{a['name']!r} before migrating",
                        "`axi agents` (with AXI_MAILBOX_URL set to the team's) lists the "
                        "team's identities"])
            mapped[a["id"]] = self._insert("agents", a, {}, required=repr(a["name"]))

    def tasks(self) -> None:
        agents, mapped = self.ids["agents"], self.ids["tasks"]
        for t in self.rows["tasks"]:
            if t["id"] not in mapped:
                mapped[t["id"]] = self._insert("tasks", t, {
                    "creator": agents[t["creator"]], "assignee": agents[t["assignee"]],
                    "thread": None}, required=f"task {t['id']}")
                self.new_tasks.append(t)

    def messages(self) -> None:
        agents, tasks, mapped = self.ids["agents"], self.ids["tasks"], self.ids["messages"]
        later = []
        for m in self.rows["messages"]:
            if m["id"] in mapped:
                continue
            thread, reply = mapped.get(m["thread"]), mapped.get(m["reply_to"])
            mapped[m["id"]] = self._insert("messages", m, {
                "sender": agents[m["sender"]], "thread": thread, "reply_to": reply,
                "task": tasks.get(m["task"])}, required=f"message {m['id']}")
            if (m["thread"] and thread is None) or (m["reply_to"] and reply is None):
                later.append(m)  # the thread's first message is this one (or comes after)
        for m in later:
            self.team.execute("UPDATE messages SET thread = ?, reply_to = ? WHERE id = ?",
                              (mapped.get(m["thread"]), mapped.get(m["reply_to"]),
                               mapped[m["id"]]))

    def task_threads(self) -> None:
        for t in self.new_tasks:
            if t["thread"] is not None:
                self.team.execute("UPDATE tasks SET thread = ? WHERE id = ?",
                                  (self.ids["messages"].get(t["thread"]),
                                   self.ids["tasks"][t["id"]]))

    def deliveries(self) -> None:
        agents, messages = self.ids["agents"], self.ids["messages"]
        for d in self.rows["deliveries"]:
            if d["seq"] not in self.ids["deliveries"]:
                self._insert("deliveries", d, {"message": messages[d["message"]],
                                               "recipient": agents[d["recipient"]]},
                             with_source=False)

    def context(self) -> None:
        for c in self.rows["context"]:
            if c["key"] not in self.ids["context"]:  # a value the team has is kept
                self._insert("context", c, {"author": self.ids["agents"][c["author"]]},
                             with_source=False)

    def blobs(self) -> None:
        for sha, data in self.files.items():
            if sha not in self.ids["files"]:
                self.added["files"] += self.team.execute(
                    "INSERT INTO blobs (sha, data) VALUES (?, ?) ON CONFLICT DO NOTHING",
                    (sha, data)).rowcount

    def progress(self) -> None:
        for p in self.rows["progress"]:
            if p["id"] not in self.ids["progress"]:
                self._insert("progress", p, {"message": self.ids["messages"][p["message"]],
                                             "agent": self.ids["agents"][p["agent"]]})

    def history(self) -> None:
        agents, tasks = self.ids["agents"], self.ids["tasks"]
        for h in self.rows["history"]:
            if h["id"] not in self.ids["history"]:
                self._insert("history", h, {
                    "task": tasks.get(h["task"]), "agent": agents.get(h["agent"]),
                    "actor": agents.get(h["actor"]), "owner": agents.get(h["owner"])})


def _refused(table: str, what: str) -> AxiError:
    return AxiError(f"the team mailbox took no row for {what} in {table} (a row of another "
                    "machine holds its name or id, out of this role's sight); nothing was "
                    "copied", code="MIGRATE_CONFLICT", help=[
                        "the team's admin can look for it as the database's owner",
                        "the local mailbox keeps all it had"])
