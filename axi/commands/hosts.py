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

# Verbs whose first argument is a session id (axi.remote.route.ID_VERBS, kept here so
# `axi sessions` does not import axi.remote to parse a local call).
ID_VERBS = ("view", "read", "resume", "attach", "type", "wait", "result", "continue",
            "restart", "kill", "tag")
MANY_IDS = ("wait", "kill")
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
    'axi hosts add box --transport "ssh -T box" --attach-transport "ssh -t box"',
    'axi hosts add ctr --transport "docker exec -i ctr" --axi /usr/local/bin/axi --timeout 5'))
@click.argument("name")
@click.option("--transport", required=True, metavar="CMD",
              help="The argv prefix that runs a command there, e.g. \"ssh -T box\".")
@click.option("--attach-transport", metavar="CMD", help="The interactive one, with a "
              "terminal, for attach and resume, e.g. \"ssh -t box\".")
@click.option("--axi", "axi_cmd", metavar="CMD", help="The axi command there (default: axi).")
@click.option("--timeout", type=float, metavar="S", help="Seconds a call may take (default 10).")
def add(name: str, transport: str, attach_transport: str | None, axi_cmd: str | None,
        timeout: float | None) -> dict:
    """Add a [[host]] block to config.toml (comments and layout kept)."""
    from axi.paths import config_path
    from axi.remote.hosts import add as add_host

    block = add_host(name, transport, axi_cmd, timeout, attach_transport)
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


@hosts.command(cls=AxiCommand, examples=("axi hosts sync", "axi hosts sync box"))
@click.argument("name", required=False)
def sync(name: str | None) -> dict:
    """Hand queued mail to agents on other machines (@name@host) and fetch theirs."""
    from axi.remote.mailsync import configured_hosts
    from axi.remote.mailsync import sync as sync_mail

    hosts_ = configured_hosts(name)
    if not hosts_:
        raise AxiError("no hosts are configured: there is no other machine to sync with",
                       code="NO_HOSTS", help=['`axi hosts add box --transport "ssh -T box"`'])
    from axi.shown import Table

    rows = sync_mail(hosts_)
    failed = [r["host"] for r in rows if r["status"] != "ok"]
    if failed:  # every row gets the column, so the table stays one shape
        rows = [{**r, "error": r.get("error", "")} for r in rows]
    data: dict = {"hosts": Table(rows)}
    if failed:
        data["help"] = [views.hint(f"axi hosts check {failed[0]}", "shows why it failed")]
        raise AxiError(f"sync failed with {', '.join(failed)}; what was handed over is kept",
                       code="SYNC_FAILED", **data)
    return data


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
    stream = asked.get("stream") is True
    if asked["protocol"] == PROTOCOL and "relay" in asked:
        return _serve_relay(envelope, asked)
    if asked["protocol"] != PROTOCOL or not served(asked["argv"], stream):
        envelope["error"] = {"error": f"not a call protocol {PROTOCOL} serves",
                             "code": "NOT_SERVED"}
        return _streamed(envelope) if stream else envelope
    from axi.remote import listing

    listing.SERVING = True  # a host answers for itself, never for its own hosts
    if stream:
        return _serve_stream(envelope, asked["argv"])
    try:
        if asked["argv"]:
            from axi.commands.tree import run_click

            envelope["result"] = run_click(asked["argv"])
        else:
            envelope["sessions"] = _session_count()
    except Exception as exc:  # the answer must stay one JSON object whatever went wrong
        envelope["error"] = _error(exc)
    return envelope


def _serve_relay(envelope: dict, asked: dict) -> dict:
    """A mail-relay step (axi.remote.mailsync), its payload on stdin."""
    import sys

    from axi.remote import mailsync

    try:
        envelope["result"] = mailsync.serve(asked, sys.stdin.buffer.read())
    except Exception as exc:  # the answer must stay one JSON object whatever went wrong
        envelope["error"] = _error(exc)
    return envelope


def _streamed(line: dict) -> None:
    from axi.output import event

    event(line)


def _serve_stream(envelope: dict, argv: list[str]) -> None:
    """`read --follow` as a stream: the envelope line, the events as the command emits them,
    then an `end` line (with the error, if any), so the other side tells an end from a drop."""
    from axi.commands.tree import run_click

    _streamed({**envelope, "stream": True})
    try:
        run_click(argv)
    except Exception as exc:  # the stream must end with its `end` line whatever went wrong
        _streamed({"end": True, "error": _error(exc)})
        return
    _streamed({"end": True})


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
    """`axi sessions VERB host/id ...` runs VERB on that host, over its transport
    (`axi.remote.route`); a bare id this machine does not know is looked up in the hosts'
    last-known rows, so the error names the host that has it."""

    def resolve_command(self, ctx: click.Context, args: list[str]):
        name, cmd, rest = super().resolve_command(ctx, args)
        if name == "new" and cmd is not None:
            there = _launch_host(rest)
            if there is not None:
                return name, _remote_command(name, there[0], [], there[1]), []
        if name not in ID_VERBS or cmd is None:
            return name, cmd, rest
        where = _arguments(cmd, rest)
        if name not in MANY_IDS:
            where = where[:1]
        found = [(i, HOST_ID.fullmatch(rest[i])) for i in where]
        routed = [(i, m) for i, m in found if m is not None]
        if not routed:
            return name, _bare(name, cmd, [rest[i] for i in where]), rest
        hosts_named = {m.group(1) for _, m in routed}
        if len(routed) != len(found) or len(hosts_named) > 1:
            return name, _mixed(name, [rest[i] for i in where]), []
        words = list(rest)
        for i, m in routed:
            words[i] = m.group(2)
        sids = [m.group(2) for _, m in routed]
        return name, _remote_command(name, hosts_named.pop(), sids, words), []


def _launch_host(args: list[str]) -> tuple[str, list[str]] | None:
    """`new --host NAME ...` naming another machine: (NAME, the words without `--host NAME`)."""
    for i, word in enumerate(args):
        if word == "--":
            return None
        name = args[i + 1] if word == "--host" and i + 1 < len(args) else (
            word.partition("=")[2] if word.startswith("--host=") else None)
        if name is None:
            continue
        if name == "local":
            return None
        from axi.remote.hosts import machine_name

        if name == machine_name():
            return None
        skip = 2 if word == "--host" else 1
        return name, args[:i] + args[i + skip:]
    return None


def _arguments(cmd: click.Command, args: list[str]) -> list[int]:
    """Where the positional arguments are, skipping options and their values."""
    takes_value = {o for p in cmd.params if isinstance(p, click.Option) and not p.is_flag
                   for o in p.opts}
    out: list[int] = []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            return out + list(range(i + 1, len(args)))
        if not arg.startswith("-") or arg == "-":
            out.append(i)
            i += 1
            continue
        i += 2 if arg in takes_value else 1
    return out


def _remote_command(verb: str, host_name: str, sids: list[str], words: list[str]
                    ) -> click.Command:
    def run() -> dict | None:
        from axi.remote.route import run as run_there

        return run_there(verb, host_name, sids, words)

    return AxiCommand(verb, callback=run)


def _mixed(verb: str, ids: list[str]) -> click.Command:
    def run() -> None:
        raise AxiError(f"`sessions {verb}` takes ids on one machine at a time "
                       f"(given: {', '.join(ids)})", code="MIXED_HOSTS", help=[
                           f"run it once per host: `axi sessions {verb} <host/id> ...` and "
                           f"`axi sessions {verb} <id> ...` for this machine"])

    return AxiCommand(verb, callback=run)


def _bare(verb: str, cmd: click.Command, ids: list[str]) -> click.Command:
    """The local command; when it finds no such session and hosts are configured, the hosts'
    last-known rows (no network) say which host has it, or that the id is ambiguous."""
    from axi.remote import maybe_configured

    if not ids or not maybe_configured():
        return cmd
    import copy

    original = cmd.callback
    local = copy.copy(cmd)

    def callback(*args, **kwargs):
        try:
            return original(*args, **kwargs)
        except AxiError as exc:
            if exc.code != "NOT_FOUND":
                raise
            from axi.remote.route import elsewhere

            for sid in ids:
                better = elsewhere(verb, sid)
                if better is not None:
                    raise better from None
            raise

    local.callback = callback
    return local
