"""Handoff (task + targeted message + wait for the reply), listen (a handler per mention) and
watch (block until a matching message). No click here: the commands wrap these."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
from dataclasses import dataclass

from axi.errors import UsageFault
from axi.mailbox import identity, tasks
from axi.mailbox.db import write
from axi.mailbox.mail import MAX_BODY, MESSAGE_COLUMNS, Outgoing, post
from axi.mailbox.wait import HEARTBEAT, wait_for
from axi.sqlite import sqlite3
from axi.views import clock

MESSAGE_FROM = "messages m JOIN agents s ON s.id = m.sender"


# ---- handoff -------------------------------------------------------------------------------

def start_handoff(conn: sqlite3.Connection, me: sqlite3.Row, target: str, text: str,
                  intent: str) -> tuple[sqlite3.Row, dict]:
    """Create the task and send the targeted, ack-required message (one transaction)."""
    name = identity.check_name(target)
    if name == me["name"]:
        raise UsageFault("you cannot hand work off to yourself",
                         help=['create your own task: axi tasks create "title"'])
    body = f"@{name} [{intent}] {text}"
    task, sent = tasks.create(conn, me, text, name, tasks.INTENT_PRIORITY[intent], intent,
                              body=body, ack_required=True)
    return task, sent


def reply_in_thread(conn: sqlite3.Connection, thread: int, sender: int,
                    after: int) -> sqlite3.Row | None:
    return conn.execute(f"SELECT {MESSAGE_COLUMNS} FROM {MESSAGE_FROM} WHERE m.thread = ? "
                        "AND m.sender = ? AND m.id > ? ORDER BY m.id LIMIT 1",
                        (thread, sender, after)).fetchone()


def await_reply(conn: sqlite3.Connection, me: sqlite3.Row, thread: int, target_id: int,
                after: int, seconds: float) -> sqlite3.Row | None:
    reply = wait_for(conn, lambda: reply_in_thread(conn, thread, target_id, after), seconds,
                     heartbeat=lambda: identity.touch(conn, me["id"], HEARTBEAT * 3))
    if reply is not None:
        with write(conn):
            conn.execute("UPDATE deliveries SET read_at = coalesce(read_at, ?) "
                         "WHERE message = ? AND recipient = ?", (clock(), reply["id"], me["id"]))
    return reply


def ask_again(conn: sqlite3.Connection, me: sqlite3.Row, target: str, reply_id: int,
              text: str, round_no: int, rounds: int, task_id: int) -> int:
    body = f"@{target} [round {round_no}/{rounds}] {text}"
    with write(conn):
        sent = post(conn, me, Outgoing(to=[target], body=body, reply_to=reply_id,
                                       kind="handoff", task=task_id, ack_required=True))
    return sent["id"]


def promised(reply: str, promise: str) -> bool:
    return f"<promise>{promise}</promise>" in reply or promise in reply


# ---- listen --------------------------------------------------------------------------------

@dataclass
class Outcome:
    ok: bool
    reply: str | None
    detail: str
    route_mentions: bool = True  # False: @names in the reply's text deliver nothing


def echo(message: sqlite3.Row) -> Outcome:
    """The built-in echo's answer: what it received, whole. Mentions in it are not delivered
    again (an echo of "@carol look" must not mail carol)."""
    head = f"echo of #{message['id']} from @{message['sender_name']}:\n"
    body = message["body"]
    if len((head + body).encode()) > MAX_BODY:
        body = body.encode()[:MAX_BODY - len(head.encode()) - 64].decode("utf-8", "ignore")
        body += "\n… (cut)"
    return Outcome(True, head + body, "echoed", route_mentions=False)


def next_unhandled(conn: sqlite3.Connection, me: int) -> sqlite3.Row | None:
    """The oldest unread message to the caller that a person or agent (not a listener) wrote."""
    return conn.execute(
        f"SELECT {MESSAGE_COLUMNS} FROM deliveries d JOIN messages m ON m.id = d.message "
        "JOIN agents s ON s.id = m.sender WHERE d.recipient = ? AND d.read_at IS NULL "
        "AND m.sender != ? AND m.auto = 0 ORDER BY m.id LIMIT 1",
        (me, me)).fetchone()


HANDLER_ENV = ("AXI_MESSAGE", "AXI_MESSAGE_ID", "AXI_FROM", "AXI_THREAD", "AXI_TASK",
               "AXI_AGENT")


def handler_env(message: sqlite3.Row, me: sqlite3.Row) -> dict[str, str]:
    """What a handler learns about the message, beside its text on stdin (an environment
    value cannot hold NUL, so AXI_MESSAGE drops any; stdin has the exact text)."""
    values = (message["body"].replace("\0", ""), str(message["id"]), message["sender_name"],
              str(message["thread"]), str(message["task"] or ""), me["name"])
    return dict(os.environ, **dict(zip(HANDLER_ENV, values, strict=True)))


PROGRESS_PREFIX = "axi-progress:"  # a handler's stdout line that reports, not replies
PROGRESS_CHARS = 300


def run_handler(argv: list[str], message: sqlite3.Row, me: sqlite3.Row,
                timeout: float, on_progress=None) -> Outcome:
    """Run the handler with the text on stdin and in AXI_MESSAGE, never as an argument: a
    message such as `--output=FILE` must not become an option of the handler. Its stdout is
    the reply, except lines starting with PROGRESS_PREFIX: each goes to `on_progress` as it is
    printed (the sender's "working on it")."""
    try:
        proc = subprocess.Popen(argv, env=handler_env(message, me), stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                start_new_session=True)
    except OSError as exc:
        return Outcome(False, None, f"could not start: {exc}")
    out: list[bytes] = []
    err: list[bytes] = []
    readers = [threading.Thread(target=_read_lines, args=(proc.stdout, out, on_progress),
                                daemon=True),
               threading.Thread(target=_read_lines, args=(proc.stderr, err, None), daemon=True)]
    for reader in readers:
        reader.start()
    try:
        with contextlib.suppress(BrokenPipeError):
            proc.stdin.write(message["body"].encode("utf-8"))
        with contextlib.suppress(BrokenPipeError):
            proc.stdin.close()
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        return Outcome(False, None, f"timed out after {timeout:g}s")
    for reader in readers:
        reader.join(timeout=5)
    text = b"".join(out).decode("utf-8", "replace").strip()
    if proc.returncode != 0:
        tail = b"".join(err).decode("utf-8", "replace").strip()[-400:]
        return Outcome(False, None, f"exit {proc.returncode}" + (f": {tail}" if tail else ""))
    if len(text.encode()) > MAX_BODY:
        text = text.encode()[:MAX_BODY - 64].decode("utf-8", "ignore") + "\n… (cut)"
    return Outcome(True, text or None, "replied" if text else "no output")


def _read_lines(stream, kept: list[bytes], on_progress) -> None:
    """Keep a pipe's lines; hand progress lines to `on_progress` instead, as they come."""
    prefix = PROGRESS_PREFIX.encode()
    for line in iter(stream.readline, b""):
        if on_progress is not None and line.startswith(prefix):
            said = " ".join(line[len(prefix):].decode("utf-8", "replace").split())
            if said:
                with contextlib.suppress(Exception):  # a report must never stop the handler
                    on_progress(said[:PROGRESS_CHARS])
        elif sum(map(len, kept)) <= 4 * MAX_BODY:
            kept.append(line)


def record_progress(conn: sqlite3.Connection, me: sqlite3.Row, message: sqlite3.Row,
                    text: str) -> None:
    with write(conn):
        conn.execute("INSERT INTO progress (message, agent, at, text) VALUES (?, ?, ?, ?)",
                     (message["id"], me["id"], clock(), text))


def latest_progress(conn: sqlite3.Connection, message_id: int) -> list[sqlite3.Row]:
    """Each agent's last progress report on a message, newest first."""
    return conn.execute(
        "SELECT a.name, p.at, p.text FROM progress p JOIN agents a ON a.id = p.agent "
        "WHERE p.id IN (SELECT max(id) FROM progress WHERE message = ? GROUP BY agent) "
        "ORDER BY p.id DESC", (message_id,)).fetchall()


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except OSError:
        proc.kill()
    proc.wait()


def answer(conn: sqlite3.Connection, me: sqlite3.Row, message: sqlite3.Row,
           outcome: Outcome) -> int | None:
    """Post the reply (marked automatic, so no listener answers it) and ack the message, in one
    transaction: a crash before this point leaves the message unread, so it is handled again."""
    text = outcome.reply if outcome.ok else f"handler failed ({outcome.detail})"
    now = clock()
    with write(conn):
        reply_id = None
        sender = conn.execute("SELECT * FROM agents WHERE id = ?", (message["sender"],)
                              ).fetchone()
        if text and identity.kind_of(sender) != "service" and sender["state"] != "revoked":
            reply_id = post(conn, me, Outgoing(to=[message["sender_name"]], body=text,
                                               reply_to=message["id"], kind="reply",
                                               auto=True, task=message["task"],
                                               route_mentions=outcome.route_mentions))["id"]
        conn.execute("UPDATE deliveries SET read_at = coalesce(read_at, ?), "
                     "acked_at = coalesce(acked_at, ?) WHERE message = ? AND recipient = ?",
                     (now, now, message["id"], me["id"]))
    return reply_id


def listen(conn: sqlite3.Connection, me: sqlite3.Row, argv: list[str] | None,
           max_messages: int, seconds: float, handler_timeout: float, log=None,
           handle=None, tick=None) -> dict:
    """Answer each new message: with `handle(message) -> Outcome` when given (the echo), else
    by running `argv`. `tick` runs with each heartbeat while it waits (a sync with the
    machines mail may come from)."""
    deadline = time.monotonic() + seconds
    handled: list[dict] = []
    failed = 0
    own: list[sqlite3.Connection] = []

    def reporter() -> sqlite3.Connection:
        """Progress is written from the handler's reader thread: on a connection of its own."""
        if not own:
            from axi.mailbox import store

            own.append(store.connect())
        return own[0]

    while len(handled) < max_messages:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        message = wait_for(conn, lambda: next_unhandled(conn, me["id"]), left,
                           heartbeat=lambda: identity.touch(conn, me["id"], HEARTBEAT * 3)
                           or (tick and tick()))
        if message is None:
            break
        identity.touch(conn, me["id"], handler_timeout + HEARTBEAT)
        outcome = (handle(message) if handle is not None else run_handler(
            argv, message, me, handler_timeout,
            on_progress=lambda said, m=message: record_progress(reporter(), me, m, said)))
        reply_id = answer(conn, me, message, outcome)
        failed += not outcome.ok
        entry = {"id": message["id"], "from": f"@{message['sender_name']}",
                 "result": outcome.detail, "reply": reply_id}
        handled.append(entry)
        if log:
            log(entry)
    for extra in own:
        extra.close()
    status = "max_reached" if len(handled) >= max_messages else "timeout"
    return {"status": status, "handled": len(handled), "failed": failed, "log": handled}


# ---- watch ---------------------------------------------------------------------------------

@dataclass
class WatchFilter:
    sender: int | None = None
    contains: str | None = None
    mention: bool = False
    thread: int | None = None


def newest_id(conn: sqlite3.Connection) -> int:
    return conn.execute("SELECT coalesce(max(id), 0) FROM messages").fetchone()[0]


def watch_match(conn: sqlite3.Connection, me: int, after: int,
                flt: WatchFilter) -> sqlite3.Row | None:
    """The first message after `after` the caller can see that passes every filter."""
    seen_by_me = "EXISTS (SELECT 1 FROM deliveries d WHERE d.message = m.id AND d.recipient = ?)"
    where = ["m.id > ?", f"(m.sender = ? OR {seen_by_me})"]
    args: list = [after, me, me]
    if flt.mention:
        where.append(seen_by_me)
        args.append(me)
    if flt.sender is not None:
        where.append("m.sender = ?")
        args.append(flt.sender)
    if flt.contains:
        where.append("instr(lower(m.body), lower(?)) > 0")
        args.append(flt.contains)
    if flt.thread is not None:
        where.append("m.thread = ?")
        args.append(flt.thread)
    return conn.execute(f"SELECT {MESSAGE_COLUMNS} FROM {MESSAGE_FROM} WHERE "
                        f"{' AND '.join(where)} ORDER BY m.id LIMIT 1", args).fetchone()
