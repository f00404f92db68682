"""Fixtures of the `axi serve` tests: the real command serving the corpus, and a mailbox."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from mail_support import make_agent
from serve_support import Served

from axi.mailbox import db, identity, mail


def person_config(name: str = "ada") -> None:
    """`[person] name`, so what the page says is the same on every machine."""
    state = Path(os.environ["AXI_HOME"])
    state.mkdir(parents=True, exist_ok=True)
    (state / "config.toml").write_text(f'[person]\nname = "{name}"\n')


@pytest.fixture
def served(corpus_home, monkeypatch):
    monkeypatch.delenv("AXI_NOW", raising=False)  # the live stream follows the real clock
    person_config()
    server = Served(corpus_home)
    yield server
    assert server.stop() == 0


@pytest.fixture
def served_mail(corpus_home, monkeypatch):
    """alice (approved, this folder), bob (approved), frontbot (pending); alice has mailed the
    person and given bob a task."""
    monkeypatch.delenv("AXI_NOW", raising=False)
    make_agent(corpus_home, "alice")
    make_agent(corpus_home / "work" / "bob", "bob")
    make_agent(corpus_home / "work" / "front", "frontbot", approve=False)
    conn = db.connect()
    alice = identity.require(conn, "alice")
    person = identity.person_name()
    sent = mail.send(conn, alice, mail.Outgoing(to=[person], body="may I deploy?\nline two"))
    from axi.mailbox import tasks

    tasks.create(conn, alice, "check the build", "bob")
    return {"person": person, "message": sent["id"]}
