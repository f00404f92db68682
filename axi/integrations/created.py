"""What `axi setup hooks` created: files, folders, and tables or keys in Codex's config.toml.

`axi setup uninstall` removes one of these only when it is axi's (listed here) and nothing
else is left in it: a settings or hooks file that is `{}` again, an empty folder, an empty
table, `[features] hooks = true` when no other hook remains. A file, folder or key that was
there before axi is never on the list, so a user's own is never removed. The list lives in
axi's state dir (`setup-created.json`, one `kind:path[#key]` string per thing); when it is
missing or unreadable, uninstall removes nothing beyond axi's own entries, and an unreadable
list is never overwritten.
"""

from __future__ import annotations

import contextlib
import json
import os

from axi.integrations.files import read_text, remove, write_atomic
from axi.paths import tilde

FILE = "setup-created.json"


def _path() -> str:
    from axi.paths import state_dir

    return os.path.join(state_dir(), FILE)


def load() -> set[str] | None:
    """The list; None when it cannot be read (then nothing is added to it or removed)."""
    try:
        text = read_text(_path())
        data = json.loads(text) if text else []
    except Exception:
        return None
    return {e for e in data if isinstance(e, str)} if isinstance(data, list) else None


def _save(entries: set[str]) -> None:
    if entries:
        write_atomic(_path(), json.dumps(sorted(entries), indent=1) + "\n", mode=0o600)
    else:
        remove(_path())


def remember(new: list[str]) -> None:
    entries = load()
    if entries is not None and new and not set(new) <= entries:
        with contextlib.suppress(OSError):
            _save(entries | set(new))


def forget(old: list[str]) -> None:
    entries = load()
    if entries is not None and entries & set(old):
        with contextlib.suppress(OSError):
            _save(entries - set(old))


def has(entry: str) -> bool:
    return entry in (load() or set())


def file(path: str) -> str:
    return f"file:{os.path.abspath(path)}"


def key(config: str, dotted: str) -> str:
    return f"toml:{os.path.abspath(config)}#{dotted}"


def new_entries(path: str) -> list[str]:
    """What writing `path` now would create: the file, and each folder missing above it."""
    path = os.path.abspath(path)
    if os.path.lexists(path):
        return []
    made, folder = [file(path)], os.path.dirname(path)
    while folder and not os.path.lexists(folder):
        made.append(f"dir:{folder}")
        parent = os.path.dirname(folder)
        folder = parent if parent != folder else ""
    return made


def write(path: str, text: str, mode: int = 0o644) -> None:
    """`write_atomic`, remembering the file and folders the write creates."""
    made = new_entries(path)
    write_atomic(path, text, mode)
    remember(made)


def remove_if_created(path: str) -> bool:
    """Remove `path` (found empty by the caller) when axi created it; True when it did."""
    entry = file(path)
    if not has(entry):
        return False
    remove(path)
    forget([entry])
    return True


def sweep(paths: list[str]) -> list[str]:
    """Remove the empty folders axi created above `paths`, deepest first; returns them."""
    entries = load() or set()
    above = {os.path.dirname(os.path.abspath(p)) for p in paths}
    mine = sorted((e[4:] for e in entries if e.startswith("dir:")
                   if any(a == e[4:] or a.startswith(e[4:] + os.sep) for a in above)),
                  key=len, reverse=True)
    removed = []
    for folder in mine:
        with contextlib.suppress(OSError):
            if not os.listdir(folder):
                os.rmdir(folder)
        if not os.path.isdir(folder):
            removed.append(folder)
    forget([f"dir:{f}" for f in removed])
    return removed


def gone(*paths: str) -> list[str]:
    """`axi setup uninstall`'s note for each file it removed whole: axi had created it and
    nothing else was left in it."""
    return [f"removed {tilde(p)}" for p in paths if not os.path.lexists(p)]


def swept(*paths: str) -> list[str]:
    """Its note for each empty folder axi had created above `paths`, removed now."""
    return [f"removed empty {tilde(f)}/" for f in sweep(list(paths))]
