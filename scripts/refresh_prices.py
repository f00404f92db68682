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
from importlib.metadata import version
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout

from axi.console.pricebuild import SOURCE, build  # noqa: E402 - the one builder

SNAPSHOT = Path(__file__).resolve().parent.parent / "axi" / "pricing" / "prices.json"


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
