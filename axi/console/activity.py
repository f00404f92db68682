"""What happened, as one stream: read back from the stores that already hold it, never written.

Sources (each a read-only query, or the hooks' journal file):

* `sessions.jsonl` (the hooks' journal, `axi/index/journal.py`): every session start, end and
  state change, one line each. It is read directly rather than through the index's
  `lifecycle` table, which keeps only the latest state of each session.
* the mailbox (`axi/mailbox/db.py`): messages sent (`messages.created`), read and
  acknowledged (`deliveries.read_at`, `acked_at`), tasks created (`tasks.created`) and their
  latest change (`tasks.updated`: the table keeps no history of earlier moves), identities
  pending, approved and revoked (`agents.created`, `approved`, `revoked`), and the control
  plane: launches started, ended and judged (`launches`), runs started and concluded with
  their outcome (`runs`; a fence trip concludes a run as `budget_hit`), questions asked and
  answered (`asks`).

No message body, question or answer is ever read: an event names the message, its sender and
recipients, never what it says.

Each event has a cursor, `<ms>-<kind>-<hash>`: its time in epoch milliseconds, its kind, and
a short hash of what identifies it. Events are ordered by time, then kind (`RANK`: a message
is sent before it is read), then hash, so "after a cursor" is exact: a resume neither repeats
nor skips. Following holds each event back `LAG` seconds so that a write whose timestamp
was taken just before a newer one's, but committed after it, still lands in order (the
mailbox takes its time inside the write transaction; the hooks append at once).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable

from axi.console.activity_events import (  # noqa: F401 - the stream's API
    _JOURNAL_KIND,
    GROUPS,
    KINDS,
    LAG,
    POLL,
    Cursor,
    Event,
    Filters,
    kinds_for,
    parse_cursor,
)
from axi.console.activity_sources import (
    Journal,
    agent_folders,
    mailbox_events,
    open_mailbox,
    run_sessions,
)

# ---- the stream -----------------------------------------------------------------------------

class Stream:
    """Every source, looked at again on each `collect`."""

    def __init__(self, filters: Filters):
        self.filters = filters
        self.journal = Journal()
        self.mailbox: sqlite3.Connection | None = None

    def close(self) -> None:
        if self.mailbox is not None:
            self.mailbox.close()
            self.mailbox = None

    def collect(self, after: Cursor | None, lower: float | None = None,
                upper: float | None = None) -> list[Event]:
        """Events past `after` (and at or after `lower` seconds, at or before `upper`),
        oldest first."""
        if after is not None:
            lower = max(lower or 0.0, after.ms / 1000 - 0.001)
        if self.mailbox is None:
            self.mailbox = open_mailbox()
        filters = self.filters
        name = filters.agent.lstrip("@") if filters.agent else None
        folders = agent_folders(self.mailbox, name) if name else None
        found: list[Event] = []
        if any(filters.wants(k) for k in _JOURNAL_KIND.values()):
            sessions = run_sessions(self.mailbox, filters.run) if filters.run else None
            self.journal.refresh(lower)
            found += self.journal.events(lower, filters, folders, sessions)
        if self.mailbox is not None:
            found += mailbox_events(self.mailbox, lower, filters)
        kept = {}
        upper_ms = None if upper is None else int(upper * 1000)
        for ev in found:
            c = ev.cursor
            if after is not None and c <= after:
                continue
            if upper_ms is not None and c.ms > upper_ms:
                continue
            if name and ev.kind.split(".")[0] != "session" and name not in ev.agents:
                continue
            kept[c] = ev  # the same event twice (a duplicated journal line) is one
        return [kept[c] for c in sorted(kept)]


def select(filters: Filters, since: float | None, after: Cursor | None, limit: int
           ) -> tuple[list[Event], int]:
    """(the events that pass, oldest first: the first `limit` past `after`, else the newest
    `limit`; how many passed in all)."""
    stream = Stream(filters)
    try:
        events = stream.collect(after, lower=since)
    finally:
        stream.close()
    shown = events[:limit] if after is not None else events[-limit:] if limit else []
    return shown, len(events)


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
