"""A cold index parsed by worker processes (fresh interpreters, not forks) stores exactly what
one process stores; a first index starts them while it is still listing files; a worker that
ends early costs a warning and a second refresh, never a session."""

from __future__ import annotations

import inspect
import os
import sqlite3
import tempfile

import pytest

from axi.index import ingest, pool, scan, store
from axi.index.pool import Pool
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


def counted_workers(monkeypatch) -> list[tuple[int, int]]:
    """(chunks handed over, chunks stored by them) for each set of workers started."""
    handed: list[tuple[int, int]] = []
    run = Pool.run

    def counting(self, work):
        results = run(self, work)
        handed.append((len(work), 0))

        def each():
            for answer in results:
                handed[-1] = (handed[-1][0], handed[-1][1] + bool(answer[1]))
                yield answer
        return each()

    monkeypatch.setattr(Pool, "run", counting)
    return handed


@pytest.mark.skipif(not hasattr(os, "fork"), reason="the worker processes are tested on POSIX")
def test_workers_store_what_one_process_stores(corpus_home, tmp_path, monkeypatch):
    handed = counted_workers(monkeypatch)
    alone = index_in(tmp_path / "one", monkeypatch, parallel=False)
    assert handed == []
    shared = index_in(tmp_path / "two", monkeypatch, parallel=True)
    assert len(handed) == 1 and handed[0][0] > 1 and handed[0][1] == handed[0][0]
    assert shared == alone
    assert len(alone["sessions"]) > 10
    assert not list((tmp_path / "two").glob(".claims-*"))  # the workers' counter is removed


def test_a_first_index_starts_its_workers_while_it_lists_files(corpus_home, tmp_path,
                                                               monkeypatch):
    started = []
    start = ingest.start_workers
    monkeypatch.setattr(ingest, "start_workers", lambda *a: started.append(
        "".join(frame.function for frame in inspect.stack()[1:3])) or start(*a))
    monkeypatch.setattr(scan, "EARLY_EVERY", 1)
    index_in(tmp_path / "first", monkeypatch, parallel=True)
    assert started == ["considerplan_sweep"]  # once, from the listing, before any reading
    started.clear()
    conn = store.connect()
    conn.execute("DELETE FROM files")  # everything changed, but the index has swept before
    assert refresh(conn, full=True).complete
    assert started == ["ingest_run"]  # started when the reading begins, not before


def test_a_worker_that_ends_early_leaves_its_files_for_the_next_refresh(corpus_home, tmp_path,
                                                                        monkeypatch):
    def gone(folder):  # the workers' shared counter, removed before they open it: they fail
        fd, path = tempfile.mkstemp(dir=folder)
        os.unlink(path)
        return fd, path

    monkeypatch.setenv("AXI_HOME", str(tmp_path / "state"))
    monkeypatch.setattr(ingest, "PARALLEL_BYTES", 0)
    monkeypatch.setattr(ingest, "_cpus", lambda: 2)
    monkeypatch.setattr(ingest, "CHUNK_BYTES", 1)
    temp_file = pool._temp_file
    monkeypatch.setattr(pool, "_temp_file", gone)
    conn = store.connect()
    report = refresh(conn, full=True)
    assert not report.complete and report.pending > 10
    assert sum("an index worker ended early (exit 1)" in w for w in report.warnings) == 2
    monkeypatch.setattr(pool, "_temp_file", temp_file)
    again = refresh(conn)
    assert again.complete and again.parsed_files == report.pending
