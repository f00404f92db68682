"""`axi activity`: every kind of event, made by really doing the thing, read back from the
stores; the filters; and `--follow` resumed from a cursor with no gap and no repeat."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from mail_support import axi_proc, make_agent

from axi.console.activity import KINDS, parse_cursor
from axi.mailbox import db, identity, mail, tasks

SESSION = "5a1b2c3d-0000-4000-8000-00000000beef"
BODY = "the secret plan is in the body"


def at(monkeypatch, step: int) -> float:
    """Pin the clock `step` seconds after the fixture's NOW (each step its own time)."""
    base = float(os.environ.get("AXI_BASE") or os.environ["AXI_NOW"])
    monkeypatch.setenv("AXI_BASE", str(base))
    now = base + step
    monkeypatch.setenv("AXI_NOW", str(now))
    return now


def hook(kind: str, cwd: Path, **payload) -> None:
    body = {"session_id": SESSION, "cwd": str(cwd), "transcript_path": "/x/t.jsonl", **payload}
    proc = subprocess.run([sys.executable, "-m", "axi", "hook", kind, "--host", "claude"],
                          input=json.dumps(body), capture_output=True, text=True, timeout=60,
                          cwd=cwd)
    assert proc.returncode == 0, proc.stderr


class Clock:
    """`time.time()` for the control plane's records, pinned like `AXI_NOW`."""

    def __init__(self):
        self.now = 0.0

    def time(self) -> float:
        return self.now


def do_everything(home: Path, monkeypatch) -> dict:
    from axi.control import records

    at(monkeypatch, 1)
    make_agent(home, "alice")
    at(monkeypatch, 2)
    make_agent(home / "work" / "bob", "bob", approve=False)
    at(monkeypatch, 3)
    conn = db.connect()
    identity.approve(conn, "bob", identity.confirm_code(identity.require(conn, "bob")))
    at(monkeypatch, 4)
    make_agent(home / "work" / "mallory", "mallory")
    at(monkeypatch, 5)
    identity.revoke(conn, "mallory")
    at(monkeypatch, 5.2)  # approved again after its revocation
    identity.approve(conn, "mallory", identity.confirm_code(identity.require(conn, "mallory")))
    at(monkeypatch, 5.4)  # moved to another folder: pending again, then approved again there
    (home / "work" / "bob2").mkdir()
    identity.init(conn, "bob", str(home / "work" / "bob2"), move=True)
    at(monkeypatch, 5.6)
    identity.approve(conn, "bob", identity.confirm_code(identity.require(conn, "bob")))
    at(monkeypatch, 6)
    hook("session-start", home, hook_event_name="SessionStart", source="startup")
    at(monkeypatch, 7)
    hook("state", home, hook_event_name="Stop")
    alice, bob = identity.require(conn, "alice"), identity.require(conn, "bob")
    at(monkeypatch, 8)
    sent = mail.send(conn, alice, mail.Outgoing(to=["bob"], body=BODY, ack_required=True))
    at(monkeypatch, 9)
    mail.mark(conn, bob["id"], [sent["id"]], ack=False)
    at(monkeypatch, 10)
    mail.mark(conn, bob["id"], [sent["id"]], ack=True)
    at(monkeypatch, 11)
    task, _ = tasks.create(conn, alice, "fix the login test", "bob")
    at(monkeypatch, 12)
    tasks.update(conn, bob, task["id"], "doing", None)
    at(monkeypatch, 12.2)  # every move is kept, not only the latest
    tasks.update(conn, bob, task["id"], "blocked", "waiting on CI " + BODY)
    at(monkeypatch, 12.4)
    tasks.update(conn, alice, task["id"], None, "CI is back " + BODY)
    at(monkeypatch, 12.6)
    tasks.update(conn, bob, task["id"], "done", None)

    clock = Clock()
    monkeypatch.setattr(records, "time", clock)
    clock.now = at(monkeypatch, 13)
    ctl = records.connect()
    with db.write(ctl):
        records.join_run(ctl, "r-demo", SESSION, "ship it", {}, {})
        records.insert_launch(ctl, {
            "id": SESSION, "session": SESSION, "harness": "claude", "mode": "headless",
            "run": "r-demo", "depth": 1, "dir": str(home), "spec": "{}", "name": "builder",
            "labels": '{"test": "no process"}', "created": clock.now})
    clock.now = at(monkeypatch, 14)
    ask_id = records.ask(ctl, SESSION, "which database? " + BODY, "question")
    clock.now = at(monkeypatch, 15)
    records.answer(ctl, ask_id, "sqlite " + BODY)
    clock.now = at(monkeypatch, 16)
    records.update(ctl, SESSION, ended=clock.now, exit_code=0, end_reason="done",
                   outcome="accepted", outcome_at=clock.now + 1)
    clock.now = at(monkeypatch, 18)
    records.conclude_run(ctl, "r-demo", "done", "every session ended", {})
    at(monkeypatch, 19)
    hook("session-end", home, hook_event_name="SessionEnd", reason="prompt_input_exit")
    at(monkeypatch, 20)
    from axi.mailbox import coordination

    handled = coordination.run_handler(
        ["sh", "-c", "echo 'axi-progress: reading it'; echo done"],
        mail.visible(conn, bob["id"], sent["id"]), bob, 30,
        on_progress=lambda said: coordination.record_progress(
            conn, bob, {"id": sent["id"]}, said))
    assert handled.reply == "done"
    return {"message": sent["id"], "task": task["id"]}


def test_every_kind_from_really_doing_it(axi, home, monkeypatch, snapshot):
    do_everything(home, monkeypatch)
    every = axi("activity", "--limit", "100")
    assert every.code == 0, every.stdout
    kinds = [e["kind"] for e in every.data["events"]]
    assert set(kinds) == set(KINDS)
    times = [e["time"] for e in every.data["events"]]
    assert times == sorted(times)
    full = axi("activity", "--limit", "100", "--format", "json")
    for result in (every, full):
        assert "secret" not in result.stdout and "sqlite" not in result.stdout

    def kinds_of(*flags):
        data = axi("activity", "--limit", "100", *flags).data
        return [e["kind"] for e in data["events"]] if isinstance(data["events"], list) else []

    # the task's creation and each of its four moves tell the other party by mail
    assert kinds_of("--kind", "mail") == ["mail.sent", "mail.read", "mail.acked"] + [
        "mail.sent"] * 5 + ["mail.progress"]
    assert kinds_of("--kind", "task.updated", "--kind", "run.concluded") == [
        "task.updated"] * 4 + ["run.concluded"]
    # every move, who made it, never the note's text
    moves = axi("activity", "--kind", "task").data["events"]
    assert [(e["who"], e["what"]) for e in moves] == [
        ("@alice", "task #1 for @bob (medium): fix the login test"),
        ("@bob", "task #1 now doing (@bob's)"),
        ("@bob", "task #1 now blocked (@bob's)"),
        ("@alice", "task #1 got a note, still blocked (@bob's)"),
        ("@bob", "task #1 now done (@bob's)")]
    # every approval, revocation and move of an identity, the re-approvals too
    changes = axi("activity", "--kind", "agent", "--limit", "100").data["events"]
    assert [(e["who"], e["kind"], e["what"]) for e in changes if e["who"] != "@alice"] == [
        ("@bob", "agent.pending", "asked to join from ~/work/bob"),
        ("@bob", "agent.approved", "approved"),
        ("@mallory", "agent.pending", "asked to join from ~/work/mallory"),
        ("@mallory", "agent.approved", "approved"),
        ("@mallory", "agent.revoked", "revoked"),
        ("@mallory", "agent.approved", "approved"),
        ("@bob", "agent.pending", "moved to ~/work/bob2: asks to join again"),
        ("@bob", "agent.approved", "approved")]
    assert "agent.revoked" not in kinds_of("--agent", "bob")
    assert "mail.read" in kinds_of("--agent", "bob")
    assert set(kinds_of("--agent", "alice")) >= {"session.started", "mail.sent", "task.created"}
    assert set(kinds_of("--session", SESSION[:8])) == {
        "session.started", "session.state", "session.ended", "launch.started", "launch.ended",
        "launch.judged", "ask.asked", "ask.answered"}
    assert set(kinds_of("--run", "r-demo")) == {
        "session.started", "session.state", "session.ended", "launch.started", "launch.ended",
        "launch.judged", "ask.asked", "ask.answered", "run.started", "run.concluded"}
    assert kinds_of("--since", "4s") == ["launch.ended", "launch.judged", "run.concluded",
                                         "session.ended", "mail.progress"]  # clock: step 20
    assert kinds_of("--run", "nope") == []

    first = axi("activity", "--limit", "5").data
    assert first["count"] == f"5 of {len(kinds)} total"
    assert first["events"] == every.data["events"][-5:]
    last_task = max(i for i, k in enumerate(kinds) if k.startswith("task."))
    page = axi("activity", "--after", axi("activity", "--kind", "task").data["cursor"],
               "--limit", "3").data
    assert page["events"] == every.data["events"][last_task + 1:last_task + 4]
    assert page["count"] == f"3 of {len(kinds) - last_task - 1} total"

    bad = axi("activity", "--after", "yesterday")
    assert bad.code == 2 and bad.data["code"] == "USAGE"
    wrong_kind = axi("activity", "--kind", "mails")
    assert wrong_kind.code == 2 and "mail.sent" in " ".join(wrong_kind.data["help"])
    none = axi("activity", "--kind", "agent", "--session", SESSION)
    assert none.data["events"] == "none matching"
    out = {"all": every.data, "page": page, "bad_cursor": bad.data, "none": none.data}
    assert json.loads(json.dumps(out).replace(str(home), "<home>")) == snapshot


def test_an_empty_world(axi, home):
    data = axi("activity").data
    assert data["count"] == "0 of 0 total" and data["events"] == "none"


def follow(*flags: str, seconds: int = 30) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "axi", "activity", "--follow",
                             "--timeout", f"{seconds}s", *flags], stdout=subprocess.PIPE,
                            text=True)


def read_lines(proc: subprocess.Popen, n: int) -> list[dict]:
    out = []
    for _ in range(n):
        line = proc.stdout.readline()
        assert line, f"the follow ended after {len(out)} of {n} lines"
        out.append(json.loads(line))
    return out


def stop(proc: subprocess.Popen) -> None:
    proc.kill()
    proc.wait()


def test_follow_resumes_across_a_restart_without_gap_or_repeat(home, monkeypatch):
    monkeypatch.delenv("AXI_NOW")  # a live stream runs on the real clock
    make_agent(home, "alice")
    make_agent(home / "work" / "bob", "bob")
    conn = db.connect()
    alice = identity.require(conn, "alice")
    bob = identity.require(conn, "bob")

    def send(n: int) -> None:
        for _ in range(n):
            mail.send(conn, alice, mail.Outgoing(to=["bob"], body=BODY))

    first = follow("--kind", "mail")
    try:
        time.sleep(1.5)  # it starts at now: what happens from here
        send(3)
        got = read_lines(first, 2)
    finally:
        stop(first)  # stopped with one event (at least) not taken
    cursor = got[-1]["cursor"]
    send(2)  # while nothing follows
    sent = mail.send(conn, bob, mail.Outgoing(to=["alice"], body=BODY))
    mail.mark(conn, alice["id"], [sent["id"]], ack=True)
    second = follow("--kind", "mail", "--after", cursor)
    try:
        rest = read_lines(second, 6)  # 1 + 2 + 1 sent, read, acked
        send(1)  # and it goes on live
        rest += read_lines(second, 1)
    finally:
        stop(second)

    code, data = axi_proc("activity", "--kind", "mail", "--limit", "100", cwd=home)
    assert code == 0
    stream = got + rest
    cursors = [e["cursor"] for e in stream]
    assert len(set(cursors)) == len(cursors)  # no repeat
    listed = [(e["kind"], e["what"]) for e in data["events"]]
    assert [(e["kind"], e["what"]) for e in stream] == listed  # no gap
    assert [e["kind"] for e in stream].count("mail.sent") == 7
    assert cursors == sorted(cursors, key=parse_cursor)
    assert all("secret" not in json.dumps(e) for e in stream)
    assert data["cursor"] == cursors[-1]


def test_a_lower_bound_reads_only_the_journals_tail(tmp_path):
    """`--since` and a resumed cursor start near their time in a long journal (bisected),
    and still miss nothing at or after it, even a line a little out of order."""
    from axi.console.activity_events import Filters
    from axi.console.activity_journal import JOURNAL_SLACK, Journal

    path = tmp_path / "sessions.jsonl"
    start = 1_780_000_000.0
    lines = [json.dumps({"ts": start + i, "event": "start", "harness": "claude",
                         "id": f"s{i:06d}", "cwd": "/w", "why": "startup"})
             for i in range(20_000)]
    late = json.dumps({"ts": start + 19_990 - 30, "event": "end", "harness": "claude",
                       "id": "late", "cwd": "/w", "why": "exit"})  # written after newer ones
    path.write_text("\n".join(lines[:19_995] + [late] + lines[19_995:]) + "\n")
    journal = Journal(str(path))
    lower = start + 19_950
    journal.refresh(lower)
    assert len(journal.entries) < 20_000 // 10  # only the tail was parsed
    assert journal.entries[0]["ts"] < lower - JOURNAL_SLACK  # started just before its slack
    ids = {e.session for e in journal.events(lower, Filters(), None)}
    assert {f"s{i:06d}" for i in range(19_950, 20_000)} | {"late"} == ids
