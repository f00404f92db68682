"""`axi sessions read --follow`: a session's (or a run's) life as a stream of NDJSON events.

Events: `turn` (a new user or assistant turn, read from the parsed transcript), `waiting` (a
live held session went quiet after a turn, asked a question with `axi ask`, shows a login or
OAuth prompt (`auth`) or another prompt that blocks it (`prompt`: its state hook's report, else
the harness's `waiting_re`), or was tagged success and awaits review), `exit` (it ended) and
`crash` (its holder vanished). Every POLL
seconds each followed session is looked at; the stream ends once every followed session has
exited or crashed, or at the timeout.
Sessions axi did not launch have no holder to watch: they only yield turns.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from axi import views
from axi.control import live, records
from axi.control.tail import Locator, Tail
from axi.harnesses import NAMES
from axi.sqlite import sqlite3

POLL = 0.3
MEMBERS_EVERY = 1.0  # seconds between checks for sessions that joined the run
PREVIEW = 200
KINDS = ("turn", "waiting", "exit", "crash")
SPOKEN = ("user", "assistant")


class Stream:
    """One followed session: where its transcript is, how far it was read, what was told."""

    def __init__(self, ident: str, session: str | None, harness: str, launched: bool,
                 since: int = 0, not_before: float | None = None, from_now: bool = False):
        self.id, self.session, self.harness, self.launched = ident, session, harness, launched
        self.since, self.not_before, self.from_now = since, not_before, from_now
        self.tail: Tail | None = None
        self.last_role: str | None = None  # of the last turn read (tool: mid-turn)
        self.quiet_told = self.review_told = False
        self.asks_told: set[int] = set()
        self.block_told: str | None = None  # what blocks it (auth, prompt), as last told
        self.done = False

    def base(self, kind: str) -> dict:
        return {"event": kind, "id": self.id, "session": self.session}


class Follow:
    def __init__(self, kinds: tuple[str, ...] = KINDS, seconds: float | None = None,
                 emit: Callable[[dict], None] | None = None):
        from axi.output import event

        self.kinds, self.emit_ = kinds, emit or event
        self.deadline = None if seconds is None else time.monotonic() + seconds
        self.streams: dict[str, Stream] = {}
        self.locator = Locator()
        self.conn: sqlite3.Connection | None = None  # the mailbox, once a launch is followed
        self.run: str | None = None
        self.next_members = 0.0

    # -- what to follow ---------------------------------------------------------------------
    def add_launch(self, row: sqlite3.Row, since: int = 0, from_now: bool = False,
                   not_before: float | None = None) -> None:
        self.conn = self.conn or records.connect()
        stream = Stream(row["id"], row["session"], row["harness"], True, since, not_before,
                        from_now)
        self.streams[row["id"]] = stream
        if from_now:
            self._locate(stream, force=False)
            if stream.tail is None:  # no transcript yet: all of it will be new
                stream.not_before = time.time()

    def add_session(self, row: sqlite3.Row, since: int = 0, from_now: bool = False) -> None:
        stream = Stream(row["id"], row["id"], row["harness"], False, since, from_now=from_now)
        stream.tail = Tail(row["harness"], row["id"], row["source"], since)
        self.streams[row["id"]] = stream
        if from_now:
            self._seek_end(stream)

    def add_run(self, run: str, from_now: bool = False) -> None:
        self.run = run
        self.conn = self.conn or records.connect()
        for row in records.members(self.conn, run):
            self.add_launch(row, from_now=from_now)
        self.next_members = time.monotonic() + MEMBERS_EVERY

    def _join_late(self) -> None:
        """Sessions launched into the run since the last look, from their own first turn."""
        for row in records.members(self.conn, self.run):
            if row["id"] not in self.streams:
                # A late `continue` resumes an old transcript: only its new turns count.
                self.add_launch(row, not_before=row["created"] - 1.0)

    # -- the loop ---------------------------------------------------------------------------
    def run_until_done(self) -> None:
        while True:
            if self.run and time.monotonic() >= self.next_members:
                self._join_late()
                self.next_members = time.monotonic() + MEMBERS_EVERY
            for stream in list(self.streams.values()):
                if not stream.done:
                    try:
                        self._poll(stream)
                    except sqlite3.Error as exc:  # the mailbox is busy: look again next time
                        from axi.output import warn

                        warn(f"cannot check {stream.id} now: {exc}")
            if self.streams and all(s.done for s in self.streams.values()):
                return
            if self.deadline is not None and time.monotonic() >= self.deadline:
                return
            wait = POLL if self.deadline is None else min(POLL, self.deadline - time.monotonic())
            time.sleep(max(wait, 0))

    def _poll(self, stream: Stream) -> None:
        if not stream.launched:
            self._read(stream)
            return
        from axi.control.waiting import settle

        row = records.get(self.conn, stream.id)
        if row is None:  # the record is gone: nothing more will happen
            stream.done = True
            return
        row = settle(self.conn, row)
        if stream.session is None and row["session"]:
            stream.session = row["session"]
        ended = row["ended"] is not None
        self._locate(stream, force=ended)
        self._read(stream, force=ended)
        if ended:
            self._end(stream, row)
        elif live.state(row)[0] == live.LIVE:
            self._attention(stream, row)

    def _locate(self, stream: Stream, force: bool) -> None:
        if stream.tail is not None or not stream.session or stream.harness not in NAMES:
            return
        source = self.locator.source(stream.session, stream.harness, force=force)
        if source is None:
            return
        stream.tail = Tail(stream.harness, stream.session, source, stream.since)
        if stream.from_now and stream.not_before is None:
            self._seek_end(stream)

    def _seek_end(self, stream: Stream) -> None:
        for turn in self._safe_turns(stream):
            stream.last_role = turn.role

    def _safe_turns(self, stream: Stream, force: bool = False) -> list:
        from axi.errors import AxiError
        from axi.output import warn

        try:
            return stream.tail.new_turns(force)
        except (OSError, AxiError) as exc:  # busy or rotated: try again on the next poll
            warn(f"cannot read the transcript of {stream.id} yet: {exc}")
            return []

    def _read(self, stream: Stream, force: bool = False) -> None:
        if stream.tail is None:
            return
        for turn in self._safe_turns(stream, force):
            stream.last_role = turn.role
            if turn.role not in SPOKEN:
                continue
            if stream.not_before and turn.ts is not None and turn.ts < stream.not_before:
                continue
            stream.quiet_told = False
            text = turn.text or ("tools: " + "; ".join(turn.tools) if turn.tools else "")
            self.emit({**stream.base("turn"), "cursor": turn.cursor, "next": turn.cursor + 1,
                       "role": turn.role, "ts": views.iso(turn.ts),
                       "preview": views.one_line(text, PREVIEW) or ""})

    def _attention(self, stream: Stream, row: sqlite3.Row) -> None:
        asks = records.open_asks(self.conn, [row["id"]])
        for ask in asks:
            if ask["id"] not in stream.asks_told:
                stream.asks_told.add(ask["id"])
                self.emit({**stream.base("waiting"), "reason": "ask",
                           "question": ask["question"],
                           "hint": views.command("reply", row["id"], "<answer>")})
        block = live.blocked(row)
        if (block and block[0]) != stream.block_told:
            stream.block_told = block and block[0]  # told once each time it becomes blocked
            if block:
                self.emit({**stream.base("waiting"), "reason": block[0], "prompt": block[1],
                           "hint": views.command("sessions", "attach", row["id"])})
        last_write = stream.tail.last_write if stream.tail else None
        status = live.status(row, asking=bool(asks), transcript_last=last_write)
        if status == "review" and not stream.review_told:
            stream.review_told = True  # tagged success, still open: its owner should look
            self.emit({**stream.base("waiting"), "reason": "review",
                       "hint": views.command("sessions", "result", row["id"])})
        elif status == "idle" and not stream.quiet_told and stream.last_role in (
                None, "assistant"):
            stream.quiet_told = True
            self.emit({**stream.base("waiting"), "reason": "input",
                       "hint": views.command("sessions", "type", row["id"], "<text>")})

    def _end(self, stream: Stream, row: sqlite3.Row) -> None:
        from axi.control import proc

        if row["outcome"] is None and proc.same(row["holder_pid"], row["holder_token"]):
            return  # the holder is still recording the outcome (an accept check may run)
        stream.done = True
        if row["end_reason"] == "holder_lost":
            self.emit({**stream.base("crash"), "outcome": row["outcome"],
                       "reason": "the holder process vanished",
                       "hint": views.command("sessions", "restart", row["id"])})
            return
        data = {**stream.base("exit"), "outcome": row["outcome"], "exit": row["exit_code"],
                "signal": row["exit_signal"], "reason": row["end_reason"],
                "hint": views.command("sessions", "result", row["id"])}
        self.emit({k: v for k, v in data.items() if v is not None or k == "exit"})

    def emit(self, data: dict) -> None:
        if data["event"] in self.kinds:
            self.emit_(data)


def target(ident: str) -> tuple[sqlite3.Row, bool]:
    """The session to follow: (launch row, True) when axi launched it, else (index row,
    False). A launch is found even before its transcript exists."""
    from axi.mailbox import db

    if db.exists():
        row = records.find(records.connect(), ident)
        if row is not None:
            return row, True
    from axi.index.catalog import open_index, resolve

    index, _ = open_index(budget=1.0)
    return resolve(index, ident), False
