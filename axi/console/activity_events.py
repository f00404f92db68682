"""The activity stream's vocabulary: its kinds, cursors, filters and events (see
`axi/console/activity.py` for how events are ordered and resumed)."""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

from axi.errors import UsageFault

KINDS = (
    "session.started", "session.state", "session.ended",
    "mail.sent", "mail.read", "mail.acked",
    "task.created", "task.updated",
    "agent.pending", "agent.approved", "agent.revoked",
    "launch.started", "launch.ended", "launch.judged",
    "run.started", "run.concluded",
    "ask.asked", "ask.answered",
    "mail.progress",
)
GROUPS = tuple(dict.fromkeys(k.split(".")[0] for k in KINDS))
LAG = 1.0  # seconds a follow holds events back (see the module docstring)
POLL = 0.25  # seconds between looks while following
_CURSOR = re.compile(r"^(\d{1,16})-([a-z]+\.[a-z]+)-([0-9a-f]{10})$")
_JOURNAL_KIND = {"start": "session.started", "end": "session.ended", "state": "session.state"}


# Within one millisecond, events are ordered by kind in this order (then by hash). Cursors
# depend on it: never reorder; a new kind takes the next number.
RANK = {kind: n for n, kind in enumerate(KINDS)}
LAST = len(KINDS)  # past every kind: a position at the end of a millisecond


@dataclass(frozen=True, order=True, slots=True)
class Cursor:
    """A position in the stream: (time in ms, kind's rank, hash), ordered as a tuple."""

    ms: int
    rank: int = LAST
    digest: str = ""
    kind: str = field(default="", compare=False)

    def word(self) -> str:
        return f"{self.ms}-{self.kind}-{self.digest}"


def parse_cursor(text: str) -> Cursor:
    m = _CURSOR.match(text.strip())
    if m is None or m.group(2) not in KINDS:
        raise UsageFault(f"{text!r} is not an activity cursor",
                         help=["a cursor is the `cursor` of an event `axi activity --follow` "
                               "printed (or the list's `cursor`), such as "
                               "1795305600000-mail.sent-3fa9c2d1e0"])
    return Cursor(int(m.group(1)), RANK[m.group(2)], m.group(3), m.group(2))


@dataclass
class Filters:
    kinds: frozenset[str] | None = None  # None: every kind
    agent: str | None = None
    session: str | None = None
    run: str | None = None

    def wants(self, kind: str) -> bool:
        return self.kinds is None or kind in self.kinds


def kinds_for(words: Iterable[str]) -> frozenset[str] | None:
    """`--kind` values (a kind, or a group such as `mail`) as the set of kinds they name."""
    out: set[str] = set()
    for word in words:
        out |= {k for k in KINDS if k == word or k.split(".")[0] == word}
    return frozenset(out) or None


@dataclass
class Event:
    ts: float
    kind: str
    ident: str  # what identifies the event within its kind (hashed into the cursor)
    who: str
    what: str
    agents: tuple[str, ...] = ()
    session: str | None = None
    launch: str | None = None
    run: str | None = None
    folder: str | None = None
    _cursor: Cursor | None = field(default=None, repr=False)

    @property
    def cursor(self) -> Cursor:
        if self._cursor is None:
            digest = hashlib.blake2s(f"{self.kind}\0{self.ident}".encode(),
                                     digest_size=5).hexdigest()
            self._cursor = Cursor(int(round(self.ts * 1000)), RANK[self.kind], digest,
                                  self.kind)
        return self._cursor

    def row(self) -> dict:
        from axi.views import iso

        return {"time": iso(self.ts), "kind": self.kind, "who": self.who, "what": self.what}

    def record(self) -> dict:
        """The full event (`--format json`, `--follow`): the row plus its ids and cursor."""
        out = self.row()
        out["time"] = _iso_ms(self.ts)
        for key in ("session", "launch", "run"):
            if getattr(self, key):
                out[key] = getattr(self, key)
        if self.agents:
            out["agents"] = list(self.agents)
        out["cursor"] = self.cursor.word()
        return out


_FLIP = str.maketrans("0123456789abcdef", "fedcba9876543210")


class Window:
    """The `limit` events at one end of what is offered (the newest, or with `newest=False`
    the first), in memory bounded by `limit` whatever is offered; `total` counts every
    distinct event offered. The same event offered twice while kept counts once."""

    def __init__(self, limit: int, newest: bool = True):
        self.limit, self.newest = limit, newest
        self.heap: list[tuple[tuple, Event]] = []  # heap[0]: the kept event to give up first
        self.kept: set[Cursor] = set()
        self.total = 0

    def offer(self, event: Event) -> None:
        import heapq

        c = event.cursor
        if c in self.kept:
            return
        self.total += 1
        key = (c.ms, c.rank, c.digest) if self.newest else (
            -c.ms, -c.rank, c.digest.translate(_FLIP))
        if len(self.heap) < self.limit:
            heapq.heappush(self.heap, (key, event))
        elif self.heap and key > self.heap[0][0]:
            self.kept.discard(heapq.heapreplace(self.heap, (key, event))[1].cursor)
        else:
            return
        self.kept.add(c)

    def edge(self) -> Cursor | None:
        """The kept event nearest the middle of the stream, once `limit` are kept: an event
        beyond it (older for the newest, later for the first) cannot get in."""
        return self.heap[0][1].cursor if self.heap and len(self.heap) >= self.limit else None

    def events(self) -> list[Event]:
        return sorted((e for _, e in self.heap), key=lambda e: e.cursor)


def _iso_ms(ts: float) -> str:
    whole = int(ts)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole)) + \
        f".{int(round((ts - whole) * 1000)) % 1000:03d}Z"


def _word(value: object, limit: int = 60) -> str:
    from axi.views import one_line

    return one_line(value, limit) or "" if isinstance(value, str) else ""
