"""The mailbox's guarantees under real processes and real SQLite: concurrent senders, senders
killed mid-transaction, readers killed before they ack, and what a waiter sees."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from mail_support import axi_proc, make_agent

from axi.mailbox import db, identity, mail, store

SENDER = """
import sys
from axi.mailbox import db, identity, mail, store
conn = store.connect()
me = identity.require(conn, sys.argv[1])
print("ready", flush=True)
sys.stdin.readline()
for i in range(int(sys.argv[2])):
    mail.send(conn, me, mail.Outgoing(to=["r1", "r2"], body=f"{sys.argv[1]} {i}"))
"""

# Sends once normally, then blocks inside the second send's transaction, after the message row
# and the first delivery are written, until it is killed.
STUCK_SENDER = """
import sys, time
from axi.mailbox import db, identity, mail, store
conn = store.connect()
me = identity.require(conn, "s0")
mail.send(conn, me, mail.Outgoing(to=["r1", "r2"], body="whole"))
original = mail._insert_deliveries
def half_then_hang(conn, message_id, routes):
    original(conn, message_id, routes[:1])
    print("in-transaction", flush=True)
    time.sleep(60)
mail._insert_deliveries = half_then_hang
mail.send(conn, me, mail.Outgoing(to=["r1", "r2"], body="torn"))
"""


def child_env() -> dict:
    return dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2]))


@pytest.fixture
def senders(home: Path) -> int:
    for name in ("r1", "r2"):
        make_agent(home / name, name)
    for n in range(16):
        make_agent(home / f"s{n}", f"s{n}")
    return 16


def test_16_processes_x_200_sends_each_delivered_once_in_order(home, senders):
    per = 200
    procs = [subprocess.Popen([sys.executable, "-c", SENDER, f"s{n}", str(per)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                              env=child_env()) for n in range(senders)]
    for proc in procs:
        assert proc.stdout.readline().strip() == "ready"
    for proc in procs:  # start together
        proc.stdin.write("go\n")
        proc.stdin.flush()
    for proc in procs:
        assert proc.wait(timeout=300) == 0
    conn = store.connect()
    assert db.integrity(conn) == "ok"
    for recipient in ("r1", "r2"):
        rid = identity.require(conn, recipient)["id"]
        rows = conn.execute("SELECT m.id, m.body FROM deliveries d JOIN messages m "
                            "ON m.id = d.message WHERE d.recipient = ? ORDER BY m.id",
                            (rid,)).fetchall()
        bodies = [r["body"] for r in rows]
        assert len(bodies) == senders * per == len(set(bodies))
        for n in range(senders):
            mine = [int(b.split()[1]) for b in bodies if b.split()[0] == f"s{n}"]
            assert mine == list(range(per))  # each once, in the order sent
        assert mail.counts(conn, rid) == (senders * per, senders * per)


def test_sigkill_mid_transaction_50_times_leaves_no_partial_message(home):
    for name in ("r1", "r2", "s0"):
        make_agent(home / name, name)
    kills = 50
    for attempt in range(kills):
        proc = subprocess.Popen([sys.executable, "-c", STUCK_SENDER], stdout=subprocess.PIPE,
                                text=True, env=child_env())
        assert proc.stdout.readline().strip() == "in-transaction", attempt
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    conn = store.connect()
    assert db.integrity(conn) == "ok"
    assert conn.execute("SELECT count(*) FROM messages WHERE body = 'torn'").fetchone()[0] == 0
    assert conn.execute("SELECT count(*) FROM messages WHERE body = 'whole'").fetchone()[0] == kills
    per_message = conn.execute("SELECT count(*) FROM deliveries GROUP BY message").fetchall()
    assert {r[0] for r in per_message} == {2}
    orphans = conn.execute("SELECT count(*) FROM messages m WHERE NOT EXISTS "
                           "(SELECT 1 FROM deliveries d WHERE d.message = m.id)").fetchone()[0]
    assert orphans == 0
    code, data = axi_proc("inbox", "--unread", "--limit", "1", cwd=home / "r1")
    assert code == 0 and data["mail"] == f"{kills} unread of {kills}"


def test_reader_killed_before_ack_gets_the_message_again(home, tmp_path):
    alice = make_agent(home / "alice", "alice")
    make_agent(home / "bob", "bob")
    conn = store.connect()
    bob = identity.require(conn, "bob")
    sent = mail.send(conn, bob, mail.Outgoing(to=["alice"], body="do the thing"))
    marker = tmp_path / "received"
    hang = alice / "hang.sh"
    hang.write_text(f"#!/bin/sh\necho \"$AXI_MESSAGE_ID\" > {marker}\nsleep 60\n")
    hang.chmod(0o755)
    listener = subprocess.Popen([sys.executable, "-m", "axi", "listen", "--exec", str(hang),
                                 "--timeout", "60"], cwd=alice, stdout=subprocess.PIPE,
                                env=dict(child_env(), PWD=str(alice)), start_new_session=True)
    deadline = time.monotonic() + 30
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert marker.read_text().strip() == str(sent["id"])
    os.killpg(listener.pid, signal.SIGKILL)
    listener.wait(timeout=10)
    code, data = axi_proc("inbox", "--wait", "0", cwd=alice)
    assert code == 0 and data["status"] == "mail"
    assert [m["id"] for m in data["messages"]] == [sent["id"]]
    ok = alice / "ok.sh"
    ok.write_text("#!/bin/sh\necho \"done: $1\"\n")
    ok.chmod(0o755)
    code, data = axi_proc("listen", "--exec", str(ok), "--max", "1", "--timeout", "30",
                          cwd=alice)
    assert code == 0 and data["handled"] == 1 and data["log"][0]["id"] == sent["id"]
    code, data = axi_proc("inbox", "--unread", cwd=alice)
    assert data["inbox"] == "0 unread messages for @alice"


def test_wait_wakes_on_a_send_from_another_process(home):
    alice = make_agent(home / "alice", "alice")
    make_agent(home / "bob", "bob")
    waiter = subprocess.Popen([sys.executable, "-m", "axi", "inbox", "--wait", "30"],
                              cwd=alice, stdout=subprocess.PIPE, text=True,
                              env=dict(child_env(), PWD=str(alice)))
    conn = store.connect()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:  # until the waiter has marked itself listening
        if identity.require(conn, "alice")["listening_until"]:
            break
        time.sleep(0.05)
    bob = identity.require(conn, "bob")
    sent_at = time.monotonic()
    mail.send(conn, bob, mail.Outgoing(to=["alice"], body="wake up"))
    out, _ = waiter.communicate(timeout=20)
    assert time.monotonic() - sent_at < 5
    assert "status: mail" in out and "wake up" in out


@pytest.mark.sqlite_only
def test_schema_is_versioned_and_migrations_are_idempotent(home):
    first = store.connect()
    assert db.schema_version(first) == db.LATEST
    db.migrate(first)
    second = store.connect()
    assert db.schema_version(second) == db.LATEST
    assert oct(os.stat(db.mailbox_path()).st_mode & 0o777) == "0o600"


@pytest.mark.sqlite_only
def test_newer_schema_is_left_alone(home):
    make_agent(home / "alice", "alice")
    conn = store.connect()
    with db.write(conn):
        conn.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    code, data = axi_proc("agents", cwd=home)
    assert code == 1 and data["code"] == "MAILBOX_NEWER"
    assert db.schema_version(sqlite3.connect(db.mailbox_path())) == 99


@pytest.mark.sqlite_only
def test_unreadable_mailbox_is_reported_not_replaced(home):
    path = Path(db.mailbox_path())
    path.write_bytes(b"this is not a database" * 100)
    code, data = axi_proc("agents", cwd=home)
    assert code == 1 and data["code"] == "MAILBOX_UNREADABLE"
    assert path.read_bytes() == b"this is not a database" * 100
