"""`config.toml`: per-harness launch overrides, the launch policy and the holder backend.

```toml
mux = "tmux"            # optional; unset runs sessions under axi's own holder
shell = "bash -lc"      # optional: launches and accept checks run through this shell
[[harness]]
name = "claude"         # a built-in name overrides that harness field by field
launch = "claude --session-id {newid} -- {task}"  # a string (shell words) or a list
pretrust = false        # do not mark the folder trusted in ~/.claude.json before a launch
waiting_re = 'Allow\\? \\(y/n\\)'  # a prompt on the screen that blocks it (no state hook)
[policy]
harness = ["claude", "codex"]
models = { allow = ["claude-*"], deny = ["*opus*"] }
columns = ["harness", "status", "age", "title", "tag:team"]   # the picker's columns, in order
[keys]                  # the picker's keys: action = "key" (or a list of keys)
kill = "X"
[ui]
bare = "pick"           # bare `axi` on a terminal (no agent harness) opens the picker
return = true           # come back to the picker after a resumed session ends
[person]
name = "ada"            # the person's mailbox identity (default: the login name)
[machine]
name = "laptop"         # this machine's name in addresses (default: the short hostname)
[[host]]                # a remote host (axi/remote), reached by running its transport
name = "box"
transport = "ssh -T box"  # an argv prefix; axi adds no flag of its own (never -A)
attach_transport = "ssh -t box"  # optional: the interactive one
axi = "axi"             # the axi command there (default: axi)
timeout = 10            # seconds one call may take (default: 10)
```
"""

from __future__ import annotations

import fnmatch
import shlex

from axi.errors import AxiError
from axi.harnesses import NAMES, get
from axi.paths import config_path

TEMPLATE_FIELDS = ("launch", "launch_headless", "resume_input", "resume_input_headless")
MAX_CONFIG_BYTES = 1024 * 1024


def load() -> dict:
    """The parsed config (empty when there is none); a broken file is an error, never ignored."""
    path = config_path()
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_CONFIG_BYTES + 1)
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise AxiError(f"cannot read {path}: {exc}", code="CONFIG_UNREADABLE",
                       help=["fix its permissions, or move it aside"]) from None
    if len(raw) > MAX_CONFIG_BYTES:
        raise _invalid(path, f"is larger than {MAX_CONFIG_BYTES // 1024} KiB")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise _invalid(path, f"is not UTF-8 (byte {exc.start}, line {line})") from None
    import tomlkit

    try:
        parsed = tomlkit.parse(text).unwrap()
    except Exception as exc:  # tomlkit raises its own ParseError family
        raise _invalid(path, f"is not valid TOML: {exc}") from None
    from axi.control.config_schema import check

    problem = check(parsed)
    if problem:
        raise _invalid(path, problem)
    return parsed


def _invalid(path: str, problem: str) -> AxiError:
    return AxiError(f"{path} {problem}", code="CONFIG_INVALID",
                    help=[f"fix it in {path}; it was not changed"])


def harness_names(config: dict) -> list[str]:
    extra = [h.get("name") for h in config.get("harness", []) if isinstance(h, dict)]
    return list(NAMES) + [n for n in extra if isinstance(n, str) and n not in NAMES]


def templates(harness: str, config: dict) -> dict[str, list[str]]:
    """The harness's launch templates, built in and overlaid by its `[[harness]]` block."""
    out: dict[str, list[str]] = {}
    if harness in NAMES:
        adapter = get(harness)
        out = {f: list(getattr(adapter, f)) for f in TEMPLATE_FIELDS}
    for block in config.get("harness", []):
        if not isinstance(block, dict) or block.get("name") != harness:
            continue
        for field in TEMPLATE_FIELDS:
            if field in block:
                out[field] = _argv(block[field], harness, field)
    return out


# What a blocked harness shows when no state hook reports it (`waiting_re`): the permission
# dialogs of Claude Code 2.1 and Codex 0.169. A [[harness]] block's own pattern replaces it.
WAITING_RE = {
    "claude": r"Do you want to (?:proceed|make this edit|create|allow)\b[^\n]*\?",
    "codex": r"Would you like to (?:run the following command|make the following edits)\?",
}


def waiting_re(harness: str, config: dict) -> str | None:
    """The harness's `waiting_re` (checked when the config was loaded); "" turns it off."""
    for block in config.get("harness", []):
        if isinstance(block, dict) and block.get("name") == harness and "waiting_re" in block:
            return block["waiting_re"] or None
    return WAITING_RE.get(harness)


def shell_words(config: dict) -> list[str] | None:
    """The `shell` launches and accept checks run through, as words (None: unset); the
    command goes after the last word (`bash -lc 'claude ...'`)."""
    value = config.get("shell")
    if value is None:
        return None
    return shlex.split(value) if isinstance(value, str) else list(value)


def pretrust(harness: str, config: dict) -> bool:
    """Whether a watched launch may mark its folder trusted in the harness's own config
    (axi/control/trust.py); `pretrust = false` in the harness's block turns it off."""
    for block in config.get("harness", []):
        if isinstance(block, dict) and block.get("name") == harness and "pretrust" in block:
            value = block["pretrust"]
            if not isinstance(value, bool):
                raise AxiError(f"[[harness]] {harness}.pretrust must be true or false",
                               code="CONFIG_INVALID", help=[f"fix it in {config_path()}"])
            return value
    return True


def _argv(value: object, harness: str, field: str) -> list[str]:
    if isinstance(value, str):
        try:
            return shlex.split(value)
        except ValueError as exc:
            raise AxiError(f"[[harness]] {harness}.{field} is not a valid command line: {exc}",
                           code="CONFIG_INVALID", help=[f"fix it in {config_path()}"]) from None
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    raise AxiError(f"[[harness]] {harness}.{field} must be a string or a list of strings",
                   code="CONFIG_INVALID", help=[f"fix it in {config_path()}"])


def fill(template: list[str], values: dict[str, str | None]) -> list[str]:
    """Substitute `{name}` placeholders; an element left empty drops out with its flag."""
    argv: list[str] = []
    for word in template:
        text = word
        empty = False
        for name, value in values.items():
            mark = "{" + name + "}"
            if mark in text:
                if not value:
                    empty = True
                text = text.replace(mark, value or "")
        if empty and not text.strip():
            if argv and argv[-1].startswith("-") and len(argv) > 1:
                argv.pop()
            continue
        argv.append(text)
    return argv


def check_policy(config: dict, harness: str, model: str | None) -> None:
    policy = config.get("policy") or {}
    allowed = policy.get("harness")
    if isinstance(allowed, list) and harness.lower() not in {str(a).lower() for a in allowed}:
        raise AxiError(f"the launch policy does not allow harness {harness!r}", code="POLICY",
                       help=[f"allowed: {', '.join(map(str, allowed))} ([policy] in "
                             f"{config_path()})"])
    models = policy.get("models") or {}
    if not isinstance(models, dict):
        return
    name = model or ""
    deny = [p for p in models.get("deny", []) if isinstance(p, str)]
    allow = [p for p in models.get("allow", []) if isinstance(p, str)]
    if model and any(_matches(name, p) for p in deny):
        raise AxiError(f"the launch policy denies model {model!r}", code="POLICY",
                       help=[f"pick another --model ([policy] in {config_path()})"])
    if allow and not any(_matches(name, p) for p in allow):
        what = f"model {model!r}" if model else "a launch without --model"
        raise AxiError(f"the launch policy does not allow {what}", code="POLICY",
                       help=["allowed models: " + ", ".join(allow)])


def _matches(model: str, pattern: str) -> bool:
    """Model names are matched case-insensitively: `Claude-Opus` is denied by `*opus*`."""
    return fnmatch.fnmatchcase(model.casefold(), pattern.casefold())
