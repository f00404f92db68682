"""The whole command tree obeys the AXI contract: TOON on stdout, exit codes, loud failures."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import click
import pytest
from support import decode_strict

from axi.commands.tree import root


def walk(group: click.Group, ctx: click.Context, prefix: tuple[str, ...] = ()):
    for name in group.list_commands(ctx):
        cmd = group.get_command(ctx, name)
        path = prefix + (name,)
        yield path, cmd
        if isinstance(cmd, click.Group):
            yield from walk(cmd, click.Context(cmd, info_name=name, parent=ctx), path)


COMMANDS = [()] + [p for p, _ in walk(root, click.Context(root, info_name="axi"))]
# A representative call for each command, against the corpus.
CALLS = {
    (): [],
    ("sessions",): ["--all"],
    ("sessions", "view"): ["cb4228d5"],
    ("sessions", "read"): ["cb4228d5"],
    ("sessions", "search"): ["main.rs"],
    ("sessions", "resume"): ["cb4228d5", "--print"],
    ("sessions", "relink"): ["cb4228d5", "."],
    ("usage",): ["--days", "0"],
    ("agents",): [],
    ("agents", "init"): ["alice"],
    ("agents", "approve"): ["bob", "--confirm", "{code}"],
    ("agents", "revoke"): ["bob"],
    ("whoami",): [],
    ("inbox",): ["--unread"],
    ("send",): ["@bob", "hello"],
    ("mail",): [],
    ("mail", "view"): ["1"],
    ("mail", "read"): ["1"],
    ("mail", "ack"): ["1"],
    ("tasks",): ["--all"],
    ("tasks", "create"): ["write docs", "--assign", "@bob"],
    ("tasks", "view"): ["1"],
    ("tasks", "update"): ["1", "--status", "done"],
    ("handoff",): ["@bob", "review it", "--intent", "review", "--no-wait"],
    ("listen",): ["--exec", "true", "--timeout", "0"],
    ("watch",): ["--timeout", "0"],
    ("setup",): [],
    ("setup", "hooks"): [],
    ("setup", "status"): [],
    ("setup", "uninstall"): [],
    ("hook",): ["session-start"],
    ("hook", "session-start"): [],
    ("hook", "session-end"): [],
    ("hook", "state"): [],
    ("sessions", "new"): ["claude", "hello", "--wait"],
    ("sessions", "attach"): ["{live}"],
    ("sessions", "type"): ["{live}", "hello again"],
    ("sessions", "wait"): ["{done}", "--timeout", "30s"],
    ("sessions", "result"): ["{done}"],
    ("sessions", "continue"): ["{done}", "one more thing", "--wait"],
    ("sessions", "restart"): ["{done}", "--wait"],
    ("sessions", "kill"): ["{live}"],
    ("sessions", "tag"): ["{live}", "--name", "api", "--label", "team=web"],
    ("ask",): ["proceed?", "--default", "yes"],
    ("reply",): ["{asking}", "use sqlite"],
    ("runs",): ["--fields", "reason,duration"],
    ("metrics",): [],
    ("recipes",): [],
    ("pick",): ["--keys"],
    ("mailbox",): [],
    ("mailbox", "status"): [],
    ("mailbox", "migrate"): ["--to", "{team}"],
    ("hosts",): [],
    ("hosts", "add"): ["box", "--transport", "ssh -T box"],
    ("hosts", "check"): [],
    ("hosts", "remove"): ["box"],
    ("hosts", "sync"): [],
    ("doctor",): ["--no-run"],
    ("log",): [],
    ("prices",): [],
    ("prices", "update"): ["--from", os.path.join(os.path.dirname(__file__), os.pardir, "axi",
                                                  "pricing", "prices.json")],
    ("activity",): ["--since", "2h", "--limit", "5"],
    ("serve",): ["--dry-run", "--port", "0"],
    ("check",): ["{checked}"],
    ("context",): [],
    ("context", "set"): ["build/status", "green", "--ttl", "2h"],
    ("context", "get"): ["plan"],
    ("context", "list"): ["--prefix", "p"],
    ("context", "rm"): ["plan"],
}
CONTROL_VERBS = {"new", "attach", "type", "wait", "result", "continue", "restart", "kill", "tag"}
MAIL_NOUNS = {"agents", "whoami", "inbox", "send", "mail", "tasks", "handoff", "listen", "watch",
              "context"}


def representative(path: tuple[str, ...], home, monkeypatch, request=None) -> list[str]:
    """The call for `path`; mail commands get alice (this folder) and bob with mail between;
    control commands get a live session and a finished one, launched with the fake harness;
    `mailbox migrate` a new database in the test PostgreSQL server."""
    if "{team}" in CALLS[path]:
        server = request.getfixturevalue("pg_server")
        team = server.url("machine_a", server.new_database())
        return [team if a == "{team}" else a for a in CALLS[path]]
    if path[:1] == ("sessions",) and path[1:2] and path[1] in CONTROL_VERBS:
        return control_call(path, monkeypatch)
    if path == ("check",):
        return [checked_launch(monkeypatch)]
    if path == ("ask",):  # unattended: answers with its default at once
        monkeypatch.setenv("AXI_SESSION_ID", "0" * 8)
        monkeypatch.setenv("AXI_UNATTENDED", "1")
    if path == ("reply",):
        from control_support import pending_question

        return [pending_question(home)[:8] if a == "{asking}" else a for a in CALLS[path]]
    if path == ("hosts", "remove"):  # a host to remove
        os.makedirs(os.environ["AXI_HOME"], exist_ok=True)
        with open(os.path.join(os.environ["AXI_HOME"], "config.toml"), "a", encoding="utf-8") as fh:
            fh.write('[[host]]\nname = "box"\ntransport = "ssh -T box"\n')
    if path == ("hosts", "sync"):  # a host reached by a plain argv transport, its own mailbox
        import shlex
        import sys

        there = shlex.join(["env", f"AXI_HOME={home / 'box'}",
                            os.path.join(os.path.dirname(sys.executable), "axi")])
        os.makedirs(os.environ["AXI_HOME"], exist_ok=True)
        with open(os.path.join(os.environ["AXI_HOME"], "config.toml"), "a", encoding="utf-8") as fh:
            fh.write(f'[[host]]\nname = "box"\ntransport = "sh -c \'exec \\"$@\\"\' sh"\n'
                     f"axi = {json.dumps(there)}\n")
    if not path or path[0] not in MAIL_NOUNS:
        return CALLS[path]
    from mail_support import code_of, make_agent

    from axi.mailbox import db, identity, mail, tasks

    monkeypatch.setattr(identity, "operator_terminal", lambda: True)
    make_agent(home, "alice")
    make_agent(home / "work" / "bob", "bob")
    conn = db.connect()
    bob = identity.require(conn, "bob")
    mail.send(conn, bob, mail.Outgoing(to=["alice"], body="hello alice"))
    tasks.create(conn, bob, "check the build", "alice")
    from axi.mailbox import context

    context.put(conn, bob, "plan", value="two tables", now=float(os.environ["AXI_NOW"]))
    return [a.replace("{code}", code_of("bob")) for a in CALLS[path]]


def checked_launch(monkeypatch) -> str:
    """A finished headless launch whose accept check passes."""
    from pathlib import Path

    from control_support import fake_config, wait_for

    from axi.control import records
    from axi.control.launch import Request, start

    monkeypatch.delenv("AXI_NOW", raising=False)
    fake_config(Path(os.environ["AXI_HOME"]))
    launch = start(Request("claude", "a checked task", headless=True, accept="true"))["id"]
    wait_for(lambda: records.get(records.connect(), launch)["outcome"])
    return launch


def control_call(path: tuple[str, ...], monkeypatch) -> list[str]:
    import os
    from pathlib import Path

    from control_support import fake_config, wait_for

    from axi.control import live, records
    from axi.control.launch import Request, start

    if path[1] == "attach":
        pytest.skip("attach needs a terminal: tests/control/test_holder.py drives it in one")
    monkeypatch.delenv("AXI_NOW", raising=False)
    fake_config(Path(os.environ["AXI_HOME"]))
    running = start(Request("claude", "hello"))["id"]
    finished = start(Request("claude", "a finished task", headless=True))["id"]
    conn = records.connect()
    wait_for(lambda: live.state(records.get(conn, running))[0] == live.LIVE
             and records.get(conn, finished)["outcome"])
    ids = {"{live}": running, "{done}": finished}
    return [ids.get(a, a) for a in CALLS[path]]


def test_every_command_has_a_representative_call():
    assert set(COMMANDS) == set(CALLS)


@pytest.mark.parametrize("path", COMMANDS, ids=lambda p: " ".join(p) or "axi")
def test_help_is_short_complete_toon(axi, home, path):
    result = axi(*path, "--help")
    assert result.code == 0
    data = result.data
    assert data["usage"].startswith("axi")
    assert any(f["flag"].startswith("--format") for f in data["flags"])
    assert 2 <= len(data["examples"]) <= 3
    assert len(result.stdout) < 2500


@pytest.mark.parametrize("path", COMMANDS, ids=lambda p: " ".join(p) or "axi")
def test_unknown_flag_fails_loud(axi, home, path):
    result = axi(*path, *CALLS[path], "--bogus")
    if path[:1] == ("hook",):  # a hook exits 0 whatever it is given, and names what it ignored
        assert result.code == 0 and "'--bogus'" in result.stderr
        return
    assert result.code == 2
    assert result.data["code"] == "USAGE"
    assert "--bogus" in result.data["error"]
    assert any("valid flags" in h for h in result.data["help"])


@pytest.mark.parametrize("path", COMMANDS, ids=lambda p: " ".join(p) or "axi")
def test_representative_call(axi, corpus_home, monkeypatch, path, request):
    result = axi(*path, *representative(path, corpus_home, monkeypatch, request))
    assert result.code == 0, result.stdout
    assert isinstance(result.data, dict)


@pytest.mark.parametrize("path", COMMANDS, ids=lambda p: " ".join(p) or "axi")
def test_json_escape_hatch(axi, corpus_home, monkeypatch, path, request):
    result = axi(*path, *representative(path, corpus_home, monkeypatch, request), "--format",
                 "json")
    assert result.code == 0
    assert isinstance(result.data, dict)


def test_unknown_command_names_the_valid_ones(axi, home):
    result = axi("sesions")
    assert result.code == 2
    assert "sesions" in result.data["error"]
    assert result.data["help"][0] == "did you mean `axi sessions`?"
    assert result.data["help"][1].startswith("valid commands: activity, agents")
    flag = axi("sessions", "--limt", "3")
    assert flag.data["help"][0] == "did you mean --limit?"
    far = axi("zzz")
    assert far.data["help"][0].startswith("valid commands:")  # nothing close: no guess


def test_bad_choice_names_the_valid_values(axi, home):
    result = axi("sessions", "--harness", "gemini")
    assert result.code == 2
    assert "claude" in " ".join(result.data["help"])


def test_missing_argument_is_a_usage_error(axi, home):
    result = axi("sessions", "view")
    assert result.code == 2 and result.data["code"] == "USAGE"


def test_bad_format_value(axi, home):
    from axi.cli import main

    with pytest.raises(SystemExit) as exit_:
        main(["--format", "yaml"])
    assert exit_.value.code == 2


def test_unknown_field_names_the_valid_ones(axi, corpus_home):
    result = axi("sessions", "--fields", "colour")
    assert result.code == 2
    assert "model" in result.data["help"][0]


def test_real_process_writes_only_toon(corpus_home):
    """A real `axi` process: stdout decodes strictly, diagnostics stay on stderr."""
    for args in ([], ["sessions", "--all"], ["sessions", "--nope"], ["usage", "--by", "model"]):
        proc = subprocess.run([sys.executable, "-m", "axi", *args], capture_output=True,
                              text=True, cwd=corpus_home, timeout=60)
        decode_strict(proc.stdout)
        assert "Traceback" not in proc.stdout
        assert proc.returncode == (2 if "--nope" in args else 0)


def test_a_reader_that_went_away_ends_the_run_quietly(corpus_home):
    """`axi ... | head -1`: stdout closed before axi writes. Exit 0, nothing on stderr, on the
    click-free paths (which end without the interpreter's teardown) and through click."""
    for args in ([], ["sessions", "--all"], ["usage", "--by", "model"]):
        reader, writer = os.pipe()
        os.close(reader)
        try:
            proc = subprocess.run([sys.executable, "-m", "axi", *args], stdout=writer,
                                  stderr=subprocess.PIPE, text=True, cwd=corpus_home,
                                  timeout=60)
        finally:
            os.close(writer)
        assert (proc.returncode, proc.stderr) == (0, ""), args
