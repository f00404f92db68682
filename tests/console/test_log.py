"""The diagnostic log: one line per entry, rotation under the cap, `axi log`'s filters and
follow, and the hook writing what it swallowed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

from axi import diaglog


def lines(folder) -> list[dict]:
    out = []
    for path in diaglog.files(str(folder)):
        if os.path.exists(path):
            with open(path, encoding="utf-8") as fh:
                out += [json.loads(line) for line in fh]
    return out


def test_an_error_is_one_json_line_with_its_traceback(home, tmp_path):
    try:
        raise ValueError("the journal is gone")
    except ValueError as exc:
        diaglog.note("hook", "start not recorded", exc)
    (entry,) = lines(tmp_path / "state" / "log")
    assert entry["level"] == "error" and entry["source"] == "hook"
    assert entry["error"] == "ValueError"
    assert entry["traceback"].endswith("ValueError: the journal is gone")
    assert entry["time"].endswith("Z") and len(entry["time"]) == 24
    mode = os.stat(tmp_path / "state" / "log" / "axi.log").st_mode & 0o777
    assert mode == 0o600


def test_the_same_error_in_a_loop_is_written_once_a_minute(home, tmp_path):
    for _ in range(50):
        diaglog.note("holder", "watch: database is locked", level="warn")
    assert len(lines(tmp_path / "state" / "log")) == 1


def test_it_never_raises(home, tmp_path, monkeypatch):
    (tmp_path / "state").mkdir(exist_ok=True)
    (tmp_path / "state" / "log").write_text("a file where the folder should be")
    diaglog.note("sweep", "lost", RuntimeError("x"))  # nowhere to write: silently dropped


def test_rotation_keeps_three_capped_files(home, tmp_path, monkeypatch):
    monkeypatch.setattr(diaglog, "MAX_BYTES", 2000)
    for i in range(200):
        diaglog.note("sweep", f"sweep {i:03d} failed", level="warn", at=1_800_000_000 + i)
    folder = tmp_path / "state" / "log"
    assert sorted(os.listdir(folder)) == ["axi.log", "axi.log.1", "axi.log.2", "axi.log.lock"]
    for name in ("axi.log", "axi.log.1", "axi.log.2"):
        assert 0 < os.path.getsize(folder / name) <= 2000
    kept = [e["message"] for e in lines(folder)]
    assert kept[-1] == "sweep 199 failed"  # the newest is kept, in order, without a gap
    numbers = [int(m.split()[1]) for m in kept]
    assert numbers == list(range(numbers[0], 200))


def test_concurrent_writers_never_tear_a_line(home, tmp_path):
    code = ("import sys\nfrom axi import diaglog\ndiaglog.MAX_BYTES = 20000\n"
            "for i in range(150):\n"
            "    diaglog.note('w' + sys.argv[1], 'x' * 100 + str(i), at=1.8e9 + i)\n")
    procs = [subprocess.Popen([sys.executable, "-c", code, str(n)]) for n in range(4)]
    assert [p.wait(timeout=60) for p in procs] == [0, 0, 0, 0]
    entries = lines(tmp_path / "state" / "log")  # json.loads fails on a torn line
    assert entries and all(e["message"].startswith("x" * 100) for e in entries)


def test_axi_log_lists_filters_and_snapshots(axi, home, tmp_path, snapshot):
    now = time.time()
    diaglog.note("sweep", "index sweep failed: database is locked", level="warn", at=now - 7200)
    try:
        raise OSError("No space left on device")
    except OSError as exc:
        diaglog.note("hook", "start of a claude session not recorded", exc, at=now - 60)
    diaglog.note("holder", "watch started", level="info", at=now - 30)
    every = axi("log")
    assert every.code == 0 and every.data["count"] == "3 of 3 total"
    errors = axi("log", "--level", "error")
    assert [e["source"] for e in errors.data["entries"]] == ["hook"]
    assert errors.data["entries"][0]["error"] == "OSError: No space left on device"
    recent = axi("log", "--since", "10m")
    assert [e["source"] for e in recent.data["entries"]] == ["hook", "holder"]
    newest = axi("log", "--limit", "1")
    assert newest.data["count"] == "1 of 3 total"
    full = axi("log", "--level", "error", "--format", "json")
    assert "Traceback" not in full.stdout  # the list shows the last line; the file has it all
    bad = axi("log", "--level", "loud")
    assert bad.code == 2 and bad.data["code"] == "USAGE"
    out = {name: {"exit": r.code, "stdout": _scrub(r.data, tmp_path)} for name, r in
           {"all": every, "errors": errors, "bad_level": bad}.items()}
    out["empty"] = {"stdout": _scrub(axi("log", "--level", "error", "--since", "1m").data,
                                     tmp_path)}
    assert out == snapshot


def _scrub(data, tmp_path):
    text = json.dumps(data).replace(str(tmp_path), "<tmp>")
    data = json.loads(text)
    for entry in data.get("entries", []) if isinstance(data.get("entries"), list) else []:
        entry["time"] = "<time>"
    return data


def test_follow_streams_new_entries_as_ndjson(home, tmp_path):
    proc = subprocess.Popen([sys.executable, "-m", "axi", "log", "--follow", "--timeout", "20"],
                            stdout=subprocess.PIPE, text=True)
    try:
        time.sleep(1.0)  # it starts at the end: what is written from now on
        for i in range(3):
            diaglog.note("sweep", f"failure {i}", level="warn")
        got = [json.loads(proc.stdout.readline()) for _ in range(3)]
    finally:
        proc.kill()
        proc.wait()
    assert [g["message"] for g in got] == ["failure 0", "failure 1", "failure 2"]


def test_the_hook_logs_what_it_swallowed(home, tmp_path):
    """A state dir the journal cannot be written in: the session still starts (exit 0), and
    `axi log` says why its start was not recorded."""
    state = tmp_path / "state"
    state.mkdir(exist_ok=True)
    (state / "sessions.jsonl").mkdir()  # the journal cannot be appended to
    payload = json.dumps({"session_id": "s1", "cwd": str(home), "hook_event_name": "Stop"})
    done = subprocess.run([sys.executable, "-m", "axi", "hook", "state", "--host", "claude"],
                          input=payload, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0
    entries = lines(state / "log")
    assert [(e["source"], e["level"], e["message"]) for e in entries] == [
        ("hook", "error", "state of a claude session not recorded: the journal could not be "
         "written")]
