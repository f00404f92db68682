"""A cold index parsed by worker processes (fresh interpreters, not forks) stores exactly what
one process stores; a first index starts them while it is still listing files; a worker that
ends early costs a warning and a second refresh, never a session."""

from __future__ import annotations

import inspect
import os
import sqlite3

import pytest

from axi.index import ingest, pool, scan, store, texts
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


def finish_handed_on() -> None:
    """Wait for workers that went on alone (a first index's search text)."""
    for proc in list(pool.HANDED):
        assert proc.wait(timeout=120) == 0
    pool.reap()
    assert pool.HANDED == []


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
    finish_handed_on()
    shared = snapshot(store.connect())  # with the text the workers went on to read
    assert shared == alone
    assert len(alone["sessions"]) > 10
    assert not list((tmp_path / "two").glob(".claims-*"))  # the workers' counters are removed


def test_a_first_index_s_workers_go_on_to_read_the_search_text_alone(corpus_home, tmp_path,
                                                                      monkeypatch):
    monkeypatch.setattr(ingest, "BULK_BYTES", 0)  # a cold index: summaries first
    index_in(tmp_path / "state", monkeypatch, parallel=True)
    conn = store.connect()
    finish_handed_on()
    assert texts.lagging(conn) == 0 and conn.execute(
        "SELECT count(*) FROM texts WHERE session_key NOT LIKE 'opencode:%'").fetchone()[0] > 20
    top = conn.execute("SELECT max(rowid) FROM texts").fetchone()[0]
    assert int(store.get_meta(conn, "fts_upto")) == top  # and the full-text index is whole
    found = conn.execute("SELECT count(*) FROM texts_fts WHERE texts_fts MATCH 'the'")
    assert found.fetchone()[0] > 0


def test_a_first_index_starts_its_workers_while_it_lists_files(corpus_home, tmp_path,
                                                               monkeypatch):
    started = []
    start = ingest.start_workers
    monkeypatch.setattr(ingest, "start_workers", lambda *a, **k: started.append(
        "".join(frame.function for frame in inspect.stack()[1:3])) or start(*a, **k))
    monkeypatch.setattr(scan, "EARLY_EVERY", 1)
    index_in(tmp_path / "first", monkeypatch, parallel=True)
    assert started == ["considerplan_sweep"]  # once, from the listing, before any reading
    finish_handed_on()
    started.clear()
    conn = store.connect()
    conn.execute("DELETE FROM files")  # everything changed, but the index has swept before
    assert refresh(conn, full=True).complete
    assert started == ["ingest_run"]  # started when the reading begins, not before


def test_a_worker_that_ends_early_leaves_its_files_for_the_next_refresh(corpus_home, tmp_path,
                                                                        monkeypatch):
    def broken(bulk: bool = True, phases: int = 1) -> Pool:  # they cannot open the index
        return Pool.start(2, "axi.index.worker", str(tmp_path / "gone" / "index.db"),
                          "bulk", phases=phases)

    monkeypatch.setenv("AXI_HOME", str(tmp_path / "state"))
    monkeypatch.setattr(ingest, "PARALLEL_BYTES", 0)
    monkeypatch.setattr(ingest, "_cpus", lambda: 2)
    monkeypatch.setattr(ingest, "CHUNK_BYTES", 1)
    start = ingest.start_workers
    monkeypatch.setattr(ingest, "start_workers", broken)
    conn = store.connect()
    report = refresh(conn, full=True)
    assert not report.complete and report.pending > 10
    assert sum("an index worker ended early (exit 1)" in w for w in report.warnings) == 2
    assert pool.HANDED == []  # nothing was handed on to them
    monkeypatch.setattr(ingest, "start_workers", start)
    again = refresh(conn)
    assert again.complete and again.parsed_files == report.pending
    finish_handed_on()


def test_a_worker_that_starts_after_the_work_is_done_ends_quietly(tmp_path, monkeypatch):
    monkeypatch.setenv("AXI_HOME", str(tmp_path))
    late = Pool.start(1, "axi.index.worker", str(tmp_path / "index.db"), "bulk", phases=2)
    late.claims, claims = [], late.claims
    for path in claims:  # as `close` does once the other workers took every chunk
        os.unlink(path)
    late.procs[0].stdin.close()
    assert late.procs[0].wait(timeout=60) == 0
    late.close()


def test_workers_that_cannot_be_started_leave_the_reading_to_this_process(
        corpus_home, tmp_path, monkeypatch):
    import subprocess

    started = []

    def refused(*args, **kwargs):  # the second worker: no processes left
        if started:
            raise OSError(11, "Resource temporarily unavailable")
        started.append(real(*args, **kwargs))
        return started[-1]

    real = subprocess.Popen
    monkeypatch.setattr(subprocess, "Popen", refused)
    monkeypatch.setattr(scan, "EARLY_EVERY", 1)
    tables = index_in(tmp_path / "state", monkeypatch, parallel=True)
    assert len(tables["sessions"]) > 10
    assert started[0].wait(timeout=60) is not None  # the one that did start was ended
    assert not list((tmp_path / "state").glob(".claims-*"))
