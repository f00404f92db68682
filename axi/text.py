"""Text nobody here wrote, made safe to store and to show.

Transcripts, mail and configs carry whatever their writers put there: lone UTF-16 surrogates
(a truncated emoji, escaped as `\\ud83d` in JSON), control characters, bidirectional overrides
and zero-width characters. Three rules, each applied at one boundary:

- `whole`: a string with no lone surrogates (they cannot be encoded as UTF-8, so SQLite and
  stdout refuse them). Valid escaped pairs are joined; a lone half becomes U+FFFD.
- `shown`: what the output boundary prints. Control characters other than tab, newline and
  carriage return (the only ones TOON can escape) become U+FFFD; invisible formatting that can
  reorder or hide text (bidi overrides and isolates, zero-width space, word joiner, BOM) is
  dropped. The joiners U+200C/U+200D stay: emoji sequences and several scripts need them.
- `safe_id`: a session id that is safe to paste into a shell; anything else maps to a stable
  derived id.
"""

from __future__ import annotations

import re

_SURROGATE = re.compile("[\ud800-\udfff]")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_INVISIBLE = re.compile("[\u061c\u180e\u200b\u200e\u200f\u202a-\u202e\u2060-\u2064"
                        "\u2066-\u2069\ufeff]")
_UNSHOWN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u180e\u200b\u200e\u200f"
                      "\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\ud800-\udfff]")
_SAFE_ID = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,127}\Z")
REPLACEMENT = "\ufffd"


def whole(text: str) -> str:
    """`text` without lone surrogates (it is returned as is when it has none)."""
    if text.isascii() or not _SURROGATE.search(text):
        return text
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def whole_tree(value: object) -> object:
    """A decoded JSON value with every string (keys too) passed through `whole`."""
    if isinstance(value, str):
        return whole(value)
    if isinstance(value, dict):
        return {whole(k) if isinstance(k, str) else k: whole_tree(v) for k, v in value.items()}
    if isinstance(value, list):
        return [whole_tree(v) for v in value]
    return value


def shown(text: str) -> str:
    """`text` as the output boundary prints it (see the module's rules)."""
    if text.isascii() and text.isprintable():
        return text
    if not _UNSHOWN.search(text):
        return text
    text = whole(text)
    return _CONTROL.sub(REPLACEMENT, _INVISIBLE.sub("", text))


def is_safe_id(value: object) -> bool:
    return isinstance(value, str) and _SAFE_ID.match(value) is not None


def safe_id(value: str) -> str:
    """`value` when it is a safe id; else `x-` and 16 hex digits derived from it (stable, so
    a parent and its children map alike)."""
    if is_safe_id(value):
        return value
    import hashlib

    digest = hashlib.sha256(whole(value).encode("utf-8", "replace")).hexdigest()
    return f"x-{digest[:16]}"
