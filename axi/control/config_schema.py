"""What `config.toml` may hold: every key, its type, and the first problem found.

A wrong type is never guessed at or skipped: `policy = 7` or `harness = "codex"` would
otherwise loosen a policy or drop a harness without a word."""

from __future__ import annotations

STRING = "a string"
BOOL = "true or false"
STRINGS = "a list of strings"
COMMAND = "a string (shell words) or a list of strings"

TOP = {"mux": STRING, "default_harness": STRING,
       "harness": "an array of tables ([[harness]])", "policy": "a table",
       "keys": "a table", "columns": STRINGS, "ui": "a table", "person": "a table",
       "host": "an array of tables ([[host]])", "machine": "a table", "shell": COMMAND}
# `args`: the harness's own flags (such as "--dangerously-skip-permissions") that the picker's
# `E` and `C` put after its resume or launch command (`e`, `c` and other launches leave them out).
HARNESS = {"name": STRING, "launch": COMMAND, "launch_headless": COMMAND,
           "resume_input": COMMAND, "resume_input_headless": COMMAND, "pretrust": BOOL,
           "waiting_re": STRING, "args": COMMAND}
POLICY = {"harness": STRINGS, "models": "a table"}
MODELS = {"allow": STRINGS, "deny": STRINGS}
MUX_VALUES = ("tmux",)
# The picker's tables (`axi pick`): [keys] maps an action to a key or a list of keys (which
# actions and clashes are checked by axi/picker/keys.py); [ui] bare = "pick" opens the picker
# from bare `axi` on a terminal, return = true comes back to it after a resume; [person] name
# is the person's own mailbox identity (default: the login name).
UI = {"bare": STRING, "return": BOOL}
UI_BARE = ("toon", "pick")
PERSON = {"name": STRING}
# Remote hosts (axi/remote): how to reach each one, and this machine's own name in addresses.
SECONDS = "a positive number of seconds"
HOST = {"name": STRING, "transport": COMMAND, "attach_transport": COMMAND, "axi": COMMAND,
        "timeout": SECONDS}
MACHINE = {"name": STRING}
HOST_NAME = r"[A-Za-z0-9][A-Za-z0-9._-]{0,62}"
HOST_RESERVED = ("local", "all")


def check(config: dict) -> str | None:
    """The first problem in a parsed config, as `key must be <type> (got <what>)`."""
    return (_keys(config, TOP, "")
            or _mux(config)
            or _shell(config)
            or _default_harness(config)
            or _harness_blocks(config.get("harness", []))
            or _policy(config.get("policy", {}))
            or _picker_tables(config)
            or _host_blocks(config.get("host", []))
            or _machine(config.get("machine", {})))


def _mux(config: dict) -> str | None:
    if "mux" not in config:
        return None
    if not _is(config["mux"], STRING):
        return _wrong("mux", STRING, config["mux"])
    if config["mux"] not in MUX_VALUES:
        return f"mux must be one of {', '.join(MUX_VALUES)} (got {config['mux']!r})"
    return None


def _default_harness(config: dict) -> str | None:
    """`default_harness`: what `axi sessions new "task"` launches; a built-in harness or one
    a [[harness]] block names."""
    if "default_harness" not in config:
        return None
    value = config["default_harness"]
    if not _is(value, STRING):
        return _wrong("default_harness", STRING, value)
    blocks = config.get("harness", [])
    named = [b.get("name") for b in blocks if isinstance(b, dict)] if isinstance(
        blocks, list) else []
    known = ["claude", "codex", "opencode", "pi", *named]
    if value not in known:
        return f"default_harness must name a harness: {', '.join(map(str, known))} (got {value!r})"
    return None


def _harness_blocks(blocks: object) -> str | None:
    if not isinstance(blocks, list) or not all(isinstance(b, dict) for b in blocks):
        return _wrong("harness", TOP["harness"], blocks)
    for number, block in enumerate(blocks, 1):
        where = f"[[harness]] #{number}"
        if "name" not in block:
            return f"{where} has no name (name must be {STRING})"
        if isinstance(block["name"], str):
            where = f"[[harness]] {block['name']}"
        problem = (_keys(block, HARNESS, where + ".") or _waiting_re(block, where)
                   or _args(block, where))
        if problem:
            return problem
    return None


def _args(block: dict, where: str) -> str | None:
    """`args`: shell words (or a list of words) that must split, with no empty word."""
    value = block.get("args")
    if value is None:
        return None
    fix = 'such as args = "--dangerously-skip-permissions"'
    if isinstance(value, str):
        import shlex

        try:
            shlex.split(value)
        except ValueError as exc:
            return f"has {where}.args that is not a valid command line ({exc}): {fix}"
    elif not all(word.strip() for word in value):
        return f"has an empty word in {where}.args: {fix}"
    return None


def _waiting_re(block: dict, where: str) -> str | None:
    """`waiting_re`: a Python regular expression the holder looks for on the screen; "" turns
    the built-in one off. One that does not compile is named here, never at the first match."""
    pattern = block.get("waiting_re")
    if not pattern:
        return None
    import re

    try:
        empty = re.compile(pattern, re.MULTILINE).search("") is not None
    except re.error as exc:
        return (f"has {where}.waiting_re that is not a regular expression ({exc}): write a "
                "Python regular expression and escape the characters meant literally with a "
                r"backslash, in a TOML literal string: waiting_re = 'Allow\? \(y/n\)'")
    if empty:
        return (f"has {where}.waiting_re that matches an empty screen, so every session would "
                "look blocked: make it match the prompt's own text, such as "
                r"waiting_re = 'Allow\? \(y/n\)'")
    return None


def _shell(config: dict) -> str | None:
    """`shell`: the command line harness launches and accept checks run through, such as
    "bash -lc"; the command goes after its last word. Unset: launches run directly and checks
    through `sh -c`."""
    if "shell" not in config:
        return None
    value = config["shell"]
    fix = 'give a shell and its flags, such as shell = "bash -lc", or remove the key'
    if isinstance(value, str):
        import shlex

        try:
            words = shlex.split(value)
        except ValueError as exc:
            return f"has shell that is not a valid command line ({exc}): {fix}"
    else:
        words = value
    if not words or not all(w.strip() for w in words):
        return f"has an empty shell (or an empty word in it): {fix}"
    return None


def _picker_tables(config: dict) -> str | None:
    for key, schema in (("ui", UI), ("person", PERSON)):
        table = config.get(key, {})
        if not isinstance(table, dict):
            return _wrong(key, TOP[key], table)
        problem = _keys(table, schema, key + ".")
        if problem:
            return problem
    bare = config.get("ui", {}).get("bare")
    if bare is not None and bare not in UI_BARE:
        return f"ui.bare must be one of {', '.join(UI_BARE)} (got {bare!r})"
    keys = config.get("keys", {})
    if not isinstance(keys, dict):
        return _wrong("keys", TOP["keys"], keys)
    for action, value in keys.items():
        if not _is(value, STRING) and not _is(value, STRINGS):
            return _wrong(f"keys.{action}", "a key or a list of keys", value)
    return None


def _host_blocks(blocks: object) -> str | None:
    import re

    if not isinstance(blocks, list) or not all(isinstance(b, dict) for b in blocks):
        return _wrong("host", TOP["host"], blocks)
    seen: set[str] = set()
    for number, block in enumerate(blocks, 1):
        name = block.get("name")
        where = f"[[host]] {name}" if isinstance(name, str) else f"[[host]] #{number}"
        problem = _keys(block, HOST, where + ".")
        if problem:
            return problem
        for key in ("name", "transport"):
            if not block.get(key):
                return f"{where} has no {key} ({key} must be {HOST[key]})"
        if not re.fullmatch(HOST_NAME, name) or name in HOST_RESERVED:
            return (f"{where} has a name that cannot address a host (letters, digits, '.', "
                    f"'_' and '-', not {' or '.join(HOST_RESERVED)})")
        if name in seen:
            return f"has two [[host]] blocks named {name}"
        seen.add(name)
    return None


def _machine(machine: object) -> str | None:
    if not isinstance(machine, dict):
        return _wrong("machine", TOP["machine"], machine)
    return _keys(machine, MACHINE, "machine.")


def _policy(policy: object) -> str | None:
    if not isinstance(policy, dict):
        return _wrong("policy", TOP["policy"], policy)
    problem = _keys(policy, POLICY, "policy.")
    if problem or "models" not in policy:
        return problem
    models = policy["models"]
    if not isinstance(models, dict):
        return _wrong("policy.models", POLICY["models"], models)
    return _keys(models, MODELS, "policy.models.")


def _keys(table: dict, schema: dict[str, str], prefix: str) -> str | None:
    for key, value in table.items():
        if key not in schema:
            return (f"has an unknown key {prefix}{key} (known here: "
                    f"{', '.join(schema)})")
        if not _is(value, schema[key]):
            return _wrong(prefix + key, schema[key], value)
    return None


def _is(value: object, kind: str) -> bool:
    if kind == STRING:
        return isinstance(value, str)
    if kind == BOOL:
        return isinstance(value, bool)
    if kind == STRINGS:
        return isinstance(value, list) and all(isinstance(v, str) for v in value)
    if kind == COMMAND:
        return isinstance(value, str) or _is(value, STRINGS)
    if kind == SECONDS:
        return isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0
    return True  # tables and arrays of tables are checked by their own functions


def _wrong(key: str, kind: str, value: object) -> str:
    return f"has {key} of the wrong type: it must be {kind} (got {_kind_of(value)})"


def _kind_of(value: object) -> str:
    names = {bool: "a boolean", int: "an integer", float: "a number", str: "a string",
             list: "an array", dict: "a table"}
    return names.get(type(value), type(value).__name__)
