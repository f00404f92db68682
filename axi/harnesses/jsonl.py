"""Helpers shared by the JSONL adapters: tolerant line decoding and prompt hygiene.

Lines are decoded with the standard library's `json` until `bulk()` switches to orjson, which
is 2-3 times faster per line but costs ~17 ms to import (it imports dataclasses, uuid and
json itself): worth it for a cold index, not for the few new lines a hook reads. Even `json`
is imported on first use: a warm call with nothing new to read never needs it.
"""

from __future__ import annotations

from axi.text import whole_tree

_loads = None  # json.loads once a line is decoded, or orjson.loads after `bulk()`
_fast = False  # orjson: it refuses lone surrogates itself, so nothing needs checking after
# A JSON escape of a UTF-16 surrogate half: orjson refuses lone ones (the line then takes the
# fallback below); the standard library accepts them, so its results are checked for them.
_SURROGATE_ESCAPES = (b"\\ud", b"\\uD")

# First prompts that are really wrappers injected by a harness, never a title.
WRAPPER_PREFIXES = (
    "<environment_context>", "<user_instructions>", "<command-name>", "<command-message>",
    "<local-command-stdout>", "<local-command-caveat>", "<system-reminder>", "<turn_aborted>",
    "<user_shell_command>", "<skills_instructions>", "<permissions", "<model_switch>",
    "# AGENTS.md instructions", "# CLAUDE.md", "Caveat:", "[Request interrupted",
)


def bulk() -> None:
    """Decode with orjson from now on in this process (a lot is about to be read)."""
    global _loads, _fast
    import orjson

    _loads, _fast = orjson.loads, True


def _stdlib_loads():
    import json

    return json.loads


def decode(line: bytes | str) -> dict | None:
    """One JSON object from a line; None for torn, invalid, too deep or non-object lines.

    Every string in the result is whole (no lone surrogates), so it can be stored and shown.
    """
    global _loads
    if _loads is None:
        _loads = _stdlib_loads()
    try:
        value = _loads(line)
        if not _fast and _has_surrogate_escape(line):
            value = whole_tree(value)
    except (ValueError, RecursionError):
        # Invalid UTF-8 or a lone surrogate fails the whole line in orjson; keep the rest.
        try:
            text = line.decode("utf-8", "replace") if isinstance(line, bytes) else line
            value = whole_tree(_stdlib_loads()(text))
        except (ValueError, RecursionError):
            return None
    return value if isinstance(value, dict) else None


def _has_surrogate_escape(line: bytes | str) -> bool:
    if isinstance(line, str):
        return "\\ud" in line or "\\uD" in line
    return _SURROGATE_ESCAPES[0] in line or _SURROGATE_ESCAPES[1] in line


def dumps(value: object) -> str:
    """Compact JSON text, for parser state and a tool call's arguments."""
    import json

    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def is_wrapper(text: str) -> bool:
    stripped = text.lstrip()
    return not stripped or stripped.startswith(WRAPPER_PREFIXES)


def clean_prompt(text: str) -> str:
    """A prompt as a person typed it: whitespace folded, one layer of literal quotes removed."""
    flat = " ".join(text.split())
    if len(flat) >= 2 and flat[0] == flat[-1] == '"':
        flat = flat[1:-1]
    return flat


def text_blocks(content: object, kinds: tuple[str, ...] = ("text",)) -> str:
    """The text of a message content that is either a string or a list of typed blocks."""
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        return ""
    parts = []
    for block in content:
        if isinstance(block, dict) and block.get("type") in kinds:
            value = block.get("text")
            if isinstance(value, str):
                parts.append(value)
    return "\n".join(parts)


def as_int(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def records(path: str, since: int = 0):
    """(offset, object) for every readable JSON line from byte `since`; others are passed over."""
    from axi.harnesses.base import iter_lines

    for offset, line, _end in iter_lines(path, since):
        rec = decode(line) if line is not None else None
        if rec is not None:
            yield offset, rec
