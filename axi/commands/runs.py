"""`axi runs [RUN]`: the runs launched sessions form (a coordinator and its workers, or the
workers a script started with `--run R`), newest first; or one run's record and its tree."""

from __future__ import annotations

import json

import click

from axi import views
from axi.commands.tree import AxiCommand
from axi.errors import AxiError, NotFound
from axi.sqlite import sqlite3
from axi.views import clock

LIST_FIELDS = ["id", "outcome", "sessions", "cost", "age"]
ALL_FIELDS = LIST_FIELDS + ["live", "tokens", "root", "task", "reason", "started",
                            "concluded", "duration"]
OUTCOMES = ("live", "success", "gave_up", "budget_hit", "crashed")
TASK_TEXT = 500


@click.command(cls=AxiCommand, examples=(
    "axi runs", "axi runs run-3f2a9c1d", "axi runs --outcome budget_hit --fields reason,tokens"))
@click.argument("run_id", metavar="RUN", required=False)
@click.option("--outcome", type=click.Choice(OUTCOMES), help="Only runs with this outcome.")
@click.option("--fields", metavar="F", help=f"Add fields: {','.join(ALL_FIELDS)}.")
@click.option("--limit", type=int, default=20, show_default=True, help="Runs to show.")
@click.option("--full", is_flag=True, help="Do not truncate the task.")
@click.option("--host", metavar="H", help="Also list hosts' runs: all, or one host's name "
              "(axi hosts); default this machine only.")
def runs(run_id: str | None, outcome: str | None, fields: str | None, limit: int,
         full: bool, host: str | None) -> dict:
    """Runs newest first (`live` until concluded), or one run's record and tree."""
    from axi.control import records

    if host is not None and run_id:
        from axi.errors import UsageFault

        raise UsageFault("--host lists runs; it does not go with RUN", help=[
            views.hint(views.command("runs", flags={"--host": host}), "lists them")])
    if host is not None:
        from axi.remote.aggregate import runs_hosts

        views.check_limit(limit)
        argv = ["--limit", str(limit)] + (["--outcome", outcome] if outcome else []) + (
            ["--fields", fields] if fields else [])
        return runs_hosts(host, argv, limit,
                          lambda: list_view(records.connect(), outcome, fields, limit))
    conn = records.connect()
    if run_id:
        return detail(conn, find_run(conn, run_id), full)
    return list_view(conn, outcome, fields, limit)


# The list ----------------------------------------------------------------------------------

def list_view(conn: sqlite3.Connection, outcome: str | None, fields_spec: str | None,
              limit: int) -> dict:
    views.check_limit(limit)
    fields = views.parse_fields(fields_spec, LIST_FIELDS, ALL_FIELDS, "axi runs")
    where, args = ("1", [])
    if outcome == "live":
        where = "concluded IS NULL"
    elif outcome:
        where, args = "outcome = ?", [outcome]
    total = conn.execute(f"SELECT count(*) FROM runs WHERE {where}", args).fetchone()[0]
    if not total:
        return {"runs": f"0 runs{f' with outcome {outcome}' if outcome else ''}", "help": [
            views.hint('axi sessions new claude "task" --max-cost 5',
                       "starts one (every launch starts a run, or joins one with --run R)")]}
    rows = conn.execute(f"SELECT * FROM runs WHERE {where} ORDER BY started DESC LIMIT ?",
                        args + [limit]).fetchall()
    rows = [settled(conn, r) for r in rows]
    sums = Sums(conn)
    shown = [list_row(conn, r, sums, fields) for r in rows]
    data: dict = {"count": views.count_line(len(shown), total), "runs": shown,
                  "help": [views.hint(views.command("runs", "<run>"),
                                      "shows a run's record and its tree of sessions")]}
    if total > len(shown):
        data["help"].append(views.hint(views.command("runs", flags={"--limit": total})))
    return data


def list_row(conn: sqlite3.Connection, run: sqlite3.Row, sums: Sums, fields: list[str]
             ) -> dict:
    from axi.control import live, records

    members = records.members(conn, run["id"])
    total = sums.of(run)
    value = {
        "id": run["id"], "outcome": run["outcome"] or "live", "sessions": len(members),
        "cost": cost_text(total), "age": views.age(run["started"], clock()),
        "live": sum(1 for m in members if live.running(m)),
        "tokens": views.tokens(sum(total.get("tokens", {}).values())),
        "root": run["root"][:8] if run["root"] else None,
        "task": views.one_line(run["task"], 60), "reason": run["reason"],
        "started": views.iso(run["started"]), "concluded": views.iso(run["concluded"]),
        "duration": views.duration((run["concluded"] or clock()) - run["started"])}
    return {f: value[f] for f in fields}


class Sums:
    """Run totals: a concluded run's from its record, a live run's counted now (one index)."""

    def __init__(self, conn: sqlite3.Connection):
        self.conn, self.index = conn, None

    def of(self, run: sqlite3.Row) -> dict:
        if run["concluded"] is not None and run["totals"]:
            return json.loads(run["totals"])
        from axi.control import runs as control

        return control.totals(self.conn, run["id"], self.catalog())

    def catalog(self) -> sqlite3.Connection:
        if self.index is None:
            from axi.index.catalog import open_index

            self.index, _ = open_index(budget=2.0)
        return self.index


def cost_text(total: dict) -> str:
    from axi.index.rows import money

    if "cost_kind" not in total:
        return "unknown"
    return money(total.get("cost"), total["cost_kind"])


# One run -----------------------------------------------------------------------------------

def find_run(conn: sqlite3.Connection, text: str) -> sqlite3.Row:
    """The run named `text`, or the one run whose id starts with it."""
    from axi.control import records

    exact = records.get_run(conn, text)
    if exact is not None:
        return exact
    pattern = "".join(f"[{c}]" if c in "*?[]" else c for c in text) + "*"
    found = conn.execute("SELECT * FROM runs WHERE id GLOB ? ORDER BY started DESC LIMIT 6",
                         (pattern,)).fetchall()
    if len(found) > 1:
        raise AxiError(f"run prefix {text!r} matches {len(found)} runs", code="AMBIGUOUS",
                       matches=[r["id"] for r in found[:5]], help=["give more of the run id"])
    if not found:
        raise NotFound(f"no run {text!r}", help=[views.hint(views.command("runs"),
                                                            "lists runs, newest first")])
    return found[0]


def settled(conn: sqlite3.Connection, run: sqlite3.Row) -> sqlite3.Row:
    """A live run after noticing holders that died without a word (that may conclude it)."""
    from axi.control import records
    from axi.control import runs as control
    from axi.control.waiting import settle

    if run["concluded"] is not None:
        return run
    for member in records.members(conn, run["id"]):
        settle(conn, member)
    control.conclude_if_done(conn, run["id"])
    return records.get_run(conn, run["id"])


def detail(conn: sqlite3.Connection, run: sqlite3.Row, full: bool) -> dict:
    from axi.control import records

    run = settled(conn, run)
    members = records.members(conn, run["id"])
    sums = Sums(conn)
    total = sums.of(run)
    index = sums.catalog()
    task, _ = views.truncate(run["task"], TASK_TEXT, full,
                             hint=views.command("runs", run["id"], flags={"--full": True}))
    tree_rows = tree(conn, members, index)
    live_now = [t for t in tree_rows if t["status"] not in ("done", "crashed")]
    data = {"run": run["id"], "outcome": run["outcome"] or "live", "reason": run["reason"],
            "root": run["root"][:8] if run["root"] else None, "task": task,
            "started": views.iso(run["started"]), "concluded": views.iso(run["concluded"]),
            "duration": views.duration((run["concluded"] or clock()) - run["started"]),
            "fences": fence_view(json.loads(run["fences"] or "{}")),
            "totals": {"sessions": len(members), "live": len(live_now),
                       **{k: views.tokens(v) for k, v in total.get("tokens", {}).items()},
                       "cost": cost_text(total)},
            "tree": tree_rows, "help": detail_hints(run, tree_rows, live_now)}
    return {k: v for k, v in data.items() if v is not None}


def tree(conn: sqlite3.Connection, members: list[sqlite3.Row], index) -> list[dict]:
    """The run's sessions parent before children (`depth` shows the nesting)."""
    from axi.control import live, records
    from axi.control import runs as control

    asking = {a["launch"] for a in records.open_asks(conn, [m["id"] for m in members])}
    ids = {m["id"] for m in members}
    children: dict[str | None, list[sqlite3.Row]] = {}
    for m in members:
        children.setdefault(m["parent"] if m["parent"] in ids else None, []).append(m)
    out: list[dict] = []

    def visit(parent: str | None) -> None:
        for m in children.get(parent, []):
            _, keys = control.usage(index, m)
            out.append({"id": m["id"][:8], "depth": m["depth"],
                        "parent": m["parent"][:8] if m["parent"] else None,
                        "name": m["name"] or views.one_line(m["task"], 40),
                        "harness": m["harness"],
                        "status": live.status(m, asking=m["id"] in asking),
                        "outcome": m["outcome"],
                        "cost": cost_text(dict(zip(("cost", "cost_kind"),
                                                   control.cost(index, keys), strict=True)))})
            visit(m["id"])

    visit(None)
    return out


def fence_view(fences: dict) -> dict | str:
    shown = {}
    for key, value in fences.items():
        if value is None:
            continue
        if key == "max_cost":
            shown[key] = f"${value:g}"
        elif key == "timeout":
            shown[key] = views.duration(value)
        else:
            shown[key] = int(value)
    return shown or "none"


def detail_hints(run: sqlite3.Row, rows: list[dict], live_now: list[dict]) -> list[str]:
    if live_now:
        ids = [r["id"] for r in live_now][:4]
        return [views.hint(views.command("sessions", "wait", *ids), "blocks until they end"),
                views.hint(views.command("sessions", "read", ids[0], flags={"--follow": True}),
                           "streams a session's turns"),
                views.hint(views.command("sessions", "kill", flags={"--run": run["id"]}),
                           "stops the run, its root last")]
    first = rows[0]["id"] if rows else "<id>"
    return [views.hint(views.command("sessions", "result", first),
                       "shows a session's final report")]
