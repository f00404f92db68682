"""`axi hook ...` given hostile arguments and stdin, as the real process hosts start: it exits
0 whatever it is given, says what it refused on stderr (and in the dashboard), and still shows
the dashboard."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support import decode_strict

from axi.integrations.payload import MAX_CWD, MAX_DEPTH, MAX_WHY, STDIN_MAX

PROJ_B = "/home/dev/work/projB"
ONE_OF_B = "17ce7ca7-6fb8-4d59-85a9-77a654db600d"
HOSTS = ("claude", "codex", "opencode")


def run(args: list[str], cwd, stdin: str | bytes | None = None) -> subprocess.CompletedProcess:
    data = stdin.encode() if isinstance(stdin, str) else stdin
    return subprocess.run([sys.executable, "-m", "axi", *args], input=data, cwd=cwd,
                          stdin=subprocess.DEVNULL if data is None else None,
                          capture_output=True, timeout=60)


def start_payload(host: str, **fields) -> dict:
    """What each host sends at session start (hook-e2e.md §1.2, §2.2; the OpenCode plugin)."""
    base = {"session_id": ONE_OF_B, "cwd": PROJ_B, "hook_event_name": "SessionStart",
            "source": "startup"}
    if host == "claude":
        base["transcript_path"] = f"/x/{ONE_OF_B}.jsonl"
    if host == "codex":
        base.update(transcript_path="/x/rollout.jsonl", model="gpt-5-codex",
                    permission_mode="default")
    return {**base, **fields}


def board(proc: subprocess.CompletedProcess, host: str) -> dict:
    """The dashboard a host hands to the model."""
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout.decode()
    if host in ("claude", "codex"):
        out = json.loads(out)["hookSpecificOutput"]["additionalContext"] + "\n"
    data = decode_strict(out)
    assert "axi" not in data, data  # not "dashboard unavailable"
    return data


def journal(home) -> list[dict]:
    path = home.parent / "state" / "sessions.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


@pytest.mark.parametrize("args", [
    ["session-start", "--host", "nope"], ["session-start", "--host"], ["session-end", "--bogus"],
    ["state", "--host", "claude", "extra"], ["state", "--host=", "--format", "xml"],
    ["session-start", "--host", "claude", "--format"], ["bogus"], [], ["session-end", "-h"]])
def test_every_hook_line_exits_0(corpus_home, args):
    for stdin in (None, "not json", "\x00\xff{", json.dumps(start_payload("claude"))):
        proc = run(["hook", *args], corpus_home, stdin)
        assert proc.returncode == 0, (args, proc.stdout, proc.stderr)
        assert b"Traceback" not in proc.stdout + proc.stderr


def test_an_unknown_host_still_prints_the_dashboard_and_says_why(corpus_home):
    proc = run(["hook", "session-start", "--host", "nope"], corpus_home,
               json.dumps(start_payload("claude")))
    data = board(proc, "none")
    assert data["count"].startswith("8 of 8 sessions in /home/dev/work/projB")
    assert "unknown --host 'nope'" in data["warning"]
    assert b"unknown --host 'nope'" in proc.stderr
    assert journal(corpus_home) == []  # an unknown host names no harness to record for


def test_unknown_flags_are_ignored_and_named_and_state_stays_silent(corpus_home):
    payload = {"session_id": ONE_OF_B, "cwd": PROJ_B, "hook_event_name": "Stop"}
    proc = run(["hook", "state", "--host", "claude", "--verbose"], corpus_home,
               json.dumps(payload))
    assert proc.returncode == 0 and proc.stdout == b""
    assert b"ignored '--verbose'" in proc.stderr
    assert [e["why"] for e in journal(corpus_home)] == ["idle"]


@pytest.mark.parametrize("host", HOSTS)
def test_a_payload_nested_100k_deep_still_shows_the_dashboard(corpus_home, host):
    deep = "[" * 100_000 + "]" * 100_000
    here = corpus_home / "here"
    here.mkdir()
    for text in (json.dumps(start_payload(host))[:-1] + f', "extra": {deep}}}', deep):
        proc = run(["hook", "session-start", "--host", host], here, text)
        data = board(proc, host)
        assert data["sessions"].startswith("0 sessions in ~/here")  # the hook's own folder
        assert f"nested deeper than {MAX_DEPTH}" in data["warning"]
        assert b"nested deeper" in proc.stderr


@pytest.mark.parametrize("host", HOSTS)
def test_a_megabyte_cwd_falls_back_to_the_hooks_folder(corpus_home, host):
    here = corpus_home / "here"
    here.mkdir()
    cwd = "/" + "a" * 1_000_000
    assert len(json.dumps(start_payload(host, cwd=cwd))) < STDIN_MAX  # read, then refused
    proc = run(["hook", "session-start", "--host", host], here,
               json.dumps(start_payload(host, cwd=cwd)))
    data = board(proc, host)
    assert data["sessions"].startswith("0 sessions in ~/here")
    assert f"longer than {MAX_CWD} characters" in data["warning"]
    assert "a" * 100 not in json.dumps(data)
    assert all(len(e["cwd"]) < 100 for e in journal(corpus_home))


@pytest.mark.parametrize("host", HOSTS)
def test_a_payload_over_the_cap_or_a_missing_folder_falls_back(corpus_home, host):
    here = corpus_home / "here"
    here.mkdir()
    huge = json.dumps(start_payload(host, cwd="/" + "b" * (STDIN_MAX + 10)))
    proc = run(["hook", "session-start", "--host", host], here, huge)
    assert f"over {STDIN_MAX} bytes" in board(proc, host)["warning"]
    gone = start_payload(host, cwd=str(corpus_home / "no" / "such" / "folder"))
    data = board(run(["hook", "session-start", "--host", host], here, json.dumps(gone)), host)
    assert data["sessions"].startswith("0 sessions in ~/here")
    assert "not a folder" in data["warning"]


def test_brackets_inside_strings_do_not_count_as_depth(corpus_home):
    from axi.integrations.payload import too_deep

    text = json.dumps({"prompt": "[{" * 1000 + '\\"[', "x": [[["ok"]]]}).encode()
    assert not too_deep(text, MAX_DEPTH)
    assert too_deep(json.dumps({"x": [[[[1]]]]}).encode(), 3)
    assert not too_deep(json.dumps({"x": [[[[1]]]]}).encode(), 5)


def depth(value: object) -> int:
    if isinstance(value, dict):
        return 1 + max(map(depth, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(depth, value), default=0)
    return 0


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(alphabet='[]{}"\\/ab\n'),
    lambda inner: st.lists(inner, max_size=3)
    | st.dictionaries(st.text(alphabet='[]{}"\\a', max_size=4), inner, max_size=3),
    max_leaves=30)


@settings(max_examples=300, deadline=None)
@given(value=JSON, limit=st.integers(min_value=0, max_value=6), ascii=st.booleans())
def test_depth_is_counted_as_json_nests_it(value, limit, ascii):
    from axi.integrations.payload import too_deep

    text = json.dumps(value, ensure_ascii=ascii).encode()
    assert too_deep(text, limit) == (depth(value) > limit)


def test_session_end_keeps_a_bounded_shown_safe_reason(corpus_home):
    reason = "prompt\x1b[31m\u202eexit " + "x" * 10_000 + "\ud83d"
    end = {"session_id": ONE_OF_B, "cwd": PROJ_B, "hook_event_name": "SessionEnd",
           "reason": reason}
    assert run(["hook", "session-end", "--host", "claude"], corpus_home,
               json.dumps(end)).returncode == 0
    [entry] = journal(corpus_home)
    assert entry["id"] == ONE_OF_B and len(entry["why"]) <= MAX_WHY
    assert entry["why"].startswith("prompt\ufffd[31mexit xxx") and entry["why"].endswith("…")
    assert all(ch.isprintable() for ch in entry["why"])


@pytest.mark.parametrize("verb,event", [("session-end", "SessionEnd"), ("state", "Stop"),
                                        ("session-start", "SessionStart")])
def test_an_unsafe_session_id_is_ignored_and_reported(corpus_home, verb, event):
    for sid in ("../../x; rm -rf ~", "a" * 500, "$(touch pwned)", "id\nnext"):
        payload = {"session_id": sid, "cwd": PROJ_B, "hook_event_name": event,
                   "reason": "other"}
        proc = run(["hook", verb, "--host", "codex"], corpus_home, json.dumps(payload))
        assert proc.returncode == 0
        assert b"session_id is not a safe id" in proc.stderr
    assert journal(corpus_home) == []
    assert not os.path.exists(corpus_home / "pwned")
