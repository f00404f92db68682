"""`[[host]]` blocks and `[machine] name`: adding, removing, validating, atomic writes."""

from __future__ import annotations

import os
import socket

import pytest

from axi.control.config_schema import check
from axi.paths import config_path


def _config() -> str:
    with open(config_path(), encoding="utf-8") as fh:
        return fh.read()


def test_no_hosts_says_how_to_add_one(axi, home):
    result = axi("hosts")
    assert result.code == 0
    assert result.data["hosts"] == "0 hosts configured"
    assert "axi hosts add" in result.data["help"][0]


def test_add_writes_a_block_and_keeps_the_rest_of_the_file(axi, home):
    os.makedirs(os.path.dirname(config_path()), exist_ok=True)
    with open(config_path(), "w", encoding="utf-8") as fh:
        fh.write('# my settings\nmux = "tmux"  # keep me\n')
    result = axi("hosts", "add", "box", "--transport", "ssh -T box", "--timeout", "5")
    assert result.code == 0, result.stdout
    assert result.data["host"] == {"name": "box", "transport": "ssh -T box", "timeout": 5}
    text = _config()
    assert text.startswith('# my settings\nmux = "tmux"  # keep me\n')
    assert '[[host]]\nname = "box"\ntransport = "ssh -T box"\ntimeout = 5\n' in text
    assert [n for n in os.listdir(os.path.dirname(config_path())) if n.endswith(".tmp")] == []
    axi("hosts", "add", "ctr", "--transport", "docker exec -i ctr", "--axi", "/opt/axi")
    assert axi("hosts", "remove", "box").code == 0
    text = _config()
    assert 'name = "box"' not in text and 'name = "ctr"' in text and "# keep me" in text
    assert axi("hosts", "remove", "ctr").code == 0
    assert "[[host]]" not in _config()


def test_a_config_that_does_not_parse_is_never_rewritten(axi, home):
    os.makedirs(os.path.dirname(config_path()), exist_ok=True)
    broken = "mux = \n[[host]\n"
    with open(config_path(), "w", encoding="utf-8") as fh:
        fh.write(broken)
    result = axi("hosts", "add", "box", "--transport", "ssh -T box")
    assert result.code == 1
    assert result.data["code"] == "CONFIG_INVALID"
    assert "not valid TOML" in result.data["error"]
    assert "it was not changed" in result.data["help"][0]
    assert _config() == broken


@pytest.mark.parametrize(("args", "words"), [
    (["all", "--transport", "ssh -T all"], "cannot name a host"),
    (["a b", "--transport", "ssh"], "cannot name a host"),
    (["box", "--transport", "ssh 'unclosed"], "not a valid command line"),
    (["box", "--transport", ""], "--transport is empty"),
    (["box", "--transport", "ssh -T box", "--timeout", "0"], "positive number"),
])
def test_bad_adds_are_usage_errors(axi, home, args, words):
    result = axi("hosts", "add", *args)
    assert result.code == 2
    assert words in result.data["error"]
    assert not os.path.exists(config_path())


def test_adding_a_name_twice_and_removing_an_unknown_host(axi, home):
    axi("hosts", "add", "box", "--transport", "ssh -T box")
    again = axi("hosts", "add", "box", "--transport", "ssh -T other")
    assert (again.code, again.data["code"]) == (1, "HOST_EXISTS")
    gone = axi("hosts", "remove", "nope")
    assert (gone.code, gone.data["code"]) == (1, "UNKNOWN_HOST")
    assert "hosts: box" in gone.data["error"]


@pytest.mark.parametrize(("config", "problem"), [
    ({"host": [{"name": "box"}]}, "[[host]] box has no transport"),
    ({"host": [{"transport": "ssh"}]}, "[[host]] #1 has no name"),
    ({"host": [{"name": "box", "transport": 7}]}, "box.transport of the wrong type"),
    ({"host": [{"name": "box", "transport": "ssh", "timeout": -1}]},
     "positive number of seconds"),
    ({"host": [{"name": "box", "transport": "ssh", "timeout": True}]},
     "positive number of seconds"),
    ({"host": [{"name": "box", "transport": "ssh", "port": 22}]}, "unknown key [[host]] box.port"),
    ({"host": [{"name": "local", "transport": "ssh"}]}, "cannot address a host"),
    ({"host": [{"name": "b", "transport": "ssh"}, {"name": "b", "transport": "ssh"}]},
     "two [[host]] blocks named b"),
    ({"host": {"name": "box"}}, "host of the wrong type"),
    ({"machine": {"name": 3}}, "machine.name of the wrong type"),
    ({"machine": {"nick": "x"}}, "unknown key machine.nick"),
])
def test_schema_checks_every_host_key(config, problem):
    assert problem in (check(config) or "")


def test_a_valid_host_block_passes():
    assert check({"machine": {"name": "laptop"}, "host": [
        {"name": "box", "transport": ["ssh", "-T", "box"], "attach_transport": "ssh -t box",
         "axi": "~/.local/bin/axi", "timeout": 2.5}]}) is None


def test_machine_name_defaults_to_the_short_hostname(home):
    from axi.remote.hosts import machine_name

    assert machine_name({}) == socket.gethostname().split(".")[0]
    assert machine_name({"machine": {"name": "laptop"}}) == "laptop"


def test_transport_words_are_argv_never_a_shell_string():
    from axi.remote.hosts import from_block
    from axi.remote.transport import request_argv

    host = from_block({"name": "box", "transport": "ssh -T 'my box'", "axi": "env X=1 axi"})
    argv = request_argv(host, ["sessions"])
    assert argv[:6] == ["ssh", "-T", "my box", "env", "X=1", "axi"]
    assert argv[6:8] == ["hosts", "serve"] and argv[-2:] == ["--format", "json"]
    assert "-A" not in argv and len(argv) == 11
