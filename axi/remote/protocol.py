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
# What a remote answers, an explicit allow-list: `axi <command> [verb]` -> what it may carry.
# Read-only catalog calls, the control verbs on sessions this host's axi launched (one request
# each; `new`, `continue` and `restart` launch there, as the person could over the transport
# themselves), `reply` to a session's question, `resume` only as `--print` (a resume runs
# over the interactive transport, never here) and `read --follow` only as a stream. Anything
# else is NOT_SERVED.
SERVED = {
    ("sessions", None): "call", ("sessions", "view"): "call", ("sessions", "read"): "call",
    ("sessions", "search"): "call", ("sessions", "resume"): "print",
    ("sessions", "type"): "call", ("sessions", "wait"): "call", ("sessions", "result"): "call",
    ("sessions", "kill"): "call", ("sessions", "tag"): "call",
    ("sessions", "new"): "call", ("sessions", "continue"): "call",
    ("sessions", "restart"): "call", ("reply", None): "call",
    ("usage", None): "call", ("runs", None): "call",
}


def encode_request(argv: list[str], stream: bool = False, relay: dict | None = None) -> str:
    """`relay`: a mail-relay call (`axi.remote.mailsync`) instead of a command; its payload
    travels on stdin, not in this word."""
    asked: dict = {"protocol": PROTOCOL, "argv": list(argv)}
    if stream:
        asked["stream"] = True
    if relay is not None:
        asked["relay"] = relay
    raw = json.dumps(asked, separators=(",", ":"))
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


# Options of the served commands that take a value (tests/remote check them against click):
# a word after one is its value, never a verb.
TAKES_VALUE = {
    "sessions": ("--dir", "--harness", "--status", "--fields", "--limit", "--host", "--tag",
                 "--group-by"),
    "usage": ("--by", "--days", "--dir", "--harness", "--limit", "--host"),
    "runs": ("--outcome", "--fields", "--limit", "--host"),
    "reply": (),
}


def verb_of(argv: list[str]) -> str | None:
    """The verb of `axi <command> ...` (a served command): the first word that is neither an
    option nor an option's value, as click reads it (`sessions --all kill x` is `kill`)."""
    values = TAKES_VALUE[argv[0]]
    i = 1
    while i < len(argv):
        word = argv[i]
        if word == "--":
            return argv[i + 1] if i + 1 < len(argv) else None
        if not word.startswith("-") or word == "-":
            return word
        i += 2 if word in values else 1
    return None


def served(argv: list[str], stream: bool = False) -> bool:
    """Whether this protocol serves the call (SERVED). `sessions read --follow` is served as
    a stream only: NDJSON events after the envelope line, then an `end` line."""
    if not argv:
        return not stream  # the handshake: protocol, version, machine, session count
    if argv[0] not in TAKES_VALUE:
        return False
    verb = verb_of(argv) if argv[0] != "reply" else None  # reply has no verb: ID ANSWER
    how = SERVED.get((argv[0], verb))
    follow = "--follow" in argv
    if stream or follow:
        return stream and follow and (argv[0], verb) == ("sessions", "read")
    if how == "print":
        return "--print" in argv
    return how == "call"


def parse_answer(stdout: bytes) -> dict | None:
    """The answer object, or None when stdout is not one JSON object."""
    try:
        data = json.loads(stdout.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    return data if isinstance(data, dict) else None
