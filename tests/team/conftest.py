"""Team-mailbox fixtures: one PostgreSQL database shared by two "machines".

A machine is its own state folder (AXI_HOME) and its own database role (machine_a, machine_b,
both members of `axi_machine`, so row-level security binds them). An agent is made (and
approved) by the machine that acts as it, in a folder of its own. Nothing here is
parametrized over backends: these tests are about the team database only.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from mail_support import axi_proc, make_agent


@dataclass
class Machine:
    role: str
    url: str
    state: Path  # this machine's AXI_HOME
    root: Path  # where its agents' folders are
    monkeypatch: pytest.MonkeyPatch
    agents: dict[str, Path] = field(default_factory=dict)

    def env(self, folder: Path, **extra: str) -> dict[str, str]:
        """The environment of a process run on this machine, in `folder`."""
        env = dict(os.environ, AXI_HOME=str(self.state), AXI_MAILBOX_URL=self.url,
                   PWD=str(folder))
        env.pop("AXI_AGENT", None)
        env.update(extra)
        return env

    @contextlib.contextmanager
    def here(self):
        """This process acts as this machine for a while (library calls)."""
        with self.monkeypatch.context() as patch:
            patch.setenv("AXI_HOME", str(self.state))
            patch.setenv("AXI_MAILBOX_URL", self.url)
            yield

    def agent(self, name: str, approve: bool = True) -> Path:
        """A new identity made (and approved) by this machine, in a folder of its own."""
        with self.here():
            folder = make_agent(self.root / name, name, approve=approve)
        self.agents[name] = folder
        return folder

    def axi(self, name: str, *args: str, timeout: float = 60) -> tuple[int, object]:
        """A real `python -m axi` process on this machine, in agent `name`'s folder."""
        folder = self.agents[name]
        return axi_proc(*args, cwd=folder, env=self.env(folder), timeout=timeout)


@dataclass
class Team:
    server: object  # pg_support.Server
    database: str
    a: Machine
    b: Machine

    def connect(self, role: str | None = None):
        """A raw psycopg connection (autocommit) as `role`, or as the admin by default."""
        import psycopg

        return psycopg.connect(self.server.url(role or self.server.admin, self.database),
                               autocommit=True)

    def agent_id(self, name: str) -> int:
        with self.connect() as conn:
            return conn.execute("SELECT id FROM agents WHERE name = %s", (name,)).fetchone()[0]


@pytest.fixture
def team(pg_server, home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Team:
    """A new team database and two machines on it; this process is neither until told
    (`machine.here()`)."""
    monkeypatch.delenv("AXI_MAILBOX_URL", raising=False)
    database = pg_server.new_database()
    machines = []
    for letter in ("a", "b"):
        state = tmp_path / f"state_{letter}"
        root = home / f"machine_{letter}"
        state.mkdir()
        root.mkdir()
        machines.append(Machine(f"machine_{letter}", pg_server.url(f"machine_{letter}", database),
                                state, root, monkeypatch))
    return Team(pg_server, database, *machines)
