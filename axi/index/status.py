"""A catalogued session's status: one definition for the lists, `view` and `--status`.

First rule that applies:
1. The host reported the session's end, after its last start and no earlier than its
   transcript's last write (less END_SLACK): ended.
2. Its hooks reported a state (working, idle, needs you, needs auth) at or after the
   transcript's last write (less STATE_SLACK) and within that word's FRESH window: that word.
   A transcript write after the report is newer news (a prompt approved, a tool's output), so
   the transcript decides again.
3. The transcript: an open turn written within WORKING_WINDOW is working; anything written
   within IDLE_WINDOW is idle; older is ended.
Sessions axi launched are decided by the control plane before any of this (`control/overlay`).

`word` is the only definition. Python calls it for rows; SQL filters call the same function,
registered on the connection, so what `--status` selects is what the list shows.
"""

from __future__ import annotations

from axi.sqlite import sqlite3

WORKING_WINDOW = 10 * 60  # an open turn with activity this recent is being worked on
IDLE_WINDOW = 60 * 60  # a session touched this recently may still be open in a terminal
END_SLACK = 30.0  # an end this close before the transcript's last write still counts
# A host may write to the transcript just after running a hook: Codex 0.169 wrote its
# `task_complete` line 7 ms after its Stop hook recorded idle (seen with the real CLI).
STATE_SLACK = 5.0
# How long a hook's word holds without newer news. working: AgentSwitch's 15 min; a turn
# silent that long has likely died without a Stop. idle: as long as the transcript rule keeps
# a quiet session idle, so the hook never makes a session look more alive than its transcript
# would. needs you: a day; a blocked session waits however long nobody answers, and that is
# when it matters most; past a day it was more likely closed without a SessionEnd. needs auth
# (a login or OAuth flow): the same.
FRESH = {"working": 15 * 60, "idle": IDLE_WINDOW, "needs you": 24 * 60 * 60,
         "needs auth": 24 * 60 * 60}
SQL_NAME = "axi_status"


def word(turn_open: object, last: float | None, now: float, started: float | None = None,
         ended: float | None = None, state: str | None = None,
         state_at: float | None = None) -> str:
    if last is None or host_ended(last, started, ended):
        return "ended"
    if (state in FRESH and state_at is not None and state_at >= last - STATE_SLACK
            and now - state_at < FRESH[state]):
        return state
    quiet = now - last
    if turn_open and quiet < WORKING_WINDOW:
        return "working"
    return "idle" if quiet < IDLE_WINDOW else "ended"


def host_ended(last: float | None, started: float | None, ended: float | None) -> bool:
    return ended is not None and ended >= (started or 0) and ended >= (last or 0) - END_SLACK


def of_row(row, life, now: float) -> str:
    """The word for a `sessions` row and its `lifecycle` row (None when no hook reported)."""
    if life is None:
        return word(row["turn_open"], row["last"], now)
    return word(row["turn_open"], row["last"], now, life["started"], life["ended"],
                life["state"], life["state_at"])


def changes_at(row, life) -> list[float]:
    """The times at which `of_row`'s word for `row` may change with nothing else moving: the
    windows its transcript's last write and its hooks' last state open."""
    times = []
    if row["last"] is not None:
        times += [row["last"] + WORKING_WINDOW, row["last"] + IDLE_WINDOW]
    if life is not None and life["state"] in FRESH and life["state_at"] is not None:
        times.append(life["state_at"] + FRESH[life["state"]])
    return times


def of_rows(conn: sqlite3.Connection, rows: list, now: float) -> dict[str, str]:
    """The word for each of `rows`, by session key (one lifecycle query for them all)."""
    from axi.index.events import lifecycles

    lives = lifecycles(conn, rows) if rows else {}
    return {r["key"]: of_row(r, lives.get((r["harness"], r["id"])), now) for r in rows}


def ending(conn: sqlite3.Connection, row: sqlite3.Row) -> tuple[float, str | None] | None:
    """(when, why) the host reported this session ended, if that is its latest news."""
    from axi.index.events import lifecycles

    try:
        life = lifecycles(conn, [row]).get((row["harness"], row["id"]))
    except sqlite3.Error:
        return None
    if life is None or not host_ended(row["last"], life["started"], life["ended"]):
        return None
    return life["ended"], life["reason"]


def matching(conn: sqlite3.Connection, wanted: str, now: float) -> tuple[str, list]:
    """A WHERE part (on the `sessions` table) for sessions whose word is `wanted`.

    `word` decides; `recent` only spares it the rows that cannot be anything but ended (no
    transcript write within IDLE_WINDOW, no report within the longest FRESH window), so
    `sessions_last` does most of the work on a big index."""
    conn.create_function(SQL_NAME, 7, word, deterministic=True)
    recent = "(s.last >= ? OR l.state_at >= ?)"
    test = (f"{SQL_NAME}(s.turn_open, s.last, ?, l.started, l.ended, l.state, l.state_at) = ?")
    where = f"(NOT {recent} OR {test})" if wanted == "ended" else f"{recent} AND {test}"
    return (f"key IN (SELECT s.key FROM sessions s LEFT JOIN lifecycle l "
            f"ON l.harness = s.harness AND l.id = s.id WHERE {where})",
            [now - IDLE_WINDOW, now - max(FRESH.values()), now, wanted])
