"""What the table shows: the columns, and the sessions after filters, sort and grouping.

Pure Python over `model.Session` rows (no Textual), so the keys' effects are plain data to
test and fast enough to redo on every keystroke: one fuzzy regex per term over a lowercase
haystack per row, within the rows the last, shorter query kept.
"""

from __future__ import annotations

import re

from axi import views
from axi.picker.model import STATUS_RANK, Session
from axi.sqlite import sqlite3

DEFAULT_COLUMNS = ("harness", "status", "model", "age", "ctx", "cost", "dir", "title")
OPTIONAL = ("host", "name", "run", "tags")  # shown on their own when some row has one
# name -> (header, width; 0 takes the rest of the line)
WIDTHS = {"harness": ("HARNESS", 8), "status": ("STATUS", 10), "model": ("MODEL", 18),
          "age": ("AGE", 4), "ctx": ("CTX", 4), "cost": ("COST", 8), "dir": ("DIR", 26),
          "title": ("TITLE", 0), "name": ("NAME", 14), "run": ("RUN", 12),
          "tags": ("TAGS", 18), "id": ("ID", 10), "host": ("HOST", 10)}
KNOWN = tuple(WIDTHS)
GROUPS = ("flat", "dir", "run")


class Header:
    """A group's title row."""

    __slots__ = ("label", "count")

    def __init__(self, label: str, count: int):
        self.label, self.count = label, count


def check_columns(names: list[str]) -> str | None:
    """The first problem in a `columns` list (None: fine)."""
    for name in names:
        if name not in KNOWN and not (name.startswith("tag:") and len(name) > 4):
            return f"columns has an unknown column {name!r} (known: {', '.join(KNOWN)}, tag:<key>)"
    return None


def columns_for(sessions: list[Session], configured: list[str] | None = None) -> list[str]:
    if configured:
        return list(configured)
    out = list(DEFAULT_COLUMNS)
    extra = [c for c in OPTIONAL if any(_value(s, c) for s in sessions)]
    return out[:-1] + extra + out[-1:]


def _value(s: Session, col: str) -> str:
    if col == "host":
        return s.host or ""
    if col == "name":
        return s.name or ""
    if col == "run":
        return s.run or ""
    if col == "tags":
        return " ".join(k if v is True else f"{k}={v}" for k, v in s.tags.items())
    if col.startswith("tag:"):
        value = s.tags.get(col[4:])
        return "" if value is None else "✓" if value is True else str(value)
    return ""


def cell(s: Session, col: str, conn: sqlite3.Connection, now: float) -> str:
    """A row's text in column `col`."""
    if col == "status":
        return "" if s.status == "ended" else "✓ review" if s.status == "review" else s.status
    if col == "age":
        return views.age(s.last, now) or ""
    if col == "ctx":
        return s.ctx()[0]
    if col == "cost":
        return s.cost(conn)[0]
    if col == "id":
        return s.id[:8]
    if col in ("harness", "model", "dir", "title"):
        return getattr(s, col)
    return _value(s, col)


def sort_key(col: str, conn: sqlite3.Connection):
    if col == "status":
        return lambda s: STATUS_RANK.get(s.status, 9)
    if col == "age":
        return lambda s: -(s.last or 0)
    if col == "ctx":
        return lambda s: -s.ctx()[1]
    if col == "cost":
        return lambda s: -s.cost(conn)[1]
    if col in ("harness", "model", "dir", "title", "id"):
        return lambda s: (getattr(s, col) or "").lower()
    return lambda s: (not _value(s, col), _value(s, col).lower())


def fuzzy(term: str) -> re.Pattern:
    """A term's letters in order within one word (anything but a space between them)."""
    return re.compile(r"\S*?".join(re.escape(c) for c in term))


class View:
    """The sessions as shown: filters (active only, run, metadata query, search hits), sort
    and grouping. `rows` is the list the table draws (sessions and group headers)."""

    def __init__(self, sessions: list[Session], conn: sqlite3.Connection,
                 active_only: bool = False):
        self.sessions, self.conn = sessions, conn
        self.active_only = active_only
        self.run: str | None = None
        self.machine: str | None = None  # None: every machine; "local"; or a host's name
        self.query = ""
        self.hits: set[str] | None = None  # session keys with search hits (None: no search)
        self.sort_col, self.reverse = "age", False
        self.group = "flat"
        self.tree = False
        self._base: list[Session] = []
        self._last_query, self._last_rows = "", []
        self.rows: list[Session | Header] = []
        self.count = 0
        self.rebuild()

    def rebuild(self) -> None:
        """Recompute from scratch (after a change other than the query)."""
        base = [s for s in self.sessions
                if (not self.active_only or s.active) and (self.run is None or s.run == self.run)
                and (self.hits is None or s.key in self.hits) and self.on_machine(s)]
        base.sort(key=sort_key(self.sort_col, self.conn), reverse=self.reverse)
        self._base = base
        self._last_query, self._last_rows = "", base
        self.set_query(self.query)

    def set_query(self, query: str) -> None:
        query = query.lower().strip()
        pool = self._last_rows if query.startswith(self._last_query) else self._base
        if query:
            found = pool
            for term in query.split():  # one pass per term: no per-row generator
                search = fuzzy(term).search
                found = [s for s in found if search(s.hay)]
        else:
            found = self._base
        self.query, self._last_query, self._last_rows = query, query, found
        self.count = len(found)
        self.rows = self._grouped(found)

    def on_machine(self, s: Session) -> bool:
        if self.machine is None:
            return True
        if self.machine == "local":
            return not s.remote
        return s.remote and s.host == self.machine

    def _grouped(self, found: list[Session]) -> list[Session | Header]:
        if self.tree:
            return self._run_tree(found)
        if self.group == "flat":
            return list(found)
        buckets: dict[str, list[Session]] = {}
        for s in found:
            buckets.setdefault(self.group_of(s), []).append(s)
        out: list[Session | Header] = []
        for label in sorted(buckets, key=lambda b: (b == "", b)):
            out.append(Header(label or f"(no {self.group_name()})", len(buckets[label])))
            out.extend(buckets[label])
        return out

    def _run_tree(self, found: list[Session]) -> list[Session | Header]:
        """Sessions of runs, each run's launches in depth order, the rest after."""
        runs: dict[str, list[Session]] = {}
        for s in found:
            if s.run:
                runs.setdefault(s.run, []).append(s)
        out: list[Session | Header] = []
        for run, members in runs.items():
            out.append(Header(f"run {run}", len(members)))
            out.extend(sorted(members, key=lambda s: (s.depth, -(s.last or 0))))
        rest = [s for s in found if not s.run]
        if rest and out:
            out.append(Header("(no run)", len(rest)))
        return out + rest

    def group_of(self, s: Session) -> str:
        if self.group == "dir":
            return s.dir
        if self.group == "run":
            return s.run or ""
        value = s.tags.get(self.group[4:])
        return "" if value is None else str(value)

    def group_name(self) -> str:
        return self.group[4:] if self.group.startswith("tag:") else self.group

    def groupings(self) -> list[str]:
        keys = sorted({k for s in self.sessions for k in s.tags})
        return [*GROUPS, *(f"tag:{k}" for k in keys)]

    def next_group(self) -> str:
        options = self.groupings()
        at = options.index(self.group) if self.group in options else 0
        self.group = options[(at + 1) % len(options)]
        self.set_query(self.query)
        return self.group

    def sessions_shown(self) -> int:
        return self.count
