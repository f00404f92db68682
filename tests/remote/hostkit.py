"""Helpers for the remote-host tests: a second machine (its own HOME with the recorded
corpus stores, and AXI_HOME), reached through a plain argv transport or a real OpenSSH
server on 127.0.0.1."""

from __future__ import annotations

import os
import shlex
import shutil
import socket
import sys
from dataclasses import dataclass
from pathlib import Path

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
HARNESSES = ("claude", "codex", "opencode", "pi")
NOW = 1795305600  # tests/conftest.py's pinned clock: 2026-11-22T00:00:00Z

AXI_BIN = str(Path(sys.executable).with_name("axi"))
# Runs its arguments as argv: the non-ssh transport (what `docker exec -i ctr` would be).
SH_TRANSPORT = "sh -c 'exec \"$@\"' sh"


@dataclass
class Remote:
    home: Path
    state: Path

    @property
    def axi(self) -> str:
        """The remote axi: this venv's, with the remote machine's environment."""
        return shlex.join(["env", f"HOME={self.home}", f"AXI_HOME={self.state}",
                           f"AXI_NOW={NOW}", AXI_BIN])


def make_remote(base: Path, harnesses=HARNESSES) -> Remote:
    home, state = base / "home", base / "state"
    home.mkdir(parents=True)
    for harness in harnesses:
        shutil.copytree(CORPUS / harness / "home", home, dirs_exist_ok=True)
    return Remote(home, state)


def fake_axi(folder: Path, answer: str, code: int = 0) -> str:
    """A remote `axi` that prints `answer` whatever it is asked (an old or foreign axi)."""
    path = folder / "fake-axi"
    path.write_text(f"#!/bin/sh\nprintf '%s\\n' {shlex.quote(answer)}\nexit {code}\n",
                    encoding="utf-8")
    path.chmod(0o755)
    return str(path)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def find_sshd() -> str | None:
    return shutil.which("sshd") or next(
        (p for p in ("/usr/sbin/sshd", "/usr/local/sbin/sshd") if os.path.exists(p)), None)


@dataclass
class Sshd:
    port: int
    key: Path
    user: str

    def transport(self) -> str:
        """What a user would write: their own ssh, with their own options."""
        return shlex.join(["ssh", "-T", "-F", "/dev/null", "-p", str(self.port),
                           "-i", str(self.key), "-o", "StrictHostKeyChecking=no",
                           "-o", "UserKnownHostsFile=/dev/null", "-o", "BatchMode=yes",
                           "-o", "LogLevel=ERROR", f"{self.user}@127.0.0.1"])


def add_host(axi, name: str, transport: str, remote_axi: str | None = None,
             timeout: float | None = None):
    args = ["hosts", "add", name, "--transport", transport]
    if remote_axi:
        args += ["--axi", remote_axi]
    if timeout is not None:
        args += ["--timeout", str(timeout)]
    result = axi(*args)
    assert result.code == 0, result.stdout
    return result


def name_this_machine(name: str = "laptop") -> None:
    """`[machine] name` in this machine's config.toml (how addresses and host rows name it)."""
    from axi.paths import config_path

    with open(config_path(), "a", encoding="utf-8") as fh:
        fh.write(f'\n[machine]\nname = "{name}"\n')
