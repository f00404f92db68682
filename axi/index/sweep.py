"""`python -m axi.index.sweep [--search]`: a full index sweep, run detached by commands that
answered from a stale or unfinished index. It stats every transcript first, without the scan
lock, then takes the lock only to store what changed. One runs at a time (`sweep.lock`); it
gives up when another process holds the scan lock. Last, it brings the full-text index up to
date: first the search text a cold index left for later (`axi.index.texts`), then the
full-text index over it (all it does with `--search`, which a command starts right after
reading a lot: a cold index)."""

from __future__ import annotations

SEARCH_BATCH = 5000  # text rows added to the full-text index per write


def main(argv: list[str]) -> None:
    from axi.index.lock import scan_lock, sweep_lock

    try:
        with sweep_lock() as alone:
            if not alone:
                return  # another sweep is on it, and this one imported nothing to see that
            from axi.harnesses import all_harnesses
            from axi.index import store, texts
            from axi.index.ingest import parallel_possible, start_workers
            from axi.index.scan import plan_sweep, refresh

            # After a cold index (`--search`) the text to read is large: the workers start
            # first, so they are ready by the time the files to read are listed.
            workers = start_workers() if "--search" in argv and parallel_possible() else None
            try:
                conn = store.connect()
                if "--search" not in argv:
                    plan = plan_sweep(conn, all_harnesses())  # the stats, without the lock
                    with scan_lock(wait=0) as held:
                        if held:
                            refresh(conn, full=True, plan=plan)
                # Then search catches up, so a first search after a cold index does not pay
                # for it; in short writes, so a hook's or a list's own writes never wait long.
                texts.catch_up(conn, workers=workers)
                store.catch_up_search(conn, batch=SEARCH_BATCH)
            finally:
                if workers is not None:
                    workers.close()
    except Exception as exc:  # nobody waits on a background sweep: `axi log` shows it
        from axi.diaglog import note

        note("sweep", f"index sweep failed: {type(exc).__name__}: {exc}", exc)


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
