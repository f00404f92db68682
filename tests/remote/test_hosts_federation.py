"""`axi sessions --host NAME|local|all`: parallel asks, merged rows, stale rows when a host
does not answer, and `host/id` routing for view and read."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
from hostkit import SH_TRANSPORT, add_host, make_remote, name_this_machine

from axi.paths import config_path


def _json(axi, *args):
    result = axi(*args, "--format", "json")
    assert result.code == 0, result.stdout
    return result.data


@pytest.fixture
def box(axi, corpus_home, tmp_path):
    """This machine holds every recorded store; host `box` holds the claude and pi ones."""
    remote = make_remote(tmp_path / "box", ("claude", "pi"))
    add_host(axi, "box", SH_TRANSPORT, remote.axi, timeout=20)
    name_this_machine()
    return remote


def test_all_merges_this_machine_and_the_host_newest_first(axi, box):
    data = _json(axi, "sessions", "--all", "--host", "all", "--limit", "100")
    rows = data["sessions"]
    hosts = {r["host"] for r in rows}
    assert hosts == {"laptop", "box"}
    remote_ids = [r["id"] for r in rows if r["host"] == "box"]
    assert remote_ids and all(i.startswith("box/") for i in remote_ids)
    assert all("/" not in r["id"] for r in rows if r["host"] == "laptop")
    ages = [r["age_seconds"] for r in rows]
    assert ages == sorted(ages)
    local = _json(axi, "sessions", "--all", "--limit", "100", "--host", "local")
    assert data["total"] == local["total"] + len(remote_ids)
    assert data["count"] == len(rows) and "hosts" not in data
    assert all("dir" in r for r in rows)


def test_each_host_alone(axi, box):
    only_box = _json(axi, "sessions", "--host", "box", "--limit", "100")["sessions"]
    assert {r["host"] for r in only_box} == {"box"}
    assert {r["harness"] for r in only_box} == {"claude", "pi"}
    only_here = _json(axi, "sessions", "--all", "--host", "local", "--limit", "100")
    assert {r["host"] for r in only_here["sessions"]} == {"laptop"}
    by_name = _json(axi, "sessions", "--all", "--host", "laptop", "--limit", "100")
    assert by_name["sessions"] == only_here["sessions"]
    unknown = axi("sessions", "--host", "nowhere")
    assert (unknown.code, unknown.data["code"]) == (1, "UNKNOWN_HOST")


def test_an_offline_host_shows_its_last_known_rows_marked_stale(axi, box):
    live = _json(axi, "sessions", "--host", "box", "--limit", "3")["sessions"]
    _set_transport("box", "sh -c 'echo no route to box >&2; exit 255'")
    _age_the_cache("box", 300)
    result = axi("sessions", "--host", "box", "--limit", "3")
    assert result.code == 0, result.stdout
    assert result.data["same"]["stale"] == "5m"
    assert [r["id"] for r in result.data["sessions"]] == [r["id"] for r in live]
    note = result.data["hosts"][0]
    assert note["status"] == "offline" and "no route to box" in note["reason"]
    assert note["rows"] == "last known, 5m old"
    assert any("axi hosts check box" in h for h in result.data["help"])


def test_an_offline_host_costs_its_timeout_once(axi, box):
    add_host(axi, "slow", "sh -c 'sleep 30'", timeout=1)
    start = time.monotonic()
    first = _json(axi, "sessions", "--all", "--host", "all")
    took = time.monotonic() - start
    assert 1 <= took < 4
    assert first["hosts"][0]["host"] == "slow"
    assert first["hosts"][0]["reason"] == "no answer within 1s"
    start = time.monotonic()
    again = _json(axi, "sessions", "--all", "--host", "all")
    assert time.monotonic() - start < 1
    assert again["hosts"][0]["status"] == "offline"  # not asked again a moment later
    assert {r["host"] for r in again["sessions"]} >= {"box"}


def test_hosts_are_asked_in_parallel(axi, box):
    for name in ("slow1", "slow2", "slow3"):
        add_host(axi, name, "sh -c 'sleep 30'", timeout=1)
    start = time.monotonic()
    data = _json(axi, "sessions", "--all", "--host", "all")
    assert time.monotonic() - start < 2.5
    assert [n["host"] for n in data["hosts"]] == ["slow1", "slow2", "slow3"]


def test_a_host_lists_its_own_sessions_only(axi, box):
    """A host with hosts of its own answers for itself: no chains, no loops."""
    os.makedirs(box.state, exist_ok=True)
    (box.state / "config.toml").write_text(
        '[[host]]\nname = "deeper"\ntransport = "sh -c \'sleep 30\'"\n', encoding="utf-8")
    start = time.monotonic()
    rows = _json(axi, "sessions", "--host", "box", "--limit", "100")["sessions"]
    assert time.monotonic() - start < 5
    assert {r["host"] for r in rows} == {"box"}


def test_view_and_read_route_by_host(axi, box):
    view = axi("sessions", "view", "box/d1c9ea04")
    assert view.code == 0, view.stdout
    assert view.data["id"] == "box/d1c9ea04-48cc-400c-bd6d-24a35bf2818b"
    assert view.data["host"] == "box" and view.data["age"] == "27m"
    assert "age_seconds" not in view.data
    assert all("box/d1c9ea04" in h for h in view.data["help"])
    assert any("axi sessions resume box/d1c9ea04" in h for h in view.data["help"])
    read = axi("sessions", "read", "--limit", "2", "box/d1c9ea04")
    assert read.code == 0, read.stdout
    assert read.data["session"].startswith("box/d1c9ea04") and len(read.data["turns"]) == 2
    local = axi("sessions", "view", "d1c9ea04")
    assert local.code == 0 and "host" not in local.data


def test_routing_errors_are_clear(axi, box):
    missing = axi("sessions", "view", "box/zzzzzzzz")
    assert (missing.code, missing.data["code"]) == (1, "NOT_FOUND")
    assert missing.data["error"].startswith("box: ")
    nowhere = axi("sessions", "read", "mars/abc")
    assert (nowhere.code, nowhere.data["code"]) == (1, "UNKNOWN_HOST")
    later = axi("sessions", "continue", "box/d1c9ea04", "go on")  # routed: box did not launch it
    assert later.code == 1 and later.data["error"].startswith("box: "), later.stdout
    _set_transport("box", "sh -c 'exit 255'")
    down = axi("sessions", "view", "box/d1c9ea04")
    assert (down.code, down.data["code"]) == (1, "HOST_OFFLINE")


def test_bare_axi_never_loads_the_remote_package(box):
    """The dashboard path never touches the network: axi.remote is not even imported."""
    code = ("import sys; from axi.cli import run; run([]); "
            "sys.stderr.write(repr(sorted(m for m in sys.modules if m.startswith("
            "('axi.remote', 'axi.commands.hosts')))))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=os.environ, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip().splitlines()[-1] == "[]"
    assert "sessions" in done.stdout  # it did show the dashboard


def _set_transport(name: str, transport: str) -> None:
    import tomlkit

    with open(config_path(), encoding="utf-8") as fh:
        doc = tomlkit.parse(fh.read())
    for block in doc["host"]:
        if block["name"] == name:
            block["transport"] = transport
    with open(config_path(), "w", encoding="utf-8") as fh:
        fh.write(doc.as_string())


def _age_the_cache(name: str, seconds: float) -> None:
    from axi.remote import cache

    entry = cache.read(name)
    entry["rows_at"] -= seconds
    cache.write(name, entry)


def test_plain_sessions_asks_the_hosts_too(axi, box):
    """The click-free path (`axi.commands.fast`) federates like click: `all` by default."""
    rows = _json(axi, "sessions", "--all", "--limit", "100")["sessions"]
    assert {r["host"] for r in rows} == {"laptop", "box"}
