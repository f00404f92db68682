"""The same calls over a real OpenSSH server on 127.0.0.1: the user's own `ssh`, run as argv,
with nothing added to what they wrote."""

from __future__ import annotations

import shlex
import time

from hostkit import add_host


def test_check_over_ssh(axi, home, remote, sshd):
    add_host(axi, "box", sshd.transport(), remote.axi, timeout=30)
    result = axi("hosts", "check", "box")
    assert result.code == 0, result.stdout
    row = result.data["hosts"][0]
    assert row["status"] == "online", row
    assert row["version"] == "0.1.0" and row["sessions"] > 10
    ran = shlex.split(row["ran"])
    assert ran[:len(shlex.split(sshd.transport()))] == shlex.split(sshd.transport())
    assert "-A" not in ran and "-t" not in ran


def test_sessions_view_and_read_over_ssh(axi, home, remote, sshd):
    add_host(axi, "box", sshd.transport(), remote.axi, timeout=30)
    listed = axi("sessions", "--host", "box", "--limit", "50", "--format", "json")
    assert listed.code == 0, listed.stdout
    rows = listed.data["sessions"]
    assert len(rows) > 10 and {r["host"] for r in rows} == {"box"}
    assert {r["harness"] for r in rows} == {"claude", "codex", "opencode", "pi"}
    view = axi("sessions", "view", "box/ses_dff8e15f")
    assert view.code == 0, view.stdout
    assert view.data["harness"] == "opencode" and view.data["id"].startswith("box/ses_dff8e15f")
    read = axi("sessions", "read", "box/01a20071-2825", "--since", "0", "--limit", "4")
    assert read.code == 0, read.stdout
    assert len(read.data["turns"]) == 4


def test_ssh_refused_is_offline_within_the_timeout(axi, home, remote, sshd):
    from hostkit import free_port

    refused = sshd.transport().replace(f"-p {sshd.port}", f"-p {free_port()}")
    add_host(axi, "down", refused, remote.axi, timeout=10)
    start = time.monotonic()
    row = axi("hosts", "check", "down").data["hosts"][0]
    assert time.monotonic() - start < 10
    assert row["status"] == "offline"
    assert row["reason"].startswith("the transport exited 255: ssh: connect to host 127.0.0.1")
