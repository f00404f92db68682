"""The person's tab: agent identities (approval state, listening, unread mail), approving a
pending one with its origin code shown, the mail addressed to the person, their open tasks,
and writing new mail as them.

The person is the mailbox identity named `[person] name` (default: the login name), a
built-in identity with no folder (`kind` person) created the first time the picker opens on
a mailbox, or the first time someone mails it. Codes are shown here because the picker only
runs on a person's terminal (`axi pick` checks it). The reads and writes are in
`person_data.py`; the keys are `[keys]` actions of the person scope (keys.py).
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Label, Static

from axi import views
from axi.paths import tilde
from axi.picker import actions
from axi.picker import person_data as data
from axi.picker.keys import PERSON
from axi.picker.screens import Choose, Confirm, Prompt
from axi.picker.table import action_bindings
from axi.sqlite import sqlite3

TABLES = ("agents", "mail", "tasks")
PRIORITY_STYLE = {"urgent": "bold red", "high": "yellow"}


class PersonScreen(Screen):
    """Agents above, then the person's mail, then their open tasks."""

    # Ids are the `[keys]` actions: the app's keymap moves them here as on the table.
    BINDINGS = [*action_bindings(PERSON, where=""),
                Binding("enter", "open", "read", show=True),
                Binding("escape", "back", "sessions", show=True),
                Binding("P", "back", show=False, id="person"),
                Binding("q", "back", show=False, id="quit"),
                Binding("j", "cursor(1)", show=False, id="down"),
                Binding("k", "cursor(-1)", show=False, id="up")]

    def __init__(self, config: dict):
        super().__init__()
        self.person = data.person_name(config)
        self.agents: list[sqlite3.Row] = []
        self.mail: list[sqlite3.Row] = []
        self.tasks: list[sqlite3.Row] = []

    def compose(self) -> ComposeResult:
        with Vertical(id="person"):
            yield Label("Agents", classes="title")
            yield DataTable(id="agents", cursor_type="row", zebra_stripes=True)
            yield Label(f"Mail to {self.person}", classes="title", id="mail-title")
            yield DataTable(id="mail", cursor_type="row")
            yield Label(f"Open tasks of {self.person}", classes="title", id="tasks-title")
            yield DataTable(id="tasks", cursor_type="row")
            yield Static("", id="letter")
        yield Footer()

    def on_mount(self) -> None:
        agents = self.query_one("#agents", DataTable)
        agents.add_columns("NAME", "STATE", "CODE", "LISTENING", "UNREAD", "SEEN", "FOLDER")
        self.query_one("#mail", DataTable).add_columns("ID", "FROM", "AGE", "STATE", "TEXT")
        self.query_one("#tasks", DataTable).add_columns("ID", "PRIORITY", "STATUS", "OWNER",
                                                        "FROM", "AGE", "TITLE")
        self.refill()
        agents.focus()

    def refill(self) -> None:
        from axi.mailbox import identity

        data.ensure_person(self.person)
        self.agents = data.agent_rows()
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
        self.mail = data.mail_rows(self.person)
        box = self.query_one("#mail", DataTable)
        box.clear()
        for m in self.mail:
            box.add_row(str(m["id"]), m["sender_name"], views.age(m["created"]) or "",
                        "unread" if m["read_at"] is None else "read",
                        views.one_line(m["body"], 70), key=str(m["id"]))
        self.fill_tasks()
        if not self.agents:
            self.query_one("#letter", Static).update("no agents yet: `axi agents init <name>` "
                                                     "in an agent's folder creates one")

    def fill_tasks(self) -> None:
        self.tasks, total = data.task_rows(self.person)
        table = self.query_one("#tasks", DataTable)
        table.clear()
        for t in self.tasks:
            table.add_row(str(t["id"]), Text(t["priority"], PRIORITY_STYLE.get(t["priority"],
                                                                               "")),
                          t["status"], t["owner_name"], t["creator_name"],
                          views.age(t["updated"]) or "", views.one_line(t["title"], 60),
                          key=str(t["id"]))
        more = f", the first {len(self.tasks)} shown" if total > len(self.tasks) else ""
        self.query_one("#tasks-title", Label).update(
            f"Open tasks of {self.person} ({total}{more})")

    def selected(self, name: str) -> sqlite3.Row | None:
        """The row under the cursor of table `name` (agents, mail or tasks)."""
        rows = {"agents": self.agents, "mail": self.mail, "tasks": self.tasks}[name]
        table = self.query_one(f"#{name}", DataTable)
        return rows[min(table.cursor_row, len(rows) - 1)] if rows else None

    def selected_agent(self) -> sqlite3.Row | None:
        return self.selected("agents")

    def action_cursor(self, delta: int) -> None:
        table = self.focused if isinstance(self.focused, DataTable) else None
        if table is not None:
            table.move_cursor(row=table.cursor_row + delta)

    def action_next_table(self) -> None:
        at = TABLES.index(self.focused.id) if self.focused and self.focused.id in TABLES else -1
        self.query_one(f"#{TABLES[(at + 1) % len(TABLES)]}", DataTable).focus()

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
        """Enter on a row: a mail is opened (and marked read), a task shown whole."""
        if event.data_table.id in ("mail", "tasks"):
            self.action_open()

    def action_open(self) -> None:
        where = self.focused.id if self.focused else None
        letter = self.query_one("#letter", Static)
        if where == "mail" and self.mail:
            message = self.selected("mail")
            letter.update(Text.assemble((f"#{message['id']} from {message['sender_name']}\n",
                                         "bold"), message["body"]))
            data.mark_read(self.person, message["id"])
        elif where == "tasks" and self.tasks:
            t = self.selected("tasks")
            letter.update(Text.assemble(
                (f"task #{t['id']} ({t['priority']}, {t['status']})  ", "bold"),
                f"owner @{t['owner_name']}, from @{t['creator_name']}, updated "
                f"{views.age(t['updated']) or 'now'} ago\n", t["title"],
                f"\n`axi tasks update {t['id']} --status done` closes it"
                if t["owner_name"] == self.person else ""))

    def action_answer(self) -> None:
        """Reply to the mail under the cursor, as the person (`mail.send`, in its thread)."""
        if not self.mail:
            self.notify(f"no mail to {self.person}", severity="warning")
            return
        message = self.selected("mail")
        self._write(f"Reply to {message['sender_name']} (#{message['id']})", "your answer",
                    lambda text: data.reply(self.person, message["id"], text))

    def action_compose(self) -> None:
        """New mail as the person: choose an approved agent, then write one message."""
        names = data.recipients(self.person)
        if not names:
            self.notify("no approved agent to write to (approve one with "
                        f"{'/'.join(self.app.keymap['approve'])})", severity="warning")
            return
        agent = self.selected_agent()
        start = agent["name"] if agent is not None else None

        def chosen(name: str | None) -> None:
            if name:
                self._write(f"Mail to @{name} as {self.person}", "the message",
                            lambda text: data.send(self.person, [name], text))

        self.app.push_screen(Choose(f"Write as {self.person} to:", names, start=start), chosen)

    def _write(self, title: str, placeholder: str, send) -> None:
        def done(text: str | None) -> None:
            if text and text.strip():
                try:
                    self.notify(send(text))
                except actions.ActionError as exc:
                    self.notify(str(exc), severity="error")
                self.refill()

        self.app.push_screen(Prompt(title, placeholder), done)
