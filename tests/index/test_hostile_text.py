"""Text nobody here wrote is stored and shown safely, and one bad record costs only itself."""

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

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
PROJ = ".claude/projects/-home-dev-work-projX"
SID = "aaaaaaaa-0000-4000-8000-000000000001"
# The escape as Codex and others write it: half of U+1F600 (grinning face), the rest cut off.
LONE = "\\ud83d"


def claude_line(text_json: str, session: str = SID, extra: str = "") -> bytes:
    """A Claude user line whose content is the raw JSON string literal `text_json`."""
    return (f'{{"type":"user","sessionId":"{session}","cwd":"/home/dev/work/projX",'
            f'"timestamp":"2026-11-21T23:00:00.000Z","uuid":"u1"{extra},'
            f'"message":{{"role":"user","content":{text_json}}}}}\n').encode()


def write(home: Path, name: str, *lines: bytes) -> Path:
    folder = home / PROJ
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.jsonl"
    path.write_bytes(b"".join(lines))
    return path


def test_a_lone_surrogate_in_one_transcript_leaves_every_command_working(axi, corpus_home):
    write(corpus_home, SID, claude_line(f'"truncated emoji {LONE} here"'))
    listing = axi("sessions", "--all", "--limit", "100")
    assert listing.code == 0, listing.stdout
    rows = {r["id"]: r for r in listing.data["sessions"]}
    assert rows[SID[:8]]["title"] == "truncated emoji \ufffd here"
    assert len(rows) == 23  # the rest of the machine's sessions are all still there
    assert axi().code == 0
    found = axi("sessions", "search", "truncated")
    assert found.code == 0 and found.data["count"].startswith("1 ")
    assert axi("sessions", "read", SID[:8]).code == 0


def test_a_valid_escaped_pair_is_joined_not_replaced(axi, home):
    write(home, SID, claude_line('"smile \\ud83d\\ude00 ok"'))
    assert axi("sessions", "--all").data["sessions"][0]["title"] == "smile \U0001F600 ok"


def test_the_real_process_prints_it_whatever_the_locale(home):
    write(home, SID, claude_line(f'"cut {LONE}"'))
    env = {**os.environ, "PYTHONIOENCODING": "ascii", "LC_ALL": "C"}
    done = subprocess.run([sys.executable, "-m", "axi", "sessions", "--all"], env=env,
                          capture_output=True, timeout=60)
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    assert b"Traceback" not in done.stderr


def test_controls_bidi_and_zero_width_never_reach_the_output(axi, home):
    write(home, SID, claude_line(json.dumps("a\u202eb\u200bc\x85d\x7fe\x1b[31mf\u2066g")))
    title = axi("sessions", "--all").data["sessions"][0]["title"]
    # A one-line cell folds every control character (NEL, DEL, ESC) into a space; the
    # invisible bidi and zero-width ones are dropped.
    assert title == "abc d e [31mfg"
    as_json = axi("sessions", "--all", "--format", "json").stdout
    assert "\u202e" not in as_json and "\x85" not in as_json


def test_an_unsafe_session_id_is_replaced_by_a_derived_one_and_reported(axi, home):
    hostile = "$(id>P)x-1"
    codex = home / ".codex/sessions/2026/11/21"
    codex.mkdir(parents=True)
    meta = {"timestamp": "2026-11-21T23:00:00.000Z", "type": "session_meta",
            "payload": {"id": hostile, "cwd": "/home/dev/work/projX"}}
    prompt = {"timestamp": "2026-11-21T23:00:01.000Z", "type": "response_item",
              "payload": {"type": "message", "role": "user",
                          "content": [{"type": "input_text", "text": "hello"}]}}
    (codex / "rollout-2026-11-21T23-00-00-x.jsonl").write_text(
        json.dumps(meta) + "\n" + json.dumps(prompt) + "\n")
    conn = store.connect()
    report = refresh(conn)
    assert any("not a safe id" in w for w in report.warnings)
    ids = [r[0] for r in conn.execute("SELECT id FROM sessions")]
    assert len(ids) == 1 and ids[0].startswith("x-") and "$" not in ids[0]
    listing = axi("sessions", "--all")
    assert "$(" not in listing.stdout
    assert axi("sessions", "view", ids[0]).code == 0


def test_an_unsafe_claude_file_name_maps_alike_for_parent_and_child(home):
    write(home, "$(touch P)", claude_line('"parent"', session="$(touch P)"))
    conn = store.connect()
    refresh(conn)
    (sid,) = conn.execute("SELECT id FROM sessions").fetchone()
    assert sid.startswith("x-")


def test_a_record_of_the_wrong_shape_costs_only_that_record(axi, home):
    write(home, SID,
          claude_line('"first"'),
          b'{"type":"assistant","sessionId":"' + SID.encode() + b'","message":[1,2,3]}\n',
          b'{"type":"assistant","sessionId":"' + SID.encode() + b'","message":{"usage":"x",'
          b'"content":{"a":1},"model":7,"id":[]},"timestamp":42}\n',
          b'{"type":"user","sessionId":"' + SID.encode() + b'","message":{"content":[{"type":'
          b'"text","text":{"deep":1}}]},"cwd":["not","a","dir"]}\n',
          claude_line('"second"'))
    view = axi("sessions", "view", SID[:8])
    assert view.code == 0, view.stdout
    assert view.data["turns"] == 2


def test_json_nested_100k_deep_is_one_skipped_line(axi, home):
    deep = b'{"type":"user","message":' + b'[' * 100_000 + b']' * 100_000 + b'}\n'
    write(home, SID, claude_line('"before"'), deep, claude_line('"after"'))
    view = axi("sessions", "view", SID[:8])
    assert view.code == 0 and view.data["turns"] == 2


def opencode_home(home: Path) -> Path:
    shutil.copytree(CORPUS / "opencode" / "home", home, dirs_exist_ok=True)
    return home / ".local/share/opencode/opencode.db"


def test_opencode_invalid_utf8_and_surrogates_in_the_database(axi, home):
    db = opencode_home(home)
    conn = sqlite3.connect(db)
    conn.execute("UPDATE session SET title = CAST(X'6261642dff2d7469746c65' AS TEXT) "
                 "WHERE id = 'ses_dff8e15f2ffeUEZQQPC3OmIPeW'")
    row = conn.execute("SELECT id, data FROM part WHERE data LIKE '%\"text\"%' "
                       "AND session_id = 'ses_dff8e8c8affesBfsgBG6wdOO97' LIMIT 1").fetchone()
    data = json.loads(row[1])
    data["text"] = "part text"
    conn.execute("UPDATE part SET data = ? WHERE id = ?",
                 (json.dumps(data).replace("part text", f"part {LONE} text"), row[0]))
    conn.commit()
    conn.close()
    listing = axi("sessions", "--all", "--fields", "title")
    assert listing.code == 0, listing.stdout
    titles = {r["id"]: r["title"] for r in listing.data["sessions"]}
    assert titles["ses_dff8e15f"] == "bad-\ufffd-title"
    assert len(titles) == 5
    found = axi("sessions", "search", "part")
    assert found.code == 0, found.stdout
