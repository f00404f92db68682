"""The one output boundary: every byte axi writes to stdout passes through `emit`.

Commands return plain data (dicts, lists, strings, numbers). This module encodes it as TOON
(`axi.toon`) or, with `--format json`, as compact JSON, and writes it with one trailing newline.
Diagnostics go to stderr through `warn`. Two streams also pass through here: NDJSON events
(`event`) and, while a terminal is attached to a held session, its screen (`terminal`).
"""

from __future__ import annotations

import sys

from axi.shown import Shown, Table
from axi.text import shown

FORMATS = ("toon", "json")


def encode(data: object, fmt: str = "toon") -> str:
    """TOON gets the short forms and compact tables; JSON the exact values (`axi.shown`)."""
    if fmt == "json":
        from axi.jsontext import dumps

        return dumps(_plain(_exact(data)), ensure_ascii=False, separators=(",", ":"))
    from axi import toon

    return toon.encode(_plain(_compact(data)))


def _exact(value: object) -> object:
    """JSON's view of two-faced values: numbers for counts, raw numbers beside short forms."""
    if isinstance(value, dict):
        out: dict = {}
        for key, item in value.items():
            if isinstance(item, Shown):
                for name, raw in item.json_items(str(key)):
                    # a sibling never replaces a key of the data itself (usage has `total`)
                    clash = name != key and name in value
                    out[f"{key}_{name}" if clash else name] = raw
            else:
                out[key] = _exact(item)
        return out
    if isinstance(value, (list, tuple)):
        return [_exact(v) for v in value]
    return value.raw if isinstance(value, Shown) and value.beside is None else value


def _compact(value: object) -> object:
    """TOON's view: every `Table` with a column the same in all rows states it once."""
    if not isinstance(value, dict):
        return value
    out: dict = {}
    for key, item in value.items():
        if isinstance(item, Table) and len(item) > 1:
            same, under, rows = compact_table(item)
            if same:
                out["same" if "same" not in value else f"{key}_same"] = same
            if under:
                out["under" if "under" not in value else f"{key}_under"] = under
            out[key] = rows
        else:
            out[key] = _compact(item)
    return out


def emit(data: object, fmt: str = "toon", stream=None) -> None:
    _write(stream if stream is not None else sys.stdout, encode(data, fmt) + "\n")


def write_text(text: str) -> None:
    """Text already encoded by `encode` (a replayed dashboard), written as `emit` would."""
    _write(sys.stdout, text)


def event(data: dict) -> None:
    """One NDJSON line of a stream (`sessions read --follow`), flushed at once."""
    from axi.jsontext import dumps

    _write(sys.stdout, dumps(_plain(data), ensure_ascii=False, separators=(",", ":")) + "\n")


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
    """Turn values an encoder would coerce silently (Enum -> null, bytes) into explicit ones,
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


def compact_table(table: Table) -> tuple[dict, str | None, list[dict]]:
    """(columns every row shares, the folder every row is under, the rows without them)."""
    rows = list(table)
    same = {}
    for column in table.liftable:
        values = {str(row.get(column)) for row in rows}
        if column in rows[0] and rows[0][column] is not None and len(values) == 1:
            same[column] = rows[0][column]
    rows = [{k: v for k, v in row.items() if k not in same} for row in rows]
    key = table.folder_key
    under = _common_folder([row.get(key) for row in rows]) if key and key in rows[0] else None
    if under:
        rows = [{**row, key: _below(row[key], under)} for row in rows]
    return same, under, rows


def _common_folder(folders: list) -> str | None:
    import os

    if not all(isinstance(f, str) and f for f in folders):
        return None
    try:
        common = os.path.commonpath(folders)
    except ValueError:  # absolute and ~-relative mixed
        return None
    return common if common not in ("", "/", "~") else None


def _below(folder: str, under: str) -> str:
    return "." if folder == under else folder[len(under):].lstrip("/")
