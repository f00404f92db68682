"""Safe edits of files the user owns: parse first, never write what could not be parsed,
and replace atomically (temporary file in the same folder, fsync, rename, mode kept)."""

from __future__ import annotations

import contextlib
import json
import os

from axi import paths


class Unreadable(Exception):
    """A file exists but cannot be parsed; it is left exactly as it is."""

    def __init__(self, path: str, reason: str):
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


def target(path: str) -> str:
    """Where a write to `path` lands: through a symlink (dotfile managers), never over it."""
    return os.path.realpath(path) if os.path.islink(path) else path


def read_text(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8") as fh:
            return fh.read()
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise Unreadable(path, str(exc)) from None


def read_json(path: str) -> tuple[dict | None, str | None]:
    """(document, original text); (None, None) when the file does not exist."""
    text = read_text(path)
    if text is None:
        return None, None
    if not text.strip():
        return {}, text
    try:
        doc = json.loads(text)
    except ValueError as exc:
        raise Unreadable(path, f"not valid JSON ({exc})") from None
    if not isinstance(doc, dict):
        raise Unreadable(path, "not a JSON object")
    return doc, text


def dump_json(doc: dict, original: str | None) -> str:
    """JSON in the file's own indentation (2 spaces for a new file), one trailing newline."""
    return json.dumps(doc, indent=_indent(original), ensure_ascii=False) + "\n"


def _indent(text: str | None) -> int | str:
    for line in (text or "").splitlines()[1:]:
        stripped = line.lstrip(" \t")
        if stripped and stripped != line:
            lead = line[: len(line) - len(stripped)]
            return "\t" if lead.startswith("\t") else len(lead)
    return 2


def read_toml(path: str):
    """(tomlkit document, original text); an empty document when the file does not exist."""
    import tomlkit
    from tomlkit.exceptions import TOMLKitError

    text = read_text(path)
    try:
        return tomlkit.parse(text or ""), text
    except TOMLKitError as exc:
        raise Unreadable(path, f"not valid TOML ({exc})") from None


def write_atomic(path: str, text: str, mode: int = 0o644) -> None:
    """Replace `path` with `text` in one rename; an existing file keeps its permissions."""
    paths.write_atomic(target(path), text, mode)


def remove(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)
