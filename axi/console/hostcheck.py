"""`axi doctor`'s check of each `[[host]]` in config.toml: the handshake `axi hosts check`
does (`axi.remote.transport.call` with no command: the remote's protocol, axi version and
session count), each within its host's timeout, every host at once and beside the other
checks. `ok` online; `warn` offline, no axi or an old axi, with the command that fixes or
explains it.

Read-only: the hosts' cache in the state dir (`hosts/<name>.json`) is neither written nor
read. A detail names the host, never its transport or what the transport printed (they may
hold an address or a secret): `axi hosts check NAME` shows those. With no `[[host]]` in the
config there is no row, and `axi.remote` is not imported."""

from __future__ import annotations

from collections.abc import Callable

from axi.console.checks import Check


def start() -> Callable[[], list[Check]]:
    """Ask every configured host now, in the background; the returned call waits for the
    answers (each host's timeout at most) and gives one row per host, in config order."""
    blocks = _blocks()
    if not blocks:
        return lambda: []
    from concurrent.futures import ThreadPoolExecutor

    from axi.remote.hosts import configured
    from axi.remote.transport import call

    hosts = configured({"host": blocks})
    pool = ThreadPoolExecutor(max_workers=len(hosts), thread_name_prefix="doctor-host")
    asked = [pool.submit(call, host, []) for host in hosts]
    pool.shutdown(wait=False)
    return lambda: [_row(host, future.result()) for host, future in zip(hosts, asked,
                                                                        strict=True)]


def _blocks() -> list[dict]:
    """The `[[host]]` blocks of a config that loads (a broken one is the config row's)."""
    import os

    from axi.paths import config_path

    if not os.path.exists(config_path()):
        return []
    from axi.control.config import load
    from axi.errors import AxiError

    try:
        blocks = load().get("host")
    except AxiError:
        return []
    return blocks if isinstance(blocks, list) else []


def _row(host, reply) -> Check:
    from axi import __version__
    from axi.remote.protocol import UPGRADE
    from axi.remote.transport import NO_AXI, OFFLINE, ONLINE

    name = f"host {host.name}"
    version = reply.answer.get("axi")
    if reply.status == ONLINE:
        sessions = reply.answer.get("sessions")
        parts = [f"online: axi {version}", f"protocol {reply.answer.get('protocol')}"]
        if isinstance(sessions, int):
            parts.append(f"{sessions} sessions")
        if version != __version__:
            parts.append(f"this one is axi {__version__}")
        return Check(name, "ok", ", ".join(parts) + f"; answered in "
                     f"{reply.latency * 1000:.0f} ms")
    check = f"axi hosts check {host.name}"
    if reply.status == OFFLINE:
        reason = reply.reason or "no answer"
        if reason.startswith("the transport exited"):
            reason = reason.split(":", 1)[0]  # what it printed stays out (`axi hosts check`)
        return Check(name, "warn", f"offline: {reason}", fix=check)
    if reply.status == NO_AXI:
        return Check(name, "warn", "no axi there: the transport ran, axi did not",
                     fix=reply.help[0] if reply.help else check)
    theirs = f" (axi {version})" if version else ""
    if reply.help and reply.help[0].startswith("upgrade axi here"):  # theirs is the newer
        return Check(name, "warn", f"newer axi there: {reply.reason}{theirs}",
                     fix=reply.help[0])
    return Check(name, "warn", f"old axi: {reply.reason}{theirs}",
                 fix=f"{UPGRADE}, run on {host.name} over its transport (`{check}` shows it)")
