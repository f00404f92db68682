"""`python -m axi.control.cascade RUN REASON`: stop a run's sessions, the root last.

A holder whose run crossed a fence starts this detached helper rather than stopping the run
itself: the helper can wait for each level of the tree to end before it stops the level
above, and the holder that noticed is stopped in its turn like any other session.
"""

from __future__ import annotations

import sys

from axi.control import records, runs


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        sys.stderr.write("usage: python -m axi.control.cascade <run> <reason>\n")
        return 2
    run, reason = argv
    runs.cascade_kill(records.connect(), run, reason)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
