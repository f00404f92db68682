"""OpenCode: a managed plugin file (user or project plugins folder) made from a template: the
dashboard at session start, and the session's state from OpenCode's bus events."""

from __future__ import annotations

import json
import os
import re

from axi.integrations import created
from axi.integrations.base import START_TIMEOUT, Change, State, opencode_config_dir
from axi.integrations.command import STATE, hook_argv, runnable, shell_line, verb_argv
from axi.integrations.files import Unreadable, read_text, remove
from axi.integrations.templates import template

HOST = "opencode"
HEADER = "// axi managed opencode plugin."
FILE = "axi.js"


def plugin_path(scope: str, project: str) -> str:
    if scope == "project":
        return os.path.join(project, ".opencode", "plugins", FILE)
    return os.path.join(opencode_config_dir(), "plugins", FILE)


def render(exe: list[str] | None = None) -> str:
    return (template("opencode-plugin.js")
            .replace("__AXI_ARGV__", json.dumps(hook_argv("SessionStart", HOST, exe)))
            .replace("__AXI_STATE_ARGV__", json.dumps(verb_argv(STATE, HOST, exe)))
            .replace("__AXI_TIMEOUT_MS__", str(START_TIMEOUT * 1000)))


def _current(path: str) -> str | None:
    """The plugin text; Unreadable when a file there is not axi's."""
    text = read_text(path)
    if text is not None and not text.startswith(HEADER):
        raise Unreadable(path, "not written by axi (no axi header); refusing to overwrite it")
    return text


def install(scope: str, project: str, exe: list[str] | None = None, trust: bool = True
            ) -> list[Change]:
    path = plugin_path(scope, project)
    change = Change(HOST, path)
    try:
        text, want = _current(path), render(exe)
        if text != want:
            created.write(path, want)
            change.changed = True
            change.action = "updated plugin" if text else "added plugin"
    except Unreadable as exc:
        change.error, change.action = exc.reason, "left untouched"
        change.steps.append(f"move {path} aside, then run `axi setup hooks` again")
    except OSError as exc:
        change.error, change.action = str(exc), "not written"
    return [change]


def uninstall(scope: str, project: str) -> list[Change]:
    path = plugin_path(scope, project)
    change = Change(HOST, path)
    try:
        if _current(path) is None:
            return []
        remove(path)
        created.forget([created.file(path)])
        change.changed = True
        change.action = ", ".join(["removed plugin", *created.swept(path)])
    except Unreadable as exc:
        change.action = "left untouched (not axi's)"
        change.error = None if "not written by axi" in exc.reason else exc.reason
    except OSError as exc:
        change.error, change.action = str(exc), "not removed"
    return [change]


def status(scope: str, project: str, exe: list[str] | None = None) -> list[State]:
    path = plugin_path(scope, project)
    try:
        text = _current(path)
    except Unreadable as exc:
        kind = "unmanaged" if "not written by axi" in exc.reason else "unreadable"
        return [State(HOST, scope, path, kind, exc.reason)]
    if text is None:
        return [State(HOST, scope, path, "absent")]
    if text == render(exe):
        return [State(HOST, scope, path, "installed", "session start, state events")]
    match = re.search(r"^const AXI_ARGV = (\[.*\]);$", text, re.M)
    old = json.loads(match.group(1)) if match else []
    if old == hook_argv("SessionStart", HOST, exe):
        return [State(HOST, scope, path, "stale",
                      "an older plugin of this axi; `axi setup hooks` updates it")]
    prog = shell_line(old[: old.index("hook")]) if "hook" in old else "an older axi"
    gone = " (missing)" if old and not runnable(shell_line(old)) else ""
    return [State(HOST, scope, path, "stale",
                  f"runs {prog}{gone}; `axi setup hooks` repairs it")]
