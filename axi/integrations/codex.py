"""Codex: entries in hooks.json, `[features] hooks = true` and hook trust in config.toml.

Codex runs a command hook only once it is trusted, and `codex exec` skips an untrusted one
without a word. Trust lives in the user's config.toml as
`[hooks.state."<hooks.json path>:<event>:<group>:<handler>"] trusted_hash = "sha256:<hex>"`,
the hash being of the handler's identity (below); changing the command changes the hash.
For the user-scope hook the user just asked for, axi writes that entry for exactly its own
handlers (unless `--no-trust`); for a project-scope hook it never does and prints the step.
When an edit moves other handlers (a duplicate removed, axi's group removed), their existing
trust entries move with them so nothing the user reviewed needs review again.
"""

from __future__ import annotations

import hashlib
import json
import os
import re

from axi.integrations import codex_tidy, created, hookjson
from axi.integrations.base import START_TIMEOUT, Change, State, codex_dir
from axi.integrations.claude_code import json_state
from axi.integrations.command import EVENTS, hook_argv, shell_line
from axi.integrations.files import Unreadable, dump_json, read_json, read_toml, write_atomic
from axi.paths import tilde

HOST = "codex"
STATE_TIMEOUT = 5  # seconds; the state hook takes tens of milliseconds
# The events axi installs a handler for here, and each handler's timeout.
TIMEOUTS = {"SessionStart": START_TIMEOUT, "SessionEnd": 3,  # Codex clamps SessionEnd to 3 s
            "UserPromptSubmit": STATE_TIMEOUT, "Stop": STATE_TIMEOUT,
            "PermissionRequest": STATE_TIMEOUT}
MATCHERS = {"SessionStart": ""}  # the others match every case without one
REVIEW_STEP = ("Codex runs a hook only after review: start `codex` in {where}, open `/hooks` "
               f"and trust axi's {len(TIMEOUTS)} hooks ({', '.join(TIMEOUTS)}) with `t` (or "
               "answer \"Trust all and continue\" when codex asks at start); `axi setup status` "
               "then shows them installed")


def hooks_path(scope: str, project: str) -> str:
    if scope == "project":
        return os.path.join(project, ".codex", "hooks.json")
    return os.path.join(codex_dir(), "hooks.json")


def config_path() -> str:
    return os.path.join(codex_dir(), "config.toml")


def wanted(exe: list[str] | None = None) -> dict[str, dict]:
    return {event: hookjson.handler(shell_line(hook_argv(event, HOST, exe)), timeout)
            for event, timeout in TIMEOUTS.items()}


def snake(event: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"_\1", event).lower()


def trusted_hash(event: str, group: dict, handler: dict) -> str:
    """The hash Codex records when the user trusts one handler in `/hooks`."""
    identity: dict = {"event_name": snake(event)}
    if isinstance(group.get("matcher"), str):
        identity["matcher"] = group["matcher"]
    identity["hooks"] = [{"type": handler.get("type", "command"),
                          "command": handler.get("command"),
                          "timeout": handler.get("timeout", 600),
                          "async": bool(handler.get("async", False))}]
    blob = json.dumps(identity, sort_keys=True, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(blob.encode()).hexdigest()


def trust_key(path: str, event: str, gi: int, hi: int) -> str:
    return f"{path}:{snake(event)}:{gi}:{hi}"


def _positions(doc: dict, path: str) -> dict[int, tuple[str, str]]:
    """id(handler) -> (trust key, event) for every handler in the document."""
    out = {}
    hooks = doc.get("hooks")
    for event, groups in (hooks.items() if isinstance(hooks, dict) else []):
        for gi, group in enumerate(groups if isinstance(groups, list) else []):
            handlers = group.get("hooks") if isinstance(group, dict) else None
            for hi, h in enumerate(handlers if isinstance(handlers, list) else []):
                out[id(h)] = (trust_key(path, event, gi, hi), event)
    return out


def _state_table(config, create: bool):
    import tomlkit

    hooks = config.get("hooks")
    if hooks is None:
        if not create:
            return None
        hooks = tomlkit.table(is_super_table=True)
        config["hooks"] = hooks
    state = hooks.get("state")
    if state is None and create:
        state = tomlkit.table(is_super_table=True)
        hooks["state"] = state
    return state


def _move_trust(config, before: dict, after: dict) -> int:
    """Carry trust entries of handlers whose position changed; returns how many moved."""
    state = _state_table(config, create=False)
    if state is None:
        return 0
    moves = [(before[h][0], key) for h, (key, _) in after.items()
             if h in before and before[h][0] != key and before[h][0] in state]
    entries = {old: state[old] for old, _ in moves}
    for old, _ in moves:
        del state[old]
    for old, new in moves:
        state[new] = entries[old]
    return len(moves)


def install(scope: str, project: str, exe: list[str] | None = None, trust: bool = True
            ) -> list[Change]:
    path, cfg = os.path.abspath(hooks_path(scope, project)), config_path()
    hooks_change, cfg_change = Change(HOST, path), Change(HOST, cfg)
    try:
        doc, text = read_json(path)
        doc = {} if doc is None else doc
        config, _ = read_toml(cfg)
    except Unreadable as exc:
        failed = hooks_change if exc.path == path else cfg_change
        failed.error, failed.action = exc.reason, "left untouched"
        if failed is cfg_change:
            cfg_change.steps.append("fix config.toml, then run `axi setup hooks` again")
        return [hooks_change, cfg_change]
    before, had = _positions(doc, path), codex_tidy.present(config)
    edit = hookjson.install(doc, wanted(exe), path, MATCHERS)
    notes = []
    moved = _move_trust(config, before, _positions(doc, path))
    if moved:
        notes.append(f"moved trust of {moved} shifted hooks")
    if _enable_feature(config):
        notes.append("features.hooks = true")
    if scope == "user" and trust:
        count = _trust_own(config, doc, path)
        if count:
            notes.append(f"trusted axi's {count} hooks")
    elif _untrusted(config, doc, path):
        hooks_change.steps.append(REVIEW_STEP.format(
            where=tilde(project) if scope == "project" else "any folder"))
    try:
        if edit.changed:
            created.write(path, dump_json(doc, text))
            hooks_change.changed, hooks_change.action = True, ", ".join(edit.actions)
        if notes:
            created.write(cfg, config.as_string(), mode=0o600)
            codex_tidy.remember(cfg, had, config)
            cfg_change.changed, cfg_change.action = True, "; ".join(notes)
    except OSError as exc:
        hooks_change.error, hooks_change.action = str(exc), "not written"
    return [hooks_change, cfg_change]


def _enable_feature(config) -> bool:
    import tomlkit

    features = config.get("features")
    if features is None:
        features = tomlkit.table()
        config["features"] = features
    if features.get("hooks") is True:
        return False
    features["hooks"] = True
    return True


def _trust_own(config, doc: dict, path: str) -> int:
    """Write trust for exactly axi's handlers; returns how many entries changed."""
    import tomlkit

    changed = 0
    for event in TIMEOUTS:
        groups = doc["hooks"][event]
        for gi, hi, h in hookjson.managed(doc, event, path):
            key, value = trust_key(path, event, gi, hi), trusted_hash(event, groups[gi], h)
            state = _state_table(config, create=True)
            current = state.get(key)
            if current is not None and current.get("trusted_hash") == value:
                continue
            entry = tomlkit.table()
            entry["trusted_hash"] = value
            state[key] = entry
            changed += 1
    return changed


def uninstall(scope: str, project: str) -> list[Change]:
    path, cfg = os.path.abspath(hooks_path(scope, project)), config_path()
    hooks_change, cfg_change = Change(HOST, path), Change(HOST, cfg)
    try:
        doc, text = read_json(path)
        if doc is None:
            return []
        config, _ = read_toml(cfg)
    except Unreadable as exc:
        failed = hooks_change if exc.path == path else cfg_change
        failed.error, failed.action = exc.reason, "left untouched"
        return [hooks_change, cfg_change]
    own = {trust_key(path, e, gi, hi): trusted_hash(e, doc["hooks"][e][gi], h)
           for e in EVENTS for gi, hi, h in hookjson.managed(doc, e, path)}
    before = _positions(doc, path)
    edit = hookjson.uninstall(doc, path)
    if not edit.changed:
        hooks_change.action = "nothing of axi's"
        return [hooks_change]
    state = _state_table(config, create=False)
    dropped = 0
    for key, value in own.items():
        if state is not None and key in state and state[key].get("trusted_hash") == value:
            del state[key]
            dropped += 1
    moved = _move_trust(config, before, _positions(doc, path))
    notes = ([f"removed trust of axi's {dropped} hooks"] if dropped else []) + (
        [f"moved trust of {moved} shifted hooks"] if moved else [])
    try:
        if not (doc == {} and created.remove_if_created(path)):
            write_atomic(path, dump_json(doc, text))
        tidied = codex_tidy.tidy(config, cfg, doc, os.path.abspath(hooks_path("user", "")))
        notes += tidied
        if notes:
            _write_config(cfg, config, trim=bool(tidied))
            cfg_change.changed, cfg_change.action = True, "; ".join(notes + created.gone(cfg))
        hooks_change.changed = True
        hooks_change.action = ", ".join(
            edit.actions + created.gone(path) + created.swept(path, cfg))
    except OSError as exc:
        hooks_change.error, hooks_change.action = str(exc), "not written"
    return [hooks_change, cfg_change] if cfg_change.changed else [hooks_change]


def _write_config(cfg: str, config, trim: bool) -> None:
    """Write config.toml back; a file axi created and left empty goes instead. `trim`: tables
    axi added were dropped, so the blank line that set them apart goes too."""
    text = config.as_string()
    if trim and text.endswith("\n\n"):
        text = text.rstrip("\n") + "\n"
    if text.strip() or not created.remove_if_created(cfg):
        write_atomic(cfg, text, mode=0o600)


def status(scope: str, project: str, exe: list[str] | None = None) -> list[State]:
    path = os.path.abspath(hooks_path(scope, project))
    state = json_state(HOST, scope, path, wanted(exe))
    if state.state in ("installed", "stale", "partial"):
        verdict = will_run(path)
        if "(missing)" in state.detail and verdict == "codex will run it":
            verdict = "codex will run it and fail: that axi is gone"
        state.detail = "; ".join(filter(None, [state.detail, verdict]))
        if state.state == "installed" and "will not run" in verdict:
            state.state = "untrusted"
    return [state]


def will_run(path: str) -> str:
    """Whether Codex runs axi's hooks in `path` as installed, and if not, why."""
    try:
        doc, _ = read_json(path)
        config, _ = read_toml(config_path())
    except Unreadable as exc:
        return f"codex will not run it: {tilde(exc.path)} is unreadable"
    features = config.get("features") or {}
    if features.get("hooks") is False:
        return "codex will not run it: [features] hooks = false in config.toml"
    untrusted = _untrusted(config, doc or {}, path)
    if untrusted:
        which = ("axi's hooks are" if len(untrusted) == len(TIMEOUTS)
                 else f"{', '.join(untrusted)} {'is' if len(untrusted) == 1 else 'are'}")
        return f"codex will not run it: {which} not trusted yet (review them in codex `/hooks`)"
    return "codex will run it"


def _untrusted(config, doc: dict, path: str) -> list[str]:
    """axi's events in `doc` whose handler has no matching trust entry."""
    state = _state_table(config, create=False) or {}
    out = []
    for event in TIMEOUTS:
        for gi, hi, h in hookjson.managed(doc, event, path):
            entry = state.get(trust_key(path, event, gi, hi))
            value = trusted_hash(event, doc["hooks"][event][gi], h)
            if entry is None or entry.get("trusted_hash") != value:
                out.append(event)
    return out
