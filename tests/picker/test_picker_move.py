"""`M` moves the selected sessions' tmux windows (sessions axi holds under `mux = "tmux"`)
into a tmux session the person names, on a private tmux server; a session without a window,
or no tmux at all, is a notification, never a crash."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

from control_support import axi_json, wait_for
from pick_support import SIZE, notes, screen_text, sync, type_text, until


def tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], capture_output=True, text=True, timeout=20,
                          check=True).stdout


def picker(config: dict):
    from axi.picker.app import PickApp
    from axi.picker.keys import bindings

    return PickApp(config, bindings(config), live=False)


@sync
async def test_M_moves_a_held_sessions_window_into_the_named_tmux_session(control_home,
                                                                          private_tmux):
    from control_support import fake_config

    from axi.control import records
    from axi.control.config import load
    from axi.index.catalog import open_index

    fake_config(Path(os.environ["AXI_HOME"]), top='mux = "tmux"')
    started = axi_json("sessions", "new", "claude", "hello", cwd=control_home)
    launch, window = started["id"], started["tmux_window"]
    assert window.startswith("axi:@")
    wait_for(lambda: open_index()[0].execute("SELECT count(*) FROM sessions").fetchone()[0])
    app = picker(load())
    async with app.run_test(size=SIZE) as pilot:
        assert app.table.session().tags["tmux"] == window
        await pilot.press("M")
        await pilot.pause()
        await type_text(pilot, "work")
        await pilot.press("enter")
        await until(pilot, lambda: "moved 1 window to tmux session work" in notes(app))
        wid = window.partition(":")[2]
        assert app.table.session().tags["tmux"] == f"work:{wid}"
    assert tmux("list-windows", "-t", "=work", "-F", "#{window_id}").split() == [wid]
    labels = json.loads(records.get(records.connect(), launch)["labels"])
    assert labels["tmux"] == f"work:{wid}"  # where `axi` finds the window now


@sync
async def test_M_without_a_window_or_without_tmux_says_so(make_app, monkeypatch, tmp_path):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("M")
        await type_text(pilot, "work")
        await pilot.press("enter")
        if shutil.which("tmux"):
            await until(pilot, lambda: "has no tmux window" in notes(app))
        monkeypatch.setenv("PATH", str(tmp_path))  # no tmux on it
        await pilot.press("M")
        await type_text(pilot, "work")
        await pilot.press("enter")
        await until(pilot, lambda: "tmux is not installed here" in notes(app))
        await pilot.press("M")
        await type_text(pilot, "a:b")
        await pilot.press("enter")
        await until(pilot, lambda: "cannot name a tmux session" in notes(app))
        assert app.is_running


@sync
async def test_move_is_rebindable(make_app):
    app = make_app({"keys": {"move": "W", "machine": "ctrl+o"}})
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("M")
        await pilot.pause()
        assert len(app.screen_stack) == 1  # M does nothing now
        await pilot.press("ctrl+o")
        await until(pilot, lambda: "no [[host]]" in notes(app))
        await pilot.press("W")
        await pilot.pause()
        assert "Move the tmux windows of 1 session(s)" in screen_text(app)
