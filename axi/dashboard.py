"""The dashboard: bare `axi` and the session-start hook print the same thing, within a budget.

`home_view` gathers the data (sessions here, and whatever else it grows: mail, tasks). `fit`
keeps the encoded result within `LIMIT` characters however many rows there are: it drops rows
from the end of the sessions list first, then from every other list, and says how many were
left out and which command shows them. Only then are long values cut.
"""

from __future__ import annotations

import re

LIMIT = 1500
SHOWN_BY = {"sessions": "axi sessions", "mail": "axi inbox", "inbox": "axi inbox",
            "tasks": "axi tasks", "agents": "axi agents"}
KEEP = ("bin", "description", "help", "left_out")


def dashboard(directory: str | None = None, exclude: str | None = None,
              budget: float | None = None, fmt: str = "toon") -> dict:
    from axi.commands.home import BUDGET, home_view

    data = home_view(directory, exclude=exclude, budget=BUDGET if budget is None else budget)
    return fit(data, fmt=fmt)


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
        data[key] = list(data[key])
        while data[key] and size() > limit:
            data[key].pop()
            dropped[key] = dropped.get(key, 0) + 1
            _note(data, dropped)
        if size() <= limit:
            break
    for key in sorted((k for k, v in data.items() if isinstance(v, str) and k != "left_out"),
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


def _note(data: dict, dropped: dict[str, int]) -> None:
    hints = data.pop("help", None)
    data["left_out"] = [f"{n} {key} (`{SHOWN_BY.get(key, 'axi ' + key)}`)"
                        for key, n in dropped.items()]
    if hints is not None:
        data["help"] = hints
    if "sessions" in dropped and isinstance(data.get("count"), str):
        data["count"] = re.sub(r"^\d+ of", f"{len(data['sessions'])} of", data["count"])
