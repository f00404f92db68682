"""Pre-trusting a folder before a watched launch, so the harness opens at its prompt.

Claude Code (2.1.197) asks "Accessing workspace … Is this a project you created or one you
trust?" the first time it runs interactively in a folder that `~/.claude.json` does not mark
trusted, itself or through a parent. Under axi's holder nobody sees that dialog and the session
just sits there. Asking axi to launch a session in a folder is the user's answer, so a watched
launch first sets `projects[<folder>].hasTrustDialogAccepted = true` there, as AgentSwitch
does. `claude -p` never asks, so headless launches write nothing.

The edit is minimal: nothing is written when the folder or a parent is already trusted; a file
that cannot be parsed as a JSON object is left exactly as it is (the launch goes on with a
warning, and Claude will ask); the replacement is atomic and keeps the file's mode.
"""

from __future__ import annotations

import os

from axi.integrations.files import Unreadable, dump_json, read_json, write_atomic


def claude_config_path(env: dict[str, str] | None = None) -> str:
    """Where Claude Code keeps its global config: `$CLAUDE_CONFIG_DIR/.claude.json` or
    `~/.claude.json`; a legacy `<config dir>/.config.json` wins when it exists."""
    env = os.environ if env is None else env
    root = env.get("CLAUDE_CONFIG_DIR")
    legacy = os.path.join(root or os.path.expanduser("~/.claude"), ".config.json")
    if os.path.exists(legacy):
        return legacy
    return os.path.join(root or os.path.expanduser("~"), ".claude.json")


def claude_trusts(doc: dict, directory: str) -> bool:
    """True when Claude would not ask: the folder or one of its parents was accepted."""
    projects = doc.get("projects")
    if not isinstance(projects, dict):
        return False
    path = os.path.normpath(directory)
    while True:
        entry = projects.get(path)
        if isinstance(entry, dict) and entry.get("hasTrustDialogAccepted") is True:
            return True
        parent = os.path.dirname(path)
        if parent == path:
            return False
        path = parent


def trust_claude(directory: str, path: str | None = None) -> bool:
    """Mark `directory` trusted in Claude's config; False when it already was.

    Raises `Unreadable` (nothing written) when the file is not a JSON object."""
    path = path or claude_config_path()
    doc, original = read_json(path)
    doc = {} if doc is None else doc
    if claude_trusts(doc, directory):
        return False
    projects = doc.get("projects")
    if projects is None:
        projects = doc["projects"] = {}
    if not isinstance(projects, dict):
        raise Unreadable(path, "`projects` is not an object")
    key = os.path.normpath(directory)
    entry = projects.get(key)
    if entry is None:
        entry = projects[key] = {}
    if not isinstance(entry, dict):
        raise Unreadable(path, f"`projects[{key!r}]` is not an object")
    entry["hasTrustDialogAccepted"] = True
    write_atomic(path, dump_json(doc, original), mode=0o600)
    return True


TRUSTERS = {"claude": trust_claude}


def before_launch(harness: str, directory: str) -> str | None:
    """Pre-trust `directory` for a watched launch of `harness`; a warning when it could not."""
    trust = TRUSTERS.get(harness)
    if trust is None:
        return None
    try:
        trust(directory)
    except (Unreadable, OSError) as exc:
        return (f"could not pre-trust {directory} for {harness} ({exc}); it may stop at its "
                "folder-trust question: `axi sessions attach <id>` to answer it")
    return None
