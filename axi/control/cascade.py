"""`python -m axi.control.cascade RUN REASON`: stop a run's sessions, the root last.

A holder whose run crossed a fence starts this detached helper rather than stopping the run
itself: the helper can wait for each level of the tree to end before it stops the level
above, and the holder that noticed is stopped in its turn like any other session.
"""

from __future__ import annotations

import sys
from itertools import groupby

from axi.control import proc, records, runs
from axi.control.waiting import await_end
from axi.sqlite import sqlite3


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        sys.stderr.write("usage: python -m axi.control.cascade <run> <reason>\n")
        return 2
    run, reason = argv
    cascade_kill(records.connect(), run, reason)
    return 0


def cascade_kill(conn: sqlite3.Connection, run: str, reason: str) -> list[sqlite3.Row]:
    """Stop the run's sessions a level at a time: each level once the one below it has ended.

    Returns the launches it stopped, as they ended."""
    root = runs.root_key(conn, run)
    ordered = runs.kill_order(records.members(conn, run), root)
    ended = []
    for _, level in groupby(ordered, key=lambda r: (-r["depth"], runs.session_key(r) == root)):
        stopped = [r for r in level if runs.stop(r, reason)]
        ended += [await_end(conn, r["id"], seconds=proc.KILL_GRACE + 6) for r in stopped]
    return ended


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
