"""What happened, as one stream: read back from the stores that hold it.

Sources (each a read-only query, or the hooks' journal file):

* `sessions.jsonl` (the hooks' journal, `activity_journal.py`): every session start, end and
  state change, one line each.
* the mailbox (`axi/mailbox/db.py`, `activity_sources.py`): messages sent (`messages.created`),
  read and acknowledged (`deliveries.read_at`, `acked_at`), the progress a handler reported
  (`progress`), and the control plane: launches started, ended and judged (`launches`), runs
  started and concluded with their outcome (`runs`; a fence trip concludes a run as
  `budget_hit`), questions asked and answered (`asks`).
* the mailbox's history (`activity_history.py`): every move of a task (created, assigned,
  each status change, a note) and every change of an identity (pending, approved, revoked,
  moved), each as it happened; a task or identity from before the history is told from its row.

No message body, question or answer is ever read: an event names the message, its sender and
recipients, never what it says.

Each event has a cursor, `<ms>-<kind>-<hash>`: its time in epoch milliseconds, its kind, and
a short hash of what identifies it. Events are ordered by time, then kind (`RANK`: a message
is sent before it is read), then hash, so "after a cursor" is exact: a resume neither repeats
nor skips. Following holds each event back `LAG` seconds so that a write whose timestamp
was taken just before a newer one's, but committed after it, still lands in order (the
mailbox takes its time inside the write transaction; the hooks append at once).

A list reads no more of the journal than it shows: the newest events from its end backwards,
the first after a cursor forward from near it (`activity_journal.py`), in memory bounded by
`--limit`; what it did not read is only counted, for the total.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from axi.console import activity_journal
from axi.console.activity_events import (  # noqa: F401 - the stream's API
    _JOURNAL_KIND,
    GROUPS,
    KINDS,
    LAG,
    POLL,
    Cursor,
    Event,
    Filters,
    Window,
    kinds_for,
    parse_cursor,
)
from axi.console.activity_journal import Journal, Scope
from axi.console.activity_sources import (
    agent_folders,
    mailbox_events,
    open_mailbox,
    open_team,
    run_sessions,
)
from axi.sqlite import sqlite3

# ---- the stream -----------------------------------------------------------------------------

class Stream:
    """Every source, looked at again on each `collect`."""

    def __init__(self, filters: Filters):
        self.filters = filters
        self.journal = Journal()
        self.mailbox: sqlite3.Connection | None = None  # this machine's file
        self.team = None  # the team mailbox, when one holds the mail

    def close(self) -> None:
        for conn in (self.mailbox, self.team):
            if conn is not None:
                conn.close()
        self.mailbox = self.team = None

    @property
    def mail(self):
        return self.team or self.mailbox

    def _scope(self, lower: float | None) -> tuple[str | None, Scope]:
        """The agent `--agent` names, and which journal lines pass."""
        if self.mailbox is None:
            self.mailbox = open_mailbox()
        if self.team is None:
            self.team = open_team()
        filters = self.filters
        name = filters.agent.lstrip("@") if filters.agent else None
        folders = agent_folders(self.mail, name) if name else None
        sessions = run_sessions(self.mailbox, filters.run) if filters.run else None
        return name, Scope(filters, folders, sessions, lower)

    def _journal_wanted(self) -> bool:
        return any(self.filters.wants(k) for k in _JOURNAL_KIND.values())

    def _mail(self, lower: float | None, name: str | None) -> list[Event]:
        found = mailbox_events(self.mailbox, self.mail, lower, self.filters)
        return [ev for ev in found if not name or name in ev.agents]

    def collect(self, after: Cursor | None, lower: float | None = None,
                upper: float | None = None) -> list[Event]:
        """Events past `after` (and at or after `lower` seconds, at or before `upper`),
        oldest first."""
        if after is not None:
            lower = max(lower or 0.0, after.ms / 1000 - 0.001)
        name, scope = self._scope(lower)
        found: list[Event] = []
        if self._journal_wanted():
            self.journal.refresh(lower)
            found += self.journal.events(lower, self.filters, scope.folders, scope.sessions)
        found += self._mail(lower, name)
        kept = {}
        upper_ms = None if upper is None else int(upper * 1000)
        for ev in found:
            c = ev.cursor
            if after is not None and c <= after:
                continue
            if upper_ms is not None and c.ms > upper_ms:
                continue
            kept[c] = ev  # the same event twice (a duplicated journal line) is one
        return [kept[c] for c in sorted(kept)]

    def newest(self, limit: int, lower: float | None = None) -> tuple[list[Event], int]:
        """(the newest `limit` events at or after `lower`, oldest first; how many there are):
        the journal read from its end only as far back as they need."""
        name, scope = self._scope(lower)
        window = Window(limit)
        for ev in self._mail(lower, name):
            window.offer(ev)
        unread = activity_journal.newest(window, scope, self.journal.path) \
            if self._journal_wanted() else 0
        return window.events(), window.total + unread

    def first_after(self, after: Cursor, limit: int, lower: float | None = None
                    ) -> tuple[list[Event], int]:
        """(the first `limit` events after `after` (and at or after `lower`), oldest first;
        how many there are): the journal read forward from near `after` only as far as they
        need."""
        lower = max(lower or 0.0, after.ms / 1000 - 0.001)
        name, scope = self._scope(lower)
        window = Window(limit, newest=False)
        for ev in self._mail(lower, name):
            if ev.cursor > after:
                window.offer(ev)
        unread = activity_journal.first_after(window, scope, after, self.journal.path) \
            if self._journal_wanted() else 0
        return window.events(), window.total + unread


def select(filters: Filters, since: float | None, after: Cursor | None, limit: int
           ) -> tuple[list[Event], int]:
    """(the events that pass, oldest first: the first `limit` past `after`, else the newest
    `limit`; how many passed in all)."""
    stream = Stream(filters)
    try:
        if after is not None:
            return stream.first_after(after, limit, since)
        return stream.newest(limit, since)
    finally:
        stream.close()


def follow(filters: Filters, since: float | None, after: Cursor | None,
           emit: Callable[[dict], None], stop: float | None = None) -> None:
    """Emit events as NDJSON records, past `after` (or from `since`, or from now), until
    `stop` (epoch seconds) or forever."""
    stream = Stream(filters)
    if after is None:
        start = since if since is not None else time.time() - LAG
        after = Cursor(int(start * 1000) - (1 if since is not None else 0))
    try:
        while True:
            horizon = time.time() - LAG
            for ev in stream.collect(after, upper=horizon):
                emit(ev.record())
                after = ev.cursor
            stream.journal.forget_before(after.ms)
            if stop is not None and time.time() >= stop:
                return
            time.sleep(POLL)
    finally:
        stream.close()
