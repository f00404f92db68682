"""The wire between two axis: one request word, one JSON answer.

The local side runs `<transport> <axi> hosts serve <request> --format json`. The request is
base64url JSON (`{"protocol": 1, "argv": [...]}`), one word of shell-safe characters, so it
arrives intact whether the transport hands argv on as is (`docker exec -i`) or joins it for a
remote shell (`ssh`). The answer is one JSON object whose first field is the remote's protocol
version; when the versions differ it holds nothing else the other side must understand.
"""

from __future__ import annotations

import base64
import json

PROTOCOL = 1
UPGRADE = "pipx upgrade axi"  # what the README's install line leads to
# What a remote answers: read-only catalog calls. Verbs that change state join in later
# protocol versions, each with its own tests.
SERVED_VERBS = (None, "view", "read", "search")


def encode_request(argv: list[str]) -> str:
    raw = json.dumps({"protocol": PROTOCOL, "argv": list(argv)}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode("utf-8")).decode("ascii").rstrip("=")


def decode_request(word: str) -> dict:
    """The request, or ValueError naming what is wrong with it."""
    try:
        padded = word + "=" * (-len(word) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, UnicodeError) as exc:
        raise ValueError(f"not a request: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("protocol"), int):
        raise ValueError("not a request: no protocol version")
    argv = data.get("argv", [])
    if not isinstance(argv, list) or not all(isinstance(a, str) for a in argv):
        raise ValueError("not a request: argv must be a list of strings")
    return data


def served(argv: list[str]) -> bool:
    """Whether this protocol serves the call: `axi sessions [list|view|read|search]` without
    `--follow` (a stream, which one JSON answer cannot carry)."""
    if not argv:
        return True  # the handshake: protocol, version, machine, session count
    if argv[0] != "sessions" or "--follow" in argv:
        return False
    verb = argv[1] if len(argv) > 1 and not argv[1].startswith("-") else None
    return verb in SERVED_VERBS


def parse_answer(stdout: bytes) -> dict | None:
    """The answer object, or None when stdout is not one JSON object."""
    try:
        data = json.loads(stdout.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    return data if isinstance(data, dict) else None
