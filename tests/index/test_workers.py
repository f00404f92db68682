"""A cold index parsed by worker processes (started fresh, not forked) stores exactly what one
process stores."""

from __future__ import annotations

import os
import sqlite3

import pytest

from axi.index import ingest, store
from axi.index.scan import refresh

TABLES = {"sessions": "key", "usage": "session_key, hour, model", "files": "path"}


def snapshot(conn: sqlite3.Connection) -> dict:
    return {table: [tuple(r) for r in conn.execute(f"SELECT * FROM {table} ORDER BY {order}")]
            for table, order in TABLES.items()} | {
        "texts": sorted(tuple(r) for r in conn.execute(
            "SELECT session_key, role, ts, cursor, text FROM texts"))}


def index_in(state, monkeypatch, parallel: bool) -> dict:
    monkeypatch.setenv("AXI_HOME", str(state))
    monkeypatch.setattr(ingest, "PARALLEL_BYTES", 0 if parallel else 10**15)
    monkeypatch.setattr(ingest, "_cpus", lambda: 2)
    monkeypatch.setattr(ingest, "CHUNK_BYTES", 1)  # a chunk per file: both workers get some
    conn = store.connect()
    report = refresh(conn, full=True)
    assert report.complete and report.parsed_files > 10
    return snapshot(conn)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="the worker pool is tested on POSIX")
def test_workers_store_what_one_process_stores(corpus_home, tmp_path, monkeypatch):
    pools = []
    start_pool = ingest._in_workers
    monkeypatch.setattr(ingest, "_in_workers",
                        lambda work, bulk: pools.append(len(work)) or start_pool(work, bulk))
    alone = index_in(tmp_path / "one", monkeypatch, parallel=False)
    assert pools == []
    shared = index_in(tmp_path / "two", monkeypatch, parallel=True)
    assert pools and pools[0] > 1  # the workers did take the chunks
    assert shared == alone
    assert len(alone["sessions"]) > 10
