"""`axi activity` reads no more of the hooks' journal than it shows: the newest events from
the journal's end backwards, the first after a cursor forward from near it, in memory that
does not grow with the journal; and it lists exactly what reading everything would (the
events, and how many there are), lines out of order within the slack included."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import pytest

from axi.console import activity, activity_journal
from axi.console.activity_events import Filters
from axi.console.activity_journal import JOURNAL_SLACK, lines_backward

START = 1_780_000_000.0


def journal_lines(n: int, seed: int = 7, late: float = 0.3) -> list[str]:
    """`n` lines as the hooks write them, one a second; a share `late` of them stamped up to
    JOURNAL_SLACK seconds before the line written ahead of them (within the slack)."""
    rng = random.Random(seed)
    out, live = [], []
    for i in range(n):
        ts = START + i
        if rng.random() < late:
            ts -= rng.random() * (JOURNAL_SLACK - 10)
        r = rng.random()
        if not live or r < 0.1:
            live.append(f"{rng.getrandbits(64):016x}-0000-4000-8000-000000000000")
            event, sid, why = "start", live[-1], "startup"
        elif r < 0.2:
            event, sid, why = "end", live.pop(rng.randrange(len(live))), "exit"
        else:
            event, sid, why = "state", rng.choice(live), rng.choice(["working", "idle"])
        out.append(json.dumps({"ts": round(ts, 3), "event": event,
                               "harness": rng.choice(["claude", "codex"]), "id": sid,
                               "cwd": f"/w/p{rng.randrange(5)}", "why": why}))
    return out


@pytest.fixture
def journal(home) -> Path:
    path = Path(os.environ["AXI_HOME"]) / "sessions.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def everything(filters: Filters, since: float | None, after, limit: int):
    """What reading the whole journal gives (the follow's way in)."""
    stream = activity.Stream(filters)
    try:
        found = stream.collect(after, lower=since)
    finally:
        stream.close()
    shown = found[:limit] if after is not None else found[-limit:]
    return [e.cursor for e in shown], len(found)


def test_lists_exactly_what_reading_everything_would(journal, monkeypatch):
    lines = journal_lines(6000)
    journal.write_text("\n".join(lines) + "\n")
    whole = activity.Stream(Filters()).collect(None)
    sid = whole[-40].session
    parsed = []
    real = activity_journal._journal_entry
    monkeypatch.setattr(activity_journal, "_journal_entry",
                        lambda line: parsed.append(1) or real(line))
    cases = [Filters(), Filters(kinds=frozenset({"session.started"})),
             Filters(session=sid[:6]), Filters(session="ffff-none")]
    for filters in cases:
        for since in (None, START + 5000, START + 100):
            for after in (None, whole[-300].cursor, whole[2000].cursor, whole[-1].cursor):
                for limit in (1, 30, 400):
                    parsed.clear()
                    shown, total = activity.select(filters, since, after, limit)
                    read = len(parsed)
                    want = everything(filters, since, after, limit)
                    assert ([e.cursor for e in shown], total) == want, (filters, since, after)
                    if filters == Filters() and limit == 30 and since is None:
                        # the default view: a few minutes of lines past the 30th newest
                        assert read < 800, (after, read)


def test_the_default_view_reads_the_journals_end_only(journal, monkeypatch):
    """100,000 lines: the newest 30, and how many there are, in memory that does not grow
    with the journal (a whole read held ~190 MB), parsing some hundred lines."""
    lines = journal_lines(100_000, late=0.05)
    journal.write_text("\n".join(lines) + "\n")
    newest = sorted(json.loads(line)["ts"] for line in lines)[-30:]
    del lines
    tracemalloc.start()
    try:
        shown, total = activity.select(Filters(), None, None, 30)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert total == 100_000 and [e.ts for e in shown] == newest
    assert peak < 4 << 20, peak


def test_a_line_still_being_written_and_a_torn_one(journal):
    lines = journal_lines(50, late=0)
    journal.write_bytes(("\n".join(lines[:40]) + "\n{not json\n" + "\n".join(lines[40:])
                         + "\n" + lines[0][:30]).encode())  # the last has no newline yet
    shown, total = activity.select(Filters(), None, None, 5)
    assert [e.ts for e in shown] == [START + i for i in range(45, 50)]
    assert total == 50  # the torn line is no event; the unfinished one is not there yet


def test_lines_backward_gives_every_whole_line_last_first(tmp_path, monkeypatch):
    rng = random.Random(3)
    monkeypatch.setattr(activity_journal, "BLOCK", 7)
    monkeypatch.setattr(activity_journal, "MAX_LINE", 40)
    for _ in range(200):
        parts = [bytes(rng.choice(b"ab{}") for _ in range(rng.choice([0, 1, 5, 12, 30, 90])))
                 for _ in range(rng.randrange(0, 8))]
        body = b"\n".join(parts) + (b"\n" if parts and rng.random() < 0.7 else b"")
        path = tmp_path / "j"
        path.write_bytes(body)
        whole = body[:body.rfind(b"\n") + 1]
        offsets, at = [], 0
        for line in whole.split(b"\n")[:-1]:
            offsets.append((at, line))
            at += len(line) + 1
        floor = rng.choice([0] + [o for o, _ in offsets])
        every = [(o, line) for o, line in offsets if o >= floor]
        got = list(lines_backward(str(path), floor))[::-1]
        # in order, each whole as written; a line past MAX_LINE may be left out, no other
        assert [x for x in every if x in got] == got, body
        assert {x for x in every if len(x[1]) <= 40} <= set(got), body


def test_the_command_on_a_long_journal(journal, home):
    journal.write_text("\n".join(journal_lines(20_000, late=0)) + "\n")
    env = {**os.environ, "PWD": str(home)}
    proc = subprocess.run([sys.executable, "-m", "axi", "activity", "--limit", "3",
                           "--format", "json"], capture_output=True, text=True, timeout=60,
                          cwd=home, env=env)
    data = json.loads(proc.stdout)
    assert (data["count"], data["total"]) == (3, 20_000)
    assert [e["time"] for e in data["events"]] == [
        time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(START + i)) for i in (19997, 19998,
                                                                              19999)]
