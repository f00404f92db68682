"""The person's tab beyond approval and replies: the person's open tasks (`axi tasks`' own
query: owned or created, open ones), and new mail written as the person to an approved
agent, through the mailbox functions `axi send` uses. Its keys are `[keys]` actions too."""

from __future__ import annotations

from mail_support import make_agent
from pick_support import SIZE, notes, screen_text, sync, type_text, until

CONFIG = {"person": {"name": "ada"}}


def picker(config: dict):
    from axi.picker.app import PickApp
    from axi.picker.keys import bindings

    return PickApp(config, bindings(config), live=False)


def mailbox(home):
    """ada (the person), bob and carol approved, dave pending, a service sender, and tasks."""
    from axi.mailbox import db, identity, tasks

    make_agent(home / "work" / "bob", "bob")
    make_agent(home / "work" / "carol", "carol")
    make_agent(home / "work" / "dave", "dave", approve=False)
    conn = db.connect()
    identity.init_service(conn, "ci")
    ada = identity.ensure_folderless(conn, "ada", "person")
    bob = identity.require(conn, "bob")
    tasks.create(conn, bob, "review the parser change", "ada", priority="high")
    tasks.create(conn, ada, "ship the release notes", "carol")
    done, _ = tasks.create(conn, bob, "an old chore", "ada")
    tasks.update(conn, bob, done["id"], "done", None)
    tasks.create(conn, bob, "carol's own work", "carol")  # neither owned nor made by ada
    return conn


@sync
async def test_the_person_tab_lists_their_open_tasks(home):
    mailbox(home)
    app = picker(CONFIG)
    async with app.run_test(size=(140, 44)) as pilot:
        await pilot.press("P")
        await pilot.pause()
        text = screen_text(app).split("Open tasks of ada (2)")[1]  # below: the task table
        assert "review the parser change" in text and "ship the release notes" in text
        assert "an old chore" not in text and "carol's own work" not in text
        await pilot.press("tab", "tab")  # agents, mail, tasks
        assert app.screen.focused.id == "tasks"
        await pilot.press("enter")
        await pilot.pause()
        assert "owner @ada, from @bob" in screen_text(app)  # the most urgent first
        assert "axi tasks update 1 --status done" in screen_text(app)


@sync
async def test_c_writes_new_mail_as_the_person_to_an_approved_agent(home):
    from axi.mailbox import identity, mail

    conn = mailbox(home)
    app = picker(CONFIG)
    async with app.run_test(size=(140, 44)) as pilot:
        await pilot.press("P", "c")
        await pilot.pause()
        text = screen_text(app)
        assert "Write as ada to:" in text and "bob" in text and "carol" in text
        assert "dave" not in text.split("Write as ada to:")[1]  # pending: not yet
        await pilot.press("down", "enter")  # carol
        await pilot.pause()
        assert "Mail to @carol as ada" in screen_text(app)
        await type_text(pilot, "the notes are due friday")
        await pilot.press("enter")
        await until(pilot, lambda: "sent #" in notes(app) and "to @carol" in notes(app))
    carol = identity.require(conn, "carol")
    got = mail.inbox_rows(conn, carol["id"])
    assert ("ada", "the notes are due friday") in [(m["sender_name"], m["body"]) for m in got]


@sync
async def test_the_person_tabs_keys_are_rebindable(home):
    conn = mailbox(home)
    config = {**CONFIG, "keys": {"compose": "w", "next_table": "ctrl+t", "down": "ctrl+n"}}
    app = picker(config)
    async with app.run_test(size=(140, 44)) as pilot:
        await pilot.press("P", "c")
        await pilot.pause()
        assert "Write as ada" not in screen_text(app)
        await pilot.press("ctrl+t", "ctrl+t")
        assert app.screen.focused.id == "tasks"
        await pilot.press("ctrl+n")
        assert app.screen.focused.cursor_row == 1
        assert " w write" in screen_text(app)  # the footer shows the key in force
        await pilot.press("w")
        await pilot.pause()
        assert "Write as ada to:" in screen_text(app)
    conn.close()


@sync
async def test_c_with_no_one_to_write_to_says_so(home):
    app = picker(CONFIG)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("P", "c")
        await until(pilot, lambda: "no approved agent to write to" in notes(app))
