"""Helpers the tests import: strict TOON decoding and snapshot scrubbing."""

from __future__ import annotations

import toon
import toon_format


def decode_strict(text: str) -> object:
    """Decode with python-toon (strict) and toon-format (strict); both must agree."""
    assert text.endswith("\n") and not text.endswith("\n\n"), repr(text[-20:])
    body = text[:-1]
    first = toon.decode(body, toon.DecodeOptions(strict=True))
    second = toon_format.loads(body, strict=True)
    assert first == second
    return first


def scrub(data: object) -> object:
    """Replace values that depend on the machine (the executable path) for snapshots."""
    if isinstance(data, dict):
        return {k: ("<bin>" if k == "bin" else scrub(v)) for k, v in data.items()}
    if isinstance(data, list):
        return [scrub(v) for v in data]
    return data
