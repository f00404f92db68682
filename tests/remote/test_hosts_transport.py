"""One call over a transport: the handshake, and what each way of failing is called."""

from __future__ import annotations

import json
import time

import click
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


def test_the_serve_side_is_an_explicit_allow_list():
    assert served([]) and served(["sessions", "--all"]) and served(["sessions", "view", "x"])
    for verb in ("type", "wait", "result", "kill", "tag", "search", "read"):
        assert served(["sessions", verb, "x"]), verb
    assert served(["usage", "--by", "model"]) and served(["runs", "--limit", "5"])
    # a stream only as a stream, and only `read --follow`
    assert not served(["sessions", "read", "x", "--follow"])
    assert served(["sessions", "read", "x", "--follow"], stream=True)
    assert not served(["sessions", "view", "x"], stream=True) and not served([], stream=True)
    # resume only prints the command; it never runs a harness there
    assert served(["sessions", "resume", "x", "--print"])
    assert not served(["sessions", "resume", "x"])
    # launching is served (the person could run it over the transport anyway); the
    # interactive verbs, identities, mail and setup never are
    for argv in (["sessions", "new", "claude", "task"], ["sessions", "continue", "x", "t"],
                 ["sessions", "restart", "x"], ["reply", "x", "yes"]):
        assert served(argv), argv
    for argv in (["sessions", "attach", "x"], ["agents", "approve", "a"],
                 ["send", "@a", "hi"], ["hosts", "add", "x", "--transport", "sh"],
                 ["runs", "run-1"], ["usage", "prices"], ["mail", "view", "1"], ["setup"]):
        assert not served(argv), argv
    # the verb is found as click finds it: an option's value is never taken for it, and a
    # flag before a verb does not hide the verb
    assert not served(["sessions", "--all", "attach", "x"])
    assert not served(["sessions", "--limit", "5", "attach", "x"])
    assert served(["sessions", "--dir", "attach", "--limit", "5"])  # --dir's value


def test_the_allow_list_knows_which_options_take_a_value():
    """protocol.TAKES_VALUE must be click's own: else a value could pass for a verb."""
    from axi.commands.tree import root
    from axi.remote.protocol import TAKES_VALUE

    for name, listed in TAKES_VALUE.items():
        cmd = root.commands.get(name) or root.get_command(None, name)
        opts = {o for p in cmd.params if isinstance(p, click.Option) and not p.is_flag
                for o in p.opts}
        assert set(listed) == opts, name


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
    request = encode_request(["sessions", "attach", "x"])
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
    assert view.data["error"].startswith(
        "`sessions view` on host flaky did not complete: the transport exited 255")
