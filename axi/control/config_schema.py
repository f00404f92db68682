"""What `config.toml` may hold: every key, its type, and the first problem found.

A wrong type is never guessed at or skipped: `policy = 7` or `harness = "codex"` would
otherwise loosen a policy or drop a harness without a word."""

from __future__ import annotations

STRING = "a string"
BOOL = "true or false"
STRINGS = "a list of strings"
COMMAND = "a string (shell words) or a list of strings"

TOP = {"mux": STRING, "harness": "an array of tables ([[harness]])", "policy": "a table"}
HARNESS = {"name": STRING, "launch": COMMAND, "launch_headless": COMMAND,
           "resume_input": COMMAND, "resume_input_headless": COMMAND, "pretrust": BOOL}
POLICY = {"harness": STRINGS, "models": "a table"}
MODELS = {"allow": STRINGS, "deny": STRINGS}
MUX_VALUES = ("tmux",)


def check(config: dict) -> str | None:
    """The first problem in a parsed config, as `key must be <type> (got <what>)`."""
    return (_keys(config, TOP, "")
            or _mux(config)
            or _harness_blocks(config.get("harness", []))
            or _policy(config.get("policy", {})))


def _mux(config: dict) -> str | None:
    if "mux" not in config:
        return None
    if not _is(config["mux"], STRING):
        return _wrong("mux", STRING, config["mux"])
    if config["mux"] not in MUX_VALUES:
        return f"mux must be one of {', '.join(MUX_VALUES)} (got {config['mux']!r})"
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
        problem = _keys(block, HARNESS, where + ".")
        if problem:
            return problem
    return None


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
    return True  # tables and arrays of tables are checked by their own functions


def _wrong(key: str, kind: str, value: object) -> str:
    return f"has {key} of the wrong type: it must be {kind} (got {_kind_of(value)})"


def _kind_of(value: object) -> str:
    names = {bool: "a boolean", int: "an integer", float: "a number", str: "a string",
             list: "an array", dict: "a table"}
    return names.get(type(value), type(value).__name__)
