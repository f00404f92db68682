"""The hooks document Claude Code and Codex share:
`{"hooks": {"<Event>": [{"matcher": "", "hooks": [{"type": "command", "command", "timeout"}]}]}}`.

Edits are in place: axi's handler is found by its command line (`<axi> hook session-...`), so a
moved axi is repaired where it stands and every unrelated key, group and handler is kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from axi.integrations.command import EVENTS, parse_managed
from axi.integrations.files import Unreadable


@dataclass
class Edit:
    changed: bool = False
    actions: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)  # commands that were repaired


def handler(command: str, timeout: int) -> dict:
    return {"type": "command", "command": command, "timeout": timeout}


def _groups(doc: dict, event: str, path: str, create: bool) -> list | None:
    hooks = doc.get("hooks")
    if hooks is None:
        if not create:
            return None
        hooks = doc["hooks"] = {}
    if not isinstance(hooks, dict):
        raise Unreadable(path, "`hooks` is not an object")
    groups = hooks.get(event)
    if groups is None:
        if not create:
            return None
        groups = hooks[event] = []
    if not isinstance(groups, list):
        raise Unreadable(path, f"`hooks.{event}` is not a list")
    return groups


def managed(doc: dict, event: str, path: str) -> list[tuple[int, int, dict]]:
    """(group index, handler index, handler) of every axi handler for `event`."""
    found = []
    for gi, group in enumerate(_groups(doc, event, path, create=False) or []):
        handlers = group.get("hooks") if isinstance(group, dict) else None
        for hi, h in enumerate(handlers if isinstance(handlers, list) else []):
            parsed = parse_managed(h.get("command")) if isinstance(h, dict) else None
            if parsed and parsed[0] == EVENTS[event]:
                found.append((gi, hi, h))
    return found


def install(doc: dict, wanted: dict[str, dict], path: str,
            matchers: dict[str, str | None]) -> Edit:
    """Make `doc` hold exactly one axi handler per event in `wanted`, updated in place."""
    edit = Edit()
    for event, want in wanted.items():
        groups = _groups(doc, event, path, create=True)
        found = managed(doc, event, path)
        if not found:
            group: dict = {"hooks": [dict(want)]}
            if matchers.get(event) is not None:
                group = {"matcher": matchers[event], **group}
            groups.append(group)
            edit.changed = True
            edit.actions.append(f"added {event}")
            continue
        _, _, current = found[0]
        if any(current.get(k) != v for k, v in want.items()):
            if current.get("command") != want["command"]:
                edit.stale.append(str(current.get("command")))
            current.update(want)
            edit.changed = True
            edit.actions.append(f"updated {event}")
        if len(found) > 1:
            _drop(groups, [(gi, hi) for gi, hi, _ in found[1:]])
            edit.changed = True
            edit.actions.append(f"removed {len(found) - 1} duplicate {event}")
    return edit


def uninstall(doc: dict, path: str) -> Edit:
    edit = Edit()
    for event in EVENTS:
        found = managed(doc, event, path)
        if found:
            groups = _groups(doc, event, path, create=False) or []
            _drop(groups, [(gi, hi) for gi, hi, _ in found])
            edit.changed = True
            edit.actions.append(f"removed {event}")
            hooks = doc["hooks"]
            if not groups:
                del hooks[event]
    if edit.changed and doc.get("hooks") == {}:
        del doc["hooks"]
    return edit


def _drop(groups: list, where: list[tuple[int, int]]) -> None:
    """Remove handlers; a group left with no handler goes too."""
    for gi, hi in sorted(where, reverse=True):
        handlers = groups[gi]["hooks"]
        del handlers[hi]
        if not handlers:
            del groups[gi]
