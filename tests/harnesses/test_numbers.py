"""Numbers a user can trust: one money format, reasoning as a part of output, HEAD no branch."""

from __future__ import annotations

import pytest

from axi.harnesses.base import SessionSummary, add_usage
from axi.index.vet import vet
from axi.views import money


@pytest.mark.parametrize(("usd", "shown"), [
    (0.0123449, "$0.0123"), (0.5, "$0.5000"), (0.0, "$0.0000"), (0.00001, "<$0.0001"),
    (0.99996, "$1.00"), (12.3456, "$12.35"), (1234.5, "$1,234.50"), (None, "unknown"),
])
def test_one_money_format(usd, shown):
    assert money(usd) == shown
    if usd is not None:
        assert money(usd, estimated=True) == f"{shown} (est)"


def test_a_recorded_zero_cost_is_no_price():
    """pi and opencode record cost 0 for a model they have no price for."""
    buckets: dict = {}
    add_usage(buckets, 3600.0, "m", 10, 5, 0, 0, cost=0.0, reasoning=2)
    add_usage(buckets, 3601.0, "m", 10, 5, 0, 0, cost=0.0, reasoning=None)
    assert buckets == {"1|m": [20, 10, 0, 0, None, 2]}
    add_usage(buckets, 3602.0, "m", 1, 1, 0, 0, cost=0.25)
    assert buckets["1|m"][4] == 0.25


def test_vet_keeps_reasoning_within_output_and_drops_head():
    s = SessionSummary("claude", "abcd1234", "/x", git_branch="HEAD",
                       usage={"1|m": [1, 5, 0, 0, None, 9], "2|m": [1, 5, 0, 0, None, 3],
                              "3|m": [1, 5, 0, 0, None]})
    vet(s)
    assert s.git_branch is None
    assert s.usage == {"1|m": [1, 5, 0, 0, None, None], "2|m": [1, 5, 0, 0, None, 3],
                       "3|m": [1, 5, 0, 0, None, None]}
