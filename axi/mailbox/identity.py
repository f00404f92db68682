"""Agent identities: one origin (host, user, real folder, optional tag) -> one named identity.

`init` binds a name to the caller's origin, pending; an operator approves or revokes it. A
tokenless pointer file in the folder names the identity. It grants nothing by itself: the caller
must also stand inside the identity's folder on the same host as the same user, so a copied
pointer file or a moved folder needs `init --move` and a fresh approval.

Resolution order: `--as NAME`, then `AXI_AGENT`, then the pointer file (searched upward from the
current folder). There is never a fallback to some other identity. Whatever names it, the
identity's tag must be the shell's AXI_AGENT_TAG: agents sharing a folder never act for each
other.

Identities with no folder (`kind`, mailbox schema 5): a *service* sender (a script; pending
until a person approves it, then authenticated by a token file, `tokens.py`; it sends and never
reads), the *person* (`[person] name`, default the login name; created on first use, approved
implicitly, usable only from a terminal with no agent harness variables), and *builtin* ones
(`echo`, which only `axi listen --echo` acts as). The person and echo are created the first
time they are used or mailed.

Every change (pending, moved, approved, revoked, created approved) is appended to the
mailbox's history (`history.py`) in the transaction that makes it.
"""

from __future__ import annotations

import os
import sys
from collections import namedtuple

from axi.errors import AxiError, NotFound, UsageFault
from axi.jsontext import dumps
from axi.mailbox import history, tokens
from axi.mailbox.db import write
from axi.mailbox.names import (  # noqa: F401 - part of identity's API
    POINTER_DIR,
    check_name,
    find_pointer,
    is_name,
    is_person,
    login_name,
    person_name,
    pointer_path,
    read_pointer,
    write_pointer,
)
from axi.paths import cwd, tilde
from axi.sqlite import sqlite3
from axi.terminal import person_at_terminal
from axi.text import sha256_hex
from axi.views import clock

CODE_LEN = 6
TAG_ENV = "AXI_AGENT_TAG"
NAME_ENV = "AXI_AGENT"
RECENT = 120.0  # seconds of activity that count as "listening"
KINDS = ("agent", "service", "person", "builtin")
BUILTINS = ("echo",)
# Plain namedtuples: `dataclasses` costs ~10 ms of every mail command's start-up, `typing` 2.
class Origin(namedtuple("Origin", "host user folder tag", defaults=("",))):
    __slots__ = ()

    def fingerprint(self) -> str:
        canonical = dumps([self.host, self.user, self.folder, self.tag],
                          separators=(",", ":"))
        return sha256_hex(canonical.encode())


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


def env_tag() -> str:
    tag = os.environ.get(TAG_ENV, "")
    return check_name(tag, f"{TAG_ENV} tag") if tag else ""


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
            if name in BUILTINS and by_name(conn, name) is None:
                raise _reserved(name)
            _bind(conn, name, origin, move)
    write_pointer(origin.folder, name, tag)
    return require(conn, name), already


def _bind(conn: sqlite3.Connection, name: str, origin: Origin, move: bool) -> None:
    existing = by_name(conn, name)
    now = clock()
    if existing is None:
        new = conn.execute("INSERT INTO agents (name, state, origin, host, \"user\", folder, tag, "
                           "created) VALUES (?, 'pending', ?, ?, ?, ?, ?, ?)",
                           (name, origin.fingerprint(), origin.host, origin.user, origin.folder,
                            origin.tag, now)).lastrowid
        history.agent_changed(conn, new, "pending", now, "pending", origin.folder)
        return
    if kind_of(existing) != "agent":
        raise AxiError(f"{name!r} is {describe(existing)}, with no folder", code="NAME_TAKEN",
                       help=["pick another name: `axi agents` lists every identity"])
    if not move:
        raise AxiError(f"agent {name!r} is bound to {tilde(existing['folder'])}",
                       code="NAME_TAKEN", help=[
                           "pick another name, or move this one here (it needs approval "
                           f"again): `axi agents init {name} --move`"])
    conn.execute("UPDATE agents SET state = 'pending', origin = ?, host = ?, \"user\" = ?, "
                 "folder = ?, tag = ?, approved = NULL WHERE id = ?",
                 (origin.fingerprint(), origin.host, origin.user, origin.folder, origin.tag,
                  existing["id"]))
    history.agent_changed(conn, existing["id"], "moved", now, "pending", origin.folder)


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
        now = clock()
        conn.execute("UPDATE agents SET state = 'approved', approved = ?, revoked = NULL "
                     "WHERE id = ?", (now, row["id"]))
        history.agent_changed(conn, row["id"], "approved", now, "approved")
        if kind_of(row) == "service":  # a new token; written before the commit, or nothing is
            token = tokens.mint()
            conn.execute("UPDATE agents SET token_hash = ? WHERE id = ?",
                         (tokens.digest(token), row["id"]))
            tokens.write(name, token)
    return require(conn, name), False


def revoke(conn: sqlite3.Connection, name: str) -> tuple[sqlite3.Row, bool]:
    with write(conn):
        row = require(conn, name)
        if row["state"] == "revoked":
            return row, True
        now = clock()
        conn.execute("UPDATE agents SET state = 'revoked', revoked = ? WHERE id = ?",
                     (now, row["id"]))
        history.agent_changed(conn, row["id"], "revoked", now, "revoked")
        if kind_of(row) == "service":
            conn.execute("UPDATE agents SET token_hash = NULL WHERE id = ?", (row["id"],))
    if kind_of(row) == "service":
        tokens.remove(name)
    return require(conn, name), False


# ---- resolution ----------------------------------------------------------------------------

# the identity's row, and where its name came from: "--as", "AXI_AGENT" or a pointer file
Lookup = namedtuple("Lookup", "row source")


def lookup(conn: sqlite3.Connection, as_name: str | None = None,
           start: str | None = None, token_file: str | None = None,
           reading: bool = True) -> Lookup:
    """Find the caller's identity and check its origin; its state is for the caller to judge.

    An agent is checked against this folder, the person against this terminal, a service
    sender against its token file (and refused outright when the command would `reading`
    mail); a built-in identity is never the caller's."""
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
    if row is None and pointer_folder is None and person_at_terminal() and is_person(name):
        row = ensure_folderless(conn, name, "person")  # the person's first use
    if row is None:
        if name in BUILTINS:
            raise _builtin_refused(name)
        raise NotFound(f"no agent named {name!r} (from {source})", help=[
            f"`axi agents init {name}` creates it here", "`axi agents` lists every agent"])
    if kind_of(row) != "agent":
        _check_folderless(row, source, pointer_folder, token_file, reading)
        return Lookup(row, source)
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


def resolve(conn: sqlite3.Connection, as_name: str | None = None,
            token_file: str | None = None, reading: bool = True) -> sqlite3.Row:
    """The caller's approved identity, or a clear error naming the command that fixes it."""
    found = lookup(conn, as_name, token_file=token_file, reading=reading)
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


# ---- identities with no folder -------------------------------------------------------------

def kind_of(row: sqlite3.Row) -> str:
    """agent, service, person, builtin or remote (an agent on another machine, schema 7);
    'agent' for a row read before schema 5."""
    keys = row.keys()
    if "machine" in keys and row["machine"]:
        return "remote"
    return row["kind"] if "kind" in keys else "agent"


def describe(row: sqlite3.Row) -> str:
    return {"agent": "an agent", "service": "a service sender",
            "person": "the person's identity", "builtin": "a built-in identity",
            "remote": f"an agent on {row['host']}"}[kind_of(row)]


def _reserved(name: str) -> UsageFault:
    return UsageFault(f"{name!r} is a built-in identity's name", help=[
        f"`axi listen --{name}` runs it; pick another name for an agent"])


def _builtin_refused(name: str) -> AxiError:
    return AxiError(f"{name!r} is a built-in identity: only axi acts as it",
                    code="BUILTIN_IDENTITY", help=[
                        f"`axi listen --{name}` runs it; mail it with `axi send @{name} <text>`"])


def _insert_folderless(conn: sqlite3.Connection, name: str, kind: str, state: str) -> None:
    import secrets

    now = clock()
    # No folder to fingerprint: a random origin, unique, whose first characters are the code.
    origin = Origin(_host(), _user(), "", f"{kind}:{name}:{secrets.token_hex(16)}")
    new = conn.execute("INSERT INTO agents (name, state, origin, host, \"user\", folder, tag, "
                       "created, approved, kind) VALUES (?, ?, ?, ?, ?, '', '', ?, ?, ?)",
                       (name, state, origin.fingerprint(), origin.host, origin.user, now,
                        now if state == "approved" else None, kind)).lastrowid
    history.agent_changed(conn, new, "created" if state == "approved" else "pending", now, state)


def ensure_folderless(conn: sqlite3.Connection, name: str, kind: str) -> sqlite3.Row:
    """The person's or a built-in identity, created (approved) the first time it is used;
    an existing identity of that name is returned as it is, whatever its kind."""
    row = by_name(conn, name)
    if row is not None:
        return row
    if conn.in_transaction:  # inside a send's write transaction
        _insert_folderless(conn, name, kind, "approved")
    else:
        with write(conn):
            if by_name(conn, name) is None:
                _insert_folderless(conn, name, kind, "approved")
    return require(conn, name)


def init_service(conn: sqlite3.Connection, name: str) -> tuple[sqlite3.Row, bool]:
    """A service sender named `name`, pending until a person approves it. (row, already)"""
    with write(conn):
        row = by_name(conn, name)
        if row is not None and kind_of(row) != "service":
            raise AxiError(f"{name!r} is already {describe(row)}", code="NAME_TAKEN",
                           help=["pick another name: `axi agents` lists every identity"])
        if row is None:
            if name in BUILTINS:
                raise _reserved(name)
            _insert_folderless(conn, name, "service", "pending")
    return require(conn, name), row is not None


def addressable(conn: sqlite3.Connection, name: str) -> sqlite3.Row | None:
    """Mail to echo or to the person reaches them before they were ever used."""
    if name in BUILTINS:
        return ensure_folderless(conn, name, "builtin")
    if is_person(name):
        return ensure_folderless(conn, name, "person")
    return None


def echo_identity(conn: sqlite3.Connection) -> sqlite3.Row:
    row = ensure_folderless(conn, "echo", "builtin")
    if kind_of(row) != "builtin":
        raise AxiError(f"the name 'echo' belongs to {describe(row)} in {tilde(row['folder'])}, "
                       "not to the built-in echo", code="NAME_TAKEN",
                       help=["that agent answers its own mail (`axi listen --exec`)"])
    if row["state"] != "approved":
        raise AxiError("the built-in echo was revoked", code="REVOKED",
                       help=[approve_hint(row)], agent="echo")
    return row


def _check_folderless(row: sqlite3.Row, source: str, pointer_folder: str | None,
                      token_file: str | None, reading: bool) -> None:
    name, kind = row["name"], kind_of(row)
    if pointer_folder is not None:
        raise AxiError(f"{source} names {name!r}, {describe(row)} with no folder",
                       code="ORIGIN_CHANGED", help=[
                           "delete that pointer file; `axi agents init <name>` here creates "
                           "this folder's agent"])
    if kind == "builtin":
        raise _builtin_refused(name)
    if kind == "remote":
        raise AxiError(f"{name!r} is {describe(row)}: it acts there, not here",
                       code="REMOTE_IDENTITY", help=[
                           f"mail it: `axi send @{name} <text>`; `axi hosts sync` delivers"])
    if kind == "person":
        if not person_at_terminal():
            raise AxiError(f"{name!r} is the person's identity: only the person acts as it, at "
                           "their own terminal", code="PERSON_TERMINAL_ONLY", help=[
                               "a person types the command in a terminal (no agent harness "
                               "around it); or `axi pick` shows their mail",
                               f"agents write to the person: axi send @{name} <text>"])
        if (row["host"], row["user"]) != (_host(), _user()):
            raise AxiError(f"{name!r} is the person on {row['host']} as {row['user']}",
                           code="ORIGIN_MISMATCH", help=["use your own identity here"])
        return
    if reading:
        raise AxiError(f"{name!r} is a service sender: it sends mail and can read none",
                       code="SERVICE_SENDS_ONLY", help=[
                           f"a service sender only sends: axi send --as {name} --token-file "
                           "<path> @agent <text>",
                           "its recipients read their own mail as themselves"])
    if row["state"] != "approved":
        return  # resolve() says pending or revoked
    path = tokens.given(token_file)
    if path is None:
        raise AxiError(f"service sender {name!r} authenticates with its token file",
                       code="TOKEN_REQUIRED", help=[
                           f"axi send --as {name} --token-file <path> ... (or set "
                           f"{tokens.ENV}=<path>)",
                           f"the path was printed on approval: {tilde(tokens.path_for(name))}"])
    import hmac

    named, token = tokens.read(path)
    if named not in (None, name) or not row["token_hash"] or not hmac.compare_digest(
            tokens.digest(token), row["token_hash"]):
        raise AxiError(f"the token file {tilde(path)} does not hold {name!r}'s current token",
                       code="TOKEN_INVALID", help=[
                           "it was revoked or approved again since, or belongs to another "
                           "service sender; nothing was sent",
                           f"a person revokes and approves {name} again to write a new one"])

