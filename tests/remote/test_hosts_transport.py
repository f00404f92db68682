"""One call over a transport: the handshake, and what each way of failing is called."""

from __future__ import annotations

import json
import time

import pytest
from hostkit import SH_TRANSPORT, add_host, fake_axi

from axi.remote.hosts import from_block
from axi.remote.protocol import PROTOCOL, decode_request, encode_request, served
from axi.remote.transport import call


def test_requests_survive_a_remote_shell():
    word = encode_request(["sessions", "--dir", "a b'c; rm -rf ~", "--limit", "3"])
    assert word.replace("-", "").replace("_", "").isalnum()
    assert decode_request(word)["argv"][2] == "a b'c; rm -rf ~"
    with pytest.raises(ValueError):
        decode_request("!!")


def test_only_read_only_catalog_calls_are_served():
    assert served([]) and served(["sessions", "--all"]) and served(["sessions", "view", "x"])
    assert not served(["sessions", "kill", "x"])
    assert not served(["sessions", "read", "x", "--follow"])
    assert not served(["send", "@a", "hi"])


def test_check_reaches_a_real_remote_axi(axi, home, remote):
    add_host(axi, "box", SH_TRANSPORT, remote.axi)
    result = axi("hosts", "check", "box")
    assert result.code == 0, result.stdout
    row = result.data["hosts"][0]
    assert (row["status"], row["reason"], row["version"]) == ("online", None, "0.1.0")
    assert row["sessions"] > 10 and row["reached"] == "now"
    assert row["ran"].endswith("--format json") and " hosts serve " in row["ran"]


def test_an_offline_host(axi, home):
    add_host(axi, "gone", "sh -c 'echo ssh: connect to host gone port 22: refused >&2; "
                          "exit 255'")
    row = axi("hosts").data["hosts"][0]
    assert row["status"] == "offline"
    assert row["reason"] == ("the transport exited 255: ssh: connect to host gone port 22: "
                             "refused")
    assert row["reached"] == "never"


def test_a_slow_host_costs_its_timeout_and_no_more(axi, home):
    add_host(axi, "slow", "sh -c 'sleep 30'", timeout=0.5)
    start = time.monotonic()
    row = axi("hosts", "check", "slow").data["hosts"][0]
    assert time.monotonic() - start < 3
    assert (row["status"], row["reason"]) == ("offline", "no answer within 0.5s")


def test_no_axi_there(axi, home):
    add_host(axi, "bare", SH_TRANSPORT, "/nonexistent/axi")
    result = axi("hosts")
    assert result.data["hosts"][0]["status"] == "no axi"
    assert "/nonexistent/axi" in result.data["hosts"][0]["reason"]
    assert any("install axi on bare" in h for h in result.data["help"])


def test_another_protocol_is_old_axi_with_the_upgrade_command(axi, home, tmp_path):
    older = fake_axi(tmp_path, json.dumps({"protocol": PROTOCOL - 1, "axi": "0.0.9",
                                           "result": "no such shape"}))
    newer = fake_axi(tmp_path / "..", json.dumps({"protocol": PROTOCOL + 1, "axi": "9.0",
                                                  "stuff": [1, 2]}))
    add_host(axi, "older", SH_TRANSPORT, older)
    add_host(axi, "newer", SH_TRANSPORT, newer)
    result = axi("hosts", "--format", "json")
    older_row, newer_row = result.data["hosts"]
    assert (older_row["status"], older_row["version"]) == ("old axi", "0.0.9")
    assert older_row["reason"] == f"it speaks protocol {PROTOCOL - 1}, this axi speaks {PROTOCOL}"
    assert newer_row["status"] == "old axi"
    helps = result.data["help"]
    assert any("upgrade axi on older: `sh -c 'exec \"$@\"' sh pipx upgrade axi`" in h
               for h in helps)
    assert any("upgrade axi here: `pipx upgrade axi`" in h for h in helps)


def test_an_axi_from_before_the_protocol_is_old_axi(axi, home, tmp_path):
    usage_error = json.dumps({"error": "unknown command 'hosts' for `axi`", "code": "USAGE"})
    add_host(axi, "ancient", SH_TRANSPORT, fake_axi(tmp_path, usage_error, code=2))
    add_host(axi, "garbled", SH_TRANSPORT, fake_axi(tmp_path / "..", "not json {"))
    rows = axi("hosts", "--format", "json").data["hosts"]
    assert [r["status"] for r in rows] == ["old axi", "old axi"]
    assert "has no `axi hosts serve`" in rows[0]["reason"]


def test_the_remote_answers_its_protocol_first(remote):
    """`axi hosts serve` on the remote: one JSON object, `protocol` its first key."""
    import subprocess

    argv = from_block({"name": "r", "transport": SH_TRANSPORT, "axi": remote.axi})
    request = encode_request(["sessions", "kill", "x"])
    out = subprocess.run(argv.argv("hosts", "serve", request, "--format", "json"),
                         capture_output=True, check=True).stdout
    answer = json.loads(out)
    assert next(iter(answer)) == "protocol" and answer["error"]["code"] == "NOT_SERVED"
    reply = call(argv, ["sessions", "--all", "--limit", "2"])
    assert reply.status == "online"
    assert len(reply.answer["result"]["sessions"]) == 2


def test_a_host_that_drops_mid_answer_is_offline_not_a_crash(axi, home, tmp_path):
    half = fake_axi(tmp_path, '{"protocol": 1, "axi": "0.1.0", "result": {"sessi', code=255)
    add_host(axi, "flaky", SH_TRANSPORT, half)
    view = axi("sessions", "view", "flaky/abc123")
    assert (view.code, view.data["code"]) == (1, "HOST_OFFLINE")
    assert view.data["error"].startswith("host flaky is offline: the transport exited 255")
