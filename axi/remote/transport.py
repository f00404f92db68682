"""Run one call on a host: `<transport> <axi> hosts serve <request> --format json` as argv
(never through a local shell, never with a flag the user did not write), within the host's
timeout, and say what came back: online, offline, no axi or old axi, with the reason."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from dataclasses import dataclass, field

from axi.remote.hosts import Host
from axi.remote.protocol import PROTOCOL, UPGRADE, encode_request, parse_answer

ONLINE, OFFLINE, NO_AXI, OLD_AXI = "online", "offline", "no axi", "old axi"
STDERR_TAIL = 300
MAX_ANSWER = 64 * 1024 * 1024


@dataclass
class Reply:
    host: str
    status: str
    reason: str | None = None
    latency: float = 0.0
    answer: dict = field(default_factory=dict)
    help: list[str] = field(default_factory=list)
    argv: list[str] = field(default_factory=list)


def request_argv(host: Host, argv: list[str], stream: bool = False,
                 relay: dict | None = None) -> list[str]:
    return host.argv("hosts", "serve", encode_request(argv, stream, relay), "--format", "json")


def call(host: Host, argv: list[str], extra: float | None = 0.0, relay: dict | None = None,
         data: bytes | None = None) -> Reply:
    """Ask `host` to run `axi <argv>` (or the mail relay call `relay`, with `data` on its
    stdin); one round trip, at most `host.timeout` seconds, plus `extra` for a call that waits
    on purpose (`sessions wait --timeout`; None: no bound)."""
    full = request_argv(host, argv, relay=relay)
    timeout = None if extra is None else host.timeout + extra
    start = time.monotonic()
    try:
        code, out, err = _run(full, timeout, data)
    except FileNotFoundError:
        return Reply(host.name, OFFLINE, f"{full[0]} is not on PATH here", argv=full,
                     help=[f"install {full[0]}, or change the transport: `axi hosts remove "
                           f"{host.name}` then `axi hosts add {host.name} --transport ...`"])
    except subprocess.TimeoutExpired:
        return Reply(host.name, OFFLINE, f"no answer within {timeout:g}s",
                     time.monotonic() - start, argv=full,
                     help=[f"`axi hosts check {host.name}` tries again"])
    reply = classify(host, code, out, err)
    reply.latency, reply.argv = time.monotonic() - start, full
    return reply


def _run(argv: list[str], timeout: float | None, data: bytes | None = None
         ) -> tuple[int, bytes, bytes]:
    """Its own session, so a timeout ends the transport and whatever it started (a `sleep`
    holding the pipe open would otherwise keep us waiting), and nothing prompts on our tty."""
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL if data is None else subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)
    try:
        out, err = proc.communicate(data, timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(OSError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise
    return proc.returncode, out[:MAX_ANSWER], err


def classify(host: Host, code: int, out: bytes, err: bytes) -> Reply:
    answer = parse_answer(out)
    said = _tail(err)
    if answer is not None and "protocol" in answer:
        if answer["protocol"] == PROTOCOL:
            return Reply(host.name, ONLINE, answer=answer)
        return _other_protocol(host, answer)
    if answer is not None:
        # an axi from before `axi hosts serve`: it answers with a usage error
        return Reply(host.name, OLD_AXI, "its axi has no `axi hosts serve` (older than "
                     f"protocol {PROTOCOL})", answer=answer, help=[_upgrade_there(host)])
    if code in (126, 127) or "command not found" in said or "No such file" in said:
        return Reply(host.name, NO_AXI, said or f"exit {code}", help=[
            f"install axi on {host.name} ({UPGRADE.replace('upgrade', 'install')}), or give "
            f"its path: `axi hosts remove {host.name}` then `axi hosts add {host.name} "
            f"--transport ... --axi /path/to/axi`"])
    if code == 0:
        return Reply(host.name, OLD_AXI, "its axi answered without a protocol version",
                     help=[_upgrade_there(host)])
    reason = f"the transport exited {code}" + (f": {said}" if said else "")
    return Reply(host.name, OFFLINE, reason,
                 help=[f"`axi hosts check {host.name}` shows the command it ran"])


def _other_protocol(host: Host, answer: dict) -> Reply:
    theirs = answer["protocol"]
    version = answer.get("axi")
    reason = f"it speaks protocol {theirs}, this axi speaks {PROTOCOL}"
    if isinstance(theirs, int) and theirs > PROTOCOL:
        fix = f"upgrade axi here: `{UPGRADE}`"
    else:
        fix = _upgrade_there(host)
    return Reply(host.name, OLD_AXI, reason, answer={"axi": version}, help=[fix])


def _upgrade_there(host: Host) -> str:
    import shlex

    return f"upgrade axi on {host.name}: `{shlex.join([*host.transport, *UPGRADE.split()])}`"


def _tail(err: bytes) -> str:
    lines = [ln.strip() for ln in err.decode("utf-8", "replace").splitlines() if ln.strip()]
    return lines[-1][:STDERR_TAIL] if lines else ""
