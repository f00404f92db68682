"""Tests for axi.pricing and its genai-prices snapshot."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

from axi.pricing import Price, _active_rates, estimate_cost, lookup, snapshot_info

ROOT = Path(__file__).resolve().parents[2]
SNAPSHOT = ROOT / "axi" / "pricing" / "prices.json"
HAS_GENAI_PRICES = importlib.util.find_spec("genai_prices") is not None
needs_genai_prices = pytest.mark.skipif(not HAS_GENAI_PRICES, reason="genai-prices not installed")

# Values as genai-prices 0.2.3 states them: (matched id, input, output,
# cache read, cache write, context window, tiered).
CORPUS = {
    "claude-opus-4-8": ("claude-opus-4-8", 5, 25, 0.5, 6.25, 1_000_000, False),
    "claude-sonnet-4-5": ("claude-sonnet-4-5", 3, 15, 0.3, 3.75, 200_000, True),
    "gpt-5-codex": ("gpt-5", 1.25, 10, 0.125, None, 400_000, False),
    "gpt-5.1-codex-mini": ("gpt-5.1-codex-mini", 0.25, 2, 0.025, None, 400_000, False),
    "claude-opus-4-1": ("claude-opus-4-1", 15, 75, 1.5, 18.75, 200_000, False),
}


def run(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def fields(price: Price) -> tuple:
    return (
        price.matched_id,
        price.input,
        price.output,
        price.cache_read,
        price.cache_write,
        price.context_window,
        price.tiered,
    )


@pytest.mark.skipif(snapshot_info()["version"] != "0.2.3", reason="values of genai-prices 0.2.3")
@pytest.mark.parametrize("model", sorted(CORPUS))
def test_known_models_have_the_source_prices(model):
    price = lookup(model)
    assert price is not None
    assert fields(price) == CORPUS[model]


@pytest.mark.parametrize(
    ("model", "provider", "matched"),
    [
        ("claude-opus-4-8[1m]", None, "claude-opus-4-8"),
        ("anthropic/claude-sonnet-4-5", None, "claude-sonnet-4-5"),
        ("claude-sonnet-4-5-20250929", None, "claude-sonnet-4-5"),
        ("claude-sonnet-4-5@20250929", None, "claude-sonnet-4-5"),
        ("  Claude-Sonnet-4-5 ", None, "claude-sonnet-4-5"),
        ("gpt-5-codex", "openai", "gpt-5"),
        ("gpt-5-codex", "fakellm", "gpt-5"),
        ("gpt-5.1-codex-mini", "OpenAI", "gpt-5.1-codex-mini"),
        ("openai/gpt-5.1-codex-mini", "opencode", "gpt-5.1-codex-mini"),
        ("gpt-5.2-20251211", None, "gpt-5.2"),
        ("gpt-5.2-2025-12-11", None, "gpt-5.2"),
    ],
)
def test_normalised_ids_resolve(model, provider, matched):
    price = lookup(model, provider)
    assert price is not None
    assert price.matched_id == matched


def test_one_m_suffix_sets_the_context_window():
    assert lookup("claude-sonnet-4-5").context_window == 200_000
    assert lookup("claude-sonnet-4-5[1m]").context_window == 1_000_000


def test_provider_hint_picks_that_providers_table():
    price = lookup("anthropic/claude-sonnet-4.5", "openrouter")
    assert price is not None
    assert price.provider == "openrouter"
    assert lookup("claude-sonnet-4-5", "anthropic").provider == "anthropic"


@pytest.mark.parametrize(
    ("model", "provider"),
    [
        ("fake-model", None),
        ("fake-model", "fakellm"),
        ("fakellm/fake-model", None),
        ("claude-fake-sonnet", None),
        ("claude-fake-sonnet", "anthropic"),
        ("", None),
        ("[1m]", None),
        ("no-such-model-xyz", "openai"),
    ],
)
def test_unknown_models_are_none(model, provider):
    assert lookup(model, provider) is None


def test_estimate_uses_each_rate():
    price = lookup("claude-sonnet-4-5")
    usd, partial = estimate_cost(price, 1_000_000, 1_000_000, 1_000_000, 1_000_000)
    expected = price.input + price.output + price.cache_read + price.cache_write
    assert usd == pytest.approx(expected)
    assert not partial


def test_missing_cache_price_bills_input_rate():
    price = Price(2.0, 8.0, None, None, None, "m", "p")
    usd, partial = estimate_cost(price, cache_read=500_000, cache_write=500_000)
    assert usd == pytest.approx(2.0)
    assert not partial


def test_missing_parts_make_the_estimate_partial():
    price = Price(1.0, None, None, None, None, "m", "p")
    usd, partial = estimate_cost(price, input=1_000_000, output=10)
    assert usd == pytest.approx(1.0)
    assert partial


def test_no_known_rate_is_unknown_not_zero():
    price = Price(None, None, None, None, None, "m", "p")
    assert estimate_cost(price, input=10, output=10) == (None, True)
    assert estimate_cost(price) == (0.0, False)


def test_time_constraints_pick_the_last_active_row():
    rows = [[None, 1], ["2026-03-13", 2], ["00:30-16:30", 3], ["22:00-02:00", 4]]
    assert _active_rates(rows, datetime(2026, 1, 1, 20))[0] == 1
    assert _active_rates(rows, datetime(2026, 3, 13, 20))[0] == 2
    assert _active_rates(rows, datetime(2026, 1, 1, 12))[0] == 3
    assert _active_rates(rows, datetime(2026, 1, 1, 1))[0] == 4
    assert _active_rates([["2030-01-01", 5]], datetime(2026, 1, 1)) == [5, None, None, None, None]


def test_snapshot_info_cites_the_source():
    info = snapshot_info()
    assert info["source"] == "genai-prices"
    assert info["version"] and info["generated"]
    assert info["models"] > 1000


def test_snapshot_is_small():
    assert SNAPSHOT.stat().st_size < 300_000


def test_import_stays_light():
    code = (
        "import sys, axi.pricing as p; p.lookup('claude-sonnet-4-5'); "
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('genai_prices', 'pydantic', 'httpx')); print(heavy)"
    )
    result = run("-c", code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


@needs_genai_prices
def test_snapshot_is_current():
    result = run("scripts/refresh_prices.py", "--check")
    assert result.returncode == 0, result.stderr


@needs_genai_prices
@pytest.mark.parametrize("model", sorted(CORPUS))
def test_estimate_agrees_with_genai_prices(model):
    from genai_prices import Usage, calc_price

    fresh, output, cache_read, cache_write = 1000, 300, 200, 100
    usage = Usage(
        input_tokens=fresh + cache_read + cache_write,
        cache_read_tokens=cache_read,
        cache_write_tokens=cache_write,
        output_tokens=output,
    )
    expected = calc_price(usage, model)
    price = lookup(model)
    assert price.matched_id == expected.model.id
    usd, partial = estimate_cost(price, fresh, output, cache_read, cache_write)
    assert not partial
    assert usd == pytest.approx(float(expected.total_price))
