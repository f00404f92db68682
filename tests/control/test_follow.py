"""`axi sessions read --follow`: NDJSON events from real launched sessions (the fake harness)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from control_support import FAKE, axi_json, axi_run, wait_for
from support import decode_strict


def launch(cwd, task: str, *flags: str) -> dict:
    return axi_json("sessions", "new", "claude", task, *flags, cwd=cwd)


def test_turns_grow_then_waiting_then_exit_after_kill(control_home, follow):
    sid = launch(control_home, "first")["id"]
    stream = follow(sid, "--follow")
    wait_for(lambda: stream.at_least(2, "turn"))
    axi_json("sessions", "type", sid, "second", cwd=control_home)
    wait_for(lambda: stream.at_least(4, "turn"))
    turns = stream.events("turn")
    assert [(t["role"], t["preview"]) for t in turns] == [
        ("user", "first"), ("assistant", "ok: first"), ("user", "second"),
        ("assistant", "ok: second")]
    cursors = [t["cursor"] for t in turns]
    assert cursors == sorted(set(cursors))
    assert all(t["id"] == sid and t["session"] == sid and t["ts"] for t in turns)
    waiting = wait_for(lambda: stream.events("waiting"), seconds=20)
    assert waiting[0]["reason"] == "input" and sid in waiting[0]["hint"]
    axi_json("sessions", "kill", sid, cwd=control_home)
    assert stream.finish() == 0
    events = stream.events()
    assert events[-1]["event"] == "exit" and events[-1]["outcome"] == "killed"
    assert len(stream.events("exit")) == 1 and len(stream.events("waiting")) == 1


def test_a_headless_run_streams_its_turns_then_exits_with_its_outcome(control_home, follow):
    sid = launch(control_home, "quick", "--headless")["id"]
    stream = follow(sid, "--follow")
    assert stream.finish() == 0
    assert [(e["event"], e.get("preview")) for e in stream.events()] == [
        ("turn", "quick"), ("turn", "ok: quick"), ("exit", None)]
    assert stream.events("exit")[0]["outcome"] == "success"
    assert stream.events("exit")[0]["exit"] == 0


def test_since_resumes_without_repeats_and_from_now_skips(control_home):
    sid = launch(control_home, "one")["id"]
    axi_json("sessions", "type", sid, "two", cwd=control_home)

    def streamed(*flags: str) -> list[dict]:
        done = axi_run("sessions", "read", sid, "--follow", "--events", "turn", "--timeout",
                       "1.5", *flags, cwd=control_home)
        assert done.returncode == 0, done.stdout
        return [json.loads(line) for line in done.stdout.splitlines()]

    def all_four() -> list[dict] | None:
        turns = streamed()
        return turns if len(turns) == 4 else None

    everything = wait_for(all_four, seconds=30)
    resumed = streamed("--since", str(everything[1]["next"]))
    assert resumed == everything[2:]
    assert streamed("--since", str(everything[3]["next"])) == []
    assert streamed("--from-now") == []


def test_crash_when_the_holder_is_killed(control_home, follow):
    from axi.control import records

    sid = launch(control_home, "hello")["id"]
    stream = follow(sid, "--follow", "--events", "turn,crash")
    wait_for(lambda: stream.at_least(2, "turn"))
    holder = wait_for(lambda: records.get(records.connect(), sid)["holder_pid"])
    os.kill(holder, signal.SIGKILL)
    assert stream.finish(seconds=30) == 0
    crash = stream.events()[-1]
    assert crash["event"] == "crash" and crash["id"] == sid
    assert crash["outcome"] == "crashed" and "restart" in crash["hint"]
    assert axi_json("sessions", "result", sid, cwd=control_home)["status"] == "crashed"


def test_run_follows_every_session_including_late_ones(control_home, follow):
    first = launch(control_home, "alpha")
    stream = follow("--follow", "--run", first["run"], "--events", "turn,exit")
    wait_for(lambda: any(t["preview"] == "ok: alpha" for t in stream.events("turn")))
    late = launch(control_home, "beta", "--run", first["run"])
    assert late["run"] == first["run"]
    wait_for(lambda: any(t["preview"] == "ok: beta" and t["id"] == late["id"]
                         for t in stream.events("turn")))
    axi_json("sessions", "kill", "--run", first["run"], cwd=control_home)
    assert stream.finish() == 0
    exits = stream.events("exit")
    assert sorted(e["id"] for e in exits) == sorted([first["id"], late["id"]])
    assert not stream.events("waiting")  # filtered out by --events


def test_a_harness_that_mints_its_own_id_is_followed_once_adopted(control_home, follow):
    config = Path(os.environ["AXI_HOME"]) / "config.toml"
    # Like Codex: no `{newid}` in the template, so the holder adopts the id it finds.
    config.write_text(config.read_text().replace('"--session-id", "{newid}", ', "", 1))
    sid = launch(control_home, "mint")["id"]
    stream = follow(sid, "--follow", "--events", "turn")
    turns = wait_for(lambda: stream.at_least(2, "turn"), seconds=20)
    assert {t["id"] for t in turns} == {sid}
    assert turns[0]["session"] and turns[0]["session"] != sid
    assert [t["preview"] for t in turns] == ["mint", "ok: mint"]


def test_a_watched_session_tagged_success_waits_for_review(control_home, follow):
    sid = launch(control_home, "tag success")["id"]
    stream = follow(sid, "--follow", "--events", "waiting,exit")
    review = wait_for(lambda: stream.events("waiting"), seconds=20)
    assert [(w["reason"], w["id"]) for w in review] == [("review", sid)]
    assert "result" in review[0]["hint"]
    axi_json("sessions", "kill", sid, cwd=control_home)
    assert stream.finish() == 0
    assert stream.events()[-1]["outcome"] == "success"


def test_a_session_axi_did_not_launch_yields_turns_until_the_timeout(control_home, follow):
    sid = "5e551011-0000-4000-8000-000000000001"

    def fake(*args: str) -> None:
        subprocess.run([sys.executable, str(FAKE), "-p", *args], cwd=control_home, check=True,
                       env={**os.environ, "FAKE_TURN_SECONDS": "0"}, timeout=30)

    fake("--session-id", sid, "hello")
    stream = follow(sid[:8], "--follow", "--timeout", "6")
    wait_for(lambda: len(stream.events("turn")) == 2)
    fake("--resume", sid, "again")
    wait_for(lambda: len(stream.events("turn")) == 4)
    assert stream.finish() == 0
    assert [e["event"] for e in stream.events()] == ["turn"] * 4


@pytest.mark.parametrize("flags", [
    ("cb4228d5", "--follow", "--limit", "3"), ("--follow",), ("cb4228d5", "--timeout", "5"),
    ("cb4228d5", "--follow", "--events", "turn,bogus"),
    ("cb4228d5", "--follow", "--since", "0", "--from-now")])
def test_usage_errors_stay_toon(control_home, flags):
    done = axi_run("sessions", "read", *flags, cwd=control_home)
    assert done.returncode == 2
    data = decode_strict(done.stdout)
    assert data["code"] == "USAGE" and data["help"]
