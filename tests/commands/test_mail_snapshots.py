"""Snapshot the output of every mail, task and coordination command (time pinned by AXI_NOW;
machine-specific confirmation codes scrubbed)."""

from __future__ import annotations

import pytest
from mail_support import code_of, make_agent
from support import scrub

from axi.mailbox import db, identity, mail, tasks

# Run as alice, in her folder (HOME), after `setup` below.
CASES = {
    "agents_list": ["agents"],
    "agents_list_fields": ["agents", "--fields", "tag,listening"],
    "agents_init_already": ["agents", "init", "alice"],
    "agents_approve_already": ["agents", "approve", "alice", "--confirm", "{alice}"],
    "agents_approve_pending": ["agents", "approve", "carol", "--confirm", "{carol}"],
    "agents_revoke": ["agents", "revoke", "bob"],
    "whoami": ["whoami"],
    "whoami_pending": ["whoami", "--as", "carol"],
    "inbox": ["inbox"],
    "inbox_unread_fields": ["inbox", "--unread", "--fields", "to,thread,ack,task"],
    "inbox_wait_mail": ["inbox", "--wait", "1"],
    "inbox_wait_timeout": ["inbox", "--wait", "0", "--after", "9"],
    "send": ["send", "@bob", "the build is green, cc @carol and @nobody"],
    "send_reply": ["send", "--reply", "1", "thanks"],
    "mail_view": ["mail", "view", "2"],
    "mail_read": ["mail", "read", "1", "2"],
    "mail_ack": ["mail", "ack", "2"],
    "tasks": ["tasks"],
    "tasks_all_done": ["tasks", "--all", "--status", "done"],
    "tasks_create": ["tasks", "create", "write the release notes", "--assign", "@bob"],
    "tasks_view": ["tasks", "view", "1"],
    "tasks_update": ["tasks", "update", "1", "--status", "doing", "--note", "on it"],
    "handoff_not_listening": ["handoff", "@bob", "review the parser", "--intent", "review"],
    "handoff_no_wait": ["handoff", "@bob", "disk full", "--intent", "incident", "--no-wait"],
    "watch_timeout": ["watch", "--from", "@bob", "--timeout", "0"],
    "watch_matched": ["watch", "--from", "@bob", "--after", "0", "--timeout", "0"],
    "listen_idle": ["listen", "--exec", "true", "--timeout", "0"],
    "error_pending": ["inbox", "--as", "carol"],
    "error_unknown_recipient": ["send", "@zed", "hi"],
    "error_wait_negative": ["inbox", "--wait", "-1"],
    "home_with_mail": [],
    "help_handoff": ["handoff", "--help"],
}


def setup(home, monkeypatch) -> None:
    monkeypatch.setattr(identity, "operator_terminal", lambda: True)
    make_agent(home, "alice")
    make_agent(home / "work" / "bob", "bob")
    make_agent(home / "work" / "carol", "carol", approve=False)
    conn = db.connect()
    alice, bob = identity.require(conn, "alice"), identity.require(conn, "bob")
    mail.send(conn, bob, mail.Outgoing(to=["alice"], body="can you look at the flaky test?"))
    mail.send(conn, bob, mail.Outgoing(to=["alice"], body="deploy at 5pm, please ack",
                                       ack_required=True))
    mail.send(conn, alice, mail.Outgoing(to=["bob"], body="sure, after lunch"))
    tasks.create(conn, bob, "fix the flaky test", "alice", "high")


def scrub_codes(data: object, codes: dict[str, str]) -> object:
    if isinstance(data, dict):
        return {k: scrub_codes(v, codes) for k, v in data.items()}
    if isinstance(data, list):
        return [scrub_codes(v, codes) for v in data]
    if isinstance(data, str):
        for name, code in codes.items():
            data = data.replace(code, f"<code:{name}>")
    return data


@pytest.mark.parametrize("name", sorted(CASES))
def test_output(axi, home, monkeypatch, snapshot, name):
    setup(home, monkeypatch)
    codes = {n: code_of(n) for n in ("alice", "bob", "carol")}
    args = [a.format(**codes) if a.startswith("{") else a for a in CASES[name]]
    if name == "whoami_pending" or name == "error_pending":
        monkeypatch.chdir(home / "work" / "carol")
        monkeypatch.setenv("PWD", str(home / "work" / "carol"))
    result = axi(*args)
    assert scrub_codes(scrub({"exit": result.code, "stdout": result.data}), codes) == snapshot
