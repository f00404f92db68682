"""A real PostgreSQL server for the team-mailbox tests: Debian's binaries, a temporary data
directory, loopback TCP and a socket in that directory, stopped when the tests end.

initdb refuses to run as root, so as root the server runs as the `postgres` user (the Debian
package creates it). Two login roles, `machine_a` and `machine_b`, stand for two machines;
both are members of `axi_machine`, so row-level security binds them. The admin role (the
server's superuser) owns the schema. Each test gets a database copied from a template already
migrated, so it starts empty and at the latest schema.
"""

from __future__ import annotations

import glob
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

MACHINES = ("machine_a", "machine_b")
TEMPLATE = "axi_template"


def binaries() -> str | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    if found:
        return os.path.dirname(found[-1])
    pg_ctl = shutil.which("pg_ctl")
    return os.path.dirname(os.path.realpath(pg_ctl)) if pg_ctl else None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    def __init__(self, durable: bool = False):
        self.bin = binaries()
        if self.bin is None:
            raise RuntimeError("PostgreSQL's binaries are not installed (Debian: postgresql)")
        self.root = Path(tempfile.mkdtemp(prefix="axi-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        self.admin = "postgres" if os.geteuid() == 0 else os.environ.get("USER", "postgres")
        self.durable = durable
        self._names = itertools.count(1)
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
        os.chmod(self.root, 0o700)
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", self.admin,
                  "--no-sync", "-E", "UTF8", "--locale=C.UTF-8")
        self.start()

    def _run(self, tool: str, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        argv = [os.path.join(self.bin, tool), *args]
        if os.geteuid() == 0:
            argv = ["runuser", "-u", "postgres", "--", *argv]
        return subprocess.run(argv, capture_output=True, text=True, check=check, timeout=120)

    def start(self) -> None:
        options = (f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 "
                   "-c max_connections=200")
        if not self.durable:
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l",
                  str(self.root / "log"), "-w", "-t", "60", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop", check=False)

    def restart(self) -> None:
        self.stop("fast")
        self.start()

    def url(self, role: str, database: str) -> str:
        return f"postgresql://{role}@127.0.0.1:{self.port}/{database}"

    def sql(self, statement: str, database: str = "postgres") -> None:
        import psycopg

        with psycopg.connect(self.url(self.admin, database), autocommit=True) as conn:
            conn.execute(statement)

    def prepare(self) -> None:
        """The migrated template and the two machine roles."""
        from axi.mailbox import store

        self.sql(f"CREATE DATABASE {TEMPLATE}")
        store.connect_team(self.url(self.admin, TEMPLATE)).close()
        for role in MACHINES:
            self.sql(f"CREATE ROLE {role} LOGIN IN ROLE axi_machine")

    def new_database(self) -> str:
        name = f"t{os.getpid()}_{next(self._names)}"
        for attempt in range(20):
            try:
                self.sql(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE}")
                return name
            except Exception as exc:  # the template is busy for a moment after a copy
                if "being accessed" not in str(exc) or attempt == 19:
                    raise
                time.sleep(0.05)
        raise AssertionError("unreachable")

    def destroy(self) -> None:
        self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)
