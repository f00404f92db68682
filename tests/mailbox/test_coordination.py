"""Handoff, listen, watch, tasks; and the two-agents-two-folders story through real processes."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from mail_support import axi_proc, make_agent
from support import decode_strict

from axi.mailbox import identity, store


def script(folder: Path, name: str, body: str) -> Path:
    path = folder / name
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(0o755)
    return path


def start_listener(folder: Path, handler: Path, *extra: str) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-m", "axi", "listen", "--exec", str(handler),
                             *extra], cwd=folder, stdout=subprocess.PIPE, text=True,
                            env=dict(os.environ, PWD=str(folder)))
    conn = store.connect()
    name = identity.find_pointer(str(folder))[1]
    deadline = time.monotonic() + 20
    while not identity.require(conn, name)["listening_until"]:
        assert time.monotonic() < deadline, "the listener never started"
        time.sleep(0.05)
    return proc


def test_handoff_to_an_agent_not_listening_is_queued(axi, pair):
    result = axi("handoff", "@bob", "review the parser", "--intent", "review")
    assert result.code == 0
    assert result.data["status"] == "queued_not_listening"
    assert result.data["priority"] == "medium"
    task = axi("tasks", "view", str(result.data["task"])).data
    assert task["owner"] == "@bob" and task["intent"] == "review"
    incident = axi("handoff", "@bob", "prod is down", "--intent", "incident", "--no-wait")
    assert incident.data["status"] == "queued" and incident.data["priority"] == "urgent"
    assert axi("tasks").data["tasks"][0]["priority"] == "urgent"


def test_handoff_waits_for_the_reply_and_loops_until_the_promise(axi, pair):
    bob = pair / "bob"
    counter = bob / "count"
    handler = script(bob, "work.sh", f'echo x >> {counter}\n'
                     f'if [ $(wc -l < {counter}) -ge 2 ]; then echo "<promise>GREEN</promise>"; '
                     'else echo "still red"; fi\n')
    listener = start_listener(bob, handler, "--max", "2", "--timeout", "30")
    result = axi("handoff", "@bob", "make it green", "--intent", "implement", "--loop",
                 "--completion-promise", "GREEN", "--max-rounds", "3", "--timeout", "20")
    listener.wait(timeout=30)
    assert result.data["status"] == "completed" and result.data["rounds"] == 2
    assert "GREEN" in result.data["reply"]["text"]
    assert result.data["priority"] == "high"


def test_handoff_loop_stops_at_max_rounds(axi, pair):
    bob = pair / "bob"
    listener = start_listener(bob, script(bob, "no.sh", 'echo "not yet"\n'), "--max", "2",
                              "--timeout", "30")
    code, data = axi_proc("handoff", "@bob", "try", "--loop", "--completion-promise", "DONE",
                          "--max-rounds", "2", "--timeout", "20", cwd=pair)
    listener.wait(timeout=30)
    assert code == 1, "a loop that never saw the promise is a failure a script can detect"
    assert data["code"] == "LOOP_EXHAUSTED" and "'DONE' in 2 rounds" in data["error"]
    assert data["status"] == "max_rounds" and data["rounds"] == 2
    assert data["reply"]["text"] == "not yet" and data["task_status"] == "open"
    assert data["help"][0] == f"`axi tasks view {data['task']}` shows the task"


def test_listen_survives_a_failing_handler(axi, pair, monkeypatch):
    axi("send", "@bob", "please fail")
    axi("send", "@bob", "please work")
    bob = pair / "bob"
    handler = script(bob, "h.sh", 'case "$AXI_MESSAGE" in *fail*) echo boom >&2; exit 3;; esac\n'
                     'echo "ok: $AXI_MESSAGE from $AXI_FROM"\n')
    code, data = axi_proc("listen", "--exec", str(handler), "--max", "2", "--timeout", "20",
                          cwd=bob)
    assert code == 0 and data["handled"] == 2 and data["failed"] == 1
    texts = [m["text"] for m in axi("inbox").data["messages"]]
    assert texts == ["ok: please work from alice", "handler failed (exit 3: boom)"]


def test_listen_hands_the_message_on_stdin_never_as_an_argument(axi, pair):
    """`sort --output=FILE` would write FILE if the message were an argument."""
    bob = pair / "bob"
    target = pair / "clobbered"
    axi("send", "@bob", "--", f"--output={target}")
    code, data = axi_proc("listen", "--exec", "sort", "--max", "1", "--timeout", "20", cwd=bob)
    assert code == 0 and data["log"][0]["result"] == "replied"
    assert not target.exists()
    assert axi("inbox").data["messages"][0]["text"] == f"--output={target}"


def test_listen_gives_the_handler_the_message_in_its_environment(axi, pair):
    axi("send", "@bob", "hello there")
    bob = pair / "bob"
    handler = script(bob, "env.sh", 'echo "$# $AXI_MESSAGE_ID $AXI_FROM $AXI_THREAD '
                     '$AXI_AGENT [$AXI_TASK] $AXI_MESSAGE"\n')
    code, _ = axi_proc("listen", "--exec", str(handler), "--max", "1", "--timeout", "20",
                       cwd=bob)
    assert code == 0
    assert axi("inbox").data["messages"][0]["text"] == "0 1 alice 1 bob [] hello there"


def test_listen_names_what_its_log_leaves_out(axi, pair):
    for n in range(7):
        axi("send", "@bob", f"note {n}")
    code, data = axi_proc("listen", "--exec", "cat", "--max", "7", "--timeout", "30",
                          cwd=pair / "bob")
    assert code == 0 and data["handled"] == 7
    assert [e["id"] for e in data["log"]] == [3, 4, 5, 6, 7]
    assert data["left_out"].startswith("2 earlier (messages 1, 2;")


def test_listeners_never_answer_automatic_replies(axi, pair):
    alice_handler = script(pair, "echo.sh", 'echo "alice auto: $(cat)"\n')
    bob = pair / "bob"
    bob_handler = script(bob, "echo.sh", 'echo "bob auto: $(cat)"\n')
    listeners = [start_listener(pair, alice_handler, "--max", "5", "--timeout", "2"),
                 start_listener(bob, bob_handler, "--max", "5", "--timeout", "2")]
    axi("send", "@bob", "ping")
    results = [p.communicate(timeout=30)[0] for p in listeners]
    conn = store.connect()
    bodies = [r[0] for r in conn.execute("SELECT body FROM messages ORDER BY id")]
    assert bodies == ["ping", "bob auto: ping"]
    assert "handled: 0" in results[0] and "handled: 1" in results[1]


def test_watch_filters_and_times_out(axi, pair, monkeypatch):
    axi("send", "@bob", "build started")
    monkeypatch.chdir(pair / "bob")
    monkeypatch.setenv("PWD", str(pair / "bob"))
    axi("send", "@alice", "pushed the fix")
    monkeypatch.chdir(pair)
    monkeypatch.setenv("PWD", str(pair))
    found = axi("watch", "--from", "@bob", "--contains", "PUSHED", "--after", "0",
                "--timeout", "1")
    assert found.data["status"] == "matched" and found.data["message"]["id"] == 2
    none = axi("watch", "--contains", "deployed", "--after", "0", "--timeout", "0.1")
    assert none.code == 0 and none.data["status"] == "timeout"


def test_task_owner_and_creator_see_it_and_only_they_update_it(axi, pair, monkeypatch, home):
    make_agent(home / "carol", "carol")
    created = axi("tasks", "create", "write the docs", "--assign", "@bob")
    task = str(created.data["created"])
    monkeypatch.chdir(home / "carol")
    monkeypatch.setenv("PWD", str(home / "carol"))
    assert axi("tasks", "update", task, "--status", "done").data["code"] == "NOT_YOURS"
    assert axi("tasks").data["tasks"] == "0 open tasks for @carol"
    monkeypatch.chdir(home / "bob")
    monkeypatch.setenv("PWD", str(home / "bob"))
    assert axi("tasks").data["tasks"][0]["title"] == "write the docs"
    assert axi("inbox").data["messages"][0]["text"].startswith("@bob task #1")
    done = axi("tasks", "update", task, "--status", "done", "--note", "merged")
    assert done.data["status"] == "done" and done.data["told"] == ["@alice"]
    assert axi("tasks", "update", task, "--status", "done").data["already"] is True


def terminal_codes(home: Path) -> dict[str, str]:
    """The confirmation codes `axi agents` shows a person at a real terminal."""
    import pexpect

    child = pexpect.spawn(sys.executable, ["-m", "axi", "agents"], cwd=str(home),
                          env=dict(os.environ), encoding="utf-8", timeout=30)
    child.expect(pexpect.EOF)
    child.close()
    listed = decode_strict(child.before.replace("\r\n", "\n"))
    return {row["name"]: row["code"] for row in listed["agents"]}


def test_two_agents_in_two_folders_end_to_end(home):
    """The README walkthrough, every step a real `axi` process speaking TOON."""
    import pexpect

    front, back = home / "work" / "frontend", home / "work" / "backend"
    front.mkdir(parents=True)
    back.mkdir(parents=True)
    for folder, name in ((front, "front"), (back, "back")):
        code, data = axi_proc("agents", "init", name, cwd=folder)
        assert code == 0 and data["state"] == "pending" and "code" not in data
    codes = terminal_codes(home)  # only a person at a terminal sees them
    code, data = axi_proc("send", "@back", "hello", cwd=front)
    assert code == 1 and data["code"] == "PENDING"
    code, data = axi_proc("agents", "approve", "back", "--confirm", codes["back"], cwd=home)
    assert code == 1 and data["code"] == "NEEDS_OPERATOR"  # no terminal here
    for name, code_ in codes.items():  # the operator, at a real terminal
        child = pexpect.spawn(sys.executable, ["-m", "axi", "agents", "approve", name,
                                               "--confirm", code_], cwd=str(home),
                              env=dict(os.environ), encoding="utf-8", timeout=30)
        child.expect(pexpect.EOF)
        child.close()
        assert child.exitstatus == 0
    code, data = axi_proc("send", "@back", "does the API return ISO dates?", cwd=front)
    assert code == 0
    question = data["sent"]
    code, data = axi_proc("inbox", "--unread", "--wait", "5", cwd=back)
    assert data["status"] == "mail" and data["messages"][0]["from"] == "@front"
    axi_proc("send", "--reply", str(question), "yes, UTC with a Z", cwd=back)
    axi_proc("mail", "ack", str(question), cwd=back)
    code, data = axi_proc("inbox", "--unread", cwd=front)
    assert data["messages"][0]["text"] == "yes, UTC with a Z"
    handler = script(back, "review.sh", 'echo "reviewed: looks good"\n')
    listener = start_listener(back, handler, "--max", "1", "--timeout", "30")
    code, data = axi_proc("handoff", "@back", "review PR 7", "--intent", "review",
                          "--timeout", "20", cwd=front)
    listener.wait(timeout=30)
    assert code == 0 and data["status"] == "replied"
    assert data["reply"] == {"id": data["message"] + 1, "from": "@back",
                             "text": "reviewed: looks good"}
    code, data = axi_proc("tasks", "update", str(data["task"]), "--status", "done", cwd=back)
    assert data["told"] == ["@front"]
    code, data = axi_proc(cwd=front)
    assert data["agent"] == "front" and data["mail"].startswith("2 unread")


def test_tasks_view_shows_the_thread_the_caller_can_see(axi, pair, monkeypatch, home):
    make_agent(home / "carol", "carol")
    created = axi("tasks", "create", "write the docs", "--assign", "@bob")
    task = str(created.data["created"])
    code, _ = axi_proc("tasks", "update", task, "--status", "doing", "--note", "on it",
                       cwd=pair / "bob")
    assert code == 0
    shown = axi("tasks", "view", task).data
    assert [(m["from"], m["text"]) for m in shown["messages"]] == [
        ("@alice", "@bob task #1 (medium): write the docs"),
        ("@bob", "task #1 is doing: on it")]
    code, data = axi_proc("tasks", "view", task, cwd=home / "carol")
    assert data["messages"] == "none you sent or received"  # no one else's mail leaks
