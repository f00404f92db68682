"""`axi agents` (list, init, approve, revoke) and `axi whoami`: agent identities."""

from __future__ import annotations

import click

from axi import views
from axi.commands.tree import AxiCommand, AxiGroup, as_option
from axi.errors import AxiError, UsageFault
from axi.mailbox import identity, store, tokens
from axi.paths import cwd, tilde
from axi.sqlite import sqlite3

LIST_FIELDS = ["name", "state", "folder", "unread", "seen"]
ALL_FIELDS = LIST_FIELDS + ["code", "kind", "tag", "host", "machine", "listening", "created",
                             "approved"]


@click.group(cls=AxiGroup, invoke_without_command=True, examples=(
    "axi agents", "axi agents init ci --service", "axi agents approve frontend --confirm 3fa91c"))
@click.option("--fields", metavar="F", help=f"Add fields: {','.join(ALL_FIELDS)}.")
@click.option("--limit", type=int, default=50, show_default=True, help="Rows to show.")
@click.pass_context
def agents(ctx: click.Context, fields: str | None, limit: int) -> object:
    """Agent identities: state, folder, unread mail and last activity.

    A pending agent's confirmation code is shown only when stdout is a terminal, so a person
    reads it and an agent (whose tools pipe output) does not. Identities with no folder (a
    service sender, the person, the built-in echo) add a `kind` column."""
    if ctx.invoked_subcommand is not None:
        return None
    views.check_limit(limit)
    chosen = views.parse_fields(fields, LIST_FIELDS, ALL_FIELDS, "axi agents")
    conn = store.connect()
    rows = conn.execute(
        "SELECT a.*, (SELECT count(*) FROM deliveries d WHERE d.recipient = a.id "
        "AND d.read_at IS NULL) AS unread FROM agents a ORDER BY a.name LIMIT ?",
        (limit,)).fetchall()
    total = conn.execute("SELECT count(*) FROM agents").fetchone()[0]
    if not rows:
        return {"agents": "0 agents",
                "help": [views.hint(views.command("agents", "init", "<name>"),
                                    "in an agent's folder creates its identity")]}
    waiting = any(r["state"] != "approved" for r in rows)
    shown = identity.codes_shown()
    if "code" not in chosen and waiting and shown:
        chosen.append("code")
    if "kind" not in chosen and any(identity.kind_of(r) != "agent" for r in rows):
        chosen.insert(1, "kind")
    if "machine" not in chosen and len({_machine(r) for r in rows}) > 1:
        chosen.insert(1, "machine")  # agents of several machines: whose each one is
    hints = [views.hint(views.command("agents", "approve", "<name>", "--confirm", "<code>"),
                        "in a terminal approves a pending agent")]
    if waiting and not shown:
        hints.insert(0, CODES_IN_A_TERMINAL)
    return {"count": views.count_line(len(rows), total),
            "agents": [agent_row(r, chosen, shown) for r in rows], "help": hints}


def _machine(row: sqlite3.Row) -> str | None:
    """The team database role that made it (a team mailbox), or the machine of a remote
    identity (mail relayed over `axi hosts`), else None: this machine's own."""
    keys = row.keys()  # (a Row's own `in` looks at its values)
    return row["role"] if "role" in keys else row["machine"]


CODES_IN_A_TERMINAL = ("confirmation codes are shown only to a person: run `axi agents` in "
                       "a terminal (not through a pipe or an agent's tool)")


def agent_row(row: sqlite3.Row, fields: list[str], codes: bool = False) -> dict:
    code = None
    if row["state"] != "approved":
        code = identity.confirm_code(row) if codes else "terminal only"
    kind = identity.kind_of(row)
    values = {
        "name": row["name"], "state": row["state"], "folder": tilde(row["folder"]) or None,
        "unread": None if kind == "service" else row["unread"],  # a service has no inbox
        "seen": views.age(row["last_seen"]) or "never",
        "code": code, "kind": kind,
        "tag": row["tag"] or None, "host": row["host"], "machine": _machine(row),
        "listening": identity.is_listening(row), "created": views.iso(row["created"]),
        "approved": views.iso(row["approved"]),
    }
    return {f: values[f] for f in fields}


@agents.command(cls=AxiCommand, examples=(
    "axi agents init frontend", "axi agents init reviewer --tag review",
    "axi agents init ci --service"))
@click.argument("name")
@click.option("--tag", metavar="T", default="",
              help="Tell a second agent in the same folder apart (its shell sets "
                   "AXI_AGENT_TAG=T).")
@click.option("--move", is_flag=True, help="Move an existing name to this folder (re-approval).")
@click.option("--service", is_flag=True,
              help="A service sender with no folder (a script, cron job, CI probe): it only "
                   "sends, with the token file its approval writes.")
def init(name: str, tag: str, move: bool, service: bool) -> dict:
    """Create this folder's agent identity (pending until an operator approves it)."""
    agent = identity.check_name(name)
    if service:
        if tag or move:
            raise UsageFault("--service takes no --tag or --move: a service sender has no "
                             "folder", help=[f"example: axi agents init {agent} --service"])
        return _init_service(agent)
    tag = identity.check_name(tag, "tag") if tag else ""
    conn = store.connect()
    row, already = identity.init(conn, agent, cwd(), tag, move)
    data = {"agent": row["name"], "state": row["state"], "folder": tilde(row["folder"]),
            "pointer": tilde(identity.pointer_path(row["folder"], row["tag"]))}
    if row["tag"]:
        data["tag"] = row["tag"]
    if already:
        data["already"] = True
    data["help"] = _init_hints(row)
    return data


def _init_service(name: str) -> dict:
    row, already = identity.init_service(store.connect(), name)
    data: dict = {"agent": row["name"], "kind": "service", "state": row["state"]}
    if already:
        data["already"] = True
    hints = [identity.approve_hint(row)] if row["state"] != "approved" else []
    hints.append(f"approval writes its token file, {tilde(tokens.path_for(name))}; a script "
                 f"then sends with `axi send --as {name} --token-file <path> @agent <text>`")
    data["help"] = hints
    return data


def _init_hints(row: sqlite3.Row) -> list[str]:
    hints = []
    if row["state"] != "approved":
        hints.append(identity.approve_hint(row))
    if row["tag"]:
        hints.append(f"set AXI_AGENT_TAG={row['tag']} in this agent's shell")
    hints.append(views.hint(views.command("whoami"), "shows its state"))
    return hints


@agents.command(cls=AxiCommand, examples=(
    "axi agents approve frontend --confirm 3fa91c", "axi agents"))
@click.argument("name")
@click.option("--confirm", "code", metavar="CODE", required=True,
              help="The agent's code from `axi agents` (binds approval to the origin you saw).")
def approve(name: str, code: str) -> dict:
    """Approve a pending agent. An operator act: needs a terminal and the agent's code."""
    agent = identity.check_name(name)
    _require_operator("approve", agent, " --confirm <code>")
    conn = store.connect()
    row, already = identity.approve(conn, agent, code)
    if identity.kind_of(row) == "service":
        return _approved_service(row, already)
    data = {"approved": row["name"], "folder": tilde(row["folder"]) or None}
    if already:
        data["already"] = True
    return data


def _approved_service(row: sqlite3.Row, already: bool) -> dict:
    """Where the token is, never the token itself: stdout may be a log or an agent's pipe."""
    path = tokens.path_for(row["name"])
    data: dict = {"approved": row["name"], "kind": "service"}
    if already:
        data["already"] = True
        data["help"] = [f"its token file was written on approval ({tilde(path)}); to write a "
                        f"new one, revoke and approve {row['name']} again"]
        return data
    data["token_file"] = tilde(path)
    data["help"] = [f"a script sends with: axi send --as {row['name']} --token-file "
                    f"{tilde(path)} @agent <text> (or AXI_TOKEN_FILE)",
                    "whoever can read that file can send as it; keep it 0600 (axi refuses it "
                    f"otherwise); `axi agents revoke {row['name']}` invalidates it"]
    return data


@agents.command(cls=AxiCommand, examples=("axi agents revoke frontend", "axi agents"))
@click.argument("name")
def revoke(name: str) -> dict:
    """Revoke an agent: it can no longer read or send. An operator act: needs a terminal."""
    agent = identity.check_name(name)
    _require_operator("revoke", agent, "")
    conn = store.connect()
    row, already = identity.revoke(conn, agent)
    data = {"revoked": row["name"], "folder": tilde(row["folder"]) or None}
    if identity.kind_of(row) == "service":
        data = {"revoked": row["name"], "kind": "service", "token": "invalidated, file deleted"}
    if already:
        data["already"] = True
    code = identity.confirm_code(row) if identity.codes_shown() else "<code>"
    data["help"] = [views.hint(views.command("agents", "approve", row["name"], "--confirm", code),
                               "in a terminal restores it")]
    return data


def _require_operator(verb: str, name: str, rest: str) -> None:
    if not identity.operator_terminal():
        raise AxiError(f"{verb} is an operator action and this shell has no terminal",
                       code="NEEDS_OPERATOR", help=[
                           f"a person runs `axi agents {verb} {name}{rest}` in their own "
                           "terminal (`axi agents` shows the code)",
                           "agents cannot approve or revoke identities"])


@click.command(cls=AxiCommand, examples=("axi whoami", "axi whoami --as reviewer"))
@as_option
def whoami(as_name: str | None) -> dict:
    """This shell's agent identity and where it was found."""
    conn = store.connect()
    found = identity.lookup(conn, as_name, reading=False)
    row = found.row
    kind = identity.kind_of(row)
    data = {"agent": row["name"], "state": row["state"], "folder": tilde(row["folder"]),
            "from": found.source}
    if kind != "agent":
        data["kind"] = kind
        del data["folder"]
    if row["tag"]:
        data["tag"] = row["tag"]
    if row["state"] == "approved" and kind == "service":
        data["help"] = [views.hint(views.command("send", "--as", row["name"], "@agent",
                                                 "<text>"), "sends (it reads no mail)")]
    elif row["state"] == "approved":
        unread = conn.execute("SELECT count(*) FROM deliveries WHERE recipient = ? "
                              "AND read_at IS NULL", (row["id"],)).fetchone()[0]
        data["mail"] = f"{unread} unread"
        data["help"] = [views.hint(views.command("inbox"), "shows your mail")]
    else:
        data["help"] = [identity.approve_hint(row)]
    return data
