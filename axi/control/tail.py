"""Reading what a transcript gained since the last look, through its harness adapter.

A transcript is re-read only when its size or mtime changed, and only from where the last read
stopped. For JSONL stores that is a byte offset; it moves past every line that was complete
when the read began, so records that are not turns (progress, system lines) are not decoded
again on every change. Database stores (opencode) continue from the last turn's index.
"""

from __future__ import annotations

import os
import time

from axi.errors import AxiError
from axi.sqlite import sqlite3

LOCATE_EVERY = 1.0  # seconds between index refreshes while a transcript has not appeared
LOCATE_BUDGET = 0.5
BACK_CHUNK = 64 * 1024


class Tail:
    """One transcript, read incrementally from cursor `since`."""

    def __init__(self, harness: str, session: str, source: str, since: int = 0):
        from axi.harnesses import get

        self.adapter = get(harness)
        self.session, self.source, self.since = session, source, since
        self.signature: tuple | None = None
        self.last_write: float | None = None

    def _stat(self) -> tuple:
        parts = []
        for path in (self.source, self.source + "-wal"):  # opencode writes through its WAL
            try:
                st = os.stat(path)
            except OSError:
                parts.append(None)
                continue
            parts.append((st.st_size, st.st_mtime_ns))
            self.last_write = max(self.last_write or 0, st.st_mtime)
        return tuple(parts)

    def new_turns(self, force: bool = False) -> list:
        """Every turn (tool turns too) written since the last read; [] when nothing changed.

        Raises OSError or AxiError when the store cannot be read right now."""
        signature = self._stat()
        if signature == self.signature and not force:
            return []
        turns = list(self.adapter.read_turns(self.source, self.session, self.since))
        self.signature = signature
        if turns:
            self.since = max(self.since, turns[-1].cursor + 1)
        if self.adapter.kind == "jsonl" and signature[0] is not None:
            self.since = max(self.since, complete_end(self.source, signature[0][0], self.since))
        return turns


def complete_end(path: str, size: int, floor: int) -> int:
    """The offset just past the last newline before byte `size` (at least `floor`): every
    line before it was complete when the file was `size` bytes long, so it has been read."""
    try:
        with open(path, "rb") as fh:
            pos = size
            while pos > floor:
                step = min(BACK_CHUNK, pos - floor)
                fh.seek(pos - step)
                newline = fh.read(step).rfind(b"\n")
                if newline >= 0:
                    return pos - step + newline + 1
                pos -= step
    except OSError:
        pass
    return floor


class Locator:
    """Transcript paths from the catalog index, refreshed at most every LOCATE_EVERY seconds
    (a launched session's transcript appears a moment after launch)."""

    def __init__(self) -> None:
        self.conn: sqlite3.Connection | None = None
        self.refreshed = 0.0

    def source(self, session: str, harness: str, force: bool = False) -> str | None:
        """The transcript of `session`, or None while the index does not know it (yet)."""
        from axi.index.catalog import open_index, refresh

        now = time.monotonic()
        try:
            if self.conn is None:
                self.conn, _ = open_index(budget=LOCATE_BUDGET)
                self.refreshed = now
            elif force or now - self.refreshed >= LOCATE_EVERY:
                self.refreshed = now
                refresh(self.conn, LOCATE_BUDGET)
            row = self.conn.execute("SELECT source FROM sessions WHERE id = ? AND harness = ?",
                                    (session, harness)).fetchone()
        except (AxiError, sqlite3.Error, OSError):  # busy or broken now: look again later
            return None
        return row["source"] if row else None
