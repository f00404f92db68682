"""Parser state written by a cold index (msgspec's encoder) reads back as the same value the
standard library's text does, lone surrogates and all."""

from __future__ import annotations

import json

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from axi.harnesses import jsonl

scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.text(),
                    st.floats(allow_nan=False, allow_infinity=False),
                    st.sampled_from(["\ud83d", "\x00", "é", "日", "\u2028"]))
states = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=5), st.dictionaries(st.text(max_size=8), inner, max_size=5)),
    max_leaves=30)


@pytest.fixture
def bulk_encoder(monkeypatch):
    monkeypatch.setattr(jsonl, "_encode", msgspec.json.Encoder().encode)


@given(states)
def test_state_written_in_bulk_reads_back_as_the_stdlib_text_does(value):
    encode = msgspec.json.Encoder().encode
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(jsonl, "_encode", encode)
        written = jsonl.dumps(value)
    stdlib = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    assert json.loads(written) == json.loads(stdlib)


def test_a_lone_surrogate_falls_back_to_the_stdlib_text(bulk_encoder):
    state = {"title": "cut emoji \ud83d", "usage": {"1|m": [1, 2, 3, 4, None, None]}}
    assert jsonl.dumps(state) == json.dumps(state, ensure_ascii=False, separators=(",", ":"))


def test_bulk_state_is_compact_utf8_text(bulk_encoder):
    assert jsonl.dumps({"dir": "/w/日本", "n": [1, 2.5, None, True]}) == \
        '{"dir":"/w/日本","n":[1,2.5,null,true]}'
