"""The control plane's first-hour rough edges (issue 13), with real holders and processes."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from control_support import FAKE, axi_json, axi_run, wait_for


def _turns(sid: str, cwd) -> list[dict]:
    data = axi_json("sessions", "read", sid, "--since", "0", cwd=cwd)
    return data["turns"] if isinstance(data.get("turns"), list) else []


def _held_session(cwd) -> str:
    sid = axi_json("sessions", "new", "claude", "hello there", cwd=cwd)["id"]
    wait_for(lambda: any(t["text"] == "ok: hello there" for t in _turns(sid, cwd)))
    return sid


def _row(cwd, sid: str, *flags: str) -> dict:
    listed = axi_json("sessions", *flags, cwd=cwd)
    return next(r for r in listed["sessions"] if sid.startswith(r["id"]))


def test_a_session_asking_shows_its_question_and_the_reply_command(control_home):
    from axi.control import records

    sid = _held_session(control_home)
    records.ask(records.connect(), sid, "which database: sqlite or postgres?", "question")
    row = _row(control_home, sid)
    assert row["status"] == "needs you"
    assert row["question"] == "which database: sqlite or postgres?"
    assert row["answer_with"] == f"axi reply {row['id']} <answer>"
    dashboard = next(r for r in axi_json(cwd=control_home)["sessions"]
                     if sid.startswith(r["id"]))
    assert dashboard["question"] == row["question"]
    assert dashboard["answer_with"].startswith("axi reply ")
    viewed = axi_json("sessions", "view", sid[:8], cwd=control_home)
    assert viewed["question"] == "which database: sqlite or postgres?"
    assert viewed["help"][0] == f"`axi reply {sid} <answer>` answers it"


def test_a_held_session_is_reached_by_attach_and_type_not_resume(control_home):
    sid = _held_session(control_home)
    viewed = axi_json("sessions", "view", sid[:8], cwd=control_home)
    helps = " ".join(viewed["help"])
    assert f"axi sessions attach {sid}" in helps and f"axi sessions type {sid}" in helps
    assert "resume" not in helps
    assert "question" not in _row(control_home, sid)


def test_a_permission_prompt_its_hooks_report_points_to_attach(control_home):
    """A held session whose host hook says it is blocked on a prompt (not an `axi ask`)."""
    import json
    import time

    from axi.index.journal import path

    sid = _held_session(control_home)
    Path(path()).parent.mkdir(parents=True, exist_ok=True)
    with open(path(), "a") as fh:
        fh.write(json.dumps({"event": "state", "harness": "claude", "id": sid,
                             "why": "needs you", "ts": time.time() + 1}) + "\n")
    row = _row(control_home, sid)
    assert row["status"] == "needs you"
    assert row["answer_with"] == f"axi sessions attach {row['id']}"
    picked = axi_json("sessions", "--status", "needs-you", cwd=control_home)
    assert [r["id"] for r in picked["sessions"]] == [row["id"]]


def _self_minting() -> None:
    """Like Codex, opencode and pi: no `{newid}`, so the session id is known only later."""
    run = f'"{sys.executable}", "{FAKE}"'
    (Path(os.environ["AXI_HOME"]) / "config.toml").write_text(f"""[[harness]]
name = "claude"
launch = [{run}, "--", "{{task}}"]
launch_headless = [{run}, "-p", "--", "{{task}}"]
resume_input_headless = [{run}, "-p", "--resume", "{{id}}", "--", "{{task}}"]
""")


def test_the_launch_id_is_shown_beside_the_session_and_works_in_every_verb(control_home):
    _self_minting()
    done = axi_json("sessions", "new", "claude", "hello there", "--wait", cwd=control_home)
    launch, session = done["sessions"][0]["id"], done["sessions"][0]["session"]
    assert session and session != launch
    row = _row(control_home, session, "--fields", "launch")
    assert row["launch"] == launch
    short = launch[:8]
    viewed = axi_json("sessions", "view", short, cwd=control_home)
    assert viewed["id"] == session and viewed["launch"] == launch
    assert axi_json("sessions", "read", short, cwd=control_home)["session"] == session
    assert axi_json("sessions", "result", short, cwd=control_home)["session"] == session
    assert axi_json("sessions", "resume", short, "--print", cwd=control_home)["id"] == session
    assert axi_json("sessions", "tag", short, "--name", "greeter",
                    cwd=control_home)["name"] == "greeter"
    assert axi_json("sessions", "wait", short, cwd=control_home)["status"] == "concluded"
    assert axi_json("sessions", "kill", short, cwd=control_home)["already_stopped"] is True
    again = axi_json("sessions", "continue", short, "and again", "--wait", cwd=control_home)
    assert again["sessions"][0]["session"] == session


def test_new_says_when_the_session_id_is_not_known_yet(control_home):
    _self_minting()
    started = axi_json("sessions", "new", "claude", "hello", "--headless", cwd=control_home)
    assert "not known yet" in started["session"]


def test_a_launch_not_yet_adopted_says_so_by_its_launch_id(control_home):
    from control_support import launch_record

    launch = launch_record(control_home, "codex", "headless", adopted=False)
    early = axi_json("sessions", "view", launch[:8], cwd=control_home)
    assert early["code"] == "NO_SESSION_YET" and "codex" in early["error"]
    assert any(f"axi sessions result {launch}" in h for h in early["help"])


def test_a_held_launch_prints_its_session_id(control_home):
    started = axi_json("sessions", "new", "claude", "hello", "--headless", cwd=control_home)
    assert started["session"] == started["id"]


def test_a_failed_accept_check_names_the_command_its_exit_and_output(control_home):
    check = "echo the build is broken >&2; exit 3"
    done = axi_run("sessions", "new", "claude", "do it", "--wait", "--accept", check,
                   "--format", "json", cwd=control_home)
    assert done.returncode == 1
    import json

    launch = json.loads(done.stdout)["sessions"][0]["id"]
    note = axi_json("sessions", "result", launch, cwd=control_home)["note"]
    assert check in note and "exited 3" in note and "the build is broken" in note
    silent = axi_json("sessions", "new", "claude", "do it", "--wait", "--accept", "false",
                      cwd=control_home)
    note = axi_json("sessions", "result", silent["sessions"][0]["id"], cwd=control_home)["note"]
    assert note == "accept check `false` failed: exited 1 with no output"
