"""Mail across machines over the transport: `axi hosts sync` and what the far side answers.

This side holds the keys, so it does all the moving, and nothing on a host reaches back:
- push: mail queued here for agents on the host goes over in batches; the host stores each
  message once (by its global id) and answers which it took or refused; only then is it marked
  delivered here. A push killed in flight is sent again and recognised there.
- pull: mail agents on the host wrote to `@name@<this machine>` waits in the host's mailbox;
  it comes back in batches, is stored here once (by global id), and only then acknowledged, so
  the host marks it delivered. A pull killed before the acknowledgement is fetched again and
  recognised here.
The payload travels on the transport's stdin as JSON; the request word names the step.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time

from axi.mailbox import db, mail, relay, store
from axi.paths import module_argv
from axi.remote.hosts import Host, load_hosts, machine_name
from axi.remote.transport import ONLINE, call

SYNC_EVERY = 30.0  # seconds between background syncs while `inbox --wait` or `listen` runs
MAX_ROUNDS = 1000  # batches per direction and sync: a bound, never reached in practice
STEPS = ("push", "pull", "ack")


# ---- this side ---------------------------------------------------------------------------

def sync(hosts: list[Host]) -> list[dict]:
    """Push and pull mail with each host, one after the other; a row per host."""
    here = machine_name()
    return [_sync_one(host, here) for host in hosts]


def _sync_one(host: Host, here: str) -> dict:
    row: dict = {"host": host.name, "sent": 0, "received": 0, "refused": 0}
    conn = store.connect()
    try:
        with db.write(conn):
            relay.met(conn, host.name)
        error = _push(conn, host, here, row) or _pull(conn, host, here, row)
    finally:
        row["queued"] = relay.pending(conn, host.name)
        conn.close()
    row["status"] = "ok" if error is None else "failed"
    if error is not None:
        row["error"] = error
    return row


def _push(conn, host: Host, here: str, row: dict) -> str | None:
    for _ in range(MAX_ROUNDS):
        with db.write(conn):
            batch = relay.outgoing(conn, host.name)
        if not batch:
            return None
        answer, error = _ask(host, "push", here, {"messages": batch})
        if error is not None:
            return error
        taken = [g for g in answer.get("accepted", []) if isinstance(g, str)]
        refused = {g: str(r) for g, r in (answer.get("refused") or {}).items()
                   if isinstance(g, str)}
        with db.write(conn):
            relay.settle(conn, host.name, taken, refused)
        row["sent"] += len(taken)
        row["refused"] += len(refused)
        if not taken and not refused:
            return "the host took none of the mail it was handed"
    return None


def _pull(conn, host: Host, here: str, row: dict) -> str | None:
    for _ in range(MAX_ROUNDS):
        answer, error = _ask(host, "pull", here, {})
        if error is not None:
            return error
        messages = [m for m in answer.get("messages", []) if isinstance(m, dict)]
        if not messages:
            return None
        with db.write(conn):
            accepted, refused, fresh = mail.receive_relayed(conn, host.name, messages)
        row["received"] += fresh
        row["refused"] += len(refused)
        answer, error = _ask(host, "ack", here, {"accepted": accepted, "refused": refused})
        if error is not None:
            return error
    return None


def _ask(host: Host, step: str, here: str, payload: dict) -> tuple[dict, str | None]:
    data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    reply = call(host, [], extra=max(30.0, len(data) / 1e6), relay={"step": step,
                                                                     "machine": here},
                 data=data)
    if reply.status != ONLINE:
        return {}, f"{reply.status}: {reply.reason}"
    answer = reply.answer
    if "error" in answer:
        error = answer["error"]
        said = error.get("error") if isinstance(error, dict) else error
        return {}, f"the host refused the {step}: {said}"
    result = answer.get("result")
    return (result if isinstance(result, dict) else {}), None


def due(state_file: str) -> bool:
    """Whether a background sync is due (at most one every SYNC_EVERY seconds)."""
    try:
        return time.time() - os.stat(state_file).st_mtime >= SYNC_EVERY
    except OSError:
        return True


def poll_hosts() -> None:
    """Start `axi hosts sync` in the background when hosts are configured and the last one is
    SYNC_EVERY seconds old: what `inbox --wait` and `listen` call while they wait."""
    from axi.paths import state_dir, write_atomic
    from axi.remote import maybe_configured

    if not maybe_configured():
        return
    mark = os.path.join(state_dir(), "hosts-sync.mark")
    if not due(mark):
        return
    write_atomic(mark, str(time.time()), durable=False)
    for pid in list(_SPAWNED):  # the last ones, reaped so a long `listen` leaves no zombies
        with contextlib.suppress(ChildProcessError):
            if os.waitpid(pid, os.WNOHANG)[0] == 0:
                continue
        _SPAWNED.remove(pid)
    argv = module_argv("axi", "hosts", "sync")
    quiet = [(os.POSIX_SPAWN_OPEN, fd, os.devnull, os.O_RDWR, 0) for fd in (0, 1, 2)]
    with contextlib.suppress(OSError):
        _SPAWNED.append(os.posix_spawn(sys.executable, argv, os.environ, file_actions=quiet,
                                       setsid=True))


_SPAWNED: list[int] = []


# ---- the far side ------------------------------------------------------------------------

def serve(asked: dict, data: bytes) -> dict:
    """Answer one relay step for the machine that called (`asked["relay"]`)."""
    step = asked["relay"].get("step") if isinstance(asked["relay"], dict) else None
    machine = asked["relay"].get("machine") if isinstance(asked["relay"], dict) else None
    if step not in STEPS or not isinstance(machine, str) or not machine:
        raise ValueError("not a relay step this axi serves")
    payload = json.loads(data.decode("utf-8") or "{}") if data else {}
    if not isinstance(payload, dict):
        raise ValueError("the relay payload is not a JSON object")
    conn = store.connect()
    try:
        with db.write(conn):
            relay.met(conn, machine)
            if step == "push":
                messages = payload.get("messages")
                accepted, refused, fresh = mail.receive_relayed(
                    conn, machine, messages if isinstance(messages, list) else [])
                return {"accepted": accepted, "refused": refused, "new": fresh}
            if step == "pull":
                return {"messages": _drop_ids(relay.outgoing(conn, machine))}
            taken = [g for g in payload.get("accepted") or [] if isinstance(g, str)]
            refused = payload.get("refused") if isinstance(payload.get("refused"), dict) else {}
            moved = relay.settle(conn, machine, taken, refused)
            return {"acked": moved, "repeated": len(taken) + len(refused) - moved}
    finally:
        conn.close()


def _drop_ids(batch: list[dict]) -> list[dict]:
    """Local integer ids mean nothing on the other machine."""
    return [{k: v for k, v in item.items() if k != "id"} for item in batch]


def configured_hosts(name: str | None) -> list[Host]:
    from axi.remote.hosts import find

    hosts = load_hosts()
    return [find(name, hosts)] if name else hosts
