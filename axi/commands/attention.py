"""`axi ask` and `axi reply`: a launched session asks its owner a question and blocks.

While a question is open the catalog shows the session as `needs you` and a follow stream
emits `waiting` (reason `ask`). An ask that gives up (timeout, interrupt, the session being
stopped) is withdrawn: it is closed with no answer, so nobody replies into the void.
"""

from __future__ import annotations

import os

import click

from axi import views
from axi.commands.tree import AxiCommand
from axi.errors import AxiError, NotFound, UsageFault

WAIT_ROUND = 600.0  # `wait_for` takes a bounded wait; an ask without --timeout waits in rounds


@click.command(cls=AxiCommand, examples=(
    'axi ask "ship it to staging or prod?"',
    'axi ask "which database?" --default sqlite --timeout 10m'))
@click.argument("question", nargs=-1, required=True)
@click.option("--default", "default", metavar="TEXT",
              help="The answer in an unattended session (AXI_UNATTENDED=1), at once.")
@click.option("--timeout", "timeout_text", metavar="DUR",
              help="Give up after DUR (90s, 30m); default: wait until answered.")
def ask(question: tuple[str, ...], default: str | None, timeout_text: str | None) -> dict:
    """Ask the session's owner; block until `axi reply` answers."""
    from axi.control import records

    text = " ".join(question).strip()
    if not text:
        raise UsageFault("ask needs a question", help=['example: axi ask "which branch?"'])
    seconds = views.parse_duration(timeout_text)
    launch_id = os.environ.get("AXI_SESSION_ID")
    if not launch_id:
        raise AxiError("`axi ask` works only inside a session axi launched (AXI_SESSION_ID is "
                       "not set)", code="NOT_IN_SESSION", help=[
                           views.hint(views.command("sessions", "new", "<harness>", "<task>"),
                                      "launches a session that can ask"),
                           views.hint(views.command("send", "@agent", "<text>"),
                                      "mails another agent instead")])
    if os.environ.get("AXI_UNATTENDED") == "1":
        if default is None:
            raise AxiError("this session runs unattended and the question has no --default",
                           code="UNATTENDED", question=text, help=[
                               "decide yourself, or ask again with --default TEXT"])
        return {"answer": default, "from": "default (unattended)"}
    conn = records.connect()
    if records.get(conn, launch_id) is None:
        raise NotFound(f"AXI_SESSION_ID {launch_id!r} names no session axi launched",
                       help=["run `axi ask` inside a session started by `axi sessions new`"])
    ask_id = records.ask(conn, launch_id, text, "question")
    answered = _await_answer(conn, ask_id, seconds)
    if answered is None:
        raise AxiError(f"no answer within {timeout_text}", code="TIMEOUT", question=text,
                       help=["decide yourself, or ask again with a longer --timeout"])
    if answered["answer"] is None:  # `reply` withdraws questions of sessions it finds gone
        raise AxiError("the question was withdrawn: this session looks stopped",
                       code="WITHDRAWN", question=text, help=["decide yourself"])
    return {"answer": answered["answer"]}


def _await_answer(conn, ask_id: int, seconds: float | None):
    """The answered ask, or None once `seconds` ran out (the ask is then withdrawn)."""
    import signal
    import sys
    import time

    from axi.control import records
    from axi.mailbox.wait import wait_for

    def answered():
        row = records.get_ask(conn, ask_id)
        return row if row is not None and row["answered"] is not None else None

    # Stopping the session sends SIGTERM/SIGHUP: unwind so the ask is withdrawn below.
    stops = (signal.SIGTERM, signal.SIGHUP)
    before = [signal.signal(sig, lambda signum, _frame: sys.exit(128 + signum)) for sig in stops]
    deadline = None if seconds is None else time.monotonic() + seconds
    found = None
    try:
        while found is None:
            left = WAIT_ROUND if deadline is None else deadline - time.monotonic()
            if left <= 0:
                break
            found = wait_for(conn, answered, min(left, WAIT_ROUND))
    except BaseException:
        records.answer(conn, ask_id, None)
        raise
    finally:
        for sig, handler in zip(stops, before, strict=True):
            signal.signal(sig, signal.SIG_DFL if handler is None else handler)
    if found is None and records.answer(conn, ask_id, None):
        return None  # withdrawn; had a reply raced the timeout, `answer` would have failed
    return found or answered()


@click.command(cls=AxiCommand, examples=(
    'axi reply 01a20071 "prod, after the smoke test"',
    "axi reply 01a20071 yes"))
@click.argument("session_id", metavar="ID")
@click.argument("answer", nargs=-1, required=True)
def reply(session_id: str, answer: tuple[str, ...]) -> dict:
    """Answer the oldest open `axi ask` question of session ID; it resumes."""
    from axi.commands.hosts import HOST_ID

    routed = HOST_ID.fullmatch(session_id)
    if routed is not None:  # host/id: answered on that host
        from axi.remote.route import reply as reply_there

        return reply_there(routed.group(1), routed.group(2), [routed.group(2), *answer])
    from axi.control import live, records

    text = " ".join(answer).strip()
    if not text:
        raise UsageFault("reply needs an answer", help=['example: axi reply <id> "yes"'])
    conn = records.connect()
    row = records.require(conn, session_id)
    launches = [r["id"] for r in conn.execute(
        "SELECT id FROM launches WHERE id = ? OR (session IS NOT NULL AND session = ?)",
        (row["id"], row["session"]))]
    for ask in records.open_asks(conn, launches):
        asker = records.get(conn, ask["launch"])
        if not live.running(asker):
            records.answer(conn, ask["id"], None)  # the asker is gone: withdraw it
            continue
        if records.answer(conn, ask["id"], text):
            return {"id": ask["launch"], "question": ask["question"], "answer": text}
    askers = (records.get(conn, i) for i in live.asking_ids(conn))
    asking = sorted(r["id"][:8] for r in askers
                    if r is not None and live.state(r)[0] == live.LIVE)[:5]
    helps = [views.hint(views.command("reply", "<id>", "<answer>"), "answers one of those "
                        "under asking")] if asking else []
    helps.append(views.hint(views.command("sessions", "read", row["id"],
                                          flags={"--follow": True}),
                            "streams its questions as they come"))
    extra = {"asking": asking} if asking else {}
    raise AxiError(f"session {row['id'][:8]} has no open question", code="NO_QUESTION",
                   help=helps, **extra)
