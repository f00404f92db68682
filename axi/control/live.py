"""Heartbeats, sockets and the status of a launched session.

The holder rewrites `live/<launch id>` every HEARTBEAT seconds (its mtime is the heartbeat)
with the time of the harness's last output, its own pid and start token, and what the session
is blocked on (`auth` or `prompt` and the line that says so, `control/blocked.py`). A reader
decides from that file and the launch record whether the session is live, ended or crashed;
nothing here ever blocks on the holder.
"""

from __future__ import annotations

import contextlib
import os
import time

from axi.control import proc
from axi.paths import state_dir, write_atomic
from axi.sqlite import sqlite3

HEARTBEAT = 2.0  # seconds between heartbeat writes
STALE = 20.0  # a heartbeat older than this means the holder is gone
STARTING = 15.0  # a launch this young may not have written its first heartbeat yet
WORKING = 5.0  # output or transcript writes this recent mean the harness is working

LIVE, ENDED, CRASHED, STARTING_UP = "live", "ended", "crashed", "starting"


def live_dir() -> str:
    path = os.path.join(state_dir(), "live")
    os.makedirs(path, mode=0o700, exist_ok=True)
    return path


def heartbeat_path(launch_id: str) -> str:
    return os.path.join(live_dir(), launch_id)


def socket_path(launch_id: str) -> str:
    """A short path (sun_path holds ~104 bytes), under XDG_RUNTIME_DIR when there is one."""
    import hashlib  # ~5 ms: kept off the dashboard's path, which only reads heartbeats

    name = hashlib.sha1(f"{state_dir()}\0{launch_id}".encode()).hexdigest()[:16] + ".sock"
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    for base in ([os.path.join(runtime, "axi")] if runtime else []) + [
            os.path.join(state_dir(), "run"), f"/tmp/axi-{os.getuid()}"]:
        path = os.path.join(base, name)
        if len(path.encode()) < 100:
            os.makedirs(base, mode=0o700, exist_ok=True)
            return path
    raise OSError("no directory short enough for a Unix socket")


def beat(launch_id: str, last_output: float, holder_pid: int, holder_token: str | None,
         child_pid: int | None, blocked: tuple[str, str] | None = None) -> None:
    line = f"{last_output:.3f}\t{holder_pid}\t{holder_token or ''}\t{child_pid or ''}"
    if blocked:
        reason, text = blocked
        line += f"\t{reason}\t{' '.join(text.split())}"
    write_atomic(heartbeat_path(launch_id), line + "\n", durable=False)  # rewritten every beat


def clear(launch_id: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(heartbeat_path(launch_id))


class Beat:
    """What one heartbeat file says; `blocked` is `auth`, `prompt` or "", `prompt` the line
    on the screen (or the hook's word) that says so."""

    def __init__(self, mtime: float, last_output: float, holder_pid: int, token: str,
                 blocked: str = "", prompt: str = ""):
        self.mtime, self.last_output = mtime, last_output
        self.holder_pid, self.token = holder_pid, token
        self.blocked, self.prompt = blocked, prompt


def read_beat(launch_id: str) -> Beat | None:
    path = heartbeat_path(launch_id)
    try:
        mtime = os.stat(path).st_mtime
        with open(path, encoding="utf-8", errors="replace") as fh:
            parts = fh.read().rstrip("\n").split("\t")
        blocked = parts[4:6] if len(parts) >= 6 else ["", ""]
        return Beat(mtime, float(parts[0]), int(parts[1]), parts[2], *blocked)
    except (OSError, ValueError, IndexError):
        return None


def state(row: sqlite3.Row, now: float | None = None) -> tuple[str, Beat | None]:
    """live / ended / crashed / starting, and the heartbeat it was judged from."""
    if row["ended"] is not None:
        return ENDED, None
    now = now or time.time()
    beat_ = read_beat(row["id"])
    if beat_ is None:
        young = now - row["created"] < STARTING
        return (STARTING_UP if young else CRASHED), None
    if now - beat_.mtime > STALE or not proc.same(beat_.holder_pid, beat_.token):
        return CRASHED, beat_
    return LIVE, beat_


def running(row: sqlite3.Row) -> bool:
    """Live, or still starting: a session that may yet do something."""
    return state(row)[0] in (LIVE, STARTING_UP)


def blocked(row: sqlite3.Row) -> tuple[str, str] | None:
    """(auth or prompt, the line that says so) while a live session is blocked on one."""
    where, beat_ = state(row)
    if where != LIVE or beat_ is None or not beat_.blocked:
        return None
    return beat_.blocked, beat_.prompt


def status(row: sqlite3.Row, asking: bool, transcript_last: float | None = None,
           now: float | None = None) -> str:
    """The word the catalog shows: working, idle, needs you, needs auth, review, done or
    crashed. A login or OAuth prompt on the held screen (or reported by a hook) is `needs
    auth`; another prompt that blocks it (`waiting_re`, a hook's permission request) and an
    open `axi ask` are `needs you`."""
    now = now or time.time()
    where, beat_ = state(row, now)
    if where == STARTING_UP:
        return "needs you" if asking else "working"
    if where == CRASHED:
        return "crashed"
    if where == ENDED:
        if row["outcome"] in ("crashed", "budget_hit"):
            return "crashed" if row["outcome"] == "crashed" else "done"
        failed = (row["exit_code"] or 0) != 0 or row["exit_signal"]
        quiet_end = row["end_reason"] in ("killed", "budget_hit", "timeout", "closed")
        return "crashed" if failed and not quiet_end and row["outcome"] != "success" else "done"
    if asking:
        return "needs you"
    if beat_ is not None and beat_.blocked:
        return "needs auth" if beat_.blocked == "auth" else "needs you"
    if row["outcome"] == "success" and row["mode"] == "watched":
        return "review"
    if row["mode"] == "headless":
        return "working"
    recent = max(beat_.last_output if beat_ else 0, transcript_last or 0)
    return "working" if now - recent < WORKING else "idle"


def asking_ids(conn: sqlite3.Connection, launch_ids: list[str] | None = None) -> set[str]:
    """The launches among `launch_ids` (None: all) with an open `axi ask`: `status(asking=)`.

    One indexed query per 500 ids (SQLite caps the parameters of one statement)."""
    sql = "SELECT DISTINCT launch FROM asks WHERE answered IS NULL"
    if launch_ids is None:
        return {r[0] for r in conn.execute(sql)}
    found: set[str] = set()
    ids = list(launch_ids)
    for at in range(0, len(ids), 500):
        chunk = ids[at:at + 500]
        marks = ",".join("?" for _ in chunk)
        found.update(r[0] for r in conn.execute(f"{sql} AND launch IN ({marks})", chunk))
    return found
