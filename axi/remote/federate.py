"""`axi sessions --host ...`: ask hosts in parallel, each within its own timeout, and merge
their rows with this machine's, newest first; a host that does not answer shows its
last-known rows, marked stale with their age."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from axi.remote import cache
from axi.remote.hosts import Host
from axi.remote.transport import ONLINE, Reply, call
from axi.shown import Age, Table
from axi.views import age, clock, count_line


def ask_all(hosts: list[Host], argv: list[str]) -> list[Reply]:
    """One call per host, all at once: the wall time is the slowest host's, at most the
    largest timeout."""
    if not hosts:
        return []
    with ThreadPoolExecutor(max_workers=len(hosts)) as pool:
        return list(pool.map(lambda h: call(h, argv), hosts))


def listing(hosts: list[Host], argv: list[str], force: bool) -> list[tuple[Host, dict, bool]]:
    """(host, {"rows", "total", "at"}, live) per host. Hosts that failed a moment ago are not
    asked again unless `force`; they, and hosts that fail now, give their cached rows."""
    now = clock()
    entries = {h.name: cache.read(h.name) for h in hosts}
    asked = [h for h in hosts if force or not cache.recently_failed(entries[h.name], now)]
    replies = {r.host: r for r in ask_all(asked, argv)}
    out = []
    for host in hosts:
        reply = replies.get(host.name)
        if reply is not None:
            rows = _rows_of(reply)
            entries[host.name] = cache.record(reply, now, rows)
        entry = entries[host.name]
        live = reply is not None and reply.status == ONLINE and "error" not in reply.answer
        out.append((host, entry, live))
    return out


def _rows_of(reply: Reply) -> dict | None:
    if reply.status != ONLINE or not isinstance(reply.answer.get("result"), dict):
        return None
    result = reply.answer["result"]
    rows = result.get("sessions")
    rows = rows if isinstance(rows, list) else []
    return {"rows": rows, "total": int(result.get("total") or len(rows))}


def merge(local: dict | None, machine: str, asked: list[tuple[Host, dict, bool]],
          limit: int) -> dict:
    """One table: this machine's rows (from `axi sessions`) and each host's, newest first."""
    now = clock()
    rows, total = _local_rows(local, machine)
    notes = []
    for host, entry, live in asked:
        stale = None if live else _stale_age(entry, now)
        for raw in entry.get("rows", []) if (live or stale is not None) else []:
            rows.append(_remote_row(raw, host.name, stale, now - float(entry.get("rows_at")
                                                                        or now)))
        total += int(entry.get("total") or 0) if (live or stale is not None) else 0
        if not live:
            notes.append(_note(host, entry, stale))
    rows.sort(key=lambda r: getattr(r.get("age"), "raw", None) or 0)
    rows = _same_keys(rows[:limit])
    hosts_n = len(asked) + (local is not None)
    data: dict = {}
    if rows:
        data["count"] = count_line(len(rows), total) + f" on {hosts_n} hosts"
        data["sessions"] = Table(rows, liftable=tuple(k for k in rows[0] if k not in (
            "id", "title", "question", "answer_with", "dir")))
    else:
        data["sessions"] = f"0 sessions on {hosts_n} hosts"
    if notes:
        data["hosts"] = notes
    for key in ("index", "warnings"):
        if local and key in local:
            data[key] = local[key]
    return data


def _local_rows(local: dict | None, machine: str) -> tuple[list[dict], int]:
    if not local or not isinstance(local.get("sessions"), list):
        return [], 0
    count = local.get("count")
    total = getattr(count, "total_n", len(local["sessions"]))
    return [_with_host(row, machine) for row in local["sessions"]], total


def _with_host(row: dict, host: str) -> dict:
    out = {"id": row["id"], "host": host}
    out.update((k, v) for k, v in row.items() if k != "id")
    return out


def _remote_row(raw: dict, host: str, stale: Age | None, older: float) -> dict:
    """A row from a host's JSON, shown like a local one, the id addressed `host/id`."""
    row = revive(raw, older)
    row["id"] = f"{host}/{raw.get('id')}"
    row = _with_host(row, host)
    if stale is not None:
        row["stale"] = stale
    return row


def revive(raw: dict, older: float = 0.0) -> dict:
    """JSON's exact ages (`age` beside `age_seconds`) as short forms again, `older` seconds
    older (the time since the host said them)."""
    from axi.shown import MissingFolder, MovedFolder

    out: dict = {}
    for key, value in raw.items():
        seconds = raw.get(f"{key}_seconds")
        if key.endswith(("_seconds", "_missing", "_recorded")) and key.rpartition("_")[0] in raw:
            continue
        if isinstance(seconds, (int, float)) and not isinstance(seconds, bool):
            value = age(clock() - seconds - older)
        elif raw.get(f"{key}_missing") is True and isinstance(value, str):
            value = MissingFolder("!" + value, value)  # gone on that host (see axi/dirmap.py)
        elif isinstance(raw.get(f"{key}_recorded"), str) and isinstance(value, str):
            value = MovedFolder(value, value)
            value.recorded = raw[f"{key}_recorded"]
        out[key] = value
    return out


def _same_keys(rows: list[dict]) -> list[dict]:
    """Tabular TOON needs every row to have the same keys: the union, in first-seen order."""
    keys: list[str] = []
    for row in rows:
        keys += [k for k in row if k not in keys]
    if "stale" in keys:
        keys.remove("stale")
        keys.append("stale")
    return [{k: row.get(k) for k in keys} for row in rows]


def _stale_age(entry: dict, now: float) -> Age | None:
    at = entry.get("rows_at")
    return age(float(at), now) if at is not None else None


def _note(host: Host, entry: dict, stale: Age | None) -> dict:
    reached = entry.get("reached")
    checked = entry.get("checked")
    return {"host": host.name, "status": entry.get("status") or "unchecked",
            "reason": entry.get("reason") or "not asked yet",
            "asked": f"{age(float(checked))} ago" if checked else "never",
            "reached": f"{age(float(reached))} ago" if reached else "never",
            "rows": f"last known, {stale} old" if stale is not None else "none known"}
