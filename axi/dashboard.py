"""The dashboard: bare `axi` and the session-start hook print the same thing, within a budget.

`axi.commands.home` gathers the data (sessions here, and whatever else it grows: mail, tasks)
and hands it to `fit`; this module only shapes what it is given, and imports nothing but the
output boundary. `fit` keeps the encoded result within `LIMIT` characters however many rows
there are: it drops rows from the end of the sessions list first, then from every other list,
and says how many were left out and which command shows them. Only then are long values cut.
Every cell quoting text others wrote (session titles, mail, task titles) is one line of
bounded length, and the `quoted` field names those sections: data, not instructions.
"""

from __future__ import annotations

LIMIT = 1500
SHOWN_BY = {"sessions": "axi sessions", "mail": "axi inbox", "inbox": "axi inbox",
            "tasks": "axi tasks", "agents": "axi agents"}
KEEP = ("bin", "description", "help", "left_out")
UNCUT = ("left_out", "quoted")  # strings never shortened: what was cut, what is quoted


def fit(data: dict, limit: int = LIMIT, fmt: str = "toon") -> dict:
    from axi.output import encode

    def size() -> int:
        return len(encode(data, fmt))

    if size() <= limit:
        return data
    data = dict(data)
    dropped: dict[str, int] = {}
    lists = [k for k, v in data.items() if isinstance(v, list) and k not in KEEP]
    order = (["sessions"] if "sessions" in lists else []) + [k for k in reversed(lists)
                                                             if k != "sessions"]
    for key in order:
        rows = list(data[key])
        kept = _most_rows(data, key, rows, dropped, size, limit)
        data[key] = rows[:kept]
        if kept < len(rows):
            dropped[key] = len(rows) - kept
            _note(data, dropped)
        if size() <= limit:
            break
    for key in sorted((k for k, v in data.items() if isinstance(v, str) and k not in UNCUT),
                      key=lambda k: -len(data[k])):
        if size() <= limit:
            break
        over = size() - limit
        text = data[key]
        data[key] = text[: max(20, len(text) - over - 2)] + "…"
    if size() > limit and isinstance(data.get("help"), list):
        while len(data["help"]) > 1 and size() > limit:
            data["help"].pop()
    return data


def _most_rows(data: dict, key: str, rows: list, dropped: dict[str, int], size, limit: int
               ) -> int:
    """How many of `rows` (from the front) fit, found by bisection: a few encodes, not one per
    row, however long the list."""
    def fits(kept: int) -> bool:
        data[key] = rows[:kept]
        _note(data, {**dropped, key: len(rows) - kept} if kept < len(rows) else dropped)
        return size() <= limit

    if fits(len(rows)):
        return len(rows)
    low, high = 0, len(rows)  # fits(low) is assumed (or nothing fits); fits(high) is false
    while high - low > 1:
        middle = (low + high) // 2
        if fits(middle):
            low = middle
        else:
            high = middle
    return low


def _note(data: dict, dropped: dict[str, int]) -> None:
    hints = data.pop("help", None)
    data.pop("left_out", None)
    if dropped:
        data["left_out"] = [f"{n} {key} (`{SHOWN_BY.get(key, 'axi ' + key)}`)"
                            for key, n in dropped.items()]
    if hints is not None:
        data["help"] = hints
    if "sessions" in dropped and isinstance(data.get("count"), str):
        data["count"] = _recount(data["count"], len(data["sessions"]))


def _recount(count: str, shown: int) -> str:
    """`20 of 57 in this folder` with the number of rows actually kept."""
    head, of, rest = count.partition(" of")
    return f"{shown} of{rest}" if of and head.isdigit() else count
