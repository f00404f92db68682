"""Shared adapter helpers: the timestamp reader every transcript line goes through."""

from __future__ import annotations

import datetime

import pytest

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
