"""The hooks' journal (`sessions.jsonl`, `axi/index/journal.py`) as activity: every session
start, end and state change, one line each, read directly rather than through the index's
`lifecycle` table, which keeps only the latest state of each session.

Lines are appended in time order, give or take JOURNAL_SLACK, which is what lets a read stop
early: a line written before another is at most JOURNAL_SLACK seconds newer than it. Three ways
in, none holding more of the journal than it must:

* `Journal`, for a follow: what was appended since the last look (the first look bisected to
  start near a lower bound);
* `newest`: lines read from the end backwards until no line before them can be among the
  newest events wanted;
* `first_after`: lines read forward from near a cursor until no later line can be among the
  first events after it.

What a bounded read did not look at is still counted, for the list's total: by its newlines
when every line there would pass (each line the hooks write is one event), else line by line.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterable, Iterator

from axi.console.activity_events import _JOURNAL_KIND, Cursor, Event, Filters, Window, _word

JOURNAL_SLACK = 300.0  # seconds a line may be older than one written before it (OpenCode's
# plugin sends when an event happened; the hooks may finish out of order)
BLOCK = 1 << 16  # bytes read at a time going backwards
MAX_LINE = 1 << 20  # a longer "line" going backwards is cut (the hooks write under 4 KB)


class Scope:
    """Which journal lines pass: the filters, `--agent`'s folders, `--run`'s sessions, and a
    lower bound in epoch seconds."""

    def __init__(self, filters: Filters, folders: set[str] | None = None,
                 sessions: set[str] | None = None, lower: float | None = None):
        self.filters, self.folders, self.sessions, self.lower = filters, folders, sessions, lower
        self.every_line = (all(filters.wants(k) for k in _JOURNAL_KIND.values())
                           and not filters.session and folders is None and sessions is None)

    def passes(self, e: dict) -> bool:
        if not self.filters.wants(_JOURNAL_KIND[e["event"]]):
            return False
        if self.lower is not None and e["ts"] < self.lower:
            return False
        if self.filters.session and not e["id"].startswith(self.filters.session):
            return False
        if self.sessions is not None and e["id"] not in self.sessions:
            return False  # --run: the hooks know nothing of runs; its launches name sessions
        return self.folders is None or e.get("cwd") in self.folders


# ---- following ------------------------------------------------------------------------------

class Journal:
    """The hooks' journal, read from where the last look stopped (it is only ever appended
    to; a shorter file or a new inode is read again from its start)."""

    def __init__(self, path: str | None = None):
        from axi.index.journal import path as journal_path

        self.path = path or journal_path()
        self.offset = 0
        self.inode: int | None = None
        self.entries: list[dict] = []

    def refresh(self, lower: float | None = None) -> None:
        """Read what was appended since the last look. The first look with a `lower` bound
        (epoch s: `--since`, or a cursor to resume from) starts near it, found by bisecting
        the file: lines are appended in time order, give or take JOURNAL_SLACK."""
        try:
            st = os.stat(self.path)
        except OSError:
            return
        if st.st_ino != self.inode or st.st_size < self.offset:
            self.inode, self.offset, self.entries = st.st_ino, 0, []
            if lower is not None:
                self.offset = offset_near(self.path, st.st_size, lower - JOURNAL_SLACK)
        if st.st_size == self.offset:
            return
        from axi.harnesses.base import iter_lines

        with contextlib.suppress(OSError):
            for _at, line, after in iter_lines(self.path, self.offset):
                self.offset = after
                entry = _journal_entry(line) if line is not None else None
                if entry is not None:
                    self.entries.append(entry)

    def forget_before(self, ms: int) -> None:
        """Drop entries a follow is past (keeps its memory flat on a long watch)."""
        self.entries = [e for e in self.entries if round(e["ts"] * 1000) >= ms]

    def events(self, lower: float | None, filters: Filters, folders: set[str] | None,
               sessions: set[str] | None = None) -> Iterable[Event]:
        scope = Scope(filters, folders, sessions, lower)
        for e in self.entries:
            if scope.passes(e):
                yield _session_event(e)


# ---- bounded reads --------------------------------------------------------------------------

def newest(window: Window, scope: Scope, path: str | None = None) -> int:
    """Offer `window` the journal's events from its end backwards, until no line before can
    be among the newest `window.limit`. Returns how many passing events were not read."""
    path = path or _default_path()
    try:
        size = os.path.getsize(path)
    except OSError:
        return 0
    floor = 0 if scope.lower is None else offset_near(path, size, scope.lower - JOURNAL_SLACK)
    stop, oldest = floor, None
    with contextlib.suppress(OSError):
        for at, line in lines_backward(path, floor):
            entry = _journal_entry(line)
            if entry is None:
                continue
            oldest = entry["ts"] if oldest is None else min(oldest, entry["ts"])
            if scope.passes(entry):
                window.offer(_session_event(entry))
            edge = window.edge()
            if edge is not None and round((oldest + JOURNAL_SLACK) * 1000) < edge.ms:
                stop = at  # every line before this one is older than the window's oldest
                break
    return count(path, floor, stop, scope) if stop > floor else 0


def first_after(window: Window, scope: Scope, after: Cursor, path: str | None = None) -> int:
    """Offer `window` the journal's events after `after`, reading forward from near it until
    no later line can be among the first `window.limit`. Returns how many passing events
    were not read."""
    from axi.harnesses.base import iter_lines

    path = path or _default_path()
    try:
        size = os.path.getsize(path)
    except OSError:
        return 0
    lower = after.ms / 1000 - 0.001 if scope.lower is None else scope.lower
    start = offset_near(path, size, lower - JOURNAL_SLACK)
    stop, newest_ts = None, None
    with contextlib.suppress(OSError):
        for _at, line, following in iter_lines(path, start):
            entry = _journal_entry(line) if line is not None else None
            if entry is None:
                continue
            newest_ts = entry["ts"] if newest_ts is None else max(newest_ts, entry["ts"])
            if scope.passes(entry):
                event = _session_event(entry)
                if event.cursor > after:
                    window.offer(event)
            edge = window.edge()
            if edge is not None and round((newest_ts - JOURNAL_SLACK) * 1000) > edge.ms:
                stop = following  # every line after this one is newer than the window's last
                break
    return 0 if stop is None else count(path, stop, _complete_end(path, stop), scope)


def count(path: str, start: int, stop: int, scope: Scope) -> int:
    """How many lines in [start, stop) (whole lines) pass `scope`, holding none of them.
    Where every line passes, its newlines are counted; past a lower bound's slack, too."""
    if scope.every_line and scope.lower is None:
        return _newlines(path, start, stop)
    from axi.harnesses.base import iter_lines

    n = 0
    with contextlib.suppress(OSError):
        for at, line, following in iter_lines(path, start):
            if at >= stop:
                break
            entry = _journal_entry(line) if line is not None else None
            if entry is None:
                continue
            n += scope.passes(entry)
            if scope.every_line and entry["ts"] >= scope.lower + JOURNAL_SLACK:
                return n + _newlines(path, following, stop)  # every later line is past it
    return n


def lines_backward(path: str, floor: int = 0) -> Iterator[tuple[int, bytes]]:
    """(offset, line) of every whole line from `floor` (a line start) to the last newline,
    last first, reading BLOCK bytes at a time. A last line without its newline is left out
    (it may still be being written), and so is a run of more than MAX_LINE bytes with no
    newline (never held whole)."""
    with open(path, "rb") as fh:
        pos = _complete_end(path, floor, fh) - 1  # the last newline, which ends the last line
        carry, skipped = b"", 0  # the end of a line starting before `pos`; bytes cut from it
        while pos > floor:
            size = min(BLOCK, pos - floor)
            pos -= size
            fh.seek(pos)
            parts = (fh.read(size) + carry).split(b"\n")
            offset = pos + size + len(carry)
            for i in range(len(parts) - 1, 0, -1):
                offset -= len(parts[i])
                if not (skipped and i == len(parts) - 1):  # an over-long line's start
                    yield offset, parts[i]
                offset -= 1
            if skipped and len(parts) == 1:
                skipped, carry = skipped + len(parts[0]), b""
            else:
                skipped, carry = 0, parts[0]
                if len(carry) > MAX_LINE:
                    skipped, carry = len(carry), b""
        if pos == floor and not skipped:
            yield floor, carry


def _complete_end(path: str, start: int, fh=None) -> int:
    """The offset just past the file's last newline (`start` when there is none after it)."""
    from axi.control.tail import complete_end

    try:
        size = os.fstat(fh.fileno()).st_size if fh is not None else os.path.getsize(path)
    except OSError:
        return start
    return complete_end(path, size, start)


def _newlines(path: str, start: int, stop: int) -> int:
    n = 0
    with contextlib.suppress(OSError), open(path, "rb") as fh:
        fh.seek(start)
        left = stop - start
        while left > 0:
            chunk = fh.read(min(1 << 20, left))
            if not chunk:
                break
            n += chunk.count(b"\n")
            left -= len(chunk)
    return n


def offset_near(path: str, size: int, ts: float) -> int:
    """The offset of a line start at or before the first line stamped `ts` or later (0 when
    unsure): a bisection over the file, reading one line at each probe."""
    low, high = 0, size
    try:
        with open(path, "rb") as fh:
            while high - low > 4096:
                middle = (low + high) // 2
                fh.seek(middle)
                fh.readline()  # to the next line start
                start = fh.tell()
                entry = _journal_entry(fh.readline())
                if entry is None or start >= high:
                    return low  # unreadable there: read from the last safe point
                if entry["ts"] < ts:
                    low = start
                else:
                    high = middle
    except OSError:
        return 0
    return low


def _default_path() -> str:
    from axi.index.journal import path

    return path()


def _journal_entry(line: bytes) -> dict | None:
    with contextlib.suppress(ValueError, UnicodeDecodeError):
        row = json.loads(line)
        if (isinstance(row, dict) and row.get("event") in _JOURNAL_KIND
                and isinstance(row.get("id"), str) and row["id"]
                and isinstance(row.get("ts"), (int, float))):
            return row
    return None


def _session_event(e: dict) -> Event:
    from axi.paths import tilde

    kind = _JOURNAL_KIND[e["event"]]
    why = _word(e.get("why"))
    harness = _word(e.get("harness")) or "?"
    who = f"{harness} {e['id'][:8]}"
    if kind == "session.started":
        what = "started" + (f" ({why})" if why else "")
        if e.get("cwd"):
            what += f" in {tilde(str(e['cwd']))}"
    elif kind == "session.ended":
        what = "ended" + (f" ({why})" if why else "")
    else:
        what = why or "state unknown"
    ident = f"{harness}\0{e['id']}\0{e['event']}\0{why}\0{e['ts']}"
    return Event(e["ts"], kind, ident, who, what, session=e["id"][:200],
                 folder=e.get("cwd") or None)
