"""Shared context: named values and files (artifacts) every approved agent of this machine can
read, each with its author and time, optionally expiring.

Values live in the mailbox database (`context` table). A file's bytes live beside it in
`artifacts/`, named by their SHA-256 (the same file stored twice is kept once), 0600, written
to a temporary name and renamed, so a reader never sees half a file. The row points at the
bytes; the bytes go when no row points at them any more. A team mailbox (PostgreSQL) keeps the
bytes in its `blobs` table instead, so every machine of the team reads the same file.
"""

from __future__ import annotations

import os

from axi.errors import AxiError, NotFound, UsageFault
from axi.mailbox.db import write
from axi.paths import state_dir, write_atomic
from axi.sqlite import sqlite3

MAX_VALUE = 64 * 1024  # bytes of UTF-8 for a value given on the command line
MAX_FILE = 16 * 1024 * 1024  # bytes of one artifact
KEY_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._/-")
MAX_KEY = 128


def check_key(key: str) -> str:
    """`[A-Za-z0-9][A-Za-z0-9._/-]*`, at most 128 characters: safe to paste into a shell."""
    if not key or len(key) > MAX_KEY or not key[0].isalnum() or not key.isascii() or any(
            char not in KEY_CHARS for char in key):
        raise UsageFault(f"{key[:60]!r} is not a context key", help=[
            "a key is letters, digits and . _ / - (up to 128), starting with a letter or digit, "
            "e.g. build/status"])
    return key


def artifacts_dir() -> str:
    path = os.path.join(state_dir(), "artifacts")
    os.makedirs(path, mode=0o700, exist_ok=True)
    return path


def read_file(path: str) -> bytes:
    """A file to share, refused whole when it is over the cap (nothing is stored)."""
    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_FILE + 1)
    except OSError as exc:
        raise AxiError(f"cannot read {path}: {exc.strerror}", code="FILE_UNREADABLE",
                       help=["check the path; nothing was stored"]) from None
    if len(data) > MAX_FILE:
        raise UsageFault(f"{path} is over the {MAX_FILE // (1024 * 1024)} MB limit of one "
                         "artifact; nothing was stored",
                         help=["share its path, or a smaller part of it"])
    return data


def kind_of(data: bytes) -> str:
    """`text` for UTF-8 without NUL bytes (safe to print), else `binary`."""
    if b"\x00" in data:
        return "binary"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return "binary"
    return "text"


def put(conn: sqlite3.Connection, author: sqlite3.Row, key: str, *, value: str | None = None,
        data: bytes | None = None, name: str | None = None, ttl: float | None = None,
        now: float) -> dict:
    """Set `key` to a text `value` or a file's `data` (replacing what it held)."""
    check_key(key)
    blob, size, kind = None, 0, "text"
    if data is not None:
        blob, size, kind = _store_bytes(conn, data), len(data), kind_of(data)
    else:
        size = len((value or "").encode("utf-8", "surrogatepass"))
        if size > MAX_VALUE:
            raise UsageFault(f"the value is {size} bytes; the limit is {MAX_VALUE}",
                             help=[f"store it as a file: axi context set {key} --file PATH"])
    expires = now + ttl if ttl else None
    with write(conn):
        unused = _purge(conn, now)
        old = conn.execute("SELECT blob FROM context WHERE key = ?", (key,)).fetchone()
        conn.execute("INSERT INTO context (key, value, blob, size, kind, name, author, "
                     "created, expires) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO "
                     "UPDATE SET value = excluded.value, blob = excluded.blob, size = "
                     "excluded.size, kind = excluded.kind, name = excluded.name, author = "
                     "excluded.author, created = excluded.created, expires = excluded.expires",
                     (key, value if data is None else None, blob, size, kind, name,
                      author["id"], now, expires))
        if old and old["blob"] and old["blob"] != blob:
            unused.append(old["blob"])
    _drop_unused(conn, unused)
    return entry(conn, key, now)


def entry(conn: sqlite3.Connection, key: str, now: float) -> sqlite3.Row:
    row = conn.execute(
        "SELECT c.*, a.name AS author_name FROM context c JOIN agents a ON a.id = c.author "
        "WHERE c.key = ? AND (c.expires IS NULL OR c.expires > ?)", (key, now)).fetchone()
    if row is None:
        raise NotFound(f"no context key {key!r}",
                       help=["`axi context list` shows the keys there are"])
    return row


def entries(conn: sqlite3.Connection, prefix: str, now: float, limit: int) -> list[sqlite3.Row]:
    return conn.execute(
        "SELECT c.*, a.name AS author_name FROM context c JOIN agents a ON a.id = c.author "
        "WHERE substr(c.key, 1, ?) = ? AND (c.expires IS NULL OR c.expires > ?) "
        "ORDER BY c.key LIMIT ?", (len(prefix), prefix, now, limit)).fetchall()


def count(conn: sqlite3.Connection, prefix: str, now: float) -> int:
    return conn.execute("SELECT count(*) FROM context WHERE substr(key, 1, ?) = ? AND "
                        "(expires IS NULL OR expires > ?)", (len(prefix), prefix, now)
                        ).fetchone()[0]


def remove(conn: sqlite3.Connection, key: str, now: float) -> None:
    row = entry(conn, key, now)
    with write(conn):
        conn.execute("DELETE FROM context WHERE key = ?", (key,))
    _drop_unused(conn, [row["blob"]] if row["blob"] else [])


def read_bytes(conn: sqlite3.Connection, row: sqlite3.Row) -> bytes:
    """The bytes of a file entry, checked against the name they are stored under."""
    import hashlib

    if _in_database(conn):
        found = conn.execute("SELECT data FROM blobs WHERE sha = ?", (row["blob"],)).fetchone()
        problem = None if found else "not in the team database"
        data = bytes(found[0]) if found else b""
    else:
        try:
            with open(os.path.join(artifacts_dir(), row["blob"]), "rb") as fh:
                data = fh.read(MAX_FILE + 1)
            problem = None
        except OSError as exc:
            problem = exc.strerror
    if problem:
        raise AxiError(f"the file of {row['key']!r} is missing from the artifact store "
                       f"({problem})", code="ARTIFACT_MISSING",
                       help=[f"set it again: axi context set {row['key']} --file PATH"])
    if hashlib.sha256(data).hexdigest() != row["blob"]:
        raise AxiError(f"the file of {row['key']!r} was changed on disk", code="ARTIFACT_CHANGED",
                       help=[f"set it again: axi context set {row['key']} --file PATH"])
    return data


def _in_database(conn: sqlite3.Connection) -> bool:
    """A team mailbox keeps files in its `blobs` table: every machine reads them there."""
    return getattr(conn, "backend", "sqlite") == "postgres"


def _store_bytes(conn: sqlite3.Connection, data: bytes) -> str:
    import hashlib

    digest = hashlib.sha256(data).hexdigest()
    if _in_database(conn):
        with write(conn):
            conn.execute("INSERT INTO blobs (sha, data) VALUES (?, ?) ON CONFLICT DO NOTHING",
                         (digest, data))
        return digest
    folder = artifacts_dir()
    final = os.path.join(folder, digest)
    if os.path.exists(final):
        return digest
    write_atomic(final, data, mode=0o600)
    return digest


def _purge(conn: sqlite3.Connection, now: float) -> list[str]:
    """Expired entries go (inside the caller's write); returns their files, for
    `_drop_unused` to remove once the write is committed."""
    blobs = [r[0] for r in conn.execute(
        "SELECT blob FROM context WHERE expires IS NOT NULL AND expires <= ? AND blob IS NOT "
        "NULL", (now,))]
    conn.execute("DELETE FROM context WHERE expires IS NOT NULL AND expires <= ?", (now,))
    return blobs


def _drop_unused(conn: sqlite3.Connection, blobs: list[str]) -> None:
    gone = {b for b in blobs if conn.execute(
        "SELECT 1 FROM context WHERE blob = ? LIMIT 1", (b,)).fetchone() is None}
    if _in_database(conn):
        with write(conn):
            for blob in gone:
                conn.execute("DELETE FROM blobs WHERE sha = ? AND NOT EXISTS (SELECT 1 FROM "
                             "context WHERE blob = ?)", (blob, blob))
        return
    for blob in gone:
        with _suppressed():
            os.unlink(os.path.join(artifacts_dir(), blob))


def _suppressed():
    import contextlib

    return contextlib.suppress(OSError)
