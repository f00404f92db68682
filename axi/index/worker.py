"""`python -m axi.index.worker INDEX bulk|lines CLAIMS...`: one worker process of a large
read (`axi.index.pool`), parsing and storing the chunks it claims into the index at INDEX.

Stores take turns under a file lock, which wakes the next writer at once, unlike SQLite's
busy polling. Workers store what they parse: the main process storing everything costs less
CPU (one page cache, no turns) but became the bottleneck at 100,000 small sessions (20.9 s
against 17.4, with 335 MB of parsed chunks waiting for it).

A second counter (CLAIMS) means a second phase may follow, which the worker finishes alone:
a first index's search text, read by the workers that just read its summaries, and the
full-text index over it."""

from __future__ import annotations

import os
import sys


def main(index: str, mode: str, *claims: str) -> None:
    from axi.harnesses import jsonl
    from axi.index.ingest import fewer_collections, store_chunk
    from axi.index.lock import open_lock, turn
    from axi.index.pool import serve
    from axi.index.store import catch_up_search, connect

    bulk = mode == "bulk"
    if bulk:
        jsonl.bulk()
        fewer_collections().__enter__()  # for the worker's whole life: it only parses
    conn = connect(index)
    turns = turn(open_lock("store.lock", os.path.dirname(index)))

    def answered(chunk: list) -> object:
        return store_chunk(conn, chunk, turns, bulk)

    def alone(chunk: list) -> None:
        store_chunk(conn, chunk, turns, bulk)

    serve(list(claims), *(answered, alone)[:len(claims)])
    if len(claims) > 1:  # the last worker to finish indexes the text left over
        with turns:
            catch_up_search(conn)


if __name__ == "__main__":
    main(*sys.argv[1:])
