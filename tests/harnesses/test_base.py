"""Shared adapter helpers: the timestamp reader every transcript line goes through."""

from __future__ import annotations

import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from axi.harnesses.base import parse_iso


@pytest.mark.parametrize("text", [
    "2026-11-21T23:28:47.917Z", "2026-11-21T23:28:47Z", "2026-11-21T23:28:47.917123Z",
    "2026-11-21T23:28:47+02:00", "2026-11-21 23:28:47.5-01:30", "2024-02-29T00:00:00.000Z",
    "1999-12-31T23:59:59.999+00:00",
])
def test_reads_what_fromisoformat_reads(text):
    expected = datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    assert parse_iso(text) == pytest.approx(expected, abs=1e-6)


@pytest.mark.parametrize("value", [None, 17, "", "bad", "2026-13-01T00:00:00Z",
                                   "2026-11-21Tab:cd:efZ", "2026-11-21T23:28:4x",
                                   "2026-11-21T23:28:47.9x7Z", "2026-11-21T23:28:4x.917Z"])
def test_unreadable_values_are_none(value):
    assert parse_iso(value) is None


def _lines_of_blocks(path: str, start: int) -> list:
    from axi.harnesses.base import iter_blocks

    out = []
    for offset, block, end in iter_blocks(path, start):
        if block is None:
            out.append((offset, None, end))
            continue
        at = offset
        for line in block.split(b"\n")[:-1]:
            out.append((at, line, at + len(line) + 1))
            at += len(line) + 1
    return out


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(0, 90), max_size=12), st.integers(1, 49), st.integers(0, 30),
       st.booleans())
def test_blocks_hold_the_lines_lines_give(tmp_path_factory, lengths, block, start, torn):
    """Whatever the block size (below MAX_LINE, as in use), blocks cut into lines are the lines
    `iter_lines` gives: the same offsets, and the same over-long lines left out as None."""
    from axi.harnesses import base

    body = b"".join(bytes([97 + n % 26]) * n + b"\n" for n in lengths) + (b"torn" if torn else b"")
    path = tmp_path_factory.mktemp("blocks") / "t.jsonl"
    path.write_bytes(body)
    start = min(start, len(body))
    start = body.rfind(b"\n", 0, start) + 1  # a read starts where a line does
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(base, "MAX_LINE", 50)
        patch.setattr(base, "BLOCK", block)
        assert _lines_of_blocks(str(path), start) == list(base.iter_lines(str(path), start))
