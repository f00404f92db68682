"""Rights on a team mailbox are the database's own (row-level security), not only axi's: a
machine's role, connected by hand with psql or psycopg, reads only mail sent by or delivered to
its own agents and tasks they created or own, and writes only as its own agents.

alice and carol are on machine_a, bob on machine_b; the tests look at the database as
machine_b.
"""

from __future__ import annotations

import contextlib

import psycopg
import pytest

DENIED = psycopg.errors.InsufficientPrivilege


def _attempt(team, sql: str, params: tuple = ()) -> None:
    """Run `sql` as machine_b; whether it is refused or not, what it changed is checked."""
    with team.connect("machine_b") as conn, contextlib.suppress(DENIED):
        conn.execute(sql, params)


def _changes_nothing(conn, sql: str, params: tuple = ()) -> bool:
    """The statement is refused, or it matches no row the role may change."""
    try:
        return conn.execute(sql, params).rowcount == 0
    except DENIED:
        return True


@pytest.fixture
def trio(team):
    """alice and carol on machine_a, bob on machine_b; alice writes to carol and to bob, gives
    each a task, and carol answers alice. Returns the ids of what was made."""
    team.a.agent("alice")
    team.a.agent("carol")
    team.b.agent("bob")
    team.a.agent("dave", approve=False)  # pending: only machine_a may approve it
    made = {}
    for key, who, args in (
            ("to_carol", "alice", ("send", "@carol", "for carol only")),
            ("to_bob", "alice", ("send", "@bob", "for bob")),
            ("carol_reply", "carol", ("send", "@alice", "carol to alice")),
    ):
        code, data = team.a.axi(who, *args)
        assert code == 0, data
        made[key] = data["sent"]
    for key, owner in (("task_carol", "@carol"), ("task_bob", "@bob")):
        code, data = team.a.axi("alice", "tasks", "create", f"a task for {owner}",
                                "--assign", owner)
        assert code == 0, data
        made[key] = data["created"]
    code, data = team.b.axi("bob", "send", "@alice", "bob to alice")
    assert code == 0, data
    made["from_bob"] = data["sent"]
    made.update({name: team.agent_id(name) for name in ("alice", "bob", "carol", "dave")})
    return made


def test_a_machine_reads_only_its_own_agents_mail_and_tasks(team, trio):
    bob = trio["bob"]
    with team.connect() as admin:
        mine = {r[0] for r in admin.execute(
            "SELECT id FROM messages WHERE sender = %s UNION "
            "SELECT message FROM deliveries WHERE recipient = %s", (bob, bob))}
        everything = {r[0] for r in admin.execute("SELECT id FROM messages")}
        tasks_mine = {r[0] for r in admin.execute(
            "SELECT id FROM tasks WHERE creator = %s OR assignee = %s", (bob, bob))}
    assert {trio["to_bob"], trio["from_bob"]} <= mine
    assert trio["to_carol"] not in mine and trio["carol_reply"] not in mine
    assert mine < everything  # there is mail bob may not see

    with team.connect("machine_b") as conn:
        seen = {r[0] for r in conn.execute("SELECT id FROM messages")}
        bodies = {r[0] for r in conn.execute("SELECT body FROM messages")}
        deliveries = conn.execute("SELECT message, recipient FROM deliveries").fetchall()
        tasks = {r[0] for r in conn.execute("SELECT id FROM tasks")}
        # Asked for by id, a message that is not bob's is not there either.
        direct = conn.execute("SELECT * FROM messages WHERE id = %s",
                              (trio["to_carol"],)).fetchall()
        agents = {r[0] for r in conn.execute("SELECT name FROM agents")}

    assert seen == mine
    assert "for carol only" not in bodies and "carol to alice" not in bodies
    assert deliveries and {m for m, _ in deliveries} <= mine
    assert all(recipient == bob for message, recipient in deliveries
               if message not in (trio["from_bob"],))
    assert tasks == tasks_mine == {trio["task_bob"]}
    assert direct == []
    assert {"alice", "bob", "carol", "dave"} <= agents  # the directory is the team's


def test_a_machine_cannot_change_another_machines_deliveries(team, trio):
    with team.connect("machine_b") as conn:
        for message in (trio["to_carol"], trio["carol_reply"], trio["from_bob"]):
            # alice's and carol's deliveries, including of bob's own message to alice
            assert _changes_nothing(conn, "UPDATE deliveries SET read_at = 1, acked_at = 1 "
                                    "WHERE message = %s AND recipient <> %s",
                                    (message, trio["bob"]))
        assert _changes_nothing(conn, "UPDATE deliveries SET read_at = 1 WHERE recipient <> %s",
                                (trio["bob"],))
    with team.connect() as admin:
        untouched = admin.execute("SELECT count(*) FROM deliveries WHERE recipient <> %s AND "
                                  "(read_at IS NOT NULL OR acked_at IS NOT NULL)",
                                  (trio["bob"],)).fetchone()[0]
    assert untouched == 0


def test_a_machine_cannot_delete_mail(team, trio):
    with team.connect("machine_b") as conn:
        for table in ("deliveries", "messages", "tasks", "agents"):
            with pytest.raises(DENIED):
                conn.execute(f"DELETE FROM {table}")


def test_a_machine_cannot_hand_its_own_delivery_to_someone_else(team, trio):
    with team.connect("machine_b") as conn, pytest.raises(DENIED):
        conn.execute("UPDATE deliveries SET recipient = %s WHERE message = %s",
                     (trio["carol"], trio["to_bob"]))


def test_a_machine_cannot_send_as_another_machines_agent(team, trio):
    with team.connect("machine_b") as conn:
        with pytest.raises(DENIED):
            conn.execute("INSERT INTO messages (sender, body, created) VALUES (%s, %s, 0)",
                         (trio["alice"], "forged by machine_b"))
        with pytest.raises(DENIED):
            conn.execute("INSERT INTO tasks (title, creator, assignee, status, priority, "
                         "created, updated) VALUES ('forged', %s, %s, 'open', 'medium', 0, 0)",
                         (trio["alice"], trio["bob"]))
        # Nor rewrite what alice sent, or make bob's own message look like hers.
        assert _changes_nothing(conn, "UPDATE messages SET body = 'changed' WHERE sender = %s",
                                (trio["alice"],))
        with pytest.raises(DENIED):
            conn.execute("UPDATE messages SET sender = %s WHERE id = %s",
                         (trio["alice"], trio["from_bob"]))
    with team.connect() as admin:
        assert admin.execute("SELECT count(*) FROM messages WHERE body IN "
                             "('forged by machine_b', 'changed')").fetchone()[0] == 0


def test_a_machine_cannot_approve_revoke_or_take_another_machines_agent(team, trio):
    with team.connect("machine_b") as conn:
        for sql in ("UPDATE agents SET state = 'approved', approved = 1 WHERE name = 'dave'",
                    "UPDATE agents SET state = 'revoked', revoked = 1 WHERE name = 'alice'",
                    "UPDATE agents SET role = 'machine_b' WHERE name = 'alice'",
                    "UPDATE agents SET folder = '/tmp', origin = 'x' WHERE name = 'carol'"):
            assert _changes_nothing(conn, sql), sql
        with pytest.raises(DENIED):
            conn.execute("UPDATE agents SET role = 'machine_a' WHERE name = 'bob'")
        with pytest.raises(DENIED):
            conn.execute("INSERT INTO agents (name, state, origin, host, \"user\", folder, "
                         "created, role) VALUES ('eve', 'approved', 'eve-origin', 'h', 'u', "
                         "'/tmp', 0, 'machine_a')")
    with team.connect() as admin:
        states = dict(admin.execute("SELECT name, state FROM agents").fetchall())
        roles = dict(admin.execute("SELECT name, role FROM agents").fetchall())
    assert states == {"alice": "approved", "bob": "approved", "carol": "approved",
                      "dave": "pending"}
    assert roles == {"alice": "machine_a", "bob": "machine_b", "carol": "machine_a",
                     "dave": "machine_a"}


def test_the_library_cannot_approve_or_revoke_another_machines_agent(team, trio):
    from axi.errors import AxiError
    from axi.mailbox import identity, store

    with team.b.here():
        conn = store.connect()
        try:
            code = identity.confirm_code(identity.require(conn, "dave"))
            with pytest.raises(AxiError):
                identity.approve(conn, "dave", code)
            with pytest.raises(AxiError):
                identity.revoke(conn, "alice")
        finally:
            conn.close()
    with team.connect() as admin:
        states = dict(admin.execute("SELECT name, state FROM agents").fetchall())
    assert states["dave"] == "pending" and states["alice"] == "approved"


def test_axi_does_not_show_bob_mail_between_alice_and_carol(team, trio):
    code, data = team.b.axi("bob", "mail", "view", str(trio["to_carol"]))
    assert code != 0 and data["code"] == "NOT_FOUND", data
    code, data = team.b.axi("bob", "mail", "view", str(trio["to_bob"]))
    assert code == 0 and data["text"] == "for bob", data
    code, data = team.b.axi("bob", "inbox")
    assert code == 0
    assert {m["text"] for m in data["messages"]} >= {"for bob"}
    assert "for carol only" not in str(data) and "carol to alice" not in str(data)
    code, data = team.b.axi("bob", "tasks", "view", str(trio["task_carol"]))
    assert code != 0 and data["code"] == "NOT_FOUND", data
    # carol, on machine_a, reads her own
    code, data = team.a.axi("carol", "mail", "view", str(trio["to_carol"]))
    assert code == 0 and data["text"] == "for carol only", data


def _bob_sees(team) -> set[str]:
    with team.connect("machine_b") as conn:
        return {r[0] for r in conn.execute("SELECT body FROM messages")}


def test_a_machine_cannot_read_mail_by_delivering_it_to_itself(team, trio):
    """A delivery is the right to read a message: a machine adds one only to mail its own
    agents send (or can already read), never to someone else's mail after the fact."""
    _attempt(team, "INSERT INTO deliveries (message, recipient, reason) "
             "VALUES (%s, %s, 'to')", (trio["to_carol"], trio["bob"]))
    assert "for carol only" not in _bob_sees(team)
    code, data = team.b.axi("bob", "mail", "view", str(trio["to_carol"]))
    assert code != 0 and data["code"] == "NOT_FOUND", data


def test_a_machine_cannot_read_mail_by_repointing_its_own_delivery(team, trio):
    _attempt(team, "UPDATE deliveries SET message = %s WHERE message = %s AND recipient = %s",
             (trio["to_carol"], trio["to_bob"], trio["bob"]))
    assert "for carol only" not in _bob_sees(team)
    with team.connect() as admin:
        assert admin.execute("SELECT count(*) FROM deliveries WHERE message = %s",
                             (trio["to_bob"],)).fetchone()[0] == 1


def test_a_machine_cannot_write_context_as_another_machines_agent(team, trio):
    """The shared context is everyone's to read and to set, but each entry names its author:
    machine_b sets it only as bob."""
    _attempt(team, "INSERT INTO context (key, value, size, kind, author, created) "
             "VALUES ('build/status', 'green', 5, 'text', %s, 0)", (trio["alice"],))
    code, data = team.a.axi("alice", "context", "set", "owned/by/alice", "mine")
    assert code == 0, data
    _attempt(team, "UPDATE context SET value = 'rewritten' WHERE key = 'owned/by/alice'")
    with team.connect() as admin:
        rows = admin.execute("SELECT key, value, author FROM context ORDER BY key").fetchall()
    assert ("build/status", "green", trio["alice"]) not in rows
    assert ("owned/by/alice", "rewritten", trio["alice"]) not in rows
    # Setting a key someone else set is allowed: it is then bob's.
    code, data = team.b.axi("bob", "context", "set", "owned/by/alice", "now bob's")
    assert code == 0, data
    with team.connect() as admin:
        row = admin.execute("SELECT value, author FROM context WHERE key = 'owned/by/alice'"
                            ).fetchone()
    assert row == ("now bob's", trio["bob"])


def test_a_machine_cannot_post_progress_on_mail_it_cannot_read(team, trio):
    _attempt(team, "INSERT INTO progress (message, agent, at, text) "
             "VALUES (%s, %s, 0, 'planted by machine_b')", (trio["to_carol"], trio["bob"]))
    with team.connect() as admin:
        assert admin.execute("SELECT count(*) FROM progress WHERE message = %s",
                             (trio["to_carol"],)).fetchone()[0] == 0


def test_the_owner_of_a_task_cannot_rewrite_who_created_it(team, trio):
    _attempt(team, "UPDATE tasks SET creator = %s WHERE id = %s",
             (trio["carol"], trio["task_bob"]))
    with team.connect() as admin:
        creator = admin.execute("SELECT creator FROM tasks WHERE id = %s",
                                (trio["task_bob"],)).fetchone()[0]
    assert creator == trio["alice"]
