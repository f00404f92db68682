"""What a hook takes from its host's JSON on stdin, and the bounds it holds that input to.

Read: at most STDIN_MAX bytes, for at most STDIN_WAIT seconds, never from a terminal; a bigger
payload is dropped whole (a cut one is not JSON). Parsed: only when it is nested at most
MAX_DEPTH deep. Kept: a session id only when `axi.text.is_safe_id`; a `cwd` only when it is an
absolute path of at most MAX_CWD characters with no NUL or lone surrogate (and, for the
dashboard, an existing folder); a `reason`/`source` as one line of at most MAX_WHY shown-safe
characters. Whatever is refused is named in `problems` (never echoed in full), and the hook
goes on without it.
"""

from __future__ import annotations

import os
import sys

from axi.jsontext import loads

STDIN_WAIT = 0.5
STDIN_MAX = 1 << 20
MAX_DEPTH = 64
MAX_CWD = 4096  # PATH_MAX on Linux
MAX_WHY = 64
_OPEN, _CLOSE = frozenset(b"[{"), frozenset(b"]}")


def read(problems: list[str]) -> dict:
    """The host's JSON object from stdin; {} for a terminal, nothing sent, or anything else."""
    try:
        fd = sys.stdin.fileno()
    except (AttributeError, OSError, ValueError):
        return {}
    if os.isatty(fd):
        return {}
    raw = read_bytes(fd)
    if raw is None:
        problems.append(f"stdin payload over {STDIN_MAX} bytes: ignored")
        return {}
    return parse(raw, problems)


def read_bytes(fd: int) -> bytes | None:
    """Up to STDIN_MAX bytes (None when there is more), waiting at most STDIN_WAIT seconds."""
    import select
    import time

    deadline = time.monotonic() + STDIN_WAIT
    chunks, size = [], 0
    while size <= STDIN_MAX:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            break
        chunk = os.read(fd, min(65536, STDIN_MAX + 1 - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return None if size > STDIN_MAX else b"".join(chunks)


def parse(raw: bytes, problems: list[str]) -> dict:
    if not raw.strip():
        return {}
    if too_deep(raw, MAX_DEPTH):
        problems.append(f"stdin payload nested deeper than {MAX_DEPTH}: ignored")
        return {}
    try:
        data = loads(raw)
    except (ValueError, RecursionError):
        problems.append("stdin payload is not JSON: ignored")
        return {}
    if not isinstance(data, dict):
        problems.append("stdin payload is not a JSON object: ignored")
        return {}
    return data


def too_deep(raw: bytes, limit: int) -> bool:
    """Whether JSON text nests arrays/objects deeper than `limit` (brackets in strings do not
    count). Free for ordinary payloads, which hold fewer brackets than `limit`; stops at the
    first bracket past the limit however deep the rest goes."""
    if raw.count(b"[") + raw.count(b"{") <= limit:
        return False
    import re

    depth, in_string, escaped = 0, False, False
    for match in re.finditer(rb'[\\"\[\]{}]', raw):
        byte = raw[match.start()]
        if escaped:
            escaped = False
            continue
        if in_string:
            if byte == 0x5C and match.end() < len(raw):  # backslash: skip what it escapes
                escaped = raw[match.end()] in b'\\"'
            in_string = byte != 0x22
            continue
        if byte == 0x22:
            in_string = True
        elif byte in _OPEN:
            depth += 1
            if depth > limit:
                return True
        elif byte in _CLOSE:
            depth -= 1
    return False


def session_id(payload: dict, problems: list[str]) -> str | None:
    from axi.text import is_safe_id

    sid = payload.get("session_id")
    if sid is None or sid == "":
        return None
    if not is_safe_id(sid):
        problems.append("session_id is not a safe id (letters, digits, . _ -; at most 128): "
                        "nothing recorded for it")
        return None
    return sid


def path(value: object, problems: list[str], must_exist: bool = False) -> str | None:
    """`value` when it is a bounded absolute path (an existing folder, with `must_exist`)."""
    if value is None:
        return None
    why = _bad_path(value)
    if why is None and must_exist and not os.path.isdir(value):
        why = "not an existing folder"
    if why:
        problems.append(f"cwd ignored: {why}")
        return None
    return os.path.normpath(value)


def _bad_path(value: object) -> str | None:
    from axi.text import whole

    if not isinstance(value, str):
        return "not a string"
    if len(value) > MAX_CWD:
        return f"longer than {MAX_CWD} characters"
    if not os.path.isabs(value):
        return "not an absolute path"
    if "\x00" in value or whole(value) != value:
        return "holds a NUL or a lone surrogate"
    return None


def why(value: object) -> str | None:
    """A `reason` or `source` as one bounded, shown-safe line (None when not a string)."""
    from axi.text import shown

    if not isinstance(value, str):
        return None
    text = " ".join(shown(value[: MAX_WHY * 4]).split())
    return text if len(text) <= MAX_WHY else text[: MAX_WHY - 1] + "…"
