"""`needs auth` and `waiting_re`: a login, OAuth or other prompt that blocks a session, seen by
its holder on the screen it holds (the fake harness shows Claude Code's OAuth prompt, or a
y/n question) or reported by a state hook; the list, `view`, the dashboard, `wait` and
`read --follow` all say the same."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from control_snap import scrub, snap
from control_support import axi_json, axi_toon, fake_config, wait_for

from axi.control import blocked, live, protocol, records

YN = r"""waiting_re = '\(y/n\)\s*$'"""


def launch(axi, *args: str) -> str:
    sid = axi("sessions", "new", "claude", *args).data["id"]
    conn = records.connect()
    wait_for(lambda: live.state(records.get(conn, sid))[0] == live.LIVE)
    return sid


def status(axi, sid: str) -> str:
    rows = axi("sessions", "--fields", "full_id,status", "--format", "json").data["sessions"]
    return next(r["status"] for r in rows if r["full_id"] == sid)


def turns(axi, sid: str) -> list[str]:
    data = axi("sessions", "read", sid, "--since", "0", "--format", "json").data
    return [t["text"] for t in data.get("turns") or [] if isinstance(t, dict)]


def hook(payload: dict, cwd) -> None:
    """The state hook as Claude Code runs it: `axi hook state --host claude`, payload piped."""
    done = subprocess.run([sys.executable, "-m", "axi", "hook", "state", "--host", "claude"],
                          input=json.dumps(payload), capture_output=True, text=True, cwd=cwd,
                          timeout=60)
    assert done.returncode == 0 and done.stdout == "" and done.stderr == "", done


def test_a_login_prompt_on_its_screen_is_needs_auth_everywhere(axi, control_home, follow,
                                                               snapshot):
    sid = launch(axi, "login")
    stream = follow(sid, "--follow", "--events", "waiting,turn")
    wait_for(lambda: status(axi, sid) == "needs auth")
    out = {"list": snap(axi, control_home, "sessions", "--fields", "id,status,title")}
    out["view_status"] = axi("sessions", "view", sid[:8]).data["status"]
    home = axi("--format", "json").data["sessions"]
    out["dashboard_status"] = next(r["status"] for r in home if r["id"] == sid[:8])
    out["wait"] = snap(axi, control_home, "sessions", "wait", sid, "--timeout", "1s")
    out["follow"] = scrub(wait_for(lambda: stream.events("waiting")), str(control_home))
    assert out == snapshot
    from axi.control.overlay import sessions_with  # what `sessions --status` selects by

    assert sid in sessions_with("needs auth")[0] and sid not in sessions_with("idle")[0]
    # A glance is no answer: an attached terminal's own reports (focus) leave it blocked.
    with protocol.connect(live.socket_path(sid)) as sock:
        sock.sendall(protocol.frame(protocol.ATTACH, protocol.size_payload(0, 0))
                     + protocol.frame(protocol.INPUT, b"\x1b[I\x1b[O"))
        time.sleep(0.2)
    time.sleep(1.5)
    assert status(axi, sid) == "needs auth"
    axi("sessions", "type", sid, "code-123")
    wait_for(lambda: any("code-123" in t for t in turns(axi, sid)))
    wait_for(lambda: status(axi, sid) in ("working", "idle"))
    assert live.blocked(records.get(records.connect(), sid)) is None
    assert len(stream.events("waiting")) == 1  # told once


def test_waiting_re_marks_a_prompt_until_it_is_answered(axi, control_home, follow, snapshot):
    fake_config(Path(os.environ["AXI_HOME"]), extra=YN)
    sid = launch(axi, "confirm Delete the build folder?")
    stream = follow(sid, "--follow", "--events", "waiting")
    wait_for(lambda: status(axi, sid) == "needs you")
    out = {"list": snap(axi, control_home, "sessions", "--fields", "id,status,title")}
    out["follow"] = scrub(wait_for(lambda: stream.events("waiting")), str(control_home))
    assert out == snapshot
    axi("sessions", "type", sid, "y")
    wait_for(lambda: "confirmed: y" in turns(axi, sid))
    wait_for(lambda: status(axi, sid) in ("working", "idle"))


def test_claude_has_a_built_in_waiting_re_and_an_empty_one_turns_it_off(axi, control_home):
    proceed = launch(axi, "confirm Do you want to proceed?")  # Claude Code's permission dialog
    wait_for(lambda: status(axi, proceed) == "needs you")
    fake_config(Path(os.environ["AXI_HOME"]), extra="waiting_re = ''")
    off = launch(axi, "confirm Do you want to proceed?")
    wait_for(lambda: status(axi, off) == "idle")
    assert live.blocked(records.get(records.connect(), off)) is None


def test_once_a_state_hook_reports_it_decides_and_waiting_re_steps_aside(axi, control_home,
                                                                          follow):
    fake_config(Path(os.environ["AXI_HOME"]), extra=YN)
    sid = launch(axi, "hello")
    stream = follow(sid, "--follow", "--events", "waiting")
    base = {"session_id": sid, "cwd": str(control_home)}
    hook({**base, "hook_event_name": "UserPromptSubmit", "prompt": "confirm Go on?"},
         control_home)
    axi("sessions", "type", sid, "confirm Go on?")
    time.sleep(2.5)  # the screen shows the y/n question; the hook has the say now
    assert status(axi, sid) in ("working", "idle")
    hook({**base, "hook_event_name": "Notification", "notification_type": "permission_prompt",
          "message": "Claude needs your permission to use Bash"}, control_home)
    wait_for(lambda: status(axi, sid) == "needs you")
    told = wait_for(lambda: stream.events("waiting"))
    assert [(w["reason"], w["prompt"]) for w in told] == [
        ("prompt", "a prompt such as a permission request (its state hook reported it)")]
    axi("sessions", "type", sid, "y")  # answered at the terminal: the holder knows at once
    wait_for(lambda: live.blocked(records.get(records.connect(), sid)) is None)
    hook({**base, "hook_event_name": "Stop"}, control_home)  # and the turn ends
    wait_for(lambda: status(axi, sid) == "idle")
    hook({**base, "hook_event_name": "Notification", "message": "Please log in again"},
         control_home)
    wait_for(lambda: status(axi, sid) == "needs auth")
    wait_for(lambda: any(w["reason"] == "auth" for w in stream.events("waiting")))
    hook({**base, "hook_event_name": "Stop"}, control_home)
    wait_for(lambda: status(axi, sid) in ("working", "idle"))
    blocks = [w["reason"] for w in stream.events("waiting") if w["reason"] != "input"]
    assert blocks == ["prompt", "auth"]  # (`input`: it went quiet after its answer)


def test_a_session_axi_did_not_launch_needs_auth_when_its_hook_says_so(corpus_home):
    claude = "17ce7ca7-6fb8-4d59-85a9-77a654db600d"  # idle in the recorded stores at NOW
    base = {"session_id": claude, "cwd": "/home/dev/work/projB"}

    def shown() -> str:
        rows = axi_json("sessions", "--all", "--limit", "50", "--fields", "full_id",
                        cwd=corpus_home)["sessions"]
        return next(r["status"] for r in rows if r["full_id"] == claude)

    hook({**base, "hook_event_name": "Notification", "notification_type": "auth_required",
          "message": "Claude needs you to sign in"}, corpus_home)
    assert shown() == "needs auth"
    hook({**base, "hook_event_name": "Notification", "notification_type": "auth_success",
          "message": "Signed in"}, corpus_home)
    assert shown() == "needs auth"  # a success is no state of its own; the next one decides
    hook({**base, "hook_event_name": "Stop"}, corpus_home)
    assert shown() == "idle"


@pytest.mark.parametrize(("value", "problem"), [
    ("'Allow ('", "[[harness]] claude.waiting_re that is not a regular expression "
                  "(missing ), unterminated subpattern at position 6)"),
    ("'(y/n)?'", "[[harness]] claude.waiting_re that matches an empty screen"),
    ("3", "[[harness]] claude.waiting_re of the wrong type: it must be a string (got an "
          "integer)"),
], ids=["not_a_regex", "matches_nothing", "not_a_string"])
def test_a_bad_waiting_re_is_a_config_error_naming_the_key(control_home, value, problem,
                                                          snapshot):
    config = fake_config(Path(os.environ["AXI_HOME"]), extra=f"waiting_re = {value}")
    code, data = axi_toon("sessions", "new", "claude", "hi", cwd=control_home)
    assert code == 1 and data["code"] == "CONFIG_INVALID" and problem in data["error"]
    assert data["error"].startswith(f"{config} has ")
    assert records.connect().execute("SELECT count(*) FROM launches").fetchone()[0] == 0
    assert scrub(data, str(config.parent)) == snapshot


@pytest.mark.parametrize(("screen", "expected"), [
    ("Select login method:\n\n ❯ 1. Claude account with subscription\n"
     "   2. Anthropic Console account", ("auth", "Select login method:")),
    ("  ⎿  API Error: 401 · Please run /login", ("auth", "⎿ API Error: 401 · Please run /login")),
    ("  Welcome to Codex\n\n  Sign in with ChatGPT to use Codex as part of your paid plan\n\n"
     "› 1. Sign in with ChatGPT\n  2. Provide your own API key",
     ("auth", "Sign in with ChatGPT to use Codex as part of your paid plan")),
    ("Not logged in. Run `codex login` to authenticate.",
     ("auth", "Not logged in. Run `codex login` to authenticate.")),
    ("│ Bash command\n│   rm -rf tmp/cache\n│ Do you want to proceed?\n│ ❯ 1. Yes",
     ("prompt", "Do you want to proceed?")),
    ("I added OAuth login to the settings page and a sign-in button.\n> ", None),
    ("Do you want to proceed? I asked earlier; the answer was yes.\n" + "line\n" * 30, None),
])
def test_what_the_screen_shows(screen, expected):
    waiting = blocked.compiled(r"Do you want to (?:proceed|make this edit|create|allow)\b"
                               r"[^\n]*\?")
    assert blocked.on_screen(screen.encode(), waiting) == expected


def test_a_waiting_re_match_on_a_login_line_is_auth():
    waiting = blocked.compiled(r"Enter the code from your browser:\s*$")
    assert blocked.on_screen(b"Enter the code from your browser: ", waiting) == (
        "prompt", "Enter the code from your browser:")
    login = blocked.compiled(r"Log in to acme-agent:\s*$")
    assert blocked.on_screen(b"Log in to acme-agent: ", login) == (
        "auth", "Log in to acme-agent:")


def test_needs_auth_is_yellow_in_the_picker():
    from axi.picker.table import STATUS_STYLE

    assert STATUS_STYLE["needs auth"].color.name == "yellow"
