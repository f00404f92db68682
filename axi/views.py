"""Shared helpers every list and detail view uses: fields, limits, counts, truncation, hints."""

from __future__ import annotations

import time

from axi.errors import UsageFault
from axi.shown import Age, Count, Size
from axi.text import shell_word

DEFAULT_TRUNCATE = 1000


def parse_fields(spec: str | None, default: list[str], allowed: list[str],
                 command: str) -> list[str]:
    """Default fields plus those named in `--fields a,b`, validated against `allowed`."""
    if not spec:
        return list(default)
    wanted = [f.strip() for f in spec.split(",") if f.strip()]
    unknown = [f for f in wanted if f not in allowed]
    if unknown:
        raise UsageFault(
            f"unknown field{'s' if len(unknown) > 1 else ''} {', '.join(unknown)} for `{command}`",
            help=[f"valid fields: {', '.join(allowed)}"],
        )
    fields = list(default)
    fields += [f for f in wanted if f not in fields]
    return fields


def check_limit(limit: int) -> int:
    if limit < 1:
        raise UsageFault("--limit must be at least 1", help=["example: --limit 20"])
    return limit


def count_line(shown: int, total: int) -> Count:
    """`N of M total` (JSON: `count` and `total` as numbers)."""
    return Count.of(shown, total, f"{shown} of {total} total")


def project(rows: list[dict], fields: list[str]) -> list[dict]:
    """Keep only `fields`, in order, so every row has the same keys (tabular TOON)."""
    return [{f: row.get(f) for f in fields} for row in rows]


def truncate(text: str | None, limit: int = DEFAULT_TRUNCATE, full: bool = False,
             hint: str = "--full") -> tuple[str | None, bool]:
    """Cut long text, stating the total size inside the value. Returns (text, was_cut)."""
    if text is None or full or len(text) <= limit:
        return text, False
    return f"{text[:limit]}… (truncated, {len(text)} chars total; {hint} shows all)", True


CONTROL = dict.fromkeys([*range(32), 127, *range(128, 160)], " ")


def one_line(text: str | None, limit: int = 80) -> str | None:
    """One line of at most `limit` characters: whitespace and control characters collapse to
    single spaces, so quoted text stays inside its cell."""
    if text is None:
        return None
    flat = " ".join(text.translate(CONTROL).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def command(*words: str, flags: dict[str, object] | None = None) -> str:
    """A complete, copy-pasteable command with the current call's flags carried forward.

    Words that are placeholders such as `<id>` are kept unquoted.
    """
    parts = ["axi"] + [_word(w) for w in words]
    for name, value in (flags or {}).items():
        if value is None or value is False:
            continue
        parts.append(name if value is True else f"{name} {_word(str(value))}")
    return " ".join(parts)


def _word(word: str) -> str:
    return word if word.startswith("<") and word.endswith(">") else shell_word(word)


def hint(cmd: str, why: str | None = None) -> str:
    return f"`{cmd}`" + (f" {why}" if why else "")


def clock() -> float:
    """Now, in epoch seconds. `AXI_NOW` pins it, for reproducible output in tests and demos."""
    import os

    pinned = os.environ.get("AXI_NOW")
    if pinned:
        try:
            return float(pinned)
        except ValueError:
            pass
    return time.time()


def age(ts: float | None, now: float | None = None) -> str | None:
    """Compact time since `ts`: 45s, 12m, 3h, 5d, 8w."""
    if ts is None:
        return None
    delta = max(0, int((now or clock()) - ts))
    size, unit = _unit(delta)
    return Age(f"{delta // size}{unit}", delta)


AGE_UNITS = ((604800, "w"), (86400, "d"), (3600, "h"), (60, "m"))


def _unit(seconds: int) -> tuple[int, str]:
    for size, unit in AGE_UNITS:
        if seconds >= size * (2 if unit == "w" else 1):
            return size, unit
    return 1, "s"


def age_holds_until(seconds: int, since: float) -> float:
    """A time before which an `age` of `seconds`, computed at or after `since`, still reads
    the same: it shows whole units, so it changes when the next one is complete (less the
    second `age` rounds away)."""
    size, _unit_name = _unit(seconds)
    return since - seconds - 1 + (seconds // size + 1) * size


def iso(ts: float | None) -> str | None:
    if ts is None:
        return None
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


def tokens(n: int | None) -> int | str | None:
    """Human token count: 950, 12.3k, 4.1M (small counts stay numbers)."""
    if n is None or n < 1000:
        return n
    if n < 1_000_000:
        return Size(f"{n / 1000:.1f}k", n)
    return Size(f"{n / 1_000_000:.1f}M", n)


def nbytes(n: int) -> int | str:
    """A byte count: 900 B, 12.3 KB, 4.1 MB (the exact count stays beside it in JSON)."""
    if n < 1000:
        return Size(f"{n} B", n)
    if n < 1_000_000:
        return Size(f"{n / 1000:.1f} KB", n)
    return Size(f"{n / 1_000_000:.1f} MB", n)


def money(cost: float | None, estimated: bool = False) -> str:
    """US dollars, one format everywhere: 4 decimals under $1 (`$0.0123`), cents from $1
    (`$12.34`, `$1,234.56`); a cost too small for 4 decimals is `<$0.0001`, never `$0.0000`
    for a cost that is not zero. None is `unknown`, never `$0`."""
    if cost is None:
        return "unknown"
    if 0 < cost < 0.00005:
        text = "<$0.0001"
    else:
        text = f"${cost:.4f}" if round(cost, 4) < 1 else f"${cost:,.2f}"
    return f"{text} (est)" if estimated else text


def duration(seconds: float | None) -> str | None:
    """A length of time: 4.2s, 3m05s, 2h07m."""
    if seconds is None:
        return None
    seconds = max(0.0, seconds)
    if seconds < 60:
        return f"{seconds:.1f}s"
    whole = int(seconds)
    if whole < 3600:
        return f"{whole // 60}m{whole % 60:02d}s"
    return f"{whole // 3600}h{whole % 3600 // 60:02d}m"


def parse_duration(value: str | None, flag: str = "--timeout") -> float | None:
    """`90`, `90s`, `30m`, `2h`, `7d` as seconds."""
    if value is None:
        return None
    text = value.strip().lower()
    scale = {"s": 1, "m": 60, "h": 3600, "d": 86400}.get(text[-1:])
    number = text[:-1] if scale else text
    try:
        seconds = float(number) * (scale or 1)
    except ValueError:
        seconds = -1
    if not seconds > 0:
        raise UsageFault(f"{flag} must be a duration such as 90s, 30m, 2h or 7d, not {value!r}")
    return seconds
