"""What the warm paths ask of the index stays right as it is made cheap: the per-folder
tallies equal counting the sessions (through a first index, growth, replacement, removal and
moves), both ways to a folder's newest sessions agree, and the rotating slice of directories
reaches every one."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
from pathlib import Path

from axi.index import store
from axi.index.scan import refresh
from axi.index.tallies import tally

SESSION = "cb4228d5-fe8a-4429-b9c5-afb1e5530257"
FOLDER = "/home/dev/work/projA"


def counted(conn: sqlite3.Connection) -> dict[str, int]:
    return {d: n for d, n in conn.execute(
        "SELECT coalesce(dir, ''), count(*) FROM sessions WHERE is_subagent = 0 GROUP BY 1")}


def tallied(conn: sqlite3.Connection) -> dict[str, int]:
    return {d: n for d, n in conn.execute("SELECT dir, n FROM tallies WHERE n != 0")}


def assert_in_step(conn: sqlite3.Connection) -> None:
    assert tallied(conn) == counted(conn)
    assert not conn.execute("SELECT count(*) FROM tallies WHERE n < 0").fetchone()[0]
    total = conn.execute("SELECT count(*) FROM sessions WHERE is_subagent = 0").fetchone()[0]
    assert tally(conn) == total


def transcript(home: Path) -> Path:
    return home / ".claude/projects/-home-dev-work-projA" / f"{SESSION}.jsonl"


def test_a_first_index_tallies_every_folder(corpus_home):
    conn = store.connect()
    refresh(conn)
    assert len(counted(conn)) == 3  # the recorded stores span three folders
    assert_in_step(conn)
    from axi.index.catalog import scope_clause

    where, args = scope_clause([FOLDER])
    assert tally(conn, where, args) == conn.execute(
        f"SELECT count(*) FROM sessions WHERE is_subagent = 0 AND {where}", args).fetchone()[0]


def test_growth_replacement_and_removal_keep_the_tallies(corpus_home):
    conn = store.connect()
    refresh(conn)
    path = transcript(corpus_home)
    with open(path, "a") as fh:  # grown: the session's row is replaced
        fh.write(json.dumps({"type": "user", "sessionId": SESSION, "cwd": FOLDER,
                             "timestamp": "2026-11-21T23:59:00.000Z", "uuid": "u-new",
                             "message": {"role": "user", "content": "more"}}) + "\n")
    assert refresh(conn).parsed_files == 1
    assert_in_step(conn)
    copy = path.with_name("0f0e0d0c-0000-4000-8000-000000000001.jsonl")
    shutil.copy(path, copy)  # a second session, same folder
    refresh(conn, full=True)
    assert_in_step(conn)
    before = tallied(conn)
    os.unlink(copy)
    os.unlink(path)
    refresh(conn, full=True)
    assert_in_step(conn)
    assert sum(tallied(conn).values()) < sum(before.values())


def test_a_session_moved_to_another_folder_moves_its_tally(corpus_home):
    conn = store.connect()
    refresh(conn)
    key = conn.execute("SELECT key FROM sessions WHERE is_subagent = 0 LIMIT 1").fetchone()[0]
    with store.write(conn):
        conn.execute("UPDATE sessions SET dir = '/elsewhere' WHERE key = ?", (key,))
    assert_in_step(conn)
    with store.write(conn):
        conn.execute("UPDATE sessions SET is_subagent = 1 WHERE key = ?", (key,))
    assert_in_step(conn)
    with store.write(conn):
        conn.execute("DELETE FROM sessions WHERE key = ?", (key,))
    assert_in_step(conn)


def test_both_ways_to_a_folders_newest_pick_the_same_sessions(corpus_home):
    from axi.index.catalog import newest, scope_clause
    from axi.index.tallies import newest_where

    conn = store.connect()
    refresh(conn)
    where, args = scope_clause([FOLDER])
    here, total = tally(conn, where, args), tally(conn)
    assert 0 < here < total
    walked = newest_where(conn, where, args, 1, here=here, total=here)  # busy: walk all
    sorted_ = newest_where(conn, where, args, here, here=1, total=10**6)  # few: sort them
    assert walked.startswith("+") and not sorted_.startswith("+")
    for limit in (1, 3, here, here + 5):
        assert ([r["key"] for r in newest(conn, walked, args, limit)]
                == [r["key"] for r in newest(conn, sorted_, args, limit)])
        plan = " ".join(r[3] for r in conn.execute(
            f"EXPLAIN QUERY PLAN SELECT rowid FROM sessions WHERE {walked} "
            "ORDER BY last DESC LIMIT ?", [*args, limit]))
        assert "sessions_last" in plan and "TEMP B-TREE" not in plan


def test_the_rotating_slice_of_directories_reaches_every_one(home, monkeypatch):
    """Beyond the newest DIR_BUDGET, a quick refresh checks a slice of the directories that
    moves every second: a change anywhere is seen within total / DIR_BUDGET seconds."""
    from axi.index import scan

    conn = store.connect()
    folders = [home / f"d{i:03}" for i in range(5 * scan.DIR_BUDGET)]
    with store.write(conn):
        for folder in folders:
            folder.mkdir()
            conn.execute("INSERT INTO dirs VALUES (?, ?)", (str(folder), folder.stat().st_mtime_ns))
    assert not scan._dirs_moved(conn, set())
    for stale in (folders[0], folders[len(folders) // 2], folders[-1]):
        with store.write(conn):  # as if it changed since the sweep, and is not among the newest
            conn.execute("UPDATE dirs SET mtime_ns = 1 WHERE path = ?", (str(stale),))
        seen = []
        for now in range(len(folders) // scan.DIR_BUDGET):  # one second after another
            monkeypatch.setattr(scan.time, "time", lambda now=now: float(now))
            if scan._dirs_moved(conn, set()):
                seen.append(now)
        assert len(seen) == 1, stale
        with store.write(conn):
            conn.execute("UPDATE dirs SET mtime_ns = ? WHERE path = ?",
                         (stale.stat().st_mtime_ns, str(stale)))
