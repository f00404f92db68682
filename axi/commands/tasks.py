"""`axi tasks`: the ownership ledger (list, create, view, update)."""

from __future__ import annotations

import click

from axi import views
from axi.commands.caller import caller, mail_row
from axi.commands.tree import AxiCommand, AxiGroup, as_option
from axi.errors import UsageFault
from axi.mailbox import mail
from axi.mailbox import tasks as ledger
from axi.sqlite import sqlite3

LIST_FIELDS = ["id", "status", "priority", "owner", "title"]
ALL_FIELDS = LIST_FIELDS + ["creator", "intent", "thread", "age", "created", "updated"]
THREAD_FIELDS = ["id", "from", "age", "state", "text"]
THREAD_SHOWN = 10


@click.group(cls=AxiGroup, invoke_without_command=True, examples=(
    "axi tasks", 'axi tasks create "fix the login test" --assign @bob',
    "axi tasks update 3 --status done"))
@click.option("--all", "everyone", is_flag=True, help="Every agent's tasks, not just yours.")
@click.option("--status", type=click.Choice(ledger.STATUSES),
              help="Only this status (default: open, doing, blocked).")
@click.option("--fields", metavar="F", help=f"Add fields: {','.join(ALL_FIELDS)}.")
@click.option("--limit", type=int, default=20, show_default=True, help="Rows to show.")
@as_option
@click.pass_context
def tasks(ctx: click.Context, everyone: bool, status: str | None, fields: str | None,
          limit: int, as_name: str | None) -> object:
    """Tasks you own or created that are still open, most urgent first."""
    if ctx.invoked_subcommand is not None:
        return None
    views.check_limit(limit)
    chosen = views.parse_fields(fields, LIST_FIELDS, ALL_FIELDS, "axi tasks")
    conn, me = caller(as_name)
    rows, total = ledger.listing(conn, me["id"], everyone, status, limit)
    whose = "" if everyone else f" for @{me['name']}"
    state = status or "open"
    if not rows:
        return {"tasks": f"0 {state} tasks{whose}",
                "help": [views.hint(views.command("tasks", "create", "<title>", "--assign",
                                                  "<agent>"), "creates one")]}
    data = {"count": views.count_line(len(rows), total) + f" {state}{whose}",
            "tasks": [task_row(r, chosen) for r in rows],
            "help": [views.hint(views.command("tasks", "view", "<id>"), "shows one task"),
                     views.hint(views.command("tasks", "update", "<id>", "--status", "done"),
                                "closes it")]}
    return data


def task_row(row: sqlite3.Row, fields: list[str]) -> dict:
    values = {
        "id": row["id"], "status": row["status"], "priority": row["priority"],
        "owner": f"@{row['owner_name']}", "title": views.one_line(row["title"], 120),
        "creator": f"@{row['creator_name']}", "intent": row["intent"], "thread": row["thread"],
        "age": views.age(row["created"]), "created": views.iso(row["created"]),
        "updated": views.iso(row["updated"]),
    }
    return {f: values[f] for f in fields}


def task_detail(row: sqlite3.Row) -> dict:
    data = task_row(row, ALL_FIELDS)
    data["title"] = row["title"]
    return {k: v for k, v in data.items() if v is not None}


@tasks.command(cls=AxiCommand, examples=(
    'axi tasks create "fix the login test" --assign @bob',
    'axi tasks create "write the release notes" --priority high'))
@click.argument("title")
@click.option("--assign", metavar="@AGENT", help="Owner (default: you); they get a message.")
@click.option("--priority", type=click.Choice(ledger.PRIORITIES), default="medium",
              show_default=True, help="How urgent.")
@as_option
def create(title: str, assign: str | None, priority: str, as_name: str | None) -> dict:
    """Create a task; assigning it to another agent mentions them in a message."""
    conn, me = caller(as_name)
    row, sent = ledger.create(conn, me, title, assign, priority)
    data = {"created": row["id"], "owner": f"@{row['owner_name']}", "status": row["status"],
            "priority": row["priority"]}
    if sent:
        data["message"] = sent["id"]
    data["help"] = [views.hint(views.command("tasks", "update", str(row["id"]), "--status",
                                             "done"), "closes it")]
    if sent:
        data["help"].append(views.hint(views.command("watch", flags={
            "--thread": sent["thread"], "--timeout": 300}), "waits for the owner's answer"))
    return data


@tasks.command(cls=AxiCommand, examples=("axi tasks view 3", "axi tasks view 3 --format json"))
@click.argument("task_id", metavar="ID", type=int)
@as_option
def view(task_id: int, as_name: str | None) -> dict:
    """One task: every field, and its messages you sent or received (the newest 10)."""
    conn, me = caller(as_name)
    row = ledger.get(conn, task_id)
    data = task_detail(row)
    data.update(_thread(conn, me, row))
    hints = [views.hint(views.command("tasks", "update", str(task_id), "--status", "<status>"),
                        f"changes it ({', '.join(ledger.STATUSES)})")]
    if row["thread"]:
        hints.append(views.hint(views.command("mail", "view", str(row["thread"])),
                                "shows the message that started it"))
    data["help"] = hints
    return data


def _thread(conn: sqlite3.Connection, me: sqlite3.Row, task: sqlite3.Row) -> dict:
    """The task's messages the caller can see, newest THREAD_SHOWN, oldest first."""
    rows, total = mail.task_thread(conn, me["id"], task, THREAD_SHOWN)
    if not rows:
        return {"messages": "none you sent or received"}
    data: dict = {"messages": [mail_row(conn, r, THREAD_FIELDS) for r in rows]}
    if total > len(rows):
        data["left_out"] = f"{total - len(rows)} earlier messages (`axi inbox --fields task`)"
    return data


@tasks.command(cls=AxiCommand, examples=(
    "axi tasks update 3 --status done", 'axi tasks update 3 --status blocked --note "needs a key"'))
@click.argument("task_id", metavar="ID", type=int)
@click.option("--status", type=click.Choice(ledger.STATUSES), help="The new status.")
@click.option("--note", metavar="TEXT", help="A line for the other party.")
@as_option
def update(task_id: int, status: str | None, note: str | None, as_name: str | None) -> dict:
    """Change a task's status (its creator or owner); the other party gets a message."""
    if status is None and not note:
        raise UsageFault("nothing to update: give --status or --note",
                         help=[f"example: axi tasks update {task_id} --status done"])
    conn, me = caller(as_name)
    row, already, sent = ledger.update(conn, me, task_id, status, note)
    data = {"task": row["id"], "status": row["status"], "owner": f"@{row['owner_name']}"}
    if already:
        data["already"] = True
    if sent:
        data["told"] = sent["to"]
    return data
