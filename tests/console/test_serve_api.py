"""`axi serve`'s endpoints over plain HTTP against the real server: what each one reads, the
live activity stream, and what the person does there."""

from __future__ import annotations

import contextlib
import http.client
import json
import socket
import threading
import time

from mail_support import axi_proc, code_of
from serve_support import wait_until

from axi.mailbox import db, identity, mail

# ---- reading ------------------------------------------------------------------------------------

def test_sessions_are_the_rows_axi_sessions_shows(served, axi):
    status, _, body = served.get("/api/sessions")
    assert status == 200 and body["total"] == 22 and len(body["sessions"]) == 22
    row = next(s for s in body["sessions"] if s["id"] == "d1c9ea04")
    assert row["title"] == "Describe main.rs briefly" and row["harness"] == "claude"
    # the recorded folder does not exist here: shown as every list shows it (axi/dirmap.py)
    assert row["dir"] == "!/home/dev/work/projB" and row["full_id"].startswith("d1c9ea04")
    listed = axi("sessions", "--all", "--limit", "100", "--fields", "status", "--format", "json")
    cli = {s["id"]: s["status"] for s in listed.data["sessions"]}
    assert {s["id"]: s["status"] for s in body["sessions"]} == cli


def test_agents_mail_tasks_runs_and_activity(served, served_mail):
    person = served_mail["person"]
    status, _, body = served.get("/api/overview")
    assert status == 200 and body["person"] == person
    agents = {a["name"]: a for a in served.get("/api/agents")[2]["agents"]}
    assert agents["frontbot"]["state"] == "pending"
    assert agents["frontbot"]["code"] == code_of("frontbot")
    assert agents["frontbot"]["folder"] == "~/work/front"
    assert agents["alice"]["code"] is None and agents["alice"]["state"] == "approved"
    assert agents[person]["you"] and agents[person]["unread"] == 1
    assert list(agents)[0] == "frontbot"  # pending first
    threads = served.get("/api/mail")[2]["threads"]
    assert [t["from"] for t in threads] == ["alice", "alice"]  # the task's mention is newer
    assert threads[0]["subject"].startswith("@bob task #1") and threads[0]["with"] == [
        "alice", "bob"]
    mine = threads[1]
    assert mine["subject"] == "may I deploy? line two" and mine["unread_to_you"] == 1
    assert mine["yours"] and mine["messages"] == 1
    status, _, one = served.get(f"/api/mail/{mine['thread']}")
    assert one["messages"][0]["text"] == "may I deploy?\nline two"
    assert one["messages"][0]["to_you"] == "unread" and one["messages"][0]["from"] == "alice"
    status, _, missing = served.get("/api/mail/999")
    assert status == 404 and missing["code"] == "NOT_FOUND"
    tasks = served.get("/api/tasks")[2]
    assert tasks["total"] == 1 and tasks["tasks"][0]["owner"] == "bob"
    assert served.get("/api/runs")[2] == {"total": 0, "runs": []}
    wanted = {"agent.pending", "agent.approved", "mail.sent", "task.created"}
    events: dict = {}

    def listed() -> bool:  # the list stops a second back, where the live stream starts
        events.update(served.get("/api/activity")[2])
        return wanted <= {e["kind"] for e in events["events"]}

    wait_until(listed)
    assert events["after"] == events["events"][-1]["cursor"]
    assert "may I deploy" not in json.dumps(events)  # the stream never carries a body


def test_hostile_text_reaches_the_page_only_as_plain_text(served, served_mail):
    conn = db.connect()
    alice = identity.require(conn, "alice")
    mail.send(conn, alice, mail.Outgoing(to=[served_mail["person"]],
                                         body="<script>alert(1)</script>\u202eevil\x07"))
    status, _, body = served.get("/api/mail")
    subject = body["threads"][0]["subject"]
    assert "\u202e" not in subject and "\x07" not in subject and "<script>" in subject


# ---- the live stream ----------------------------------------------------------------------------

def stream(served, after: str | None = None, last_id: str | None = None):
    """Read the SSE stream in a thread; returns (events seen so far, connection)."""
    seen: list[dict] = []
    path = "/api/events" + (f"?after={after}" if after else "")
    conn = http.client.HTTPConnection("127.0.0.1", served.port, timeout=30)
    headers = {"X-Axi-Token": served.token, "Host": served.host}
    if last_id:
        headers["Last-Event-ID"] = last_id
    conn.request("GET", path, headers=headers)
    answer = conn.getresponse()
    assert answer.status == 200 and answer.getheader("content-type").startswith(
        "text/event-stream")

    def read() -> None:
        event: dict = {}
        try:
            for raw in answer:
                line = raw.decode().rstrip("\n")
                if line.startswith("id: "):
                    event["id"] = line[4:]
                elif line.startswith("data: "):
                    event["data"] = json.loads(line[6:])
                elif not line and "data" in event:
                    seen.append(event)
                    event = {}
        except (OSError, ValueError, AttributeError, http.client.HTTPException):
            return

    threading.Thread(target=read, daemon=True).start()
    return seen, conn


def hang_up(conn: http.client.HTTPConnection) -> None:
    """Close a stream another thread is reading: shut the socket first, which wakes it."""
    with contextlib.suppress(OSError, AttributeError):
        conn.sock.shutdown(socket.SHUT_RDWR)
    conn.close()


def test_the_stream_shows_an_axi_send_live_and_resumes_without_gap(served, served_mail,
                                                                   corpus_home):
    after = served.get("/api/activity")[2]["after"]
    seen, conn = stream(served, after)
    sent_at = time.monotonic()
    code, data = axi_proc("send", "@bob", "the build is green", cwd=corpus_home)
    assert code == 0, data
    what = f"message #{data['sent']} to @bob"
    wait_until(lambda: any(e["data"]["what"] == what for e in seen))
    took = time.monotonic() - sent_at
    assert took < 5, took
    event = next(e for e in seen if e["data"]["what"] == what)
    assert event["data"]["kind"] == "mail.sent"
    assert event["id"] == event["data"]["cursor"] and event["data"]["who"] == "@alice"
    assert "green" not in json.dumps(seen)
    hang_up(conn)
    # a reconnect with Last-Event-ID resumes after that event: nothing repeated, nothing lost
    axi_proc("send", "@bob", "and deployed", cwd=corpus_home)
    again, conn = stream(served, after, last_id=event["id"])
    wait_until(lambda: any(e["data"]["kind"] == "mail.sent" for e in again))
    time.sleep(1.5)
    hang_up(conn)
    sent = [e for e in again if e["data"]["kind"] == "mail.sent"]
    assert len(sent) == 1 and sent[0]["id"] > event["id"]


def test_a_bad_cursor_is_a_clear_error(served):
    status, _, body = served.get("/api/events?after=nonsense")
    assert status == 400 and body["code"] == "USAGE" and "cursor" in body["error"]


# ---- acting -------------------------------------------------------------------------------------

def test_approve_needs_the_code_and_revoke_works(served, served_mail):
    status, _, body = served.post("/api/agents/frontbot/approve", {"code": "000000"})
    assert status == 409 and body["code"] == "CONFIRM_MISMATCH"
    status, _, body = served.post("/api/agents/frontbot/approve", {})
    assert status == 400 and body["code"] == "USAGE"
    code = code_of("frontbot")
    assert served.post("/api/agents/frontbot/approve", {"code": code})[2]["already"] is False
    assert served.post("/api/agents/frontbot/approve", {"code": code})[2]["already"] is True
    status, _, body = served.post("/api/agents/frontbot/revoke")
    assert status == 200 and body == {"revoked": "frontbot", "already": False}
    assert identity.require(db.connect(), "frontbot")["state"] == "revoked"
    status, _, body = served.post("/api/agents/nobody/revoke")
    assert status == 404 and body["code"] == "NOT_FOUND"
    status, _, body = served.post("/api/agents/Bad%20Name!/revoke")
    assert status == 400


def test_mail_as_the_person(served, served_mail):
    person = served_mail["person"]
    status, _, body = served.post("/api/mail/send", {"to": ["@alice", "bob"], "text": "hi all"})
    assert status == 200 and body["to"] == ["@alice", "@bob"]
    conn = db.connect()
    row = conn.execute("SELECT s.name FROM messages m JOIN agents s ON s.id = m.sender "
                       "WHERE m.id = ?", (body["id"],)).fetchone()
    assert row[0] == person
    status, _, body = served.post("/api/mail/send", {"reply_to": served_mail["message"],
                                                     "text": "yes, go ahead"})
    assert status == 200 and body["to"] == ["@alice"]
    status, _, body = served.post("/api/mail/read", {"ids": [served_mail["message"]]})
    assert body == {"read": [served_mail["message"]]}
    assert served.get("/api/agents")[2]["agents"]
    for bad, code in (({"to": ["alice"], "text": "  "}, "USAGE"),
                      ({"to": ["nobody"], "text": "hello"}, "NOT_FOUND"),
                      ({"text": "to whom?"}, "USAGE"),
                      ({"to": "alice", "text": 5}, "USAGE")):
        status, _, body = served.post("/api/mail/send", bad)
        assert body["code"] == code and status in (400, 404), bad
    status, _, body = served.post("/api/mail/send", {"to": ["alice"], "text": "x" * 300_000})
    assert status == 400 and "256 KiB" in body["error"]


def test_answer_a_session_that_needs_you(served, corpus_home):
    from control_support import pending_question

    from axi.control import records

    launch = pending_question(corpus_home, "which database?")
    status, _, body = served.post(f"/api/sessions/{launch}/answer", {"text": "sqlite"})
    assert status == 200 and body["answer"] == "sqlite" and body["question"] == "which database?"
    ask = records.open_asks(records.connect(), [launch])
    assert ask == []
    status, _, body = served.post(f"/api/sessions/{launch}/answer", {"text": "again"})
    assert status == 409 and body["code"] == "NO_QUESTION"
    status, _, body = served.post("/api/sessions/--help/answer", {"text": "x"})
    assert status == 400 and body["code"] == "USAGE"


def test_kill_a_session_axi_launched(served, corpus_home):
    import os
    from pathlib import Path

    from control_support import fake_config, wait_for

    from axi.control import live, records
    from axi.control.launch import Request, start

    fake_config(Path(os.environ["AXI_HOME"]))
    launch = start(Request("claude", "hello"))["id"]
    conn = records.connect()
    wait_for(lambda: live.state(records.get(conn, launch))[0] == live.LIVE)
    status, _, body = served.post(f"/api/sessions/{launch}/kill")
    assert status == 200 and body["killed"][0]["id"] == launch
    assert not live.running(records.get(conn, launch))
