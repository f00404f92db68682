"""Identities: init, approval as an operator act, origin checks, resolution order."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest
from mail_support import code_of, make_agent

from axi.mailbox import identity


@pytest.fixture
def operator(monkeypatch):
    monkeypatch.setattr(identity, "operator_terminal", lambda: True)


def at(monkeypatch, folder) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    monkeypatch.chdir(folder)
    monkeypatch.setenv("PWD", str(folder))


def test_init_is_pending_until_an_operator_approves(axi, home, monkeypatch, operator):
    at(monkeypatch, home / "a")
    result = axi("agents", "init", "alice")
    assert result.code == 0 and result.data["state"] == "pending"
    assert (home / "a" / ".axi" / "agent.toml").is_file()
    blocked = axi("inbox")
    assert blocked.code == 1 and blocked.data["code"] == "PENDING"
    assert "axi agents approve alice --confirm <code>" in blocked.data["help"][0]
    assert axi("agents", "approve", "alice", "--confirm", "000000").data["code"] == (
        "CONFIRM_MISMATCH")
    approved = axi("agents", "approve", "alice", "--confirm", code_of("alice"))
    assert approved.code == 0 and approved.data == {"approved": "alice", "folder": "~/a"}
    again = axi("agents", "approve", "alice", "--confirm", code_of("alice"))
    assert again.data["already"] is True
    assert axi("inbox").code == 0
    assert axi("agents", "init", "alice").data["already"] is True


def test_approval_needs_a_terminal(axi, home, monkeypatch):
    monkeypatch.setattr(identity, "operator_terminal", lambda: False)
    make_agent(home / "a", "alice", approve=False)
    result = axi("agents", "approve", "alice", "--confirm", code_of("alice"))
    assert result.code == 1 and result.data["code"] == "NEEDS_OPERATOR"
    assert code_of("alice") not in result.stdout
    assert axi("agents", "revoke", "alice").data["code"] == "NEEDS_OPERATOR"


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_a_person_at_a_real_terminal_can_approve(home):
    import pexpect

    make_agent(home / "a", "alice", approve=False)
    child = pexpect.spawn(sys.executable, ["-m", "axi", "agents", "approve", "alice",
                                           "--confirm", code_of("alice")],
                          cwd=str(home), env=dict(os.environ), encoding="utf-8", timeout=30)
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, child.before
    assert "approved: alice" in child.before


def test_the_code_reaches_a_terminal_never_a_pipe(home):
    """An agent's tools read a pipe: it must never see the code that approves it."""
    import pexpect

    make_agent(home / "a", "alice", approve=False)
    code = code_of("alice")
    for args in (["agents"], ["agents", "init", "alice"], ["whoami"], ["inbox"], [],
                 ["hook", "session-start"], ["agents", "--fields", "code"]):
        done = subprocess.run([sys.executable, "-m", "axi", *args], cwd=home / "a", text=True,
                              capture_output=True, timeout=60, stdin=subprocess.DEVNULL,
                              env=dict(os.environ, PWD=str(home / "a")))
        assert code not in done.stdout + done.stderr, args
        assert "Traceback" not in done.stderr, done.stderr
    listed = subprocess.run([sys.executable, "-m", "axi", "agents"], cwd=home, text=True,
                            capture_output=True, timeout=60)
    assert "run `axi agents` in a terminal" in listed.stdout
    child = pexpect.spawn(sys.executable, ["-m", "axi", "agents"], cwd=str(home),
                          env=dict(os.environ), encoding="utf-8", timeout=30)
    child.expect(pexpect.EOF)
    child.close()
    # A code that reads as a number (`51e934`) is quoted by TOON.
    shown = (f"alice,pending,~/a,0,never,{code}\r", f'alice,pending,~/a,0,never,"{code}"\r')
    assert child.exitstatus == 0 and any(row in child.before for row in shown), child.before


def test_agents_of_one_folder_do_not_act_for_each_other(axi, home, monkeypatch):
    make_agent(home / "a", "alice")
    make_agent(home / "a", "reviewer", tag="rev")
    at(monkeypatch, home / "a")
    refused = axi("whoami", "--as", "reviewer")
    assert refused.code == 1 and refused.data["code"] == "TAG_MISMATCH"
    assert "reviewer's own shell sets AXI_AGENT_TAG=rev" in refused.data["help"]
    monkeypatch.setenv("AXI_AGENT", "reviewer")
    assert axi("send", "@alice", "hi").data["code"] == "TAG_MISMATCH"
    monkeypatch.delenv("AXI_AGENT")
    monkeypatch.setenv("AXI_AGENT_TAG", "rev")
    assert axi("whoami").data["agent"] == "reviewer"
    assert axi("whoami", "--as", "reviewer").data["agent"] == "reviewer"
    assert axi("inbox", "--as", "alice").data["code"] == "TAG_MISMATCH"
    monkeypatch.delenv("AXI_AGENT_TAG")
    assert axi("whoami").data["agent"] == "alice"


def test_one_origin_one_name(axi, home, monkeypatch):
    make_agent(home / "a", "alice")
    at(monkeypatch, home / "a")
    result = axi("agents", "init", "mallory")
    assert result.code == 1 and result.data["code"] == "ORIGIN_BOUND"
    tagged = axi("agents", "init", "reviewer", "--tag", "review")
    assert tagged.code == 0 and tagged.data["pointer"] == "~/a/.axi/agent.review.toml"


def test_a_name_bound_elsewhere_moves_only_on_request(axi, home, monkeypatch, operator):
    make_agent(home / "a", "alice")
    at(monkeypatch, home / "b")
    taken = axi("agents", "init", "alice")
    assert taken.code == 1 and taken.data["code"] == "NAME_TAKEN"
    moved = axi("agents", "init", "alice", "--move")
    assert moved.data["state"] == "pending" and moved.data["folder"] == "~/b"


def test_a_copied_pointer_file_grants_nothing(axi, home, monkeypatch):
    make_agent(home / "a", "alice")
    (home / "b" / ".axi").mkdir(parents=True)
    shutil.copy(home / "a" / ".axi" / "agent.toml", home / "b" / ".axi" / "agent.toml")
    at(monkeypatch, home / "b")
    result = axi("inbox")
    assert result.code == 1 and result.data["code"] == "ORIGIN_CHANGED"
    assert "--move" in result.data["help"][0]


def test_as_and_env_must_belong_to_this_folder(axi, home, monkeypatch):
    make_agent(home / "a", "alice")
    make_agent(home / "b", "bob")
    at(monkeypatch, home / "b")
    assert axi("whoami").data["agent"] == "bob"
    assert axi("inbox", "--as", "alice").data["code"] == "ORIGIN_MISMATCH"
    monkeypatch.setenv("AXI_AGENT", "alice")
    assert axi("inbox").data["code"] == "ORIGIN_MISMATCH"
    assert axi("whoami", "--as", "bob").data["from"] == "--as"  # the flag wins over the env
    at(monkeypatch, home / "a" / "src" / "deep")
    assert axi("whoami").data == {"agent": "alice", "state": "approved", "folder": "~/a",
                                  "from": "AXI_AGENT", "mail": "0 unread",
                                  "help": ["`axi inbox` shows your mail"]}


def test_no_identity_and_unknown_names(axi, home, monkeypatch):
    make_agent(home / "a", "alice")
    at(monkeypatch, home / "elsewhere")
    none = axi("inbox")
    assert none.code == 1 and none.data["code"] == "NO_IDENTITY"
    assert axi("inbox", "--as", "zed").data["code"] == "NOT_FOUND"
    for bad in ("", "1abc", "a b", "x" * 40, "../etc", "BAD!"):
        result = axi("agents", "init", bad)
        assert result.code == 2 and result.data["code"] == "USAGE", bad


def test_revoked_agents_are_refused_everywhere(axi, home, monkeypatch, operator):
    make_agent(home / "a", "alice")
    make_agent(home / "b", "bob")
    assert axi("agents", "revoke", "bob").data["revoked"] == "bob"
    at(monkeypatch, home / "b")
    assert axi("inbox").data["code"] == "REVOKED"
    assert axi("send", "@alice", "hi").data["code"] == "REVOKED"
    at(monkeypatch, home / "a")
    refused = axi("send", "@bob", "hi")
    assert refused.data["code"] == "RECIPIENT_REVOKED"
    listed = axi("agents").data["agents"]
    assert [(a["name"], a["state"]) for a in listed] == [("alice", "approved"),
                                                         ("bob", "revoked")]


def test_the_host_in_an_origin_is_the_socket_host_name():
    import socket

    from axi.mailbox.identity import _host

    assert _host() == socket.gethostname()
