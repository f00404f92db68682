"""The index re-reads only what changed, from where it stopped, and survives concurrency."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

from axi.index import store
from axi.index.scan import refresh

SESSION = "cb4228d5-fe8a-4429-b9c5-afb1e5530257"


def transcript(home: Path) -> Path:
    return home / ".claude/projects/-home-dev-work-projA" / f"{SESSION}.jsonl"


def row(conn: sqlite3.Connection, ident: str = SESSION) -> sqlite3.Row:
    return conn.execute("SELECT * FROM sessions WHERE id = ?", (ident,)).fetchone()


def assistant_line(msg_id: str, text: str, output: int) -> str:
    return json.dumps({
        "type": "assistant", "sessionId": SESSION, "cwd": "/home/dev/work/projA",
        "timestamp": "2026-11-21T23:50:00.000Z", "uuid": msg_id, "requestId": "req_" + msg_id,
        "message": {"id": msg_id, "model": "claude-opus-4-8", "role": "assistant",
                    "stop_reason": "end_turn", "content": [{"type": "text", "text": text}],
                    "usage": {"input_tokens": 5, "output_tokens": output,
                              "cache_read_input_tokens": 100,
                              "cache_creation_input_tokens": 0}}}) + "\n"


def test_unchanged_files_are_not_read(corpus_home):
    conn = store.connect()
    first = refresh(conn)
    assert first.parsed_files == 23
    second = refresh(conn)
    assert second.parsed_files == 0 and second.parsed_bytes == 0


def test_growth_is_read_from_the_saved_offset(corpus_home):
    conn = store.connect()
    refresh(conn)
    before = row(conn)
    path = transcript(corpus_home)
    size = path.stat().st_size
    line = assistant_line("msg_new", "appended answer zebra", 7)
    with open(path, "a") as fh:
        fh.write(line)
    report = refresh(conn)
    assert report.parsed_files == 1
    assert report.parsed_bytes == len(line.encode())  # only the new bytes
    after = row(conn)
    assert after["output"] == before["output"] + 7
    assert after["cache_read"] == before["cache_read"] + 100
    offset = conn.execute("SELECT offset FROM files WHERE path = ?", (str(path),)).fetchone()[0]
    assert offset == size + len(line.encode())
    assert fts_hits(conn, "zebra") == 1


def test_a_torn_last_line_waits_for_its_end(corpus_home):
    conn = store.connect()
    refresh(conn)
    path = transcript(corpus_home)
    line = assistant_line("msg_torn", "half written", 9)
    with open(path, "a") as fh:
        fh.write(line[:40])
    refresh(conn)
    assert row(conn)["output"] == 40
    with open(path, "a") as fh:
        fh.write(line[40:])
    refresh(conn)
    assert row(conn)["output"] == 49


def test_shrunk_or_replaced_file_is_read_again(corpus_home):
    conn = store.connect()
    refresh(conn)
    path = transcript(corpus_home)
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(lines[:6]))  # the first prompt and its answer
    report = refresh(conn)
    assert report.parsed_files == 1
    assert row(conn)["turns"] == 1
    texts = conn.execute("SELECT count(*) FROM texts WHERE session_key = ?",
                         (f"claude:{SESSION}",)).fetchone()[0]
    assert texts == 2  # old texts replaced, not duplicated


def fts_hits(conn, word: str) -> int:
    store.catch_up_search(conn)
    return conn.execute("SELECT count(*) FROM texts_fts WHERE texts_fts MATCH ?",
                        (word,)).fetchone()[0]


def test_search_forgets_text_of_a_replaced_or_deleted_file(corpus_home):
    """Text indexed for search before a file was rewritten or removed is no longer found."""
    conn = store.connect()
    refresh(conn)
    path = transcript(corpus_home)
    with open(path, "a") as fh:
        fh.write(assistant_line("msg_gone", "quokka sighting", 3))
    refresh(conn)
    assert fts_hits(conn, "quokka") == 1
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(lines[:6]))
    refresh(conn)
    assert fts_hits(conn, "quokka") == 0
    assert fts_hits(conn, "main") > 0  # the rest of the corpus is still searchable
    path.unlink()
    refresh(conn)
    rows = conn.execute("SELECT count(*) FROM texts WHERE session_key = ?",
                        (f"claude:{SESSION}",)).fetchone()[0]
    assert rows == 0
    # Raises SQLITE_CORRUPT_VTAB when the full-text index disagrees with the stored text.
    conn.execute("INSERT INTO texts_fts (texts_fts) VALUES ('integrity-check')")


def test_a_corrupt_index_is_rebuilt(corpus_home):
    conn = store.connect()
    refresh(conn)
    conn.close()
    path = store.index_path()
    for suffix in ("-wal", "-shm"):
        if os.path.exists(path + suffix):
            os.unlink(path + suffix)
    with open(path, "r+b") as fh:
        fh.write(b"this is not a database" * 100)
    conn = store.connect()
    refresh(conn)
    assert row(conn)["turns"] > 0


def test_deleted_file_leaves_the_index(corpus_home):
    conn = store.connect()
    refresh(conn)
    transcript(corpus_home).unlink()
    report = refresh(conn)
    assert report.removed == 1
    assert row(conn) is None
    assert conn.execute("SELECT count(*) FROM usage WHERE session_key = ?",
                        (f"claude:{SESSION}",)).fetchone()[0] == 0


def test_deleted_opencode_store_leaves_the_index(corpus_home):
    conn = store.connect()
    refresh(conn)
    shutil.rmtree(corpus_home / ".local/share/opencode")
    refresh(conn)
    assert conn.execute("SELECT count(*) FROM sessions WHERE harness = 'opencode'"
                        ).fetchone()[0] == 0


def test_deleting_the_index_loses_nothing(corpus_home):
    conn = store.connect()
    refresh(conn)
    before = [tuple(r) for r in conn.execute("SELECT * FROM sessions ORDER BY key")]
    conn.close()
    for suffix in ("", "-wal", "-shm"):
        Path(str(store.index_path()) + suffix).unlink(missing_ok=True)
    conn = store.connect()
    refresh(conn)
    assert [tuple(r) for r in conn.execute("SELECT * FROM sessions ORDER BY key")] == before


def test_state_files_are_private(corpus_home):
    conn = store.connect()
    refresh(conn)
    index = Path(store.index_path())
    assert oct(index.stat().st_mode & 0o777) == "0o600"
    assert oct(index.parent.stat().st_mode & 0o777) == "0o700"


def test_many_processes_at_once_agree(corpus_home):
    """Eight axi processes race on a cold index while a transcript grows: no corruption,
    no double counting."""
    path = transcript(corpus_home)
    env = dict(os.environ)
    procs = [subprocess.Popen([sys.executable, "-m", "axi", "sessions", "--all"],
                              cwd=corpus_home, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE) for _ in range(8)]
    with open(path, "a") as fh:
        fh.write(assistant_line("msg_race", "raced", 3))
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err.decode()
    subprocess.run([sys.executable, "-m", "axi", "sessions", "--all"], cwd=corpus_home,
                   env=env, check=True, capture_output=True, timeout=120)
    conn = store.connect()
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert row(conn)["output"] == 43
    dupes = conn.execute("SELECT count(*) FROM (SELECT session_key, cursor FROM texts "
                         "GROUP BY session_key, cursor HAVING count(*) > 1)").fetchone()[0]
    assert dupes == 0
    assert conn.execute("SELECT count(*) FROM sessions").fetchone()[0] == 23


def test_an_old_session_resumed_here_is_seen_before_the_next_sweep(corpus_home):
    """A transcript older than a day that grows is re-read at once when its folder is shown."""
    from axi.index.catalog import scope_clause

    conn = store.connect()
    refresh(conn)
    path = transcript(corpus_home)
    old = path.stat().st_mtime - 3 * 86400
    os.utime(path, (old, old))
    conn.execute("UPDATE files SET mtime_ns = ? WHERE path = ?", (int(old * 1e9), str(path)))
    before = row(conn)["output"]
    with open(path, "a") as fh:
        fh.write(assistant_line("msg_resumed", "back again", 5))
    os.utime(path, (old, old))  # the append keeps the old mtime: only the size tells
    assert refresh(conn).parsed_files == 0  # the quick refresh looks at the last day only
    here = scope_clause([row(conn)["dir"]])
    assert refresh(conn, scope=here).parsed_files == 1
    assert row(conn)["output"] == before + 5


def _all_hot(home: Path, count: int) -> list[Path]:
    """The corpus's Claude transcripts, each made written within the last day (newest first,
    ten minutes apart)."""
    import time

    files = sorted((home / ".claude/projects").glob("*/*.jsonl"))[:count]
    now = time.time()
    for age, path in enumerate(files, 1):
        os.utime(path, (now - 600 * age, now - 600 * age))
    return files


def test_a_quick_refresh_stats_a_bounded_set_and_the_hooks_name_the_rest(
        corpus_home, monkeypatch):
    import time

    from axi.index import events, journal, scan

    monkeypatch.setattr(scan, "HOT_BUDGET", 2)
    files = _all_hot(corpus_home, 5)
    conn = store.connect()
    refresh(conn)  # the sweep: every file known, with its mtime
    refresh(conn)  # a quick refresh from here on
    oldest = files[-1]
    ident = oldest.stem
    before = row(conn, ident)
    with open(oldest, "a") as fh:
        fh.write(assistant_line("msg_late", "late answer", 9).replace(SESSION, ident))
    quick = refresh(conn)
    assert quick.parsed_files == 0  # not among the 2 written most recently: left for the sweep
    assert row(conn, ident)["output"] == before["output"]
    journal.record("state", "claude", ident, str(corpus_home), time.time(), "working")
    events.sync(conn)
    named = refresh(conn)
    assert named.parsed_files == 1 and row(conn, ident)["output"] == before["output"] + 9


def test_the_sweep_catches_what_the_bounded_refresh_left(corpus_home, monkeypatch):
    from axi.index import scan

    monkeypatch.setattr(scan, "HOT_BUDGET", 2)
    files = _all_hot(corpus_home, 5)
    conn = store.connect()
    refresh(conn)
    ident = files[-1].stem
    before = row(conn, ident)
    with open(files[-1], "a") as fh:
        fh.write(assistant_line("msg_late", "late answer", 9).replace(SESSION, ident))
    assert refresh(conn).parsed_files == 0
    assert refresh(conn, full=True).parsed_files == 1
    assert row(conn, ident)["output"] == before["output"] + 9


def test_a_sweep_planned_before_another_process_indexed_counts_each_byte_once(corpus_home):
    """The background sweep stats without the lock; what another process indexes meanwhile
    is not counted again when the sweep stores its (now stale) plan."""
    from axi.harnesses import all_harnesses
    from axi.index.scan import plan_sweep

    conn = store.connect()
    refresh(conn)
    before = row(conn)
    with open(transcript(corpus_home), "a") as fh:
        fh.write(assistant_line("msg_raced", "raced answer", 11))
    plan = plan_sweep(conn, all_harnesses())
    assert [j.path for j in plan.jobs] == [str(transcript(corpus_home))]
    refresh(store.connect(), full=True)  # another process, in between
    refresh(conn, full=True, plan=plan)
    assert row(conn)["output"] == before["output"] + 11


def test_a_file_whose_mtime_alone_moved_is_recorded_without_being_read(corpus_home):
    """A restored home folder or a `touch`: thousands of transcripts with new mtimes and the
    same bytes cost one UPDATE each, not a read."""
    import time

    conn = store.connect()
    refresh(conn)
    path = transcript(corpus_home)
    later = time.time() - 60
    os.utime(path, (later, later))
    report = refresh(conn, full=True)
    assert (report.parsed_files, report.parsed_bytes) == (0, 0)
    recorded = conn.execute("SELECT mtime_ns FROM files WHERE path = ?", (str(path),)).fetchone()
    assert recorded[0] == path.stat().st_mtime_ns
    assert refresh(conn, full=True).parsed_files == 0


def test_one_background_sweep_at_a_time(corpus_home):
    """A sweep stats every transcript before it takes the scan lock: a second one started
    meanwhile leaves at once instead of statting them all again."""
    from axi.index.lock import sweep_lock
    from axi.index.store import get_meta

    conn = store.connect()
    refresh(conn)
    swept = get_meta(conn, "swept_at")
    sweep = [sys.executable, "-m", "axi.index.sweep"]
    with sweep_lock() as alone:
        assert alone
        subprocess.run(sweep, timeout=60, check=True)
    assert get_meta(conn, "swept_at") == swept
    subprocess.run(sweep, timeout=60, check=True)
    assert float(get_meta(conn, "swept_at")) > float(swept)


def test_the_background_sweep_brings_search_up_to_date(corpus_home):
    """A first search after a cold index finds its text already indexed."""
    from axi.index.store import catch_up_search, get_meta

    conn = store.connect()
    refresh(conn)
    assert int(get_meta(conn, "fts_upto") or 0) == 0  # indexing never tokenises
    subprocess.run([sys.executable, "-m", "axi.index.sweep"], timeout=60, check=True)
    top = conn.execute("SELECT max(rowid) FROM texts").fetchone()[0]
    assert int(get_meta(conn, "fts_upto")) == top
    assert catch_up_search(conn) == 0


def test_search_catches_up_in_batches_to_the_same_index(corpus_home):
    from axi.index.store import catch_up_search

    conn = store.connect()
    refresh(conn)
    rows = conn.execute("SELECT count(*) FROM texts").fetchone()[0]
    assert catch_up_search(conn, batch=7) == rows
    hits = conn.execute("SELECT count(*) FROM texts_fts WHERE texts_fts MATCH 'hello'")
    assert hits.fetchone()[0] > 0


def test_a_search_only_sweep_touches_nothing_but_search(corpus_home):
    from axi.index.store import get_meta

    conn = store.connect()
    refresh(conn)
    swept = get_meta(conn, "swept_at")
    subprocess.run([sys.executable, "-m", "axi.index.sweep", "--search"], timeout=60, check=True)
    assert get_meta(conn, "swept_at") == swept
    top = conn.execute("SELECT max(rowid) FROM texts").fetchone()[0]
    assert int(get_meta(conn, "fts_upto")) == top
