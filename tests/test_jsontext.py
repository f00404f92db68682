"""`axi.jsontext` gives what `json` gives: the same values parsed, the same errors refused, the
same text written, on generated values and on the hostile shapes a hook's stdin may hold."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from axi import jsontext

scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.text(),
                    st.floats(allow_nan=False), st.sampled_from(["\ud83d", "\x00", "é", "日"]))
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=5), st.dictionaries(st.text(max_size=8), inner, max_size=5)),
    max_leaves=30)


@given(values)
def test_loads_reads_what_json_writes(value):
    for ascii_only in (True, False):
        text = json.dumps(value, ensure_ascii=ascii_only)
        assert jsontext.loads(text) == json.loads(text)
        encoded = text.encode("utf-8", "surrogatepass")
        assert jsontext.loads(encoded) == json.loads(encoded)


@given(values, st.booleans(), st.sampled_from([(", ", ": "), (",", ":")]), st.booleans())
def test_dumps_writes_what_json_writes(value, ascii_only, separators, sort_keys):
    assert jsontext.dumps(value, ensure_ascii=ascii_only, separators=separators,
                          sort_keys=sort_keys) == json.dumps(
        value, ensure_ascii=ascii_only, separators=separators, sort_keys=sort_keys)


@given(st.text(max_size=40))
def test_any_text_is_refused_or_read_as_json_reads_it(text):
    try:
        expected = json.loads(text)
    except (ValueError, RecursionError) as exc:
        with pytest.raises(type(exc) if isinstance(exc, RecursionError) else ValueError):
            jsontext.loads(text)
    else:
        got = jsontext.loads(text)
        assert got == expected or (isinstance(got, float) and math.isnan(got))


@pytest.mark.parametrize("text", [
    "", " ", "{", '{"a": 1} x', '{"a": "\\ud83d"', '"\x01"', "[1,]", "\ufeff{}", "nul",
    '{"a": 1}{"b": 2}', "01", "1e", '"\\x"', "[" * 100_000,
])
def test_malformed_text_is_refused_like_json(text):
    with pytest.raises((ValueError, RecursionError)) as ours:
        jsontext.loads(text)
    with pytest.raises((ValueError, RecursionError)) as theirs:
        json.loads(text)
    assert isinstance(ours.value, RecursionError) == isinstance(theirs.value, RecursionError)


def test_constants_and_boms_read_as_json_reads_them():
    assert math.isinf(jsontext.loads("-Infinity")) and math.isnan(jsontext.loads("[NaN]")[0])
    assert jsontext.loads(b"\xef\xbb\xbf{\"a\": 1}") == json.loads(b"\xef\xbb\xbf{\"a\": 1}")
    utf16 = '{"a": "é"}'.encode("utf-16")
    assert jsontext.loads(utf16) == {"a": "é"}


def test_what_json_cannot_write_is_refused():
    with pytest.raises(TypeError):
        jsontext.dumps({"a": object()})
    with pytest.raises(ValueError):
        circular: list = []
        circular.append(circular)
        jsontext.dumps(circular)


def test_without_the_c_core_the_stdlib_does_it(monkeypatch):
    """A Python whose `json` has no `_json`: both fall back to `json` itself."""
    import importlib.util
    import sys

    monkeypatch.setitem(sys.modules, "_json", None)  # `import _json` raises ImportError
    spec = importlib.util.spec_from_file_location("jsontext_without_c", jsontext.__file__)
    bare = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bare)  # a fresh module: nothing left from the real import
    assert bare.make_encoder is None
    value = {"a": ["é", 1.5, None, True]}
    for ascii_only in (True, False):
        assert bare.dumps(value, ensure_ascii=ascii_only, separators=(",", ":")) == (
            json.dumps(value, ensure_ascii=ascii_only, separators=(",", ":")))
    assert bare.loads('{"a": ["\\u00e9"]}') == {"a": ["é"]}
    with pytest.raises(ValueError):
        bare.loads("{")
