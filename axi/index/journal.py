"""`sessions.jsonl`: the hooks' record of session starts, ends and states, one JSON line each.

Appended with O_APPEND in one write under PIPE_BUF, so concurrent hooks never interleave.
The state hook writes here on every prompt, so this module imports nothing heavier than `json`,
and that only when it writes (`events.py` copies the file into the index).
"""

from __future__ import annotations

import os

from axi.paths import private_open, state_dir

FILE = "sessions.jsonl"
HARNESS = {"claude": "claude", "codex": "codex", "opencode": "opencode", "pi": "pi"}
MAX_LINE = 4000


def path() -> str:
    return os.path.join(state_dir(), FILE)


def record(event: str, host: str | None, session_id: str, cwd: str | None, ts: float,
           why: str | None = None) -> int:
    """Append one event; the bytes written, 0 when it could not be written (never raises)."""
    harness = HARNESS.get(host or "")
    if not harness or not session_id:
        return 0
    entry = {"ts": round(ts, 3), "event": event, "harness": harness, "id": session_id[:200],
             "cwd": (cwd or "")[:1000], "why": (why or "")[:200]}
    from axi.jsontext import dumps

    line = (dumps(entry, ensure_ascii=False) + "\n").encode()
    if len(line) > MAX_LINE:
        return 0
    try:
        fd = private_open(path(), os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    except OSError:
        return 0
    try:
        return os.write(fd, line)
    except OSError:
        return 0
    finally:
        os.close(fd)
