"""Claude Code: entries in settings.json (user or project): SessionStart (the dashboard),
SessionEnd, and the state events UserPromptSubmit, Stop and Notification (`states.py`)."""

from __future__ import annotations

import os

from axi.integrations import created, hookjson
from axi.integrations.base import START_TIMEOUT, Change, State, claude_dir
from axi.integrations.command import hook_argv, program, runnable, shell_line
from axi.integrations.files import Unreadable, dump_json, read_json, write_atomic

HOST = "claude"
LABEL = "Claude Code"
STATE_TIMEOUT = 5  # seconds; the state hook takes tens of milliseconds
# The events axi installs a handler for here, and each handler's timeout.
TIMEOUTS = {"SessionStart": START_TIMEOUT, "SessionEnd": 5, "UserPromptSubmit": STATE_TIMEOUT,
            "Stop": STATE_TIMEOUT, "Notification": STATE_TIMEOUT}


def settings_path(scope: str, project: str) -> str:
    if scope == "project":
        return os.path.join(project, ".claude", "settings.json")
    return os.path.join(claude_dir(), "settings.json")


def wanted(exe: list[str] | None = None) -> dict[str, dict]:
    return {event: hookjson.handler(shell_line(hook_argv(event, HOST, exe)), timeout)
            for event, timeout in TIMEOUTS.items()}


def install(scope: str, project: str, exe: list[str] | None = None, trust: bool = True
            ) -> list[Change]:
    path = settings_path(scope, project)
    change = Change(HOST, path)
    try:
        doc, text = read_json(path)
        doc = {} if doc is None else doc
        edit = hookjson.install(doc, wanted(exe), path, {e: "" for e in TIMEOUTS})
        if edit.changed:
            created.write(path, dump_json(doc, text))
            change.changed = True
            change.action = ", ".join(edit.actions)
    except Unreadable as exc:
        change.error, change.action = exc.reason, "left untouched"
    except OSError as exc:
        change.error, change.action = str(exc), "not written"
    return [change]


def uninstall(scope: str, project: str) -> list[Change]:
    path = settings_path(scope, project)
    change = Change(HOST, path)
    try:
        doc, text = read_json(path)
        if doc is None:
            return []
        edit = hookjson.uninstall(doc, path)
        if not edit.changed:
            change.action = "nothing of axi's"
            return [change]
        if not (doc == {} and created.remove_if_created(path)):
            write_atomic(path, dump_json(doc, text))
        notes = edit.actions + created.gone(path) + created.swept(path)
        change.changed, change.action = True, ", ".join(notes)
    except Unreadable as exc:
        change.error, change.action = exc.reason, "left untouched"
    except OSError as exc:
        change.error, change.action = str(exc), "not written"
    return [change]


def status(scope: str, project: str, exe: list[str] | None = None) -> list[State]:
    path = settings_path(scope, project)
    return [json_state(HOST, scope, path, wanted(exe))]


def json_state(host: str, scope: str, path: str, want: dict[str, dict]) -> State:
    """installed / stale / partial / absent / unreadable, for a Claude-shaped hooks file."""
    try:
        doc, _ = read_json(path)
        if doc is None:
            return State(host, scope, path, "absent")
        found = {e: hookjson.managed(doc, e, path) for e in want}
    except Unreadable as exc:
        return State(host, scope, path, "unreadable", exc.reason)
    have = [e for e in want if found[e]]
    if not have:
        return State(host, scope, path, "absent")
    stale = sorted({program(h["command"]) for e in have for _, _, h in found[e]
                    if h.get("command") != want[e]["command"]})
    if stale:
        gone = [p for p in stale if not runnable(p)]
        detail = f"runs {', '.join(stale)}" + (" (missing)" if gone else "")
        return State(host, scope, path, "stale", detail + "; `axi setup hooks` repairs it")
    if len(have) < len(want):
        missing = ", ".join(e for e in want if e not in have)
        return State(host, scope, path, "partial", f"no {missing}; `axi setup hooks` adds them")
    return State(host, scope, path, "installed", ", ".join(have))
