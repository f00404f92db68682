"""`axi mailbox migrate --to URL` and `axi mailbox status`: this machine's mailbox file copied
into a team database (a real PostgreSQL server, as a machine role under row-level security),
read back through the real commands as the same agents; a second copy adds nothing; the local
file keeps its mail."""

from __future__ import annotations

import re
import sqlite3

import pytest
from mail_support import as_bob, make_agent

from axi.mailbox import context, coordination, db, identity, mail, relay, tasks
from axi.mailbox.db import write

TABLES = ["agents", "messages", "deliveries", "tasks", "context", "files", "progress",
          "history"]
# What each read shows, run as alice (this folder) and as bob (bob/).
READS = [("alice", ("inbox",)), ("alice", ("tasks", "--all")), ("alice", ("mail", "view", "2")),
         ("alice", ("context", "get", "plan")), ("alice", ("context", "get", "spec")),
         ("alice", ("context", "list")), ("bob", ("inbox",)), ("bob", ("tasks",)),
         ("bob", ("mail", "view", "1")), ("alice", ("agents",))]


@pytest.fixture
def team(pg_server) -> str:
    """An empty team database at the latest schema; this machine is machine_a there."""
    return pg_server.url("machine_a", pg_server.new_database())


def fill(home) -> None:
    """A mailbox with everything in it: identities (two agents, a relay identity of another
    machine), a thread with a reply, read and acked mail, a message from before gids, a task
    moved twice, a value and a file in the shared context, progress, history."""
    make_agent(home, "alice")
    make_agent(home / "bob", "bob")
    (home / "SPEC.md").write_text("# Spec\n\ntwo tables, one index\n")
    conn = db.connect()
    alice, bob = identity.require(conn, "alice"), identity.require(conn, "bob")
    first = mail.send(conn, bob, mail.Outgoing(to=["alice"], body="hello alice, see @bob"))
    mail.send(conn, alice, mail.Outgoing(to=[], body="hi bob, on it", reply_to=first["id"],
                                         ack_required=True))
    mail.mark(conn, alice["id"], [first["id"]], ack=True)
    task, _ = tasks.create(conn, alice, "write the migration", "bob", priority="high")
    tasks.update(conn, bob, task["id"], "doing", "started")
    with write(conn):
        relay.remote_identity(conn, "carol@box", "box")
    mail.send(conn, alice, mail.Outgoing(to=["carol@box"], body="for carol over there"))
    old = mail.send(conn, bob, mail.Outgoing(to=["alice"], body="an old one, no gid"))
    with write(conn):
        conn.execute("UPDATE messages SET gid = NULL WHERE id = ?", (old["id"],))
    coordination.record_progress(conn, bob, mail.visible(conn, bob["id"], 2), "reading it")
    now = float(__import__("os").environ["AXI_NOW"])
    context.put(conn, alice, "plan", value="two tables", now=now)
    context.put(conn, bob, "spec", data=(home / "SPEC.md").read_bytes(), name="SPEC.md",
                now=now)
    mail.mark(conn, bob["id"], [2], ack=False)
    conn.close()


def reads(axi, home, monkeypatch) -> list:
    out = []
    for who, args in READS:
        if who == "bob":
            as_bob(monkeypatch, home)
        else:
            monkeypatch.chdir(home)
            monkeypatch.setenv("PWD", str(home))
        result = axi(*args)
        assert result.code == 0, (args, result.stdout)
        if args == ("agents",):  # whose each one is (a team shows its roles): not compared
            for row in result.data["agents"]:
                row.pop("machine", None)
        out.append(result.data)
    monkeypatch.chdir(home)
    monkeypatch.setenv("PWD", str(home))
    return out


def local_rows() -> dict:
    """Every row of the local mailbox but the gids (the only column the copy may fill)."""
    conn = sqlite3.connect(db.mailbox_path())
    try:
        out = {}
        for table, order in (("agents", "id"), ("messages", "id"), ("deliveries", "seq"),
                             ("tasks", "id"), ("context", "key"), ("progress", "id"),
                             ("history", "id")):
            cursor = conn.execute(f"SELECT * FROM {table} ORDER BY {order}")
            names = [d[0] for d in cursor.description]
            out[table] = [{k: v for k, v in zip(names, row, strict=True)
                           if k not in ("gid", "last_seen")} for row in cursor]
        return out
    finally:
        conn.close()


def counts(result) -> dict:
    return {r["table"]: (r["copied"], r["already"], r["total"]) for r in result.data["tables"]}


@pytest.mark.sqlite_only
def test_a_mailbox_moves_to_the_team_and_reads_the_same(axi, home, team, monkeypatch):
    fill(home)
    before = reads(axi, home, monkeypatch)
    rows = local_rows()

    result = axi("mailbox", "migrate", "--to", team)
    assert result.code == 0, result.stdout
    totals = {t: len(rows[t]) for t in rows} | {"files": 1}
    assert counts(result) == {t: (totals[t], 0, totals[t]) for t in TABLES}
    assert result.data["to"] == team
    assert any("[mailbox] url" in h for h in result.data["help"])

    again = axi("mailbox", "migrate", "--to", team)
    assert again.code == 0, again.stdout
    assert counts(again) == {t: (0, totals[t], totals[t]) for t in TABLES}

    # The local file: the same rows, one gid given to the message written before gids.
    assert local_rows() == rows
    conn = db.connect()
    assert conn.execute("SELECT count(*) FROM messages WHERE gid IS NULL").fetchone()[0] == 0
    assert conn.execute("SELECT value FROM meta WHERE key = 'mailbox_id'").fetchone()[0] == \
        result.data["mailbox_id"]
    conn.close()

    monkeypatch.setenv("AXI_MAILBOX_URL", team)
    after = reads(axi, home, monkeypatch)
    assert after == before
    status = axi("mailbox", "status")
    assert status.data["backend"] == "postgres"
    assert (status.data["agents"], status.data["messages"]) == (3, 6)
    import psycopg

    with psycopg.connect(team) as pg:
        assert pg.execute("SELECT name, machine, role, kind FROM agents ORDER BY id").fetchall() \
            == [("alice", None, "machine_a", "agent"), ("bob", None, "machine_a", "agent"),
                ("carol@box", "box", "machine_a", "builtin")]


@pytest.mark.sqlite_only
def test_new_mail_after_a_copy_is_all_a_second_copy_adds(axi, home, team):
    fill(home)
    assert axi("mailbox", "migrate", "--to", team).code == 0
    conn = db.connect()
    alice, bob = identity.require(conn, "alice"), identity.require(conn, "bob")
    sent = mail.send(conn, bob, mail.Outgoing(to=["alice"], body="one more", reply_to=1))
    make_agent(home / "dave", "dave")
    conn.close()
    second = counts(axi("mailbox", "migrate", "--to", team))
    assert second["messages"][:2] == (1, 6)
    assert second["deliveries"][0] == 1
    assert second["agents"][:2] == (1, 3)
    assert second["history"][0] == 2  # dave pending, approved; mail moves no history

    import psycopg
    with psycopg.connect(team) as pg:
        row = pg.execute("SELECT m.thread, m.reply_to, s.name FROM messages m "
                         "JOIN agents s ON s.id = m.sender WHERE m.body = 'one more'"
                         ).fetchone()
    assert row == (1, 1, "bob")
    assert sent["thread"] == 1 and alice["name"] == "alice"


@pytest.mark.sqlite_only
def test_a_name_another_machine_holds_stops_the_copy_and_copies_nothing(
        axi, home, pg_server, monkeypatch):
    fill(home)
    database = pg_server.new_database()
    monkeypatch.setenv("AXI_MAILBOX_URL", pg_server.url("machine_b", database))
    make_agent(home / "elsewhere" / "bob", "bob")  # machine_b's own bob
    monkeypatch.delenv("AXI_MAILBOX_URL")
    result = axi("mailbox", "migrate", "--to", pg_server.url("machine_a", database))
    assert result.code == 1
    assert result.data["code"] == "NAME_TAKEN"
    assert "'bob'" in result.data["error"]
    import psycopg

    with psycopg.connect(pg_server.url(pg_server.admin, database)) as pg:
        assert pg.execute("SELECT count(*) FROM agents").fetchone()[0] == 1
        assert pg.execute("SELECT count(*) FROM messages").fetchone()[0] == 0


@pytest.mark.sqlite_only
def test_a_count_that_does_not_add_up_rolls_the_copy_back(axi, home, team, monkeypatch):
    from axi.mailbox import team_copy

    fill(home)
    monkeypatch.setattr(team_copy._Copy, "progress", lambda self: None)  # one table "lost"
    result = axi("mailbox", "migrate", "--to", team)
    assert result.code == 1
    assert result.data["code"] == "MIGRATE_MISMATCH"
    assert "0 of this mailbox's 1 progress" in result.data["error"]
    import psycopg

    with psycopg.connect(team) as pg:
        assert pg.execute("SELECT count(*) FROM agents").fetchone()[0] == 0


@pytest.mark.sqlite_only
def test_migrate_refuses_what_is_not_a_postgres_url(axi, home):
    result = axi("mailbox", "migrate", "--to", "mysql://db/axi")
    assert result.code == 2
    assert result.data["code"] == "USAGE"


def scrub(text: str, tmp_path, port: int | None = None) -> str:
    text = text.replace(str(tmp_path), "<tmp>")
    from axi.mailbox import pg_schema

    # Both schemas grow with axi: not this test's matter.
    latest = db.LATEST if "backend: sqlite" in text else pg_schema.LATEST
    text = re.sub(rf"(->|bring it to) {latest}\b", r"\1 <latest>",
                  re.sub(rf"(schema|latest): {latest}\n", r"\1: <latest>\n", text))
    text = re.sub(r"latency_ms: \d+", "latency_ms: <n>", text)
    if port:
        text = text.replace(f":{port}/", ":<port>/")
    return re.sub(r"/(t\d+_\d+|fresh\d+)", "/<db>", text)


@pytest.mark.sqlite_only
def test_status_says_which_mailbox_and_that_it_answers(axi, home, pg_server, tmp_path,
                                                       monkeypatch, snapshot):
    shown = {"none yet": axi("mailbox").stdout}
    fill(home)
    local = axi("mailbox", "status")
    assert local.data["backend"] == "sqlite" and local.data["schema"] == local.data["latest"]
    shown["sqlite"] = local.stdout
    team = pg_server.url("machine_a", pg_server.new_database())
    assert axi("mailbox", "migrate", "--to", team).code == 0
    monkeypatch.setenv("AXI_MAILBOX_URL", team)
    remote = axi("mailbox", "status")
    assert remote.data["role"] == "machine_a" and remote.data["latency_ms"] >= 0
    shown["postgres"] = remote.stdout

    # The owner's first status migrates a new database; a machine's role may not.
    database = f"fresh{pg_server.port}"
    pg_server.sql(f"CREATE DATABASE {database}")
    monkeypatch.setenv("AXI_MAILBOX_URL", pg_server.url("machine_b", database))
    behind = axi("mailbox", "status")
    assert behind.code == 0 and behind.data["schema"] == 0
    shown["machine role, schema behind"] = behind.stdout
    monkeypatch.setenv("AXI_MAILBOX_URL", pg_server.url(pg_server.admin, database))
    owner = axi("mailbox", "status")
    from axi.mailbox import pg_schema

    assert owner.data["migrated"] == f"schema 0 -> {pg_schema.LATEST}"
    shown["owner, migrating"] = owner.stdout.replace(f"//{pg_server.admin}@", "//<admin>@"
                                                     ).replace(f"role: {pg_server.admin}\n",
                                                               "role: <admin>\n")

    from pg_support import free_port

    monkeypatch.setenv("AXI_MAILBOX_URL", f"postgresql://machine_a:s3cret@127.0.0.1:"
                                          f"{free_port()}/axi")
    down = axi("mailbox", "status")
    assert down.code == 1 and down.data["code"] == "MAILBOX_UNREACHABLE"
    assert "s3cret" not in down.stdout and down.data["backend"] == "postgres"
    assert down.data["from"] == "AXI_MAILBOX_URL"
    scrubbed = {k: scrub(v, tmp_path, pg_server.port) for k, v in shown.items()}
    assert scrubbed == snapshot


def test_status_on_each_backend(axi, home, backend):
    """Whichever backend the suite runs on, status names it and counts what it holds."""
    make_agent(home, "alice")
    result = axi("mailbox", "status")
    assert result.code == 0, result.stdout
    assert result.data["backend"] == backend
    assert result.data["schema"] == result.data["latest"]
    assert result.data["agents"] == 1 and result.data["messages"] == 0


@pytest.mark.sqlite_only
def test_the_teams_echo_is_this_mailboxs_echo(axi, home, pg_server, monkeypatch):
    """Built-in identities are matched by name: mail to echo joins the team's echo. Mail echo
    sent here cannot be copied when another machine's role owns the team's echo: row-level
    security refuses it, and nothing is copied."""
    make_agent(home, "alice")
    database = pg_server.new_database()
    monkeypatch.setenv("AXI_MAILBOX_URL", pg_server.url("machine_b", database))
    from axi.mailbox import store

    conn = store.connect()
    identity.ensure_folderless(conn, "echo", "builtin")  # machine_b's echo, first
    conn.close()
    monkeypatch.delenv("AXI_MAILBOX_URL")
    conn = db.connect()
    alice = identity.require(conn, "alice")
    mail.send(conn, alice, mail.Outgoing(to=["echo"], body="ping"))
    conn.close()
    to = pg_server.url("machine_a", database)
    result = axi("mailbox", "migrate", "--to", to)
    assert result.code == 0, result.stdout
    assert counts(result)["agents"] == (1, 1, 2)
    assert counts(result)["deliveries"] == (1, 0, 1)

    conn = db.connect()
    echo = identity.require(conn, "echo")
    mail.send(conn, echo, mail.Outgoing(to=["alice"], body="ping", auto=True))
    conn.close()
    refused = axi("mailbox", "migrate", "--to", to)
    assert refused.code == 1 and refused.data["code"] == "MAILBOX_DENIED"
    assert "nothing was copied" in refused.data["error"]


@pytest.mark.sqlite_only
def test_status_names_the_config_that_chose_the_team(axi, home, pg_server, tmp_path,
                                                     monkeypatch):
    url = pg_server.url("machine_a", pg_server.new_database())
    (tmp_path / "state").mkdir(exist_ok=True)
    (tmp_path / "state" / "config.toml").write_text(f'[mailbox]\nurl = "{url}"\n')
    result = axi("mailbox")
    assert result.data["backend"] == "postgres"
    assert result.data["from"] == f"[mailbox] url in {tmp_path}/state/config.toml"
    monkeypatch.setenv("AXI_MAILBOX_URL", "")  # empty: this machine's own file, whatever else
    assert axi("mailbox").data["backend"] == "sqlite"
    again = axi("mailbox", "migrate", "--to", url)
    assert again.code == 0
    monkeypatch.delenv("AXI_MAILBOX_URL")
    same = axi("mailbox", "migrate", "--to", url)
    assert same.data["help"] == ["`axi mailbox status` this machine already uses it"]
