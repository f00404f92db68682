"""Runs: totals over a run's sessions, its fences, cascade kills and the run record.

Every holder in a fenced run checks the fences every few seconds (there is no daemon and the
run may have no root session, when a script launched its workers). The first holder to see a
fence tripped records `budget_hit` (a run concludes once) and stops the whole run, deepest
sessions first and the root last.
"""

from __future__ import annotations

import contextlib
import json
import os
import time

from axi.control import live, proc, protocol, records
from axi.sqlite import sqlite3

TOKEN_KINDS = ("input", "output", "cache_read", "cache_write")
ACCEPT_TIMEOUT = 600.0


def fences_of(conn: sqlite3.Connection, run: str) -> dict:
    row = records.get_run(conn, run)
    return json.loads(row["fences"]) if row else {}


def totals(conn: sqlite3.Connection, run: str, index: sqlite3.Connection | None = None
           ) -> dict:
    """Cost and tokens over the run's sessions (sub-agents included), and how many live."""
    launches = records.members(conn, run)
    if index is None:
        from axi.index.catalog import open_index

        index, _ = open_index(budget=2.0)
    tokens = dict.fromkeys(TOKEN_KINDS, 0)
    keys: list[str] = []
    for launch in launches:
        session_tokens, session_keys = usage(index, launch)
        keys += session_keys
        for kind in TOKEN_KINDS:
            tokens[kind] += session_tokens[kind]
    usd, kind = cost(index, keys)
    running = sum(1 for r in launches if live.running(r))
    return {"sessions": len(launches), "live": running, "cost": usd, "cost_kind": kind,
            "tokens": tokens}


def usage(index: sqlite3.Connection, launch: sqlite3.Row) -> tuple[dict, list[str]]:
    """One launched session's tokens by kind (its sub-agents included) and its index keys."""
    from axi.index.rows import keys_with_subagents

    tokens = dict.fromkeys(TOKEN_KINDS, 0)
    row = index.execute("SELECT * FROM sessions WHERE id = ? AND harness = ?",
                        (launch["session"] or launch["id"], launch["harness"])).fetchone()
    if row is None:
        return tokens, []
    keys = keys_with_subagents(index, row)
    for key in keys:
        sums = index.execute("SELECT input, output, cache_read, cache_write FROM sessions "
                             "WHERE key = ?", (key,)).fetchone()
        for kind, value in zip(TOKEN_KINDS, sums, strict=True):
            tokens[kind] += value or 0
    return tokens, keys


def cost(index: sqlite3.Connection, keys: list[str]) -> tuple[float | None, str]:
    from axi.index.rows import cost_of

    return cost_of(index, keys) if keys else (0.0, "none")


def check_fences(conn: sqlite3.Connection, run: str) -> str | None:
    """Why the run must stop now (a fence it crossed), or None."""
    fences = fences_of(conn, run)
    if not any(fences.get(k) for k in ("max_cost", "max_tokens", "timeout")):
        return None
    record = records.get_run(conn, run)
    if record is None or record["concluded"] is not None:
        return None
    if fences.get("timeout") and time.time() - record["started"] > fences["timeout"]:
        return f"timeout: the run passed {fences['timeout']:g}s"
    if not (fences.get("max_cost") or fences.get("max_tokens")):
        return None
    sums = totals(conn, run)
    if fences.get("max_tokens") and sum(sums["tokens"].values()) > fences["max_tokens"]:
        return f"max_tokens: {sum(sums['tokens'].values())} > {fences['max_tokens']}"
    if fences.get("max_cost") and (sums["cost"] or 0) > fences["max_cost"]:
        from axi.views import money

        return f"max_cost: {money(sums['cost'])} > {money(fences['max_cost'])}"
    return None


def trip(conn: sqlite3.Connection, run: str, why: str, holder=None) -> None:
    """Conclude the run as budget_hit and stop every session in it, the root last.

    The stopping is left to a detached helper, which waits for each level of the tree to end
    before it stops the level above; the holder that noticed is one of the sessions it stops."""
    if not records.conclude_run(conn, run, "budget_hit", why, _safe_totals(conn, run)):
        return
    from axi.control.launch import spawn_detached

    try:
        spawn_detached(["axi.control.cascade", run, "budget_hit"], f"cascade-{run}")
    except OSError:  # no helper: stop them all now, in order, without waiting
        for launch in kill_order(records.members(conn, run), root_key(conn, run)):
            if holder is not None and launch["id"] == holder.launch_id:
                holder.request_stop("budget_hit")
            else:
                stop(launch, "budget_hit")


def kill_order(launches: list[sqlite3.Row], root: str | None = None) -> list[sqlite3.Row]:
    """Deepest first and the run's root session last, so no worker outlives its driver."""
    return sorted(launches, key=lambda r: (-r["depth"], session_key(r) == root, r["created"]))


def root_key(conn: sqlite3.Connection, run: str) -> str | None:
    """The run's root session (a launch id names one launch; `continue` makes another)."""
    record = records.get_run(conn, run)
    root = records.get(conn, record["root"]) if record and record["root"] else None
    return session_key(root) if root else None


def session_key(launch: sqlite3.Row) -> str:
    return launch["session"] or launch["id"]


def stop(launch: sqlite3.Row, reason: str) -> bool:
    """Ask the holder to stop its harness (SIGTERM, then SIGKILL); signal directly without one.

    A launch still starting has no socket yet: wait up to HOLDER_WAIT seconds for its holder
    to listen (or to end), so a kill right after `new` is not lost."""
    where, beat = live.state(launch)
    if where not in (live.LIVE, live.STARTING_UP):
        return False
    if where == live.STARTING_UP:
        launch = _started(launch["id"])
        if launch["ended"] is not None:
            return True  # it ended before it started (its holder checks the run first)
    with contextlib.suppress(OSError):
        sock = protocol.connect(live.socket_path(launch["id"]))
        with sock:
            sock.sendall(protocol.frame(protocol.ATTACH, protocol.size_payload(0, 0)) +
                         protocol.frame(protocol.TERMINATE, reason.encode()))
        return True
    if launch["child_pid"] and proc.same(launch["child_pid"], launch["child_token"]):
        proc.stop_group(launch["child_pid"])
    if beat and proc.same(beat.holder_pid, beat.token):
        proc.signal_group(beat.holder_pid, 15)
    return True


def _started(launch_id: str, seconds: float = 5.0) -> sqlite3.Row:
    """The launch once its starting holder listens on its socket or has ended (or after
    `seconds`), so stopping it does not miss a harness about to start."""
    conn = records.connect()
    deadline = time.monotonic() + seconds
    while True:
        row = records.get(conn, launch_id)
        if (row["ended"] is not None or os.path.exists(live.socket_path(launch_id))
                or time.monotonic() >= deadline):
            return row
        time.sleep(0.05)


def after_exit(conn: sqlite3.Connection, launch_id: str) -> None:
    """Give an ended session its outcome (unless it was tagged) and close its run if done."""
    row = records.get(conn, launch_id)
    if row["outcome"] is None:
        outcome, result = _exit_outcome(row)
        fields = {"outcome": outcome}
        if result is not None:
            fields["result"] = result
        records.update(conn, launch_id, **fields)
    conclude_if_done(conn, row["run"])


def _exit_outcome(row: sqlite3.Row) -> tuple[str, str | None]:
    reason = row["end_reason"]
    if reason in ("budget_hit", "timeout"):
        return "budget_hit", None
    if reason == "killed":
        return "killed", None
    if reason == "launch_failed" or row["exit_code"] != 0:
        return "crashed", None
    if row["mode"] == "watched":
        return "gave_up", None  # a watched session that was never tagged success
    spec = records.spec_of(row)
    accept = spec.get("accept")
    if not accept:
        return "success", None
    ok, output = run_accept(accept, row["dir"], shell=spec.get("shell"))
    return ("success" if ok else "gave_up"), (None if ok else
                                              f"accept check `{accept}` failed: {output}")


CONFIGURED = "configured"  # run_accept's default: the `shell` config.toml names now


def run_accept(command: str, cwd: str, shell: list[str] | str | None = CONFIGURED
               ) -> tuple[bool, str]:
    """Run the accept check through the shell; (passed, its last output).

    `shell`: the words of the `shell` a launch recorded (`bash -lc`: the command goes after
    them), None for `sh -c`; by default the one config.toml names now."""
    import subprocess

    if shell == CONFIGURED:
        from axi.control import config

        shell = config.shell_words(config.load())
    argv = [*shell, command] if shell else command
    try:
        done = subprocess.run(argv, shell=not shell, cwd=cwd, capture_output=True, text=True,
                              timeout=ACCEPT_TIMEOUT, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return False, f"timed out after {ACCEPT_TIMEOUT:g}s"
    except OSError as exc:
        return False, str(exc)
    output = (done.stdout + done.stderr).strip()
    if done.returncode == 0:
        return True, output[-1500:]
    tail = f"; its output ends: {output[-1500:]}" if output else " with no output"
    return False, f"exited {done.returncode}{tail}"


def conclude_if_done(conn: sqlite3.Connection, run: str) -> None:
    record = records.get_run(conn, run)
    if record is None or record["concluded"] is not None:
        return
    launches = records.members(conn, run)
    if not launches or any(live.running(r) for r in launches):
        return
    records.conclude_run(conn, run, run_outcome(root_key(conn, run), launches), None,
                         _safe_totals(conn, run))


def run_outcome(root: str | None, launches: list[sqlite3.Row]) -> str:
    """The root session's outcome (of its latest launch), else the worst of the others."""
    outcomes = {session_key(r): r["outcome"] for r in launches}
    if outcomes.get(root) in ("success", "gave_up", "budget_hit", "crashed"):
        return outcomes[root]
    values = set(outcomes.values())
    for worst in ("budget_hit", "crashed"):
        if worst in values:
            return worst
    return "success" if values == {"success"} else "gave_up"


def _safe_totals(conn: sqlite3.Connection, run: str) -> dict | None:
    try:
        return totals(conn, run)
    except Exception:  # a run record without totals beats no record
        return None
