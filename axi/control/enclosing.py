"""The held session a command runs inside, found from the process tree, not the environment.

A worker can unset or rewrite every `AXI_*` variable (`env -u AXI_RUN …`, `AXI_HOME=/tmp/x`),
but it cannot leave its holder's process tree: every holder is a child subreaper, so even a
process that double-forks or calls setsid stays below it. The nearest ancestor that is a live
holder, confirmed by the pid and start token its own launch record holds, names the run, the
parent, the depth and the state dir a new launch belongs to.
"""

from __future__ import annotations

import os
from contextlib import closing

from axi.control import proc
from axi.sqlite import sqlite3

HOLDER_MODULE = "axi.control.holder"


class Enclosing:
    def __init__(self, launch: sqlite3.Row, state: str):
        self.launch, self.state = launch, state


def holder_args(argv: list[str]) -> tuple[str, str | None] | None:
    """(launch id, state dir) when `argv` is a holder's command line, else None."""
    for at in range(len(argv) - 2):
        if argv[at] == "-m" and argv[at + 1] == HOLDER_MODULE:
            rest = argv[at + 2:]
            return rest[0], (rest[1] if len(rest) > 1 else None)
    return None


def find() -> Enclosing | None:
    """The nearest live holder above this process, with its launch record."""
    for pid in proc.ancestors():
        args = holder_args(proc.cmdline(pid))
        if args is None:
            continue
        launch_id, state = args
        state = state or _state_of(pid)
        launch = _confirmed(pid, launch_id, state) if state else None
        if launch is not None:
            return Enclosing(launch, state)
    return None


def _state_of(pid: int) -> str | None:
    """An older holder's state dir, from the environment it was started with."""
    try:
        with open(f"/proc/{pid}/environ", "rb") as fh:
            env = dict(item.split(b"=", 1) for item in fh.read().split(b"\0") if b"=" in item)
    except OSError:
        return None
    value = env.get(b"AXI_HOME")
    return os.path.expanduser(value.decode("utf-8", "replace")) if value else None


def _confirmed(pid: int, launch_id: str, state: str) -> sqlite3.Row | None:
    from axi.mailbox import db

    path = os.path.join(state, db.FILENAME)
    if not os.path.isfile(path):
        return None
    try:
        with closing(db.connect_readonly(path)) as conn:
            row = conn.execute("SELECT * FROM launches WHERE id = ?", (launch_id,)).fetchone()
    except sqlite3.Error:
        return None
    if row is None or row["ended"] is not None or row["holder_pid"] != pid:
        return None
    return row if proc.same(pid, row["holder_token"]) else None
