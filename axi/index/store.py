"""The catalog index: a SQLite cache in the state dir. Deleting it loses nothing.

Many short-lived axi processes open it at once: WAL lets readers run beside the one writer,
a busy timeout absorbs brief contention, and every write is one short `BEGIN IMMEDIATE`.
A schema change simply rebuilds the cache. Being a cache, it skips fsync (`synchronous = OFF`):
an OS crash may at worst corrupt it, and a corrupt index is deleted and rebuilt on open.

Search text is stored with each session; `files.text_at` says how far into each transcript it
goes. A cold index stores summaries first and leaves the text to a second pass in the
background (`axi.index.texts`); a warm refresh reads it with the summary. The full-text index
over it (`texts_fts`, external content) is brought up to date after that pass, or by the first
search after new text arrived, so indexing sessions never waits for tokenising text.
"""

from __future__ import annotations

import os

from axi.paths import state_dir
from axi.quiet import suppress
from axi.sqlite import sqlite3

SCHEMA_VERSION = "13"  # 13: tallies (sessions per folder, kept by triggers); indexes for
# a busy folder's newest sessions (sessions_last) and the newest directories (dirs_mtime)
BUSY_MS = 5000

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS files (
    path TEXT PRIMARY KEY, harness TEXT NOT NULL, size INTEGER, mtime_ns INTEGER,
    inode INTEGER, offset INTEGER, text_at INTEGER, state TEXT, session_key TEXT
);
CREATE TABLE IF NOT EXISTS dirs (path TEXT PRIMARY KEY, mtime_ns INTEGER);
CREATE INDEX IF NOT EXISTS dirs_mtime ON dirs(mtime_ns);  -- a quick refresh's newest dirs
CREATE INDEX IF NOT EXISTS files_mtime ON files(mtime_ns);
CREATE INDEX IF NOT EXISTS files_session ON files(session_key);
CREATE TABLE IF NOT EXISTS sessions (
    key TEXT PRIMARY KEY, harness TEXT NOT NULL, id TEXT NOT NULL, source TEXT, dir TEXT,
    title TEXT, title_source TEXT, model TEXT, provider TEXT, git_branch TEXT,
    created REAL, last REAL, turns INTEGER, input INTEGER, output INTEGER,
    cache_read INTEGER, cache_write INTEGER, ctx_tokens INTEGER, ctx_window INTEGER,
    turn_open INTEGER, parent_id TEXT, is_subagent INTEGER, first_uuid TEXT, skipped INTEGER,
    reasoning INTEGER
);
CREATE INDEX IF NOT EXISTS sessions_id ON sessions(id);
-- Covers the folder-scoped counts and newest-first lists the dashboard runs on every start.
CREATE INDEX IF NOT EXISTS sessions_scope ON sessions(is_subagent, dir, last);
-- Newest first for every folder, and for a busy one (`tallies.newest_where`): it carries what
-- the walk tests, so no session row is read until one is picked.
CREATE INDEX IF NOT EXISTS sessions_last ON sessions(last, is_subagent, dir);
CREATE INDEX IF NOT EXISTS sessions_parent ON sessions(parent_id);
CREATE TABLE IF NOT EXISTS usage (
    session_key TEXT NOT NULL, hour INTEGER NOT NULL, model TEXT NOT NULL,
    input INTEGER, output INTEGER, cache_read INTEGER, cache_write INTEGER, cost REAL,
    reasoning INTEGER, PRIMARY KEY (session_key, hour, model)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS texts (
    rowid INTEGER PRIMARY KEY AUTOINCREMENT, session_key TEXT NOT NULL, role TEXT, ts REAL,
    cursor INTEGER, text TEXT
);
CREATE TABLE IF NOT EXISTS lifecycle (
    harness TEXT NOT NULL, id TEXT NOT NULL, started REAL, source TEXT, ended REAL, reason TEXT,
    state TEXT, state_at REAL, PRIMARY KEY (harness, id)
) WITHOUT ROWID;
CREATE VIRTUAL TABLE IF NOT EXISTS texts_fts USING fts5(
    text, content = 'texts', content_rowid = 'rowid', tokenize = 'unicode61'
);
-- Sessions (sub-agents aside) per folder ('' for none), kept by the triggers below: a count
-- of a machine's or a folder's sessions reads a few hundred of these rows, not an index entry
-- per session (a millisecond per 10,000 sessions on every dashboard and list).
CREATE TABLE IF NOT EXISTS tallies (dir TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID;
"""

# Sessions are written with INSERT OR REPLACE, whose implicit delete fires no DELETE trigger
# (recursive_triggers is off): the BEFORE INSERT one takes the replaced row out of its tally.
TRIGGERS = (
    """CREATE TRIGGER IF NOT EXISTS tally_replaced BEFORE INSERT ON sessions BEGIN
        UPDATE tallies SET n = n - 1 WHERE dir = (SELECT coalesce(dir, '') FROM sessions
            WHERE key = NEW.key AND is_subagent = 0);
    END""",
    """CREATE TRIGGER IF NOT EXISTS tally_inserted AFTER INSERT ON sessions
        WHEN NEW.is_subagent = 0 BEGIN
        INSERT INTO tallies VALUES (coalesce(NEW.dir, ''), 1)
            ON CONFLICT (dir) DO UPDATE SET n = n + 1;
    END""",
    """CREATE TRIGGER IF NOT EXISTS tally_deleted AFTER DELETE ON sessions
        WHEN OLD.is_subagent = 0 BEGIN
        UPDATE tallies SET n = n - 1 WHERE dir = coalesce(OLD.dir, '');
    END""",
    """CREATE TRIGGER IF NOT EXISTS tally_updated AFTER UPDATE OF dir, is_subagent ON sessions
        BEGIN
        UPDATE tallies SET n = n - 1 WHERE OLD.is_subagent = 0 AND dir = coalesce(OLD.dir, '');
        INSERT INTO tallies SELECT coalesce(NEW.dir, ''), 1 WHERE NEW.is_subagent = 0
            ON CONFLICT (dir) DO UPDATE SET n = n + 1;
    END""",
)


# Indexes a first index builds once its rows are in: one sort of every row costs less than
# keeping each index up to date row by row (about a third of storing a cold index's rows).
DEFERRED = ("sessions_id", "sessions_scope", "sessions_last", "sessions_parent", "files_mtime",
            "files_session")


def defer_indexes(conn: sqlite3.Connection) -> None:
    """Before a first index stores every session: drop the DEFERRED indexes (still empty)
    until `build_deferred`. Meanwhile queries read whole tables, rightly, only slower."""
    with write(conn):
        for name in DEFERRED:
            conn.execute(f"DROP INDEX IF EXISTS {name}")
        conn.execute("INSERT OR REPLACE INTO meta VALUES ('indexes', 'deferred')")


def build_deferred(conn: sqlite3.Connection) -> None:
    """Inside a write: build the indexes `defer_indexes` dropped, if it did."""
    if get_meta(conn, "indexes") != "deferred":
        return
    for name in DEFERRED:
        start = SCHEMA.index(f"CREATE INDEX IF NOT EXISTS {name} ")
        conn.execute(SCHEMA[start:SCHEMA.index(";", start)])
    conn.execute("DELETE FROM meta WHERE key = 'indexes'")


def index_path() -> str:
    return os.path.join(state_dir(), "index.db")


def connect(path: str | None = None) -> sqlite3.Connection:
    """Open (creating if needed) the index; rebuild it when its schema is from another version."""
    path = path or index_path()
    fresh = not os.path.exists(path)
    conn = _open(path)
    if fresh:
        os.chmod(path, 0o600)
    try:
        version = _version(conn)
    except sqlite3.DatabaseError:  # corrupt or not a database: it is only a cache
        version = "corrupt"
    if version != SCHEMA_VERSION:
        if version is not None:
            conn.close()
            _remove(path)
            conn = _open(path)
        with write(conn):
            for statement in SCHEMA.split(";"):
                if statement.strip():
                    conn.execute(statement)
            for trigger in TRIGGERS:
                conn.execute(trigger)
            conn.execute("INSERT OR REPLACE INTO meta VALUES ('schema', ?)", (SCHEMA_VERSION,))
    return conn


def _open(path: str) -> sqlite3.Connection:
    if not os.path.exists(path):  # SQLite would make it (and its WAL) with the umask's mode
        from axi.paths import private_open

        os.close(private_open(path, os.O_WRONLY | os.O_CREAT))
    conn = sqlite3.connect(path, timeout=BUSY_MS / 1000, isolation_level=None,
                           check_same_thread=False)
    conn.row_factory = sqlite3.Row
    try:
        conn.execute("PRAGMA journal_mode = WAL")
    except sqlite3.DatabaseError:
        conn.close()
        _remove(path)
        return _open(path)
    conn.execute("PRAGMA synchronous = OFF")
    # Statement journals (every INSERT OR REPLACE inside a transaction opens one) in memory:
    # as temporary files they were most of what storing a cold index wrote to the disk.
    conn.execute("PRAGMA temp_store = MEMORY")
    conn.execute(f"PRAGMA busy_timeout = {BUSY_MS}")
    conn.execute(f"PRAGMA journal_size_limit = {WAL_CUT}")
    return conn


# A WAL restarting from its start is cut back to its first commit: every later commit then
# grows the file, so its size tells a commit (`paths.stamp`; a replayed dashboard rests on it).
# Left at its longest, a commit after a restart overwrites old frames inside its length.
WAL_CUT = 0


def _version(conn: sqlite3.Connection) -> str | None:
    try:
        row = conn.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
    except sqlite3.OperationalError as exc:
        if "no such table" not in str(exc):
            raise
        return None
    return row[0] if row else None


def _remove(path: str) -> None:
    for suffix in ("", "-wal", "-shm"):
        with suppress(FileNotFoundError):
            os.unlink(path + suffix)


class write:
    """`with write(conn):` one short BEGIN IMMEDIATE transaction."""

    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn

    def __enter__(self) -> sqlite3.Connection:
        self.conn.execute("BEGIN IMMEDIATE")
        return self.conn

    def __exit__(self, exc_type, exc, tb) -> None:
        self.conn.execute("ROLLBACK" if exc_type else "COMMIT")


def get_meta(conn: sqlite3.Connection, key: str) -> str | None:
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return row[0] if row else None


def catch_up_search(conn: sqlite3.Connection, batch: int | None = None) -> int:
    """Add text stored since the last search to the full-text index; returns rows added.

    With `batch`, one short write per `batch` rows (the background sweep's way: other
    writers get their turn between batches); without, one write for all of it."""
    top = conn.execute("SELECT coalesce(max(rowid), 0) FROM texts").fetchone()[0]
    added = 0
    while top > int(get_meta(conn, "fts_upto") or 0):
        with write(conn):
            added += index_texts(conn, batch, top)
    return added


def index_texts(conn: sqlite3.Connection, batch: int | None = None, top: int | None = None
                ) -> int:
    """Inside a write: add the text stored since the last search to the full-text index (at
    most `batch` rows, up to rowid `top`); returns rows added."""
    if top is None:
        top = conn.execute("SELECT coalesce(max(rowid), 0) FROM texts").fetchone()[0]
    upto = int(get_meta(conn, "fts_upto") or 0)  # another search may have done it
    end = top if batch is None else min(top, upto + batch)
    if end <= upto:
        return 0
    added = max(conn.execute("INSERT INTO texts_fts (rowid, text) SELECT rowid, text FROM texts "
                             "WHERE rowid > ? AND rowid <= ?", (upto, end)).rowcount, 0)
    conn.execute("INSERT OR REPLACE INTO meta VALUES ('fts_upto', ?)", (str(end),))
    return added
