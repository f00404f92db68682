"""Blocking until something arrives, without holding a transaction or burning a core.

SQLite has no cross-process notification, so a waiter polls `PRAGMA data_version`, which
changes only when another connection commits and costs a few microseconds (it reads the shared
WAL index, takes no lock and opens no transaction). Only when it changes does the waiter run its
real query. Between polls it sleeps POLL seconds; that bounds the wake-up delay.

A team mailbox on PostgreSQL wakes its waiters itself: every write commits with a NOTIFY, and
a waiter LISTENs on a connection of its own (`pg.Listener`), looking again at least every
HEARTBEAT seconds and polling when that connection is down.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from axi.errors import UsageFault
from axi.sqlite import sqlite3

POLL = 0.02  # seconds between data_version checks
HEARTBEAT = 3.0  # seconds between "still listening" marks on the waiting identity
MAX_WAIT = 3600.0


def check_seconds(value: float | None, flag: str = "--wait") -> float | None:
    if value is None:
        return None
    if value != value or value < 0:  # NaN or negative
        raise UsageFault(f"{flag} must be 0 or more seconds, not {value}",
                         help=[f"example: {flag} 60"])
    if value > MAX_WAIT:
        raise UsageFault(f"{flag} is at most {int(MAX_WAIT)} seconds, not {value:g}",
                         help=[f"wait in rounds: {flag} 600, then again"])
    return value


def data_version(conn: sqlite3.Connection) -> int:
    return conn.execute("PRAGMA data_version").fetchone()[0]


def wait_for(conn: sqlite3.Connection, check: Callable[[], object], seconds: float,
             heartbeat: Callable[[], None] | None = None) -> object:
    """Run `check` now and after every commit by another process, until it returns something
    or `seconds` pass. Returns what `check` returned, or None on timeout."""
    if getattr(conn, "backend", "sqlite") == "postgres":
        from axi.mailbox.pg import Listener

        listener = Listener(conn.url)
        try:
            listener.wait(0.001)  # listening before the first look, so no commit falls between
            return _until(check, seconds, heartbeat, changed=lambda: True,
                          pause=lambda left: listener.wait(min(left, HEARTBEAT)))
        finally:
            listener.close()
    seen: list = [None]

    def changed() -> bool:
        version = data_version(conn)
        new, seen[0] = version != seen[0], version
        return new
    return _until(check, seconds, heartbeat, changed,
                  pause=lambda left: time.sleep(min(POLL, left)))


def _until(check: Callable[[], object], seconds: float, heartbeat: Callable[[], None] | None,
           changed: Callable[[], bool], pause: Callable[[float], object]) -> object:
    deadline = time.monotonic() + seconds
    next_beat = 0.0
    while True:
        if changed():
            found = check()
            if found:
                return found
        now = time.monotonic()
        if now >= deadline:
            return None
        if heartbeat is not None and now >= next_beat:
            heartbeat()
            next_beat = now + HEARTBEAT
        pause(deadline - now)
