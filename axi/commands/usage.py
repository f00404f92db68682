"""`axi usage`: tokens and cost, grouped by day, harness, model or folder."""

from __future__ import annotations

import click

from axi import views
from axi.commands.tree import AxiGroup
from axi.console.pricetable import stale_note
from axi.harnesses import NAMES
from axi.index.catalog import open_index, session_filters
from axi.index.rows import CostTally, money
from axi.paths import tilde
from axi.views import clock

GROUPS = {
    "day": "date(u.hour * 3600, 'unixepoch', 'localtime')",
    "harness": "s.harness",
    "model": "u.model",
    "dir": "s.dir",
}

# The session a usage row counts toward: a sub-agent's is its parent's (as in the catalog,
# where sub-agents are part of their parent, not sessions of their own).
SESSION = ("s.harness || ':' || CASE WHEN s.is_subagent = 1 AND s.parent_id IS NOT NULL "
           "THEN s.parent_id ELSE s.id END")


@click.group(cls=AxiGroup, invoke_without_command=True, examples=(
    "axi usage", "axi usage --by model --days 7", "axi usage --by dir --harness claude"))
@click.option("--by", "by", type=click.Choice(list(GROUPS)), default="day", show_default=True,
              help="How to group.")
@click.option("--days", type=int, default=30, show_default=True,
              help="Only the last N days (0: all time).")
@click.option("--dir", "directory", metavar="D", help="Only sessions in folder D and below.")
@click.option("--harness", type=click.Choice(NAMES), help="Only this harness.")
@click.option("--limit", type=int, default=30, show_default=True, help="Rows to show.")
@click.option("--host", metavar="H", help="Also count hosts: all, or one host's name "
              "(axi hosts); default this machine only.")
def usage(by: str, days: int, directory: str | None, harness: str | None, limit: int,
          host: str | None) -> dict:
    """Tokens and cost, by day, model, harness or folder."""
    if host is not None:
        from axi.remote.aggregate import usage_hosts

        views.check_limit(limit)
        argv = ["--by", by, "--days", str(days), "--limit", str(limit)]
        argv += (["--dir", directory] if directory else []) + (
            ["--harness", harness] if harness else [])
        return usage_hosts(host, by, argv, limit,
                           lambda: usage_here(by, days, directory, harness, limit))
    return usage_here(by, days, directory, harness, limit)


def usage_here(by: str, days: int, directory: str | None, harness: str | None,
               limit: int) -> dict:
    views.check_limit(limit)
    if days < 0:
        from axi.errors import UsageFault

        raise UsageFault("--days must be 0 (all time) or more")
    conn, fresh = open_index()
    where, args = session_filters(harness, directory)
    where.insert(0, "1")
    if days:
        where.append("u.hour >= ?")
        args.append(int((clock() - days * 86400) // 3600))
    group = GROUPS[by]
    # One row per (group, model, provider, recorded or not): recorded costs are summed as
    # they are; the rest is priced at the price in force at its latest hour.
    rows = conn.execute(
        f"SELECT {group} AS g, u.model, s.provider, sum(u.input), sum(u.output), "
        "sum(u.cache_read), sum(u.cache_write), sum(u.cost), max(u.hour), sum(u.reasoning) "
        "FROM usage u JOIN sessions s ON s.key = u.session_key "
        f"WHERE {' AND '.join(where)} GROUP BY g, u.model, s.provider, u.cost IS NULL",
        args).fetchall()
    groups = _aggregate(rows)
    scope = tilde(directory) if directory else "all folders"
    period = f"last {days} days" if days else "all time"
    data: dict = {"scope": f"{scope}, {period}" + (f", {harness}" if harness else "")}
    if not groups:
        data["usage"] = f"0 tokens recorded in {data['scope']}"
        data["help"] = [views.hint(views.command("usage", flags={"--days": 0}), "for all time")]
        return data
    ordered = sorted(groups.items(), key=lambda kv: kv[0] or "", reverse=by == "day")
    if by != "day":
        ordered.sort(key=lambda kv: -sum(kv[1]["tokens"][:4]))
    total = _total(groups)
    # A session with two models sits in two (group, model) rows: count sessions apart.
    joined = f"FROM usage u JOIN sessions s ON s.key = u.session_key WHERE {' AND '.join(where)}"
    for key, count in conn.execute(f"SELECT {group}, count(DISTINCT {SESSION}) {joined} "
                                   f"GROUP BY {group}", args):
        groups[key]["sessions"] = count
    total["sessions"] = conn.execute(f"SELECT count(DISTINCT {SESSION}) {joined}", args
                                     ).fetchone()[0]
    data["total"] = {"sessions": total["sessions"], **_token_fields(total["tokens"]),
                     "cost": money(*total["cost"].result())}
    data["count"] = views.count_line(min(limit, len(ordered)), len(ordered))
    data["rows"] = [
        {by: tilde(key) if by == "dir" else key, "sessions": g["sessions"],
         **_token_fields(g["tokens"]), "cost": money(*g["cost"].result())}
        for key, g in ordered[:limit]
    ]
    from axi import pricing

    info = pricing.snapshot_info()
    data["prices"] = (f"estimates from {info.get('source')} {info.get('version')} "
                      f"(snapshot {info.get('generated')}); recorded costs used where the "
                      "harness records them (opencode, pi)")
    hints = [views.hint(views.command("usage", flags={"--by": other}))
             for other in GROUPS if other != by][:2]
    data["help"] = hints
    if fresh.note():
        data["index"] = fresh.note()
    stale_note(data)
    return data


def _aggregate(rows) -> dict:
    groups: dict = {}
    for key, model, provider, i, o, cr, cw, recorded, hour, reasoning in rows:
        g = groups.setdefault(key, {"sessions": 0, "tokens": [0, 0, 0, 0, None],
                                    "cost": CostTally()})
        g["tokens"] = _add(g["tokens"], [i, o, cr, cw, reasoning])
        g["cost"].add(model, provider, hour, i, o, cr, cw, recorded)
    return groups


def _total(groups: dict) -> dict:
    total = {"sessions": 0, "tokens": [0, 0, 0, 0, None], "cost": CostTally()}
    for g in groups.values():
        total["tokens"] = _add(total["tokens"], g["tokens"])
        total["cost"].merge(g["cost"])
    return total


def _add(sums: list, more: list) -> list:
    """Token sums; reasoning (last) stays None until a harness that records it is added."""
    added = [a + (b or 0) for a, b in zip(sums[:4], more[:4], strict=True)]
    reasoning = sums[4] if more[4] is None else (sums[4] or 0) + more[4]
    return [*added, reasoning]


def _token_fields(tokens: list) -> dict:
    return {"input": views.tokens(tokens[0]), "output": views.tokens(tokens[1]),
            "reasoning": views.tokens(tokens[4]), "cache_read": views.tokens(tokens[2]),
            "cache_write": views.tokens(tokens[3])}
