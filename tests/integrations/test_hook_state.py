"""`axi hook state` as real processes: the payloads Claude Code and Codex send, piped in, and the
catalog (`axi sessions`, `--status`, `view`, the dashboard) showing what they reported."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from support import decode_strict

from axi.index.status import FRESH

PROJ_B = "/home/dev/work/projB"
CLAUDE = "17ce7ca7-6fb8-4d59-85a9-77a654db600d"  # idle in the corpus at NOW
CLAUDE_2 = "d1c9ea04-48cc-400c-bd6d-24a35bf2818b"
CODEX = "01a20071-3b6c-70d1-8fa1-f2b1cecec84d"
OPENCODE = "ses_dff8e15f2ffeUEZQQPC3OmIPeW"


def pinned() -> float:
    return float(os.environ["AXI_NOW"])  # the `home` fixture's clock


def axi_proc(args: list[str], cwd, payload: dict | None = None, now: float | None = None
             ) -> subprocess.CompletedProcess:
    env = {**os.environ, "AXI_NOW": str(now or pinned())}
    return subprocess.run([sys.executable, "-m", "axi", *args], env=env, cwd=cwd,
                          input=None if payload is None else json.dumps(payload),
                          stdin=subprocess.DEVNULL if payload is None else None,
                          capture_output=True, text=True, timeout=60)


def state_hook(host: str, payload: dict, cwd, now: float | None = None) -> None:
    proc = axi_proc(["hook", "state", "--host", host], cwd, payload, now)
    assert proc.returncode == 0
    assert proc.stdout == "" and proc.stderr == ""  # nothing for a host to add to the model


def statuses(cwd, *flags: str, now: float | None = None) -> dict[str, str]:
    proc = axi_proc(["sessions", "--all", "--limit", "50", "--fields", "full_id", *flags,
                     "--format", "json"], cwd, now=now)
    assert proc.returncode == 0, proc.stdout
    rows = json.loads(proc.stdout)["sessions"]
    return {} if isinstance(rows, str) else {r["full_id"]: r["status"] for r in rows}


def claude(event: str, sid: str = CLAUDE, **extra) -> dict:
    return {"session_id": sid, "transcript_path": f"/x/{sid}.jsonl", "cwd": PROJ_B,
            "hook_event_name": event, **extra}


def codex(event: str, **extra) -> dict:
    return {"session_id": CODEX, "turn_id": "t1", "transcript_path": "/x/rollout.jsonl",
            "cwd": PROJ_B, "hook_event_name": event, "model": "gpt-5-codex",
            "permission_mode": "default", **extra}


def test_real_payloads_set_the_status_everywhere(corpus_home):
    assert set(statuses(corpus_home).values()) == {"idle"}
    state_hook("claude", claude("UserPromptSubmit", permission_mode="default",
                                prompt="Describe main.rs"), corpus_home)
    state_hook("claude", claude("Notification", notification_type="permission_prompt",
                                message="Claude needs your permission to use Bash"),
               corpus_home)
    state_hook("claude", claude("UserPromptSubmit", sid=CLAUDE_2, prompt="go on"), corpus_home)
    state_hook("codex", codex("UserPromptSubmit", prompt="go"), corpus_home)
    state_hook("codex", codex("PermissionRequest", tool_name="shell",
                              tool_input={"command": ["cargo", "test"]}), corpus_home)
    state_hook("opencode", {"session_id": OPENCODE, "cwd": PROJ_B,
                            "hook_event_name": "session.status", "status": "busy"}, corpus_home)

    shown = statuses(corpus_home)
    assert shown[CLAUDE] == "needs you" and shown[CODEX] == "needs you"
    assert shown[CLAUDE_2] == "working" and shown[OPENCODE] == "working"
    for flag, word in (("needs-you", "needs you"), ("working", "working"), ("idle", "idle")):
        assert statuses(corpus_home, "--status", flag) == {
            sid: w for sid, w in shown.items() if w == word}, flag

    view = decode_strict(axi_proc(["sessions", "view", "17ce7ca7"], corpus_home).stdout)
    assert view["status"] == "needs you"
    board = decode_strict(axi_proc(["hook", "session-start", "--host", "opencode"], corpus_home,
                                   {"session_id": "new", "cwd": PROJ_B}).stdout)
    assert {r["id"]: r["status"] for r in board["sessions"]}["17ce7ca7"] == "needs you"

    state_hook("codex", codex("Stop", stop_hook_active=False,
                              last_assistant_message="done"), corpus_home)
    assert statuses(corpus_home)[CODEX] == "idle"


def test_stale_states_give_way_and_an_end_wins(corpus_home):
    state_hook("claude", claude("UserPromptSubmit", prompt="x"), corpus_home)
    state_hook("claude", claude("Notification", sid=CLAUDE_2,
                                notification_type="permission_prompt", message="permission"),
               corpus_home)
    later = pinned() + FRESH["working"] + 60
    shown = statuses(corpus_home, now=later)
    assert shown[CLAUDE] == "idle"  # a stale prompt: the transcript (closed turn) decides
    assert shown[CLAUDE_2] == "needs you"  # still waiting, a day is its window
    proc = axi_proc(["hook", "session-end", "--host", "claude"], corpus_home,
                    claude("SessionEnd", sid=CLAUDE_2, reason="prompt_input_exit"))
    assert proc.returncode == 0
    assert statuses(corpus_home)[CLAUDE_2] == "ended"
    assert CLAUDE_2 not in statuses(corpus_home, "--status", "needs-you")


def test_a_resume_clears_what_the_last_run_reported(corpus_home):
    state_hook("claude", claude("Notification", notification_type="permission_prompt",
                                message="permission"), corpus_home, now=pinned() - 60)
    proc = axi_proc(["hook", "session-start", "--host", "claude"], corpus_home,
                    claude("SessionStart", source="resume"))
    assert proc.returncode == 0
    assert statuses(corpus_home)[CLAUDE] == "idle"


def test_opencode_reports_busy_before_its_start(corpus_home):
    """Its plugin runs the start hook at the first model request, after `busy` (seen live)."""
    base = {"session_id": OPENCODE, "cwd": PROJ_B}
    state_hook("opencode", {**base, "hook_event_name": "session.status", "status": "busy"},
               corpus_home, now=pinned() - 2)
    axi_proc(["hook", "session-start", "--host", "opencode"], corpus_home,
             {**base, "hook_event_name": "SessionStart", "source": "startup"})
    assert statuses(corpus_home)[OPENCODE] == "working"


def test_events_that_mean_nothing_record_nothing(corpus_home):
    for payload in (claude("Notification", notification_type="auth_success"),
                    claude("PreToolUse", tool_name="Bash"), {"hook_event_name": "Stop"}):
        state_hook("claude", payload, corpus_home)
    journal = corpus_home.parent / "state" / "sessions.jsonl"
    assert not journal.exists()


def test_opencode_sends_its_own_event_time(corpus_home):
    """The plugin starts hooks without waiting, so a late `busy` must not hide the `idle`."""
    base = {"session_id": OPENCODE, "cwd": PROJ_B, "hook_event_name": "session.status"}
    state_hook("opencode", {**base, "status": "idle", "at": pinned() - 1}, corpus_home)
    state_hook("opencode", {**base, "status": "busy", "at": pinned() - 2}, corpus_home)
    assert statuses(corpus_home)[OPENCODE] == "idle"


def test_by_hand_it_says_what_the_payload_meant(corpus_home):
    proc = axi_proc(["hook", "state"], corpus_home, claude("Stop"))
    assert decode_strict(proc.stdout)["state"] == "idle"
    proc = axi_proc(["hook", "state"], corpus_home)
    assert decode_strict(proc.stdout)["state"].startswith("none")
    assert proc.returncode == 0
