"""Folders that moved: `axi sessions relink OLD NEW` remembers where a session's folder went.

Transcripts keep the folder they were written in; when it is renamed or moved, the catalog
shows it with a leading `!`, and resume has nowhere to start. The mapping (old folder -> new
folder, absolute) is the user's data, kept in `dirmap.json` in the state dir and replaced
atomically. A mapping covers the folder and everything below it.
"""

from __future__ import annotations

import os

from axi.paths import state_dir, write_atomic

FILE = "dirmap.json"
MISSING = "!"  # how a folder that no longer exists (and was not relinked) is shown

_loaded: dict[str, dict[str, str]] = {}  # per state dir: read once per process


def path() -> str:
    return os.path.join(state_dir(), FILE)


def load() -> dict[str, str]:
    """old -> new; a missing or damaged file is no mapping (it is never rewritten unread)."""
    where = path()
    if where not in _loaded:
        _loaded[where] = _read(where) or {}
    return _loaded[where]


def _read(where: str) -> dict[str, str] | None:
    """The map in the file: {} when there is none, None when it cannot be read as one."""
    try:
        fh = open(where, encoding="utf-8")  # noqa: SIM115 - closed below
    except FileNotFoundError:
        return {}  # the usual case: nothing was ever relinked (and `json` is not imported)
    except OSError:
        return None
    import json

    try:
        with fh:
            data = json.load(fh)
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    return {k: v for k, v in data.items() if isinstance(k, str) and isinstance(v, str)}


def remember(old: str, new: str) -> None:
    """Add old -> new (both absolute) and write the file atomically."""
    import json

    from axi.errors import AxiError

    where = path()
    current = _read(where)
    if current is None:
        raise AxiError(f"{where} is not a folder map axi can read; it was left as it is",
                       code="DIRMAP_UNREADABLE", help=[f"move it aside: mv {where} {where}.bad"])
    current[old] = new
    write_atomic(where, json.dumps(current, indent=1, sort_keys=True))
    _loaded[where] = current


def mapped(folder: str | None) -> str | None:
    """Where `folder` is now, when it (or a folder above it) was relinked; else None."""
    if not folder:
        return None
    table = load()
    if not table:
        return None
    probe = folder.rstrip("/") or "/"
    rest = ""
    while True:
        if probe in table:
            return table[probe] + rest
        parent = os.path.dirname(probe)
        if parent == probe:
            return None
        rest = "/" + os.path.basename(probe) + rest
        probe = parent


def shown(folder: str | None):
    """A session's folder as lists show it: `~` for home, where it was relinked to, or with
    a leading `!` when it no longer exists (the two faces in `axi.shown`)."""
    from axi.paths import tilde
    from axi.shown import MissingFolder, MovedFolder

    now, missing = effective(folder)
    if not now:
        return now
    if missing:
        return MissingFolder(MISSING + str(tilde(now)), now)
    if now != folder:
        made = MovedFolder(str(tilde(now)), now)
        made.recorded = folder
        return made
    return tilde(now)


def recorded_as(folder: str) -> list[str]:
    """The recorded folders that now live at `folder` or below it: what a scope on `folder`
    must also match, since transcripts keep the folder they were written in."""
    out = []
    here = folder.rstrip("/") or "/"
    for old, new in load().items():
        if here == new or here.startswith(new.rstrip("/") + "/"):
            out.append(old + here[len(new):])
        elif new.startswith(here.rstrip("/") + "/"):
            out.append(old)
    return out


def effective(folder: str | None) -> tuple[str | None, bool]:
    """(the folder to use, whether it is missing): the relinked one when there is one."""
    now = mapped(folder)
    if now is not None:
        return now, not os.path.isdir(now)
    return folder, bool(folder) and not os.path.isdir(folder)
