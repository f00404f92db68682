"""What `axi hosts` and `axi sessions --host all` print, decoded strictly (tests/support.py)."""

from __future__ import annotations

import json

from hostkit import SH_TRANSPORT, add_host, fake_axi, make_remote, name_this_machine


def _hosts(axi, tmp_path):
    box = make_remote(tmp_path / "box", ("claude", "pi"))
    add_host(axi, "box", SH_TRANSPORT, box.axi, timeout=20)
    add_host(axi, "gone", "sh -c 'echo ssh: connect to host gone port 22: refused >&2; exit 255'")
    add_host(axi, "bare", SH_TRANSPORT, "/nonexistent/axi")
    add_host(axi, "older", SH_TRANSPORT, fake_axi(tmp_path, json.dumps({"protocol": 0})))
    name_this_machine()


def _scrub(data):
    for row in data.get("hosts", []):
        if isinstance(row, dict) and "latency" in row:
            row["latency"] = "<ms>"
    return data


def test_hosts_list(axi, home, tmp_path, snapshot):
    _hosts(axi, tmp_path)
    result = axi("hosts")
    assert result.code == 0
    assert {"exit": result.code, "stdout": _scrub(result.data)} == snapshot


def test_sessions_from_every_host(axi, corpus_home, tmp_path, snapshot):
    _hosts(axi, tmp_path)
    result = axi("sessions", "--all", "--host", "all", "--limit", "8")
    assert result.code == 0
    assert {"exit": result.code, "stdout": result.data} == snapshot


def test_a_routed_view(axi, home, tmp_path, snapshot):
    _hosts(axi, tmp_path)
    result = axi("sessions", "view", "box/01a20072-56c2")
    assert result.code == 0
    data = dict(result.data)
    data["transcript"] = "<remote path>"
    assert {"exit": result.code, "stdout": data} == snapshot


def test_search_on_every_host(axi, corpus_home, tmp_path, snapshot):
    _hosts(axi, tmp_path)
    result = axi("sessions", "search", "files", "--host", "all", "--limit", "6")
    assert result.code == 0
    assert {"exit": result.code, "stdout": result.data} == snapshot


def test_usage_on_every_host(axi, corpus_home, tmp_path, snapshot):
    _hosts(axi, tmp_path)
    result = axi("usage", "--days", "0", "--by", "harness", "--host", "all")
    assert result.code == 0
    assert {"exit": result.code, "stdout": result.data} == snapshot


def test_routing_errors_print(axi, home, tmp_path, snapshot):
    _hosts(axi, tmp_path)
    shown = {}
    for args in (("sessions", "kill", "mars/abc"), ("sessions", "type", "gone/abc", "hi"),
                 ("sessions", "wait", "box/abc", "def"), ("sessions", "attach", "box/abc"),
                 ("sessions", "result", "older/abc")):
        result = axi(*args)
        assert result.code == 1
        shown[" ".join(args)] = result.data
    assert shown == snapshot
