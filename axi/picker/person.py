"""The person's tab: agent identities (approval state, listening, unread mail), approving a
pending one with its origin code shown, and the mail addressed to the person.

The person is the mailbox identity named `[person] name` (default: the login name), a
built-in identity with no folder (`kind` person) created the first time the picker opens on
a mailbox, or the first time someone mails it. Codes are shown here because the picker only
runs on a person's terminal (`axi pick` checks it).
"""

from __future__ import annotations

import sqlite3

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Label, Static

from axi import views
from axi.paths import tilde
from axi.picker import actions
from axi.picker.screens import Confirm


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
    from axi.mailbox import db, identity

    if db.exists():
        identity.ensure_folderless(db.connect(), name, "person")


def agent_rows() -> list[sqlite3.Row]:
    from axi.mailbox import db

    if not db.exists():
        return []
    conn = db.connect()
    return conn.execute(
        "SELECT a.*, (SELECT count(*) FROM deliveries d WHERE d.recipient = a.id "
        "AND d.read_at IS NULL) AS unread FROM agents a ORDER BY a.state != 'pending', "
        "a.name").fetchall()


def mail_rows(name: str) -> list[sqlite3.Row]:
    from axi.mailbox import db, mail

    if not db.exists():
        return []
    conn = db.connect()
    me = conn.execute("SELECT id FROM agents WHERE name = ?", (name,)).fetchone()
    return mail.inbox_rows(conn, me[0], limit=200) if me else []


def reply(person: str, message_id: int, text: str) -> str:
    from axi.errors import AxiError
    from axi.mailbox import db, mail

    conn = db.connect()
    me = conn.execute("SELECT * FROM agents WHERE name = ?", (person,)).fetchone()
    if me is None:
        raise actions.ActionError(f"no mailbox identity named {person!r}")
    try:
        sent = mail.send(conn, me, mail.Outgoing(to=[], body=text, reply_to=message_id))
    except AxiError as exc:
        raise actions.ActionError(str(exc)) from None
    return f"sent #{sent.get('id', '?')}"


class PersonScreen(Screen):
    """Agents above, the person's mail below."""

    BINDINGS = [Binding("A", "approve", "approve", show=True),
                Binding("enter", "open", "read", show=True),
                Binding("R", "answer", "reply", show=True),
                Binding("tab", "switch", "agents/mail", show=True),
                Binding("escape,P,q", "back", "sessions", show=True),
                Binding("j", "cursor(1)", show=False), Binding("k", "cursor(-1)", show=False)]

    def __init__(self, config: dict):
        super().__init__()
        self.person = person_name(config)
        self.agents: list[sqlite3.Row] = []
        self.mail: list[sqlite3.Row] = []

    def compose(self) -> ComposeResult:
        with Vertical(id="person"):
            yield Label("Agents", classes="title")
            yield DataTable(id="agents", cursor_type="row", zebra_stripes=True)
            yield Label(f"Mail to {self.person}", classes="title", id="mail-title")
            yield DataTable(id="mail", cursor_type="row")
            yield Static("", id="letter")
        yield Footer()

    def on_mount(self) -> None:
        agents = self.query_one("#agents", DataTable)
        agents.add_columns("NAME", "STATE", "CODE", "LISTENING", "UNREAD", "SEEN", "FOLDER")
        self.query_one("#mail", DataTable).add_columns("ID", "FROM", "AGE", "STATE", "TEXT")
        self.refill()
        agents.focus()

    def refill(self) -> None:
        from axi.mailbox import identity

        ensure_person(self.person)
        self.agents = agent_rows()
        table = self.query_one("#agents", DataTable)
        table.clear()
        state_style = {"pending": "bold yellow", "approved": "green", "revoked": "red"}
        for row in self.agents:
            code = identity.confirm_code(row) if row["state"] != "approved" else ""
            kind = identity.kind_of(row)
            unread = "" if kind == "service" else str(row["unread"] or "")  # no inbox
            table.add_row(row["name"], Text(row["state"], state_style.get(row["state"], "")),
                          Text(code, "bold"), "yes" if identity.is_listening(row) else "",
                          unread, views.age(row["last_seen"]) or "never",
                          tilde(row["folder"]) or f"({kind})", key=row["name"])
        self.mail = mail_rows(self.person)
        box = self.query_one("#mail", DataTable)
        box.clear()
        for m in self.mail:
            box.add_row(str(m["id"]), m["sender_name"], views.age(m["created"]) or "",
                        "unread" if m["read_at"] is None else "read",
                        views.one_line(m["body"], 70), key=str(m["id"]))
        if not self.agents:
            self.query_one("#letter", Static).update("no agents yet: `axi agents init <name>` "
                                                     "in an agent's folder creates one")

    def selected_agent(self) -> sqlite3.Row | None:
        table = self.query_one("#agents", DataTable)
        if not self.agents or table.cursor_row >= len(self.agents):
            return None
        return self.agents[table.cursor_row]

    def action_cursor(self, delta: int) -> None:
        table = self.focused if isinstance(self.focused, DataTable) else None
        if table is not None:
            table.move_cursor(row=table.cursor_row + delta)

    def action_switch(self) -> None:
        other = "#mail" if self.focused and self.focused.id == "agents" else "#agents"
        self.query_one(other, DataTable).focus()

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_approve(self) -> None:
        from axi.mailbox import identity

        row = self.selected_agent()
        if row is None or row["state"] == "approved":
            self.notify("pick a pending agent to approve", severity="warning")
            return
        code = identity.confirm_code(row)
        service = identity.kind_of(row) == "service"
        where = ("service sender (no folder; approval writes its token file)" if service
                 else tilde(row["folder"]))
        question = (f"Approve agent [b]{row['name']}[/b]?\n\nfolder  {where}\n"
                    f"host    {row['host']}  user {row['user']}\ncode    [b]{code}[/b]\n\n"
                    "Approve only if this is the folder you expect.")

        def done(yes: bool | None) -> None:
            if not yes:
                self.notify("not approved")
                return
            try:
                self.notify(actions.approve(row["name"], code))
                if service:
                    from axi.mailbox import tokens

                    self.notify(f"token file: {tilde(tokens.path_for(row['name']))}")
            except actions.ActionError as exc:
                self.notify(str(exc), severity="error")
            self.refill()

        self.app.push_screen(Confirm(question), done)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        """Enter on a row: a mail is opened (and marked read)."""
        if event.data_table.id == "mail":
            self.action_open()

    def action_open(self) -> None:
        if not (self.focused and self.focused.id == "mail" and self.mail):
            return
        table = self.query_one("#mail", DataTable)
        message = self.mail[min(table.cursor_row, len(self.mail) - 1)]
        self.query_one("#letter", Static).update(
            Text.assemble((f"#{message['id']} from {message['sender_name']}\n", "bold"),
                          message["body"]))
        self._mark_read(message["id"])

    def action_answer(self) -> None:
        """Reply to the mail under the cursor, as the person (`mail.send`, in its thread)."""
        from axi.picker.screens import Prompt

        if not self.mail:
            self.notify(f"no mail to {self.person}", severity="warning")
            return
        table = self.query_one("#mail", DataTable)
        message = self.mail[min(table.cursor_row, len(self.mail) - 1)]

        def send(text: str | None) -> None:
            if text and text.strip():
                try:
                    self.notify(reply(self.person, message["id"], text))
                except actions.ActionError as exc:
                    self.notify(str(exc), severity="error")
                self.refill()

        self.app.push_screen(Prompt(f"Reply to {message['sender_name']} "
                                    f"(#{message['id']})", "your answer"), send)

    def _mark_read(self, message_id: int) -> None:
        from axi.mailbox import db, mail

        conn = db.connect()
        me = conn.execute("SELECT id FROM agents WHERE name = ?", (self.person,)).fetchone()
        if me:
            mail.mark(conn, me[0], [message_id], ack=False)
