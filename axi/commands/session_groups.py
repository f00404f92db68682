"""`axi sessions --group-by dir|run|tag:KEY`: one row per group of the sessions the filters
pick, with totals: how many sessions, how many are working or need you, tokens, cost and the
newest activity. Groups are newest first; sessions without a run or the tag come last, under
`(no run)` or `(no KEY)`.

Tokens and cost count every token once, in the group of the session that spent it, with its
sub-agents (unless `--subagents` lists them as sessions of their own): the totals of a group
are the sum of its sessions' `tokens_with_subagents` and `cost_with_subagents`, priced as
`rows.cost_of` prices them (each usage hour at its own price).
"""

from __future__ import annotations

from axi import views
from axi.commands.session_pick import Selection, command, index_note
from axi.errors import UsageFault
from axi.index.catalog import MAX_DEPTH
from axi.index.rows import CostTally, money
from axi.paths import tilde
from axi.shown import Table
from axi.sqlite import sqlite3
from axi.views import clock

AGGREGATES = ("sessions", "working", "needs_you", "tokens", "cost", "age")
OVERLAY_CHUNK = 2000  # session ids per control-plane query


def parse_group(spec: str) -> tuple[str, str | None]:
    """`dir`, `run` or `tag:KEY` as (kind, KEY or None), else a usage error."""
    if spec in ("dir", "run"):
        return spec, None
    kind, colon, key = spec.partition(":")
    if kind == "tag" and key and not any(c in " \t;=," or ord(c) < 32 for c in key):
        return "tag", key
    raise UsageFault(f"--group-by {spec!r} is not dir, run or tag:KEY", help=[
        "`axi sessions --all --group-by dir` (one row per folder)",
        "`axi sessions --all --group-by run` (one row per run of sessions axi launched)",
        "`axi sessions --all --group-by tag:team` (one row per value of the tag team)"])


def group_command(spec: str, host: str | None, fields: str | None, pick: Selection,
                  limit: int) -> dict:
    kind, key = parse_group(spec)
    views.check_limit(limit)
    if fields:
        raise UsageFault("--fields does not apply to --group-by: a group's columns are fixed "
                         f"({', '.join(AGGREGATES)})", help=[views.hint(command(
                             "sessions", flags=pick.flags(**{"--fields": fields})),
                             "lists the sessions with those fields")])
    data: dict = {"by": spec}
    if _other_machines(host):
        raise UsageFault("--group-by groups this machine's sessions only", help=[
            views.hint(command("sessions", flags=pick.flags(**{"--group-by": spec})),
                       "groups them here"),
            views.hint(command("sessions", flags=pick.flags(**{"--host": host})),
                       "lists every machine's sessions")])
    pick.open()
    conn = pick.conn
    rows = conn.execute(f"SELECT * FROM sessions WHERE {pick.where} ORDER BY last DESC",
                        pick.args).fetchall()
    if not rows:
        pick.nothing(data, "groups", **{"--group-by": spec})
        index_note(data, pick.fresh)
        return data
    labels = _labels(kind, key, rows)
    groups = _groups(conn, rows, labels, pick.subagents)
    ordered = sorted(groups.items(), key=lambda kv: (kv[0] is None, -(kv[1]["last"] or 0)))
    column = kind if kind != "tag" else key if key not in AGGREGATES else spec
    none = f"(no {kind if kind != 'tag' else key})"
    shown = [{column: none if label is None else tilde(label) if kind == "dir" else label,
              **_cells(g)} for label, g in ordered[:limit]]
    data["count"] = views.count_line(len(shown), len(groups)) + (
        "" if pick.all_dirs else f" in {pick.place}")
    everyone = _total(groups.values())
    data["total"] = {k: v for k, v in _cells(everyone).items() if k != "age"}
    data["groups"] = Table(shown, liftable=("working", "needs_you"),
                           folder_key=column if kind == "dir" else None)
    data["help"] = _hints(kind, key, spec, pick, len(shown) < len(groups), limit, labels)
    if host is None:
        from axi.remote import maybe_configured

        if maybe_configured():
            data["hosts"] = "this machine's sessions only: --group-by does not ask hosts yet"
    from axi.console.pricetable import stale_note

    stale_note(data)
    index_note(data, pick.fresh)
    return data


def _other_machines(host: str | None) -> bool:
    if host in (None, "local"):
        return False
    from axi.remote.hosts import machine_name

    return host != machine_name()


def _labels(kind: str, key: str | None, rows: list) -> dict[str, str | None]:
    """session key -> its group (None: no run, or no such tag)."""
    keys = [r["key"] for r in rows]
    if kind == "dir":
        return {r["key"]: r["dir"] or None for r in rows}
    if kind == "run":
        runs = _runs(keys)
        return {k: runs.get(k) for k in keys}
    from axi.control.tags import read, value_text

    found = read(keys)
    return {k: value_text(found[k][key]) if key in found.get(k, {}) else None for k in keys}


def _runs(keys: list[str]) -> dict[str, str]:
    """session key -> the run of its newest launch, for sessions axi launched."""
    import contextlib

    from axi.mailbox import db

    if not db.exists():
        return {}
    out: dict[str, str] = {}
    with contextlib.suppress(sqlite3.Error), contextlib.closing(
            db.connect_readonly(db.mailbox_path())) as conn:
        wanted = set(keys)
        for harness, session, run in conn.execute(
                "SELECT harness, session, run FROM launches WHERE session IS NOT NULL "
                "ORDER BY created"):
            if f"{harness}:{session}" in wanted:
                out[f"{harness}:{session}"] = run
    return out


def _groups(conn: sqlite3.Connection, rows: list, labels: dict, subagents: bool) -> dict:
    """label -> {sessions, working, needs_you, tokens, cost (a CostTally), last}."""
    import json

    from axi.control.overlay import statuses
    from axi.index.rows import status_of
    from axi.index.status import of_rows

    words = of_rows(conn, rows, clock())
    control: dict = {}
    for at in range(0, len(rows), OVERLAY_CHUNK):
        control.update(statuses(rows[at:at + OVERLAY_CHUNK]))
    groups: dict = {}
    for row in rows:
        g = groups.setdefault(labels[row["key"]], {
            "sessions": 0, "working": 0, "needs_you": 0, "tokens": 0, "cost": CostTally(),
            "last": None})
        state = status_of(control.get(row["id"]), words[row["key"]])
        g["sessions"] += 1
        g["working"] += state == "working"
        g["needs_you"] += state == "needs you"
        g["last"] = max(g["last"] or 0, row["last"] or 0) or g["last"]
    order = list(groups)
    number = {label: i for i, label in enumerate(order)}
    member = {k: number[label] for k, label in labels.items()}
    if not subagents:
        member.update(_subagents_of(conn, rows, member))
    by_key = json.dumps(member)
    for grp, tokens in conn.execute(
            "SELECT g.value, sum(coalesce(s.input, 0) + coalesce(s.output, 0) + "
            "coalesce(s.cache_read, 0) + coalesce(s.cache_write, 0)) FROM json_each(?) g "
            "CROSS JOIN sessions s ON s.key = g.key GROUP BY g.value", (by_key,)):
        groups[order[grp]]["tokens"] = tokens or 0
    for grp, model, provider, hour, i, o, cr, cw, cost in conn.execute(
            "SELECT g.value, u.model, s.provider, u.hour, sum(u.input), sum(u.output), "
            "sum(u.cache_read), sum(u.cache_write), sum(u.cost) FROM json_each(?) g "
            "CROSS JOIN usage u ON u.session_key = g.key JOIN sessions s ON s.key = g.key "
            "GROUP BY g.value, u.model, s.provider, u.hour, u.cost IS NULL", (by_key,)):
        groups[order[grp]]["cost"].add(model, provider, hour, i, o, cr, cw, cost)
    return groups


def _subagents_of(conn: sqlite3.Connection, rows: list, member: dict[str, int]
                  ) -> dict[str, int]:
    """Each sub-agent session below one of `rows` (at any depth), in its top session's
    group: a sub-agent's tokens are part of its parent's, as in `axi usage`."""
    top = {(r["harness"], r["id"]): r["key"] for r in rows}
    subs = conn.execute("SELECT key, harness, id, parent_id FROM sessions "
                        "WHERE is_subagent = 1 AND parent_id IS NOT NULL").fetchall()
    parent = {(h, i): (h, p) for _key, h, i, p in subs}
    out: dict[str, int] = {}
    for key, harness, ident, _parent in subs:
        at = (harness, ident)
        for _ in range(MAX_DEPTH):
            at = parent.get(at) or at
            if at in top:
                out[key] = member[top[at]]
                break
            if at not in parent:
                break
    return out


def _total(groups) -> dict:
    total = {"sessions": 0, "working": 0, "needs_you": 0, "tokens": 0, "cost": CostTally(),
             "last": None}
    for g in groups:
        for k in ("sessions", "working", "needs_you", "tokens"):
            total[k] += g[k]
        total["cost"].merge(g["cost"])
        total["last"] = max(total["last"] or 0, g["last"] or 0) or total["last"]
    return total


def _cells(g: dict) -> dict:
    return {"sessions": g["sessions"], "working": g["working"], "needs_you": g["needs_you"],
            "tokens": views.tokens(g["tokens"]), "cost": money(*g["cost"].result()),
            "age": views.age(g["last"])}


def _hints(kind: str, key: str | None, spec: str, pick: Selection, more: bool, limit: int,
           labels: dict) -> list[str]:
    flags = pick.flags(**{"--group-by": spec})
    if kind == "dir":
        hints = [views.hint(command("sessions", flags={**flags, "--group-by": None,
                                                       "--all": False, "--dir": "<dir>"}),
                            "lists a group's sessions")]
    elif kind == "run":
        hints = [views.hint(views.command("runs", "<run>"), "shows a run's sessions as a tree")]
    else:
        hints = [views.hint(command("sessions", flags={**flags, "--group-by": None}) +
                            f" --tag {key}=<value>", "lists a group's sessions")]
        if all(v is None for v in labels.values()):
            from axi.control.tags import read

            keys = sorted({k for tags in read().values() for k in tags})
            hints.append(f"no session here has the tag {key}; tags in use: "
                         f"{', '.join(keys)}" if keys else views.hint(views.command(
                             "sessions", "tag", "<id>", flags={"--label": f"{key}=<value>"}),
                             "tags a session"))
    if more:
        hints.append(views.hint(command("sessions", flags={**flags, "--limit": limit * 5}),
                                "for more groups"))
    return hints
