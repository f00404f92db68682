"""`axi inbox` and `axi send` as plain functions, without click: the click commands in
`mail.py` and the fast path (`fast.py`) both call them."""

from __future__ import annotations

import os
import sys

from axi import views
from axi.commands.caller import (
    ALL_MAIL_FIELDS,
    MAIL_FIELDS,
    caller,
    mail_row,
    reply_hint,
    warm_output,
)
from axi.errors import AxiError, UsageFault
from axi.mailbox import context, identity, mail, relay
from axi.mailbox.wait import HEARTBEAT, check_seconds, wait_for
from axi.sqlite import sqlite3
from axi.text import shell_word


def inbox_view(unread: bool, wait_s: float | None, after: int, fields: str | None, limit: int,
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
    poll = host_poller()
    rows = wait_for(conn, lambda: mail.inbox_rows(conn, me["id"], True, after, limit, True),
                    seconds, heartbeat=lambda: identity.touch(conn, me["id"], HEARTBEAT * 3)
                    or (poll and poll()))
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


def send_mail(words: tuple[str, ...], reply_to: int | None, path: str | None, ack_required: bool,
              idem: str | None, attach: tuple[str, ...], as_name: str | None,
              token_file: str | None = None) -> dict:
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
    files = [(name, context.read_file(name)) for name in attach]  # all read before anything
    if not files:
        mail.check_body(text)
    try:
        conn, me = caller(as_name, token_file=token_file, sends=True)
    except AxiError as exc:
        if exc.code != "MAILBOX_UNREACHABLE" or files:
            raise
        return _queued(exc, to, text, reply_to, ack_required, idem, as_name, token_file)
    if files:
        text = "\n".join([text] * bool(text) + _attached(conn, me, files))
        mail.check_body(text)
    sent = mail.send(conn, me, mail.Outgoing(to=to, body=text, reply_to=reply_to,
                                             ack_required=ack_required, idem=idem))
    data = {"sent": sent["id"], "to": sent["to"], "thread": sent["thread"]}
    for key in ("already", "not_routed", "queued"):
        if key in sent:
            data[key] = sent[key]
    data["help"] = [views.hint(views.command("watch", flags={"--thread": sent["thread"],
                                                             "--timeout": 300}),
                               "waits for the answer")]
    if "queued" in sent:
        data["help"].insert(0, views.hint("axi hosts sync", "hands it to the other machine now"))
    return data


def _queued(exc: AxiError, to: list[str], text: str, reply_to: int | None, ack_required: bool,
            idem: str | None, as_name: str | None, token_file: str | None) -> dict:
    """The team mailbox is away: the send waits in this machine's outbox."""
    from axi.mailbox import outbox, store
    from axi.paths import cwd

    kept = outbox.queue(store.url() or "", to, text, reply_to, ack_required, idem, as_name,
                        token_file, cwd())
    named = to or mail.mentions_in(text)
    return {"queued": [f"@{name}" for name in named],
            "outbox": kept["outbox"], "idem": kept["idem"],
            "reason": exc.message,
            "help": ["it goes out, once, with the next mailbox command that reaches the team "
                     "database (`axi inbox` will do)",
                     "`axi mailbox status` says whether it answers and what waits"]}


def _attached(conn: sqlite3.Connection, me: sqlite3.Row, files: list[tuple[str, bytes]]
              ) -> list[str]:
    """Each file stored in the shared context under `attach/<digest>/<name>`, and the line the
    message carries for it."""
    import hashlib

    lines = []
    for path, data in files:
        name = "".join(c if c in context.KEY_CHARS else "_" for c in os.path.basename(path))
        key = f"attach/{hashlib.sha256(data).hexdigest()[:12]}/{name.lstrip('._-') or 'file'}"
        context.put(conn, me, key[:context.MAX_KEY], data=data, name=os.path.basename(path),
                    now=views.clock())
        lines.append(f"attached {os.path.basename(path)} ({len(data)} bytes): "
                     f"`axi context get {key[:context.MAX_KEY]} --out {shell_word(name)}`")
    return lines


def host_poller():
    """What a waiter calls with each heartbeat when other machines are configured: a
    background `axi hosts sync` every 30 s, so their mail arrives (None: no hosts)."""
    from axi.remote import maybe_configured

    if not maybe_configured():
        return None
    from axi.remote.mailsync import poll_hosts

    return poll_hosts


def split_words(words: tuple[str, ...]) -> tuple[list[str], str]:
    """Leading `@name` words are recipients; the rest is the text."""
    to: list[str] = []
    rest = list(words)
    while rest and rest[0].startswith("@") and " " not in rest[0].strip():
        name, machine = relay.split_address(rest.pop(0), "recipient")
        to.append(name if machine is None else f"{name}@{machine}")  # another machine's
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
