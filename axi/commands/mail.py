"""`axi inbox`, `axi send` and `axi mail view|read|ack`: mail between agent identities."""

from __future__ import annotations

import sqlite3
import sys

import click

from axi import views
from axi.commands.caller import (
    ALL_MAIL_FIELDS,
    MAIL_FIELDS,
    as_option,
    caller,
    mail_row,
    reply_hint,
    warm_output,
)
from axi.commands.tree import AxiCommand, AxiGroup
from axi.errors import AxiError, UsageFault
from axi.mailbox import identity, mail
from axi.mailbox.wait import HEARTBEAT, check_seconds, wait_for

FULL_TEXT = 1500


@click.command(cls=AxiCommand, examples=(
    "axi inbox", "axi inbox --unread --wait 120", "axi inbox --fields to,thread --limit 5"))
@click.option("--unread", is_flag=True, help="Only unread mail.")
@click.option("--wait", "wait_s", type=float, metavar="S",
              help="Block up to S seconds (max 3600) for unread mail newer than --after.")
@click.option("--after", type=int, default=0, show_default=True, metavar="ID",
              help="Only mail with an id above ID (a cursor from an earlier answer).")
@click.option("--fields", metavar="F", help=f"Add fields: {','.join(ALL_MAIL_FIELDS)}.")
@click.option("--limit", type=int, default=20, show_default=True, help="Rows to show.")
@as_option
def inbox(unread: bool, wait_s: float | None, after: int, fields: str | None, limit: int,
          as_name: str | None) -> dict:
    """Your mail, newest first. Peeking changes nothing; `mail read`/`ack` mark it."""
    views.check_limit(limit)
    seconds = check_seconds(wait_s)
    chosen = views.parse_fields(fields, MAIL_FIELDS, ALL_MAIL_FIELDS, "axi inbox")
    conn, me = caller(as_name, HEARTBEAT * 3 if seconds else None)
    flags = {"--unread": unread, "--after": after or None, "--fields": fields}
    if seconds is not None:
        return _wait_view(conn, me, seconds, after, chosen, limit)
    rows = mail.inbox_rows(conn, me["id"], unread, after, limit)
    return _list_view(conn, me, rows, unread, chosen, {**flags, "--limit": limit * 5})


def _list_view(conn: sqlite3.Connection, me: sqlite3.Row, rows: list, unread_only: bool,
               fields: list[str], flags: dict) -> dict:
    total, unread = mail.counts(conn, me["id"])
    shown_of = unread if unread_only else total
    data: dict = {"mail": f"{unread} unread of {total}"}
    if not rows:
        what = "unread messages" if unread_only else "messages"
        data["inbox"] = f"0 {what} for @{me['name']}"
        data["help"] = [views.hint(views.command("inbox", flags={"--wait": 60}),
                                   "waits for new mail")]
        return data
    data["count"] = views.count_line(len(rows), shown_of)
    data["messages"] = [mail_row(conn, r, fields) for r in rows]
    data["help"] = _list_hints(rows)
    if len(rows) < shown_of:
        data["help"].append(views.hint(views.command("inbox", flags=flags), "shows more"))
    return data


def _list_hints(rows: list) -> list[str]:
    hints = [views.hint(views.command("mail", "view", "<id>"), "shows one in full"),
             views.hint(views.command("mail", "ack", "<id>"), "marks it handled"),
             reply_hint("<id>")]
    newest = max(r["id"] for r in rows)
    hints.append(views.hint(views.command("inbox", flags={"--wait": 60, "--after": newest}),
                            "waits for anything newer"))
    return hints


def _wait_view(conn: sqlite3.Connection, me: sqlite3.Row, seconds: float, after: int,
               fields: list[str], limit: int) -> dict:
    warm_output()
    rows = wait_for(conn, lambda: mail.inbox_rows(conn, me["id"], True, after, limit, True),
                    seconds, heartbeat=lambda: identity.touch(conn, me["id"], HEARTBEAT * 3))
    if not rows:
        return {"status": "timeout", "waited": f"{seconds:g}s",
                "mail": "{1} unread of {0}".format(*mail.counts(conn, me["id"])),
                "help": [views.hint(views.command("inbox", flags={
                    "--wait": f"{seconds:g}", "--after": after or None}), "waits again")]}
    total, unread = mail.counts(conn, me["id"])
    return {"status": "mail", "mail": f"{unread} unread of {total}",
            "count": views.count_line(len(rows), unread),
            "messages": [mail_row(conn, r, fields) for r in rows],
            "help": _list_hints(rows)}


@click.command(cls=AxiCommand, examples=(
    'axi send @bob "the build is green"', 'axi send --reply 12 "done, see commit a1b2"',
    "axi send @bob @carol --file notes.md --ack"))
@click.argument("words", nargs=-1, metavar="@AGENT... TEXT")
@click.option("--reply", "reply_to", type=int, metavar="ID",
              help="Answer message ID in its thread (to its sender unless @agents are named).")
@click.option("--file", "path", metavar="PATH", help="Read the text from PATH (- for stdin).")
@click.option("--ack", "ack_required", is_flag=True, help="Ask the recipients to ack it.")
@click.option("--idem", metavar="KEY",
              help="Idempotency key: resending with the same key sends nothing new.")
@as_option
def send(words: tuple[str, ...], reply_to: int | None, path: str | None, ack_required: bool,
         idem: str | None, as_name: str | None) -> dict:
    """Send mail to @agents; @mentions inside the text are delivered too."""
    to, text = split_words(words)
    if path is not None:
        if text:
            raise UsageFault("give the text either as words or with --file, not both",
                             help=["example: axi send @bob --file notes.md"])
        text = read_text(path)
    if not to and reply_to is None and not mail.mentions_in(text):
        raise UsageFault("no recipient: name at least one @agent",
                         help=['example: axi send @bob "the build is green"'])
    mail.check_body(text)
    conn, me = caller(as_name)
    sent = mail.send(conn, me, mail.Outgoing(to=to, body=text, reply_to=reply_to,
                                             ack_required=ack_required, idem=idem))
    data = {"sent": sent["id"], "to": sent["to"], "thread": sent["thread"]}
    for key in ("already", "not_routed"):
        if key in sent:
            data[key] = sent[key]
    data["help"] = [views.hint(views.command("watch", flags={"--thread": sent["thread"],
                                                             "--timeout": 300}),
                               "waits for the answer")]
    return data


def split_words(words: tuple[str, ...]) -> tuple[list[str], str]:
    """Leading `@name` words are recipients; the rest is the text."""
    to: list[str] = []
    rest = list(words)
    while rest and rest[0].startswith("@") and " " not in rest[0].strip():
        to.append(identity.check_name(rest.pop(0), "recipient"))
    return to, " ".join(rest)


def read_text(path: str) -> str:
    try:
        if path == "-":
            raw = sys.stdin.buffer.read(mail.MAX_BODY + 1)
        else:
            with open(path, "rb") as fh:
                raw = fh.read(mail.MAX_BODY + 1)
    except OSError as exc:
        raise AxiError(f"cannot read {path}: {exc.strerror}", code="FILE_UNREADABLE",
                       help=["check the path; nothing was sent"]) from None
    if len(raw) > mail.MAX_BODY:
        raise UsageFault(f"{path} is over the {mail.MAX_BODY}-byte limit; nothing was sent",
                         help=["send a shorter file, or its path"])
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UsageFault(f"{path} is not valid UTF-8 (byte {exc.start}); nothing was sent",
                         help=["re-encode it: iconv -t UTF-8 FILE"]) from None


@click.group(cls=AxiGroup, invoke_without_command=True, examples=(
    "axi mail view 12", "axi mail read 12 13", "axi mail ack 12"))
@click.pass_context
def mail_group(ctx: click.Context) -> object:
    """One message: view it, mark it read, ack it. Bare `axi mail` is `axi inbox`."""
    if ctx.invoked_subcommand is not None:
        return None
    return ctx.invoke(inbox)


@mail_group.command(cls=AxiCommand, examples=("axi mail view 12", "axi mail view 12 --full"))
@click.argument("message_id", metavar="ID", type=int)
@click.option("--full", is_flag=True, help="Show the whole text, however long.")
@as_option
def view(message_id: int, full: bool, as_name: str | None) -> dict:
    """One message you sent or received, with its recipients' states. Changes nothing."""
    conn, me = caller(as_name)
    row = mail.visible(conn, me["id"], message_id)
    text, _ = views.truncate(row["body"], FULL_TEXT, full,
                               hint=views.command("mail", "view", str(message_id), "--full"))
    data = {"id": row["id"], "from": f"@{row['sender_name']}",
            "to": [f"@{r['name']} ({mail.state_of(r)})"
                   for r in mail.recipients_of(conn, row["id"])],
            "created": views.iso(row["created"]), "age": views.age(row["created"]),
            "thread": row["thread"], "reply_to": row["reply_to"], "kind": row["kind"],
            "task": row["task"], "ack": "required" if row["ack_required"] else None,
            "state": mail.state_of(row) if row["seq"] is not None else "sent", "text": text}
    data = {k: v for k, v in data.items() if v is not None}
    hints = [reply_hint(row["id"])]
    if row["seq"] is not None and row["acked_at"] is None:
        hints.append(views.hint(views.command("mail", "ack", str(row["id"])),
                                "marks it handled"))
    if row["task"]:
        hints.append(views.hint(views.command("tasks", "update", str(row["task"]),
                                              "--status", "done"), "closes its task"))
    data["help"] = hints
    return data


@mail_group.command(cls=AxiCommand, examples=("axi mail read 12", "axi mail read 12 13 14"))
@click.argument("ids", metavar="ID...", nargs=-1, type=int, required=True)
@as_option
def read(ids: tuple[int, ...], as_name: str | None) -> dict:
    """Mark your own messages read. Idempotent."""
    return _mark(ids, as_name, ack=False)


@mail_group.command(cls=AxiCommand, examples=("axi mail ack 12", "axi mail ack 12 13"))
@click.argument("ids", metavar="ID...", nargs=-1, type=int, required=True)
@as_option
def ack(ids: tuple[int, ...], as_name: str | None) -> dict:
    """Ack your own messages (handled; implies read). Idempotent."""
    return _mark(ids, as_name, ack=True)


def _mark(ids: tuple[int, ...], as_name: str | None, ack: bool) -> dict:
    conn, me = caller(as_name)
    results = mail.mark(conn, me["id"], list(dict.fromkeys(ids)), ack)
    verb = "acked" if ack else "read"
    data: dict = {}
    done = [r["id"] for r in results if not r["already"]]
    already = [r["id"] for r in results if r["already"]]
    if done:
        data[verb] = done
    if already:
        data["already"] = already
    total, unread = mail.counts(conn, me["id"])
    data["mail"] = f"{unread} unread of {total}"
    return data
