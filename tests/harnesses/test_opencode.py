"""opencode's parts: which are read as text, however their JSON is written."""

from __future__ import annotations

import json

from support import older_opencode_db

from axi.harnesses import get


def _database(home, parts: list[tuple[str, str, str]]) -> None:
    """One session whose messages (id, role) each have the given raw part data."""
    conn = older_opencode_db(home)
    conn.execute("INSERT INTO session VALUES ('ses_1', '/w/p', 'New session - x', 1000, 9000)")
    for n, (message, role, data) in enumerate(parts):
        conn.execute("INSERT OR IGNORE INTO message VALUES (?, 'ses_1', ?, ?, ?)",
                     (message, 1000 + n, 1000 + n,
                      json.dumps({"role": role, "time": {"created": 1000 + n}})))
        conn.execute("INSERT INTO part VALUES (?, ?, 'ses_1', ?, ?, ?)",
                     (f"prt_{n:02d}", message, 1000 + n, 1000 + n, data))
    conn.commit()
    conn.close()


def _read(home) -> tuple:
    warnings: list[str] = []
    [(summary, texts)] = list(get("opencode").changed_sessions({}, set(), warnings))
    assert not warnings
    return summary, [(t.role, t.text) for t in texts]


def test_text_parts_count_however_written_and_no_other_part_does(home):
    """Text parts with `type` first, last, in the middle, spaced or escaped all count; tool,
    reasoning and other parts never do, even when they hold a "text" key."""
    _database(home, [
        ("msg_1", "user", '{"type":"text","text":"first prompt"}'),
        ("msg_2", "assistant", '{"text":"an answer written type last","type":"text"}'),
        ("msg_2", "assistant",
         '{"type":"tool","tool":"read","state":{"output":"{\\"text\\": \\"inside\\"}"}}'),
        ("msg_2", "assistant", '{"type":"textual","text":"not a text part"}'),
        ("msg_2", "assistant", '{"type":"reasoning","text":"thinking"}'),
        ("msg_3", "user", '{"type": "text", "text": "spaced prompt"}'),
        ("msg_3", "user", '{"type":"tool","text":"a tool part with a text key"}'),
        ("msg_4", "user", '{"time":{"start":1},"type":"text","text":"type in the middle"}'),
        ("msg_5", "user", '{"type":"te\\u0078t","text":"an escaped type"}'),
        ("msg_6", "user", '{"type":"tool\\u0073","text":"an escaped other type"}'),
    ])
    summary, texts = _read(home)
    assert summary.turns == 4  # msg_6 has no text part: not a turn
    assert summary.title == "first prompt"
    assert texts == [("user", "first prompt"), ("assistant", "an answer written type last"),
                     ("user", "spaced prompt"), ("user", "type in the middle"),
                     ("user", "an escaped type")]
