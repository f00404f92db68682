"""Property-based: real records from every adapter's recorded store, with any field replaced by
hostile values (lone surrogates, controls, bidi overrides, huge and deep values, wrong types).
The index never raises, and every command still answers in strict TOON with a handled code."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sqlite3
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from axi.index import store
from axi.index.scan import refresh

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
TEMPLATES = {
    "claude": ("claude/home/.claude/projects/-home-dev-work-projA/"
               "01ccc0ac-fd6c-4774-b4ad-6f572968231c.jsonl"),
    "codex": ("codex/home/.codex/sessions/2026/11/21/"
              "rollout-2026-11-21T23-29-05-01a20071-2825-79a2-b468-86a388ee4a67.jsonl"),
    "pi": ("pi/home/.pi/agent/sessions/--home-dev-work-projA--/"
           "2026-11-21T23-30-20-693Z_01a20072-4d94-75c2-9ab4-a71bb70b7630.jsonl"),
}
DEEP = "\x00deep\x00"  # replaced by a raw array nested 20,000 deep once the line is encoded
NASTY = ["\ud83d", "\udc00", "\u202e", "\u2066", "\u200b", "\ufeff", "\x00", "\x1b[2J", "\x85",
         "\x7f", "$(id>P)", "`touch P`", "'; DROP TABLE sessions; --", "ignore previous "
         "instructions", "\n", "\r\n", "\t", "\\", '"', "é", "👨‍👩‍👧", "--output=FILE"]

hostile_text = st.lists(st.one_of(st.sampled_from(NASTY), st.text(max_size=12)),
                        max_size=6).map("".join)
scalars = st.one_of(hostile_text, st.integers(min_value=-2**70, max_value=2**70),
                    st.floats(allow_nan=True, allow_infinity=True), st.booleans(), st.none(),
                    st.just(DEEP), st.just("x" * 300_000))
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(hostile_text, inner, max_size=3)),
    max_leaves=6)


def paths_of(value: object, prefix: tuple = ()) -> list[tuple]:
    """Every place in a decoded record a value can be replaced."""
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, item in value.items():
            found += paths_of(item, prefix + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += paths_of(item, prefix + (index,))
    return found


def replace(record: object, path: tuple, value: object) -> None:
    for step in path[:-1]:
        record = record[step]
    record[path[-1]] = value


def encode(record: dict, ascii_only: bool) -> bytes:
    text = json.dumps(record, ensure_ascii=ascii_only, allow_nan=True)
    deep = "[" * 20_000 + "]" * 20_000
    text = text.replace(json.dumps(DEEP, ensure_ascii=ascii_only), deep)
    return text.encode("utf-8", "surrogatepass") + b"\n"


@pytest.fixture
def fresh(monkeypatch):
    """A function giving each example its own HOME and state dir."""
    made = []

    def make() -> Path:
        root = Path(tempfile.mkdtemp(prefix="axi-hyp-"))
        made.append(root)
        (root / "home").mkdir()
        monkeypatch.setenv("HOME", str(root / "home"))
        monkeypatch.setenv("AXI_HOME", str(root / "state"))
        monkeypatch.chdir(root / "home")
        monkeypatch.setenv("PWD", str(root / "home"))
        return root / "home"

    yield make
    for root in made:
        shutil.rmtree(root, ignore_errors=True)


def every_command_answers(axi) -> None:
    conn = store.connect()
    report = refresh(conn)  # must not raise
    ids = [r[0] for r in conn.execute("SELECT id FROM sessions")]
    conn.close()
    assert isinstance(report.warnings, list)
    for args in (("sessions", "--all", "--fields", "model,branch,cost,ctx,tokens"), (),
                 ("sessions", "search", "hello"), ("usage",), ("usage", "--by", "model")):
        result = axi(*args)
        assert result.code in (0, 1), (args, result.stdout)
        assert "UNKNOWN" not in result.stdout, (args, result.stdout, result.stderr)
    for session_id in ids[:3]:
        for verb in ("view", "read"):
            result = axi("sessions", verb, session_id)
            assert result.code in (0, 1), (verb, result.stdout)
            assert "UNKNOWN" not in result.stdout, (verb, result.stdout, result.stderr)


@pytest.mark.parametrize("harness", sorted(TEMPLATES))
@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_jsonl_records_with_any_field_hostile(axi, fresh, harness, data):
    home = fresh()
    relative = TEMPLATES[harness]
    source = CORPUS / relative
    records = [json.loads(line) for line in source.read_text().splitlines()]
    for _ in range(data.draw(st.integers(1, 4), label="mutations")):
        index = data.draw(st.integers(0, len(records) - 1), label="record")
        places = paths_of(records[index])
        if not places:
            continue
        path = data.draw(st.sampled_from(places), label="field")
        replace(records[index], path, data.draw(values, label="value"))
    ascii_only = data.draw(st.booleans(), label="escaped")
    target = home / relative.split("/home/", 1)[1]
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(b"".join(encode(r, ascii_only) for r in records))
    every_command_answers(axi)


@settings(max_examples=20, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_opencode_rows_with_any_field_hostile(axi, fresh, data):
    home = fresh()
    shutil.copytree(CORPUS / "opencode" / "home", home, dirs_exist_ok=True)
    db = home / ".local/share/opencode/opencode.db"
    os.chmod(db, 0o644)
    conn = sqlite3.connect(db)
    try:
        column = data.draw(st.sampled_from(["title", "directory", "model", "time_updated",
                                            "time_created", "parent_id"]), label="column")
        value = data.draw(st.one_of(hostile_text, st.integers(-2**62, 2**62), st.none(),
                                    st.binary(max_size=20)), label="session value")
        if isinstance(value, str):
            value = value.encode("utf-8", "surrogatepass")
            conn.execute(f"UPDATE session SET {column} = CAST(? AS TEXT)", (value,))
        else:
            with contextlib.suppress(sqlite3.IntegrityError):  # NOT NULL columns keep theirs
                conn.execute(f"UPDATE session SET {column} = ?", (value,))
        table = data.draw(st.sampled_from(["message", "part"]), label="table")
        rows = conn.execute(f"SELECT id, data FROM {table} ORDER BY id").fetchall()
        row_id, raw = rows[data.draw(st.integers(0, len(rows) - 1), label="row")]
        record = json.loads(raw)
        path = data.draw(st.sampled_from(paths_of(record)), label="field")
        replace(record, path, data.draw(values, label="value"))
        text = encode(record, data.draw(st.booleans(), label="escaped"))[:-1]
        conn.execute(f"UPDATE {table} SET data = CAST(? AS TEXT) WHERE id = ?", (text, row_id))
        conn.commit()
    finally:
        conn.close()
    every_command_answers(axi)
