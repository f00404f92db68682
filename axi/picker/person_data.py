"""What the person's tab reads and writes, through the mailbox's own functions: the
identities, the mail addressed to the person, their open tasks (`tasks.listing`, what `axi
tasks` lists: the ones they own or created), and mail sent as them (`mail.check_body` and
`mail.send`, as `axi send --as <person>` sends). No Textual here."""

from __future__ import annotations

from axi.picker import actions
from axi.sqlite import sqlite3

TASKS_SHOWN = 200


def person_name(config: dict) -> str:
    """`[person] name` as the mailbox spells identities (the same rule as `axi send --as`)."""
    from axi.errors import AxiError
    from axi.mailbox import identity

    try:
        return identity.person_name(config)
    except AxiError:  # not a valid identity name: `axi doctor` and the CLI say so
        return identity.login_name()


def ensure_person(name: str) -> None:
    """The person's identity exists once there is a mailbox: mail to them shows here."""
    from axi.mailbox import identity, store

    if store.exists():
        identity.ensure_folderless(store.connect(), name, "person")


def agent_rows() -> list[sqlite3.Row]:
    from axi.mailbox import store

    if not store.exists():
        return []
    conn = store.connect()
    return conn.execute(
        "SELECT a.*, (SELECT count(*) FROM deliveries d WHERE d.recipient = a.id "
        "AND d.read_at IS NULL) AS unread FROM agents a ORDER BY a.state != 'pending', "
        "a.name").fetchall()


def _me(conn: sqlite3.Connection, name: str) -> sqlite3.Row | None:
    return conn.execute("SELECT * FROM agents WHERE name = ?", (name,)).fetchone()


def mail_rows(name: str) -> list[sqlite3.Row]:
    from axi.mailbox import mail, store

    if not store.exists():
        return []
    conn = store.connect()
    me = _me(conn, name)
    return mail.inbox_rows(conn, me["id"], limit=200) if me else []


def task_rows(name: str) -> tuple[list[sqlite3.Row], int]:
    """The person's open tasks (owned or created), most urgent first, and how many there are."""
    from axi.mailbox import store, tasks

    if not store.exists():
        return [], 0
    conn = store.connect()
    me = _me(conn, name)
    return tasks.listing(conn, me["id"], False, None, TASKS_SHOWN) if me else ([], 0)


def recipients(name: str) -> list[str]:
    """Who the person can write to: approved identities with an inbox, not themselves."""
    from axi.mailbox import identity

    return [r["name"] for r in agent_rows() if r["state"] == "approved" and r["name"] != name
            and identity.kind_of(r) != "service"]


def send(person: str, to: list[str], text: str, reply_to: int | None = None) -> str:
    """Mail from the person (`mail.send`, one transaction); what was sent, or ActionError."""
    from axi.errors import AxiError
    from axi.mailbox import mail, store

    try:
        mail.check_body(text)
        conn = store.connect()
        me = _me(conn, person)
        if me is None:
            raise actions.ActionError(f"no mailbox identity named {person!r}")
        sent = mail.send(conn, me, mail.Outgoing(to=to, body=text, reply_to=reply_to))
    except AxiError as exc:
        raise actions.ActionError(str(exc)) from None
    return f"sent #{sent.get('id', '?')}" + (f" to {', '.join(sent['to'])}"
                                             if isinstance(sent.get("to"), list) else "")


def reply(person: str, message_id: int, text: str) -> str:
    return send(person, [], text, reply_to=message_id)


def mark_read(person: str, message_id: int) -> None:
    from axi.mailbox import mail, store

    conn = store.connect()
    me = _me(conn, person)
    if me:
        mail.mark(conn, me[0], [message_id], ack=False)
