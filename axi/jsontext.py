"""JSON for the paths every agent session pays for, without importing `json`.

`import json` imports `re` and, through it, `enum`, `functools` and `collections`: about 5 ms,
a third of what the session-start hook may spend above the interpreter's own start. The
stdlib's C scanner and encoder (`_json`, what `json` itself uses) do the same work without
them, so `loads` and `dumps` here give exactly what `json.loads` and `json.dumps` give
(`tests/test_jsontext.py` holds them equal on generated values). Where `_json` is missing or
its private constructors change, both fall back to `json`.
"""

from __future__ import annotations

WHITESPACE = " \t\n\r"

try:
    from _json import encode_basestring, encode_basestring_ascii, make_encoder, make_scanner
except ImportError:  # another Python: the stdlib module does it
    make_scanner = make_encoder = None


class _Decoding:
    """The attributes the C scanner reads off a `json.JSONDecoder` with default settings."""

    strict = True
    object_hook = None
    object_pairs_hook = None
    parse_float = float
    parse_int = int

    @staticmethod
    def parse_constant(name: str) -> float:
        return {"-Infinity": float("-inf"), "Infinity": float("inf"), "NaN": float("nan")}[name]


_scan = make_scanner(_Decoding()) if make_scanner is not None else None


def loads(text: str | bytes) -> object:
    """`json.loads(text)`; ValueError (a `json.JSONDecodeError` where `json` would raise one)
    on anything that is not one JSON value."""
    if isinstance(text, (bytes, bytearray)):
        if text[:3] == b"\xef\xbb\xbf" or b"\x00" in text[:4]:  # a BOM, UTF-16 or UTF-32
            return _stdlib_loads(text)
        text = bytes(text).decode("utf-8", "surrogatepass")
    if _scan is None:
        return _stdlib_loads(text)
    if text.startswith("\ufeff"):
        raise ValueError("Unexpected UTF-8 BOM (decode using utf-8-sig)")
    start = len(text) - len(text.lstrip(WHITESPACE))
    try:
        value, end = _scan(text, start)
    except StopIteration as stop:
        raise ValueError(f"Expecting value: char {stop.value}") from None
    if text[end:].strip(WHITESPACE):
        raise ValueError(f"Extra data: char {end}")
    return value


def _stdlib_loads(text: str | bytes) -> object:
    import json

    return json.loads(text)


def _refuse(value: object) -> object:
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def dumps(value: object, ensure_ascii: bool = True,
          separators: tuple[str, str] = (", ", ": "), sort_keys: bool = False) -> str:
    """`json.dumps(value, ensure_ascii=..., separators=..., sort_keys=...)`."""
    if make_encoder is None:
        return _stdlib_dumps(value, ensure_ascii, separators, sort_keys)
    quote = encode_basestring_ascii if ensure_ascii else encode_basestring
    if isinstance(value, str):
        return quote(value)
    try:
        encoder = make_encoder({}, _refuse, quote, None, separators[1], separators[0],
                               sort_keys, False, True)
    except TypeError:  # the private constructor changed: the public one does it
        return _stdlib_dumps(value, ensure_ascii, separators, sort_keys)
    return "".join(encoder(value, 0))


def _stdlib_dumps(value: object, ensure_ascii: bool, separators: tuple[str, str],
                  sort_keys: bool) -> str:
    import json

    return json.dumps(value, ensure_ascii=ensure_ascii, separators=separators,
                      sort_keys=sort_keys)
