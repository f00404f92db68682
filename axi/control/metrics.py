"""Numbers over everything axi launched: sessions and runs by outcome, spend, durations, and
the same numbers as a Prometheus textfile (for node_exporter's textfile collector)."""

from __future__ import annotations

import json
import os
import time

from axi.control import live
from axi.control.runs import TOKEN_KINDS
from axi.sqlite import sqlite3

SESSION_OUTCOMES = ("success", "gave_up", "budget_hit", "crashed", "killed")
RUN_OUTCOMES = ("success", "gave_up", "budget_hit", "crashed")


def gather(conn: sqlite3.Connection) -> dict:
    """Counts, spend and durations; a live run's spend is counted now, a concluded one's is
    what its record says."""
    latest: dict[str, sqlite3.Row] = {}
    for row in conn.execute("SELECT * FROM launches ORDER BY created"):
        latest[row["session"] or row["id"]] = row
    sessions = dict.fromkeys(("live",) + SESSION_OUTCOMES, 0)
    session_seconds = []
    for row in latest.values():
        where = live.state(row)[0]
        if where in (live.LIVE, live.STARTING_UP):
            sessions["live"] += 1
        elif row["outcome"] in sessions:
            sessions[row["outcome"]] += 1
        elif where == live.CRASHED:
            sessions["crashed"] += 1
        if row["ended"] is not None and row["started"] is not None:
            session_seconds.append(round(row["ended"] - row["started"], 3))
    runs = dict.fromkeys(("live",) + RUN_OUTCOMES, 0)
    run_seconds, tokens, tally = [], dict.fromkeys(TOKEN_KINDS, 0), _Cost()
    index = None
    for run in conn.execute("SELECT * FROM runs").fetchall():
        if run["concluded"] is None:
            runs["live"] += 1
            if index is None:
                from axi.index.catalog import open_index

                index, _ = open_index(budget=2.0)
            from axi.control.runs import totals

            total = totals(conn, run["id"], index)
        else:
            runs[run["outcome"]] = runs.get(run["outcome"], 0) + 1
            run_seconds.append(round(run["concluded"] - run["started"], 3))
            total = json.loads(run["totals"] or "{}")
        for kind in TOKEN_KINDS:
            tokens[kind] += total.get("tokens", {}).get(kind, 0)
        tally.add(total.get("cost"), total.get("cost_kind", "unknown"))
    return {"sessions": sessions, "session_seconds": sorted(session_seconds),
            "runs": runs, "run_seconds": sorted(run_seconds), "tokens": tokens,
            "cost": tally.result()}


class _Cost:
    """Adds (usd, kind) pairs the way one CostTally would have counted them together."""

    def __init__(self) -> None:
        from axi.index.rows import CostTally

        self.tally = CostTally()

    def add(self, usd: float | None, kind: str) -> None:
        self.tally.usd += usd or 0.0
        self.tally.recorded |= kind == "recorded"
        self.tally.estimated |= kind in ("estimate", "partial")
        self.tally.missing |= kind in ("partial", "unknown")

    def result(self) -> tuple[float | None, str]:
        return self.tally.result()


def median(values: list[float]) -> float | None:
    if not values:
        return None
    mid = len(values) // 2
    return values[mid] if len(values) % 2 else (values[mid - 1] + values[mid]) / 2


def prom_text(numbers: dict) -> str:
    """The Prometheus text exposition format; every series is always present."""
    lines: list[str] = []

    def metric(name: str, kind: str, about: str, samples: list[tuple[str, float]]) -> None:
        lines.extend([f"# HELP {name} {about}", f"# TYPE {name} {kind}"])
        lines.extend(f"{name}{labels} {_number(value)}" for labels, value in samples)

    metric("axi_sessions", "gauge", "Sessions launched by axi, by outcome (live: running now).",
           [(f'{{outcome="{k}"}}', v) for k, v in numbers["sessions"].items()])
    metric("axi_runs", "gauge", "Runs, by outcome (live: not concluded yet).",
           [(f'{{outcome="{k}"}}', v) for k, v in numbers["runs"].items()])
    metric("axi_tokens", "gauge", "Tokens over all runs, by kind.",
           [(f'{{kind="{k}"}}', v) for k, v in numbers["tokens"].items()])
    usd, kind = numbers["cost"]
    metric("axi_cost_usd", "gauge", "Spend over all runs in USD (estimated from token counts "
           "where the harness records no cost).", [("", usd or 0.0)])
    for what, values in (("run", numbers["run_seconds"]),
                         ("session", numbers["session_seconds"])):
        samples = [('{quantile="0.5"}', median(values) or 0.0),
                   ('{quantile="1"}', max(values, default=0.0)),
                   ("_sum", sum(values)), ("_count", len(values))]
        name = f"axi_{what}_duration_seconds"
        lines.extend([f"# HELP {name} Wall time of {what}s that ended.",
                      f"# TYPE {name} summary"])
        lines.extend(f"{name}{suffix} {_number(value)}" for suffix, value in samples)
    metric("axi_metrics_generated_seconds", "gauge", "When these numbers were taken (epoch).",
           [("", round(time.time()))])
    return "\n".join(lines) + "\n"


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def write_atomically(path: str, text: str) -> str:
    """Write `text` to `path` in one rename, so a collector never reads half a file; a new
    file is 0644 (the collector usually runs as another user). Returns the absolute path."""
    from axi.paths import write_atomic

    return write_atomic(os.path.abspath(os.path.expanduser(path)), text, mode=0o644)
