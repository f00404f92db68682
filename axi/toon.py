"""TOON text for plain data: dicts, lists, strings, numbers, booleans and None.

Byte for byte what python-toon (pinned in the test extras) writes for the same value, with two
spaces of indent and the comma delimiter: tabular arrays for uniform objects (with nested field
groups), keyed tables for an object of two or more uniform objects, inline arrays of
primitives, list items otherwise. `tests/test_toon.py` checks the equality on generated data
and every snapshot decodes strictly with python-toon and toon-format.

It is axi's own because the hook and bare `axi` run on every agent session: importing
python-toon costs ~9 ms (dataclasses, inspect, decimal, typing) of a start-up budget of ~14 ms
above the interpreter, and this module imports nothing. Values reach it already made plain by
`axi.output`; anything else is written as its `str`.
"""

from __future__ import annotations

INDENT = "  "
_QUOTE_CHARS = ':"\\[]{},'
_ESCAPES = {ord("\\"): "\\\\", ord('"'): '\\"', ord("\n"): "\\n", ord("\r"): "\\r",
            ord("\t"): "\\t"}
_ESCAPES.update({c: f"\\u{c:04x}" for c in range(0x20) if c not in _ESCAPES})


def encode(value: object) -> str:
    """`value` as TOON, without a trailing newline."""
    lines: list[str] = []
    if _is_primitive(value):
        lines.append(primitive(value))
    elif isinstance(value, list):
        if value:
            _array(value, lines, 0, None, tabular=True)
        else:
            lines.append("[]")
    elif isinstance(value, dict):
        _object(value, lines, 0, None)
    else:
        lines.append(primitive(str(value)))
    return "\n".join(lines)


def primitive(value: object) -> str:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(int(value))
    if isinstance(value, float):
        return number(value)
    text = value if isinstance(value, str) else str(value)
    return text if _bare(text) else f'"{text.translate(_ESCAPES)}"'


def number(value: float) -> str:
    """Plain decimals for 1e-6 <= |n| < 1e21 (and zero), JSON exponents beyond; NaN and the
    infinities are null."""
    if value != value or value in (float("inf"), float("-inf")):
        return "null"
    if value == 0:
        return "0"
    if value.is_integer() and abs(value) < 1e21:
        return str(int(value))
    text = repr(value)
    if 1e-6 <= abs(value) < 1e21:
        if "e" in text:
            from decimal import Decimal  # a rare path: 1e-05 and its kin

            text = format(Decimal(text), "f")
        return text
    mantissa, _, exponent = text.partition("e")
    sign = "-" if exponent.startswith("-") else "+"
    digits = exponent.lstrip("+-").lstrip("0") or "0"
    if "." in mantissa:
        mantissa = mantissa.rstrip("0").rstrip(".")
    return f"{mantissa}e{sign}{digits}"


def key(name: str) -> str:
    """An object key, bare when it is an identifier (dots allowed), else quoted."""
    if _identifier(name):
        return name
    return f'"{name.translate(_ESCAPES)}"'


def _is_primitive(value: object) -> bool:
    return value is None or isinstance(value, (bool, int, float, str))


def _bare(text: str) -> bool:
    """Whether a string reads back as itself without quotes."""
    if not text or text[0] in " \t-#" or text[-1] in " \t":
        return False
    if text in ("null", "true", "false") or _numeric_like(text):
        return False
    if any(char in text for char in _QUOTE_CHARS):
        return False
    return text.isprintable() or not any(char < " " for char in text)


def _numeric_like(text: str) -> bool:
    """`[+-]?digits(.digits)?(e[+-]?digits)?`, case-insensitive, ASCII digits only."""
    if not text.isascii():
        return False
    body = text[1:] if text[0] in "+-" else text
    mantissa, has_exponent, exponent = body.lower().partition("e")
    whole, has_dot, fraction = mantissa.partition(".")
    if not _digits(whole) or (has_dot and not _digits(fraction)):
        return False
    if not has_exponent:
        return True
    return _digits(exponent[1:] if exponent[:1] in ("+", "-") else exponent)


def _digits(text: str) -> bool:
    return text.isdigit() and text.isascii()


def _identifier(name: str) -> bool:
    """`[A-Za-z_][A-Za-z0-9_.]*`"""
    return (bool(name) and name.isascii() and (name[0].isalpha() or name[0] == "_")
            and all(char.isalnum() or char in "_." for char in name))


def _object(obj: dict, lines: list[str], depth: int, name: str | None) -> None:
    """An object's fields at `depth`, or a keyed table when its values are uniform objects."""
    fields = _fields_of(list(obj.values())) if len(obj) >= 2 else None
    if fields is not None:
        lines.append(INDENT * depth + _header(name, len(obj), fields, keyed=True))
        pad = INDENT * (depth + 1)
        lines.extend(f"{pad}{key(str(k))}: {_row(v, fields)}" for k, v in obj.items())
        return
    if name is not None:
        lines.append(f"{INDENT * depth}{key(name)}:")
        depth += 1
    for field, value in obj.items():
        _field(str(field), value, lines, depth)


def _field(name: str, value: object, lines: list[str], depth: int) -> None:
    if _is_primitive(value):
        lines.append(f"{INDENT * depth}{key(name)}: {primitive(value)}")
    elif isinstance(value, list):
        if value:
            _array(value, lines, depth, name, tabular=True)
        else:
            lines.append(f"{INDENT * depth}{key(name)}: []")
    elif isinstance(value, dict):
        _object(value, lines, depth, name)
    else:
        lines.append(f"{INDENT * depth}{key(name)}: {primitive(str(value))}")


def _array(items: list, lines: list[str], depth: int, name: str | None, tabular: bool) -> None:
    """A non-empty array: inline primitives, a table of uniform objects, or list items."""
    pad = INDENT * depth
    if all(_is_primitive(item) for item in items):
        cells = ",".join(primitive(item) for item in items)
        lines.append(f"{pad}{_header(name, len(items))} {cells}")
        return
    fields = _fields_of(items) if tabular else None
    if fields is not None:
        lines.append(pad + _header(name, len(items), fields))
        lines.extend(f"{pad}{INDENT}{_row(item, fields)}" for item in items)
        return
    lines.append(pad + _header(name, len(items)))
    for item in items:
        _list_item(item, lines, depth + 1)


def _list_item(item: object, lines: list[str], depth: int) -> None:
    """One `- ` item. An object carries its first field on the hyphen line, written as if it
    stood one level deeper; an array carries its header there."""
    pad = INDENT * depth
    if _is_primitive(item) or not isinstance(item, (list, dict)):
        lines.append(f"{pad}- {primitive(item)}")
    elif isinstance(item, list):
        if not item:
            lines.append(f"{pad}- [0]:")
            return
        first = len(lines)
        _array(item, lines, depth, None, tabular=False)
        lines[first] = f"{pad}- {lines[first][len(pad):]}"
    elif not item:
        lines.append(f"{pad}-")
    else:
        entries = iter(item.items())
        name, value = next(entries)
        first = len(lines)
        _field(str(name), value, lines, depth + 1)
        lines[first] = f"{pad}- {lines[first][len(pad) + len(INDENT):]}"
        for name, value in entries:
            _field(str(name), value, lines, depth + 1)


Fields = list  # [(name, None for a leaf or the nested Fields)]


def _fields_of(values: list) -> Fields | None:
    """The columns when every value is a non-empty object with the same keys and each column
    is all primitives or, recursively, uniform objects; else None."""
    first = values[0] if values else None
    if not isinstance(first, dict) or not first:
        return None
    names = set(first)
    if any(not isinstance(v, dict) or len(v) != len(names) or set(v) != names for v in values):
        return None
    fields: Fields = []
    for name in first:
        column = [value[name] for value in values]
        if all(_is_primitive(cell) for cell in column):
            fields.append((name, None))
            continue
        nested = _fields_of(column)
        if nested is None:
            return None
        fields.append((name, nested))
    return fields


def _row(obj: dict, fields: Fields) -> str:
    return ",".join(primitive(cell) for cell in _leaves(obj, fields))


def _leaves(obj: dict, fields: Fields):
    for name, nested in fields:
        if nested is None:
            yield obj[name]
        else:
            yield from _leaves(obj[name], nested)


def _header(name: str | None, length: int, fields: Fields | None = None,
            keyed: bool = False) -> str:
    head = f"{key(name) if name is not None else ''}[{length}{':' if keyed else ''}]"
    if fields is not None:
        head += _field_list(fields)
    return head + ":"


def _field_list(fields: Fields) -> str:
    return "{" + ",".join(key(str(name)) + (_field_list(nested) if nested else "")
                          for name, nested in fields) + "}"
