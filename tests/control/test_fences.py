"""Fences end to end, with real holders and the fake harness: tokens and time trip a live run
and stop all of it (root last); depth, workers and the policy refuse a launch; the accept
check gates success."""

from __future__ import annotations

import os
from pathlib import Path

from control_support import axi_json, axi_toon, fake_config, wait_for

from axi.control import records


def turns(sid: str, cwd) -> list[str]:
    data = axi_json("sessions", "read", sid, "--since", "0", "--limit", "50", cwd=cwd)
    return [t["text"] for t in data.get("turns") or [] if t.get("role") == "assistant"]


def replied(sid: str, cwd, start: str) -> str:
    """The session's first answer starting with `start`, once it exists."""
    return wait_for(lambda: next((t for t in turns(sid, cwd) if t.startswith(start)), None))


def run_view(run: str, cwd) -> dict:
    code, data = axi_toon("runs", run, cwd=cwd)
    assert code == 0, data
    return data


def launch(cwd, *args: str) -> dict:
    code, data = axi_toon("sessions", "new", "claude", *args, cwd=cwd)
    assert code == 0, data
    return data


def test_max_tokens_trips_the_live_run_and_stops_every_session_root_last(control_home):
    root = launch(control_home, "hello", "--max-tokens", "1000", "--max-depth", "2")
    replied(root["id"], control_home, "ok: hello")
    axi_json("sessions", "type", root["id"], 'axi sessions new claude "spend 5000"',
             cwd=control_home)
    replied(root["id"], control_home, "axi: ")
    conn = records.connect()
    worker = wait_for(lambda: next((r for r in records.members(conn, root["run"])
                                    if r["id"] != root["id"]), None))
    assert worker["parent"] == root["id"] and worker["depth"] == 2

    run = wait_for(lambda: (v := run_view(root["run"], control_home))["outcome"] == "budget_hit"
                   and v, seconds=30)
    assert run["reason"].startswith("max_tokens: ") and "> 1000" in run["reason"]
    ended = wait_for(lambda: all(r["ended"] for r in rows) and rows
                     if (rows := records.members(conn, root["run"])) else None, seconds=30)
    by_id = {r["id"]: r for r in ended}
    assert {r["outcome"] for r in ended} == {"budget_hit"}
    assert {r["end_reason"] for r in ended} == {"budget_hit"}
    # The cascade stops a level only once the level below it has ended.
    assert by_id[root["id"]]["ended"] >= by_id[worker["id"]]["ended"]
    tree = run_view(root["run"], control_home)["tree"]
    assert [(t["id"], t["depth"], t["parent"]) for t in tree] == [
        (root["id"][:8], 1, None), (worker["id"][:8], 2, root["id"][:8])]
    assert {t["status"] for t in tree} == {"done"}

    code, waited = axi_toon("sessions", "wait", root["id"], worker["id"], cwd=control_home)
    assert code == 1 and waited["code"] == "NOT_SUCCESS"
    assert {s["outcome"] for s in waited["sessions"]} == {"budget_hit"}
    code, refused = axi_toon("sessions", "new", "claude", "more", "--run", root["run"],
                             cwd=control_home)
    assert code == 1 and refused["code"] == "RUN_OVER"


def test_timeout_trips_the_run(control_home):
    started = launch(control_home, "hello", "--timeout", "3s")
    run = wait_for(lambda: (v := run_view(started["run"], control_home))["outcome"]
                   == "budget_hit" and v, seconds=30)
    assert run["reason"] == "timeout: the run passed 3s"
    record = records.get_run(records.connect(), started["run"])
    assert record["concluded"] - record["started"] >= 3
    code, waited = axi_toon("sessions", "wait", started["id"], "--timeout", "20s",
                            cwd=control_home)
    assert code == 1 and waited["sessions"][0]["outcome"] == "budget_hit"


def test_max_depth_refuses_a_nested_launch(control_home):
    root = launch(control_home, "hello")  # the default --max-depth is 1: no nesting
    replied(root["id"], control_home, "ok: hello")
    axi_json("sessions", "type", root["id"], 'axi sessions new claude "nested"',
             cwd=control_home)
    answer = replied(root["id"], control_home, "axi: ")
    assert '"code":"FENCE_DEPTH"' in answer and "depth 2 is over --max-depth 1" in answer
    assert len(records.members(records.connect(), root["run"])) == 1
    # A nested launch cannot raise the limit it inherited.
    inside = {"AXI_SESSION_ID": root["id"], "AXI_RUN": root["run"], "AXI_DEPTH": "1",
              "AXI_MAX_DEPTH": "1"}
    code, refused = axi_toon("sessions", "new", "claude", "deeper", "--max-depth", "5",
                             cwd=control_home, env=inside)
    assert code == 1 and refused["code"] == "FENCE_DEPTH"


def test_max_workers_refuses_a_second_live_worker(control_home):
    first = launch(control_home, "hello", "--run", "run-pair", "--max-workers", "1")
    # The run's limit binds a launch joining it without the flag.
    code, refused = axi_toon("sessions", "new", "claude", "again", "--run", "run-pair",
                             cwd=control_home)
    assert code == 1 and refused["code"] == "FENCE_WORKERS"
    assert any(f"axi sessions wait {first['id'][:8]} --any" in h for h in refused["help"])
    axi_toon("sessions", "kill", first["id"], cwd=control_home)
    wait_for(lambda: run_view("run-pair", control_home)["outcome"] != "live")
    second = launch(control_home, "again", "--run", "run-pair")
    assert second["run"] == "run-pair"
    assert run_view("run-pair", control_home)["outcome"] == "live"  # the run opened again


def test_policy_refuses_a_harness_and_a_model(control_home):
    fake_config(Path(os.environ["AXI_HOME"]),
                extra='[policy]\nharness = ["claude"]\nmodels = { deny = ["*opus*"] }\n')
    code, refused = axi_toon("sessions", "new", "codex", "x", cwd=control_home)
    assert code == 1 and refused["code"] == "POLICY" and "claude" in refused["help"][0]
    code, refused = axi_toon("sessions", "new", "claude", "x", "--model", "claude-opus-4-1",
                             cwd=control_home)
    assert code == 1 and refused["code"] == "POLICY" and "claude-opus-4-1" in refused["error"]
    code, listed = axi_toon("runs", cwd=control_home)
    assert listed["runs"] == "0 runs"
    code, done = axi_toon("sessions", "new", "claude", "fine", "--model", "claude-sonnet-4-5",
                          "--wait", cwd=control_home)
    assert code == 0 and done["sessions"][0]["outcome"] == "success"


def test_accept_check_rejects_success_until_it_passes(control_home):
    check = "test -f done.txt || { echo done.txt is missing; exit 1; }"
    root = launch(control_home, "hello", "--accept", check)
    replied(root["id"], control_home, "ok: hello")
    axi_json("sessions", "type", root["id"], "tag success", cwd=control_home)
    rejected = replied(root["id"], control_home, "tag success: ")
    assert '"code":"ACCEPT_FAILED"' in rejected and "done.txt is missing" in rejected
    assert axi_json("sessions", "result", root["id"], cwd=control_home).get("outcome") is None
    assert run_view(root["run"], control_home)["outcome"] == "live"

    (control_home / "done.txt").write_text("yes\n")
    axi_json("sessions", "type", root["id"], "tag success", cwd=control_home)
    wait_for(lambda: sum(t.startswith("tag success: ") for t in
                         turns(root["id"], control_home)) == 2)
    accepted = [t for t in turns(root["id"], control_home) if t.startswith("tag success: ")][1]
    assert '"accept":"passed"' in accepted
    result = axi_json("sessions", "result", root["id"], cwd=control_home)
    assert result["outcome"] == "success" and result["status"] == "review"
    run = run_view(root["run"], control_home)
    assert run["outcome"] == "success" and run["reason"] == "tagged by the run's root"



def test_limits_survive_the_trip_through_the_environment(home, monkeypatch):
    from axi.control.launch import child_env, inherited
    from axi.errors import AxiError

    limits = {"max_cost": 0.1234567, "max_tokens": 2_000_000, "max_workers": 3,
              "max_depth": 2, "timeout": 90.0}
    env = child_env("a1b2c3d4", "run-x", None, 1, limits, None, False)
    assert env["AXI_MAX_TOKENS"] == "2000000" and env["AXI_MAX_COST"] == "0.1234567"
    for var, value in env.items():
        monkeypatch.setenv(var, value)
    assert inherited()["fences"] == limits and inherited()["depth"] == 1
    monkeypatch.setenv("AXI_MAX_COST", "lots")
    try:
        inherited()
    except AxiError as err:
        assert err.code == "BAD_ENV" and "AXI_MAX_COST" in err.message
    else:
        raise AssertionError("a garbled limit was ignored")


def test_a_session_still_starting_when_its_run_trips_never_starts(control_home):
    """The holder checks its run before it starts the harness (the cascade may have passed
    it by while it had no socket yet)."""
    import json
    import time

    from axi.control.holder import Holder

    conn = records.connect()
    with records.db.write(conn):
        records.join_run(conn, "run-late", None, "t", {"max_tokens": 10}, {"max_depth": 1})
        records.insert_launch(conn, {
            "id": "late0001", "session": "late0001", "harness": "claude", "mode": "headless",
            "run": "run-late", "parent": None, "depth": 1, "dir": str(control_home),
            "spec": json.dumps({"argv": ["sleep", "60"], "env": {}, "dir": str(control_home)}),
            "created": time.time()})
    records.conclude_run(conn, "run-late", "budget_hit", "max_tokens: 11 > 10", {})
    assert Holder("late0001").start() is False
    row = records.get(conn, "late0001")
    assert (row["end_reason"], row["outcome"], row["child_pid"]) == ("budget_hit", "budget_hit",
                                                                     None)
