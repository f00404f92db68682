"""Launching sessions under the holder, typing into them and stopping them (real processes)."""

from __future__ import annotations

from control_support import axi_json, wait_for


def turns(sid: str, cwd) -> list[dict]:
    data = axi_json("sessions", "read", sid, "--since", "0", "--limit", "50", cwd=cwd)
    return data.get("turns") if isinstance(data.get("turns"), list) else []


def test_watched_launch_type_and_kill(control_home):
    started = axi_json("sessions", "new", "claude", "hello there", cwd=control_home)
    sid = started["id"]
    assert started["mode"] == "watched" and started["run"].startswith("run-")
    wait_for(lambda: any(t["text"] == "ok: hello there" for t in turns(sid, control_home)))
    typed = axi_json("sessions", "type", sid[:8], "second prompt", cwd=control_home)
    assert typed["typed"] == len("second prompt")
    wait_for(lambda: any(t["text"] == "ok: second prompt" for t in turns(sid, control_home)))
    axi_json("sessions", "type", sid, "line one\nline two", cwd=control_home)
    wait_for(lambda: any(t["text"] == "ok: line one\nline two"
                         for t in turns(sid, control_home)))
    killed = axi_json("sessions", "kill", sid, cwd=control_home)
    assert [k["id"] for k in killed["killed"]] == [sid]
    result = axi_json("sessions", "result", sid, cwd=control_home)
    assert result["outcome"] == "killed" and result["status"] == "done"
    assert result["report"] == "ok: line one\nline two"
    gone = axi_json("sessions", "type", sid, "anyone?", cwd=control_home)
    assert gone["code"] == "SESSION_GONE"
    assert any("continue" in h for h in gone["help"]) and any("restart" in h
                                                               for h in gone["help"])


def test_headless_wait_exits_zero_on_success(control_home):
    done = axi_json("sessions", "new", "claude", "do it", "--wait", cwd=control_home)
    assert done["status"] == "concluded"
    assert done["sessions"][0]["outcome"] == "success"
    assert done["sessions"][0]["exit"] == 0
