"""Mail semantics and bad input, through the TOON commands."""

from __future__ import annotations

from mail_support import as_bob, make_agent

from axi.mailbox import store


def count_rows(table: str) -> int:
    return store.connect().execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def test_send_peek_read_ack(axi, pair, monkeypatch):
    sent = axi("send", "@bob", "first")
    assert sent.code == 0 and sent.data["to"] == ["@bob"]
    assert axi("inbox").data["inbox"] == "0 messages for @alice"  # not in the sender's inbox
    as_bob(monkeypatch, pair)
    for _ in range(2):  # peeking changes nothing
        peek = axi("inbox")
        assert peek.data["mail"] == "1 unread of 1"
        assert peek.data["messages"][0]["state"] == "unread"
    assert axi("mail", "view", str(sent.data["sent"])).data["state"] == "unread"
    assert axi("mail", "read", str(sent.data["sent"])).data["read"] == [sent.data["sent"]]
    assert axi("inbox", "--unread").data["inbox"] == "0 unread messages for @bob"
    acked = axi("mail", "ack", str(sent.data["sent"]))
    assert acked.data["acked"] == [sent.data["sent"]] and "already" not in acked.data
    again = axi("mail", "ack", str(sent.data["sent"]))
    assert again.data == {"already": [sent.data["sent"]], "mail": "0 unread of 1"}


def test_a_mixed_ack_lists_each_id_once(axi, pair, monkeypatch):
    axi("send", "@bob", "one")
    axi("send", "@bob", "two")
    as_bob(monkeypatch, pair)
    axi("mail", "ack", "1")
    mixed = axi("mail", "ack", "1", "2").data
    assert mixed["acked"] == [2] and mixed["already"] == [1]


def test_unread_count_equals_the_unread_list(axi, pair, monkeypatch):
    for n in range(5):
        axi("send", "@bob", f"note {n}")
    as_bob(monkeypatch, pair)
    axi("mail", "read", "2", "4")
    listing = axi("inbox", "--unread").data
    assert listing["mail"] == "3 unread of 5"
    assert [m["id"] for m in listing["messages"]] == [5, 3, 1]
    assert axi("agents").data["agents"][1]["unread"] == 3


def test_mentions_route_and_replies_thread(axi, pair, monkeypatch, home):
    make_agent(home / "carol", "carol")
    sent = axi("send", "@bob", "please loop in @carol and @nobody; mail me@example.com")
    assert sent.data["to"] == ["@bob", "@carol"] and sent.data["not_routed"] == ["@nobody"]
    as_bob(monkeypatch, pair)
    reply = axi("send", "--reply", str(sent.data["sent"]), "on it")
    assert reply.data["to"] == ["@alice"] and reply.data["thread"] == sent.data["thread"]


def test_wait_returns_timeout_status(axi, pair):
    result = axi("inbox", "--wait", "0.1")
    assert result.code == 0 and result.data["status"] == "timeout"


def test_wait_returns_unread_mail_newer_than_the_cursor(axi, pair, monkeypatch):
    axi("send", "@bob", "one")
    axi("send", "@bob", "two")
    as_bob(monkeypatch, pair)
    assert [m["id"] for m in axi("inbox", "--wait", "1").data["messages"]] == [1, 2]
    assert axi("inbox", "--wait", "0.1", "--after", "2").data["status"] == "timeout"


def test_idempotency_key(axi, pair):
    first = axi("send", "@bob", "deploy", "--idem", "k1")
    again = axi("send", "@bob", "deploy", "--idem", "k1")
    assert again.data["sent"] == first.data["sent"] and again.data["already"] is True
    assert count_rows("messages") == 1


def test_bad_input_is_a_clear_error_and_inserts_nothing(axi, pair, tmp_path):
    cases = [
        (["send", "@zed", "hi"], 1, "NOT_FOUND"),
        (["send", "@bob", "@zed", "hi"], 1, "NOT_FOUND"),
        (["send", "@Bad!", "hi"], 2, "USAGE"),
        (["send", "@bob", "   "], 2, "USAGE"),
        (["send", "@bob", "x" * (64 * 1024 + 1)], 2, "USAGE"),
        (["send", "hello"], 2, "USAGE"),
        (["send", "@alice", "to myself"], 2, "USAGE"),
        (["send", "--reply", "999", "hi"], 1, "NOT_FOUND"),
        (["send", "@bob", "--file", str(tmp_path / "missing.txt")], 1, "FILE_UNREADABLE"),
        (["inbox", "--wait", "-1"], 2, "USAGE"),
        (["inbox", "--wait", "1e9"], 2, "USAGE"),
        (["inbox", "--wait", "soon"], 2, "USAGE"),
        (["mail", "view", "999"], 1, "NOT_FOUND"),
        (["mail", "ack", "-5"], 2, "USAGE"),
        (["mail", "ack", "0"], 1, "NOT_FOUND"),
        (["mail", "read", "abc"], 2, "USAGE"),
        (["inbox", "--fields", "colour"], 2, "USAGE"),
        (["tasks", "update", "999", "--status", "done"], 1, "NOT_FOUND"),
        (["tasks", "create", "  "], 2, "USAGE"),
        (["tasks", "create", "x", "--assign", "@zed"], 1, "NOT_FOUND"),
        (["handoff", "@zed", "x"], 1, "NOT_FOUND"),
        (["handoff", "@bob", "x", "--loop"], 2, "USAGE"),
        (["handoff", "@bob", "x", "--timeout", "-3"], 2, "USAGE"),
        (["listen", "--exec", "no-such-program-here"], 2, "USAGE"),
        (["listen", "--exec", "'unbalanced"], 2, "USAGE"),
        (["watch", "--timeout", "99999"], 2, "USAGE"),
    ]
    for args, code, kind in cases:
        result = axi(*args)
        assert (result.code, result.data["code"]) == (code, kind), args
        assert result.data["error"] and "Traceback" not in result.stdout
    assert count_rows("messages") == 0 and count_rows("tasks") == 0


def test_invalid_utf8_and_oversized_files(axi, pair, tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"caf\xe9 au lait")
    result = axi("send", "@bob", "--file", str(bad))
    assert result.code == 2 and "not valid UTF-8 (byte 3)" in result.data["error"]
    big = tmp_path / "big.txt"
    big.write_bytes(b"a" * (64 * 1024 + 10))
    assert axi("send", "@bob", "--file", str(big)).code == 2
    good = tmp_path / "good.txt"
    good.write_text("naïve café ✓", encoding="utf-8")
    assert axi("send", "@bob", "--file", str(good)).code == 0
    assert count_rows("messages") == 1


def test_only_your_own_mail(axi, pair, monkeypatch, home):
    make_agent(home / "carol", "carol")
    sent = axi("send", "@carol", "private")
    as_bob(monkeypatch, pair)
    for verb in ("view", "read", "ack"):
        assert axi("mail", verb, str(sent.data["sent"])).data["code"] == "NOT_FOUND"
