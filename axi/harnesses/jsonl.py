"""Helpers shared by the JSONL adapters: tolerant line decoding and prompt hygiene.

Lines are decoded with the standard library's `json` until `bulk()` switches to msgspec, which
is 2-3 times faster per line but costs ~18 ms to import (it imports typing and dataclasses):
worth it for a cold index, not for the few new lines a hook reads. Even `json` is imported on
first use: a warm call with nothing new to read never needs it.

msgspec also decodes a whole block of lines at once into each adapter's `schema`: only the
fields a summary reads, the large ones (message content, tool output) kept as undecoded
`Raw` bytes. That, not faster decoding, is what makes a cold index fast: most of a
transcript is tool output nobody summarises.
"""

from __future__ import annotations

from axi.text import whole_tree

_loads = None  # json.loads once a line is decoded, or msgspec's after `bulk()`
_encode = None  # msgspec's encoder after `bulk()`: a cold index saves thousands of states
_fast = False  # msgspec: it refuses lone surrogates itself, so nothing needs checking after
_errors: tuple[type[BaseException], ...] = (ValueError, RecursionError)
# A JSON escape of a UTF-16 surrogate half: msgspec refuses lone ones (the line then takes the
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
    """Decode with msgspec from now on in this process (a lot is about to be read)."""
    global _loads, _encode, _fast, _errors
    import msgspec

    _loads, _fast = msgspec.json.Decoder().decode, True
    _encode = msgspec.json.Encoder().encode
    _errors = (ValueError, RecursionError, msgspec.MsgspecError)


_BLOCK_DECODERS: dict = {}


def block_decoder(schema: str | None):
    """A function decoding a block of complete lines into records of the type named `schema`
    in `axi.harnesses.schemas`, raising one of `errors()` when any line does not fit it (the
    caller then decodes that block line by line). None before `bulk()` or without a schema."""
    if not _fast or schema is None:
        return None
    if schema not in _BLOCK_DECODERS:
        import msgspec

        from axi.harnesses import schemas

        _BLOCK_DECODERS[schema] = msgspec.json.Decoder(getattr(schemas, schema)).decode_lines
    return _BLOCK_DECODERS[schema]


_LINE_DECODERS: dict = {}


def line_decoder(schema: str):
    """Like `block_decoder`, for one line at a time (any bytes-like object)."""
    if schema not in _LINE_DECODERS:
        import msgspec

        from axi.harnesses import schemas

        _LINE_DECODERS[schema] = msgspec.json.Decoder(getattr(schemas, schema)).decode
    return _LINE_DECODERS[schema]


def errors() -> tuple[type[BaseException], ...]:
    return _errors


_DECODED = (type(None), str, list, dict, int, float, bool)


def materialize(value: object) -> object:
    """A field a block decoder kept as raw JSON bytes, decoded (None when unreadable)."""
    if type(value) in _DECODED:
        return value
    return decode_any(bytes(memoryview(value)))


def peek(value: object, size: int = 300) -> bytes:
    """The first bytes of a raw JSON field, to tell its kind without decoding it."""
    return b"" if type(value) in _DECODED else bytes(memoryview(value)[:size])


def _stdlib_loads():
    import json

    return json.loads


def decode(line: bytes | str) -> dict | None:
    """One JSON object from a line; None for torn, invalid, too deep or non-object lines.

    Every string in the result is whole (no lone surrogates), so it can be stored and shown.
    """
    value = decode_any(line)
    return value if isinstance(value, dict) else None


def decode_any(line: bytes | str) -> object:
    """Any JSON value, as `decode` reads it; None when unreadable."""
    global _loads
    if _loads is None:
        _loads = _stdlib_loads()
    try:
        value = _loads(line)
        if not _fast and _has_surrogate_escape(line):
            value = whole_tree(value)
    except _errors:
        # Invalid UTF-8 or a lone surrogate fails the whole line in msgspec; keep the rest.
        try:
            text = line.decode("utf-8", "replace") if isinstance(line, bytes) else line
            value = whole_tree(_stdlib_loads()(text))
        except (ValueError, RecursionError):
            return None
    return value


def _has_surrogate_escape(line: bytes | str) -> bool:
    if isinstance(line, str):
        return "\\ud" in line or "\\uD" in line
    return _SURROGATE_ESCAPES[0] in line or _SURROGATE_ESCAPES[1] in line


def dumps(value: object) -> str:
    """Compact JSON text, for parser state and a tool call's arguments."""
    if _encode is not None:
        try:
            return _encode(value).decode()
        except (TypeError, ValueError):  # a lone surrogate, a key msgspec will not encode
            pass
    from axi.jsontext import dumps as encode

    return encode(value, ensure_ascii=False, separators=(",", ":"))


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
