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

REPLACEMENT = "\ufffd"
# What `shown` does, as one translate table (no regular expressions: this module is on the
# hook's start-up path): controls become U+FFFD, invisible formatting is dropped.
_CONTROLS = [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), *range(0x7F, 0xA0)]
_INVISIBLE = [0x061C, 0x180E, 0x200B, 0x200E, 0x200F, *range(0x202A, 0x202F),
              *range(0x2060, 0x2065), *range(0x2066, 0x206A), 0xFEFF]
_SHOWN = {**{c: REPLACEMENT for c in _CONTROLS}, **{c: None for c in _INVISIBLE}}
_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
_ID_CHARS = _ALNUM + "._-"
_SHELL_SAFE = frozenset(_ALNUM + "_@%+=:,./-")


def whole(text: str) -> str:
    """`text` without lone surrogates (it is returned as is when it has none)."""
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
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
    if text.isprintable():  # false for every control, format and surrogate code point
        return text
    return whole(text).translate(_SHOWN)


def is_safe_id(value: object) -> bool:
    """`[A-Za-z0-9_][A-Za-z0-9._-]{0,127}`: nothing a shell or a path would read twice.
    (Nothing left once the allowed characters are stripped from both ends: every one is
    allowed, checked in C; a cold index vets 10,000 ids.)"""
    return (isinstance(value, str) and 0 < len(value) <= 128 and value[0] not in ".-"
            and not value.strip(_ID_CHARS))


def safe_id(value: str) -> str:
    """`value` when it is a safe id; else `x-` and 16 hex digits derived from it (stable, so
    a parent and its children map alike)."""
    if is_safe_id(value):
        return value
    import hashlib

    digest = hashlib.sha256(whole(value).encode("utf-8", "replace")).hexdigest()
    return f"x-{digest[:16]}"


def shell_word(value: str) -> str:
    """`value` as one shell word: as is when every character is safe, else single-quoted
    (what `shlex.quote` gives, without the regular expressions it imports)."""
    if value and all(char in _SHELL_SAFE for char in value):
        return value
    return "'" + value.replace("'", "'\"'\"'") + "'"


def without_password(url: str) -> str:
    """A URL with its password shown as `***` (for messages, status lines and notes)."""
    import re

    return re.sub(r"(://[^:/@]*):[^@/]*@", r"\1:***@", url)


def sha256_hex(data: bytes) -> str:
    """The SHA-256 of `data` in hex. From the stdlib's own `_sha256`/`_sha2` where it has one:
    `hashlib` loads OpenSSL, about 2.5 ms of a dashboard that checks an agent's fingerprint."""
    try:
        from _sha256 import sha256  # Python 3.11
    except ImportError:
        try:
            from _sha2 import sha256  # Python 3.12 and later
        except ImportError:
            from hashlib import sha256
    return sha256(data).hexdigest()
