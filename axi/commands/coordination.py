"""`axi handoff`, `axi listen` and `axi watch`: owned work, automatic replies, and waiting."""

from __future__ import annotations

import shlex
import shutil

import click

from axi import views
from axi.commands.caller import caller, reply_hint, warm_output
from axi.commands.mail_run import host_poller
from axi.commands.tree import AxiCommand, as_option
from axi.errors import AxiError, UsageFault
from axi.mailbox import coordination as coord
from axi.mailbox import identity, store
from axi.mailbox import tasks as ledger
from axi.mailbox.wait import HEARTBEAT, check_seconds, wait_for
from axi.output import warn
from axi.sqlite import sqlite3

REPLY_TEXT = 1500
MAX_ROUNDS = 20
LOG_SHOWN = 5


@click.command(cls=AxiCommand, examples=(
    'axi handoff @bob "review the auth change in PR 12" --intent review',
    'axi handoff @bob "make the tests pass; reply <promise>GREEN</promise>" --intent implement '
    '--loop --completion-promise GREEN --max-rounds 5',
    'axi handoff @ops "disk full on build host" --intent incident --no-wait'))
@click.argument("target", metavar="@AGENT")
@click.argument("text")
@click.option("--intent", type=click.Choice(list(ledger.INTENT_PRIORITY)), default="general",
              show_default=True, help="Sets priority: implement high, incident urgent, "
                                      "others medium.")
@click.option("--timeout", type=float, default=300.0, show_default=True, metavar="S",
              help="Seconds to wait for each reply (max 3600).")
@click.option("--no-wait", is_flag=True, help="Queue the task and message; do not wait.")
@click.option("--loop", is_flag=True, help="Re-ask until the completion promise appears.")
@click.option("--completion-promise", metavar="TEXT", help="With --loop: the text that ends it.")
@click.option("--max-rounds", type=int, default=5, show_default=True,
              help=f"With --loop: at most this many asks (max {MAX_ROUNDS}); then exit 1 "
                   "with code LOOP_EXHAUSTED.")
@as_option
def handoff(target: str, text: str, intent: str, timeout: float, no_wait: bool, loop: bool,
            completion_promise: str | None, max_rounds: int, as_name: str | None) -> dict:
    """Hand work to an agent: task, message, then its reply (or a clear status).

    Waits only when the target is listening (a wait, listen or watch running, or activity in the
    last 2 minutes); otherwise returns `status: queued_not_listening` at once. With --loop,
    rounds that end without the promise exit 1 with code LOOP_EXHAUSTED."""
    seconds = check_seconds(timeout, "--timeout")
    _check_loop(loop, completion_promise, max_rounds)
    conn, me = caller(as_name)
    name = identity.check_name(target)
    target_row = identity.addressable(conn, name) or identity.require(conn, name)
    task, sent = coord.start_handoff(conn, me, name, text, intent)
    data: dict = {"task": task["id"], "message": sent["id"], "to": f"@{name}",
                  "priority": task["priority"]}
    later = views.hint(views.command("watch", flags={"--thread": sent["thread"],
                                                     "--from": f"@{name}", "--timeout": 600}),
                       "waits for the reply later")
    if no_wait or not identity.is_listening(target_row):
        status = "queued" if no_wait else "queued_not_listening"
        return {"status": status, **data, "help": [later, _task_hint(task["id"])]}
    rounds = max_rounds if loop else 1
    warm_output()
    return _rounds(conn, me, target_row, text, sent, task, seconds, rounds,
                   completion_promise if loop else None, data, later)


def _check_loop(loop: bool, promise: str | None, max_rounds: int) -> None:
    if loop and not promise:
        raise UsageFault("--loop needs --completion-promise TEXT",
                         help=["example: --loop --completion-promise 'TESTS GREEN'"])
    if promise and not loop:
        raise UsageFault("--completion-promise only makes sense with --loop")
    if not 1 <= max_rounds <= MAX_ROUNDS:
        raise UsageFault(f"--max-rounds must be 1 to {MAX_ROUNDS}, not {max_rounds}")


def _rounds(conn: sqlite3.Connection, me: sqlite3.Row, target: sqlite3.Row, text: str,
            sent: dict, task: sqlite3.Row, seconds: float, rounds: int, promise: str | None,
            data: dict, later: str) -> dict:
    asked = sent["id"]
    reply = None
    for round_no in range(1, rounds + 1):
        reply = coord.await_reply(conn, me, sent["thread"], target["id"], asked, seconds)
        if reply is None:
            return _result("timeout", conn, task, round_no, None, data, [later])
        if promise is None:
            return _result("replied", conn, task, round_no, reply, data, [])
        if coord.promised(reply["body"], promise):
            return _result("completed", conn, task, round_no, reply, data, [])
        if round_no < rounds:
            asked = coord.ask_again(conn, me, target["name"], reply["id"], text, round_no + 1,
                                    rounds, task["id"])
    out = _result("max_rounds", conn, task, rounds, reply, data, [_task_hint(task["id"])])
    exhausted = AxiError(f"no reply contained the promise {promise!r} in {rounds} rounds",
                         code="LOOP_EXHAUSTED", help=out.pop("help"))
    exhausted.extra = out  # the whole result (task, message, last reply) beside the error
    raise exhausted


def _result(status: str, conn: sqlite3.Connection, task: sqlite3.Row, rounds: int,
            reply: sqlite3.Row | None, data: dict, hints: list[str]) -> dict:
    now = ledger.get(conn, task["id"])
    out = {"status": status, **data, "rounds": rounds, "task_status": now["status"]}
    if reply is not None:
        body, _ = views.truncate(reply["body"], REPLY_TEXT,
                                 hint=views.command("mail", "view", str(reply["id"])))
        out["reply"] = {"id": reply["id"], "from": f"@{reply['sender_name']}", "text": body}
        hints = hints + [reply_hint(reply["id"])]
    if hints:
        out["help"] = hints
    return out


def _task_hint(task_id: int) -> str:
    return views.hint(views.command("tasks", "view", str(task_id)), "shows the task")


@click.command(cls=AxiCommand, examples=(
    'axi listen --exec "./answer.sh" --max 20', 'axi listen --exec "python bot.py" --timeout 3600',
    "axi listen --echo --max 100"))
@click.option("--exec", "command_line", metavar="CMD",
              help="Run for each new message. Its text comes on stdin and in AXI_MESSAGE, never "
                   "as an argument; also AXI_MESSAGE_ID, AXI_FROM, AXI_THREAD, AXI_TASK, "
                   "AXI_AGENT. Its stdout is the reply, except lines starting `axi-progress:`: "
                   "progress the sender sees while it works.")
@click.option("--echo", is_flag=True,
              help="Run the built-in @echo instead: it answers every mail to @echo with what it "
                   "received (to test the whole path).")
@click.option("--max", "max_messages", type=int, default=10, show_default=True,
              help="Stop after handling this many messages.")
@click.option("--timeout", type=float, default=600.0, show_default=True, metavar="S",
              help="Stop after S seconds (max 3600).")
@click.option("--handler-timeout", type=float, default=300.0, show_default=True, metavar="S",
              help="Kill CMD after S seconds (the sender gets a failure reply).")
@as_option
def listen(command_line: str | None, echo: bool, max_messages: int, timeout: float,
           handler_timeout: float, as_name: str | None) -> dict:
    """Answer each new message with CMD's stdout, then ack it. Lines CMD prints starting
    with `axi-progress:` are progress the sender sees, not the reply.

    Never answers automatic replies (its own or another listener's), so two listeners cannot
    loop. A failing CMD gets the sender a failure reply and listening goes on. With --echo it
    runs the built-in @echo identity (no folder, no CMD)."""
    seconds = check_seconds(timeout, "--timeout")
    limit = check_seconds(handler_timeout, "--handler-timeout")
    if not 1 <= max_messages <= 1000:
        raise UsageFault(f"--max must be 1 to 1000, not {max_messages}")
    log = lambda e: warn(f"listen: {e['id']} from {e['from']}: {e['result']}")  # noqa: E731
    if echo:
        if command_line or as_name:
            raise UsageFault("--echo runs the built-in @echo: give no --exec and no --as",
                             help=["example: axi listen --echo --timeout 600"])
        conn = store.connect()
        me = identity.echo_identity(conn)
        identity.touch(conn, me["id"], HEARTBEAT * 3)
        result = coord.listen(conn, me, None, max_messages, seconds, limit or 1.0, log=log,
                              handle=coord.echo, tick=host_poller())
        return {"agent": "@echo", **_trim_log(result)}
    if not command_line:
        raise UsageFault("listen needs --exec CMD (or --echo)",
                         help=['example: axi listen --exec "./answer.sh"',
                               "axi listen --echo runs the built-in @echo"])
    argv = _handler_argv(command_line)
    conn, me = caller(as_name, HEARTBEAT * 3)
    result = coord.listen(conn, me, argv, max_messages, seconds, limit or 1.0, log=log,
                          tick=host_poller())
    return _trim_log(result)


def _trim_log(result: dict) -> dict:
    """Show the last LOG_SHOWN handled messages; name the ones cut, so `handled` adds up."""
    log = result.pop("log")
    if log:
        result["log"] = log[-LOG_SHOWN:]
    cut = log[:-LOG_SHOWN]
    if cut:
        ids = ", ".join(str(e["id"]) for e in cut[:10]) + (", …" if len(cut) > 10 else "")
        result["left_out"] = (f"{len(cut)} earlier (messages {ids}; stderr logged each, "
                              "`axi mail view <id>` shows one)")
    return result


def _handler_argv(command_line: str) -> list[str]:
    try:
        argv = shlex.split(command_line)
    except ValueError as exc:
        raise UsageFault(f"--exec is not a valid command line: {exc}") from None
    if not argv:
        raise UsageFault("--exec is empty", help=['example: --exec "./answer.sh"'])
    if shutil.which(argv[0]) is None:
        raise UsageFault(f"--exec: {argv[0]} is not an executable on PATH",
                         help=["give a path such as ./answer.sh, or install it"])
    return argv


@click.command(cls=AxiCommand, examples=(
    "axi watch --timeout 300", 'axi watch --from @bob --contains pushed --timeout 600',
    "axi watch --thread 12"))
@click.option("--from", "sender", metavar="@AGENT", help="Only messages from this agent.")
@click.option("--contains", metavar="TEXT", help="Only messages containing TEXT (any case).")
@click.option("--mention", is_flag=True,
              help="Only messages to you (the default when no other filter is given).")
@click.option("--thread", type=int, metavar="ID", help="Only messages in this thread.")
@click.option("--after", type=int, metavar="ID",
              help="Consider messages above this id (default: only ones that arrive now).")
@click.option("--timeout", type=float, default=300.0, show_default=True, metavar="S",
              help="Give up after S seconds (max 3600).")
@as_option
def watch(sender: str | None, contains: str | None, mention: bool, thread: int | None,
          after: int | None, timeout: float, as_name: str | None) -> dict:
    """Block until a message you can see matches, or time out."""
    seconds = check_seconds(timeout, "--timeout")
    conn, me = caller(as_name, HEARTBEAT * 3)
    flt = coord.WatchFilter(contains=contains, thread=thread,
                            mention=mention or not (sender or contains or thread))
    if sender:
        flt.sender = identity.require(conn, identity.check_name(sender))["id"]
    start = coord.newest_id(conn) if after is None else after
    warm_output()
    found = wait_for(conn, lambda: coord.watch_match(conn, me["id"], start, flt), seconds or 0,
                     heartbeat=lambda: identity.touch(conn, me["id"], HEARTBEAT * 3))
    flags = {"--from": sender, "--contains": contains, "--mention": mention,
             "--thread": thread, "--timeout": f"{seconds:g}"}
    if found is None:
        return {"status": "timeout", "waited": f"{seconds:g}s",
                "help": [views.hint(views.command("watch", flags={**flags, "--after": start}),
                                    "waits again without missing anything")]}
    body, _ = views.truncate(found["body"], REPLY_TEXT,
                             hint=views.command("mail", "view", str(found["id"])))
    return {"status": "matched",
            "message": {"id": found["id"], "from": f"@{found['sender_name']}",
                        "thread": found["thread"], "age": views.age(found["created"]),
                        "text": body},
            "help": [views.hint(views.command("watch", flags={**flags, "--after": found["id"]}),
                                "waits for the next one"), reply_hint(found["id"])]}
