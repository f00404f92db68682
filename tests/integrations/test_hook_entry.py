"""`axi hook session-start|session-end`: host stdin, output shapes, end records, failures."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

from support import decode_strict

PROJ_B = "/home/dev/work/projB"
ONE_OF_B = "17ce7ca7-6fb8-4d59-85a9-77a654db600d"


def hook(args: list[str], payload: object | None, cwd, timeout: float = 60,
         stdin: int | None = None) -> subprocess.CompletedProcess:
    data = None if payload is None else (
        payload if isinstance(payload, str) else json.dumps(payload))
    return subprocess.run([sys.executable, "-m", "axi", *args], input=data, stdin=stdin,
                          capture_output=True, text=True, cwd=cwd, timeout=timeout)


def test_claude_gets_additional_context_without_the_starting_session(corpus_home):
    payload = {"session_id": ONE_OF_B, "cwd": PROJ_B, "hook_event_name": "SessionStart",
               "source": "startup", "transcript_path": "/x.jsonl"}
    proc = hook(["hook", "session-start", "--host", "claude"], payload, corpus_home)
    assert proc.returncode == 0
    out = json.loads(proc.stdout)["hookSpecificOutput"]
    assert out["hookEventName"] == "SessionStart"
    board = decode_strict(out["additionalContext"] + "\n")
    assert board["count"].startswith("8 of 8 sessions in /home/dev/work/projB")  # 9 less 1
    assert all(not ONE_OF_B.startswith(row["id"]) for row in board["sessions"])


def test_codex_gets_the_same_envelope_and_opencode_plain_toon(corpus_home):
    payload = {"session_id": "x", "cwd": PROJ_B, "hook_event_name": "SessionStart",
               "source": "startup", "model": "gpt-5-codex", "permission_mode": "default"}
    codex = hook(["hook", "session-start", "--host", "codex"], payload, corpus_home)
    assert "additionalContext" in json.loads(codex.stdout)["hookSpecificOutput"]
    opencode = hook(["hook", "session-start", "--host", "opencode"], payload, corpus_home)
    assert decode_strict(opencode.stdout)["count"].startswith("8 of 9 sessions")


def test_session_end_marks_the_session_ended_with_its_reason(corpus_home, axi):
    start = {"session_id": ONE_OF_B, "cwd": PROJ_B, "source": "startup"}
    end = {"session_id": ONE_OF_B, "cwd": PROJ_B, "hook_event_name": "SessionEnd",
           "reason": "prompt_input_exit"}
    env_now = os.environ["AXI_NOW"]
    assert axi("sessions", "view", "17ce7ca7").data["status"] == "idle"
    hook(["hook", "session-start", "--host", "claude"], start, corpus_home)
    proc = hook(["hook", "session-end", "--host", "claude"], end, corpus_home)
    assert proc.returncode == 0 and proc.stdout == ""  # hosts get nothing to parse
    assert os.environ["AXI_NOW"] == env_now
    view = axi("sessions", "view", "17ce7ca7").data
    assert view["status"] == "ended"
    assert view["ended"].endswith("(prompt_input_exit)")
    ended = axi("sessions", "--all", "--status", "ended").data["sessions"]
    assert "17ce7ca7" in [r["id"] for r in ended]
    idle = axi("sessions", "--all", "--status", "idle").data["sessions"]
    assert "17ce7ca7" not in [r["id"] for r in idle]


def test_a_resumed_session_is_live_again(corpus_home, axi):
    for kind, extra in (("session-end", {"reason": "other"}),
                        ("session-start", {"source": "resume"})):
        hook(["hook", kind, "--host", "claude"], {"session_id": ONE_OF_B, **extra},
             corpus_home)
    assert axi("sessions", "view", "17ce7ca7").data["status"] == "idle"


def test_by_hand_it_prints_toon_and_records_nothing_without_an_id(home, axi):
    result = axi("hook", "session-end")
    assert result.code == 0 and result.data["recorded"] == "session end"
    assert not (home.parent / "state" / "sessions.jsonl").exists()


def test_bare_axi_never_reads_stdin(corpus_home):
    """A pipe that never closes must not hold up bare `axi` (nor the hook, past its wait)."""
    for args, limit in (([], 20.0), (["hook", "session-start"], 20.0)):
        proc = subprocess.Popen([sys.executable, "-m", "axi", *args], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                cwd=corpus_home, text=True)
        try:
            out, _ = proc.communicate(timeout=limit)  # communicate closes stdin only at end
        finally:
            proc.kill()
        assert proc.returncode == 0
        decode_strict(out)


def test_open_stdin_is_waited_on_briefly(corpus_home):
    read, write = os.pipe()
    started = time.monotonic()
    try:
        proc = subprocess.run([sys.executable, "-m", "axi", "hook", "session-start"],
                              stdin=read, capture_output=True, text=True, cwd=corpus_home,
                              timeout=30)
    finally:
        os.close(read)
        os.close(write)
    assert proc.returncode == 0
    assert time.monotonic() - started < 20
    decode_strict(proc.stdout)


def test_garbage_on_stdin_is_ignored(corpus_home):
    for junk in ("not json", "[1, 2]", '{"cwd": 5, "session_id": ["x"]}', "\x00\xff"):
        proc = hook(["hook", "session-start", "--host", "claude"], junk, corpus_home)
        assert proc.returncode == 0
        assert "additionalContext" in json.loads(proc.stdout)["hookSpecificOutput"]


def test_a_broken_store_gives_one_line_and_exit_0(corpus_home):
    state = corpus_home.parent / "state"
    state.mkdir(exist_ok=True)
    (state / "index.db").mkdir()  # not a database
    for host in ("claude", "opencode"):
        proc = hook(["hook", "session-start", "--host", host], {"cwd": PROJ_B}, corpus_home)
        assert proc.returncode == 0
        assert "Traceback" not in proc.stdout + proc.stderr
        text = (json.loads(proc.stdout)["hookSpecificOutput"]["additionalContext"]
                if host == "claude" else proc.stdout.strip())
        assert "\n" not in text
        assert decode_strict(text + "\n")["axi"].startswith("dashboard unavailable: ")


def test_a_terminal_is_never_read(monkeypatch):
    import pty

    from axi.integrations import payload

    leader, follower = pty.openpty()
    try:
        with os.fdopen(os.dup(follower), "r") as tty:
            monkeypatch.setattr(sys, "stdin", tty)
            problems: list[str] = []
            assert payload.read(problems) == {} and problems == []
    finally:
        os.close(leader)
        os.close(follower)


def test_the_host_flag_is_read_leniently():
    from axi.commands.hook_entry import parse_host

    for args, host in ((["--host", "claude"], "claude"), (["--host=codex"], "codex"),
                       ([], "none"), (["--host", "opencode"], "opencode")):
        problems: list[str] = []
        assert parse_host(args, problems) == host and problems == []
    for args, named in ((["--host", "x"], "unknown --host 'x'"), (["--host"], "'--host'"),
                        (["--help"], "'--help'"), (["bogus"], "'bogus'")):
        problems = []
        assert parse_host(args, problems) == "none"
        assert named in problems[0]
