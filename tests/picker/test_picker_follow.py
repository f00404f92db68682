"""The preview follows the selected session while it works: every 2 s the turns its
transcript gained are read (from where the last read stopped) and shown, and the reader's
place in the pane is kept unless they were at the bottom. Real Claude Code lines are appended
to a recorded transcript; the picker runs live (its own timers)."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

from pick_support import SIZE, sync, until

SESSION = "d1c9ea04-48cc-400c-bd6d-24a35bf2818b"  # the newest recorded session (first row)


def transcript(home: Path) -> Path:
    return next(home.glob(f".claude/projects/*/{SESSION}.jsonl"))


def append(path: Path, role: str, text: str, at: str) -> None:
    """One Claude Code line: a prompt, or an answer (its usage as the harness writes it)."""
    rec = {"parentUuid": None, "isSidechain": False, "type": role, "uuid": str(uuid.uuid4()),
           "timestamp": f"2026-11-21T{at}.000Z", "userType": "external",
           "cwd": "/home/dev/work/projB", "sessionId": SESSION, "version": "2.1.197"}
    if role == "user":
        rec["message"] = {"role": "user", "content": text}
    else:
        rec["requestId"] = "req_" + uuid.uuid4().hex[:12]
        rec["message"] = {"id": "msg_" + uuid.uuid4().hex[:12], "type": "message",
                          "role": "assistant", "model": "claude-sonnet-4-5",
                          "content": [{"type": "text", "text": text}],
                          "stop_reason": "end_turn",
                          "usage": {"input_tokens": 3, "output_tokens": 5,
                                    "cache_read_input_tokens": 0,
                                    "cache_creation_input_tokens": 0}}
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(rec) + "\n")


def preview_text(app) -> str:
    return "\n".join("".join(seg.text for seg in line) for line in app.preview.lines)


@sync
async def test_the_preview_follows_a_working_session_and_keeps_the_readers_place(indexed,
                                                                                 make_app):
    from axi.index.catalog import open_index

    path = transcript(indexed)
    append(path, "user", "please keep going\n" + "context line\n" * 6, "23:55:00")
    open_index()  # a turn is open and it was active a moment ago: it works
    app = make_app(live=True)
    async with app.run_test(size=SIZE) as pilot:
        s = app.table.session()
        assert s.id == SESSION and s.status == "working"
        await until(pilot, lambda: "please keep going" in preview_text(app))
        await pilot.pause()  # shown, and scrolled to its end after the refresh
        follow = app._follow
        assert follow is not None and app.preview.max_scroll_y > 0
        app.preview.scroll_home(animate=False, immediate=True)
        append(path, "assistant", "FIRST NEW ANSWER", "23:56:00")
        append(path, "user", "and then?", "23:56:30")
        await until(pilot, lambda: "FIRST NEW ANSWER" in preview_text(app), 10)
        assert app.preview.scroll_y == 0  # the reader was reading above: they stay there
        app.preview.scroll_end(animate=False, immediate=True)
        append(path, "assistant", "SECOND NEW ANSWER", "23:57:00")
        append(path, "user", "more?", "23:57:30")
        await until(pilot, lambda: "SECOND NEW ANSWER" in preview_text(app), 10)
        await pilot.pause()
        assert app.preview.scroll_y == app.preview.max_scroll_y  # at the bottom: it follows
        assert app._follow is follow  # read on from its cursor, never again from the start
        assert follow.tail.since == path.stat().st_size
