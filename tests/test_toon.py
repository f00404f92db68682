"""axi's TOON encoder writes exactly what python-toon writes for the same plain value."""

from __future__ import annotations

import math

import toon as reference
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import decode_strict

from axi import toon

# Strings that sit on every quoting rule's edge.
EDGES = ["", " ", "a ", " a", "-", "-x", "#x", "null", "true", "false", "1", "-1", "+1", "01",
         "1.5", "1.", ".5", "1e5", "1E-5", "1e", "e5", "1.2.3", "a:b", 'say "hi"', "a,b", "[x]",
         "{x}", "back\\slash", "tab\there", "line\nnext", "cr\r", "\x01", "\x7f", "é", "٣",
         "日本", "🙂", "a.b", "_x", "x_1", "1x", "ok", "key with space", "\u200d"]

text = st.one_of(st.sampled_from(EDGES), st.text(max_size=12))
names = st.one_of(st.sampled_from(EDGES[:20] + ["id", "name", "a.b", "_k"]),
                  st.text(max_size=6))
numbers = st.one_of(st.integers(), st.floats(allow_nan=True, allow_infinity=True),
                    st.sampled_from([0.0, -0.0, 1e-7, 1e-6, 1.5e-5, 1e20, 1e21, 2.5e22, -3e-9,
                                     123456789.125, 1e16]))
leaf = st.one_of(st.none(), st.booleans(), numbers, text)


def uniform_rows(children):
    """Lists of objects sharing their keys, so the tabular and keyed forms are exercised."""
    return st.lists(names, min_size=1, max_size=4, unique=True).flatmap(
        lambda keys: st.lists(st.fixed_dictionaries({k: children for k in keys}),
                              min_size=1, max_size=4))


values = st.recursive(
    leaf,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(names, children, max_size=4),
        uniform_rows(leaf),
        uniform_rows(st.fixed_dictionaries({"x": leaf, "y": leaf})),
        uniform_rows(children).map(lambda rows: {str(i): row for i, row in enumerate(rows)}),
    ),
    max_leaves=25,
)


@settings(max_examples=600, suppress_health_check=[HealthCheck.too_slow])
@given(values)
def test_same_text_as_python_toon(value):
    assert toon.encode(value) == reference.encode(value)


@settings(max_examples=200)
@given(st.dictionaries(names, values, min_size=1, max_size=4))
def test_reads_back_strictly(value):
    assert decode_strict(toon.encode(value) + "\n") == _as_decoded(value)


def _as_decoded(value):
    """What a decoder gives back: -0, NaN and the infinities are written as 0 and null."""
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return None
        return 0 if value == 0 else value
    if isinstance(value, dict):
        return {k: _as_decoded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_decoded(v) for v in value]
    return value


def test_shapes_by_hand():
    data = {"count": "2 of 3", "rows": [{"id": "a", "n": 1}, {"id": "b,c", "n": 2.5}],
            "tags": ["x", "true", ""], "empty": [], "nested": {"k": None},
            "mixed": [1, {"a": 1, "b": [1, 2]}, [3, 4], []]}
    assert toon.encode(data) == (
        'count: 2 of 3\n'
        'rows[2]{id,n}:\n'
        '  a,1\n'
        '  "b,c",2.5\n'
        'tags[3]: x,"true",""\n'
        'empty: []\n'
        'nested:\n'
        '  k: null\n'
        'mixed[4]:\n'
        '  - 1\n'
        '  - a: 1\n'
        '    b[2]: 1,2\n'
        '  - [2]: 3,4\n'
        '  - [0]:'
    )
