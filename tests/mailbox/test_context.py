"""Shared context: values and files every approved agent here reads, through the commands."""

from __future__ import annotations

import os

import pytest
from mail_support import as_bob, make_agent

from axi.mailbox import context, db, store


def artifacts() -> list[str]:
    folder = context.artifacts_dir()
    return sorted(n for n in os.listdir(folder) if not n.startswith("."))


def test_a_value_set_by_one_is_read_by_another(axi, pair, monkeypatch, snapshot):
    done = axi("context", "set", "build/status", "green", "--ttl", "2h")
    assert done.code == 0 and done.data["set"] == "build/status"
    as_bob(monkeypatch, pair)
    got = axi("context", "get", "build/status")
    assert got.data["value"] == "green" and got.data["author"] == "@alice"
    assert axi("context").data == snapshot  # bare `axi context` lists


def test_expired_keys_are_gone(axi, pair, monkeypatch):
    axi("context", "set", "lock", "ada", "--ttl", "30m")
    now = float(os.environ["AXI_NOW"])
    monkeypatch.setenv("AXI_NOW", str(now + 1801))
    assert axi("context", "get", "lock").data["code"] == "NOT_FOUND"
    assert axi("context", "list").data["context"] == "0 keys"


@pytest.mark.sqlite_only
def test_a_file_is_stored_once_and_goes_with_its_last_key(axi, pair, home):
    (home / "spec.md").write_text("# the spec\n", encoding="utf-8")
    axi("context", "set", "spec", "--file", "spec.md")
    axi("context", "set", "spec-copy", "--file", "spec.md")
    assert len(artifacts()) == 1 and oct(os.stat(os.path.join(
        context.artifacts_dir(), artifacts()[0])).st_mode & 0o777) == "0o600"
    assert axi("context", "get", "spec").data["value"] == "# the spec\n"
    axi("context", "rm", "spec")
    assert len(artifacts()) == 1  # spec-copy still holds the bytes
    axi("context", "set", "spec-copy", "now a value")
    assert artifacts() == []


def test_a_binary_file_is_never_printed(axi, pair, home, snapshot):
    (home / "tool.bin").write_bytes(bytes(range(256)) * 4)
    axi("context", "set", "tool", "--file", "tool.bin")
    got = axi("context", "get", "tool")
    assert "value" not in got.data and got.data["kind"] == "binary"
    assert got.data == snapshot
    saved = axi("context", "get", "tool", "--out", "copy.bin")
    assert (home / "copy.bin").read_bytes() == (home / "tool.bin").read_bytes()
    assert saved.data["saved"] == str(home / "copy.bin")


def test_an_oversize_file_is_refused_and_nothing_is_stored(axi, pair, home, monkeypatch):
    monkeypatch.setattr(context, "MAX_FILE", 1000)
    (home / "big.log").write_bytes(b"x" * 1001)
    refused = axi("context", "set", "log", "--file", "big.log")
    assert refused.code == 2 and "limit" in refused.data["error"]
    assert axi("context", "list").data["context"] == "0 keys" and artifacts() == []


@pytest.mark.parametrize("key", ["", "-x", "a b", "../etc", "é", "k" * 129])
def test_unsafe_keys_are_refused(axi, pair, key):
    refused = axi("context", "set", key, "v")
    assert refused.code == 2 and refused.data["code"] == "USAGE"


def test_a_pending_agent_reads_nothing(axi, pair, home, monkeypatch):
    axi("context", "set", "secret-plan", "v")
    make_agent(home / "eve", "eve", approve=False)
    monkeypatch.chdir(home / "eve")
    monkeypatch.setenv("PWD", str(home / "eve"))
    assert axi("context", "get", "secret-plan").data["code"] == "PENDING"


def test_mention_leaves_a_mail_and_attach_goes_through_the_store(axi, pair, home, monkeypatch):
    axi("context", "set", "design", "two tables", "--mention", "@bob")
    (home / "trace.txt").write_text("line\n", encoding="utf-8")
    sent = axi("send", "@bob", "the trace", "--attach", "trace.txt")
    assert sent.code == 0
    as_bob(monkeypatch, pair)
    texts = [m["text"] for m in axi("inbox").data["messages"]]
    assert texts[1] == "context design was set: `axi context get design` reads it"
    command = texts[0].split("`")[1]  # axi context get attach/<digest>/trace.txt --out ...
    key = command.split()[3]
    assert key.startswith("attach/") and key.endswith("/trace.txt")
    assert axi("context", "get", key).data["value"] == "line\n"


@pytest.mark.sqlite_only
def test_the_table_is_migrated_into_an_existing_mailbox(pair):
    conn = store.connect()
    assert db.schema_version(conn) == db.LATEST
    assert conn.execute("SELECT count(*) FROM context").fetchone()[0] == 0
