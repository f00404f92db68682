"""`axi sessions attach|type|wait|result|kill|tag`: drive sessions axi launched."""

from __future__ import annotations

import os

import click

from axi import views
from axi.commands.tree import AxiCommand
from axi.errors import AxiError, UsageFault

RESULT_TEXT = 1500


def _launch(conn, session_id: str | None):
    from axi.control import records

    session_id = session_id or os.environ.get("AXI_SESSION_ID")
    if not session_id:
        raise UsageFault("give a session id (or run this inside a session axi launched)",
                         help=["`axi sessions --all` lists sessions"])
    return records.require(conn, session_id)


def gone(row) -> AxiError:
    sid = row["session"] or row["id"]
    return AxiError("the session is not running any more", code="SESSION_GONE", help=[
        views.hint(views.command("sessions", "continue", sid, "<task>"),
                   "resumes it with a new task"),
        views.hint(views.command("sessions", "restart", row["id"]), "starts it again from "
                   "its launch spec"),
        views.hint(views.command("sessions", "result", row["id"]), "shows how it ended")])


def _socket(row) -> str:
    from axi.control import live
    from axi.control.waiting import settle

    where, _ = live.state(row)
    if where == live.STARTING_UP:
        path = live.socket_path(row["id"])
        for _ in range(100):  # the holder is starting: give it up to 5 s to listen
            if os.path.exists(path):
                return path
            import time

            time.sleep(0.05)
    if where != live.LIVE:
        from axi.control import records

        settle(records.connect(), row)
        raise gone(row)
    return live.socket_path(row["id"])


@click.command(cls=AxiCommand, examples=("axi sessions attach 01a20071",
                                         "axi sessions attach claude:01a20071"))
@click.argument("session_id", metavar="ID")
def attach(session_id: str) -> dict:
    """Show a held session in this terminal; Ctrl-A d (or Ctrl-\\) detaches, it keeps running."""
    from axi.control import records
    from axi.control.client import Attach
    from axi.output import terminal

    conn = records.connect()
    row = _launch(conn, session_id)
    if not (os.isatty(0) and os.isatty(1)):
        raise AxiError("attaching needs a terminal", code="NO_TTY", help=[
            views.hint(views.command("sessions", "read", row["id"], flags={"--follow": True}),
                       "streams its turns without one")])
    path = _socket(row)
    client = Attach(path, terminal)
    how = client.run()
    data: dict = {"id": row["id"], "status": how}
    if client.exit is not None:
        data["exit"] = client.exit[0]
    data["help"] = [views.hint(views.command("sessions", "attach", row["id"]), "attaches again")
                    if how == "detached" else
                    views.hint(views.command("sessions", "result", row["id"]),
                               "shows how it ended")]
    return data


@click.command("type", cls=AxiCommand, examples=(
    'axi sessions type 01a20071 "also run the linter"', "axi sessions type 01a20071 --interrupt",
    'axi sessions type 01a20071 --interrupt "stop; fix the build first"'))
@click.argument("session_id", metavar="ID")
@click.argument("text", required=False)
@click.option("--interrupt", is_flag=True, help="Stop the current turn first (Ctrl-C).")
@click.option("--no-enter", is_flag=True, help="Type without submitting.")
def type_(session_id: str, text: str | None, interrupt: bool, no_enter: bool) -> dict:
    """Type TEXT into a held session (several lines go in as one paste), then submit it."""
    from axi.control import records
    from axi.control.client import type_text

    if not text and not interrupt:
        raise UsageFault("give TEXT to type, or --interrupt",
                         help=['example: axi sessions type <id> "run the tests"'])
    conn = records.connect()
    row = _launch(conn, session_id)
    if row["mode"] == "headless":
        raise AxiError("a headless session takes no typed input", code="HEADLESS", help=[
            views.hint(views.command("sessions", "continue", row["session"] or row["id"],
                                     "<task>"), "gives it a new task when it ends")])
    try:
        type_text(_socket(row), text or "", submit=not no_enter, interrupt=interrupt)
    except OSError:
        raise gone(row) from None
    data = {"id": row["id"], "typed": len(text or ""), "interrupted": interrupt or None,
            "help": [views.hint(views.command("sessions", "read", row["id"],
                                              flags={"--follow": True}), "streams its turns")]}
    return {k: v for k, v in data.items() if v is not None}


@click.command(cls=AxiCommand, examples=("axi sessions wait 01a20071",
                                         "axi sessions wait 01a20071 7f3e9b2c --any",
                                         "axi sessions wait 01a20071 --timeout 10m"))
@click.argument("session_ids", metavar="ID...", nargs=-1, required=True)
@click.option("--any", "any_", is_flag=True, help="Return when the first one concludes.")
@click.option("--all", "all_", is_flag=True, help="Return when every one concludes (default).")
@click.option("--timeout", "timeout_text", metavar="DUR", help="Give up after DUR (90s, 30m).")
def wait(session_ids: tuple[str, ...], any_: bool, all_: bool, timeout_text: str | None
         ) -> dict:
    """Block until sessions conclude; exit 0 only when they concluded with success.

    A session concludes when it is tagged with an outcome, ends or crashes; idle never counts."""
    from axi.control import records

    if any_ and all_:
        raise UsageFault("--any and --all exclude each other")
    conn = records.connect()
    ids = [_launch(conn, s)["id"] for s in session_ids]
    return wait_result(ids, every=not any_, seconds=views.parse_duration(timeout_text))


def wait_result(ids: list[str], every: bool, seconds: float | None) -> dict:
    from axi.control import records
    from axi.control.waiting import wait_until

    conn = records.connect()
    rows, finished = wait_until(conn, ids, every, seconds)
    shown = [_conclusion(r) for r in rows]
    data: dict = {"status": "concluded" if finished else "timeout", "sessions": shown}
    data["help"] = [views.hint(views.command("sessions", "result", "<id>"),
                               "shows a session's final report")]
    concluded = [s for s in shown if s["outcome"]]
    ok = finished and (all(s["outcome"] == "success" for s in shown) if every else
                       any(s["outcome"] == "success" for s in concluded))
    if not ok:
        raise AxiError("timed out waiting" if not finished else "not every session succeeded"
                       if every else "no session succeeded", code="TIMEOUT" if not finished
                       else "NOT_SUCCESS", **{k: v for k, v in data.items() if k != "help"},
                       help=data["help"])
    return data


def _conclusion(row) -> dict:
    from axi.control import live

    return {"id": row["id"], "session": row["session"], "status": live.status(row, asking=False),
            "outcome": row["outcome"], "exit": row["exit_code"]}


@click.command(cls=AxiCommand, examples=("axi sessions result 01a20071",
                                         "axi sessions result 01a20071 --full"))
@click.argument("session_id", metavar="ID")
@click.option("--full", is_flag=True, help="Do not truncate the report.")
def result(session_id: str, full: bool) -> dict:
    """A launched session's final report (its last answer), outcome and exit."""
    from axi.control import records
    from axi.control.waiting import settle

    conn = records.connect()
    row = settle(conn, _launch(conn, session_id))
    report, source = final_report(row)
    text, cut = views.truncate(report, RESULT_TEXT, full,
                               hint=views.command("sessions", "result", row["id"],
                                                  flags={"--full": True}))
    data = {"id": row["id"], "session": row["session"], "harness": row["harness"],
            "status": _conclusion(row)["status"], "outcome": row["outcome"],
            "exit": row["exit_code"], "ended": views.iso(row["ended"]),
            "report": text, "report_from": source, "note": row["result"]}
    return {k: v for k, v in data.items() if v is not None}


def final_report(row) -> tuple[str | None, str | None]:
    """The last assistant turn from the transcript, else the end of the terminal output."""
    if row["session"]:
        from axi.harnesses import get
        from axi.index.catalog import open_index

        index, _ = open_index(budget=2.0)
        found = index.execute("SELECT source FROM sessions WHERE id = ? AND harness = ?",
                              (row["session"], row["harness"])).fetchone()
        if found:
            last = None
            for turn in get(row["harness"]).read_turns(found["source"], row["session"], 0):
                if turn.role == "assistant" and turn.text:
                    last = turn.text
            if last:
                return last, "transcript"
    if row["tail"]:
        return row["tail"], "terminal"
    return None, None


@click.command(cls=AxiCommand, examples=("axi sessions kill 01a20071",
                                         "axi sessions kill --run run-3f2a9c1d"))
@click.argument("session_ids", metavar="ID...", nargs=-1)
@click.option("--run", metavar="R", help="Every session in run R (deepest first, root last).")
def kill(session_ids: tuple[str, ...], run: str | None) -> dict:
    """Stop sessions: SIGTERM to the harness's process group, SIGKILL after 3 s."""
    from axi.control import cascade, records, runs
    from axi.control.waiting import await_end

    if not session_ids and not run:
        raise UsageFault("give session ids or --run R", help=["example: axi sessions kill <id>"])
    conn = records.connect()
    targets = [_launch(conn, s) for s in session_ids]
    members = records.members(conn, run) if run else []
    if run and not members:
        raise AxiError(f"no run {run!r}", code="NOT_FOUND", help=["`axi runs` lists runs"])
    stopped, already = [], []
    for row in targets:
        (stopped if runs.stop(row, "killed") else already).append(row)
    ended = [await_end(conn, row["id"]) for row in stopped]
    if run:
        ended += cascade.cascade_kill(conn, run, "killed")
        gone = {r["id"] for r in ended}
        already += [r for r in members if r["id"] not in gone]
        stopped += [r for r in members if r["id"] in gone]
    data: dict = {"killed": [{"id": r["id"], "exit": r["exit_code"], "signal": r["exit_signal"]}
                             for r in ended] or None,
                  "already": [r["id"] for r in already] or None}
    if not stopped:
        data["already_stopped"] = True
    return {k: v for k, v in data.items() if v is not None}


@click.command(cls=AxiCommand, examples=(
    "axi sessions tag d1c9ea04 --label team=web --label urgent",
    "axi sessions tag 01a20071 --name api --label -urgent", "axi sessions tag --outcome success"))
@click.argument("session_id", metavar="ID", required=False)
@click.option("--name", metavar="NAME", help="Rename the session (launched by axi).")
@click.option("--label", "labels", metavar="K=V", multiple=True,
              help="Set a tag on any session (K= or -K removes it; a bare word is a flag).")
@click.option("--run", metavar="R", help="Move it into run R (its limits apply from now).")
@click.option("--outcome", type=click.Choice(("success", "gave_up")),
              help="Conclude it; success must pass the --accept check first.")
def tag(session_id: str | None, name: str | None, labels: tuple[str, ...], run: str | None,
        outcome: str | None) -> dict:
    """Tag any session; name, move or conclude one axi launched.

    ID defaults to the session you are in. Tags of a session axi did not launch are kept in
    the mailbox by its catalog id, so they outlive the index."""
    import time

    from axi.control import records, runs, tags

    edits = tags.check(labels)
    conn = records.connect()
    if session_id and records.find(conn, session_id) is None:
        return _tag_catalog(conn, session_id, edits, name or run or outcome)
    row = _launch(conn, session_id)
    fields: dict = {}
    if name:
        fields["name"] = name
    data: dict = {"id": row["id"]}
    if outcome == "success":
        accept = records.spec_of(row).get("accept")
        if accept:
            passed, output = runs.run_accept(accept, row["dir"],
                                             shell=records.spec_of(row).get("shell"))
            if not passed:
                raise AxiError("not done: the accept check failed", code="ACCEPT_FAILED",
                               check=accept, output=output or "(no output)",
                               help=["fix what it reports, then tag success again"])
            data["accept"] = "passed"
    if outcome:
        fields.update(outcome=outcome, outcome_at=time.time())
    if not fields and not run and not labels:
        raise UsageFault("nothing to tag", help=["give --name, --label, --run or --outcome"])
    if run and run != row["run"]:
        with records.db.write(conn):
            records.join_run(conn, run, None, row["task"], {}, {"max_depth": row["depth"]})
            conn.execute("UPDATE launches SET run = ? WHERE id = ?", (run, row["id"]))
        data["moved_to"] = run
        row = records.get(conn, row["id"])
    if labels:
        data["labels"] = tags.edit(conn, edits, launch=row)
    if fields:
        records.update(conn, row["id"], **fields)
    if outcome and runs.root_key(conn, row["run"]) == (row["session"] or row["id"]):
        records.conclude_run(conn, row["run"], outcome, "tagged by the run's root",
                             runs.totals(conn, row["run"]))
        data["run"] = f"{row['run']} concluded: {outcome}"
    data.update({k: v for k, v in fields.items() if k in ("name", "outcome")})
    if "labels" in data:
        data["labels"] = data.pop("labels")  # after name and outcome, as before
    return data


def _tag_catalog(conn, session_id: str, edits: list[str], launch_only: object) -> dict:
    """Tags on a catalog session axi did not launch (kept in the mailbox, by session key)."""
    from axi.commands.transcripts import resolve_session
    from axi.control import tags
    from axi.index.catalog import open_index

    index, _ = open_index(budget=1.0)
    row = resolve_session(index, session_id)
    if launch_only:
        raise AxiError(f"axi did not launch {row['id']}: --name, --run and --outcome are for "
                       "sessions axi launched; --label tags any session", code="NOT_LAUNCHED",
                       help=[views.hint(views.command("sessions", "tag", row["id"],
                                                      flags={"--label": "team=web"}),
                                        "tags it"),
                             views.hint(views.command("sessions", "continue", row["id"],
                                                      "<task>"), "takes it over under axi")])
    if not edits:
        raise UsageFault("nothing to tag", help=[views.hint(views.command(
            "sessions", "tag", row["id"], flags={"--label": "team=web"}), "tags it")])
    return {"id": row["id"], "labels": tags.edit(conn, edits, key=row["key"])}
