"""The mailbox's history (schema 9): every task move and identity change appended in the
change's own transaction, a mailbox made by steps 1 to 8 migrated with everything kept, and
`axi activity` the same stream across the migration: a cursor from before resumes after it
with no gap and no repeat, listed or followed."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import time

import pytest
from mail_support import mailbox_at, make_agent

from axi.errors import AxiError
from axi.mailbox import db, identity, store, tasks

OLD_TABLES = ("agents", "messages", "deliveries", "tasks", "context", "launches", "runs",
              "asks", "session_tags", "progress")


def old_mailbox(home, now: float) -> None:
    """A mailbox as axi left it at schema 8: alice and bob approved, carol pending, the
    person, dave revoked; task #1 moved once, #2 never; a message read."""
    old = mailbox_at(8)
    rows = (("alice", "approved", now - 90, now - 89, None, "agent"),
            ("bob", "approved", now - 80, now - 79, None, "agent"),
            ("carol", "pending", now - 70, None, None, "agent"),
            ("ada", "approved", now - 60, now - 60, None, "person"),
            ("dave", "revoked", now - 58, now - 57, now - 20, "agent"))
    for name, state, created, approved, revoked, kind in rows:
        folder = str(home / name) if kind == "agent" else ""
        origin = identity.current_origin(folder or "/", name if kind == "person" else "")
        old.execute("INSERT INTO agents (name, state, origin, host, user, folder, tag, created, "
                    "approved, revoked, kind) VALUES (?, ?, ?, ?, ?, ?, '', ?, ?, ?, ?)",
                    (name, state, origin.fingerprint(), origin.host, origin.user, folder,
                     created, approved, revoked, kind))
    old.execute("INSERT INTO tasks (title, creator, assignee, status, priority, created, "
                "updated) VALUES ('fix the build', 1, 2, 'doing', 'high', ?, ?)",
                (now - 50, now - 40))
    old.execute("INSERT INTO tasks (title, creator, assignee, status, priority, created, "
                "updated) VALUES ('write the notes', 1, 1, 'open', 'low', ?, ?)",
                (now - 30, now - 30))
    old.execute("INSERT INTO messages (sender, body, thread, created) VALUES (1, 'hi', 1, ?)",
                (now - 45,))
    old.execute("INSERT INTO deliveries (message, recipient, reason, read_at) VALUES "
                "(1, 2, 'to', ?)", (now - 44,))
    old.close()


def dump(conn: sqlite3.Connection) -> dict:
    return {t: [tuple(r) for r in conn.execute(f"SELECT * FROM {t} ORDER BY rowid")]
            for t in OLD_TABLES}


def stream(kinds: tuple[str, ...] = (), after: str | None = None) -> list[dict]:
    """The events as `--follow` gives them, each with its cursor (what `axi activity
    --limit 100 --kind ... --after ...` lists)."""
    from axi.console.activity import Filters, kinds_for, parse_cursor, select

    shown, total = select(Filters(kinds=kinds_for(kinds)), None,
                          parse_cursor(after) if after else None, 100)
    assert len(shown) == total
    return [e.record() for e in shown]


@pytest.mark.sqlite_only
def test_migration_9_keeps_a_mailbox_made_by_steps_1_to_8(home, axi, monkeypatch):
    import os

    now = float(os.environ["AXI_NOW"])
    old_mailbox(home, now)
    raw = sqlite3.connect(db.mailbox_path())
    kept = dump(raw)
    raw.close()
    listed = axi("activity", "--limit", "100")
    before = stream()  # read-only: it does not migrate the mailbox
    check = sqlite3.connect(db.mailbox_path())
    assert db.schema_version(check) == 8
    check.close()
    assert [(e["kind"], e["who"]) for e in before] == [
        ("agent.pending", "@alice"), ("agent.approved", "@alice"),
        ("agent.pending", "@bob"), ("agent.approved", "@bob"),
        ("agent.pending", "@carol"), ("agent.pending", "@ada"), ("agent.approved", "@ada"),
        ("agent.pending", "@dave"), ("agent.approved", "@dave"),
        ("task.created", "@alice"), ("mail.sent", "@alice"), ("mail.read", "@bob"),
        ("task.updated", "task #1"), ("task.created", "@alice"), ("agent.revoked", "@dave")]

    conn = store.connect()  # migrates
    assert db.schema_version(conn) == db.LATEST >= 9
    assert dump(conn) == kept  # every row as it was
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    copied = conn.execute("SELECT task, agent, change, state FROM history ORDER BY id").fetchall()
    assert [tuple(r) for r in copied] == [
        (1, None, "created", "open"), (2, None, "created", "open"), (1, None, "status", "doing"),
        *[(None, n, "pending", "pending") for n in (1, 2, 3, 4, 5)],
        *[(None, n, "approved", "approved") for n in (1, 2, 4, 5)],
        (None, 5, "revoked", "revoked")]
    assert stream() == before  # the same events, the same cursors
    assert axi("activity", "--limit", "100").stdout == listed.stdout

    # it goes on from there: a cursor from before the migration resumes exactly
    monkeypatch.setenv("AXI_NOW", str(now + 5))
    alice = identity.require(conn, "alice")
    tasks.update(conn, alice, 1, "done", None)
    monkeypatch.setenv("AXI_NOW", str(now + 6))
    identity.approve(conn, "carol", identity.confirm_code(identity.require(conn, "carol")))
    resumed = stream(after=before[-1]["cursor"])
    assert [(e["kind"], e["who"], e["what"]) for e in resumed] == [
        ("mail.sent", "@alice", "message #2 to @bob (task, task #1)"),
        ("task.updated", "@alice", "task #1 now done (@bob's)"),
        ("agent.approved", "@carol", "approved")]
    after = stream()
    assert after == before + resumed
    # the move from before the migration is still there after a newer one
    assert [e["what"] for e in stream(("task.updated",))] == [
        "now doing (@bob's)", "task #1 now done (@bob's)"]


def test_every_change_is_recorded_in_its_own_transaction(home):
    make_agent(home / "a", "alice")
    make_agent(home / "b", "bob")
    conn = store.connect()
    alice, bob = identity.require(conn, "alice"), identity.require(conn, "bob")
    task, _ = tasks.create(conn, alice, "one", "bob")
    make_agent(home / "m", "mallory")
    mallory = identity.require(conn, "mallory")
    count = conn.execute("SELECT count(*) FROM history").fetchone()[0]
    with pytest.raises(AxiError):  # not hers: nothing moved, nothing recorded
        tasks.update(conn, mallory, task["id"], "done", None)
    with pytest.raises(AxiError):  # no such owner: no task, no entry
        tasks.create(conn, alice, "two", "nobody")
    tasks.update(conn, bob, task["id"], "doing", None)  # recorded
    tasks.update(conn, bob, task["id"], "doing", None)  # no change: nothing recorded
    identity.approve(conn, "bob", identity.confirm_code(bob))  # already approved: nothing
    identity.revoke(conn, "mallory")
    identity.revoke(conn, "mallory")  # already revoked: nothing
    identity.init_service(conn, "ci")
    identity.ensure_folderless(conn, "ada", "person")
    rows = conn.execute("SELECT h.change, h.state, a.name AS actor, o.name AS owner, "
                        "g.name AS agent, h.folder FROM history h "
                        "LEFT JOIN agents a ON a.id = h.actor "
                        "LEFT JOIN agents o ON o.id = h.owner "
                        "LEFT JOIN agents g ON g.id = h.agent WHERE h.id > ? ORDER BY h.id",
                        (count,)).fetchall()
    assert [tuple(r) for r in rows] == [
        ("status", "doing", "bob", "bob", None, None),
        ("revoked", "revoked", None, None, "mallory", None),
        ("pending", "pending", None, None, "ci", None),
        ("created", "approved", None, None, "ada", None)]
    whole = conn.execute("SELECT count(*) FROM history h JOIN tasks t ON t.id = h.task "
                         "WHERE h.change = 'status' AND h.at = t.updated").fetchone()[0]
    assert whole == 1  # the entry and the task's row carry the same time


def test_identities_without_a_folder_read_as_what_they_are(home, axi):
    conn = store.connect()
    identity.init_service(conn, "ci")
    identity.ensure_folderless(conn, "ada", "person")
    assert [(e["who"], e["kind"], e["what"]) for e in stream(("agent",))] == [
        ("@ci", "agent.pending", "asked to join as a service sender"),
        ("@ada", "agent.approved", "approved on creation")]


@pytest.mark.sqlite_only
def test_a_follow_across_the_migration_neither_misses_nor_repeats(home, monkeypatch):
    """An old mailbox, followed live; a move written the old way (no history), then the
    migration copying it into the history, then moves written the new way."""
    monkeypatch.delenv("AXI_NOW")
    now = time.time()
    old_mailbox(home, now - 100)
    follow = subprocess.Popen([sys.executable, "-m", "axi", "activity", "--follow", "--kind",
                               "task", "--kind", "agent", "--timeout", "30s"],
                              stdout=subprocess.PIPE, text=True)
    try:
        time.sleep(1.5)  # it starts at now
        raw = sqlite3.connect(db.mailbox_path(), isolation_level=None)
        raw.execute("UPDATE tasks SET status = 'blocked', updated = ? WHERE id = 1",
                    (time.time(),))  # what axi at schema 8 wrote
        raw.close()
        lines = [json.loads(follow.stdout.readline())]  # seen before the migration
        conn = store.connect()  # the migration copies that move into the history
        time.sleep(1.5)  # a look or more after it
        alice = identity.require(conn, "alice")
        tasks.update(conn, alice, 1, "done", None)
        identity.approve(conn, "carol", identity.confirm_code(identity.require(conn, "carol")))
        lines += [json.loads(follow.stdout.readline()) for _ in range(2)]
        time.sleep(2.5)  # anything repeated would come now
        follow.kill()
        rest = follow.stdout.read()
    finally:
        follow.kill()
        follow.wait()
    assert rest == ""
    assert [(e["kind"], e["who"], e["what"]) for e in lines] == [
        ("task.updated", "task #1", "now blocked (@bob's)"),
        ("task.updated", "@alice", "task #1 now done (@bob's)"),
        ("agent.approved", "@carol", "approved")]
    listed = subprocess.run([sys.executable, "-m", "axi", "activity", "--kind", "task",
                             "--kind", "agent", "--format", "json", "--after",
                             lines[0]["cursor"]], capture_output=True, text=True, timeout=60)
    data = json.loads(listed.stdout)
    assert [(e["kind"], e["who"], e["what"]) for e in data["events"]] == [
        (e["kind"], e["who"], e["what"]) for e in lines[1:]]
    assert data["cursor"] == lines[-1]["cursor"]
