"""Reading the diagnostic log (`axi/diaglog.py` writes it): filtered lists and a follow."""

from __future__ import annotations

import calendar
import json
import os
import time
from collections.abc import Iterator

from axi.diaglog import FILE, LEVELS, files, log_dir
from axi.errors import UsageFault

POLL = 0.2  # seconds between looks while following


def level_rank(level: str) -> int:
    return LEVELS.index(level) if level in LEVELS else 0


def check_level(level: str | None) -> str | None:
    if level is not None and level not in LEVELS:
        raise UsageFault(f"--level must be one of {', '.join(LEVELS)}, not {level!r}",
                         help=["example: axi log --level warn"])
    return level


def parse_since(value: str | None, now: float) -> float | None:
    """`--since`: a duration back from now (90s, 30m, 2h, 7d) or a UTC date/time."""
    if value is None:
        return None
    text = value.strip()
    for shape in ("%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d"):
        try:
            return float(calendar.timegm(time.strptime(text, shape)))
        except ValueError:
            continue
    from axi.views import parse_duration

    return now - parse_duration(text, "--since (a duration such as 30m or 2d, or a date)")


def stamp(entry: dict) -> float | None:
    """An entry's time as epoch seconds (None when unreadable)."""
    text = entry.get("time")
    if not isinstance(text, str) or len(text) < 19:
        return None
    try:
        base = calendar.timegm(time.strptime(text[:19], "%Y-%m-%dT%H:%M:%S"))
    except ValueError:
        return None
    frac = text[19:].rstrip("Z")
    return base + (float(frac) if frac.startswith(".") and frac[1:].isdigit() else 0.0)


def parse(line: bytes) -> dict | None:
    """One line as an entry; a torn or foreign line is kept as a note, never a crash."""
    text = line.decode("utf-8", "replace").strip()
    if not text:
        return None
    try:
        entry = json.loads(text)
    except ValueError:
        entry = None
    if not isinstance(entry, dict):
        return {"time": None, "level": "warn", "source": "log",
                "message": "unreadable line: " + text[:120]}
    return entry


def entries(folder: str | None = None) -> Iterator[dict]:
    """Every entry, oldest first, across the rotated files."""
    for path in files(folder):
        try:
            with open(path, "rb") as fh:
                for line in fh:
                    entry = parse(line)
                    if entry is not None:
                        yield entry
        except FileNotFoundError:
            continue


def keep(entry: dict, level: str | None, since: float | None) -> bool:
    if level and level_rank(str(entry.get("level"))) < level_rank(level):
        return False
    if since is not None:
        at = stamp(entry)
        if at is None or at < since:
            return False
    return True


def select(level: str | None, since: float | None, limit: int,
           folder: str | None = None) -> tuple[list[dict], int]:
    """(the newest `limit` entries that pass, oldest first; how many passed in all)."""
    from collections import deque

    kept: deque = deque(maxlen=limit)
    total = 0
    for entry in entries(folder):
        if keep(entry, level, since):
            kept.append(entry)
            total += 1
    return list(kept), total


def row(entry: dict) -> dict:
    """The list's view of an entry: the traceback's last line only (JSON has all of it)."""
    out = {"time": entry.get("time"), "level": entry.get("level"),
           "source": entry.get("source"), "message": entry.get("message")}
    trace = entry.get("traceback")
    out["error"] = (trace.strip().splitlines()[-1][:200]
                    if isinstance(trace, str) and trace.strip() else None)
    return out


def follow(level: str | None, since: float | None, emit, stop: float | None = None,
           folder: str | None = None) -> None:
    """Emit entries that pass as they are written, starting after what is there now (or
    from `since` when given), across rotations; `stop`: give up at this epoch time."""
    folder = folder or log_dir()
    path = os.path.join(folder, FILE)
    if since is not None:
        for entry in entries(folder):
            if keep(entry, level, since):
                emit(entry)
    fh, ident, pending = _open_end(path), None, b""
    ident = _ident(fh)
    while stop is None or time.time() < stop:
        chunk = fh.read() if fh else b""
        if chunk:
            pending += chunk
            *lines, pending = pending.split(b"\n")
            for line in lines:
                entry = parse(line)
                if entry is not None and keep(entry, level, None):
                    emit(entry)
            continue
        now_ident = _ident_of(path)
        if now_ident != ident:  # rotated (or created): read the new file from its start
            if fh:
                rest = fh.read()  # what was written just before the shift
                for line in (pending + rest).split(b"\n"):
                    entry = parse(line)
                    if entry is not None and keep(entry, level, None):
                        emit(entry)
                fh.close()
            pending = b""
            fh = _open(path)
            ident = _ident(fh)
            continue
        time.sleep(POLL)
    if fh:
        fh.close()


def _open(path: str):
    try:
        return open(path, "rb")
    except FileNotFoundError:
        return None


def _open_end(path: str):
    fh = _open(path)
    if fh:
        fh.seek(0, os.SEEK_END)
    return fh


def _ident(fh) -> tuple[int, int] | None:
    if fh is None:
        return None
    st = os.fstat(fh.fileno())
    return st.st_dev, st.st_ino


def _ident_of(path: str) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return st.st_dev, st.st_ino
