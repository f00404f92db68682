"""Fixtures for the remote-host tests: the remote machine and a real sshd (the helpers are in
tests/remote/hostkit.py)."""

from __future__ import annotations

import getpass
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest
from hostkit import Remote, Sshd, find_sshd, free_port, make_remote


@pytest.fixture
def remote(tmp_path: Path) -> Remote:
    """The remote machine holding every recorded store."""
    return make_remote(tmp_path / "remote")


@pytest.fixture(scope="session")
def sshd(tmp_path_factory: pytest.TempPathFactory):
    """A real OpenSSH server on 127.0.0.1 (a free port), with a throwaway host key and an
    authorized key made here, letting in the current user only."""
    binary = find_sshd()
    if binary is None:
        pytest.skip("sshd is not installed (Debian: apt-get install -y openssh-server)")
    base = tmp_path_factory.mktemp("sshd")
    for name in ("host_key", "client_key"):
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(base / name)],
                       check=True)
    shutil.copy(base / "client_key.pub", base / "authorized_keys")
    port = free_port()
    user = getpass.getuser()
    config = base / "sshd_config"
    config.write_text("\n".join([
        f"Port {port}", "ListenAddress 127.0.0.1", f"HostKey {base / 'host_key'}",
        f"AuthorizedKeysFile {base / 'authorized_keys'}", f"PidFile {base / 'sshd.pid'}",
        f"AllowUsers {user}", "StrictModes no", "PasswordAuthentication no",
        "KbdInteractiveAuthentication no", "PubkeyAuthentication yes", "UsePAM no",
        "AllowAgentForwarding no", "AllowTcpForwarding no", "X11Forwarding no",
        "PermitRootLogin prohibit-password", "LogLevel ERROR", ""]), encoding="utf-8")
    if os.geteuid() == 0:
        os.makedirs("/run/sshd", mode=0o755, exist_ok=True)  # privilege separation
    proc = subprocess.Popen([binary, "-D", "-e", "-f", str(config)], stdout=subprocess.DEVNULL,
                            stderr=open(base / "sshd.log", "wb"))  # noqa: SIM115
    try:
        _wait_for(port, proc, base / "sshd.log")
        yield Sshd(port, base / "client_key", user)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _wait_for(port: int, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"sshd exited {proc.returncode}: {log.read_text(errors='replace')}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    pytest.fail("sshd did not listen within 10s")
