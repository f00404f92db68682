"""The picker on sessions axi launched (the fake harness under the real holder): a question
answered with `r`, a label set with `l`, a kill with `x`, the person's approval tab."""

from __future__ import annotations

from control_support import axi_json, wait_for
from pick_support import SIZE, notes, screen_text, sync, type_text, until


def launched_and_indexed(cwd, task: str) -> str:
    """Launch the fake harness on `task`; its launch id once the index lists its session."""
    from axi.index.catalog import open_index

    launch = axi_json("sessions", "new", "claude", task, cwd=cwd)["id"]

    def indexed():
        conn, _ = open_index()
        return conn.execute("SELECT count(*) FROM sessions").fetchone()[0]

    wait_for(indexed)
    return launch


def asking(launch: str) -> bool:
    from axi.control import live, records

    return launch in live.asking_ids(records.connect(), [launch])


def picker():
    from axi.picker.app import PickApp
    from axi.picker.keys import bindings

    return PickApp({}, bindings({}), live=False)


@sync
async def test_r_answers_the_question_a_session_asks(control_home):
    launch = launched_and_indexed(control_home, "ask ship it today?")
    wait_for(lambda: asking(launch))
    app = picker()
    async with app.run_test(size=SIZE) as pilot:
        row = app.table.session()
        assert row.status == "needs you" and row.launch == launch
        assert "needs you" in screen_text(app)
        await pilot.press("r")
        await pilot.pause()
        assert "ship it today?" in screen_text(app)
        await type_text(pilot, "yes")
        await pilot.press("enter")
        await until(pilot, lambda: "answered" in notes(app))
    wait_for(lambda: not asking(launch))


@sync
async def test_l_labels_a_launched_session_and_x_kills_it_after_asking(control_home):
    launch = launched_and_indexed(control_home, "hello")
    app = picker()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("l")
        await type_text(pilot, "team=web")
        await pilot.press("enter")
        await until(pilot, lambda: "tagged 1 session" in notes(app))
        assert app.table.session().tags == {"team": "web"}
        await pilot.press("x")
        await pilot.pause()
        assert "Kill claude" in screen_text(app)
        await pilot.press("y")
        await until(pilot, lambda: "killed 1" in notes(app))
    labels = axi_json("sessions", "view", launch, cwd=control_home)
    assert labels["status"] in ("done", "crashed", "ended")


@sync
async def test_the_person_tab_approves_a_pending_agent_after_confirmation(control_home, axi):
    from axi.mailbox import db, identity

    assert axi("agents", "init", "frontend").code == 0
    row = identity.by_name(db.connect(), "frontend")
    app = picker()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("P")
        await pilot.pause()
        text = screen_text(app)
        assert "frontend" in text and "pending" in text
        assert identity.confirm_code(row) in text  # the origin code, for the person to check
        await pilot.press("A")
        await pilot.pause()
        assert "Approve agent frontend?" in screen_text(app)
        await pilot.press("n")
        await pilot.pause()
        assert identity.by_name(db.connect(), "frontend")["state"] == "pending"
        await pilot.press("A", "y")
        await pilot.pause()
        assert identity.by_name(db.connect(), "frontend")["state"] == "approved"
        assert "approved frontend" in notes(app)
        await pilot.press("escape")
        assert "HARNESS" in screen_text(app)


@sync
async def test_the_person_reads_mail_to_them_and_replies(home):
    from mail_support import make_agent

    from axi.mailbox import db, identity, mail
    from axi.picker.app import PickApp
    from axi.picker.keys import bindings

    make_agent(home / "me", "ada")
    make_agent(home / "work" / "bob", "bob")
    conn = db.connect()
    bob = identity.require(conn, "bob")
    mail.send(conn, bob, mail.Outgoing(to=["ada"], body="the build is green"))
    config = {"person": {"name": "ada"}}
    app = PickApp(config, bindings(config), live=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("P")
        await pilot.pause()
        assert "Mail to ada" in screen_text(app) and "the build is green" in screen_text(app)
        await pilot.press("tab", "enter")
        await pilot.pause()
        assert "from bob" in screen_text(app)
        await pilot.press("R")
        await type_text(pilot, "thanks")
        await pilot.press("enter")
        await pilot.pause()
        assert "sent #" in notes(app)
    ada = identity.require(conn, "ada")
    assert mail.counts(conn, ada["id"]) == (1, 0)  # read now
    bobs = mail.inbox_rows(conn, bob["id"])
    assert [m["body"] for m in bobs] == ["thanks"] and bobs[0]["reply_to"] == 1
