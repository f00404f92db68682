"""`axi check`: run a launched session's `--accept` check now, and say what it printed."""

from __future__ import annotations

import time

import click

from axi import views
from axi.commands.tree import AxiCommand
from axi.errors import AxiError, NotFound, UsageFault
from axi.paths import tilde
from axi.text import shell_word


@click.command(cls=AxiCommand, examples=(
    "axi check 01a2b3c4", "axi check run-7f3a9c01", "axi check 01a2b3c4 --format json"))
@click.argument("target", metavar="ID|RUN")
def check(target: str) -> dict:
    """Run the --accept check of a session axi launched (or of a run's first session) in its
    folder, through the `shell` its launch recorded, and show its status and output. Concludes
    nothing; exit 1 when it fails."""
    from axi.control import records
    from axi.control.runs import run_accept

    row = _launch(records, target)
    spec = records.spec_of(row)
    accept = spec.get("accept")
    if not accept:
        raise UsageFault(f"{target!r} was launched without an --accept check", help=[
            'give one at launch: axi sessions new claude "task" --accept "make test"'])
    started = time.monotonic()
    shell = spec.get("shell")
    passed, output = run_accept(accept, row["dir"], shell=shell)
    data = {"check": accept, "shell": " ".join(map(shell_word, shell)) if shell else None,
            "dir": tilde(row["dir"]), "session": row["session"] or row["id"],
            "took": views.duration(time.monotonic() - started), "output": output}
    data = {k: v for k, v in data.items() if v is not None}
    if not passed:
        raise AxiError(f"the accept check failed: {output[:200]}", code="CHECK_FAILED",
                       **data, help=[views.hint(views.command("check", target), "runs it again")])
    return {"status": "passed", **data}


def _launch(records, target: str):
    """The launch `target` names: a launch or session id (a prefix of 4 or more characters),
    or a run id (its first session)."""
    conn = records.connect()
    run = records.get_run(conn, target)
    if run is not None:
        root = records.get(conn, run["root"]) if run["root"] else None
        members = [root] if root is not None else records.members(conn, target)
        if members:
            return members[0]
        raise NotFound(f"run {target!r} has no session", help=["`axi runs` lists the runs"])
    return records.require(conn, target)
