"""`axi pick` in a real terminal: tmux runs it, `send-keys` drives it, `capture-pane` reads
the screen. Skipped, saying so, where tmux is not installed."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
import uuid

import pytest

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None,
                                reason="tmux is not installed (apt-get install tmux)")


class Tmux:
    """One private tmux server (its own socket) running one window."""

    def __init__(self, command: str, cwd: str):
        self.socket = f"axi-pick-test-{uuid.uuid4().hex[:8]}"
        self.run("-f", "/dev/null", "new-session", "-d", "-s", "pick", "-x", "132", "-y", "36",
                 "-c", cwd, command)

    def run(self, *args: str) -> str:
        return subprocess.run(["tmux", "-L", self.socket, *args], capture_output=True,
                              text=True, timeout=20, check=True).stdout

    def keys(self, *keys: str) -> None:
        self.run("send-keys", "-t", "pick", *keys)

    def screen(self) -> str:
        return self.run("capture-pane", "-p", "-t", "pick")

    def wait_for(self, text: str, seconds: float = 20.0, gone: str | None = None) -> str:
        """The screen once it shows `text` (and no longer shows `gone`)."""
        deadline = time.monotonic() + seconds
        while True:
            screen = self.screen()
            if text in screen and not (gone and gone in screen):
                return screen
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} not on screen:\n{screen}")
            time.sleep(0.1)

    def close(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True,
                       timeout=20)


def picker_command(*flags: str) -> str:
    """`axi pick`, then what the terminal looks like once it has left: its exit code and the
    terminal's mode (`stty` fails or differs when the picker left it raw)."""
    axi = f"env -u COLUMNS -u LINES {sys.executable} -m axi pick {' '.join(flags)}"
    return f"{axi}; echo EXITED:$?; stty -a | grep -o ' icanon' ; sleep 60"


@pytest.fixture
def tmux_in(request):
    made: list[Tmux] = []

    def start(command: str, cwd: str) -> Tmux:
        made.append(Tmux(command, cwd))
        return made[-1]

    yield start
    for t in made:
        t.close()


def test_the_picker_in_a_real_terminal(indexed, tmux_in):
    t = tmux_in(picker_command(), str(indexed))
    t.wait_for("22 of 22 sessions")
    first = t.wait_for("? keys")
    assert "HARNESS" in first
    t.keys("j", "j", "i", "c", "d", "x", "Enter")
    screen = t.wait_for("filter “cdx”")
    rows = [line for line in screen.splitlines() if " idle " in line]
    assert rows and all(" codex " in line for line in rows)
    t.keys("?")
    t.wait_for("search transcript text")
    t.keys("Escape")
    time.sleep(0.3)  # an escape followed at once by a key reads as alt+key
    t.keys("q")
    done = t.wait_for("EXITED:0")
    assert "\n icanon" in done  # the terminal is back in its normal (cooked) mode


def test_enter_attaches_a_held_session_and_the_detach_chord_returns(control_home, tmux_in):
    from control_support import axi_json, wait_for

    from axi.index.catalog import open_index

    launch = axi_json("sessions", "new", "claude", "hello", cwd=control_home)["id"]
    wait_for(lambda: open_index()[0].execute("SELECT count(*) FROM sessions").fetchone()[0])
    t = tmux_in(picker_command("--return"), str(control_home))
    t.wait_for("1 of 1 sessions")
    t.wait_for("? keys")  # the key row: drawn last, the picker takes keys
    t.keys("Enter")
    t.wait_for("ok: hello", gone="HARNESS")  # the fake harness's own screen, not the picker
    t.keys("C-a", "d")
    t.wait_for("1 of 1 sessions")
    t.keys("q")
    done = t.wait_for("EXITED:0")
    assert "\n icanon" in done
    assert f"id: {launch}" in done and "status: detached" in done  # what attach reported


def test_E_resumes_with_the_harness_args_in_the_sessions_folder(control_home, tmux_in,
                                                                 tmp_path, monkeypatch):
    """`E` leaves the picker for the harness's resume command plus `[[harness]] args`, run
    in the session's folder (here a `claude` that prints what it was given)."""
    import os
    from pathlib import Path

    from control_support import axi_json, fake_config, wait_for

    from axi.index.catalog import open_index

    fake_config(Path(os.environ["AXI_HOME"]), extra='args = "--dangerously-skip-permissions"\n')
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "claude").write_text(f"#!{sys.executable}\nimport os, sys\n"
                                    "print('RESUMED', os.getcwd(), *sys.argv[1:])\n")
    (bin_dir / "claude").chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    launch = axi_json("sessions", "new", "claude", "hello", cwd=control_home)["id"]
    wait_for(lambda: open_index()[0].execute("SELECT id FROM sessions").fetchone())
    sid = open_index()[0].execute("SELECT id FROM sessions").fetchone()[0]
    axi_json("sessions", "kill", launch, cwd=control_home)
    wait_for(lambda: axi_json("sessions", "view", launch, cwd=control_home)["status"]
             in ("done", "crashed", "ended"))
    t = tmux_in(picker_command(), str(tmp_path))  # started elsewhere: the folder changes
    t.wait_for("1 of 1 sessions")
    t.wait_for("? keys")
    t.keys("E")
    done = t.wait_for("EXITED:0")
    said = f"RESUMED {control_home} --resume {sid} --dangerously-skip-permissions"
    assert said in done.replace("\n", "")  # a long line wraps at the pane's width
    assert "\n icanon" in done
