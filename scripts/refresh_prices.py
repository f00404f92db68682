"""Refresh axi's offline price snapshot, ``axi/pricing/prices.json``.

The prices and context windows come from the ``genai-prices`` package
(https://github.com/pydantic/genai-prices, MIT), which is maintained upstream.
axi never imports ``genai_prices`` at run time (it pulls in pydantic and httpx,
~200 ms); this script turns the data that package ships into a small JSON file
that ``axi.pricing`` reads with the standard library.

Refresh:

    pip install -U genai-prices
    python scripts/refresh_prices.py            # rewrite axi/pricing/prices.json
    python scripts/refresh_prices.py --check    # exit 1 if the snapshot is stale

``--check`` rebuilds the snapshot in memory and compares it with the file,
ignoring the ``generated`` date; the test suite runs it when genai-prices is
installed.

What is kept, per model: USD per million tokens for input, output, cache read
and cache write (null when the source has none), the context window when the
source has one, and the source's match rule. Simplifications, also written
into the snapshot's ``notes``:

* Tiered prices (a higher rate once a request's input passes a threshold) keep
  the base, lowest tier; the row is flagged as tiered.
* Price variants chosen per request (batch, flex/priority service tiers, fast
  mode) are left out: the standard price is kept.
* Cache writes use the default (5-minute) cache-write price; the 1-hour price
  is left out.
* Prices that change over time keep their constraints (a start date, or a
  UTC time-of-day window), so the price in force at a session's date is used.

Snapshot format (``format`` 1): ``providers`` is a list, in the source's search
order, of ``{"id", "match", "alias", "fallback", "models"}``. ``match`` finds the
provider from a model id, ``alias`` from a provider name, ``fallback`` lists
providers whose models this one also serves. Each model is
``[id, match, prices, context_window]``; ``prices`` is a list of
``[constraint, input, output, cache_read, cache_write, tiered]`` rows where the
last active row wins (the first row applies when none is active), ``tiered``
is 1 when the base tier of a tiered price was kept, and
``constraint`` is null, ``"YYYY-MM-DD"`` (from that UTC date on) or
``"HH:MM-HH:MM"`` (that UTC time of day). A match rule is null (the id itself,
exactly), or ``[op, arg, ...]`` with op ``=`` (equals), ``^`` (starts with),
``$`` (ends with), ``~`` (contains), ``re`` (regex search): true when any arg
matches; or ``["|", rule, ...]`` / ``["&", rule, ...]``. Model ids are
compared in lower case; string args are stored lower-cased. Trailing nulls
(and a ``tiered`` of 0) are left out of model and price rows to keep the file
small.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from decimal import Decimal
from importlib.metadata import version
from pathlib import Path

SNAPSHOT = Path(__file__).resolve().parent.parent / "axi" / "pricing" / "prices.json"
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
    from genai_prices.data import providers

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


def dump(snapshot: dict) -> str:
    return json.dumps(snapshot, separators=(",", ":"), ensure_ascii=False) + "\n"


def is_current(path: Path) -> bool:
    try:
        old = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    new = build(old.get("generated", ""))
    return old == json.loads(dump(new))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the snapshot is stale")
    parser.add_argument("--out", type=Path, default=SNAPSHOT, help="snapshot path")
    args = parser.parse_args(argv)
    if args.check:
        if is_current(args.out):
            print(f"{args.out}: current with {SOURCE} {version(SOURCE)}")
            return 0
        print(f"{args.out}: stale; run python scripts/refresh_prices.py", file=sys.stderr)
        return 1
    snapshot = build(dt.date.today().isoformat())
    args.out.write_text(dump(snapshot), encoding="utf-8")
    size = args.out.stat().st_size
    print(f"wrote {args.out} ({snapshot['models']} models, {size:,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
