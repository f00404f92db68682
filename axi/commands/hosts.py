"""`axi hosts`: the machines axi reaches over the user's own transport, and the glue that
lets `axi sessions` list and route across them (`--host`, `host/id`).

Everything network-bound lives in `axi.remote` and is imported inside functions: `axi sessions`
with no hosts configured, bare `axi` and `axi hook` never load it."""

from __future__ import annotations

import re

import click

from axi import __version__, views
from axi.commands.tree import AxiCommand, AxiGroup
from axi.errors import AxiError

# Verbs whose first argument is a session id, and which of them `host/id` routes today.
ID_VERBS = ("view", "read", "resume", "attach", "type", "wait", "result", "continue",
            "restart", "kill", "tag")
ROUTED = ("view", "read")
HOST_ID = re.compile(r"([A-Za-z0-9][A-Za-z0-9._-]*)/([A-Za-z0-9][A-Za-z0-9_-]*)")


class HostsGroup(AxiGroup):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return [n for n in super().list_commands(ctx)
                if not getattr(self.commands.get(n), "hidden", False)]


@click.group(cls=HostsGroup, invoke_without_command=True, examples=(
    "axi hosts", 'axi hosts add box --transport "ssh -T box"', "axi hosts check box"))
@click.pass_context
def hosts(ctx: click.Context) -> object:
    """Remote hosts ([[host]] in config.toml): status, version, sessions, latency."""
    if ctx.invoked_subcommand is not None:
        return None
    return _status_view(None)


@hosts.command(cls=AxiCommand, examples=("axi hosts check", "axi hosts check box"))
@click.argument("name", required=False)
def check(name: str | None) -> dict:
    """Reach one host (or every host) now, and show the command that was run."""
    return _status_view(name, detail=True)


@hosts.command(cls=AxiCommand, examples=(
    'axi hosts add box --transport "ssh -T box"',
    'axi hosts add ctr --transport "docker exec -i ctr" --axi /usr/local/bin/axi --timeout 5'))
@click.argument("name")
@click.option("--transport", required=True, metavar="CMD",
              help="The argv prefix that runs a command there, e.g. \"ssh -T box\".")
@click.option("--axi", "axi_cmd", metavar="CMD", help="The axi command there (default: axi).")
@click.option("--timeout", type=float, metavar="S", help="Seconds a call may take (default 10).")
def add(name: str, transport: str, axi_cmd: str | None, timeout: float | None) -> dict:
    """Add a [[host]] block to config.toml (comments and layout kept)."""
    from axi.paths import config_path
    from axi.remote.hosts import add as add_host

    block = add_host(name, transport, axi_cmd, timeout)
    return {"added": name, "host": block, "config": config_path(),
            "help": [views.hint(f"axi hosts check {name}", "reaches it now")]}


@hosts.command(cls=AxiCommand, examples=("axi hosts remove box",
                                          "axi hosts remove box --format json"))
@click.argument("name")
def remove(name: str) -> dict:
    """Remove a host's [[host]] block and what axi remembers of it."""
    from axi.paths import config_path
    from axi.remote import cache
    from axi.remote.hosts import remove as remove_host

    remove_host(name)
    cache.forget(name)
    return {"removed": name, "config": config_path()}


@hosts.command(cls=AxiCommand, hidden=True)
@click.argument("request")
def serve(request: str) -> dict:
    """What a remote axi answers over the transport: its protocol version first."""
    from axi.remote.protocol import PROTOCOL, decode_request, served

    envelope: dict = {"protocol": PROTOCOL, "axi": __version__}
    try:
        from axi.remote.hosts import machine_name

        envelope["machine"] = machine_name()
        asked = decode_request(request)
    except (AxiError, ValueError) as exc:
        envelope["error"] = _error(exc)
        return envelope
    if asked["protocol"] != PROTOCOL or not served(asked["argv"]):
        envelope["error"] = {"error": f"not a call protocol {PROTOCOL} serves",
                             "code": "NOT_SERVED"}
        return envelope
    try:
        if asked["argv"]:
            from axi.commands.tree import run_click
            from axi.remote import listing

            listing.SERVING = True  # a host answers for itself, never for its own hosts
            envelope["result"] = run_click(asked["argv"])
        else:
            envelope["sessions"] = _session_count()
    except Exception as exc:  # the answer must stay one JSON object whatever went wrong
        envelope["error"] = _error(exc)
    return envelope


def _error(exc: Exception) -> dict:
    if isinstance(exc, AxiError):
        return exc.payload()
    return {"error": f"{type(exc).__name__}: {exc}", "code": "REMOTE_ERROR"}


def _session_count() -> int:
    from axi.index.catalog import open_index

    conn, _ = open_index()
    return conn.execute("SELECT count(*) FROM sessions WHERE is_subagent = 0").fetchone()[0]


def _status_view(name: str | None, detail: bool = False) -> dict:
    from axi.paths import config_path
    from axi.remote import cache
    from axi.remote.federate import ask_all
    from axi.remote.hosts import find, load_hosts

    known = load_hosts()
    if not known:
        return {"hosts": "0 hosts configured", "config": config_path(), "help": [
            views.hint('axi hosts add box --transport "ssh -T box"', "adds one")]}
    chosen = [find(name, known)] if name else known
    now = views.clock()
    rows = []
    for host, reply in zip(chosen, ask_all(chosen, []), strict=True):
        entry = cache.record(reply, now)
        rows.append(_status_row(host, reply, entry, detail))
    from axi.shown import Table

    data: dict = {"hosts": rows if detail else Table(rows, liftable=("status",))}
    helps = [h for reply_row in rows for h in reply_row.pop("_help", [])]
    data["help"] = helps or [views.hint("axi sessions --host all",
                                        "lists sessions from every host")]
    return data


def _status_row(host, reply, entry: dict, detail: bool) -> dict:
    import shlex

    reached = entry.get("reached")
    row = {"host": host.name, "status": reply.status,
           "reason": reply.reason,
           "reached": "now" if reply.status == "online" else (
               f"{views.age(float(reached))} ago" if reached else "never"),
           "version": reply.answer.get("axi") or entry.get("axi"),
           "sessions": entry.get("sessions") if reply.status == "online" else None,
           "latency": f"{reply.latency * 1000:.0f}ms"}
    if detail:
        row["transport"] = shlex.join(host.transport)
        row["ran"] = shlex.join(reply.argv)
    row["_help"] = reply.help
    return row


class RoutedGroup(AxiGroup):
    """`axi sessions VERB host/id ...` runs VERB on that host, over its transport."""

    def resolve_command(self, ctx: click.Context, args: list[str]):
        name, cmd, rest = super().resolve_command(ctx, args)
        if name not in ID_VERBS or cmd is None:
            return name, cmd, rest
        index = _first_argument(cmd, rest)
        match = HOST_ID.fullmatch(rest[index]) if index is not None else None
        if match is None:
            return name, cmd, rest
        host, sid = match.groups()
        words = [*rest[:index], sid, *rest[index + 1:]]
        return name, _remote_command(name, host, sid, words), []


def _first_argument(cmd: click.Command, args: list[str]) -> int | None:
    """Where the first positional argument is, skipping options and their values."""
    takes_value = {o for p in cmd.params if isinstance(p, click.Option) and not p.is_flag
                   for o in p.opts}
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            return i + 1 if i + 1 < len(args) else None
        if not arg.startswith("-") or arg == "-":
            return i
        i += 2 if arg in takes_value else 1
    return None


def _remote_command(verb: str, host_name: str, sid: str, words: list[str]) -> click.Command:
    def run() -> dict:
        from axi.remote.hosts import find, load_hosts

        host = find(host_name, load_hosts())
        if verb not in ROUTED or "--follow" in words:
            raise _not_routed(host, verb, words)
        return _forward(host, verb, sid, words)

    return AxiCommand(verb, callback=run)


def _not_routed(host, verb: str, words: list[str]) -> AxiError:
    import shlex

    what = f"`sessions {verb}" + (" --follow`" if "--follow" in words else "`")
    there = host.attach_transport or host.transport
    return AxiError(f"{what} on a host is not built yet (axi reaches hosts for view and read)",
                    code="NOT_ROUTED", help=[
                        "run it on the host: `" + shlex.join(
                            [*there, *host.axi, "sessions", verb, *words]) + "`"])


def _forward(host, verb: str, sid: str, words: list[str]) -> dict:
    from axi.remote.transport import ONLINE, call

    reply = call(host, ["sessions", verb, *words])
    if reply.status != ONLINE:
        code = reply.status.upper().replace(" ", "_")
        raise AxiError(f"host {host.name} is {reply.status}: {reply.reason}",
                       code=f"HOST_{code}", help=reply.help)
    answer = reply.answer
    if "error" in answer:
        err = answer["error"] if isinstance(answer["error"], dict) else {}
        raise AxiError(f"{host.name}: {err.get('error', 'the call failed')}",
                       code=str(err.get("code", "REMOTE_ERROR")),
                       help=_addressed(err.get("help") or [], host.name, {sid}))
    result = answer.get("result")
    if not isinstance(result, dict):
        raise AxiError(f"host {host.name} answered without a result", code="REMOTE_ERROR",
                       help=[f"`axi hosts check {host.name}`"])
    ids = {sid} | {result[k] for k in ("id", "session") if isinstance(result.get(k), str)}
    from axi.remote.federate import revive

    out: dict = {}
    for key, value in revive(result).items():
        out[key] = f"{host.name}/{value}" if key in ("id", "session") else value
        if key in ("id", "session"):
            out["host"] = host.name
    out["help"] = _addressed(result.get("help") or [], host.name, ids)
    return out


def _addressed(hints: list[str], host: str, ids: set[str]) -> list[str]:
    """The host's own hints with its session ids addressed `host/id`, so they work here;
    hints to verbs not routed yet are left out."""
    unrouted = re.compile(r"axi sessions (" + "|".join(set(ID_VERBS) - set(ROUTED)) + ") ")
    hints = [h for h in hints if not unrouted.search(str(h))]
    pattern = re.compile(r"(?<![\w/-])(" + "|".join(
        re.escape(i) for i in sorted(ids, key=len, reverse=True)) + r")(?![\w-])")
    return [pattern.sub(lambda m: f"{host}/{m.group(1)}", str(h)) for h in hints]
