"""A `listen --exec` handler reports progress with `axi-progress:` lines: the sender sees the
latest while the handler still works, the lines stay out of the reply, and each is an
activity event."""

from __future__ import annotations

import time

from test_coordination import script, start_listener

HANDLER = """echo "axi-progress: reading the diff"
while [ ! -e "$GO" ]; do sleep 0.05; done
echo "axi-progress:   running   the tests  "
echo "all 12 passed"
"""


def test_the_sender_sees_progress_while_the_handler_works(axi, pair, tmp_path, monkeypatch):
    go = tmp_path / "go"
    monkeypatch.setenv("GO", str(go))
    bob = pair / "bob"
    listener = start_listener(bob, script(bob, "check.sh", HANDLER), "--max", "1",
                              "--timeout", "60")
    sent = axi("send", "@bob", "please check the branch").data["sent"]
    deadline = time.monotonic() + 30
    while "progress" not in (view := axi("mail", "view", str(sent)).data):
        assert time.monotonic() < deadline, view
        time.sleep(0.05)
    assert view["progress"] == ["@bob: reading the diff (0s ago)"]  # the handler still waits
    assert listener.poll() is None
    go.touch()
    listener.wait(timeout=30)
    reply = axi("inbox").data["messages"]
    assert [m["text"] for m in reply] == ["all 12 passed"]  # no progress line in the reply
    assert axi("mail", "view", str(sent)).data["progress"] == [
        "@bob: running the tests (0s ago)"]
    events = axi("activity", "--kind", "mail.progress", "--format", "json").data["events"]
    assert [(e["who"], e["what"]) for e in events] == [
        ("@bob", f"on message #{sent}: reading the diff"),
        ("@bob", f"on message #{sent}: running the tests")]
