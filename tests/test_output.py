"""The output boundary: TOON states what every row shares once; JSON keeps exact values."""

from __future__ import annotations

import json

from support import decode_strict

from axi.output import encode
from axi.shown import Table
from axi.views import age, count_line, tokens


def rows() -> Table:
    return Table([{"id": "a1", "status": "idle", "age": age(100, now=220), "dir": "/w/p/x"},
                  {"id": "b2", "status": "idle", "age": age(100, now=220), "dir": "/w/p/y"},
                  {"id": "c3", "status": "idle", "age": age(10, now=220), "dir": "/w/p"}],
                 liftable=("status", "age", "dir"), folder_key="dir")


def test_toon_states_a_shared_column_once_and_a_common_folder_once():
    data = decode_strict(encode({"count": count_line(3, 9), "sessions": rows()}) + "\n")
    assert data == {"count": "3 of 9 total", "same": {"status": "idle"}, "under": "/w/p",
                    "sessions": [{"id": "a1", "age": "2m", "dir": "x"},
                                 {"id": "b2", "age": "2m", "dir": "y"},
                                 {"id": "c3", "age": "3m", "dir": "."}]}
    assert list(data) == ["count", "same", "under", "sessions"]


def test_a_single_row_or_differing_folders_are_left_as_they_are():
    one = Table([{"id": "a1", "status": "idle", "dir": "/w"}], liftable=("status",),
                folder_key="dir")
    assert decode_strict(encode({"sessions": one}) + "\n") == {
        "sessions": [{"id": "a1", "status": "idle", "dir": "/w"}]}
    apart = Table([{"id": "a", "dir": "/x/1"}, {"id": "b", "dir": "~/y"}], folder_key="dir")
    assert "under" not in decode_strict(encode({"sessions": apart}) + "\n")


def test_json_gets_numbers_for_counts_and_raw_values_beside_short_forms():
    data = json.loads(encode({"count": count_line(3, 9) + " in ~/p", "sessions": rows(),
                              "tokens": tokens(58_312)}, "json"))
    assert (data["count"], data["total"], data["count_scope"]) == (3, 9, "in ~/p")
    assert data["tokens"] == "58.3k" and data["tokens_exact"] == 58_312
    first = data["sessions"][0]
    assert first == {"id": "a1", "status": "idle", "age": "2m", "age_seconds": 120,
                     "dir": "/w/p/x"}


def test_json_folders_are_absolute(monkeypatch, tmp_path):
    from axi.paths import tilde

    monkeypatch.setenv("HOME", str(tmp_path))
    shown = tilde(str(tmp_path / "work"))
    assert shown == "~/work"
    assert json.loads(encode({"dir": shown}, "json")) == {"dir": str(tmp_path / "work")}


def test_a_count_never_replaces_a_key_of_the_data():
    data = json.loads(encode({"count": count_line(2, 4), "total": {"sessions": 9}}, "json"))
    assert data == {"count": 2, "count_total": 4, "total": {"sessions": 9}}
