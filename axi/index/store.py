"""The catalog index: a SQLite cache in the state dir. Deleting it loses nothing.

Many short-lived axi processes open it at once: WAL lets readers run beside the one writer,
a busy timeout absorbs brief contention, and every write is one short `BEGIN IMMEDIATE`.
A schema change simply rebuilds the cache.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3

from axi.paths import state_dir

SCHEMA_VERSION = "5"
BUSY_MS = 5000

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS files (
    path TEXT PRIMARY KEY, harness TEXT NOT NULL, size INTEGER, mtime_ns INTEGER,
    inode INTEGER, offset INTEGER, state TEXT, session_key TEXT
);
CREATE TABLE IF NOT EXISTS dirs (path TEXT PRIMARY KEY, mtime_ns INTEGER);
CREATE INDEX IF NOT EXISTS files_mtime ON files(mtime_ns);
CREATE TABLE IF NOT EXISTS sessions (
    key TEXT PRIMARY KEY, harness TEXT NOT NULL, id TEXT NOT NULL, source TEXT, dir TEXT,
    title TEXT, title_source TEXT, model TEXT, provider TEXT, git_branch TEXT,
    created REAL, last REAL, turns INTEGER, input INTEGER, output INTEGER,
    cache_read INTEGER, cache_write INTEGER, ctx_tokens INTEGER, ctx_window INTEGER,
    turn_open INTEGER, parent_id TEXT, is_subagent INTEGER, first_uuid TEXT, skipped INTEGER
);
CREATE INDEX IF NOT EXISTS sessions_id ON sessions(id);
CREATE INDEX IF NOT EXISTS sessions_dir ON sessions(dir);
CREATE INDEX IF NOT EXISTS sessions_last ON sessions(last);
CREATE INDEX IF NOT EXISTS sessions_parent ON sessions(parent_id);
CREATE TABLE IF NOT EXISTS usage (
    session_key TEXT NOT NULL, hour INTEGER NOT NULL, model TEXT NOT NULL,
    input INTEGER, output INTEGER, cache_read INTEGER, cache_write INTEGER, cost REAL,
    PRIMARY KEY (session_key, hour, model)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS texts (
    rowid INTEGER PRIMARY KEY, session_key TEXT NOT NULL, role TEXT, ts REAL, cursor INTEGER
);
CREATE INDEX IF NOT EXISTS texts_session ON texts(session_key);
CREATE TABLE IF NOT EXISTS lifecycle (
    harness TEXT NOT NULL, id TEXT NOT NULL, started REAL, source TEXT, ended REAL, reason TEXT,
    PRIMARY KEY (harness, id)
) WITHOUT ROWID;
CREATE VIRTUAL TABLE IF NOT EXISTS texts_fts USING fts5(text, tokenize = 'unicode61');
"""


def index_path() -> str:
    return os.path.join(state_dir(), "index.db")


def connect(path: str | None = None) -> sqlite3.Connection:
    """Open (creating if needed) the index; rebuild it when its schema is from another version."""
    path = path or index_path()
    fresh = not os.path.exists(path)
    conn = _open(path)
    if fresh:
        os.chmod(path, 0o600)
    version = _version(conn)
    if version != SCHEMA_VERSION:
        if version is not None:
            conn.close()
            _remove(path)
            conn = _open(path)
        with write(conn):
            for statement in SCHEMA.split(";"):
                if statement.strip():
                    conn.execute(statement)
            conn.execute("INSERT OR REPLACE INTO meta VALUES ('schema', ?)", (SCHEMA_VERSION,))
    return conn


def _open(path: str) -> sqlite3.Connection:
    conn = sqlite3.connect(path, timeout=BUSY_MS / 1000, isolation_level=None,
                           check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute(f"PRAGMA busy_timeout = {BUSY_MS}")
    return conn


def _version(conn: sqlite3.Connection) -> str | None:
    try:
        row = conn.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
    except sqlite3.OperationalError:
        return None
    return row[0] if row else None


def _remove(path: str) -> None:
    for suffix in ("", "-wal", "-shm"):
        with contextlib.suppress(FileNotFoundError):
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
