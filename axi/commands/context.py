"""`axi context set|get|list|rm`: values and files every approved agent of this machine shares."""

from __future__ import annotations

import os

import click

from axi import views
from axi.commands.caller import caller
from axi.commands.tree import AxiCommand, AxiGroup, as_option
from axi.errors import AxiError, UsageFault
from axi.mailbox import context, mail
from axi.paths import write_atomic

SHOWN_TEXT = 4000  # characters of a text file `get` prints; --out saves the whole of it
FIELDS = ["key", "kind", "size", "author", "age", "expires"]


@click.group(cls=AxiGroup, invoke_without_command=True, examples=(
    "axi context list", "axi context set build/status green --ttl 2h",
    "axi context get build/log --out build.log"))
@click.pass_context
def context_group(ctx: click.Context) -> object:
    """Shared values and files (artifacts): set by one agent, read by every approved agent
    here. Bare `axi context` is `axi context list`."""
    if ctx.invoked_subcommand is not None:
        return None
    return ctx.invoke(list_)


@context_group.command("set", cls=AxiCommand, examples=(
    "axi context set build/status green", "axi context set spec --file SPEC.md --mention @bob",
    "axi context set deploy/lock ada --ttl 30m"))
@click.argument("key")
@click.argument("value", required=False)
@click.option("--file", "path", metavar="PATH", help="Share this file instead of a VALUE.")
@click.option("--ttl", metavar="D", help="Forget it after D (90s, 30m, 2h, 7d).")
@click.option("--mention", "mentions", multiple=True, metavar="@AGENT",
              help="Leave a mail naming the key to this agent (repeatable).")
@as_option
def set_(key: str, value: str | None, path: str | None, ttl: str | None,
         mentions: tuple[str, ...], as_name: str | None) -> dict:
    """Set KEY to VALUE or to a file's contents (replacing what it held)."""
    if (value is None) == (path is None):
        raise UsageFault("give either a VALUE or --file PATH", help=[
            "example: axi context set build/status green",
            "example: axi context set build/log --file build.log"])
    seconds = views.parse_duration(ttl, "--ttl")
    context.check_key(key)
    conn, me = caller(as_name)
    data = context.read_file(path) if path is not None else None
    name = os.path.basename(path) if path is not None else None
    row = context.put(conn, me, key, value=value, data=data, name=name, ttl=seconds,
                      now=views.clock())
    out = {"set": row["key"], "kind": row["kind"], "size": views.nbytes(row["size"])}
    if row["expires"]:
        out["expires"] = views.iso(row["expires"])
    if mentions:
        out["mentioned"] = _mention(conn, me, key, mentions)
    out["help"] = [views.hint(views.command("context", "get", key), "reads it")]
    return out


def _mention(conn, me, key: str, names: tuple[str, ...]) -> list[str]:
    to = [name.lstrip("@") for name in names]
    body = f"context {key} was set: `axi context get {key}` reads it"
    sent = mail.send(conn, me, mail.Outgoing(to=to, body=body))
    return sent["to"]


@context_group.command("get", cls=AxiCommand, examples=(
    "axi context get build/status", "axi context get build/log --out build.log"))
@click.argument("key")
@click.option("--out", "out_path", metavar="PATH", help="Save the value or file to PATH.")
@as_option
def get(key: str, out_path: str | None, as_name: str | None) -> dict:
    """One entry: a text value is printed; a file is printed when it is text, else saved with
    --out (a binary file never goes to stdout)."""
    conn, _me = caller(as_name)
    row = context.entry(conn, context.check_key(key), views.clock())
    data = context.read_bytes(conn, row) if row["blob"] else None
    out: dict = {"key": row["key"], "kind": row["kind"], "size": views.nbytes(row["size"]),
                 "author": f"@{row['author_name']}", "age": views.age(row["created"])}
    if row["name"]:
        out["file"] = row["name"]
    if out_path is not None:
        out["saved"] = _save(out_path, data if data is not None else row["value"].encode())
        return out
    if data is None:
        out["value"] = row["value"]
    elif row["kind"] == "text":
        text, _ = views.truncate(data.decode("utf-8"), SHOWN_TEXT, False,
                                 hint=views.command("context", "get", key, "--out", "FILE"))
        out["value"] = text
    else:
        out["help"] = [views.hint(views.command("context", "get", key, "--out",
                                                row["name"] or "FILE"),
                                  "saves it (a binary file is never printed)")]
    return out


def _save(path: str, data: bytes) -> str:
    """Write `data` to `path` whole or not at all (a temporary file renamed over it)."""
    target = os.path.abspath(os.path.expanduser(path))
    try:
        write_atomic(target, data, mode=0o644)
    except OSError as exc:
        raise AxiError(f"cannot write {path}: {exc.strerror}", code="FILE_UNWRITABLE",
                       help=["choose another --out path"]) from None
    return target


@context_group.command("list", cls=AxiCommand, examples=(
    "axi context list", "axi context list --prefix build/"))
@click.option("--prefix", default="", metavar="P", help="Only keys starting with P.")
@click.option("--limit", type=int, default=50, show_default=True, help="Rows to show.")
@as_option
def list_(prefix: str, limit: int, as_name: str | None) -> dict:
    """Every key there is (expired ones are gone), with its kind, size, author and age."""
    views.check_limit(limit)
    conn, _me = caller(as_name)
    now = views.clock()
    rows = context.entries(conn, prefix, now, limit)
    total = context.count(conn, prefix, now)
    if not rows:
        where = f" starting with {prefix!r}" if prefix else ""
        return {"context": f"0 keys{where}", "help": [
            views.hint(views.command("context", "set", "<key>", "<value>"), "shares a value")]}
    return {"count": views.count_line(len(rows), total),
            "context": [{"key": r["key"], "kind": r["kind"], "size": views.nbytes(r["size"]),
                         "author": f"@{r['author_name']}", "age": views.age(r["created"]),
                         "expires": views.iso(r["expires"]) if r["expires"] else None}
                        for r in rows],
            "help": [views.hint(views.command("context", "get", "<key>"), "reads one")]}


@context_group.command("rm", cls=AxiCommand, examples=(
    "axi context rm build/status", "axi context rm deploy/lock --as ci"))
@click.argument("key")
@as_option
def rm(key: str, as_name: str | None) -> dict:
    """Remove KEY (its file goes too when no other key holds the same bytes)."""
    conn, _me = caller(as_name)
    context.remove(conn, context.check_key(key), views.clock())
    return {"removed": key}
