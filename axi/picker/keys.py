"""The picker's actions and the keys that run them; `[keys]` in config.toml rebinds them.

Kept free of Textual so a bad `[keys]` table is a TOON error before the terminal is taken.
Keys are written as typed: a character (`j`, `G`, `/`, `?`) or a Textual key name (`tab`,
`ctrl+n`, `space`). `enter`, `escape` and the arrow keys are fixed and cannot be rebound.
"""

from __future__ import annotations

from typing import NamedTuple

from axi.errors import AxiError

TABLE, PERSON = "table", "person"


class Action(NamedTuple):
    name: str
    keys: tuple[str, ...]
    help: str
    footer: bool = False  # shown in the footer's short key row
    scope: str = TABLE  # where it acts: the session table, or the person's tab


ACTIONS: tuple[Action, ...] = (
    Action("down", ("j",), "line down"),
    Action("up", ("k",), "line up"),
    Action("top", ("g",), "jump to the top"),
    Action("bottom", ("G",), "jump to the bottom"),
    Action("half_down", ("d",), "half a page down"),
    Action("half_up", ("u",), "half a page up"),
    Action("preview_down", ("J",), "scroll the preview down"),
    Action("preview_up", ("K",), "scroll the preview up"),
    Action("next_match", ("n",), "next search match"),
    Action("prev_match", ("N",), "previous search match"),
    Action("sort_left", ("H",), "sort column: one to the left"),
    Action("sort_right", ("L",), "sort column: one to the right"),
    Action("sort", ("s",), "sort by the column (again: reverse)"),
    Action("toggle_all", ("t",), "all sessions / active only (saved)", True),
    Action("filter_run", ("f",), "only the selected row's run"),
    Action("run_tree", ("T",), "run tree: sessions of a run under their parents"),
    Action("group", ("b",), "group by: flat, dir, run, each tag key"),
    Action("filter", ("i", "a"), "filter rows on metadata (fuzzy)", True),
    Action("search", ("/",), "search transcript text", True),
    Action("machine", ("m",), "machine: all, local, then each [[host]]"),
    Action("resume", ("e",), "resume (attach when it is held live)"),
    Action("resume_flags", ("E",), "resume with the harness's configured args"),
    Action("new", ("c",), "new session in the row's folder", True),
    Action("new_flags", ("C",), "new session with the harness's configured args"),
    Action("kill", ("x",), "kill the session(s) (asks once)", True),
    Action("reply", ("r",), "reply to a needs-you question", True),
    Action("type", ("p",), "type a prompt into a held session"),
    Action("diff", ("D",), "what the session changed in its folder (git)"),
    Action("mark", ("tab",), "mark / unmark the row", True),
    Action("visual", ("v",), "visual select (j/k extend, v keeps, esc drops)"),
    Action("tag", ("l",), "tag the selection (key=value, -key removes)", True),
    Action("move", ("M",), "move the selection's tmux windows into a tmux session"),
    Action("person", ("P",), "agents, mail and tasks (the person's tab)", True),
    Action("help", ("?",), "all keys", True),
    Action("quit", ("q",), "quit", True),
    Action("approve", ("A",), "approve the pending agent (its code is shown)", True, PERSON),
    Action("answer", ("R",), "reply to the mail under the cursor", True, PERSON),
    Action("compose", ("c",), "new mail to an approved agent, as the person", True, PERSON),
    Action("next_table", ("tab",), "next table: agents, mail, tasks", True, PERSON),
)
# Table actions that act in the person's tab too: moving, and `person`/`quit` go back.
SHARED = ("down", "up", "person", "quit")
BY_NAME = {a.name: a for a in ACTIONS}
FIXED = ("enter", "escape", "up", "down", "left", "right")
_FIXED_CHARS = {"\r": "enter", "\n": "enter", "\x1b": "escape"}


def bindings(config: dict, where: str = "config.toml") -> dict[str, tuple[str, ...]]:
    """action -> keys, the defaults overlaid by `[keys]`; a wrong table raises AxiError."""
    table = config.get("keys", {})
    if not isinstance(table, dict):
        raise _bad(where, "[keys] must be a table of action = \"key\" (or a list of keys)")
    out = {a.name: a.keys for a in ACTIONS}
    for action, value in table.items():
        if action not in BY_NAME:
            raise _bad(where, f"[keys] has an unknown action {action!r}",
                       "actions: " + ", ".join(BY_NAME))
        keys = (value,) if isinstance(value, str) else value
        if not (isinstance(keys, (list, tuple)) and keys
                and all(isinstance(k, str) and k.strip() for k in keys)):
            raise _bad(where, f"[keys] {action} must be a key or a list of keys (got {value!r})")
        out[action] = tuple(k.strip() for k in keys)
    _check_clashes(out, where)
    return out


def _check_clashes(out: dict[str, tuple[str, ...]], where: str) -> None:
    """A key serves one action in each place: the table, and the person's tab (its own
    actions, with the ones it shares)."""
    for scope in (TABLE, PERSON):
        _check_scope({a.name: out[a.name] for a in ACTIONS
                      if a.scope == scope or (scope == PERSON and a.name in SHARED)}, where)


def _check_scope(out: dict[str, tuple[str, ...]], where: str) -> None:
    seen: dict[str, str] = {}
    for action, keys in out.items():
        for key in keys:
            if "," in key:
                raise _bad(where, f"[keys] {action} = {key!r}: write the comma key as `comma`")
            name = _FIXED_CHARS.get(key, key).lower() if len(key) > 1 else key
            if name in FIXED:
                raise _bad(where, f"[keys] {action} = {key!r}: {key} is fixed "
                           "(enter, escape and the arrows cannot be rebound)")
            if key in seen and seen[key] != action:
                raise _bad(where, f"[keys] {key!r} is bound to both {seen[key]} and {action}",
                           f"give one of them another key under [keys] in {where}")
            seen[key] = action


def _bad(where: str, message: str, *more: str) -> AxiError:
    return AxiError(message, code="KEYS_INVALID",
                    help=[*more, f"fix [keys] in {where}; `?` in the picker lists the actions"])


def describe(keys: tuple[str, ...]) -> str:
    return "/".join(keys)


def overrides(keymap: dict[str, tuple[str, ...]]) -> dict[str, str]:
    """The actions `[keys]` moved, as Textual's keymap (binding id -> "key,key")."""
    return {a.name: ",".join(keymap[a.name]) for a in ACTIONS if keymap[a.name] != a.keys}
