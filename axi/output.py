"""The one output boundary: every byte axi writes to stdout passes through `emit`.

Commands return plain data (dicts, lists, strings, numbers). This module encodes it as TOON
(python-toon) or, with `--format json`, as compact JSON, and writes it with one trailing newline.
Diagnostics go to stderr through `warn`. Two streams also pass through here: NDJSON events
(`event`) and, while a terminal is attached to a held session, its screen (`terminal`).
"""

from __future__ import annotations

import sys

from axi.text import shown

FORMATS = ("toon", "json")


def encode(data: object, fmt: str = "toon") -> str:
    if fmt == "json":
        import json

        return json.dumps(_plain(data), ensure_ascii=False, separators=(",", ":"))
    import toon

    return toon.encode(_plain(data))


def emit(data: object, fmt: str = "toon", stream=None) -> None:
    _write(stream if stream is not None else sys.stdout, encode(data, fmt) + "\n")


def event(data: dict) -> None:
    """One NDJSON line of a stream (`sessions read --follow`), flushed at once."""
    import json

    _write(sys.stdout, json.dumps(_plain(data), ensure_ascii=False, separators=(",", ":")) + "\n")


def _write(out, text: str) -> None:
    """TOON and JSON are UTF-8 whatever the locale says: a C or ASCII locale must not turn
    one accented title into a traceback."""
    buffer = getattr(out, "buffer", None)
    if buffer is None:
        out.write(text)
        out.flush()
        return
    out.flush()
    buffer.write(text.encode("utf-8", "replace"))
    buffer.flush()


def terminal(data: bytes) -> None:
    """A held session's screen bytes, while a terminal is attached to it (`sessions attach`)."""
    out = getattr(sys.stdout, "buffer", None)
    if out is None:
        sys.stdout.write(data.decode("utf-8", "replace"))
    else:
        out.write(data)
    sys.stdout.flush()


def warn(message: str) -> None:
    """A diagnostic line for humans; never part of the machine-readable answer."""
    sys.stderr.write(f"axi: {message}\n")


def _plain(value: object) -> object:
    """Turn values python-toon would coerce silently (Enum -> null, bytes) into explicit ones,
    and every string into one that is safe to print (`axi.text.shown`): no text from a
    transcript or a mail can break the encoder or hide itself from the reader."""
    if isinstance(value, str):
        return shown(value)
    if isinstance(value, dict):
        return {shown(str(k)): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, (int, float, bool)):
        return value
    if isinstance(value, bytes):
        return shown(value.decode("utf-8", "replace"))
    return shown(str(value))
