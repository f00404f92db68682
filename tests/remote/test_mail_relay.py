"""Mail across machines: `@name@host`, queued here until `axi hosts sync` hands it over, and
the host's mail to `@name@<this machine>` fetched back. Two real mailboxes (two AXI_HOMEs), the
transport a real process (plain argv, and a real sshd), killed mid-sync: nothing lost, nothing
doubled."""

from __future__ import annotations

import contextlib
import json
import os
import random
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hostkit import SH_TRANSPORT, Remote, add_host, make_remote, name_this_machine
from mail_support import make_agent

from axi.errors import AxiError
from axi.mailbox import db, identity


def two_machines(axi, home: Path, tmp_path: Path, monkeypatch, transport: str = SH_TRANSPORT,
                 remote: Remote | None = None) -> Remote:
    """This machine (`laptop`, alice in ~/alice) and `box` (bob in its ~/bob), both approved."""
    remote = remote or make_remote(tmp_path / "box", ())
    add_host(axi, "box", transport, remote.axi, timeout=60)
    name_this_machine()
    make_agent(home / "alice", "alice")
    here = os.environ["AXI_HOME"]
    monkeypatch.setenv("AXI_HOME", str(remote.state))
    make_agent(remote.home / "bob", "bob")
    monkeypatch.setenv("AXI_HOME", here)
    monkeypatch.chdir(home / "alice")
    monkeypatch.setenv("PWD", str(home / "alice"))
    return remote


def on_box(remote: Remote, *args: str, folder: str = "bob") -> dict:
    """`axi <args>` run by bob on the other machine (its own HOME and AXI_HOME)."""
    cwd = remote.home / folder
    proc = subprocess.run([*shlex.split(remote.axi), *args, "--format", "json"], cwd=cwd,
                          capture_output=True, text=True, timeout=60,
                          env=dict(os.environ, PWD=str(cwd)))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return json.loads(proc.stdout)


def box_mail(remote: Remote) -> list[dict]:
    return on_box(remote, "inbox", "--limit", "100").get("messages", [])


def test_mail_goes_there_and_the_reply_comes_back(axi, home, tmp_path, monkeypatch):
    remote = two_machines(axi, home, tmp_path, monkeypatch)
    sent = axi("send", "@bob@box", "the build is green")
    assert sent.code == 0, sent.stdout
    assert sent.data["to"] == ["@bob@box"] and sent.data["queued"] == ["@bob@box"]
    assert box_mail(remote) == []  # nothing moves before a sync
    assert axi("mail", "view", str(sent.data["sent"])).data["to"] == ["@bob@box (queued)"]

    synced = axi("hosts", "sync")
    assert synced.code == 0, synced.stdout
    assert synced.data["hosts"] == [{"host": "box", "sent": 1, "received": 0, "refused": 0,
                                     "queued": 0, "status": "ok"}]
    assert axi("mail", "view", str(sent.data["sent"])).data["to"] == ["@bob@box (delivered)"]
    inbox = box_mail(remote)
    assert [(m["from"], m["text"]) for m in inbox] == [("@alice@laptop", "the build is green")]

    reply = on_box(remote, "send", "--reply", str(inbox[0]["id"]), "thanks, deploying")
    assert "sent" in reply, reply
    assert reply["to"] == ["@alice@laptop"] and reply["queued"] == ["@alice@laptop"]
    assert axi("hosts", "sync").data["hosts"][0]["received"] == 1
    got = axi("inbox").data["messages"]
    assert [(m["from"], m["text"]) for m in got] == [("@bob@box", "thanks, deploying")]
    mine = axi("mail", "view", str(got[0]["id"])).data
    assert mine["reply_to"] == sent.data["sent"] and mine["thread"] == sent.data["thread"]
    again = axi("hosts", "sync").data["hosts"][0]
    assert (again["sent"], again["received"], again["queued"]) == (0, 0, 0)
    assert len(axi("inbox").data["messages"]) == 1  # a second sync fetched nothing twice


def test_unknown_machines_and_agents_are_clear_errors(axi, home, tmp_path, monkeypatch,
                                                      snapshot):
    remote = two_machines(axi, home, tmp_path, monkeypatch)
    nowhere = axi("send", "@bob@nowhere", "hello")
    assert nowhere.code == 1 and nowhere.data["code"] == "UNKNOWN_HOST"
    axi("send", "@carol@box", "is anyone there")
    synced = axi("hosts", "sync")
    assert synced.code == 0
    assert synced.data["hosts"][0]["refused"] == 1
    assert axi("mail", "view", "1").data["to"] == ["@carol@box (refused)"]
    assert box_mail(remote) == []
    assert {"send": nowhere.data, "sync": synced.data} == snapshot


def test_an_offline_host_keeps_the_mail_queued(axi, home, tmp_path, monkeypatch, snapshot):
    two_machines(axi, home, tmp_path, monkeypatch,
                 transport="sh -c 'echo ssh: connect to host box port 22: refused >&2; exit 255'")
    axi("send", "@bob@box", "are you there")
    synced = axi("hosts", "sync")
    assert synced.code == 1 and synced.data["code"] == "SYNC_FAILED"
    assert synced.data["hosts"][0]["queued"] == 1
    assert {"exit": synced.code, "stdout": synced.data} == snapshot


KILLS = 20
EACH_WAY = 12


def test_a_transport_killed_mid_sync_loses_and_doubles_nothing(axi, home, tmp_path,
                                                               monkeypatch):
    pids = tmp_path / "transport.pids"
    # The transport records its pid, then becomes the remote axi: killing that pid kills the
    # far side wherever it is (reading the batch, inside its transaction, answering).
    transport = f"sh -c 'echo $$ >> {pids}; exec \"$@\"' sh"
    remote = two_machines(axi, home, tmp_path, monkeypatch, transport=transport)
    assert axi("hosts", "sync").code == 0  # box now knows this machine by name
    for i in range(EACH_WAY):
        assert axi("send", "@bob@box", f"to bob {i}").code == 0
        on_box(remote, "send", "@alice@laptop", f"to alice {i}")
    rng = random.Random(7)
    env = dict(os.environ)
    for _ in range(KILLS):
        seen = _pids(pids)
        proc = subprocess.Popen([sys.executable, "-m", "axi", "hosts", "sync"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
                                cwd=home / "alice")
        victim = _next_pid(pids, seen, proc)
        time.sleep(rng.uniform(0.0, 0.6))
        if victim is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(victim, signal.SIGKILL)
        proc.wait(timeout=120)
    for _ in range(3):  # then syncs nobody interrupts, until nothing is left
        last = axi("hosts", "sync")
        if last.code == 0 and last.data["hosts"][0]["queued"] == 0:
            break
    assert last.code == 0, last.stdout
    here = sorted(m["text"] for m in axi("inbox", "--limit", "100").data["messages"])
    there = sorted(m["text"] for m in box_mail(remote))
    assert here == sorted(f"to alice {i}" for i in range(EACH_WAY))
    assert there == sorted(f"to bob {i}" for i in range(EACH_WAY))
    assert len(_pids(pids)) >= KILLS  # the transport really ran that often


def _pids(path: Path) -> list[int]:
    try:
        return [int(x) for x in path.read_text().split()]
    except (OSError, ValueError):
        return []


def _next_pid(path: Path, seen: list[int], proc: subprocess.Popen) -> int | None:
    """The pid of the transport this sync starts (a sync may finish before starting one)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        now = _pids(path)
        if len(now) > len(seen):
            return now[len(seen)]
        if proc.poll() is not None:
            return None
        time.sleep(0.005)
    return None


def test_mail_over_a_real_sshd(axi, home, tmp_path, monkeypatch, sshd):
    remote = two_machines(axi, home, tmp_path, monkeypatch, transport=sshd.transport())
    axi("send", "@bob@box", "over ssh")
    assert axi("hosts", "sync").data["hosts"][0]["sent"] == 1
    inbox = box_mail(remote)
    assert [m["text"] for m in inbox] == ["over ssh"]
    on_box(remote, "send", "--reply", str(inbox[0]["id"]), "back over ssh")
    assert axi("hosts", "sync").data["hosts"][0]["received"] == 1
    assert [m["text"] for m in axi("inbox").data["messages"]] == ["back over ssh"]


def test_nobody_acts_as_an_agent_of_another_machine(axi, home, tmp_path, monkeypatch):
    two_machines(axi, home, tmp_path, monkeypatch)
    axi("send", "@bob@box", "hello")
    refused = axi("inbox", "--as", "bob@box")
    assert refused.code == 2 and refused.data["code"] == "USAGE"  # not a name anyone here has
    conn = db.connect()
    row = identity.require(conn, "bob@box")
    assert identity.kind_of(row) == "remote" and row["machine"] == "box"
    with pytest.raises(AxiError) as caught:
        identity._check_folderless(row, "--as", None, None, False)
    assert caught.value.code == "REMOTE_IDENTITY"


def test_a_waiting_inbox_fetches_mail_from_the_hosts(axi, home, tmp_path, monkeypatch):
    remote = two_machines(axi, home, tmp_path, monkeypatch)
    assert axi("hosts", "sync").code == 0  # box now knows this machine
    (Path(os.environ["AXI_HOME"]) / "hosts-sync.mark").unlink(missing_ok=True)
    on_box(remote, "send", "@alice@laptop", "picked up while waiting")
    start = time.monotonic()
    got = axi("inbox", "--wait", "60")
    assert got.data["status"] == "mail", got.stdout
    assert [m["text"] for m in got.data["messages"]] == ["picked up while waiting"]
    assert time.monotonic() - start < 30  # the first heartbeat started the sync
