"""`axi hook session-start|session-end|state --host H`: what agent hosts run at session start,
at session end, and as a session's state changes.

The host passes JSON on stdin (`session_id`, `cwd`, `source` or `reason`, `hook_event_name`).
Start: record it, then print the dashboard for `cwd`, leaving the starting session out, in the
shape the host hands to the model (Claude Code and Codex: `hookSpecificOutput.
additionalContext`; OpenCode's plugin and a person: plain TOON). End: record how it ended.
State: record the word the event means (`states.py`) and print nothing for a host: Claude Code
and Codex add UserPromptSubmit's stdout to the model's context, and a PermissionRequest's
output would be an approval decision. It runs on every prompt, so it imports only what the
record needs. Every hook exits 0 whatever happens: a failure becomes a one-line note, never a
traceback, so a broken store never breaks a session. Stdin is read only here, never by bare
`axi`, and only when it is not a terminal, for at most STDIN_WAIT seconds.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys

HOSTS = ("claude", "codex", "opencode", "none")
EVENTS = ("session-start", "session-end", "state")
ENVELOPE = ("claude", "codex")
STDIN_WAIT = 0.5
STDIN_MAX = 1 << 20
BUDGET = 1.0  # seconds of indexing at most; a cold index answers with what it has
AT_SKEW = 60.0  # a payload's own event time is believed only this close to now


def run_hook(event: str, host: str = "none", fmt: str = "toon") -> int:
    if event == "state":
        return run_state(host, fmt)
    from axi.output import emit

    try:
        payload = read_payload()
        if event == "session-end":
            _record("end", host, payload, payload.get("reason"))
            if host == "none":
                emit({"recorded": "session end", "id": payload.get("session_id")}, fmt)
            return 0
        _record("start", host, payload, payload.get("source"))
        text_or_data = start(payload, host, fmt)
    except Exception as exc:  # never fail the session, never a traceback
        text_or_data = {"axi": f"dashboard unavailable: {_one_line(exc)}"}
    with contextlib.suppress(Exception):
        _print(text_or_data, host, fmt)
    return 0


def run_state(host: str, fmt: str) -> int:
    word = None
    with contextlib.suppress(Exception):
        from axi.integrations.states import word as state_word

        payload = read_payload()
        word = state_word(host, payload)
        if word:
            _record("state", host, payload, word)
    if host == "none":  # a person trying it: say what the payload meant
        with contextlib.suppress(Exception):
            from axi.output import emit

            emit({"state": word or "none (no state event in the payload)",
                  "recorded": "only with --host claude|codex|opencode"}, fmt)
    return 0


def start(payload: dict, host: str, fmt: str) -> dict:
    from axi.dashboard import dashboard

    folder = payload.get("cwd")
    if not (isinstance(folder, str) and os.path.isabs(folder)):
        folder = None
    try:
        return dashboard(folder, exclude=_sid(payload), budget=BUDGET, fmt=fmt)
    except Exception as exc:
        return {"axi": f"dashboard unavailable: {_one_line(exc)}"}


def _print(data: dict, host: str, fmt: str) -> None:
    from axi.output import emit, encode

    if host in ENVELOPE:
        emit({"hookSpecificOutput": {"hookEventName": "SessionStart",
                                     "additionalContext": encode(data, "toon")}}, "json")
    else:
        emit(data, fmt)


def read_payload() -> dict:
    """The host's JSON from stdin; {} for a terminal, nothing sent, or anything else."""
    stream = sys.stdin
    try:
        fd = stream.fileno()
    except (AttributeError, OSError, ValueError):
        return {}
    if os.isatty(fd):
        return {}
    import select
    import time

    deadline = time.monotonic() + STDIN_WAIT
    chunks, size = [], 0
    while size < STDIN_MAX:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            break
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    try:
        data = json.loads(b"".join(chunks) or b"{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _sid(payload: dict) -> str | None:
    sid = payload.get("session_id")
    return sid if isinstance(sid, str) and sid else None


def _record(kind: str, host: str, payload: dict, why: object) -> None:
    sid = _sid(payload)
    if not sid:
        return
    with contextlib.suppress(Exception):
        from axi.index.journal import record
        from axi.views import clock

        cwd = payload.get("cwd")
        record(kind, host, sid, cwd if isinstance(cwd, str) else None, _when(payload, clock()),
               why if isinstance(why, str) else None)


def _when(payload: dict, now: float) -> float:
    """The event's time: OpenCode's plugin starts state hooks without waiting for the last one,
    so it sends when each event happened (`at`, epoch s); the hooks may finish out of order."""
    at = payload.get("at")
    if isinstance(at, (int, float)) and not isinstance(at, bool) and abs(at - now) < AT_SKEW:
        return float(at)
    return now


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:200]


def fast_args(args: list[str]) -> tuple[str, str] | None:
    """(event, host) for the exact lines hooks run, so they skip click; else None."""
    if not args or args[0] not in EVENTS:
        return None
    rest = args[1:]
    if not rest:
        return args[0], "none"
    if len(rest) == 2 and rest[0] == "--host" and rest[1] in HOSTS:
        return args[0], rest[1]
    if len(rest) == 1 and rest[0].startswith("--host=") and rest[0][7:] in HOSTS:
        return args[0], rest[0][7:]
    return None
