"""The mailbox database: `mailbox.sqlite` in the state dir, separate from the catalog index.

Many short-lived processes open it at once. WAL lets readers run beside the one writer; the busy
timeout absorbs contention; every write is one short `BEGIN IMMEDIATE` transaction, so a send is
atomic. `synchronous = FULL`: mail is low volume and a commit that returned must survive a crash.
The schema is versioned and only ever migrated forward, one idempotent step at a time.
"""

from __future__ import annotations

import os
import time

from axi.errors import AxiError
from axi.paths import private_open, state_dir
from axi.sqlite import sqlite3

FILENAME = "mailbox.sqlite"
BUSY_MS = 15000

# Each step runs once, in its own write transaction, and is safe to race: the version is
# re-read inside the transaction. Never edit a released step; append a new one.
MIGRATIONS: list[tuple[int, str]] = [
    (1, """
    CREATE TABLE IF NOT EXISTS agents (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        state TEXT NOT NULL CHECK (state IN ('pending', 'approved', 'revoked')),
        origin TEXT NOT NULL UNIQUE,
        host TEXT NOT NULL, user TEXT NOT NULL, folder TEXT NOT NULL,
        tag TEXT NOT NULL DEFAULT '',
        created REAL NOT NULL, approved REAL, revoked REAL,
        last_seen REAL, listening_until REAL
    );
    CREATE TABLE IF NOT EXISTS messages (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        sender INTEGER NOT NULL REFERENCES agents(id),
        body TEXT NOT NULL,
        thread INTEGER,
        reply_to INTEGER REFERENCES messages(id),
        kind TEXT NOT NULL DEFAULT 'mail',
        auto INTEGER NOT NULL DEFAULT 0,
        ack_required INTEGER NOT NULL DEFAULT 0,
        task INTEGER,
        idem TEXT,
        created REAL NOT NULL,
        UNIQUE (sender, idem)
    );
    CREATE INDEX IF NOT EXISTS messages_thread ON messages(thread, id);
    CREATE TABLE IF NOT EXISTS deliveries (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        message INTEGER NOT NULL REFERENCES messages(id),
        recipient INTEGER NOT NULL REFERENCES agents(id),
        reason TEXT NOT NULL,
        read_at REAL,
        acked_at REAL,
        UNIQUE (message, recipient)
    );
    CREATE INDEX IF NOT EXISTS deliveries_recipient ON deliveries(recipient, seq);
    CREATE TABLE IF NOT EXISTS tasks (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        title TEXT NOT NULL,
        creator INTEGER NOT NULL REFERENCES agents(id),
        assignee INTEGER NOT NULL REFERENCES agents(id),
        status TEXT NOT NULL,
        priority TEXT NOT NULL,
        intent TEXT,
        thread INTEGER,
        created REAL NOT NULL,
        updated REAL NOT NULL
    );
    CREATE INDEX IF NOT EXISTS tasks_assignee ON tasks(assignee, status);
    """),
    # The control plane: sessions axi launched, the runs they form, and questions they ask.
    (2, """
    CREATE TABLE IF NOT EXISTS launches (
        id TEXT PRIMARY KEY,
        session TEXT,
        harness TEXT NOT NULL,
        mode TEXT NOT NULL CHECK (mode IN ('watched', 'headless')),
        run TEXT NOT NULL,
        parent TEXT,
        depth INTEGER NOT NULL,
        name TEXT,
        dir TEXT NOT NULL,
        task TEXT,
        model TEXT,
        spec TEXT NOT NULL,
        labels TEXT NOT NULL DEFAULT '{}',
        created REAL NOT NULL,
        holder_pid INTEGER, holder_token TEXT,
        child_pid INTEGER, child_token TEXT,
        started REAL,
        ended REAL, exit_code INTEGER, exit_signal INTEGER, end_reason TEXT, tail TEXT,
        outcome TEXT, outcome_at REAL, result TEXT
    );
    CREATE INDEX IF NOT EXISTS launches_run ON launches(run, created);
    CREATE INDEX IF NOT EXISTS launches_session ON launches(session);
    CREATE TABLE IF NOT EXISTS runs (
        id TEXT PRIMARY KEY,
        root TEXT,
        task TEXT,
        fences TEXT NOT NULL DEFAULT '{}',
        started REAL NOT NULL,
        concluded REAL,
        outcome TEXT,
        reason TEXT,
        totals TEXT
    );
    CREATE TABLE IF NOT EXISTS asks (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        launch TEXT NOT NULL,
        question TEXT NOT NULL,
        kind TEXT NOT NULL DEFAULT 'question',
        asked REAL NOT NULL,
        answer TEXT,
        answered REAL
    );
    CREATE INDEX IF NOT EXISTS asks_open ON asks(launch, answered);
    """),
    # The launch policy in force when a run started binds every launch in it.
    (3, """
    ALTER TABLE runs ADD COLUMN policy TEXT
    """),
    # Shared context: a text value, or a file kept in artifacts/ under its SHA-256 (`blob`).
    (4, """
    CREATE TABLE IF NOT EXISTS context (
        key TEXT PRIMARY KEY,
        value TEXT,
        blob TEXT,
        size INTEGER NOT NULL,
        kind TEXT NOT NULL,
        name TEXT,
        author INTEGER NOT NULL REFERENCES agents(id),
        created REAL NOT NULL,
        expires REAL
    );
    CREATE INDEX IF NOT EXISTS context_blob ON context(blob)
    """),
    # Identities that are not an agent in a folder. `kind`: agent (bound to a folder, as every
    # identity before), service (a script authenticated by a token file; only the token's
    # SHA-256 is kept, in `token_hash`), person (the person at their own terminal), builtin
    # (echo). Those have no folder: `folder` (NOT NULL since step 1) holds '' for them, and
    # `origin` a random fingerprint whose first characters are the confirmation code.
    (5, """
    ALTER TABLE agents ADD COLUMN kind TEXT NOT NULL DEFAULT 'agent'
        CHECK (kind IN ('agent', 'service', 'person', 'builtin'));
    ALTER TABLE agents ADD COLUMN token_hash TEXT
    """),
    # Mail between machines (axi/mailbox/relay.py): a message's global id, an identity for an
    # agent on another machine (`machine` set; stored as kind 'builtin', the CHECK of step 5
    # cannot be widened in place), and a delivery to it waiting for a sync (`relay`: queued,
    # then delivered or refused, with the far side's reason in `relay_note`).
    (6, """
    ALTER TABLE messages ADD COLUMN gid TEXT;
    CREATE UNIQUE INDEX IF NOT EXISTS messages_gid ON messages(gid);
    ALTER TABLE agents ADD COLUMN machine TEXT;
    ALTER TABLE deliveries ADD COLUMN relay TEXT;
    ALTER TABLE deliveries ADD COLUMN relay_at REAL;
    ALTER TABLE deliveries ADD COLUMN relay_note TEXT;
    CREATE INDEX IF NOT EXISTS deliveries_relay ON deliveries(relay) WHERE relay IS NOT NULL
    """),
    # Tags of sessions axi did not launch, by catalog session key (`harness:id`): the user's
    # data, so they outlive the index. A launched session's stay in `launches.labels`
    # (`axi/control/tags.py` reads both).
    (7, """
    CREATE TABLE IF NOT EXISTS session_tags (
        session_key TEXT PRIMARY KEY,
        labels TEXT NOT NULL,
        updated REAL
    )
    """),
    # Progress a `listen --exec` handler reported while working on a message (lines it printed
    # with the `axi-progress:` prefix): the sender's "working on it", and activity events.
    (8, """
    CREATE TABLE IF NOT EXISTS progress (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        message INTEGER NOT NULL REFERENCES messages(id),
        agent INTEGER NOT NULL REFERENCES agents(id),
        at REAL NOT NULL,
        text TEXT NOT NULL
    );
    CREATE INDEX IF NOT EXISTS progress_message ON progress(message, id)
    """),
    # History (axi/mailbox/history.py): every move of a task (created, assigned, a status
    # change, a note) and every change of an identity (pending, approved, revoked, moved with
    # `init --move`, created approved), appended in the change's own transaction and never
    # rewritten; `axi activity` reads it. A row is a task's (`task`) or an identity's
    # (`agent`); `state` is the status or state after it, `actor` who moved a task (NULL when
    # not known), `owner` the task's owner after it, `folder` the identity's folder then.
    # The rows the older columns still tell are copied in (what `axi activity` derived from
    # them before: a task's creation and latest change, an identity's creation, approval and
    # revocation), so the stream stays the same across this step and grows from here.
    (9, """
    CREATE TABLE IF NOT EXISTS history (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at REAL NOT NULL,
        task INTEGER REFERENCES tasks(id),
        agent INTEGER REFERENCES agents(id),
        change TEXT NOT NULL,
        state TEXT NOT NULL,
        actor INTEGER REFERENCES agents(id),
        owner INTEGER REFERENCES agents(id),
        folder TEXT,
        CHECK ((task IS NULL) != (agent IS NULL))
    );
    CREATE INDEX IF NOT EXISTS history_at ON history(at);
    CREATE INDEX IF NOT EXISTS history_task ON history(task) WHERE task IS NOT NULL;
    CREATE INDEX IF NOT EXISTS history_agent ON history(agent) WHERE agent IS NOT NULL;
    INSERT INTO history (at, task, change, state, actor, owner)
        SELECT created, id, 'created', 'open', creator, assignee FROM tasks ORDER BY id;
    INSERT INTO history (at, task, change, state, owner)
        SELECT updated, id, 'status', status, assignee FROM tasks
        WHERE round(updated * 1000) > round(created * 1000) ORDER BY id;
    INSERT INTO history (at, agent, change, state, folder)
        SELECT created, id, 'pending', 'pending', folder FROM agents ORDER BY id;
    INSERT INTO history (at, agent, change, state)
        SELECT approved, id, 'approved', 'approved' FROM agents
        WHERE approved IS NOT NULL ORDER BY id;
    INSERT INTO history (at, agent, change, state)
        SELECT revoked, id, 'revoked', 'revoked' FROM agents
        WHERE revoked IS NOT NULL ORDER BY id
    """),
    # Sends waiting for a team mailbox that could not be reached (axi/mailbox/outbox.py):
    # `target` the database they are for (no password), `idem` the key that makes them go out
    # once, `payload` what was asked (JSON), then `sent_at` and the team's `message` id, or
    # `refused` with the team's reason. Rows are kept, never deleted.
    (10, """
    CREATE TABLE IF NOT EXISTS outbox (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        target TEXT NOT NULL,
        idem TEXT NOT NULL,
        payload TEXT NOT NULL,
        created REAL NOT NULL,
        sent_at REAL,
        message INTEGER,
        refused TEXT
    );
    CREATE INDEX IF NOT EXISTS outbox_waiting ON outbox(target, id) WHERE sent_at IS NULL
    """),
]
LATEST = MIGRATIONS[-1][0]
OPEN_TRIES = 40  # about 40 s of waiting, on top of each try's busy timeout


def mailbox_path() -> str:
    return os.path.join(state_dir(), FILENAME)


def exists() -> bool:
    return os.path.exists(mailbox_path())


def connect(path: str | None = None) -> sqlite3.Connection:
    """Open the mailbox, creating it (0600) and migrating it forward as needed."""
    path = path or mailbox_path()
    if not os.path.exists(path):
        os.close(private_open(path, os.O_CREAT | os.O_WRONLY))
    for attempt in range(OPEN_TRIES):
        conn = None
        try:
            conn = _open(path)
            migrate(conn)
            return conn
        except sqlite3.OperationalError as exc:
            if conn is not None:
                conn.close()
            # Locked, not damaged: another process is creating or migrating it (setting WAL
            # on a new file takes a lock no busy timeout covers). Wait and open it again.
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise unreadable(path, exc) from None
            if attempt == OPEN_TRIES - 1:
                raise AxiError(f"the mailbox stayed busy: {exc}", code="MAILBOX_BUSY",
                               help=["retry the command"]) from None
            time.sleep(0.05 * (attempt + 1))
        except sqlite3.DatabaseError as exc:
            raise unreadable(path, exc) from None
    raise AssertionError("unreachable")  # pragma: no cover


def connect_readonly(path: str) -> sqlite3.Connection:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=1.0,
                           isolation_level=None, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    return conn


def _open(path: str) -> sqlite3.Connection:
    conn = sqlite3.connect(path, timeout=BUSY_MS / 1000, isolation_level=None,
                           check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.execute(f"PRAGMA busy_timeout = {BUSY_MS}")
    if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
        conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA journal_size_limit = 0")  # commits grow the WAL: `store.WAL_CUT`
    return conn


def schema_version(conn: sqlite3.Connection) -> int:
    try:
        row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    except sqlite3.OperationalError:
        return 0
    return int(row[0]) if row else 0


def migrate(conn: sqlite3.Connection) -> None:
    current = schema_version(conn)
    if current == LATEST:
        return
    if current > LATEST:
        raise AxiError(f"the mailbox has schema {current}; this axi knows up to {LATEST}",
                       code="MAILBOX_NEWER", help=["upgrade axi; the mailbox was left as is"])
    with write(conn):
        conn.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
    for version, script in MIGRATIONS:
        with write(conn):
            if schema_version(conn) >= version:
                continue
            for statement in script.split(";"):
                if statement.strip():
                    conn.execute(statement)
            conn.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)",
                         (str(version),))


class write:
    """`with write(conn):` one short BEGIN IMMEDIATE transaction; rolled back on any error.

    `shared`: the writes conflict with no other shared write's (a send), so a team mailbox
    (axi/mailbox/pg.py) may run them side by side; SQLite runs every write alone anyway."""

    def __init__(self, conn: sqlite3.Connection, shared: bool = False):
        self.conn = conn
        self.shared = shared

    def __enter__(self) -> sqlite3.Connection:
        begin = getattr(self.conn, "begin_write", None)
        if begin is not None:
            begin(shared=self.shared)
            return self.conn
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise AxiError(f"the mailbox stayed busy for {BUSY_MS // 1000}s: {exc}",
                           code="MAILBOX_BUSY", help=["retry the command"]) from None
        return self.conn

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.conn.execute("COMMIT")
        elif self.conn.in_transaction:
            self.conn.execute("ROLLBACK")


def unreadable(path: str, exc: Exception) -> AxiError:
    return AxiError(f"the mailbox at {path} cannot be opened: {exc}", code="MAILBOX_UNREADABLE",
                    help=["it was not modified; move it aside to start a new one, or restore "
                          "it from a backup"])


def integrity(conn: sqlite3.Connection) -> str:
    return conn.execute("PRAGMA integrity_check").fetchone()[0]
