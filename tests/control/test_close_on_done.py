"""`--close-on-done`: once a watched session has concluded (it was tagged with an outcome) and
its last turn is over, its holder ends the harness instead of holding it open; the outcome,
the run record and the final report stay. Real holders running the fake harness."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

from control_snap import scrub, snap
from control_support import fake_config, wait_for

from axi.control import closing, live, proc, records


def row(sid: str):
    return records.get(records.connect(), sid)


def ended(sid: str, seconds: float = 30.0):
    return wait_for(lambda: row(sid)["ended"] is not None and row(sid)["outcome"] and row(sid),
                    seconds=seconds)


def harness_gone(launch) -> bool:
    return not proc.same(launch["child_pid"], launch["child_token"])


def test_tagged_success_ends_the_harness_and_keeps_the_report(axi, control_home, follow,
                                                             snapshot):
    started = axi("sessions", "new", "claude", "hello", "--close-on-done")
    sid = started.data["id"]
    out = {"new": scrub({"exit": started.code, "stdout": started.data}, str(control_home))}
    stream = follow(sid, "--follow", "--events", "exit")
    wait_for(lambda: live.state(row(sid))[0] == live.LIVE)
    axi("sessions", "type", sid, "tag success")  # the agent concludes, as its task said
    tagged = wait_for(lambda: row(sid)["outcome_at"])
    done = ended(sid)
    assert done["end_reason"] == "closed" and done["outcome"] == "success"
    assert done["ended"] - tagged >= closing.QUIET  # its last turn was over first
    assert harness_gone(done)
    assert stream.finish() == 0
    out["follow"] = scrub(stream.events(), str(control_home))
    out["result"] = snap(axi, control_home, "sessions", "result", sid)
    view = axi("sessions", "view", sid[:8]).data
    out["view"] = scrub({"status": view["status"], "launched": view["launched"]},
                        str(control_home))
    out["run"] = axi("runs", done["run"], "--format", "json").data["outcome"]
    assert out == snapshot


def test_without_it_a_tagged_session_is_held_for_review(axi, control_home):
    sid = axi("sessions", "new", "claude", "tag success").data["id"]
    wait_for(lambda: row(sid)["outcome"] == "success")
    time.sleep(closing.QUIET + 1.5)
    assert live.state(row(sid))[0] == live.LIVE
    assert live.status(row(sid), asking=False) == "review"


def test_gave_up_closes_too_and_is_done_not_crashed(axi, control_home):
    sid = axi("sessions", "new", "claude", "tag gave_up", "--close-on-done").data["id"]
    done = ended(sid)
    assert (done["end_reason"], done["outcome"]) == ("closed", "gave_up")
    assert live.status(done, asking=False) == "done"
    assert axi("runs", done["run"], "--format", "json").data["outcome"] == "gave_up"
    assert "tag gave_up" in axi("sessions", "result", sid).data["report"]


def test_an_open_question_keeps_it_open_until_answered(axi, control_home):
    sid = axi("sessions", "new", "claude", "ask which database?", "--close-on-done").data["id"]
    wait_for(lambda: records.open_asks(records.connect(), [sid]))
    tag = axi("sessions", "tag", sid, "--outcome", "success")  # its driver concludes it
    assert tag.code == 0 and tag.data["outcome"] == "success"
    time.sleep(closing.QUIET + 1.5)
    assert live.state(row(sid))[0] == live.LIVE  # still asking: nobody would get the answer
    assert axi("reply", sid, "postgres").code == 0
    done = ended(sid)
    assert done["end_reason"] == "closed" and harness_gone(done)
    assert axi("sessions", "result", sid).data["report"] == "answer: postgres"


def test_continue_and_restart_carry_it(axi, control_home):
    first = axi("sessions", "new", "claude", "one").data["id"]
    wait_for(lambda: live.state(row(first))[0] == live.LIVE)
    axi("sessions", "kill", first)
    resumed = axi("sessions", "continue", first, "tag success", "--close-on-done")
    assert resumed.code == 0 and resumed.data["on_done"] == "close"
    again = ended(resumed.data["id"])
    assert (again["end_reason"], again["outcome"]) == ("closed", "success")
    restarted = axi("sessions", "restart", resumed.data["id"]).data
    assert restarted["on_done"] == "close"
    assert ended(restarted["id"])["end_reason"] == "closed"


def test_a_headless_launch_refuses_it(axi, control_home, snapshot):
    out = {flag: snap(axi, control_home, "sessions", "new", "claude", "x", "--close-on-done",
                      flag) for flag in ("--headless", "--wait")}
    assert out == snapshot
    assert records.connect().execute("SELECT count(*) FROM launches").fetchone()[0] == 0


def test_its_tmux_window_goes_with_it(axi, control_home, private_tmux):
    fake_config(Path(os.environ["AXI_HOME"]), top='mux = "tmux"')

    def windows() -> list[str]:
        done = subprocess.run(["tmux", "list-windows", "-a", "-F", "#{window_id}"],
                              capture_output=True, text=True)
        return done.stdout.split()

    started = axi("sessions", "new", "claude", "hello", "--close-on-done").data
    window = started["tmux_window"].split(":", 1)[1]
    wait_for(lambda: window in windows())
    axi("sessions", "type", started["id"], "tag success")
    assert ended(started["id"])["end_reason"] == "closed"
    wait_for(lambda: window not in windows())
