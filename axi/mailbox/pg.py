"""The team mailbox on PostgreSQL, behind the connection surface the mailbox code already uses.

The mailbox modules speak to one small interface: `execute(sql, params)` returning a cursor
(`fetchone`, `fetchall`, iteration, `lastrowid`, `rowcount`), `executemany`, `in_transaction`,
`close`, rows read by name or position, and `with db.write(conn):` around every write. The
SQLite connection is that interface as it is; `Connection` here gives the same surface over
psycopg 3, so every query, rule and test serves both backends.

What differs is translated in one place (`translate`), for the few spellings the two dialects
do not share: `?` placeholders, `INSERT OR IGNORE`, `group_concat`, `instr`, `char`, and the
id of a new row (`RETURNING`). A write transaction (`BEGIN IMMEDIATE`) also takes one advisory
lock, so writers run one at a time as they do in SQLite (an approval's checks and changes see
no other writer between them); sends take it shared and run side by side. A commit that changed
something is followed by a NOTIFY, which is how a waiter on another machine wakes (`Listener`).
Statements travel together where nothing waits for their answer (`begin_write`, `_deferrable`,
`_commit`): a send is 4 round trips. Numbers come back as int or float, never Decimal or bool.

psycopg is imported by this module only, and this module only when a mailbox URL is set.
"""

from __future__ import annotations

import contextlib
import functools
import re
import time
from decimal import Decimal

import psycopg
from psycopg import errors as pg_errors

from axi.errors import AxiError
from axi.sqlite import sqlite3
from axi.text import without_password

CHANNEL = "axi_mailbox"
WRITE_LOCK = 0x61786930  # the advisory lock every write transaction takes ("axi0")
CONNECT_TIMEOUT = 5  # seconds
# The tables whose new row id the mailbox reads (`lastrowid`): their inserts ask for it. Any
# other insert asks for nothing, so it may travel with the next statement (`_deferrable`).
ID_COLUMNS = {"agents": "id", "messages": "id", "tasks": "id"}
_INSERT = re.compile(r"^\s*INSERT\s+(OR\s+IGNORE\s+)?INTO\s+(\w+)", re.IGNORECASE)
# The wake-up goes in a transaction of its own, after the commit, in the same round trip: a
# NOTIFY's commit holds a database-wide lock until it is flushed, so inside the writes' own
# transaction it would serialise every commit's fsync. Its own commit need not be durable
# (a wake-up lost to a crash only waits for the waiter's next look, within HEARTBEAT).
_WAKE = f"BEGIN; SET LOCAL synchronous_commit TO off; NOTIFY {CHANNEL}; COMMIT"
# A "last seen" mark wakes nobody: every waiter marks itself every few seconds.
_UNSEEN = re.compile(r"\s*UPDATE\s+agents\s+SET\s+last_seen\b", re.IGNORECASE)
_FUNCTIONS = ((re.compile(r"\bgroup_concat\(", re.IGNORECASE), "string_agg("),
              (re.compile(r"\binstr\(", re.IGNORECASE), "strpos("),
              (re.compile(r"\bchar\((\d+)\)", re.IGNORECASE), r"chr(\1)"))


class Row(tuple):
    """A result row read by position or by column name, as `sqlite3.Row` is."""

    _names: dict[str, int]

    def __getitem__(self, key):  # type: ignore[override]
        if isinstance(key, str):
            return tuple.__getitem__(self, self._names[key])
        return tuple.__getitem__(self, key)

    def keys(self) -> list[str]:
        return list(self._names)


def _plain(value: object) -> object:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


@functools.lru_cache(maxsize=256)
def _row_class(names: tuple[str, ...]) -> type:
    return type("Row", (Row,), {"_names": {name: i for i, name in enumerate(names)}})


def _row_factory(cursor):
    row_class = _row_class(tuple(column.name for column in cursor.description or ()))

    def make(values):
        return row_class(_plain(v) for v in values)
    return make


@functools.lru_cache(maxsize=512)
def translate(sql: str) -> tuple[str, str | None]:
    """SQLite's spelling of a statement -> PostgreSQL's, and the id column to return for an
    INSERT whose new row id is asked for."""
    out = _placeholders(sql)
    for pattern, replacement in _FUNCTIONS:
        out = pattern.sub(replacement, out)
    returning = None
    match = _INSERT.match(out)
    if match:
        table = match.group(2).lower()
        if match.group(1):
            out = out[:match.start(1)] + out[match.end(1):]
            if " ON CONFLICT" not in out.upper():
                out = f"{out.rstrip()} ON CONFLICT DO NOTHING"
        if table in ID_COLUMNS and "RETURNING" not in out.upper():
            returning = ID_COLUMNS[table]
            out = f"{out.rstrip()} RETURNING {returning}"
    return out, returning


def _placeholders(sql: str) -> str:
    """`?` -> `%s` and `%` -> `%%`, outside quoted strings and names."""
    out = []
    quote = None
    for char in sql:
        if quote:
            if char == quote:
                quote = None
            out.append("%%" if char == "%" else char)
        elif char in ("'", '"'):
            quote = char
            out.append(char)
        elif char == "?":
            out.append("%s")
        elif char == "%":
            out.append("%%")
        else:
            out.append(char)
    return "".join(out)


def _params(params) -> tuple:
    if isinstance(params, dict):
        raise TypeError("named parameters are not used by the mailbox")
    return tuple(int(p) if isinstance(p, bool) else p for p in (params or ()))


class Cursor:
    """A statement's result; a deferred insert's (`cursor` None) has no rows and no count."""

    def __init__(self, cursor, lastrowid: int | None = None):
        self._cursor = cursor
        self.lastrowid = lastrowid
        self.rowcount = cursor.rowcount if cursor is not None else -1

    def fetchone(self):
        return self._cursor.fetchone() if self._cursor and self._cursor.description else None

    def fetchall(self) -> list:
        return self._cursor.fetchall() if self._cursor and self._cursor.description else []

    def __iter__(self):
        return iter(self.fetchall())


class Connection:
    """A PostgreSQL mailbox connection with the surface of the SQLite one (see the module)."""

    backend = "postgres"
    threads_itself = True  # a new message's thread is set by a trigger (pg_schema)

    def __init__(self, url: str):
        self.url = url
        self._dirty = False  # something changed in this transaction: its commit notifies
        self._writing = False  # inside a write transaction (inserts may wait: `_deferrable`)
        self._pending: list[str] = []  # bound statements waiting to go with the next one
        try:
            self._pg = psycopg.connect(url, autocommit=True, connect_timeout=CONNECT_TIMEOUT,
                                       cursor_factory=psycopg.ClientCursor,
                                       application_name="axi")
        except psycopg.Error as exc:
            raise unreachable(url, exc) from None
        self._pg.row_factory = _row_factory

    @property
    def in_transaction(self) -> bool:
        return bool(self._pending) or (
            self._pg.info.transaction_status != psycopg.pq.TransactionStatus.IDLE)

    def execute(self, sql: str, params=()) -> Cursor:
        special = self._statement(sql.strip().upper())
        if special is not None:
            return special
        text, returning = translate(sql)
        reads = text.lstrip()[:6].upper() == "SELECT"
        if not reads and not _UNSEEN.match(text):
            self._dirty = True
        if self._deferrable(text, reads, returning):
            self._pending.append(self._bound(text, params))
            return Cursor(None)
        cursor = self._send(self._bound(text, params))
        lastrowid = None
        if returning:
            row = cursor.fetchone()
            lastrowid = row[0] if row else None
        return Cursor(cursor, lastrowid)

    def executemany(self, sql: str, seq) -> Cursor:
        text, _ = translate(sql)
        text = text.rsplit(" RETURNING ", 1)[0] if " RETURNING " in text else text
        self._dirty = True
        return Cursor(self._send("; ".join(self._bound(text, p) for p in seq)))

    def _deferrable(self, text: str, reads: bool, returning: str | None) -> bool:
        """A plain insert inside a write transaction (no id asked for, no conflict clause whose
        count may be asked) travels with the next statement, at the latest the COMMIT: one
        round trip fewer. An error it meets is raised by that statement, inside the same
        transaction, which then rolls back whole."""
        upper = text.upper()
        return (self._writing and not reads and returning is None
                and upper.lstrip()[:6] == "INSERT" and " RETURNING " not in upper
                and " ON CONFLICT " not in upper)  # whether it inserted may be asked

    def _bound(self, text: str, params) -> str:
        with self._translating():  # a closed connection refuses even a cursor
            return self._pg.cursor().mogrify(text, _params(params))

    def _send(self, statement: str | None) -> Cursor:
        """`statement` after whatever waits, in one round trip; the cursor is left on the last
        result."""
        batch = self._pending + ([statement] if statement else [])
        self._pending = []
        cursor = self._run(lambda cur: cur.execute("; ".join(batch)))
        while cursor.nextset():
            pass
        return cursor

    def _run(self, call):
        with self._translating():
            cursor = self._pg.cursor()
            call(cursor)
        return cursor

    @contextlib.contextmanager
    def _translating(self):
        """psycopg's errors as the ones the mailbox code handles (`_translated`)."""
        try:
            yield
        except psycopg.Error as exc:
            self._after_error()
            raise self._translated(exc) from None

    def _after_error(self) -> None:
        """A failed statement leaves the server's transaction aborted: end it, so the next
        command on this connection starts clean (the caller's rollback finds nothing left)."""
        self._pending = []
        self._writing = False
        if self._pg.info.transaction_status == psycopg.pq.TransactionStatus.INERROR:
            with contextlib.suppress(psycopg.Error):
                self._pg.execute("ROLLBACK")

    def _translated(self, exc: Exception) -> Exception:
        if isinstance(exc, pg_errors.IntegrityError):
            return sqlite3.IntegrityError(str(exc).strip())
        if isinstance(exc, pg_errors.InsufficientPrivilege):
            return AxiError(f"the team mailbox refused this: {str(exc).strip()}",
                            code="MAILBOX_DENIED",
                            help=["this machine's database role lacks a grant: "
                                  "`axi doctor` checks them"])
        if isinstance(exc, psycopg.OperationalError):
            return unreachable(self.url, exc)
        # The callers' `except sqlite3.Error` (a missing table, a busy mailbox) serve both.
        return sqlite3.OperationalError(str(exc).strip())

    def _statement(self, upper: str) -> Cursor | None:
        """The transaction and PRAGMA statements the SQLite code issues, done the Postgres way."""
        if upper == "BEGIN":  # a read snapshot
            self._send("BEGIN ISOLATION LEVEL REPEATABLE READ")
            self._dirty = False
        elif upper == "BEGIN IMMEDIATE":
            self.begin_write()
        elif upper == "COMMIT":
            self._commit()
        elif upper == "ROLLBACK":
            started = self._pg.info.transaction_status != psycopg.pq.TransactionStatus.IDLE
            self._pending, self._writing, self._dirty = [], False, False
            if started:
                self._run(lambda cur: cur.execute("ROLLBACK"))
        elif upper.startswith("PRAGMA"):
            return _Constant("ok" if "INTEGRITY_CHECK" in upper else 0)
        else:
            return None
        return _Constant(None)

    def begin_write(self, shared: bool = False) -> None:
        """A write transaction. Writers take the write lock one at a time, as in SQLite; a
        `shared` one (a send: its inserts conflict with no other send's) runs beside the other
        shared ones and waits only for the exclusive ones. Both travel with the transaction's
        first statement."""
        lock = "pg_advisory_xact_lock_shared" if shared else "pg_advisory_xact_lock"
        self._pending = ["BEGIN", f"SELECT {lock}({WRITE_LOCK})"]
        self._writing = True
        self._dirty = False

    def _commit(self) -> None:
        """What waits, the COMMIT and the wake-up (when something changed): one round trip."""
        writing, self._writing = self._writing, False
        if writing and len(self._pending) == 2 and self._pending[0] == "BEGIN":
            self._pending = []  # nothing was asked inside it: nothing to send
            return
        self._send(f"COMMIT; {_WAKE}" if self._dirty else "COMMIT")
        self._dirty = False

    def notify(self) -> None:
        """Wake every waiter (after a write outside `db.write`)."""
        self._send(f"NOTIFY {CHANNEL}")

    def close(self) -> None:
        self._pg.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class _Constant:
    """The answer to a statement with nothing to ask the server (a PRAGMA)."""

    lastrowid = None
    rowcount = -1

    def __init__(self, value):
        self._value = value

    def fetchone(self):
        return None if self._value is None else (self._value,)

    def fetchall(self) -> list:
        return [] if self._value is None else [(self._value,)]

    def __iter__(self):
        return iter(self.fetchall())


def unreachable(url: str, exc: Exception) -> AxiError:
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return AxiError(f"the team mailbox at {without_password(url)} cannot be reached: {first}",
                    code="MAILBOX_UNREACHABLE",
                    help=["`axi mailbox status` says what is configured and what answers",
                          "sends wait in this machine's queue and go out when it is back"])


class Listener:
    """A connection that LISTENs for commits; `wait(seconds)` returns when one arrives (True)
    or the time passes (False). A dropped connection is reopened on the next wait; until then
    the waiter falls back to polling."""

    def __init__(self, url: str):
        self.url = url
        self._pg = None

    def wait(self, seconds: float) -> bool:
        if self._pg is None and not self._open():
            time.sleep(min(seconds, FALLBACK_POLL))
            return True  # look again: nothing tells us otherwise
        try:
            # Each generator is run to its end: a suspended one holds the connection's lock.
            if not list(self._pg.notifies(timeout=seconds, stop_after=1)):
                return False
            self._drain()
            return True
        except psycopg.Error:
            self.close()
            return True

    def _drain(self) -> None:
        """Take the notifications already queued, so one burst of commits wakes once."""
        list(self._pg.notifies(timeout=0.001, stop_after=1000))

    def _open(self) -> bool:
        try:
            self._pg = psycopg.connect(self.url, autocommit=True,
                                       connect_timeout=CONNECT_TIMEOUT, application_name="axi")
            self._pg.execute(f"LISTEN {CHANNEL}")
            return True
        except psycopg.Error:
            self._pg = None
            return False

    def close(self) -> None:
        if self._pg is not None:
            try:
                self._pg.close()
            finally:
                self._pg = None


FALLBACK_POLL = 1.0  # seconds between looks while the listening connection is down
