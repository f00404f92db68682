"""Adoption: finding the session id a harness minted itself (Codex, opencode).

A launch whose template has no `{newid}` does not know its session id up front. The holder
looks in the catalog for a session of that harness in the launch's folder, created after the
launch and not yet claimed by another launch, and records it.
"""

from __future__ import annotations

from axi.sqlite import sqlite3

SLACK = 2.0  # clocks and timestamp rounding: a session this much older still counts


def find_session(conn: sqlite3.Connection, launch: sqlite3.Row) -> str | None:
    """The unclaimed session this launch started: among new sessions of its harness in its
    folder, the one whose first prompt is the launch's task, else the newest. Matching the
    task keeps two launches started in one folder at once from taking each other's session."""
    from axi.index.catalog import open_index
    from axi.paths import dir_candidates

    index, _ = open_index(budget=1.0)
    dirs = dir_candidates(launch["dir"])
    marks = ",".join("?" for _ in dirs)
    found = index.execute(
        f"SELECT id, title FROM sessions WHERE harness = ? AND is_subagent = 0 "
        f"AND dir IN ({marks}) AND coalesce(created, last) >= ? ORDER BY created DESC",
        [launch["harness"], *dirs, launch["created"] - SLACK]).fetchall()
    index.close()
    free = [(sid, title) for sid, title in found if not conn.execute(
        "SELECT 1 FROM launches WHERE session = ? AND id != ? LIMIT 1",
        (sid, launch["id"])).fetchone()]
    task = _words(_prompt(launch))
    if task:
        same = [sid for sid, title in free if _same_prompt(task, _words(title))]
        if same:
            return same[0]
    # No session shows our first prompt yet (or the harness titles sessions itself, as
    # opencode does): take the newest, unless its first prompt is another waiting launch's.
    theirs = [_words(_prompt(other)) for other in conn.execute(
        "SELECT * FROM launches WHERE session IS NULL AND id != ? AND harness = ? AND dir = ?",
        (launch["id"], launch["harness"], launch["dir"]))]
    for sid, title in free:
        if not any(p and _same_prompt(p, _words(title)) for p in theirs):
            return sid
    return None


def _prompt(launch: sqlite3.Row) -> str | None:
    """The first prompt as it was sent (a behaviour text comes before the task)."""
    import json

    try:
        return json.loads(launch["spec"]).get("prompt") or launch["task"]
    except (ValueError, TypeError):
        return launch["task"]


def _words(text: str | None) -> str:
    return " ".join((text or "").split()).lower()


def _same_prompt(task: str, title: str) -> bool:
    """Titles are the first prompt, cleaned and cut: compare what both have."""
    n = min(len(task), len(title), 60)
    return n >= 8 and task[:n] == title[:n] or (task == title and n > 0)


def launch_of(prefix: str) -> sqlite3.Row | None:
    """The launch a launch id (or its prefix) names; None when axi launched no such session."""
    from axi.control import records
    from axi.errors import AxiError
    from axi.mailbox import db

    if not db.exists():
        return None
    try:
        return records.find(records.connect(), prefix)
    except AxiError:  # too short or ambiguous: the catalog's own error stands
        return None
