"""`--host all|NAME` for `sessions search`, `usage` and `runs`: this machine's answer and each
host's (asked in parallel, one request each), merged into one table with a `host` column.
A host that does not answer is a note under `hosts` for `all`, an error when it was named."""

from __future__ import annotations

import json
import re

from axi import views
from axi.errors import AxiError
from axi.remote.hosts import Host


def chosen(host: str) -> tuple[list[Host], bool, str]:
    """(hosts to ask, whether this machine answers too, this machine's name)."""
    from axi.remote.hosts import find, load_hosts, machine_name

    known = load_hosts()
    machine = machine_name()
    if host in ("local", machine):
        return [], True, machine
    if host == "all":
        return known, True, machine
    return [find(host, known)], False, machine


def ask(host: str, argv: list[str]) -> tuple[list[tuple[Host, dict]], list[dict], str, bool]:
    """Every chosen host's result: ([(host, result)], notes on hosts that did not answer,
    this machine's name, whether this machine answers too)."""
    from axi.remote import cache
    from axi.remote.federate import ask_all
    from axi.remote.route import checked

    hosts, here, machine = chosen(host)
    now = views.clock()
    answered, notes = [], []
    for target, reply in zip(hosts, ask_all(hosts, argv), strict=True):
        cache.record(reply, now)
        try:
            result = checked(target, reply, argv, set()).get("result")
        except AxiError as exc:
            if host != "all":
                raise
            notes.append({"host": target.name, "status": reply.status, "error": exc.message})
            continue
        answered.append((target, result if isinstance(result, dict) else {}))
    return answered, notes, machine, here


def plain(data: dict) -> dict:
    """This machine's answer as a host's arrives: the JSON form (exact values beside)."""
    from axi.output import encode

    return json.loads(encode(data, "json"))


def _machines(n: int) -> str:
    return f"{n} machine" + ("" if n == 1 else "s")


def _finish(data: dict, notes: list[dict], hosts_n: int) -> dict:
    if notes:
        data["hosts"] = notes
        data.setdefault("help", [])
        data["help"] = list(data["help"]) + [
            views.hint(f"axi hosts check {n['host']}", "tries it again") for n in notes]
    return data


def _rows(result: dict, key: str) -> list[dict]:
    rows = result.get(key)
    return rows if isinstance(rows, list) else []


def _total(result: dict, shown: int) -> int:
    total = result.get("count_total", result.get("total"))
    return int(total) if isinstance(total, int) else shown


def _addressed_row(raw: dict, host: str, id_key: str | None = "id") -> dict:
    from axi.remote.federate import revive

    row = revive(raw)
    out: dict = {}
    for key, value in row.items():
        out[key] = f"{host}/{value}" if key == id_key and host is not None else value
        if key == (id_key or next(iter(row), None)):
            out["host"] = host
    if "host" not in out:
        out = {"host": host, **out}
    return out


def _same_keys(rows: list[dict]) -> list[dict]:
    keys: list[str] = []
    for row in rows:
        keys += [k for k in row if k not in keys]
    return [{k: row.get(k) for k in keys} for row in rows]


# sessions search ---------------------------------------------------------------------------

def search_hosts(host: str, query: tuple[str, ...], directory: str | None,
                 harness: str | None, limit: int, search_here) -> dict:
    views.check_limit(limit)
    words = " ".join(query).split()
    argv = ["sessions", "search", *words, "--limit", str(limit)]
    argv += ["--dir", directory] if directory else []
    argv += ["--harness", harness] if harness else []
    answered, notes, machine, here = ask(host, argv)
    rows, total = [], 0
    if here:
        local = plain(search_here(query, directory, harness, limit))
        rows += [_addressed_row(h, machine, None) for h in _rows(local, "hits")]
        total += _total(local, len(_rows(local, "hits")))
    for target, result in answered:
        hits = _rows(result, "hits")
        rows += [_addressed_row(h, target.name) for h in hits]
        total += _total(result, len(hits))
    rows.sort(key=lambda r: getattr(r.get("age"), "raw", None) or 0)
    rows = _same_keys(rows[:limit])
    from axi.shown import Table

    machines = len(answered) + here
    data: dict = {"query": " ".join(words)}
    if rows:
        data["count"] = views.count_line(len(rows), total) + f" on {_machines(machines)}"
        data["hits"] = Table(rows, liftable=("host", "harness", "role", "age", "dir"))
        data["help"] = [views.hint(views.command("sessions", "read", "<id>", flags={
            "--since": "<cursor>"}), "shows the turns around a hit (host/id on a host)")]
    else:
        data["hits"] = f"0 hits for {' '.join(words)!r} on {_machines(machines)}"
        data["help"] = [views.hint(views.command("sessions", flags={"--all": True,
                                                                   "--host": "all"}),
                                   "lists every session")]
    return _finish(data, notes, machines)


# usage -------------------------------------------------------------------------------------

TOKENS = ("input", "output", "reasoning", "cache_read", "cache_write")
MONEY = re.compile(r"^\$([0-9,]+\.[0-9]+)")


def usage_hosts(host: str, by: str, argv: list[str], limit: int, usage_here) -> dict:
    """Each machine's rows (a `host` column first) and one total summed across them."""
    answered, notes, machine, here = ask(host, ["usage", *argv])
    results = [(machine, plain(usage_here()))] if here else []
    results += [(t.name, r) for t, r in answered]
    rows: list[dict] = []
    totals: list[dict] = []
    scope = None
    for name, result in results:
        scope = scope or result.get("scope")
        if isinstance(result.get("total"), dict):
            totals.append(result["total"])
        for raw in _rows(result, "rows"):
            rows.append({"host": name, **_tokens_shown(raw)})
    if by == "day":
        rows.sort(key=lambda r: str(r.get("day") or ""), reverse=True)
    else:
        rows.sort(key=lambda r: -sum(_exact(r, k) or 0 for k in TOKENS if k != "reasoning"))
    machines = len(results)
    data: dict = {"scope": f"{scope or 'all folders'}, {_machines(machines)}"}
    if not rows:
        data["usage"] = f"0 tokens recorded on {_machines(machines)}"
        return _finish(data, notes, machines)
    total: dict = {"sessions": sum(int(t.get("sessions") or 0) for t in totals)}
    for key in TOKENS:
        values = [_exact(t, key, None) for t in totals]
        known = [v for v in values if v is not None]
        total[key] = views.tokens(sum(known)) if known else None
    total["cost"] = _money_sum([t.get("cost") for t in totals])
    data["total"] = total
    data["count"] = views.count_line(min(limit, len(rows)), len(rows))
    data["rows"] = rows[:limit]
    data["help"] = [views.hint(views.command("usage", flags={"--host": host, "--by": other}))
                    for other in ("day", "harness", "model", "dir") if other != by][:2]
    return _finish(data, notes, machines)


def _exact(row: dict, key: str, default: int | None = 0) -> int | None:
    value = row.get(f"{key}_exact", row.get(key))
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return int(value)
    if hasattr(value, "raw"):
        return int(value.raw)
    return default


def _tokens_shown(raw: dict) -> dict:
    out: dict = {}
    for key, value in raw.items():
        if key.endswith("_exact"):
            continue
        out[key] = views.tokens(_exact(raw, key, None)) if key in TOKENS else value
    return out


def _money_sum(costs: list) -> str:
    """Dollars summed from each machine's text; `(est)` when any part is an estimate,
    `partial` when a part is unknown."""
    total, est, partial = 0.0, False, False
    for cost in costs:
        found = MONEY.match(str(cost or ""))
        if found is None:
            partial = partial or str(cost or "").startswith("unknown")
            continue
        total += float(found.group(1).replace(",", ""))
        est = est or "(est" in str(cost)
        partial = partial or "partial" in str(cost)
    text = views.money(total)
    if partial:
        return f"{text} (est, partial)"
    return f"{text} (est)" if est else text


# runs --------------------------------------------------------------------------------------

def runs_hosts(host: str, argv: list[str], limit: int, runs_here) -> dict:
    """Every machine's runs, newest first, the ids on a host addressed `host/id`."""
    answered, notes, machine, here = ask(host, ["runs", *argv])
    results = [(machine, None, plain(runs_here()))] if here else []
    results += [(t.name, t.name, r) for t, r in answered]
    rows, total = [], 0
    for name, prefix, result in results:
        found = _rows(result, "runs")
        for raw in found:
            row = _addressed_row(raw, name, "id" if prefix else None)
            rows.append(row)
        total += _total(result, len(found))
    rows.sort(key=lambda r: getattr(r.get("age"), "raw", None) or 0)
    rows = _same_keys(rows[:limit])
    machines = len(results)
    data: dict = {}
    if rows:
        data["count"] = views.count_line(len(rows), total) + f" on {_machines(machines)}"
        data["runs"] = rows
        data["help"] = [views.hint(views.command("runs", "<run>"),
                                   "shows one of this machine's runs")]
    else:
        data["runs"] = f"0 runs on {_machines(machines)}"
    return _finish(data, notes, machines)
