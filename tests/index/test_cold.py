"""A cold index reads summaries in blocks (msgspec, each harness's schema) and leaves search
text to a second pass: once that pass is done it holds exactly what a line-by-line index
holds, and hostile lines inside a block cost only themselves."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest
from test_workers import finish_handed_on
from test_workers import snapshot as tables

from axi.harnesses import jsonl
from axi.index import ingest, scan, store, texts
from axi.index.ingest import Job, parse
from axi.index.scan import refresh


def index_in(state: Path, monkeypatch, cold: bool, parallel: bool = False) -> sqlite3.Connection:
    monkeypatch.setenv("AXI_HOME", str(state))
    monkeypatch.setattr(ingest, "BULK_BYTES", 0 if cold else 10**15)
    monkeypatch.setattr(ingest, "PARALLEL_BYTES", 0 if parallel else 10**15)
    monkeypatch.setattr(ingest, "_cpus", lambda: 2)
    monkeypatch.setattr(ingest, "CHUNK_BYTES", 1)
    conn = store.connect()
    report = refresh(conn, full=True)
    assert report.complete and report.parsed_files > 10
    return conn


def jsonl_text_rows(conn: sqlite3.Connection) -> int:
    return conn.execute("SELECT count(*) FROM texts WHERE session_key NOT LIKE "
                        "'opencode:%'").fetchone()[0]


@pytest.fixture(autouse=True)
def line_decoding_after(monkeypatch):
    """`jsonl.bulk()` switches the whole process to msgspec; put it back after each test."""
    monkeypatch.setattr(jsonl, "_loads", None)
    monkeypatch.setattr(jsonl, "_fast", False)
    monkeypatch.setattr(jsonl, "_errors", (ValueError, RecursionError))


@pytest.mark.parametrize("parallel", [False, True])
def test_cold_index_then_text_pass_equals_a_line_by_line_index(corpus_home, tmp_path,
                                                                 monkeypatch, parallel):
    warm = tables(index_in(tmp_path / "warm", monkeypatch, cold=False))
    conn = index_in(tmp_path / "cold", monkeypatch, cold=True, parallel=parallel)
    first = tables(conn)
    assert first["sessions"] == warm["sessions"] and first["usage"] == warm["usage"]
    if parallel:  # the workers went on to read the text, alone
        finish_handed_on()
    else:
        assert jsonl_text_rows(conn) == 0 and texts.lagging(conn) > 10  # summaries only
    assert texts.catch_up(conn) == 0
    assert tables(conn) == warm  # text, offsets, text_at and parser state alike
    assert texts.catch_up(conn) == 0 and jsonl_text_rows(conn) > 20  # nothing read twice


def test_a_file_appended_before_the_text_pass_gets_its_text_once(corpus_home, tmp_path,
                                                                  monkeypatch):
    conn = index_in(tmp_path / "cold", monkeypatch, cold=True)
    path, offset = conn.execute("SELECT path, offset FROM files WHERE harness = 'pi' "
                                "ORDER BY path LIMIT 1").fetchone()
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(json.dumps({"type": "message", "id": "zz1", "timestamp":
                             "2026-11-30T10:00:00.000Z", "message": {
                                 "role": "user", "content": [{"type": "text",
                                                              "text": "appended quokka"}]}})
                 + "\n")
    monkeypatch.setattr(ingest, "BULK_BYTES", 10**15)  # a warm refresh from here on
    refresh(conn, full=True)
    row = conn.execute("SELECT offset, text_at FROM files WHERE path = ?", (path,)).fetchone()
    assert row["offset"] > offset and row["text_at"] == 0  # the warm read could not add to it
    assert texts.catch_up(conn) == 0
    mine = conn.execute("SELECT text, cursor FROM texts t JOIN files f ON f.session_key = "
                        "t.session_key WHERE f.path = ?", (path,)).fetchall()
    assert [r["cursor"] for r in mine if r["text"] == "appended quokka"] == [offset]
    assert len({r["cursor"] for r in mine}) == len(mine)
    fresh = index_in(tmp_path / "again", monkeypatch, cold=False)
    assert tables(conn)["texts"] == tables(fresh)["texts"]


def test_search_reads_missing_text_or_says_what_it_could_not(corpus_home, tmp_path,
                                                             monkeypatch):
    from axi.commands import transcripts

    conn = index_in(tmp_path / "cold", monkeypatch, cold=True)
    lagging = texts.lagging(conn)
    monkeypatch.setattr(transcripts, "SEARCH_WAIT", -1.0)  # no time to read it
    monkeypatch.setattr(ingest, "BULK_BYTES", 10**15)
    early = transcripts.search_here(("Rust",), None, None, 10)
    left = texts.lagging(conn)
    assert 0 < left < lagging  # out of time after the first chunk (of one file here)
    assert early["index"] == (f"the search text of {left} transcripts is still being "
                              "read; try again shortly")
    monkeypatch.setattr(transcripts, "SEARCH_WAIT", 20.0)
    later = transcripts.search_here(("Rust",), None, None, 10)
    assert "index" not in later and texts.lagging(conn) == 0


CLAUDE_LINE = {"type": "assistant", "timestamp": "2026-11-20T10:00:0{n}.000Z", "sessionId": "s1",
               "cwd": "/w", "requestId": "r{n}", "message": {
                   "id": "m{n}", "model": "claude-x", "stop_reason": "end_turn",
                   "content": [{"type": "text", "text": "reply {n}"}],
                   "usage": {"input_tokens": 10, "output_tokens": 5}}}
HOSTILE = [
    b'{"type":"assistant","timestamp":"2026-11-20T10:00:0',  # torn
    b'{"type":"user","cwd":"\xff\xfe","message":{"content":"bad utf-8"}}',
    b'{"type":"assistant","message":"a string where an object goes"}',
    b'{"type":"user","timestamp":"yesterday","message":{"content":"when?"}}',
    b'[1, 2, 3]',
    b'   ',
    b'{"type":"user","message":{"content":"lone \\ud83d half"},"timestamp":'
    b'"2026-11-20T10:00:05.000Z"}',
]


def _job(tmp_path, body: bytes, harness: str = "claude", name: str = "s1.jsonl") -> Job:
    """A transcript of `body` written whole, as the job that reads it from its start."""
    path = tmp_path / name
    path.write_bytes(body)
    return Job(harness, str(path), len(body), 0, 0, 0, None)


def test_hostile_lines_inside_a_block_cost_only_themselves(tmp_path):
    lines = [json.dumps(CLAUDE_LINE).replace("{n}", str(n)).encode() for n in range(4)]
    body = b"\n".join(lines[:2] + HOSTILE + lines[2:]) + b"\n"
    job = _job(tmp_path, body)
    by_lines = parse(job)
    jsonl.bulk()
    by_blocks = parse(job, keep_texts=True, blocks=True)
    assert by_blocks.state == by_lines.state and by_blocks.offset == len(body)
    assert vars(by_blocks.summary) == vars(by_lines.summary)
    assert [vars_of(t) for t in by_blocks.texts] == [vars_of(t) for t in by_lines.texts]
    assert by_lines.summary.skipped_lines == 2  # the torn line and the list; the rest read
    assert sum(u[1] for u in by_lines.summary.usage.values()) == 20


def vars_of(text) -> tuple:
    return (text.role, text.ts, text.cursor, text.text)


@pytest.mark.parametrize("harness", ["claude", "codex", "pi"])
def test_every_recorded_transcript_reads_alike_in_blocks(corpus_home, harness):
    from axi.harnesses import get

    jobs = [Job(harness, path, st.st_size, 0, 0, 0, None) for path, st in get(harness).discover()]
    assert jobs
    lines = [parse(job) for job in jobs]
    jsonl.bulk()
    for job, by_lines in zip(jobs, lines, strict=True):
        for keep in (False, True):
            by_blocks = parse(job, keep_texts=keep, blocks=True)
            assert vars(by_blocks.summary) == vars(by_lines.summary), job.path
            assert by_blocks.state == by_lines.state
            assert [vars_of(t) for t in by_blocks.texts] == (
                [vars_of(t) for t in by_lines.texts] if keep else [])


def test_a_block_split_anywhere_reads_the_same(tmp_path, monkeypatch):
    from axi.harnesses import base

    lines = [json.dumps(CLAUDE_LINE).replace("{n}", str(n)).encode() for n in range(6)]
    body = b"\n".join(lines) + b"\n" + lines[0][:20]  # a last line still being written
    job = _job(tmp_path, body)
    expected = parse(job)
    jsonl.bulk()
    for size in (7, 64, len(lines[0]), len(lines[0]) + 1, 1 << 20):
        monkeypatch.setattr(base, "BLOCK", size)
        got = parse(job, keep_texts=True, blocks=True)
        assert got.offset == expected.offset == body.rindex(b"\n") + 1
        assert vars(got.summary) == vars(expected.summary)
        assert [vars_of(t) for t in got.texts] == [vars_of(t) for t in expected.texts]
    assert os.path.getsize(job.path) == len(body)


def test_an_over_long_line_costs_itself_in_blocks_as_in_lines(tmp_path, monkeypatch):
    from axi.harnesses import base

    lines = [json.dumps(CLAUDE_LINE).replace("{n}", str(n)).encode() for n in range(6)]
    lines[2] = b'{"type":"user","pad":"' + b"x" * 600 + b'"}'
    body = b"\n".join(lines) + b"\n"
    job = _job(tmp_path, body)
    monkeypatch.setattr(base, "MAX_LINE", 400)  # above every line but the padded one
    expected = parse(job)
    assert expected.summary.skipped_lines == 1
    jsonl.bulk()
    for size in [*range(7, 400, 6), 399]:  # blocks below MAX_LINE, as BLOCK is; a carried
        # line longer than MAX_LINE is skipped wherever the blocks cut it
        monkeypatch.setattr(base, "BLOCK", size)
        got = parse(job, keep_texts=True, blocks=True)
        assert got.offset == expected.offset == len(body)
        assert vars(got.summary) == vars(expected.summary)
        assert [vars_of(t) for t in got.texts] == [vars_of(t) for t in expected.texts]


def index_names(conn: sqlite3.Connection) -> set[str]:
    return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index' "
                                       "AND sql IS NOT NULL")}


def test_a_first_index_builds_its_indexes_once_its_rows_are_in(corpus_home, tmp_path,
                                                               monkeypatch):
    monkeypatch.setenv("AXI_HOME", str(tmp_path / "state"))
    conn = store.connect()
    every = index_names(conn)
    assert set(store.DEFERRED) <= every
    seen = []
    run = scan._run
    monkeypatch.setattr(scan, "_run", lambda *a, **k: seen.append(index_names(conn)) or run(
        *a, **k))
    assert refresh(conn).complete
    assert seen == [every - set(store.DEFERRED)]  # none kept up while the rows went in
    assert index_names(conn) == every and store.get_meta(conn, "indexes") is None
    plan = conn.execute("EXPLAIN QUERY PLAN SELECT key FROM sessions WHERE id = 'x'").fetchall()
    assert "sessions_id" in str([tuple(r) for r in plan])


def test_a_first_index_cut_short_gets_its_indexes_from_the_next_sweep(corpus_home, tmp_path,
                                                                      monkeypatch):
    monkeypatch.setenv("AXI_HOME", str(tmp_path / "state"))
    conn = store.connect()
    every = index_names(conn)
    run = scan._run

    def killed(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(scan, "_run", killed)
    with pytest.raises(KeyboardInterrupt):
        refresh(conn)
    assert index_names(conn) == every - set(store.DEFERRED)
    monkeypatch.setattr(scan, "_run", run)
    assert refresh(conn).complete and index_names(conn) == every


@pytest.mark.parametrize("cost", ["1e999", "-1e999", "NaN", "Infinity"])
def test_a_cost_that_is_no_finite_number_is_unknown_cold_as_warm(tmp_path, cost):
    """A recorded cost of 1e999 (or a NaN someone wrote) is not a price: cold and warm reads
    both leave it unknown and keep the next line's real cost, in the same saved state."""
    reply = ('{{"type":"message","timestamp":"2026-11-21T23:30:1{n}.000Z","message":{{"role":'
             '"assistant","content":[],"provider":"p","model":"m","usage":{{"input":10,'
             '"output":2,"cacheRead":0,"cacheWrite":0,"cost":{{"total":{cost}}}}},'
             '"stopReason":"stop"}}}}')
    body = "\n".join([
        '{"type":"session","version":3,"id":"s1","timestamp":"2026-11-21T23:30:10.000Z",'
        '"cwd":"/w"}',
        reply.format(n=1, cost=cost), reply.format(n=2, cost="0.5"), ""]).encode()
    job = _job(tmp_path, body, "pi", "2026-11-21T23-30-10-000Z_s1.jsonl")
    warm = parse(job)
    jsonl.bulk()
    cold = parse(job, keep_texts=False, blocks=True)
    assert cold.state == warm.state
    [bucket] = warm.summary.usage.values()
    assert bucket[:5] == [20, 4, 0, 0, 0.5]
