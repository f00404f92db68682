"""The team mailbox away: sends wait in this machine's outbox and go out once when it is back."""

from __future__ import annotations

import pytest
from mail_support import as_bob

from axi.mailbox import db

pytestmark = pytest.mark.postgres_only


@pytest.fixture
def server_away(pg_server):
    """Stops the server for the test's first part; `back()` starts it again (always, after)."""
    pg_server.stop()
    state = {"up": False}

    def back() -> None:
        if not state["up"]:
            pg_server.start()
            state["up"] = True
    yield back
    back()


def outbox_rows() -> list[tuple]:
    conn = db.connect()
    try:
        return [tuple(r) for r in conn.execute(
            "SELECT idem, sent_at IS NOT NULL, refused FROM outbox ORDER BY id")]
    finally:
        conn.close()


def test_a_send_waits_while_the_server_is_away_and_goes_out_once(axi, pair, monkeypatch,
                                                                 server_away):
    queued = axi("send", "@bob", "while you were out", "--idem", "k1")
    assert queued.code == 0, queued.stdout
    assert queued.data["queued"] == ["@bob"] and queued.data["idem"] == "k1"
    assert "cannot be reached" in queued.data["reason"]
    mentioned = axi("send", "hello @bob, again")
    assert mentioned.data["queued"] == ["@bob"] and mentioned.data["idem"].startswith("outbox-")
    inbox_away = axi("inbox")
    assert inbox_away.code == 1 and inbox_away.data["code"] == "MAILBOX_UNREACHABLE"
    assert [r[1] for r in outbox_rows()] == [False, False]

    server_away()
    as_bob(monkeypatch, pair)
    first = axi("inbox").data  # bob's command reaches the server: what waits goes first
    assert [m["text"] for m in first["messages"]] == ["hello @bob, again", "while you were out"]
    assert [r[1] for r in outbox_rows()] == [True, True]
    # A process killed after the team's commit and before the local mark sends it again:
    # the idempotency key keeps it one message.
    conn = db.connect()
    with db.write(conn):
        conn.execute("UPDATE outbox SET sent_at = NULL")
    conn.close()
    again = axi("inbox").data
    assert [m["id"] for m in again["messages"]] == [m["id"] for m in first["messages"]]
    assert [r[1] for r in outbox_rows()] == [True, True]


def test_a_send_the_team_refuses_is_kept_with_the_reason(axi, pair, server_away):
    assert axi("send", "@nobody", "lost?").data["queued"] == ["@nobody"]
    assert axi("send", "@bob", "fine").data["queued"] == ["@bob"]
    away = axi("mailbox", "status")
    assert away.data["code"] == "MAILBOX_UNREACHABLE"
    assert away.data["outbox"] == "2 waiting, 0 sent, 0 refused"
    server_away()
    back = axi("mailbox", "status").data
    assert back["sent_from_outbox"] == 1 and back["outbox"] == "0 waiting, 1 sent, 1 refused"
    assert outbox_rows()[0][1:] == (False, "no agent named 'nobody'; nothing was sent")
    assert axi("inbox").code == 0 and len(outbox_rows()) == 2  # kept, not sent again
