"""What price table axi uses: where it comes from, how old it is, a model's prices, and which
models the catalog holds that it has no price for."""

from __future__ import annotations

import calendar
import json
import re
import time

from axi import pricing
from axi.sqlite import sqlite3

STALE_DAYS = 60  # past this, estimated costs say the table is old


def info(now: float) -> dict:
    """source, version, generated, age_days, models, url of the table in use."""
    data = pricing.snapshot_info()
    packaged = data.get("path") in (None, pricing._PATH)
    out = {"source": data.get("source"), "version": data.get("version"),
           "generated": data.get("generated"), "age_days": age_days(data.get("generated"), now),
           "models": data.get("models"), "url": data.get("url"),
           "table": ("packaged snapshot (axi/pricing/prices.json)" if packaged
                     else f"updated table ({_tilde(data['path'])})")}
    return out


def stale_note(data: dict, costs: bool = True, now: float | None = None) -> dict:
    """Say once, in `data["prices"]`, that estimated costs come from an old table (past
    STALE_DAYS), when `costs` are shown; `data` is returned as it was otherwise."""
    from axi.views import clock

    if not costs:
        return data
    table = pricing.snapshot_info()
    age = age_days(table.get("generated"), clock() if now is None else now)
    if age is None or age <= STALE_DAYS:
        return data
    note = (f"estimated costs use a price table {age} days old ({table.get('generated')}); "
            "`axi prices update` refreshes it")
    if isinstance(data.get("prices"), str):
        note = f"{data['prices']}; {note}"
    data["prices"] = note
    if isinstance(data.get("help"), list):  # keep `help` last
        data["help"] = data.pop("help")
    return data


def _tilde(path: str) -> str:
    from axi.paths import tilde

    return tilde(path)


# ---- `axi prices update` ----------------------------------------------------------------

_OPS = ("=", "^", "$", "~", "re")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_WINDOW = re.compile(r"^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$")


def validate(data: object) -> list[str]:
    """What is wrong with a price table (the format `scripts/refresh_prices.py` describes);
    empty when it can be used. Checks everything the reader relies on, so a bad table is
    refused before it replaces a good one."""
    if not isinstance(data, dict):
        return ["the file is not a JSON object"]
    problems = []
    if data.get("format") != 1:
        problems.append(f"format is {data.get('format')!r}, not 1")
    if not isinstance(data.get("source"), str) or not data["source"]:
        problems.append("source is missing")
    generated = data.get("generated")
    if not isinstance(generated, str) or not _DATE.match(generated[:10]) or \
            age_days(generated, 0.0) is None:
        problems.append(f"generated is {generated!r}, not a YYYY-MM-DD date")
    providers = data.get("providers")
    if not isinstance(providers, list) or not providers:
        return problems + ["providers is missing or empty"]
    ids = set()
    count = 0
    for n, prov in enumerate(providers):
        where = f"providers[{n}]"
        if not isinstance(prov, dict) or not isinstance(prov.get("id"), str):
            problems.append(f"{where} has no id")
            continue
        where = f"provider {prov['id']!r}"
        ids.add(prov["id"])
        for key in ("match", "alias"):
            problems += _rule_problems(prov.get(key), f"{where} {key}")
        fallback = prov.get("fallback")
        if fallback is not None and not (isinstance(fallback, list)
                                         and all(isinstance(f, str) for f in fallback)):
            problems.append(f"{where} fallback is not a list of provider ids")
        models = prov.get("models")
        if not isinstance(models, list):
            problems.append(f"{where} models is not a list")
            continue
        count += len(models)
        for m, row in enumerate(models):
            problems += _model_problems(row, f"{where} model {m}")
        if len(problems) > 20:
            return problems[:20] + ["(more problems left out)"]
    if isinstance(data.get("models"), int) and data["models"] != count:
        problems.append(f"models says {data['models']}, the providers hold {count}")
    return problems


def _model_problems(row: object, where: str) -> list[str]:
    if not isinstance(row, list) or not row or not isinstance(row[0], str) or not row[0]:
        return [f"{where} is not [id, match, prices, context_window]"]
    where = f"{where} ({row[0]})"
    problems = _rule_problems(row[1] if len(row) > 1 else None, f"{where} match")
    prices = row[2] if len(row) > 2 else [[None]]
    if not isinstance(prices, list) or not prices:
        return problems + [f"{where} prices is not a list of rows"]
    for price in prices:
        if not isinstance(price, list) or len(price) > 6:
            problems.append(f"{where} has a price row that is not "
                            "[constraint, input, output, cache_read, cache_write, tiered]")
            continue
        constraint = price[0] if price else None
        if constraint is not None and not (isinstance(constraint, str) and (
                _DATE.match(constraint) or _WINDOW.match(constraint))):
            problems.append(f"{where} has constraint {constraint!r}")
        for value in price[1:5]:
            if value is not None and (isinstance(value, bool) or
                                      not isinstance(value, (int, float)) or value < 0):
                problems.append(f"{where} has price {value!r}, not a number >= 0")
        if len(price) > 5 and price[5] not in (0, 1):
            problems.append(f"{where} has tiered {price[5]!r}, not 0 or 1")
    context = row[3] if len(row) > 3 else None
    if context is not None and (isinstance(context, bool) or not isinstance(context, int)):
        problems.append(f"{where} has context window {context!r}")
    return problems


def _rule_problems(rule: object, where: str) -> list[str]:
    if rule is None:
        return []
    if not isinstance(rule, list) or not rule:
        return [f"{where} is not a match rule"]
    op, args = rule[0], rule[1:]
    if op in ("|", "&"):
        out = []
        for sub in args:
            out += _rule_problems(sub, where)
        return out
    if op not in _OPS or not args or not all(isinstance(a, str) for a in args):
        return [f"{where} has an unknown rule {str(rule)[:60]}"]
    if op == "re":
        for pattern in args:
            try:
                re.compile(pattern)
            except re.error:
                return [f"{where} has a bad regex {pattern[:60]!r}"]
    return []


def load_file(path: str) -> dict:
    """A price table read from `path` and validated; AxiError when it cannot be used."""
    from axi.errors import AxiError

    try:
        with open(path, "rb") as fh:
            data = json.loads(fh.read())
    except OSError as exc:
        raise AxiError(f"cannot read {path}: {exc.strerror or exc}", code="NOT_FOUND",
                       help=["give the path of a JSON price table (the shape of "
                             "axi/pricing/prices.json)"]) from None
    except ValueError as exc:
        raise AxiError(f"{path} is not JSON: {exc}", code="BAD_PRICES",
                       help=["nothing was changed; the table in use stays as it was"]) from None
    refuse(data, path)
    return data


def refuse(data: object, where: str) -> None:
    """Raise when `data` is not a usable table; nothing is written then."""
    from axi.errors import AxiError

    problems = validate(data)
    if problems:
        raise AxiError(f"{where} is not a usable price table: {problems[0]}",
                       code="BAD_PRICES",
                       help=[*problems[1:5], "nothing was changed; the table in use stays "
                             "as it was", "the format is described in "
                             "scripts/refresh_prices.py (the shape of axi/pricing/prices.json)"])


def install(data: dict) -> str:
    """Write a validated table to the state dir atomically (a temporary file renamed over
    the old one); returns its path. `axi.pricing` uses it from the next lookup on."""
    from axi.paths import write_atomic

    final = pricing.state_path()
    text = json.dumps(data, separators=(",", ":"), ensure_ascii=False) + "\n"
    write_atomic(final, text, mode=0o600)
    return final


def from_package(generated: str) -> dict:
    """A table rebuilt from the installed genai-prices package (AxiError when it is not)."""
    from axi.errors import AxiError

    try:
        from axi.console import pricebuild

        return pricebuild.build(generated)
    except ImportError:
        raise AxiError("the genai-prices package is not installed here", code="NO_SOURCE",
                       help=["pip install -U genai-prices, then run `axi prices update` "
                             "again", "or, offline: `axi prices update --from FILE` with a "
                             "table in the shape of axi/pricing/prices.json"]) from None


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
