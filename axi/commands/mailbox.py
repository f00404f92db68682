"""`axi mailbox status|migrate`: which mailbox this machine uses (the embedded SQLite file, or a
team's PostgreSQL database) and whether it answers; copying the file into a team's database."""

from __future__ import annotations

import os
import time

import click

from axi import views
from axi.commands.tree import AxiCommand, AxiGroup
from axi.errors import UsageFault
from axi.text import without_password


@click.group(cls=AxiGroup, invoke_without_command=True, examples=(
    "axi mailbox", "axi mailbox migrate --to postgresql://ROLE@HOST/DATABASE"))
@click.pass_context
def mailbox(ctx: click.Context) -> object:
    """Which mailbox (file or team): status, migrate.

    Bare `axi mailbox` is `axi mailbox status`."""
    if ctx.invoked_subcommand is not None:
        return None
    return ctx.invoke(status)


@mailbox.command(cls=AxiCommand, examples=("axi mailbox status",
                                            "axi mailbox status --format json"))
def status() -> dict:
    """The mailbox in use: backend, where, schema, latency, agents and messages. Run as a team
    database's owner, it brings that database's schema up to date."""
    from axi.mailbox import store

    url = store.url()
    return _team_status(url) if url else _file_status()


def _file_status() -> dict:
    from axi.mailbox import db

    path = db.mailbox_path()
    out: dict = {"backend": "sqlite", "where": _tilde(path)}
    if not os.path.exists(path):
        out.update(schema=0, latest=db.LATEST, state="none yet: the first mail command "
                   "creates it")
        return out
    started = time.monotonic()
    conn = db.connect()
    try:
        took = _ms(started)
        out.update(schema=db.schema_version(conn), latest=db.LATEST, latency_ms=took,
                   **_counts(conn))
    finally:
        conn.close()
    out["help"] = [views.hint("axi mailbox migrate --to postgresql://ROLE@HOST/DATABASE",
                              "copies it into a team's database")]
    return out


def _team_status(url: str) -> dict:
    from axi.errors import AxiError
    from axi.mailbox import pg, pg_schema

    where = {"backend": "postgres", "where": without_password(url), "from": _url_source()}
    try:
        conn = pg.Connection(url)
    except AxiError as exc:
        exc.extra.update({**where, **_outbox_line()})
        exc.help = ["check that the server is up and that the URL's host, port, role and "
                    f"database are right (from {where['from']})", *exc.help[1:]]
        raise
    try:
        before = pg_schema.schema_version(conn)
        problem = None
        try:
            pg_schema.migrate(conn)  # as the database's owner; a machine's role is told who may
        except AxiError as exc:
            if exc.code not in ("MAILBOX_SCHEMA_BEHIND", "MAILBOX_NEWER"):
                raise
            problem = exc
        out = {**where, "role": conn.execute("SELECT current_user").fetchone()[0],
               "schema": pg_schema.schema_version(conn), "latest": pg_schema.LATEST}
        if out["schema"] != before:
            out["migrated"] = f"schema {before} -> {out['schema']}"
        started = time.monotonic()
        conn.execute("SELECT 1").fetchone()
        out["latency_ms"] = _ms(started)
        if out["schema"] == pg_schema.LATEST:
            from axi.mailbox import outbox

            flushed = outbox.flush(conn, url)
            if flushed:
                out["sent_from_outbox"] = flushed
            out.update(_counts(conn))
    finally:
        conn.close()
    out.update(_outbox_line())
    if problem is not None:
        out["warning"] = problem.message
        out["help"] = problem.help
    else:
        out["help"] = [views.hint("axi doctor", "checks this role's grants and row-level "
                                  "security")]
    return out


def _outbox_line() -> dict:
    """Sends kept on this machine while the team database was away (axi/mailbox/outbox.py)."""
    from axi.mailbox import outbox

    kept = outbox.counts()
    if not any(kept.values()):
        return {}
    return {"outbox": f"{kept['waiting']} waiting, {kept['sent']} sent, {kept['refused']} "
                      "refused"}


def _counts(conn) -> dict:
    """Agents in the directory, and messages (a team database shows those this machine's
    agents sent or received: row-level security)."""
    return {"agents": conn.execute("SELECT count(*) FROM agents").fetchone()[0],
            "messages": conn.execute("SELECT count(*) FROM messages").fetchone()[0]}


def _url_source() -> str:
    from axi.mailbox import store
    from axi.paths import config_path

    if os.environ.get(store.ENV, "").strip():
        return store.ENV
    return f"[mailbox] url in {_tilde(config_path())}"


def _ms(started: float) -> int:
    return max(0, round((time.monotonic() - started) * 1000))


def _tilde(path: str) -> str:
    from axi.paths import tilde

    return tilde(path)


@mailbox.command(cls=AxiCommand, examples=(
    "axi mailbox migrate --to postgresql://ROLE@HOST/DATABASE",
    "axi mailbox migrate --to postgresql://laptop@db.example/axi --format json"))
@click.option("--to", "to", required=True, metavar="URL",
              help="The team database: postgresql://ROLE@HOST/DATABASE (this machine's role).")
def migrate(to: str) -> dict:
    """Copy this machine's mailbox (identities, mail, tasks, context, history) into a team's
    database. Run it again safely: what is there already is not copied twice."""
    from axi.mailbox import db, store, team_copy
    from axi.paths import config_path
    from axi.shown import Table

    to = to.strip()
    if not to.startswith(store.SCHEMES):
        raise UsageFault(f"{to[:60]!r} is not a postgresql:// URL", help=[
            "the team mailbox is postgresql://ROLE@HOST/DATABASE, ROLE this machine's own"])
    result = team_copy.copy(to)
    shown = without_password(to)
    data: dict = {"from": _tilde(db.mailbox_path()), "to": shown,
                  "mailbox_id": result["mailbox_id"], "tables": Table(result["tables"])}
    if result["unreadable_files"]:
        data["unreadable_files"] = result["unreadable_files"]
        data["note"] = ("these keys' files are missing or changed here: their entries were "
                        "copied, their bytes could not be")
    if store.url() == to:
        hints = [views.hint("axi mailbox status", "this machine already uses it")]
    else:
        secret = " (*** the password you gave)" if shown != to else ""
        hints = [f'set `[mailbox] url = "{shown}"`{secret} in {_tilde(config_path())} (or '
                 f"{store.ENV}): this machine then uses the team's mailbox",
                 views.hint("axi mailbox status", "checks it then")]
    data["help"] = hints
    return data
