"""What price table axi uses: where it comes from, how old it is, a model's prices, and which
models the catalog holds that it has no price for."""

from __future__ import annotations

import calendar
import sqlite3
import time

from axi import pricing

STALE_DAYS = 60  # past this, estimated costs say the table is old


def info(now: float) -> dict:
    """source, version, generated, age_days, models, url of the table in use."""
    data = pricing.snapshot_info()
    out = {"source": data.get("source"), "version": data.get("version"),
           "generated": data.get("generated"), "age_days": age_days(data.get("generated"), now),
           "models": data.get("models"), "url": data.get("url"),
           "table": "packaged snapshot (axi/pricing/prices.json)"}
    return out


def age_days(generated: object, now: float) -> int | None:
    if not isinstance(generated, str):
        return None
    try:
        at = calendar.timegm(time.strptime(generated[:10], "%Y-%m-%d"))
    except ValueError:
        return None
    return max(0, int((now - at) // 86400))


def model_prices(model: str, provider: str | None = None) -> dict | None:
    """USD per million tokens for `model` now (None: the table has no price for it)."""
    price = pricing.lookup(model, provider)
    if price is None:
        return None
    return {"model": model, "matched": price.matched_id, "provider": price.provider,
            "input": price.input, "output": price.output, "cache_read": price.cache_read,
            "cache_write": price.cache_write, "context_window": price.context_window,
            "tiered": price.tiered, "unit": "USD per 1M tokens"}


def used_models(conn: sqlite3.Connection) -> list[tuple[str, str | None, int]]:
    """(model, provider, sessions) for every model the catalog's sessions used."""
    rows = conn.execute(
        "SELECT u.model, s.provider, count(DISTINCT u.session_key) FROM usage u "
        "JOIN sessions s ON s.key = u.session_key WHERE u.model != '' "
        "GROUP BY u.model, s.provider ORDER BY u.model").fetchall()
    return [(r[0], r[1], r[2]) for r in rows]


def unpriced(conn: sqlite3.Connection) -> list[dict]:
    """Models the catalog holds with no price in the table (their cost shows as unknown)."""
    out: dict[str, int] = {}
    for model, provider, sessions in used_models(conn):
        if pricing.lookup(model, provider) is None:
            out[model] = out.get(model, 0) + sessions
    return [{"model": m, "sessions": n} for m, n in sorted(out.items())]
