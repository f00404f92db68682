"""`python -m axi.index.sweep`: a full index sweep, run detached by commands that answered
from a stale or unfinished index. It stats every transcript first, without the scan lock, then
takes the lock only to store what changed; it exits at once when another process holds it."""

from __future__ import annotations

import contextlib


def main() -> None:
    from axi.harnesses import all_harnesses
    from axi.index import store
    from axi.index.lock import scan_lock
    from axi.index.scan import plan_sweep, refresh

    with contextlib.suppress(Exception):
        conn = store.connect()
        plan = plan_sweep(conn, all_harnesses())  # the stats, without holding the lock
        with scan_lock(wait=0) as held:
            if held:
                refresh(conn, full=True, plan=plan)


if __name__ == "__main__":
    main()
