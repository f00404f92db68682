"""Agent identities: one origin (host, user, real folder, optional tag) -> one named identity.

`init` binds a name to the caller's origin, pending; an operator approves or revokes it. A
tokenless pointer file in the folder names the identity. It grants nothing by itself: the caller
must also stand inside the identity's folder on the same host as the same user, so a copied
pointer file or a moved folder needs `init --move` and a fresh approval.

Resolution order: `--as NAME`, then `AXI_AGENT`, then the pointer file (searched upward from the
current folder). There is never a fallback to some other identity. Whatever names it, the
identity's tag must be the shell's AXI_AGENT_TAG: agents sharing a folder never act for each
other.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import sys
from collections import namedtuple

from axi.errors import AxiError, NotFound, UsageFault
from axi.mailbox.db import write
from axi.paths import cwd, tilde
from axi.views import clock

NAME_RE = re.compile(r"[a-z][a-z0-9_-]{0,31}")
POINTER_DIR = ".axi"
CODE_LEN = 6
TAG_ENV = "AXI_AGENT_TAG"
NAME_ENV = "AXI_AGENT"
RECENT = 120.0  # seconds of activity that count as "listening"


# Plain namedtuples: `dataclasses` costs ~10 ms of every mail command's start-up, `typing` 2.
class Origin(namedtuple("Origin", "host user folder tag", defaults=("",))):
    __slots__ = ()

    def fingerprint(self) -> str:
        import hashlib

        canonical = json.dumps([self.host, self.user, self.folder, self.tag],
                               separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()


def current_origin(folder: str, tag: str = "") -> Origin:
    return Origin(_host(), _user(), os.path.realpath(folder), tag)


def _host() -> str:
    """The host name, as `socket.gethostname()` gives it, without importing socket (about
    3 ms of every mail command and of the dashboard)."""
    if hasattr(os, "uname"):
        return os.uname().nodename
    import socket

    return socket.gethostname()


def _user() -> str:
    import pwd

    uid = os.getuid()
    try:
        return f"{pwd.getpwuid(uid).pw_name}:{uid}"
    except KeyError:
        return str(uid)


def confirm_code(row: sqlite3.Row) -> str:
    return row["origin"][:CODE_LEN]


def check_name(raw: str, what: str = "agent name") -> str:
    name = raw.strip().lstrip("@").lower()
    if not NAME_RE.fullmatch(name):
        raise UsageFault(f"invalid {what} {raw!r}",
                         help=["names are 1-32 characters: a letter, then letters, digits, "
                               "- or _ (example: frontend_bot)"])
    return name


def env_tag() -> str:
    tag = os.environ.get(TAG_ENV, "")
    return check_name(tag, f"{TAG_ENV} tag") if tag else ""


# ---- pointer files -------------------------------------------------------------------------

def pointer_path(folder: str, tag: str = "") -> str:
    filename = f"agent.{tag}.toml" if tag else "agent.toml"
    return os.path.join(folder, POINTER_DIR, filename)


def find_pointer(start: str, tag: str = "") -> tuple[str, str] | None:
    """(folder, name) of the nearest pointer file at or above `start`."""
    folder = os.path.realpath(start)
    while True:
        path = pointer_path(folder, tag)
        if os.path.isfile(path):
            return folder, read_pointer(path)
        parent = os.path.dirname(folder)
        if parent == folder:
            return None
        folder = parent


def read_pointer(path: str) -> str:
    try:
        with open(path, "rb") as fh:
            name = _pointer_name(fh.read().decode("utf-8"))
    except (OSError, ValueError) as exc:  # invalid UTF-8 and TOML errors are ValueErrors
        raise AxiError(f"the agent pointer file {tilde(path)} is unreadable: {exc}",
                       code="POINTER_INVALID", help=["fix or delete it, then run "
                                                     "`axi agents init <name>` here"]) from None
    if not isinstance(name, str) or not NAME_RE.fullmatch(name):
        raise AxiError(f"the agent pointer file {tilde(path)} names no valid agent",
                       code="POINTER_INVALID", help=["run `axi agents init <name>` here"])
    return name


def _pointer_name(text: str) -> object:
    """The `name` a pointer file gives. The file axi writes (comments, `name = "…"`, `tag =
    "…"`) is read line by line; anything else goes to tomllib, whose import costs every mail
    command ~10 ms."""
    found: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, equals, value = (part.strip() for part in line.partition("="))
        if (equals and key in ("name", "tag") and key not in found and len(value) >= 2
                and value[0] == value[-1] == '"' and not any(c in value[1:-1] for c in '"\\')):
            found[key] = value[1:-1]
            continue
        import tomllib

        return tomllib.loads(text).get("name")
    return found.get("name")


def write_pointer(folder: str, name: str, tag: str = "") -> str:
    path = pointer_path(folder, tag)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    text = ("# axi agent pointer: names this folder's agent identity. It holds no secret;\n"
            "# the identity also needs this folder's fingerprint (host, user, real path).\n"
            f'name = "{name}"\n' + (f'tag = "{tag}"\n' if tag else ""))
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(tmp, path)
    return path


# ---- init, approve, revoke -----------------------------------------------------------------

def by_name(conn: sqlite3.Connection, name: str) -> sqlite3.Row | None:
    return conn.execute("SELECT * FROM agents WHERE name = ?", (name,)).fetchone()


def require(conn: sqlite3.Connection, name: str) -> sqlite3.Row:
    row = by_name(conn, name)
    if row is None:
        raise NotFound(f"no agent named {name!r}", help=["`axi agents` lists every agent"])
    return row


def init(conn: sqlite3.Connection, name: str, folder: str, tag: str = "",
         move: bool = False) -> tuple[sqlite3.Row, bool]:
    """Bind `name` to this origin, pending approval. Returns (row, already)."""
    origin = current_origin(folder, tag)
    fingerprint = origin.fingerprint()
    with write(conn):
        bound = conn.execute("SELECT * FROM agents WHERE origin = ?", (fingerprint,)).fetchone()
        if bound is not None and bound["name"] == name:
            already = True
        elif bound is not None:
            raise AxiError(f"this folder is already agent {bound['name']!r}",
                           code="ORIGIN_BOUND", help=[
                               "one folder, one agent: use that name (`axi whoami`)",
                               f"a second agent here needs a tag: `axi agents init {name} "
                               "--tag <tag>`, then set AXI_AGENT_TAG=<tag> in its shell"])
        else:
            already = False
            _bind(conn, name, origin, move)
    write_pointer(origin.folder, name, tag)
    return require(conn, name), already


def _bind(conn: sqlite3.Connection, name: str, origin: Origin, move: bool) -> None:
    existing = by_name(conn, name)
    now = clock()
    if existing is None:
        conn.execute("INSERT INTO agents (name, state, origin, host, user, folder, tag, created) "
                     "VALUES (?, 'pending', ?, ?, ?, ?, ?, ?)",
                     (name, origin.fingerprint(), origin.host, origin.user, origin.folder,
                      origin.tag, now))
        return
    if not move:
        raise AxiError(f"agent {name!r} is bound to {tilde(existing['folder'])}",
                       code="NAME_TAKEN", help=[
                           "pick another name, or move this one here (it needs approval "
                           f"again): `axi agents init {name} --move`"])
    conn.execute("UPDATE agents SET state = 'pending', origin = ?, host = ?, user = ?, "
                 "folder = ?, tag = ?, approved = NULL WHERE id = ?",
                 (origin.fingerprint(), origin.host, origin.user, origin.folder, origin.tag,
                  existing["id"]))


def approve(conn: sqlite3.Connection, name: str, code: str) -> tuple[sqlite3.Row, bool]:
    with write(conn):
        row = require(conn, name)
        if code.strip().lower() != confirm_code(row):
            raise AxiError(f"the confirmation code does not match the origin of agent {name}",
                           code="CONFIRM_MISMATCH", help=[
                               "`axi agents` shows each agent's folder and code; check the "
                               "folder is the one you mean, then type its code"])
        if row["state"] == "approved":
            return row, True
        conn.execute("UPDATE agents SET state = 'approved', approved = ?, revoked = NULL "
                     "WHERE id = ?", (clock(), row["id"]))
    return require(conn, name), False


def revoke(conn: sqlite3.Connection, name: str) -> tuple[sqlite3.Row, bool]:
    with write(conn):
        row = require(conn, name)
        if row["state"] == "revoked":
            return row, True
        conn.execute("UPDATE agents SET state = 'revoked', revoked = ? WHERE id = ?",
                     (clock(), row["id"]))
    return require(conn, name), False


# ---- resolution ----------------------------------------------------------------------------

# the identity's row, and where its name came from: "--as", "AXI_AGENT" or a pointer file
Lookup = namedtuple("Lookup", "row source")


def lookup(conn: sqlite3.Connection, as_name: str | None = None,
           start: str | None = None) -> Lookup:
    """Find the caller's identity and check its origin; its state is for the caller to judge."""
    here = start or cwd()
    tag = env_tag()
    if as_name:
        name, source, pointer_folder = check_name(as_name), "--as", None
    elif os.environ.get(NAME_ENV):
        name, source, pointer_folder = check_name(os.environ[NAME_ENV], NAME_ENV), NAME_ENV, None
    else:
        found = find_pointer(here, tag)
        if found is None:
            raise AxiError(f"no agent identity for {tilde(here)}", code="NO_IDENTITY", help=[
                "`axi agents init <name>` creates one for this folder (an operator approves it)",
                "or name one: `--as <name>` or AXI_AGENT=<name>"])
        pointer_folder, name = found
        source = tilde(pointer_path(pointer_folder, tag))
    row = conn.execute("SELECT * FROM agents WHERE name = ?", (name,)).fetchone()
    if row is None:
        raise NotFound(f"no agent named {name!r} (from {source})", help=[
            f"`axi agents init {name}` creates it here", "`axi agents` lists every agent"])
    _check_origin(row, here, pointer_folder, source)
    _check_tag(row, tag, source)
    return Lookup(row, source)


def _check_tag(row: sqlite3.Row, tag: str, source: str) -> None:
    """Agents of one folder do not act for each other: `--as` and AXI_AGENT name only an agent
    whose tag is this shell's AXI_AGENT_TAG (none for the folder's untagged agent)."""
    if row["tag"] == tag:
        return
    theirs = f"tag {row['tag']!r}" if row["tag"] else "no tag"
    mine = f"{TAG_ENV}={tag}" if tag else f"no {TAG_ENV}"
    raise AxiError(f"{source} names agent {row['name']!r} ({theirs}), but this shell has "
                   f"{mine}: an agent acts only as itself", code="TAG_MISMATCH", help=[
                       "drop --as and AXI_AGENT: `axi whoami` shows this shell's own agent",
                       f"{row['name']}'s own shell sets "
                       + (f"{TAG_ENV}={row['tag']}" if row["tag"] else f"no {TAG_ENV}")])


def _check_origin(row: sqlite3.Row, here: str, pointer_folder: str | None, source: str) -> None:
    folder = row["folder"]
    real_here = os.path.realpath(here)
    origin = Origin(row["host"], row["user"], folder, row["tag"])
    inside = real_here == folder or real_here.startswith(folder.rstrip("/") + "/")
    same_machine = (row["host"], row["user"]) == (_host(), _user())
    intact = origin.fingerprint() == row["origin"]
    if pointer_folder is not None and pointer_folder != folder:
        raise AxiError(f"{source} names agent {row['name']!r}, which is bound to "
                       f"{tilde(folder)}", code="ORIGIN_CHANGED", help=[
                           f"if this folder is now that agent: `axi agents init {row['name']} "
                           "--move` here, then an operator approves it again"])
    if not (inside and same_machine and intact):
        raise AxiError(f"agent {row['name']!r} belongs to {tilde(folder)} on {row['host']}; "
                       f"this shell is in {tilde(real_here)}", code="ORIGIN_MISMATCH", help=[
                           f"run from {tilde(folder)}, or use this folder's own agent "
                           "(`axi whoami` without --as)"])


def resolve(conn: sqlite3.Connection, as_name: str | None = None) -> sqlite3.Row:
    """The caller's approved identity, or a clear error naming the command that fixes it."""
    found = lookup(conn, as_name)
    row = found.row
    if row["state"] == "pending":
        raise AxiError(f"agent {row['name']!r} is pending approval", code="PENDING",
                       help=[approve_hint(row)], agent=row["name"])
    if row["state"] == "revoked":
        raise AxiError(f"agent {row['name']!r} was revoked", code="REVOKED",
                       help=[approve_hint(row)], agent=row["name"])
    return row


def approve_hint(row: sqlite3.Row) -> str:
    """How a person approves `row`; never the code itself, which only a terminal shows."""
    return (f"a person runs `axi agents` in their terminal to see its code, then "
            f"`axi agents approve {row['name']} --confirm <code>` there")


def touch(conn: sqlite3.Connection, agent_id: int, listening_for: float | None = None) -> None:
    """Record activity; `listening_for` seconds mark the agent as reachable right now.

    A mark of activity is not worth an fsync (it cost `axi inbox` half its time): it is
    committed with `synchronous = NORMAL`, which in WAL mode may lose it to a power cut but
    never corrupts anything; the next durable commit carries it to disk anyway."""
    now = clock()
    until = now + listening_for if listening_for else None
    conn.execute("PRAGMA synchronous = NORMAL")
    try:
        with write(conn):
            conn.execute("UPDATE agents SET last_seen = ?, listening_until = coalesce(?, "
                         "listening_until) WHERE id = ?", (now, until, agent_id))
    finally:
        conn.execute("PRAGMA synchronous = FULL")


def is_listening(row: sqlite3.Row, now: float | None = None) -> bool:
    now = clock() if now is None else now
    return (row["listening_until"] or 0) >= now or (row["last_seen"] or 0) >= now - RECENT


def codes_shown() -> bool:
    """Confirmation codes go only to a terminal (`axi agents`): never to a pipe, an error or
    the dashboard, where the agent whose approval they confirm would read them."""
    try:
        return sys.stdout.isatty()
    except (AttributeError, ValueError):
        return False


def operator_terminal() -> bool:
    """True when a person could be typing: stdin is a terminal."""
    try:
        return os.isatty(0)
    except OSError:
        return False
