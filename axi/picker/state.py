"""What the picker keeps between opens (all vs active, sort, grouping): a JSON file in the state
dir, replaced atomically. Tags are not the picker's own any more: every session's live in the
mailbox (`axi/control/tags.py`, which imports the picker's old `picker-tags.json` once)."""

from __future__ import annotations

import contextlib
import json
import os

from axi.paths import state_dir, write_atomic

STATE_FILE = "picker.json"


def _path(name: str) -> str:
    return os.path.join(state_dir(), name)


def read(name: str = STATE_FILE) -> dict:
    """The saved dict; a missing or damaged file is an empty one (it is only a preference)."""
    with contextlib.suppress(OSError, ValueError), open(_path(name), encoding="utf-8") as fh:
        data = json.load(fh)
        if isinstance(data, dict):
            return data
    return {}


def write(data: dict, name: str = STATE_FILE) -> None:
    """Replace the file in one step: a crash leaves the old one or the new one, never half."""
    write_atomic(_path(name), json.dumps(data, sort_keys=True))


def remember(**changes: object) -> None:
    data = read()
    data.update(changes)
    with contextlib.suppress(OSError):
        write(data)


def tags() -> dict[str, dict]:
    """session key -> {tag key: value}, for every session that has tags (launched or not)."""
    from axi.control.tags import read

    return read()
