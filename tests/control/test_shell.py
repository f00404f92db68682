"""`shell` in config.toml: harness launches and `--accept` checks run through it. A real
`bash -lc` whose profile (in the test's HOME) exports a variable and puts a tools folder on
PATH, as mise, nvm or asdf would: the harness found only there starts, and sees the variable."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from control_snap import scrub, snap
from control_support import FAKE, axi_toon, fake_config, wait_for

from axi.control import live, records

MARK = "from-login-shell"
CHECK = f'test "$AXI_PROFILE_MARK" = {MARK}'


@pytest.fixture
def login_shell(control_home) -> Path:
    """A HOME whose login profile exports AXI_PROFILE_MARK and puts ~/tools (holding the
    `fakeclaude` harness, on no other PATH) first; config.toml launches it through bash -lc."""
    home = Path(os.environ["HOME"])
    tools = home / "tools"
    tools.mkdir()
    harness = tools / "fakeclaude"
    harness.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{FAKE}" "$@"\n')
    harness.chmod(0o755)
    (home / ".bash_profile").write_text(f'export AXI_PROFILE_MARK={MARK}\n'
                                        'export PATH="$HOME/tools:$PATH"\n')
    write_config(top='shell = "bash -lc"')
    return home


def write_config(top: str = "") -> Path:
    config = Path(os.environ["AXI_HOME"]) / "config.toml"
    config.write_text(f"""{top}
[[harness]]
name = "claude"
launch = ["fakeclaude", "--session-id", "{{newid}}", "--", "{{task}}"]
launch_headless = ["fakeclaude", "-p", "--session-id", "{{newid}}", "--", "{{task}}"]
""")
    return config


def base() -> Path:
    """The test's folder (HOME and the state dir are in it), scrubbed from snapshots."""
    return Path(os.environ["AXI_HOME"]).parent


def turns(axi, sid: str) -> list[tuple[str, str]]:
    data = axi("sessions", "read", sid, "--since", "0", "--format", "json").data
    return [(t["role"], t["text"]) for t in data.get("turns") or [] if isinstance(t, dict)]


def test_a_launch_runs_through_the_login_shell(axi, control_home, login_shell):
    task = """sh echo "it's $AXI_PROFILE_MARK"; echo 'a;b' `echo c`"""  # reaches it as typed
    started = axi("sessions", "new", "claude", task)
    assert started.code == 0, started.data
    sid = started.data["id"]
    wait_for(lambda: len(turns(axi, sid)) == 2)
    assert turns(axi, sid) == [("user", task), ("assistant", f"sh: it's {MARK}\na;b c")]
    launch = records.get(records.connect(), sid)
    argv = records.spec_of(launch)["argv"]
    assert argv[:2] == ["bash", "-lc"] and argv[2].startswith("exec fakeclaude ")
    # `exec`: the harness took the shell's place, in the process group the holder signals
    with open(f"/proc/{launch['child_pid']}/cmdline", "rb") as fh:
        assert str(FAKE).encode() in fh.read()
    assert axi("sessions", "kill", sid).code == 0


def test_accept_checks_run_through_it(axi, control_home, login_shell, snapshot):
    waited = axi("sessions", "new", "claude", "hi", "--wait", "--accept", CHECK)
    assert waited.code == 0 and waited.data["sessions"][0]["outcome"] == "success"
    sid = waited.data["sessions"][0]["id"]
    out = {"check": snap(axi, base(), "check", sid[:8])}
    # `sessions tag --outcome success` runs it the same way
    watched = axi("sessions", "new", "claude", "tag success", "--accept", CHECK).data["id"]
    wait_for(lambda: records.get(records.connect(), watched)["outcome"] == "success")
    # unset, checks run through `sh -c` as before, without the login profile
    fake_config(Path(os.environ["AXI_HOME"]))
    failed = axi("sessions", "new", "claude", "hi", "--wait", "--accept", CHECK)
    assert failed.code == 1 and failed.data["sessions"][0]["outcome"] == "gave_up"
    out["check_without_shell"] = snap(axi, base(), "check", failed.data["sessions"][0]["id"])
    assert out == snapshot


def test_unset_a_harness_only_a_login_shell_finds_is_not_installed(axi, control_home,
                                                                   login_shell, snapshot):
    write_config()
    out = snap(axi, base(), "sessions", "new", "claude", "hi")
    assert out["exit"] == 1 and out["stdout"]["code"] == "NOT_INSTALLED"
    assert out == snapshot


@pytest.mark.parametrize("value", ['""', '"   "', "[]", '["bash", ""]', '''"bash -lc 'x"''',
                                   "3", '"no-such-shell -c"'],
                         ids=["empty", "blank", "empty_list", "empty_word", "unclosed_quote",
                              "not_a_command", "not_installed"])
def test_a_bad_shell_is_a_clear_error_naming_the_key(control_home, value, snapshot):
    config = fake_config(Path(os.environ["AXI_HOME"]), top=f"shell = {value}")
    code, data = axi_toon("sessions", "new", "claude", "hi", cwd=control_home)
    assert code == 1 and "shell" in data["error"], data
    assert records.connect().execute("SELECT count(*) FROM launches").fetchone()[0] == 0
    assert config.read_text().startswith(f"shell = {value}")  # never rewritten
    assert scrub(data, str(config.parent)) == snapshot


def test_unset_keeps_the_argv_as_it_was(axi, control_home):
    sid = axi("sessions", "new", "claude", "hello").data["id"]
    conn = records.connect()
    wait_for(lambda: live.state(records.get(conn, sid))[0] == live.LIVE)
    spec = records.spec_of(records.get(conn, sid))
    assert spec["argv"][:2] == [sys.executable, str(FAKE)] and spec["shell"] is None
