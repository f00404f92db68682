"""Chaos on a team mailbox: eight writers on two machines send through real `axi send`
processes while two of them are SIGKILLed mid-run and the database server restarts.

Each writer is its own agent (w_a0..w_a3 on machine_a, w_b0..w_b3 on machine_b) and writes to
its peer on the other machine. It sends its messages one after another, each with its own
idempotency key, retrying a failed send with the same key until one exits 0; a send that exited
0 is acknowledged and recorded in the writer's file only then. While the server is down a send
may exit 0 with `queued` (it waits in the machine's outbox; the next mailbox command on that
machine sends it) or fail and be retried: either way, once every machine has run `axi inbox`,
every acknowledged send is in the database exactly once, with one delivery to its peer, and
nothing was stored twice.
"""

from __future__ import annotations

import collections
import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

PER_WRITER = 30  # sends
WRITERS = 4  # per machine
VICTIMS = ("w_a1", "w_b2")  # SIGKILLed mid-run
OUTAGE = 1.0  # seconds the server is down
DEADLINE = 75  # seconds a writer may take in all (it gives up after)

WRITER = r'''
import os, subprocess, sys, time

name, target, count, acks_path, errors_path, deadline = sys.argv[1:7]
deadline = time.monotonic() + float(deadline)
with open(acks_path, "a") as acks, open(errors_path, "a") as errors:
    for k in range(int(count)):
        key, body = f"{name}-{k}", f"chaos {name} {k}"
        tries = 0
        while True:
            tries += 1
            proc = subprocess.run([sys.executable, "-m", "axi", "send", "@" + target, body,
                                   "--idem", key], capture_output=True, text=True)
            if proc.returncode == 0:
                break
            code = next((line.split(":", 1)[1].strip() for line in proc.stdout.splitlines()
                         if line.startswith("code:")), None)
            if "Traceback" in proc.stdout + proc.stderr or code is None:
                code = "CRASH " + (proc.stdout + proc.stderr).strip()[-300:].replace("\n", " | ")
            errors.write(f"{key}\t{proc.returncode}\t{code}\n")
            errors.flush()
            if time.monotonic() > deadline:
                sys.exit(3)
            time.sleep(0.05)
        queued = any(line.startswith("queued") for line in proc.stdout.splitlines())
        acks.write(f"{key}\t{tries}\t{'queued' if queued else 'sent'}\n")
        acks.flush()
        os.fsync(acks.fileno())
'''


def _lines(path: Path) -> list[list[str]]:
    if not path.exists():
        return []
    return [line.split("\t") for line in path.read_text().splitlines() if line]


def _wait(condition, seconds: float, what: str) -> None:
    end = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > end:
            raise AssertionError(f"timed out after {seconds}s waiting for {what}")
        time.sleep(0.05)


def test_acknowledged_sends_survive_kills_and_a_server_restart(team, tmp_path):
    server = team.server
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    logs = tmp_path / "writers"
    logs.mkdir()
    machines = {"a": team.a, "b": team.b}
    names = [f"w_{m}{i}" for m in machines for i in range(WRITERS)]
    peer = {name: ("w_b" if name[2] == "a" else "w_a") + name[3:] for name in names}
    for name in names:
        machines[name[2]].agent(name)

    procs: dict[str, subprocess.Popen] = {}
    down = False
    try:
        for name in names:
            machine = machines[name[2]]
            folder = machine.agents[name]
            env = machine.env(folder)
            env.pop("AXI_NOW", None)  # real clocks: retries and queues may look at time
            procs[name] = subprocess.Popen(
                [sys.executable, str(script), name, peer[name], str(PER_WRITER),
                 str(logs / f"{name}.acks"), str(logs / f"{name}.errors"), str(DEADLINE)],
                cwd=folder, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                start_new_session=True)  # its own group: a kill takes its `axi send` too

        def acked(name: str) -> int:
            return len(_lines(logs / f"{name}.acks"))

        def total() -> int:
            return sum(acked(n) for n in names)

        _wait(lambda: all(acked(v) >= 3 for v in VICTIMS), 40, "the victims' first sends")
        for victim in VICTIMS:  # whatever it was doing: mid-send, mid-transaction, mid-write
            os.killpg(procs[victim].pid, signal.SIGKILL)
            procs[victim].wait(10)

        everyone = len(names) * PER_WRITER
        _wait(lambda: total() >= everyone * 0.45, 40, "half of the sends")
        server.stop("fast")
        down = True
        time.sleep(OUTAGE)
        server.start()
        down = False

        for name, proc in procs.items():
            if name not in VICTIMS:
                assert proc.wait(DEADLINE + 5) == 0, f"writer {name} gave up"
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(10)
        if down:
            server.start()  # the server is the session's: it must be up for the next test

    # Every machine's next mailbox command sends what its outbox holds (if it has one).
    for name in names:
        code, data = machines[name[2]].axi(name, "inbox")
        assert code == 0, (name, data)

    acks = {name: _lines(logs / f"{name}.acks") for name in names}
    errors = [(name, *row) for name in names for row in _lines(logs / f"{name}.errors")]
    crashes = [e for e in errors if e[3] != "MAILBOX_UNREACHABLE"]
    assert not crashes, f"sends failed other than by an unreachable server: {crashes[:5]}"

    with team.connect() as admin:
        messages = admin.execute(
            "SELECT m.id, a.name, m.idem, m.body FROM messages m "
            "JOIN agents a ON a.id = m.sender").fetchall()
        deliveries = admin.execute(
            "SELECT d.message, a.name FROM deliveries d "
            "JOIN agents a ON a.id = d.recipient").fetchall()

    stored = collections.Counter((name, idem) for _, name, idem, _ in messages)
    assert [key for key, n in stored.items() if n > 1] == []
    bodies = collections.Counter(body for *_, body in messages)
    assert [body for body, n in bodies.items() if n > 1] == []
    for _, name, idem, body in messages:
        assert idem is not None and idem.startswith(f"{name}-"), (name, idem)
        assert body == f"chaos {name} {idem.rsplit('-', 1)[1]}", (name, idem, body)

    for name in names:
        keys = [row[0] for row in acks[name]]
        assert len(keys) == len(set(keys)), f"{name} acknowledged a key twice"
        missing = [k for k in keys if stored[(name, k)] != 1]
        assert missing == [], f"{name}: acknowledged sends not in the mailbox: {missing}"
        # A writer sends in order: all it stored is what it acknowledged, and for a killed
        # writer perhaps the one send it was in the middle of.
        sent = sorted(int(idem.rsplit("-", 1)[1]) for _, who, idem, _ in messages if who == name)
        if name in VICTIMS:
            assert sent in (list(range(len(keys))), list(range(len(keys) + 1))), (name, sent)
            assert len(keys) < PER_WRITER, f"{name} finished before it was killed"
        else:
            assert len(keys) == PER_WRITER and sent == list(range(PER_WRITER)), (name, sent)

    per_message = collections.defaultdict(list)
    for message, recipient in deliveries:
        per_message[message].append(recipient)
    by_id = {m_id: name for m_id, name, _, _ in messages}
    assert set(per_message) == set(by_id)
    wrong = {m: r for m, r in per_message.items() if r != [peer[by_id[m]]]}
    assert wrong == {}, f"deliveries not one per message to the sender's peer: {wrong}"

    outage = sum(1 for e in errors if e[3] == "MAILBOX_UNREACHABLE")
    queued = sum(1 for rows in acks.values() for row in rows if row[2] == "queued")
    print(f"\nchaos: {len(messages)} messages, {outage} sends refused during the outage, "
          f"{queued} queued, killed {VICTIMS} after {[len(acks[v]) for v in VICTIMS]} acks")


@pytest.fixture(autouse=True)
def _server_is_up_after(pg_server):
    """Whatever the chaos test did, the session's server answers when it ends."""
    yield
    import psycopg

    with psycopg.connect(pg_server.url(pg_server.admin, "postgres"), connect_timeout=5) as conn:
        conn.execute("SELECT 1")
