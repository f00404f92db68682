"""Mailbox benchmark: send -> `axi inbox --wait` wake-up latency, and throughput of concurrent
writer processes. Uses a throw-away AXI_HOME; touches nothing else.

    python bench/mail.py [--rounds 30] [--writers 8] [--per-writer 250]

Wake-up: a real `axi inbox --wait 30` process waits; once it is polling, the benchmark sends
one message through the library and times until the waiter's answer arrives on its stdout
(its first line; the rest comes in the same write).
Throughput: N writer processes, each sending M messages (one transaction each) through the
library, started together; also N processes running `axi send` as a command, which adds the
cost of starting Python.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

WRITER = """
import sys
from axi.mailbox import db, identity, mail
conn = db.connect()
me = identity.require(conn, sys.argv[1])
print("ready", flush=True)
sys.stdin.readline()
for i in range(int(sys.argv[2])):
    mail.send(conn, me, mail.Outgoing(to=["sink"], body=f"{sys.argv[1]} {i}"))
"""


def setup(root: Path, names: list[str]) -> None:
    from axi.mailbox import db, identity

    conn = db.connect()
    for name in names:
        folder = root / name
        folder.mkdir(parents=True, exist_ok=True)
        row, _ = identity.init(conn, name, str(folder))
        identity.approve(conn, name, identity.confirm_code(row))


def env_for(folder: Path) -> dict:
    return dict(os.environ, PWD=str(folder), PYTHONPATH=str(REPO))


def wake_up(root: Path, rounds: int) -> dict:
    from axi.mailbox import db, identity, mail

    conn = db.connect()
    sender = identity.require(conn, "sender")
    latencies, exits = [], []
    for n in range(rounds):
        with db.write(conn):
            conn.execute("UPDATE agents SET listening_until = NULL WHERE name = 'waiter'")
        waiter = subprocess.Popen([sys.executable, "-m", "axi", "inbox", "--wait", "30",
                                   "--after", str(n)], cwd=root / "waiter",
                                  stdout=subprocess.PIPE, env=env_for(root / "waiter"))
        while not identity.require(conn, "waiter")["listening_until"]:
            time.sleep(0.005)
        time.sleep(0.1)  # let it settle into its polling loop
        start = time.perf_counter()
        mail.send(conn, sender, mail.Outgoing(to=["waiter"], body=f"wake {n}"))
        first = waiter.stdout.readline()  # the answer is written in one piece
        latencies.append((time.perf_counter() - start) * 1000)
        out = first + waiter.stdout.read()
        waiter.wait()
        exits.append((time.perf_counter() - start) * 1000)
        assert b"status: mail" in out, out
    return {"p50_ms": round(statistics.median(latencies), 1),
            "p95_ms": round(sorted(latencies)[int(len(latencies) * 0.95) - 1], 1),
            "max_ms": round(max(latencies), 1), "rounds": rounds,
            "exit_p50_ms": round(statistics.median(exits), 1)}


def idle_cpu(root: Path, seconds: float = 5.0) -> float:
    """Share of one core an idle `inbox --wait` uses (start-up excluded)."""
    def child_cpu() -> float:
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        return usage.ru_utime + usage.ru_stime

    before = child_cpu()
    _run_waiter(root, 0.0)
    short = child_cpu() - before
    before = child_cpu()
    _run_waiter(root, seconds)
    long_run = child_cpu() - before
    return round(100 * max(0.0, long_run - short) / seconds, 2)


def _run_waiter(root: Path, seconds: float) -> None:
    subprocess.run([sys.executable, "-m", "axi", "inbox", "--wait", str(seconds), "--after",
                    "1000000"], cwd=root / "waiter", env=env_for(root / "waiter"),
                   capture_output=True, check=True)


def library_throughput(root: Path, writers: int, per: int) -> dict:
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, f"w{n}", str(per)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                              env=env_for(root)) for n in range(writers)]
    for proc in procs:
        assert proc.stdout.readline().strip() == "ready"
    start = time.perf_counter()
    for proc in procs:
        proc.stdin.write("go\n")
        proc.stdin.flush()
    for proc in procs:
        assert proc.wait() == 0
    elapsed = time.perf_counter() - start
    return {"messages": writers * per, "seconds": round(elapsed, 2),
            "per_s": round(writers * per / elapsed), "lost_or_duplicated": _check(writers, per)}


def _check(writers: int, per: int) -> int:
    from axi.mailbox import db

    conn = db.connect()
    bodies = [r[0] for r in conn.execute(
        "SELECT m.body FROM deliveries d JOIN messages m ON m.id = d.message "
        "JOIN agents a ON a.id = d.recipient WHERE a.name = 'sink' AND m.body LIKE 'w%'")]
    expected = {f"w{n} {i}" for n in range(writers) for i in range(per)}
    return len(expected.symmetric_difference(bodies)) + len(bodies) - len(set(bodies))


def command_throughput(root: Path, writers: int, per: int) -> dict:
    loop = (f"for i in $(seq {per}); do {sys.executable} -m axi send @sink \"cli $i\" "
            ">/dev/null || exit 1; done")
    start = time.perf_counter()
    procs = [subprocess.Popen(["sh", "-c", loop], cwd=root / f"w{n}", env=env_for(root / f"w{n}"))
             for n in range(writers)]
    for proc in procs:
        assert proc.wait() == 0
    elapsed = time.perf_counter() - start
    return {"messages": writers * per, "seconds": round(elapsed, 2),
            "per_s": round(writers * per / elapsed, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--per-writer", type=int, default=250)
    parser.add_argument("--cli-per-writer", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="axi-mail-bench-") as tmp:
        root = Path(tmp)
        os.environ["AXI_HOME"] = str(root / "state")
        os.environ.pop("AXI_NOW", None)
        sys.path.insert(0, str(REPO))
        setup(root, ["sender", "waiter", "sink"] + [f"w{n}" for n in range(args.writers)])
        results = {
            "wake_up": wake_up(root, args.rounds),
            "idle_wait_cpu_percent": idle_cpu(root),
            "library_writers": library_throughput(root, args.writers, args.per_writer),
            "command_writers": command_throughput(root, args.writers, args.cli_per_writer),
            "writers": args.writers, "load": os.getloadavg()[0],
        }
    print_table(results)
    print(json.dumps(results))


def print_table(r: dict) -> None:
    lib, cli, wake = r["library_writers"], r["command_writers"], r["wake_up"]
    print("| what | result | target |\n|---|---|---|")
    print(f"| send -> `inbox --wait` wake-up ({wake['rounds']} rounds) | p50 {wake['p50_ms']} ms, "
          f"p95 {wake['p95_ms']} ms, max {wake['max_ms']} ms (process exited: p50 "
          f"{wake['exit_p50_ms']} ms) | p50 <= 100 ms |")
    print(f"| idle `inbox --wait` CPU | {r['idle_wait_cpu_percent']} % of one core | |")
    print(f"| {r['writers']} writer processes, library sends | {lib['per_s']} msg/s "
          f"({lib['messages']} in {lib['seconds']} s, {lib['lost_or_duplicated']} lost or "
          "duplicated) | >= 300 msg/s |")
    print(f"| {r['writers']} processes running `axi send` | {cli['per_s']} msg/s "
          f"({cli['messages']} in {cli['seconds']} s) | |")


if __name__ == "__main__":
    main()
