"""The catalog's status rule: an end wins, then a fresh hook state, then the transcript; and SQL
filters agree with what Python shows."""

from __future__ import annotations

import itertools
import sqlite3

import pytest

from axi.index.status import (
    END_SLACK,
    FRESH,
    IDLE_WINDOW,
    STATE_SLACK,
    WORKING_WINDOW,
    matching,
    of_rows,
    word,
)

NOW = 1_800_000_000.0


def test_transcript_rule_without_hooks():
    assert word(1, NOW - 60, NOW) == "working"
    assert word(0, NOW - 60, NOW) == "idle"
    assert word(1, NOW - WORKING_WINDOW - 1, NOW) == "idle"
    assert word(0, NOW - IDLE_WINDOW - 1, NOW) == "ended"
    assert word(0, None, NOW) == "ended"


@pytest.mark.parametrize("state", ["working", "idle", "needs you"])
def test_a_fresh_hook_state_beats_the_transcript(state):
    last = NOW - 120
    for turn_open in (0, 1):
        assert word(turn_open, last, NOW, state=state, state_at=last + 1) == state
    # a report a moment before the transcript's last write (the host's own bookkeeping)
    assert word(1, last, NOW, state=state, state_at=last - STATE_SLACK + 0.5) == state


def test_stop_makes_an_open_turn_idle_and_a_prompt_makes_a_quiet_session_working():
    assert word(1, NOW - 5, NOW, state="idle", state_at=NOW - 4) == "idle"
    assert word(0, NOW - 50 * 60, NOW, state="working", state_at=NOW - 1) == "working"


def test_a_transcript_write_after_the_report_is_newer_news():
    # approved a permission prompt: the tool's output landed after the Notification
    assert word(1, NOW - 10, NOW, state="needs you", state_at=NOW - 10 - STATE_SLACK - 1) == (
        "working")


@pytest.mark.parametrize("state", ["working", "idle", "needs you"])
def test_a_stale_state_is_ignored(state):
    at = NOW - FRESH[state] - 1
    assert word(1, at - 60, NOW, state=state, state_at=at) == word(1, at - 60, NOW)
    assert word(1, at - 60, NOW, state=state, state_at=at + 2) == state


def test_needs_you_outlasts_working_and_idle():
    assert FRESH["needs you"] > FRESH["working"] and FRESH["needs you"] > FRESH["idle"]
    at = NOW - 3 * 60 * 60
    assert word(0, at, NOW, state="needs you", state_at=at) == "needs you"
    assert word(0, at, NOW, state="working", state_at=at) == "ended"


def test_an_end_wins_over_any_state():
    last = NOW - 60
    for state in FRESH:
        assert word(1, last, NOW, started=last - 100, ended=last + 1, state=state,
                    state_at=last + 2) == "ended"
    # an end older than the last start, or long before the last write, is not this run's
    assert word(1, last, NOW, started=last - 10, ended=last - 20) == "working"
    assert word(1, last, NOW, ended=last - END_SLACK - 1) == "working"


def test_unknown_words_never_win():
    assert word(0, NOW - 60, NOW, state="asleep", state_at=NOW) == "idle"


@pytest.fixture
def index():
    from axi.index.store import SCHEMA

    conn = sqlite3.connect(":memory:")
    conn.row_factory = sqlite3.Row
    conn.executescript(SCHEMA)
    return conn


def test_sql_filter_and_python_agree_on_every_combination(index):
    """Every mix of transcript, end and state: `--status W` selects exactly the rows shown W."""
    lasts = [None, NOW - 30, NOW - WORKING_WINDOW - 30, NOW - IDLE_WINDOW - 30]
    ends = [None, "before", "after"]
    states = [None, *FRESH]
    ages = [1, FRESH["working"] + 30, FRESH["needs you"] + 30]
    mixes = itertools.product(lasts, (0, 1), ends, states, ages)
    for n, (last, turn_open, end, state, age) in enumerate(mixes):
        sid = f"s{n}"
        index.execute("INSERT INTO sessions (key, harness, id, last, turn_open) VALUES "
                      "(?, 'claude', ?, ?, ?)", (sid, sid, last, turn_open))
        base = last or NOW - 100
        ended = {None: None, "before": base - END_SLACK - 5, "after": base + 1}[end]
        at = NOW - age if state else None
        index.execute("INSERT INTO lifecycle VALUES ('claude', ?, ?, 'startup', ?, 'other', ?, ?)",
                      (sid, base - 1000, ended, state, at))
    rows = index.execute("SELECT * FROM sessions").fetchall()
    shown = of_rows(index, rows, NOW)
    assert set(shown.values()) == {"working", "idle", "needs you", "needs auth", "ended"}
    for wanted in ("working", "idle", "needs you", "needs auth", "ended"):
        clause, args = matching(index, wanted, NOW)
        picked = {r[0] for r in index.execute(f"SELECT key FROM sessions WHERE {clause}", args)}
        assert picked == {k for k, w in shown.items() if w == wanted}, wanted
