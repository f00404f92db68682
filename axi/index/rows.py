"""Session rows as people and agents read them: derived status, age, ctx %, tokens, cost."""

from __future__ import annotations

from axi import dirmap, views
from axi.index.catalog import subagent_keys, token_totals
from axi.sqlite import sqlite3
from axi.views import clock

LIST_FIELDS = ["id", "harness", "status", "age", "title"]
ALL_FIELDS = ["id", "harness", "status", "age", "title", "dir", "model", "ctx", "tokens",
              "reasoning", "cost", "tokens_with_subagents", "cost_with_subagents", "branch",
              "turns", "created", "last", "full_id", "launch"]
QUESTION_TEXT = 80  # a list row's question; `sessions view` shows more


class CostTally:
    """Cost over usage buckets: recorded where the harness recorded it, else estimated.

    `result()` gives (usd, kind), kind one of recorded, estimate, partial (some models unpriced;
    usd covers the rest), unknown (nothing priced; usd is None, never zero), none (no spend).
    """

    def __init__(self) -> None:
        self.usd = 0.0
        self.recorded = self.estimated = self.missing = False

    def add(self, model: str, provider: str | None, hour: int, i: int, o: int, cr: int,
            cw: int, recorded_cost: float | None) -> None:
        if recorded_cost is not None:
            self.usd += recorded_cost
            self.recorded = True
            return
        usd, partial = estimate(model, provider, hour, i, o, cr, cw)
        if usd is None:
            self.missing = self.missing or bool(i or o or cr or cw)
            return
        self.usd += usd
        self.estimated = True
        self.missing = self.missing or partial

    def merge(self, other: CostTally) -> None:
        self.usd += other.usd
        self.recorded = self.recorded or other.recorded
        self.estimated = self.estimated or other.estimated
        self.missing = self.missing or other.missing

    def result(self) -> tuple[float | None, str]:
        if self.missing:
            return (self.usd, "partial") if (self.recorded or self.estimated) else (None, "unknown")
        if self.estimated:
            return self.usd, "estimate"
        return (self.usd, "recorded") if self.recorded else (None, "none")


def cost_of(conn: sqlite3.Connection, keys: list[str]) -> tuple[float | None, str]:
    """The cost of the sessions `keys` (see CostTally)."""
    marks = ",".join("?" * len(keys))
    tally = CostTally()
    for model, hour, i, o, cr, cw, cost, provider in conn.execute(
        f"SELECT u.model, u.hour, u.input, u.output, u.cache_read, u.cache_write, u.cost, "
        f"s.provider FROM usage u JOIN sessions s ON s.key = u.session_key "
        f"WHERE u.session_key IN ({marks})", keys):
        tally.add(model, provider, hour, i, o, cr, cw, cost)
    return tally.result()


def estimate(model: str, provider: str | None, hour: int, i: int, o: int, cr: int, cw: int
             ) -> tuple[float | None, bool]:
    """Estimated USD at the price in force during `hour` (epoch hours), as (usd, partial)."""
    from datetime import UTC, datetime

    from axi import pricing

    price = pricing.lookup(model, provider, when=datetime.fromtimestamp(hour * 3600, UTC))
    if price is None:
        return None, True
    return pricing.estimate_cost(price, i, o, cr, cw)


def money(usd: float | None, kind: str) -> str:
    if kind == "none":
        return views.money(0.0)
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
            ids: dict[str, str], now: float | None = None, overlay=None) -> list[dict]:
    """Rows as shown; a session axi launched takes its status from the control plane: the
    command layer passes its word in as `overlay` (rows -> {session id: Control}, as
    `axi.control.overlay.statuses`; the index sits below the control plane and never imports
    it). When a shown session needs you, every row gets `question` and `answer_with` (what it
    asks, and the command that answers it)."""
    now = now or clock()
    control, words = {}, {}
    if overlay is not None and {"status", "title", "launch"} & set(fields):
        control = overlay(rows)
    if "status" in fields:
        from axi.index.status import of_rows

        words = of_rows(conn, rows, now)
    shown = [_one(conn, row, fields, ids, now, control.get(row["id"]), words.get(row["key"]))
             for row in rows]
    waiting = [waiting_on(control.get(row["id"]), ids.get(row["id"], row["id"]),
                          out["status"])
               if out.get("status") in ("needs you", "needs auth") else (None, None)
               for row, out in zip(rows, shown, strict=True)]
    if any(q for q, _ in waiting):
        for out, (question, answer_with) in zip(shown, waiting, strict=True):
            out["question"] = views.one_line(question, QUESTION_TEXT)
            out["answer_with"] = answer_with
    return shown


def status_of(control, word: str | None) -> str | None:
    """The status shown: the control plane's for a session axi launched, except that a held
    session its hooks report blocked on a prompt (a permission request) needs you."""
    if control is None:
        return word
    if control.held and word == "needs you" and control.status in ("working", "idle"):
        return "needs you"
    return control.status


def waiting_on(control, shown_id: str, status: str = "needs you") -> tuple[str, str]:
    """What a session that needs you is waiting on, and the command that answers it."""
    if status == "needs auth":
        where = "on its screen" if control is not None and control.held else "in its terminal"
        return (f"a login or OAuth prompt {where}",
                views.command("sessions", "attach", shown_id) if control is not None
                and control.held else "complete it in that terminal")
    if control is not None and control.question:
        return control.question, views.command("reply", shown_id, "<answer>")
    if control is not None and control.held:
        return ("a prompt on its screen (such as a permission request)",
                views.command("sessions", "attach", shown_id))
    return ("a prompt in the terminal it runs in (such as a permission request)",
            "answer it in that terminal")


def _one(conn, row, fields, ids, now, control, word: str | None) -> dict:
    out: dict = {}
    for f in fields:
        if f == "status":
            out[f] = status_of(control, word)
        elif control and control.name and f == "title":
            out[f] = views.one_line(control.name, 60)
        elif f == "launch":
            out[f] = control.launch if control else None
        else:
            out[f] = _field(conn, row, f, ids, now)
    return out


def _field(conn, row, name, ids, now):
    if name == "id":
        return ids.get(row["id"], row["id"])
    if name == "full_id":
        return row["id"]
    if name == "age":
        return views.age(row["last"], now)
    if name == "title":
        return views.one_line(row["title"], 60)
    if name == "dir":
        return dirmap.shown(row["dir"])
    if name == "ctx":
        return ctx_percent(row)
    if name in ("tokens", "tokens_with_subagents"):
        keys = keys_with_subagents(conn, row) if name != "tokens" else [row["key"]]
        sums = token_totals(conn, keys)
        return views.tokens(sum(v or 0 for k, v in sums.items() if k != "reasoning"))
    if name == "reasoning":
        return views.tokens(row["reasoning"])
    if name in ("cost", "cost_with_subagents"):
        keys = keys_with_subagents(conn, row) if name != "cost" else [row["key"]]
        return money(*cost_of(conn, keys))
    if name == "branch":
        return row["git_branch"]
    if name in ("created", "last"):
        return views.iso(row[name])
    return row[name]


def keys_with_subagents(conn: sqlite3.Connection, row: sqlite3.Row) -> list[str]:
    """The session and every sub-agent below it (at any depth)."""
    return [row["key"], *subagent_keys(conn, row)]
