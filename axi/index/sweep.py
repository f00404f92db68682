"""`python -m axi.index.sweep`: a full index sweep, run detached by commands that answered
from a stale or unfinished index. It exits at once when another process holds the scan lock."""

from __future__ import annotations

import contextlib


def main() -> None:
    from axi.index import store
    from axi.index.lock import scan_lock
    from axi.index.scan import refresh

    with contextlib.suppress(Exception), scan_lock(wait=0) as held:
        if held:
            refresh(store.connect(), full=True)


if __name__ == "__main__":
    main()
