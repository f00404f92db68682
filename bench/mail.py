"""Mailbox benchmark: send -> `axi inbox --wait` wake-up latency, and throughput of concurrent
writer processes, on the embedded SQLite file and on a PostgreSQL team mailbox, side by side.
Uses throw-away AXI_HOMEs and a throw-away server; touches nothing else.

    python bench/mail.py [--backend sqlite|postgres|both] [--rounds 30] [--writers 8]
                         [--per-writer 250] [--cli-per-writer 10]

SQLite: one machine, one AXI_HOME (AXI_MAILBOX_URL empty). PostgreSQL: a server started for
the run (tests/pg_support.py: Debian's binaries, a temporary data directory, 127.0.0.1),
durable (fsync and synchronous commit on, as a team would run it), stopped at the end. Two
"machines", each with its own AXI_HOME and its own database role (machine_a, machine_b, both
in `axi_machine`, so row-level security applies); every process points AXI_MAILBOX_URL at the
same database as its machine's role. Each agent is created and approved by the role that acts
as it (RLS binds `agents.role` to `current_user`).

Wake-up: a real `axi inbox --wait 30` process waits (on PostgreSQL as machine_a, LISTENing);
once it is listening, the benchmark sends one message through the library (on PostgreSQL from
an agent of machine_b: cross-machine) and times until the waiter's answer arrives on its
stdout (its first line; the rest comes in the same write).
Throughput: N writer processes (on PostgreSQL alternately machine_a and machine_b), each
sending M messages (one transaction each) through the library, started together (and, for
comparison, one such writer alone: writers that serialise cannot beat it); also N processes
running `axi send` as a command, which adds the cost of starting Python (and, on PostgreSQL,
of importing psycopg and connecting).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

WRITER = """
import sys
from axi.mailbox import identity, mail, store
conn = store.connect()
me = identity.require(conn, sys.argv[1])
print("ready", flush=True)
sys.stdin.readline()
for i in range(int(sys.argv[2])):
    mail.send(conn, me, mail.Outgoing(to=["sink"], body=f"{sys.argv[3]}:{sys.argv[1]} {i}"))
"""


class Mailbox:
    """One backend for the run: its machines (each an AXI_HOME and a mailbox URL, None for the
    embedded file), which machine each agent lives on, and library connections per machine."""

    def __init__(self, name: str, root: Path, urls: dict[str, str | None]):
        self.name, self.root, self.urls = name, root, urls
        self.machines = list(urls)
        self.place: dict[str, str] = {}
        self._conns: dict[str, object] = {}

    def home(self, machine: str) -> Path:
        return self.root / f"home-{machine}"

    def folder(self, agent: str) -> Path:
        return self.root / "agents" / agent

    def env(self, agent: str) -> dict:
        machine = self.place[agent]
        return dict(os.environ, AXI_HOME=str(self.home(machine)),
                    AXI_MAILBOX_URL=self.urls[machine] or "", PWD=str(self.folder(agent)),
                    PYTHONPATH=str(REPO))

    def conn(self, agent: str):
        """A library connection as the machine `agent` lives on."""
        machine = self.place[agent]
        if machine not in self._conns:
            from axi.mailbox import db, store

            url = self.urls[machine]
            if url is None:
                os.environ["AXI_HOME"] = str(self.home(machine))
                self._conns[machine] = db.connect()
            else:
                self._conns[machine] = store.connect_team(url)
        return self._conns[machine]

    def add(self, name: str, machine: str) -> None:
        """Create and approve agent `name` through the library, as `machine`."""
        from axi.mailbox import identity

        self.place[name] = machine
        folder = self.folder(name)
        folder.mkdir(parents=True, exist_ok=True)
        conn = self.conn(name)
        row, _ = identity.init(conn, name, str(folder))
        identity.approve(conn, name, identity.confirm_code(row))

    def close(self) -> None:
        for conn in self._conns.values():
            conn.close()
        self._conns.clear()


def setup(box: Mailbox, writers: int) -> None:
    """The waiter and the sink on the first machine, the sender on the last (another machine
    when there are two), the writers spread over all of them."""
    first, last = box.machines[0], box.machines[-1]
    box.add("waiter", first)
    box.add("sink", first)
    box.add("sender", last)
    for n in range(writers):
        box.add(f"w{n}", box.machines[n % len(box.machines)])


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return round(ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)], 1)


def wake_up(box: Mailbox, rounds: int) -> dict:
    from axi.mailbox import db, identity, mail

    sending, waiting = box.conn("sender"), box.conn("waiter")
    sender = identity.require(sending, "sender")
    latencies, exits = [], []
    for n in range(rounds):
        with db.write(waiting):  # only the waiter's machine may change its row (RLS)
            waiting.execute("UPDATE agents SET listening_until = NULL WHERE name = 'waiter'")
        waiter = subprocess.Popen([sys.executable, "-m", "axi", "inbox", "--wait", "30",
                                   "--after", str(n)], cwd=box.folder("waiter"),
                                  stdout=subprocess.PIPE, env=box.env("waiter"))
        try:
            while not identity.require(sending, "waiter")["listening_until"]:
                assert waiter.poll() is None, waiter.stdout.read()
                time.sleep(0.005)
            time.sleep(0.1)  # let it settle into its polling (or LISTENing) loop
            start = time.perf_counter()
            mail.send(sending, sender, mail.Outgoing(to=["waiter"], body=f"wake {n}"))
            first = waiter.stdout.readline()  # the answer is written in one piece
            latencies.append((time.perf_counter() - start) * 1000)
            out = first + waiter.stdout.read()
            waiter.wait()
            exits.append((time.perf_counter() - start) * 1000)
        finally:
            if waiter.poll() is None:
                waiter.kill()
                waiter.wait()
        assert b"status: mail" in out, out
    return {"p50_ms": round(statistics.median(latencies), 1),
            "p90_ms": percentile(latencies, 90), "p95_ms": percentile(latencies, 95),
            "max_ms": round(max(latencies), 1), "rounds": rounds,
            "exit_p50_ms": round(statistics.median(exits), 1)}


def idle_cpu(box: Mailbox, seconds: float = 5.0) -> float:
    """Share of one core an idle `inbox --wait` uses (start-up excluded; on PostgreSQL its
    server-side backend is not counted)."""
    def child_cpu() -> float:
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        return usage.ru_utime + usage.ru_stime

    before = child_cpu()
    _run_waiter(box, 0.0)
    short = child_cpu() - before
    before = child_cpu()
    _run_waiter(box, seconds)
    long_run = child_cpu() - before
    return round(100 * max(0.0, long_run - short) / seconds, 2)


def _run_waiter(box: Mailbox, seconds: float) -> None:
    subprocess.run([sys.executable, "-m", "axi", "inbox", "--wait", str(seconds), "--after",
                    "1000000"], cwd=box.folder("waiter"), env=box.env("waiter"),
                   capture_output=True, check=True, timeout=seconds + 60)


def _finish(procs: list[subprocess.Popen], timeout: float = 300) -> None:
    """Wait for every process (each started in a session of its own); if one fails or time
    runs out, kill what is left of each one's process group, children included."""
    try:
        for proc in procs:
            assert proc.wait(timeout=timeout) == 0, proc.args
    except BaseException:
        _kill(procs)
        raise


def _kill(procs: list[subprocess.Popen]) -> None:
    for proc in procs:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def library_throughput(box: Mailbox, writers: int, per: int, label: str) -> dict:
    names = [f"w{n}" for n in range(writers)]
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, name, str(per), label],
                              cwd=box.folder(name), stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True, env=box.env(name),
                              start_new_session=True)
             for name in names]
    try:
        for proc in procs:
            assert proc.stdout.readline().strip() == "ready"
    except BaseException:
        _kill(procs)
        raise
    start = time.perf_counter()
    for proc in procs:
        proc.stdin.write("go\n")
        proc.stdin.flush()
    _finish(procs)
    elapsed = time.perf_counter() - start
    return {"messages": writers * per, "seconds": round(elapsed, 2),
            "per_s": round(writers * per / elapsed),
            "lost_or_duplicated": _check(box, writers, per, label)}


def _check(box: Mailbox, writers: int, per: int, label: str) -> int:
    bodies = [r[0] for r in box.conn("sink").execute(
        "SELECT m.body FROM deliveries d JOIN messages m ON m.id = d.message "
        "JOIN agents a ON a.id = d.recipient WHERE a.name = 'sink' AND m.body LIKE ?",
        (f"{label}:%",))]
    expected = {f"{label}:w{n} {i}" for n in range(writers) for i in range(per)}
    return len(expected.symmetric_difference(bodies)) + len(bodies) - len(set(bodies))


def command_throughput(box: Mailbox, writers: int, per: int) -> dict:
    loop = (f"for i in $(seq {per}); do {sys.executable} -m axi send @sink \"cli $i\" "
            ">/dev/null || exit 1; done")
    start = time.perf_counter()
    procs = [subprocess.Popen(["sh", "-c", loop], cwd=box.folder(f"w{n}"), env=box.env(f"w{n}"),
                              start_new_session=True) for n in range(writers)]
    _finish(procs)
    elapsed = time.perf_counter() - start
    return {"messages": writers * per, "seconds": round(elapsed, 2),
            "per_s": round(writers * per / elapsed, 1)}


def measure(box: Mailbox, args: argparse.Namespace) -> dict:
    setup(box, args.writers)
    return {
        "load_before": round(os.getloadavg()[0], 2),
        "wake_up": wake_up(box, args.rounds),
        "idle_wait_cpu_percent": idle_cpu(box),
        # one writer alone: the rate one connection gets, the ceiling when writers serialise
        "library_one_writer": library_throughput(box, 1, args.per_writer, "one"),
        "library_writers": library_throughput(box, args.writers, args.per_writer, "all"),
        "command_writers": command_throughput(box, args.writers, args.cli_per_writer),
    }


def run_sqlite(root: Path, args: argparse.Namespace) -> dict:
    box = Mailbox("sqlite", root, {"local": None})
    try:
        return {"setup": "embedded file, one machine (one AXI_HOME)", **measure(box, args)}
    finally:
        box.close()


def run_postgres(root: Path, args: argparse.Namespace) -> dict:
    sys.path.insert(0, str(REPO / "tests"))
    import pg_support

    if pg_support.binaries() is None:
        raise SystemExit("PostgreSQL's binaries are not installed (Debian: postgresql)")
    server = pg_support.Server(durable=True)
    box = None
    try:
        server.prepare()
        database = server.new_database()
        box = Mailbox("postgres", root,
                      {role: server.url(role, database) for role in pg_support.MACHINES})
        results = measure(box, args)
        version = box.conn("waiter").execute("SHOW server_version").fetchone()[0]
        return {"setup": f"PostgreSQL {version.split()[0]} on 127.0.0.1, fsync and "
                         "synchronous_commit on; two machines (roles "
                         f"{', '.join(pg_support.MACHINES)}, one AXI_HOME each); the sender "
                         "and the waiter on different machines", **results}
    finally:
        if box is not None:
            box.close()
        server.destroy()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--per-writer", type=int, default=250)
    parser.add_argument("--cli-per-writer", type=int, default=10)
    args = parser.parse_args()
    backends = ("sqlite", "postgres") if args.backend == "both" else (args.backend,)
    os.environ.pop("AXI_NOW", None)
    os.environ.pop("AXI_AGENT", None)
    os.environ.pop("AXI_AGENT_TAG", None)
    sys.path.insert(0, str(REPO))
    results: dict = {}
    with tempfile.TemporaryDirectory(prefix="axi-mail-bench-") as tmp:
        os.environ["AXI_HOME"] = str(Path(tmp) / "bench-home")  # never the real state dir
        for backend in backends:
            run = run_sqlite if backend == "sqlite" else run_postgres
            results[backend] = run(Path(tmp) / backend, args)
    results.update(writers=args.writers, cpus=os.cpu_count(), load=os.getloadavg()[0])
    print_table(results, backends)
    print(json.dumps(results))


def print_table(r: dict, backends: tuple[str, ...]) -> None:
    def row(what: str, cell, target: str = "") -> None:
        print(f"| {what} | " + " | ".join(cell(r[b]) for b in backends) + f" | {target} |")

    rounds = r[backends[0]]["wake_up"]["rounds"]
    print("| what | " + " | ".join(backends) + " | target |")
    print("|---|" + "---|" * len(backends) + "---|")
    row(f"send -> `inbox --wait` answer on stdout ({rounds} rounds)",
        lambda b: (f"p50 {b['wake_up']['p50_ms']} ms, p90 {b['wake_up']['p90_ms']} ms, "
                   f"max {b['wake_up']['max_ms']} ms"), "p50 <= 100 ms")
    row("the same, until the waiting process has exited",
        lambda b: f"p50 {b['wake_up']['exit_p50_ms']} ms")
    row("idle `inbox --wait` CPU", lambda b: f"{b['idle_wait_cpu_percent']} % of one core")
    row(f"{r['writers']} writer processes, library sends",
        lambda b: (f"{b['library_writers']['per_s']:,} msg/s ({b['library_writers']['messages']}"
                   f" in {b['library_writers']['seconds']} s, "
                   f"{b['library_writers']['lost_or_duplicated']} lost or duplicated)"),
        ">= 300 msg/s (SQLite), >= 1,000 msg/s (PostgreSQL)")
    row("1 writer process alone, library sends",
        lambda b: (f"{b['library_one_writer']['per_s']:,} msg/s "
                   f"({b['library_one_writer']['messages']} in "
                   f"{b['library_one_writer']['seconds']} s)"))
    row(f"{r['writers']} processes running `axi send`",
        lambda b: (f"{b['command_writers']['per_s']} msg/s ({b['command_writers']['messages']}"
                   f" in {b['command_writers']['seconds']} s)"))
    row("load average when the backend's run began", lambda b: str(b["load_before"]))


if __name__ == "__main__":
    main()
