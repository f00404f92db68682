"""`axi ask` and `axi reply`: a launched session's question blocks until answered."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from control_support import axi_json, axi_run, pending_question, wait_for
from support import decode_strict


def launch(cwd, task: str = "hello") -> str:
    return axi_json("sessions", "new", "claude", task, cwd=cwd)["id"]


def asking(sid: str) -> bool:
    from axi.control import live, records

    return sid in live.asking_ids(records.connect(), [sid])


def status(sid: str) -> str:
    from axi.control import live, records

    conn = records.connect()
    row = records.get(conn, sid)
    return live.status(row, asking=row["id"] in live.asking_ids(conn, [row["id"]]))


def toon(done: subprocess.CompletedProcess) -> dict:
    return decode_strict(done.stdout)


def test_ask_blocks_until_reply_and_shows_needs_you(control_home):
    sid = launch(control_home)
    env = {**os.environ, "AXI_SESSION_ID": sid}
    asker = subprocess.Popen([sys.executable, "-m", "axi", "ask", "which", "database?"],
                             cwd=control_home, env=env, stdout=subprocess.PIPE, text=True)
    try:
        wait_for(lambda: asking(sid))
        assert status(sid) == "needs you"
        assert asker.poll() is None  # still blocked: nobody answered
        replied = axi_run("reply", sid[:8], "sqlite,", "please", cwd=control_home)
        assert replied.returncode == 0
        assert toon(replied) == {"id": sid, "question": "which database?",
                                 "answer": "sqlite, please"}
        out, _ = asker.communicate(timeout=15)
    finally:
        if asker.poll() is None:
            asker.kill()
    assert asker.returncode == 0
    assert decode_strict(out) == {"answer": "sqlite, please"}
    assert not asking(sid) and status(sid) != "needs you"
    again = axi_run("reply", sid[:8], "more", cwd=control_home)
    assert again.returncode == 1 and toon(again)["code"] == "NO_QUESTION"


def test_a_question_from_inside_the_harness_reaches_follow_and_back(control_home):
    sid = launch(control_home, "ask ship it today?")
    wait_for(lambda: asking(sid))
    waiting = axi_run("sessions", "read", sid, "--follow", "--events", "waiting",
                      "--timeout", "2", cwd=control_home)
    events = [json.loads(line) for line in waiting.stdout.splitlines()]
    assert [(e["reason"], e["question"]) for e in events] == [("ask", "ship it today?")]
    assert axi_run("reply", sid, "yes", cwd=control_home).returncode == 0

    def answered() -> bool:
        read = axi_json("sessions", "read", sid, "--since", "0", cwd=control_home)
        return any(t["text"] == "answer: yes" for t in read.get("turns") or [])

    wait_for(answered)


def test_unattended_answers_with_the_default_at_once(control_home):
    env = {"AXI_SESSION_ID": "0f0f0f0f-unattended", "AXI_UNATTENDED": "1"}
    done = axi_run("ask", "proceed?", "--default", "yes", cwd=control_home, env=env)
    assert done.returncode == 0 and toon(done)["answer"] == "yes"
    bare = axi_run("ask", "proceed?", cwd=control_home, env=env)
    assert bare.returncode == 1 and toon(bare)["code"] == "UNATTENDED"


def test_ask_outside_a_launched_session_names_the_fix(control_home):
    done = axi_run("ask", "anyone?", cwd=control_home)
    data = toon(done)
    assert done.returncode == 1 and data["code"] == "NOT_IN_SESSION"
    assert "AXI_SESSION_ID" in data["error"] and any("sessions new" in h for h in data["help"])


def test_ask_times_out_and_withdraws_the_question(control_home):
    sid = launch(control_home)
    done = axi_run("ask", "still there?", "--timeout", "1", cwd=control_home,
                   env={"AXI_SESSION_ID": sid})
    assert done.returncode == 1 and toon(done)["code"] == "TIMEOUT"
    assert not asking(sid)
    late = axi_run("reply", sid, "yes", cwd=control_home)
    assert late.returncode == 1 and toon(late)["code"] == "NO_QUESTION"


def test_a_stopped_ask_is_withdrawn(control_home):
    sid = launch(control_home)
    asker = subprocess.Popen([sys.executable, "-m", "axi", "ask", "wait for me?"],
                             cwd=control_home, env={**os.environ, "AXI_SESSION_ID": sid},
                             stdout=subprocess.DEVNULL)
    try:
        wait_for(lambda: asking(sid))
        asker.terminate()
        assert asker.wait(timeout=15) != 0
    finally:
        if asker.poll() is None:
            asker.kill()
    assert not asking(sid)


def test_reply_in_process_to_a_recorded_question(control_home, axi):
    sid = pending_question(control_home)
    result = axi("reply", sid[:8], "sqlite")
    assert result.code == 0
    assert result.data == {"id": sid, "question": "which database?", "answer": "sqlite"}
    assert axi("reply", sid[:8], "again").data["code"] == "NO_QUESTION"
