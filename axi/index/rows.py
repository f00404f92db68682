"""Session rows as people and agents read them: derived status, age, ctx %, tokens, cost."""

from __future__ import annotations

import sqlite3

from axi import views
from axi.index.catalog import status, subagent_totals
from axi.paths import tilde
from axi.views import clock

LIST_FIELDS = ["id", "harness", "status", "age", "title"]
ALL_FIELDS = ["id", "harness", "status", "age", "title", "dir", "model", "ctx", "tokens",
              "cost", "branch", "turns", "created", "last", "full_id"]
COSTLY = {"cost", "tokens"}


def cost_of(conn: sqlite3.Connection, keys: list[str]) -> tuple[float | None, str]:
    """Cost over the usage of `keys`: recorded where the harness recorded it, else estimated.

    Returns (usd, kind) with kind one of recorded, estimate, partial (some models unpriced;
    usd covers the rest), unknown (nothing priced; usd is None, never zero), none (no usage).
    """
    from datetime import UTC, datetime

    marks = ",".join("?" * len(keys))
    rows = conn.execute(
        f"SELECT u.model, u.hour, u.input, u.output, u.cache_read, u.cache_write, u.cost, "
        f"s.provider FROM usage u JOIN sessions s ON s.key = u.session_key "
        f"WHERE u.session_key IN ({marks})", keys).fetchall()
    if not rows:
        return None, "none"
    total, recorded, estimated, missing = 0.0, False, False, False
    for model, hour, i, o, cr, cw, cost, provider in rows:
        if cost is not None:
            total += cost
            recorded = True
            continue
        usd, partial = _estimate(model, provider, datetime.fromtimestamp(hour * 3600, UTC),
                                 i, o, cr, cw)
        if usd is None:
            missing = missing or bool(i or o or cr or cw)
            continue
        total += usd
        estimated = True
        missing = missing or partial
    if missing:
        return (total, "partial") if (recorded or estimated) else (None, "unknown")
    return total, "estimate" if estimated else "recorded"


def _estimate(model, provider, when, i, o, cr, cw) -> tuple[float | None, bool]:
    from axi import pricing

    price = pricing.lookup(model, provider, when=when)
    if price is None:
        return None, True
    return pricing.estimate_cost(price, i, o, cr, cw)


def money(usd: float | None, kind: str) -> str:
    if kind == "none":
        return "$0"
    if kind == "unknown":
        return "unknown (no price for the model)"
    text = views.money(usd)
    return {"estimate": f"{text} (est)", "partial": f"{text} (est, partial)"}.get(kind, text)


def ctx_percent(row: sqlite3.Row) -> str | None:
    window = row["ctx_window"]
    if not window and row["model"]:
        from axi import pricing

        price = pricing.lookup(row["model"], row["provider"])
        window = price.context_window if price else None
    if not window or row["ctx_tokens"] is None:
        return None
    return f"{round(100 * row['ctx_tokens'] / window)}%"


def present(conn: sqlite3.Connection, rows: list[sqlite3.Row], fields: list[str],
            ids: dict[str, str], now: float | None = None) -> list[dict]:
    now = now or clock()
    return [_one(conn, row, fields, ids, now) for row in rows]


def _one(conn, row, fields, ids, now) -> dict:
    out: dict = {}
    for f in fields:
        out[f] = _field(conn, row, f, ids, now)
    return out


def _field(conn, row, name, ids, now):
    if name == "id":
        return ids.get(row["id"], row["id"])
    if name == "full_id":
        return row["id"]
    if name == "status":
        return status(row, now)
    if name == "age":
        return views.age(row["last"], now)
    if name == "title":
        return views.one_line(row["title"], 60)
    if name == "dir":
        return tilde(row["dir"])
    if name == "ctx":
        return ctx_percent(row)
    if name == "tokens":
        _, kids = subagent_totals(conn, row)
        return views.tokens(sum(row[k] or 0 for k in ("input", "output", "cache_read",
                                                      "cache_write")) + sum(kids))
    if name == "cost":
        return money(*cost_of(conn, keys_with_subagents(conn, row)))
    if name == "branch":
        return row["git_branch"]
    if name in ("created", "last"):
        return views.iso(row[name])
    return row[name]


def keys_with_subagents(conn: sqlite3.Connection, row: sqlite3.Row) -> list[str]:
    kids = conn.execute("SELECT key FROM sessions WHERE parent_id = ? AND harness = ? "
                        "AND is_subagent = 1", (row["id"], row["harness"])).fetchall()
    return [row["key"]] + [k[0] for k in kids]
