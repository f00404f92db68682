"""What `axi setup hooks` adds to Codex's config.toml beyond trust entries, and taking it back.

Install may create `[features]`, `features.hooks`, `[hooks]` and `[hooks.state]`; the ones that
were not there before are remembered (created.py). Uninstall drops a remembered table once it
is empty, and a remembered `hooks = true` once no other hook is left: none in this hooks.json,
none in the user's hooks.json, no inline `[hooks]` and no trust entry for anyone's hook in
config.toml. Codex runs hooks without the flag too, so keeping it is only ever untidy.
"""

from __future__ import annotations

from axi.integrations import created
from axi.integrations.files import Unreadable, read_json

KEYS = ("features", "features.hooks", "hooks", "hooks.state")


def present(config) -> set[str]:
    """Which of KEYS the document holds."""
    found = set()
    for dotted in KEYS:
        node = config
        for part in dotted.split("."):
            node = node.get(part) if hasattr(node, "get") else None
        if node is not None:
            found.add(dotted)
    return found


def remember(cfg: str, before: set[str], config) -> None:
    created.remember([created.key(cfg, k) for k in present(config) - before])


def tidy(config, cfg: str, doc: dict, user_hooks: str) -> list[str]:
    """Drop what axi added that nothing needs now; returns what was dropped."""
    notes = []
    for dotted in ("hooks.state", "hooks"):
        if _drop_empty(config, cfg, dotted):
            notes.append(f"removed empty [{dotted}]")
    features = config.get("features")
    flag = created.key(cfg, "features.hooks")
    if (features is not None and features.get("hooks") is True and created.has(flag)
            and not other_hooks(config, doc, user_hooks)):
        del features["hooks"]
        created.forget([flag])
        notes.append("removed features.hooks (axi set it; no hooks are left)")
    if _drop_empty(config, cfg, "features"):
        notes.append("removed empty [features]")
    return notes


def other_hooks(config, doc: dict, user_hooks: str) -> bool:
    """Whether any hook is left that `[features] hooks` may be there for."""
    if doc.get("hooks") or config.get("hooks"):
        return True
    try:
        user, _ = read_json(user_hooks)
    except Unreadable:
        return True
    return bool((user or {}).get("hooks"))


def _drop_empty(config, cfg: str, dotted: str) -> bool:
    entry = created.key(cfg, dotted)
    parent_key, _, name = dotted.rpartition(".")
    parent = config.get(parent_key) if parent_key else config
    table = parent.get(name) if parent is not None else None
    if table is None or not hasattr(table, "items") or len(table) or not created.has(entry):
        return False
    del parent[name]
    created.forget([entry])
    return True
