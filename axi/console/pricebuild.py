"""A price table rebuilt from the installed ``genai-prices`` package, for ``axi prices update``.

The one builder: ``scripts/refresh_prices.py`` (whose docstring describes the format and the
simplifications) writes the packaged snapshot with it, so both tables have one shape. Only
``axi prices update`` imports this module; it imports ``genai_prices`` (pydantic, httpx).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from importlib.metadata import version

SOURCE = "genai-prices"
PRICE_KEYS = ("input_mtok", "output_mtok", "cache_read_mtok", "cache_write_mtok")
LEAF_OPS = {
    "ClauseEquals": ("=", "equals"),
    "ClauseStartsWith": ("^", "starts_with"),
    "ClauseEndsWith": ("$", "ends_with"),
    "ClauseContains": ("~", "contains"),
    "ClauseRegex": ("re", "regex"),
}
NOTES = [
    "USD per million tokens; null means the source has no price for that part.",
    "Tiered prices keep the base (lowest) tier; such rows end with tiered=1.",
    "Trailing nulls are left out of model and price rows.",
    "Per-request variants (batch, flex/priority tiers, fast mode) are left out.",
    "cache_write is the default (5-minute) cache-write price.",
    "Cache tokens with no cache price are billed at the input price, as in genai-prices.",
]


def encode_match(clause) -> list | None:
    """Turn a genai-prices match clause into the snapshot's list form."""
    kind = type(clause).__name__
    if kind in LEAF_OPS:
        op, attr = LEAF_OPS[kind]
        arg = getattr(clause, attr)
        return [op, arg if op == "re" else arg.lower()]
    if kind in ("ClauseOr", "ClauseAnd"):
        children = [encode_match(c) for c in (clause.or_ if kind == "ClauseOr" else clause.and_)]
        return merge_or(children) if kind == "ClauseOr" else ["&", *children]
    raise ValueError(f"unknown match clause {kind}")


def merge_or(children: list[list]) -> list:
    """Fold an `or` of leaves with the same op into one leaf with several args."""
    merged: dict[str, list] = {}
    rest = []
    for child in children:
        if child[0] in ("|", "&"):
            rest.append(child)
        else:
            merged.setdefault(child[0], [child[0]]).extend(child[1:])
    parts = [*merged.values(), *rest]
    return parts[0] if len(parts) == 1 else ["|", *parts]


def model_match(model) -> list | None:
    """The model's match rule, or None when it is exactly ``equals <id>``."""
    rule = encode_match(model.match)
    if rule == ["=", model.id.lower()]:
        return None
    return rule


def number(value) -> int | float | None:
    if value is None:
        return None
    if not isinstance(value, Decimal):  # TieredPrices: keep the base tier
        value = value.base
    return int(value) if value == value.to_integral_value() else float(value)


def encode_constraint(constraint) -> str | None:
    if constraint is None:
        return None
    if hasattr(constraint, "start_date"):
        return constraint.start_date.isoformat()
    return f"{utc_hhmm(constraint.start_time)}-{utc_hhmm(constraint.end_time)}"


def utc_hhmm(value: dt.time) -> str:
    if value.tzinfo is not None:
        value = dt.datetime.combine(dt.date(1970, 1, 1), value).astimezone(dt.UTC).time()
    return value.strftime("%H:%M")


def price_row(constraint, prices) -> list:
    values = [getattr(prices, key, None) for key in PRICE_KEYS]
    row = [encode_constraint(constraint), *(number(v) for v in values)]
    if any(v is not None and not isinstance(v, Decimal) for v in values):
        row.append(1)  # tiered
    return trim(row)


def trim(row: list) -> list:
    """Drop trailing nulls; the reader pads them back."""
    while row and row[-1] is None:
        row.pop()
    return row


def price_rows(model) -> list[list]:
    if isinstance(model.prices, list):
        return [price_row(c.constraint, c.prices) for c in model.prices]
    return [price_row(None, model.prices)]


def encode_provider(provider) -> dict:
    return {
        "id": provider.id,
        "match": encode_match(provider.model_match) if provider.model_match else None,
        "alias": encode_match(provider.provider_match) if provider.provider_match else None,
        "fallback": provider.fallback_model_providers,
        "models": [
            trim([m.id, model_match(m), price_rows(m), m.context_window]) for m in provider.models
        ],
    }


def build(generated: str) -> dict:
    from genai_prices.data import providers  # ImportError when not installed

    encoded = [encode_provider(p) for p in providers]
    return {
        "source": SOURCE,
        "version": version(SOURCE),
        "url": "https://github.com/pydantic/genai-prices",
        "generated": generated,
        "format": 1,
        "models": sum(len(p["models"]) for p in encoded),
        "notes": NOTES,
        "providers": encoded,
    }
