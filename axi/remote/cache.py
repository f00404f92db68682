"""What each host last said, in the state dir (`hosts/<name>.json`, written atomically): its
status, when it was last reached, its version and session count, and its last-known rows,
so an offline host still shows (marked stale) and nothing on the dashboard path waits."""

from __future__ import annotations

import contextlib
import json
import os

from axi.paths import state_dir

# A host that failed this recently is not asked again by `--host all`: an offline host costs
# its timeout once, not on every listing. `--host NAME` and `axi hosts check` always ask.
RETRY_AFTER = 60.0


def path(name: str) -> str:
    return os.path.join(state_dir(), "hosts", f"{name}.json")


def read(name: str) -> dict:
    try:
        with open(path(name), encoding="utf-8") as fh:
            data = json.load(fh)
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def write(name: str, data: dict) -> None:
    from axi.paths import write_atomic

    folder = os.path.dirname(path(name))
    os.makedirs(folder, mode=0o700, exist_ok=True)
    write_atomic(path(name), json.dumps(data, separators=(",", ":")).encode("utf-8"), 0o600)
    write_atomic(line_path(name), summary(name, data).encode("utf-8"), 0o600)


def line_path(name: str) -> str:
    """The dashboard's view of the host: one tab-separated line that bare `axi` reads with
    no json (axi.commands.home.hosts_line): name, status, sessions, last reached, checked."""
    return os.path.join(state_dir(), "hosts", f"{name}.line")


def summary(name: str, data: dict) -> str:
    sessions = data.get("sessions")
    if sessions is None:
        sessions = data.get("total")
    fields = [name, str(data.get("status") or "unchecked"),
              "" if sessions is None else str(int(sessions)),
              _stamp(data.get("reached")), _stamp(data.get("checked"))]
    return "\t".join(f.replace("\t", " ").replace("\n", " ") for f in fields) + "\n"


def _stamp(value) -> str:
    return "" if value is None else f"{float(value):.0f}"


def record(reply, now: float, rows: dict | None = None) -> dict:
    """Fold one reply into the host's entry; rows (`{"rows": [...], "total": n}`) only when
    the reply carried a listing."""
    entry = read(reply.host)
    entry.update(status=reply.status, reason=reply.reason, checked=now,
                 latency=round(reply.latency, 3))
    if reply.status == "online":
        entry["reached"] = now
        for key in ("axi", "machine", "sessions"):
            if key in reply.answer:
                entry[key] = reply.answer[key]
    if rows is not None:
        entry.update(rows=rows["rows"], total=rows["total"], rows_at=now)
    write(reply.host, entry)
    return entry


def recently_failed(entry: dict, now: float) -> bool:
    return (entry.get("status") not in (None, "online")
            and now - float(entry.get("checked") or 0) < RETRY_AFTER)


def forget(name: str) -> None:
    for file in (path(name), line_path(name)):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(file)
