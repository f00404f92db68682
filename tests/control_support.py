"""Helpers for control-plane tests: the fake harness wired in as `claude`, and cleanup.

Every launch a test makes is stopped when the test ends, and the test fails if any holder or
harness process it started is still alive afterwards.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

FAKE = Path(__file__).resolve().parent / "control" / "fake_harness.py"


def fake_config(state: Path, extra: str = "", top: str = "") -> Path:
    """A config.toml that launches the fake harness for `claude` (`top`: top-level keys,
    `extra`: more tables)."""
    run = f'"{sys.executable}", "{FAKE}"'
    text = f"""{top}
[[harness]]
name = "claude"
launch = [{run}, "--session-id", "{{newid}}", "--model", "{{model}}", "--", "{{task}}"]
launch_headless = [{run}, "-p", "--session-id", "{{newid}}", "--model", "{{model}}", "--",
                   "{{task}}"]
resume_input = [{run}, "--resume", "{{id}}", "--", "{{task}}"]
resume_input_headless = [{run}, "-p", "--resume", "{{id}}", "--", "{{task}}"]
{extra}"""
    state.mkdir(parents=True, exist_ok=True)
    path = state / "config.toml"
    path.write_text(text)
    return path


def axi_run(*args: str, cwd: Path, env: dict | None = None, timeout: float = 60,
            ) -> subprocess.CompletedProcess:
    """A real `axi` process (stdout is checked as strict TOON or JSON by the caller)."""
    return subprocess.run([sys.executable, "-m", "axi", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=timeout, env={**os.environ, **(env or {})})


def axi_json(*args: str, cwd: Path, env: dict | None = None, timeout: float = 60) -> dict:
    proc = axi_run(*args, "--format", "json", cwd=cwd, env=env, timeout=timeout)
    return json.loads(proc.stdout)


def axi_toon(*args: str, cwd: Path, env: dict | None = None, timeout: float = 60,
             ) -> tuple[int, object]:
    """A real `axi` process whose stdout must decode as strict TOON: (exit code, data)."""
    from support import decode_strict

    proc = axi_run(*args, cwd=cwd, env=env, timeout=timeout)
    assert "Traceback" not in proc.stdout, proc.stderr
    return proc.returncode, decode_strict(proc.stdout)


NO_PROCESS = '{"test": "no process"}'  # a record made by a test, with no holder behind it


def _has_launches() -> bool:
    import sqlite3

    from axi.mailbox import db

    if not db.exists():
        return False
    try:  # read-only: a test may have left a mailbox axi must not touch
        conn = db.connect_readonly(db.mailbox_path())
        return conn.execute("SELECT 1 FROM launches LIMIT 1").fetchone() is not None
    except sqlite3.Error:
        return False


def launched_pids() -> list[tuple[str, int, str | None]]:
    """(what, pid, start token) of every holder and harness the mailbox knows of."""
    import sqlite3

    from axi.mailbox import db

    if not db.exists():
        return []
    try:  # read-only: a test may have left a mailbox axi must not touch
        conn = db.connect_readonly(db.mailbox_path())
        found = conn.execute("SELECT holder_pid, holder_token, child_pid, child_token "
                             "FROM launches").fetchall()
    except sqlite3.Error:
        return []
    out = []
    for row in found:
        if row[0]:
            out.append(("holder", row[0], row[1]))
        if row[2]:
            out.append(("harness", row[2], row[3]))
    return out


def stop_everything() -> list[str]:
    """Stop every launch still running; return what was still alive after it (orphans).

    A launch whose holder has not recorded its pids yet counts as running until it ends."""
    from axi.control import live, proc, records, runs

    if not _has_launches():
        return []
    conn = records.connect()
    open_rows = ("SELECT * FROM launches WHERE ended IS NULL "
                 f"AND labels != '{NO_PROCESS}'")
    for row in conn.execute(open_rows).fetchall():
        runs.stop(row, "killed")

    def running() -> list[str]:
        rows = conn.execute(open_rows).fetchall()
        return [f"launch {r['id']} ({live.state(r)[0]})" for r in rows
                if live.state(r)[0] in (live.LIVE, live.STARTING_UP)]

    deadline = time.monotonic() + 8
    while True:
        left = [p for p in launched_pids() if proc.same(p[1], p[2])]
        if not left and not running():
            return []
        if time.monotonic() >= deadline:
            break
        time.sleep(0.1)
    for _what, pid, _token in left:
        proc.signal_group(pid, 9)
    return [f"{what} {pid}" for what, pid, _ in left] + running()


def wait_for(check, seconds: float = 15.0, every: float = 0.1, what=None):
    """Poll `check` until it returns something truthy; fail after `seconds`, describing the
    state with `what()` when given."""
    deadline = time.monotonic() + seconds
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            state = what() if what else "condition not met"
            raise AssertionError(f"not within {seconds:g}s: {state}")
        time.sleep(every)


def pending_question(directory: Path, question: str = "which database?") -> str:
    """A launch record with an open `axi ask`, no processes: what `axi reply` needs.

    The launch is young and has no heartbeat, so it counts as starting (alive); returns its id.
    """
    from axi.control import records

    launch_id = launch_record(directory)
    records.ask(records.connect(), launch_id, question, "question")
    return launch_id


def launch_record(directory: Path, harness: str = "claude", mode: str = "watched",
                  adopted: bool = True) -> str:
    """A launch record with no process behind it (`adopted`: its session id is known)."""
    from axi.control import records

    conn = records.connect()
    launch_id = records.new_id()
    with records.db.write(conn):
        records.insert_launch(conn, {
            "id": launch_id, "session": launch_id if adopted else None, "harness": harness,
            "mode": mode, "run": records.run_id(), "depth": 1, "dir": str(directory),
            "spec": "{}", "labels": NO_PROCESS, "created": time.time()})
    return launch_id
