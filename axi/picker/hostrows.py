"""Rows from other machines (`[[host]]` in config.toml), as `axi sessions --host all` gets them:
the same functions (`remote.listing.remote_argv`, `remote.federate.listing`) and the same
per-host cache (`remote.cache`). The cached rows show at once; asking the hosts is left to a
worker thread (`machines.py`), so the picker never waits on the network.

Imported only when the config names a host: with none, nothing under `axi.remote` loads.
"""

from __future__ import annotations

import re

from axi.picker.model import Session
from axi.views import age, clock

FIELDS = "dir,model,ctx,cost,full_id,launch,tags"  # asked of each host beside the defaults
LIMIT = 500  # newest rows per host
LIVE = ("working", "idle", "needs you", "needs auth")
_MONEY = re.compile(r"[0-9]+(?:\.[0-9]+)?")


def configured(config: dict) -> list:
    """The `[[host]]` blocks as `remote.hosts.Host`s."""
    from axi.remote.hosts import configured as hosts

    return hosts(config)


def machine(config: dict) -> str:
    """This machine's name in addresses (`[machine] name`, else the short hostname)."""
    from axi.remote.hosts import machine_name

    return machine_name(config)


def cached(hosts: list) -> list[Session]:
    """Every host's last-known rows, from the state dir (no host is asked)."""
    from axi.remote import cache

    out: list[Session] = []
    for host in hosts:
        out += sessions_of(host.name, cache.read(host.name))
    return out


def asked(hosts: list) -> tuple[list[Session], list[str]]:
    """Ask every host now (in parallel, each within its timeout; a host that failed a moment
    ago is not asked again) and cache what they say: their rows, and a note per host that
    did not answer (its rows are then the last known)."""
    from axi.remote.federate import listing
    from axi.remote.listing import remote_argv

    found = listing(hosts, remote_argv({"limit": LIMIT, "fields": FIELDS}), force=False)
    rows: list[Session] = []
    notes: list[str] = []
    for host, entry, live in found:
        rows += sessions_of(host.name, entry)
        if not live:
            at = entry.get("rows_at")
            known = f"rows {age(float(at))} old" if at else "no rows known"
            notes.append(f"{host.name} {entry.get('status') or 'not reached'} ({known})")
    return rows, notes


def sessions_of(host: str, entry: dict) -> list[Session]:
    rows = entry.get("rows")
    at = float(entry.get("rows_at") or clock())
    return [remote_session(host, raw, at) for raw in rows if isinstance(raw, dict)
            and raw.get("id")] if isinstance(rows, list) else []


def remote_session(host: str, raw: dict, at: float) -> Session:
    """One row a host listed (its `--format json`), as a picker row addressed `host/id`."""
    full = str(raw.get("full_id") or raw["id"])
    seconds = raw.get("age_seconds")
    last = at - float(seconds) if isinstance(seconds, (int, float)) else None
    harness = str(raw.get("harness") or "?")
    row = {"key": f"{host}/{harness}:{full}", "id": full, "harness": harness, "source": None,
           "dir": raw.get("dir"), "title": raw.get("title"), "model": raw.get("model"),
           "provider": None, "created": None, "last": last, "ctx_tokens": None,
           "ctx_window": None, "turn_open": None}
    status = str(raw.get("status") or "ended").replace("✓ ", "")
    s = Session(row, status, None, None, tags_of(raw.get("tags")), str(raw.get("dir") or ""))
    s.host, s.remote = host, True
    s.launch = str(raw["launch"]) if raw.get("launch") else None
    s.held = bool(s.launch) and status in LIVE
    ctx = str(raw.get("ctx") or "")
    s._ctx = (ctx, float(ctx[:-1])) if ctx.endswith("%") and _MONEY.fullmatch(ctx[:-1]) \
        else ("", -1.0)
    s._cost = cost_of(raw.get("cost"))
    s.hay = s.haystack()
    return s


def cost_of(text: object) -> tuple[str, float]:
    """A listed cost (`$0.0423 (est)`, `unknown`) in the picker's short form, and its value."""
    if not isinstance(text, str) or not text:
        return "", 0.0
    if text == "unknown":
        return "?", 0.0
    number = _MONEY.search(text)
    short = text.replace(" (est, partial)", "~+").replace(" (est)", "~")
    return short, float(number.group()) if number else 0.0


def tags_of(text: object) -> dict:
    """`team=web;urgent` (the list's tags cell) as {"team": "web", "urgent": True}."""
    if not isinstance(text, str):
        return {}
    out: dict = {}
    for part in filter(None, (p.strip() for p in text.split(";"))):
        key, eq, value = part.partition("=")
        out[key] = value if eq else True
    return out
