"""`e`/`E` resume a session without / with the harness's `[[harness]] args`, `c`/`C` start one
in the row's folder without / with them (through `axi sessions new`, the fake harness under
the real holder), and `args` is checked when the config loads."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
from control_support import axi_json, wait_for
from pick_support import SIZE, notes, screen_text, sync, until

ARGS = "--dangerously-skip-permissions --add-dir '/tmp/two words'"
ARGV = ["--dangerously-skip-permissions", "--add-dir", "/tmp/two words"]


def config_with_args(args: str = ARGS, top: str = "") -> dict:
    """The fake harness's config (control_home's) with `args` in its claude block."""
    from control_support import fake_config

    from axi.control.config import load

    fake_config(Path(os.environ["AXI_HOME"]), extra=f"args = {json.dumps(args)}\n", top=top)
    return load()


def picker(config: dict):
    from axi.picker.app import PickApp
    from axi.picker.keys import bindings

    return PickApp(config, bindings(config), live=False)


def held_session(cwd: Path) -> str:
    """A fake-harness session held live by axi, once the index lists it; its launch id."""
    from axi.index.catalog import open_index

    launch = axi_json("sessions", "new", "claude", "hello", cwd=cwd)["id"]
    wait_for(lambda: open_index()[0].execute("SELECT count(*) FROM sessions").fetchone()[0])
    return launch


def ended_session(cwd: Path) -> str:
    """A fake-harness session that ran and was killed (not held any more)."""
    launch = held_session(cwd)
    axi_json("sessions", "kill", launch, cwd=cwd)
    wait_for(lambda: axi_json("sessions", "view", launch, cwd=cwd)["status"]
             in ("done", "crashed", "ended"))
    return launch


@pytest.fixture
def claude_on_path(tmp_path, monkeypatch) -> Path:
    """A `claude` on PATH (the resume command's program), printing its argv and folder."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    program = bin_dir / "claude"
    program.write_text(f"#!{sys.executable}\nimport os, sys\nprint('RESUMED', os.getcwd(), "
                       "sys.argv[1:])\n")
    program.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    return program


@sync
async def test_e_resumes_and_E_resumes_with_the_configured_args(control_home, claude_on_path):
    config = config_with_args()
    ended_session(control_home)
    app = picker(config)
    async with app.run_test(size=SIZE) as pilot:
        s = app.table.session()
        assert not s.attachable
        await pilot.press("E")
    kind, argv, folder = app.return_value
    assert (kind, folder) == ("run", str(control_home))
    assert argv == ["claude", "--resume", s.id, *ARGV]
    app = picker(config)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("e")
    assert app.return_value == ("run", [sys.executable, "-m", "axi", "sessions", "resume", s.id],
                                None)


@sync
async def test_E_says_why_it_cannot(control_home, claude_on_path, monkeypatch):
    from control_support import fake_config

    from axi.control.config import load

    fake_config(Path(os.environ["AXI_HOME"]))  # no args
    launch = held_session(control_home)
    app = picker(load())
    async with app.run_test(size=SIZE) as pilot:
        assert app.table.session().attachable  # held live: it has its flags already
        await pilot.press("E")
        await until(pilot, lambda: "enter attaches" in notes(app))
        axi_json("sessions", "kill", launch, cwd=control_home)
        app.table.session().held = False
        app.table.session().status = "ended"
        await pilot.press("E")
        await until(pilot, lambda: "claude has no args" in notes(app))
        monkeypatch.setenv("PATH", str(control_home))  # no claude anywhere
        config = config_with_args()
        app.config = config
        await pilot.press("E")
        await until(pilot, lambda: "claude is not on PATH" in notes(app))
        assert app.is_running


@sync
async def test_c_starts_a_session_in_the_rows_folder_and_attaches(control_home):
    from axi.control import records

    config = config_with_args(top='default_harness = "claude"')
    ended_session(control_home)
    app = picker(config)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("c")
        await pilot.pause()
        text = screen_text(app)
        assert "New session in ~/proj: which harness?" in text
        assert "codex" in text and "opencode" in text  # every harness axi knows
        await pilot.press("enter")  # the default: default_harness
        await until(pilot, lambda: app.return_value is not None, 30)
    kind, argv, folder = app.return_value
    assert kind == "run" and argv[-3:-1] == ["sessions", "attach"] and folder is None
    launch = records.get(records.connect(), argv[-1])
    assert launch["harness"] == "claude" and launch["dir"] == str(control_home)
    assert launch["mode"] == "watched"  # an ordinary watched launch, held by axi
    spec = json.loads(launch["spec"])
    assert not set(ARGV) & set(spec["argv"])  # `c`: no args


@sync
async def test_C_starts_it_with_the_configured_args(control_home):
    from axi.control import records

    config = config_with_args()
    ended_session(control_home)
    app = picker(config)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("C")
        await pilot.pause()
        text = screen_text(app)
        assert "with args" in text and "claude  --dangerously-skip-permissions" in text
        assert "codex  (no args set)" in text
        await pilot.press("enter")
        await until(pilot, lambda: app.return_value is not None, 30)
    launch = records.get(records.connect(), app.return_value[1][-1])
    spec = json.loads(launch["spec"])["argv"]
    assert spec[-3:] == ARGV and spec.count("--dangerously-skip-permissions") == 1


@sync
async def test_C_on_a_harness_without_args_says_so(control_home):
    config = config_with_args()
    app = picker(config)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("C", "down", "enter")  # codex: no args set
        await until(pilot, lambda: "codex has no args" in notes(app))
        assert app.return_value is None and app.is_running


@pytest.mark.parametrize(("value", "says"), [
    ('"--a \'unclosed"', "args that is not a valid command line"),
    ('["--a", " "]', "an empty word in [[harness]] claude.args"),
    ("3", "[[harness]] claude.args of the wrong type"),
])
def test_args_is_checked_when_the_config_loads(home, axi, value, says):
    config = Path(os.environ["AXI_HOME"]) / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(f'[[harness]]\nname = "claude"\nargs = {value}\n')
    result = axi("pick", "--keys")
    assert result.code == 1 and result.data["code"] == "CONFIG_INVALID"
    assert says in result.data["error"]
    config.write_text('[[harness]]\nname = "claude"\nargs = ["--verbose"]\n')
    assert axi("pick", "--keys").code == 0


@sync
async def test_the_harness_chooser_starts_on_default_harness(make_app):
    from textual.widgets import OptionList

    app = make_app({"default_harness": "pi"})
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("c")
        await pilot.pause()
        choices = app.screen.query_one(OptionList)
        assert choices.highlighted == 3  # claude, codex, opencode, pi
        await pilot.press("escape")
        assert app.return_value is None and len(app.screen_stack) == 1
