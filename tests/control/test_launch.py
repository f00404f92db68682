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


def test_a_stop_right_after_the_launch_is_not_lost(control_home):
    """The holder is not listening yet when `start` returns; the stop waits for it."""
    from axi.control import records, runs
    from axi.control.launch import Request, start
    from axi.control.waiting import await_end

    sid = start(Request("claude", "hello"))["id"]
    conn = records.connect()
    assert runs.stop(records.get(conn, sid), "killed") is True
    row = await_end(conn, sid)
    assert row["ended"] is not None and row["end_reason"] == "killed"
    assert row["outcome"] == "killed"


def test_a_harness_minting_its_own_id_is_read_by_the_launch_id(control_home):
    """Like Codex and pi: no {newid} in the template; the holder adopts the session and the
    id `new` printed keeps working for `read` and `view`."""
    import os
    import sys
    from pathlib import Path

    from control_support import FAKE

    (Path(os.environ["AXI_HOME"]) / "config.toml").write_text(
        f'[[harness]]\nname = "claude"\nlaunch = ["{sys.executable}", "{FAKE}", "--", '
        '"{task}"]\n')
    sid = axi_json("sessions", "new", "claude", "hello there", cwd=control_home)["id"]
    wait_for(lambda: any(t["text"] == "ok: hello there" for t in turns(sid, control_home)))
    read = axi_json("sessions", "read", sid, cwd=control_home)
    assert read["session"] != sid
    assert axi_json("sessions", "view", sid[:8], cwd=control_home)["id"] == read["session"]


def test_wait_reports_the_outcome_an_accept_check_gives_after_the_exit(control_home):
    """The holder records the end, runs the --accept check, then the outcome: a waiter that
    sees the end first must wait for the outcome instead of calling it a failure."""
    done = axi_json("sessions", "new", "claude", "do it", "--wait", "--accept",
                    "sleep 1 && true", cwd=control_home)
    assert done["status"] == "concluded", done
    assert done["sessions"][0]["outcome"] == "success"


def test_two_self_minting_launches_in_one_folder_each_adopt_their_own(control_home):
    import os
    from pathlib import Path

    from axi.control import records

    config = Path(os.environ["AXI_HOME"]) / "config.toml"
    # Like Codex: no `{newid}` in the template, so each holder adopts the id it finds.
    config.write_text(config.read_text().replace('"--session-id", "{newid}", ', "", 1))
    tasks = ["alpha: write the parser", "beta: write the printer"]
    import json
    import subprocess
    import sys

    started = [subprocess.Popen([sys.executable, "-m", "axi", "sessions", "new", "claude", task,
                                 "--format", "json"], cwd=control_home, stdout=subprocess.PIPE)
               for task in tasks]  # at the same moment, so each holder sees both sessions
    answers = [json.loads(p.communicate(timeout=60)[0]) for p in started]
    assert all("id" in answer for answer in answers), answers
    ids = [answer["id"] for answer in answers]
    conn = records.connect()
    rows = wait_for(lambda: all(r["session"] for r in rows) and rows
                    if (rows := [records.get(conn, i) for i in ids]) else None, seconds=30)
    assert rows[0]["session"] != rows[1]["session"]
    for row, task in zip(rows, tasks, strict=True):
        assert turns(row["id"], control_home)[0]["text"] == task
