"""Bad input never crashes a command, never leaves a partial index, and says what happened."""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from pathlib import Path

import pytest
from support import older_opencode_db

from axi.index import ingest, store, writes
from axi.index.scan import refresh

PROJ = ".claude/projects/-home-dev-work-projX"


def write_claude(home: Path, name: str, lines: list[bytes]) -> Path:
    folder = home / PROJ
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.jsonl"
    path.write_bytes(b"".join(lines))
    return path


def user(text: str, session: str) -> bytes:
    return json.dumps({"type": "user", "sessionId": session, "cwd": "/home/dev/work/projX",
                       "timestamp": "2026-11-21T23:00:00.000Z", "uuid": "u-" + text[:6],
                       "message": {"role": "user", "content": text}}).encode() + b"\n"


SID = "aaaaaaaa-0000-4000-8000-000000000001"


def test_empty_home_is_a_definitive_empty_state(axi, home):
    result = axi("sessions", "--all")
    assert result.code == 0
    assert result.data["sessions"] == "0 sessions in all folders"


def test_torn_invalid_and_unknown_lines_are_skipped_and_counted(axi, home):
    write_claude(home, SID, [
        user("first prompt", SID),
        b'{"type": "user", "sessionId": "' + SID.encode() + b'", "message": {"rol\n',
        b'{"type":"brand-new-record","payload":{"x":1}}\n',
        user("caf\xc3\xa9 \xff\xfe bytes", SID).replace(b"\\u00e9", b"\xc3\xa9"),
        b"\xff\xfe\xfd not json at all\n",
        user("last prompt", SID),
        b'{"type": "user", "torn',
    ])
    result = axi("sessions", "view", SID[:8])
    assert result.code == 0
    assert result.data["turns"] == 3
    assert result.data["skipped_lines"] == "2 unreadable lines were skipped"


def test_invalid_utf8_inside_a_string_is_replaced_not_fatal(home):
    line = (b'{"type":"user","sessionId":"' + SID.encode() +
            b'","cwd":"/home/dev/work/projX",'
            b'"message":{"role":"user","content":"bad \xff byte"}}\n')
    write_claude(home, SID, [line])
    conn = store.connect()
    refresh(conn)
    title = conn.execute("SELECT title FROM sessions").fetchone()[0]
    assert title.startswith("bad ") and "byte" in title


def test_a_50mb_single_line_is_skipped_without_holding_it(home):
    big = b'{"type":"user","message":{"content":"' + b"x" * (50 * 1024 * 1024) + b'"}}\n'
    write_claude(home, SID, [user("before", SID), big, user("after", SID)])
    conn = store.connect()
    report = refresh(conn)
    row = conn.execute("SELECT turns, skipped FROM sessions").fetchone()
    assert (row["turns"], row["skipped"]) == (2, 1)
    assert report.skipped_lines == 1


def test_unreadable_file_is_reported_not_fatal(axi, home):
    if os.geteuid() == 0:
        pytest.skip("root reads any file")
    path = write_claude(home, SID, [user("secret", SID)])
    path.chmod(0)
    result = axi("sessions", "--all")
    assert result.code == 0
    assert any("Permission" in w for w in result.data.get("warnings", []))


def test_unknown_and_ambiguous_ids(axi, corpus_home):
    unknown = axi("sessions", "view", "deadbeef")
    assert (unknown.code, unknown.data["code"]) == (1, "NOT_FOUND")
    assert any("sessions --all" in h for h in unknown.data["help"])
    ambiguous = axi("sessions", "read", "01a20071")
    assert (ambiguous.code, ambiguous.data["code"]) == (1, "AMBIGUOUS")
    assert len(ambiguous.data["matches"]) == 4
    short = axi("sessions", "view", "01")
    assert short.code == 2


def test_negative_and_zero_limits_are_usage_errors(axi, corpus_home):
    assert axi("sessions", "--limit", "0").code == 2
    assert axi("sessions", "read", "cb4228d5", "--since", "-1").code == 2
    assert axi("usage", "--days", "-3").code == 2


def test_opencode_db_with_an_older_schema(home):
    """A database from before the aggregate columns (and without archive/parent) still reads."""
    conn = older_opencode_db(home)
    conn.execute("INSERT INTO session VALUES ('ses_old', '/w/p', 'Old one', 1000, 2000)")
    conn.execute("INSERT INTO message VALUES ('msg_1', 'ses_old', 1000, 1000, ?)",
                 (json.dumps({"role": "user", "time": {"created": 1000}}),))
    conn.execute("INSERT INTO part VALUES ('prt_1', 'msg_1', 'ses_old', 1000, 1000, ?)",
                 (json.dumps({"type": "text", "text": "hello old schema"}),))
    conn.commit()
    conn.close()
    index = store.connect()
    report = refresh(index)
    assert not report.warnings
    row = index.execute("SELECT * FROM sessions WHERE id = 'ses_old'").fetchone()
    assert (row["title"], row["turns"], row["dir"]) == ("Old one", 1, "/w/p")


def test_opencode_db_under_a_held_write_lock(corpus_home):
    """opencode holding its write lock: WAL readers go on; the harness is never blocked."""
    db = corpus_home / ".local/share/opencode/opencode.db"
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("PRAGMA journal_mode = WAL")
    holder.execute("BEGIN IMMEDIATE")
    holder.execute("UPDATE session SET title = 'renamed while locked' "
                   "WHERE id = 'ses_dff8e15f2ffeUEZQQPC3OmIPeW'")
    try:
        index = store.connect()
        report = refresh(index)
        assert not report.warnings
        count = index.execute("SELECT count(*) FROM sessions WHERE harness = 'opencode'"
                              ).fetchone()[0]
        assert count == 5
        # The writer can still commit while axi has it open.
        holder.execute("COMMIT")
    finally:
        holder.close()


def test_opencode_db_in_rollback_mode_with_an_exclusive_lock(home):
    """A lock that blocks readers: the scan reports it and keeps what it had, fast."""
    folder = home / ".local/share/opencode"
    folder.mkdir(parents=True)
    db = folder / "opencode.db"
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("CREATE TABLE session (id TEXT, directory TEXT, title TEXT, "
                 "time_created INTEGER, time_updated INTEGER)")
    conn.execute("CREATE TABLE message (id TEXT, session_id TEXT, time_created INTEGER, "
                 "data TEXT)")
    conn.execute("CREATE TABLE part (id TEXT, message_id TEXT, session_id TEXT, data TEXT)")
    conn.execute("BEGIN EXCLUSIVE")
    conn.execute("INSERT INTO session VALUES ('ses_x', '/w', 't', 1, 2)")
    try:
        index = store.connect()
        report = refresh(index)
        assert any("opencode" in w and "kept" in w for w in report.warnings)
    finally:
        conn.execute("ROLLBACK")
        conn.close()


def test_an_interrupted_scan_leaves_no_partial_session(corpus_home, monkeypatch):
    """A deadline mid-scan commits whole files only; the next scan finishes the rest."""
    monkeypatch.setattr(ingest, "CHUNK_FILES", 4)
    index = store.connect()
    report = refresh(index, deadline=0.0)
    assert report.pending > 0
    done = index.execute("SELECT count(*) FROM files").fetchone()[0]
    sessions = index.execute("SELECT count(*) FROM sessions WHERE harness != 'opencode'"
                             ).fetchone()[0]
    assert done == sessions
    final = refresh(index)
    assert final.complete
    assert index.execute("SELECT count(*) FROM sessions").fetchone()[0] == 23


def test_concurrent_readers_are_not_blocked_by_a_writer(corpus_home):
    index = store.connect()
    refresh(index)
    writer = store.connect()
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("UPDATE sessions SET title = 'x'")
    results = []
    thread = threading.Thread(target=lambda: results.append(
        store.connect().execute("SELECT count(*) FROM sessions").fetchone()[0]))
    thread.start()
    thread.join(timeout=5)
    writer.execute("ROLLBACK")
    assert results == [23]


def test_a_row_that_cannot_be_stored_costs_only_its_own_file(home, monkeypatch):
    """A chunk's new sessions are written at once; when one of them fails, each is written
    alone, so only that one is missing, and it is named."""
    for n in range(4):
        write_claude(home, f"s{n}", [user(f"prompt number {n}", f"{SID[:-1]}{n}")])
    vet = writes.vet

    def spoiled(summary):  # a value SQLite cannot bind, past the checks, in one session
        notes = vet(summary)
        if summary.id.endswith("2"):
            summary.turns = object()
        return notes

    monkeypatch.setattr(writes, "vet", spoiled)
    conn = store.connect()
    report = refresh(conn)
    ids = {r[0] for r in conn.execute("SELECT id FROM sessions")}
    assert ids == {f"{SID[:-1]}{n}" for n in (0, 1, 3)}
    refused = [w for w in report.warnings if "not indexed" in w]
    assert len(refused) == 1
    assert refused[0].startswith(f"{home / PROJ / 's2.jsonl'}: not indexed (ProgrammingError")


def test_search_text_that_cannot_be_stored_costs_only_its_own_file(home, monkeypatch):
    from axi.harnesses import jsonl
    from axi.index import texts

    for n in range(3):
        write_claude(home, f"s{n}", [user(f"quokka number {n}", f"{SID[:-1]}{n}")])
    monkeypatch.setattr(ingest, "BULK_BYTES", 0)  # a cold index: summaries first, text after
    monkeypatch.setattr(jsonl, "_loads", None)
    monkeypatch.setattr(jsonl, "_fast", False)
    monkeypatch.setattr(jsonl, "_errors", (ValueError, RecursionError))
    conn = store.connect()
    assert refresh(conn).complete and texts.lagging(conn) == 3
    read = writes._read_texts

    def spoiled(parsed):
        found = read(parsed)
        if parsed.job.path.endswith("s1.jsonl"):
            found[0].ts = object()
        return found

    monkeypatch.setattr(writes, "_read_texts", spoiled)
    assert texts.catch_up(conn) == 0  # every file's text was dealt with, none read again
    stored = {r[0] for r in conn.execute("SELECT text FROM texts")}
    assert stored == {"quokka number 0", "quokka number 2"}
