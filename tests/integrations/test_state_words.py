"""What each host's hook event means for its session (payload shapes as the real CLIs sent
them, docs/research/hook-e2e.md; Notification and OpenCode shapes from their own schemas)."""

from __future__ import annotations

import pytest

from axi.integrations.states import IDLE, NEEDS_YOU, WORKING, word

BASE = {"session_id": "8e12a947-0000-4000-8000-000000000001", "cwd": "/home/dev/work/projB",
        "transcript_path": "/home/dev/.claude/projects/-home-dev-work-projB/8e12a947.jsonl"}
CLAUDE_STOP = {**BASE, "hook_event_name": "Stop", "permission_mode": "default",
               "effort": {"level": "high"}, "stop_hook_active": False,
               "last_assistant_message": "Hello!", "background_tasks": [], "session_crons": []}
CLAUDE_PROMPT = {**BASE, "hook_event_name": "UserPromptSubmit", "permission_mode": "default",
                 "prompt": "Say hello"}
CODEX_STOP = {**BASE, "hook_event_name": "Stop", "turn_id": "t1", "model": "gpt-5-codex",
              "permission_mode": "bypassPermissions", "stop_hook_active": False,
              "last_assistant_message": "done"}
CODEX_PROMPT = {**BASE, "hook_event_name": "UserPromptSubmit", "turn_id": "t1",
                "model": "gpt-5-codex", "permission_mode": "default", "prompt": "go"}
CODEX_PERMISSION = {**BASE, "hook_event_name": "PermissionRequest", "turn_id": "t1",
                    "model": "gpt-5-codex", "permission_mode": "default", "tool_name": "shell",
                    "tool_input": {"command": ["rm", "-rf", "build"]}}


def notification(kind: str | None, message: str = "") -> dict:
    payload = {**BASE, "hook_event_name": "Notification", "message": message}
    return payload if kind is None else {**payload, "notification_type": kind}


@pytest.mark.parametrize(("host", "payload", "expected"), [
    ("claude", CLAUDE_PROMPT, WORKING),
    ("claude", CLAUDE_STOP, IDLE),
    ("codex", CODEX_PROMPT, WORKING),
    ("codex", CODEX_STOP, IDLE),
    ("codex", CODEX_PERMISSION, NEEDS_YOU),
    ("claude", notification("permission_prompt", "Claude needs your permission to use Bash"),
     NEEDS_YOU),
    ("claude", notification("elicitation_dialog", "Claude Code needs your input"), NEEDS_YOU),
    ("claude", notification("elicitation_response"), WORKING),
    ("claude", notification("elicitation_complete"), WORKING),
    ("claude", notification("idle_prompt", "Claude is waiting for your input"), IDLE),
    ("claude", notification("auth_success", "Signed in"), None),
    ("claude", notification("some_future_kind", "needs your permission"), None),
    ("claude", notification(None, "Claude needs your permission to use Bash"), NEEDS_YOU),
    ("claude", notification(None, "Claude is waiting for your input"), IDLE),
    ("claude", notification(None, "something else"), None),
])
def test_claude_and_codex_events(host, payload, expected):
    assert word(host, payload) == expected


@pytest.mark.parametrize(("event", "status", "expected"), [
    ("session.status", "busy", WORKING),
    ("session.status", "retry", WORKING),
    ("session.status", "idle", IDLE),
    ("session.status", None, None),
    ("session.idle", None, IDLE),
    ("permission.asked", None, NEEDS_YOU),
    ("question.asked", None, NEEDS_YOU),
    ("permission.replied", None, WORKING),
    ("question.replied", None, WORKING),
    ("question.rejected", None, WORKING),
    ("message.part.delta", None, None),
])
def test_opencode_bus_events(event, status, expected):
    payload = {"session_id": "ses_dff8e15f2ffeUEZQQPC3OmIPeW", "cwd": "/w",
               "hook_event_name": event, "status": status}
    assert word("opencode", payload) == expected


@pytest.mark.parametrize("payload", [
    {}, {"hook_event_name": 5}, {"hook_event_name": "SessionStart", "source": "startup"},
    {"hook_event_name": "SessionEnd", "reason": "other"}, {"hook_event_name": "PreToolUse"},
    {"hook_event_name": "Notification", "notification_type": ["x"], "message": 3},
])
def test_anything_else_means_nothing(payload):
    assert word("claude", payload) is None
    assert word("codex", payload) is None
