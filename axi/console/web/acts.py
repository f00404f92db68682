"""What the person does on the page, by the paths the picker takes for the same acts.

Approving and revoking call `mailbox.identity` (the picker's `A` does too: the person who
started `axi serve` at their terminal is the operator), with the origin code the page showed;
mail goes out as the person's own identity (`[person] name`, the picker's `P` tab) through
`mailbox.mail`. Answering a `needs you` and killing a session run the `axi reply` and
`axi sessions kill` commands as child processes with no terminal, exactly as the picker's keys
do, so there is no second path to either. Failures are `AxiError`s, which the page shows with
their fix.
"""

from __future__ import annotations

import re

from axi.errors import AxiError, UsageFault
from axi.paths import tilde

TIMEOUT = 60.0
LAUNCH_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def approve(name: str, code: str) -> dict:
    from axi.mailbox import identity, store, tokens

    agent = identity.check_name(name)
    if not isinstance(code, str) or not code.strip():
        raise UsageFault("approving needs the origin code the page shows",
                         help=["the agent's row shows its code; approve from its drawer"])
    row, already = identity.approve(store.connect(), agent, code)
    data: dict = {"approved": row["name"], "already": already}
    if identity.kind_of(row) == "service" and not already:
        data["token_file"] = str(tilde(tokens.path_for(row["name"])))  # the path, never the token
    return data


def revoke(name: str) -> dict:
    from axi.mailbox import identity, store

    row, already = identity.revoke(store.connect(), identity.check_name(name))
    return {"revoked": row["name"], "already": already}


def person_row(conn, person: str):
    """The person's identity, created the first time (approved: the person is the operator)."""
    from axi.mailbox import identity

    row = identity.ensure_folderless(conn, person, "person")
    if identity.kind_of(row) != "person":
        raise AxiError(f"[person] name is {person!r}, which names {identity.describe(row)}",
                       code="PERSON_NAME_TAKEN",
                       help=["set another [person] name in config.toml (`axi doctor` shows "
                             "where it is), then restart `axi serve`"])
    return row


def ensure_person(person: str) -> None:
    """Mail to the person shows on the page once a mailbox exists (as the picker does)."""
    from axi.mailbox import store

    if store.exists():
        person_row(store.connect(), person)


def send(person: str, to: object, text: object, reply_to: object = None) -> dict:
    from axi.mailbox import mail, store

    names = _names(to)
    if not isinstance(text, str):
        raise UsageFault("the message needs a text", help=['example: {"to": ["bob"], '
                                                           '"text": "the build is green"}'])
    if reply_to is not None and (isinstance(reply_to, bool) or not isinstance(reply_to, int)):
        raise UsageFault("reply_to is a message id (a number)",
                         help=["open the thread and answer from it"])
    if not names and reply_to is None:
        raise UsageFault("name a recipient, or answer a message",
                         help=["type @names in To, separated by spaces"])
    conn = store.connect()
    me = person_row(conn, person)
    return mail.send(conn, me, mail.Outgoing(to=names, body=text, reply_to=reply_to))


def mark_read(person: str, ids: object) -> dict:
    from axi.mailbox import mail, store

    if not isinstance(ids, list) or not all(isinstance(i, int) and not isinstance(i, bool)
                                            for i in ids) or not ids:
        raise UsageFault("ids is a list of message ids", help=['example: {"ids": [4, 5]}'])
    conn = store.connect()
    me = person_row(conn, person)
    mine = {r[0] for r in conn.execute(
        f"SELECT message FROM deliveries WHERE recipient = ? AND message IN "
        f"({','.join('?' * len(ids))})", [me["id"], *ids])}
    marked = mail.mark(conn, me["id"], [i for i in ids if i in mine], ack=False) if mine else []
    return {"read": [m["id"] for m in marked if not m["already"]]}


def answer(launch: str, text: object) -> dict:
    """Answer the open `axi ask` of a session that needs you (`axi reply`)."""
    if not isinstance(text, str) or not text.strip():
        raise UsageFault("the answer is empty", help=["type the answer, then send it"])
    return run_axi("reply", _launch(launch), "--", text)


def kill(launch: str) -> dict:
    """Stop a session axi launched (`axi sessions kill`)."""
    return run_axi("sessions", "kill", _launch(launch))


def run_axi(*args: str) -> dict:
    """`axi ARGS --format json` as a child with no terminal; its answer, or its error."""
    from axi.control.child import run_axi as run

    return run(*args, timeout=TIMEOUT)


def _launch(launch: str) -> str:
    if not LAUNCH_ID.fullmatch(launch or ""):
        raise UsageFault(f"{launch!r} is not a launch id",
                         help=["only sessions axi launched can be answered or killed here"])
    return launch


def _names(to: object) -> list[str]:
    from axi.mailbox.identity import check_name

    if to is None:
        return []
    if isinstance(to, str):
        to = to.replace(",", " ").split()
    if not isinstance(to, list) or not all(isinstance(n, str) for n in to):
        raise UsageFault("to is a list of agent names", help=['example: ["bob", "@alice"]'])
    return [check_name(n) for n in to]
