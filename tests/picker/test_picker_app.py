"""`axi pick` under Textual's own driver (`run_test`, `Pilot`) on the real corpus index: each
key's effect on what the table shows."""

from __future__ import annotations

import json
import os

from pick_support import SIZE, notes, screen_text, shown, sync, type_text, until


@sync
async def test_it_opens_on_every_session_with_the_default_columns(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        text = screen_text(app)
        header = next(line for line in text.splitlines() if "HARNESS" in line)
        assert header.split()[:8] == ["HARNESS", "STATUS", "MODEL", "AGE▼", "CTX", "COST",
                                      "DIR", "TITLE"]
        assert f"{len(app.view.sessions)} of {len(app.view.sessions)} sessions" in text
        assert "? keys" in text and "q quit" in text


@sync
async def test_movement_keys_move_the_cursor(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        table = app.table
        await pilot.press("j", "j")
        assert table.cursor == 2
        await pilot.press("k")
        assert table.cursor == 1
        await pilot.press("G")
        assert table.cursor == len(app.view.rows) - 1
        await pilot.press("g")
        assert table.cursor == 0
        await pilot.press("d")
        assert table.cursor == table.page()
        await pilot.press("u")
        assert table.cursor == 0
        await pilot.press("down", "down", "up")
        assert table.cursor == 1


@sync
async def test_the_preview_shows_the_selected_sessions_last_turns(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: len(app.preview.lines) > 3)
        await pilot.pause()
        first = app.table.session()
        body = ["".join(s.text for s in line) for line in app.preview.lines]
        assert body[0].startswith(f"{first.harness} {first.id[:8]}")
        assert "Describe main.rs briefly" in body
        roles = {line.split()[0] for line in body if line.endswith("m")}
        assert {"user", "assistant"} <= roles
        assert body[-2] in screen_text(app)  # scrolled to the newest turn


@sync
async def test_filter_keeps_matching_rows_enter_keeps_and_esc_clears(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        everything = len(shown(app))
        await pilot.press("i")
        await type_text(pilot, "cdx")
        assert shown(app) and all(row.startswith("codex:") for row in shown(app))
        await pilot.press("enter")
        assert app.mode is None and all(r.startswith("codex:") for r in shown(app))
        assert "filter “cdx”" in screen_text(app)
        await pilot.press("a")  # the other filter key, the query kept
        await pilot.press("escape")
        assert len(shown(app)) == everything


@sync
async def test_search_finds_transcript_text_and_n_walks_the_matches(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("slash")
        await type_text(pilot, "README.md")
        await pilot.press("enter")
        await pilot.pause(0.3)
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert 0 < len(shown(app)) < len(app.view.sessions)
        assert app.terms == ["README.md"]
        assert app.preview.hits, "the match is highlighted in the preview"
        before = app.table.cursor
        for _ in range(len(app.preview.hits)):
            await pilot.press("n")
        assert app.table.cursor == before + 1  # past the last hit: the next session
        await pilot.press("escape")
        assert len(shown(app)) == len(app.view.sessions)


@sync
async def test_sort_keys_pick_a_column_and_s_reverses_it(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("H")
        assert app.view.sort_col == app.columns[app.columns.index("age") - 1]
        await pilot.press("H", "H")
        assert app.view.sort_col == "harness"
        names = [r.split(":")[0] for r in shown(app)]
        assert names == sorted(names)
        await pilot.press("s")
        assert [r.split(":")[0] for r in shown(app)] == sorted(names, reverse=True)
        await pilot.press("L")
        assert app.view.sort_col == "status"
    from axi.picker import state

    assert state.read()["sort"] == "status"


@sync
async def test_t_toggles_active_only_and_it_is_saved_between_opens(make_app):
    app = make_app()
    app.view.sessions[0].status = "ended"
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("t")
        assert app.view.active_only and len(shown(app)) == len(app.view.sessions) - 1
    path = os.path.join(os.environ["AXI_HOME"], "picker.json")
    with open(path) as fh:
        assert json.load(fh)["active_only"] is True
    again = make_app()
    assert again.view.active_only


@sync
async def test_group_and_help_keys(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("b")
        assert app.view.group == "dir" and "by dir" in screen_text(app)
        assert "▸ " in screen_text(app)
        await pilot.press("question_mark")
        await pilot.pause()
        assert "all vs" not in screen_text(app)
        assert "search transcript text" in screen_text(app)
        await pilot.press("escape")
        assert "search transcript text" not in screen_text(app)


@sync
async def test_tab_and_v_mark_rows_and_l_tags_them(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("tab", "tab")
        assert len(app.table.marked) == 2 and app.table.cursor == 2
        await pilot.press("escape")
        assert not app.table.marked
        await pilot.press("v", "j", "j")
        assert len(app.table.marked) == 3
        await pilot.press("v")
        assert app.visual_from is None and len(app.table.marked) == 3
        marked = set(app.table.marked)
        await pilot.press("l")
        await type_text(pilot, "team=web")
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        tagged = {s.key for s in app.view.sessions if s.tags.get("team") == "web"}
        assert tagged == marked and not app.table.marked
        assert "TAGS" in screen_text(app) and "team=web" in screen_text(app)
        await pilot.press("i")
        await type_text(pilot, "team=web")
        assert len(shown(app)) == 3
    from axi.picker import state

    assert set(state.tags()) == marked


@sync
async def test_kill_asks_once_and_says_why_it_cannot(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("x")
        await pilot.pause()
        assert "Kill " in screen_text(app)
        await pilot.press("n")
        await pilot.pause()
        assert "Kill " not in screen_text(app)
        await pilot.press("x", "y")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "axi did not launch" in notes(app)


@sync
async def test_enter_hands_the_terminal_to_the_resume_command(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("j", "enter")
    kind, argv, _folder = app.return_value
    assert kind == "run" and argv[-3:] == ["sessions", "resume", app.view.rows[1].id]


@sync
async def test_rebound_keys_work_and_the_help_shows_them(make_app):
    app = make_app({"keys": {"down": "ctrl+n", "quit": ["Q"]}})
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+n", "ctrl+n")
        assert app.table.cursor == 2
        await pilot.press("j", "q")  # no longer bound
        assert app.table.cursor == 2 and app.is_running
        await pilot.press("question_mark")
        await pilot.pause()
        assert "ctrl+n" in screen_text(app)
        await pilot.press("escape", "Q")
    assert not app.is_running
