"""`axi inbox`, `axi send` and `axi mail view|read|ack`: mail between agent identities."""

from __future__ import annotations

import click

from axi import views
from axi.commands.caller import ALL_MAIL_FIELDS, caller, reply_hint
from axi.commands.mail_run import inbox_view, send_mail
from axi.commands.tree import AxiCommand, AxiGroup, as_option
from axi.mailbox import mail
from axi.mailbox.coordination import latest_progress

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
    return inbox_view(unread, wait_s, after, fields, limit, as_name)


@click.command(cls=AxiCommand, examples=(
    'axi send @bob "the build is green"', 'axi send --reply 12 "done, see commit a1b2"',
    "axi send @bob @carol --file notes.md --attach build.log --ack"))
@click.argument("words", nargs=-1, metavar="@AGENT... TEXT")
@click.option("--reply", "reply_to", type=int, metavar="ID",
              help="Answer message ID in its thread (to its sender unless @agents are named).")
@click.option("--file", "path", metavar="PATH", help="Read the text from PATH (- for stdin).")
@click.option("--ack", "ack_required", is_flag=True, help="Ask the recipients to ack it.")
@click.option("--idem", metavar="KEY",
              help="Idempotency key: resending with the same key sends nothing new.")
@click.option("--attach", multiple=True, metavar="PATH",
              help="Attach a file through the shared context (repeatable).")
@click.option("--token-file", metavar="PATH",
              help="A service sender's token file (else AXI_TOKEN_FILE); with --as NAME.")
@as_option
def send(words: tuple[str, ...], reply_to: int | None, path: str | None, ack_required: bool,
         idem: str | None, attach: tuple[str, ...], token_file: str | None,
         as_name: str | None) -> dict:
    """Send mail to @agents; @mentions inside the text are delivered too.

    A service sender (`axi agents init NAME --service`) sends from a script with `--as NAME
    --token-file PATH`; the person, from their own terminal, with `--as <person>`."""
    return send_mail(words, reply_to, path, ack_required, idem, attach, as_name, token_file)


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
    working = latest_progress(conn, row["id"])
    if working:  # what a listener's handler said it is doing (`axi-progress:` lines)
        data["progress"] = [f"@{p['name']}: {p['text']} ({views.age(p['at'])} ago)"
                            for p in working]
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
