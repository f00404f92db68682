"""Terminal output as text: escape sequences and carriage-return overdraws removed."""

from __future__ import annotations

import re

_ESCAPES = re.compile(rb"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def plain(data: bytes) -> str:
    text = _ESCAPES.sub(b"", data).decode("utf-8", "replace")
    lines = []
    for line in text.replace("\r\n", "\n").split("\n"):
        lines.append(_CONTROL.sub("", line.rsplit("\r", 1)[-1]))
    return "\n".join(lines).strip()
