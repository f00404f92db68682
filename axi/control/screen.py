"""Terminal output as text: escape sequences and carriage-return overdraws removed.

What real harnesses write through a pty (Claude Code 2.1.197, Codex 0.169.0 seen here): lines
end `\\r\\r\\n` (the program's `\\r\\n`, with the pty's own `\\r` added); words are placed with
cursor moves instead of spaces (`ESC[9G`, or `ESC[17;6H` on the same row); a redrawn line
ends with `\\r` and a cursor move down (`ESC[2B`); exits reset the charset and cursor
(`ESC(B`, `ESC7`, `ESC8`). Moves along a row become a space and moves to another row a line
break, so the words and lines a human saw survive; this is a transcript of the stream, not a
screen emulator.
"""

from __future__ import annotations

import re

_MOVES = re.compile(
    rb"\x1b\[(\d*)(?:;\d*)?[Hf]"  # cursor position (row;col)
    rb"|\x1b\[\d*[ABEFd]"  # up, down, next/previous line, row: another line
    rb"|\x1b\[\d*[GC`]"  # column, forward: a gap on the same line
    rb"|\n"
)
_ESCAPES = re.compile(
    rb"\x1b\[[0-?]*[ -/]*[@-~]"  # the rest of CSI: colours, erases, modes
    rb"|\x1b[\]PX^_][^\x07\x1b]*(?:\x07|\x1b\\)"  # OSC, DCS, SOS, PM, APC strings
    rb"|\x1b[ -/]+[0-~]"  # charset designations such as ESC ( B
    rb"|\x1b[0-~]"  # the two-byte rest: ESC 7, ESC 8, ESC =, ESC M ...
)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_NEWLINE = re.compile(r"\r+\n")
_BLANKS = re.compile(r"\n{3,}")


def _layout(data: bytes) -> bytes:
    row: list[bytes | None] = [None]  # the row of the last absolute move, when still on it

    def move(m: re.Match) -> bytes:
        token = m.group(0)
        if token == b"\n":
            row[0] = None
            return token
        final = token[-1:]
        if final in b"Hf":
            target = m.group(1) or b"1"
            same = row[0] == target
            row[0] = target
            return b" " if same else b"\n"
        if final in b"GC`":
            return b" "
        row[0] = None
        return b"\n"

    return _MOVES.sub(move, data)


def plain(data: bytes) -> str:
    text = _ESCAPES.sub(b"", _layout(data)).decode("utf-8", "replace")
    lines = []
    for line in _NEWLINE.sub("\n", text).split("\n"):
        lines.append(_CONTROL.sub("", line.rsplit("\r", 1)[-1]).rstrip())
    return _BLANKS.sub("\n\n", "\n".join(lines)).strip()
