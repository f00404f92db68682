"""Other machines in the picker: each `[[host]]`'s rows beside this machine's (the same
federation `axi sessions --host all` uses, its cache shown at once and the hosts asked in a
worker), a `host` column, `m` cycling all / local / each host, a remote row's preview and
open going to its host; nothing under `axi.remote` loads when no host is configured.

The host is a second HOME with recorded stores, reached by running its `axi` as an argv
transport (what `docker exec -i ctr` would be)."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from pick_support import SIZE, notes, screen_text, sync, until

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
AXI_BIN = str(Path(sys.executable).with_name("axi"))
SH_TRANSPORT = "sh -c 'exec \"$@\"' sh"  # runs its arguments as argv


def remote_axi(base: Path) -> str:
    """A remote machine holding the claude and pi stores: the `axi` command that reaches it."""
    home, state = base / "home", base / "state"
    home.mkdir(parents=True)
    for harness in ("claude", "pi"):
        shutil.copytree(CORPUS / harness / "home", home, dirs_exist_ok=True)
    return shlex.join(["env", f"HOME={home}", f"AXI_HOME={state}",
                       f"AXI_NOW={os.environ['AXI_NOW']}", AXI_BIN])


@pytest.fixture
def box(indexed, tmp_path) -> dict:
    """This machine (`laptop`) with every recorded store; host `box` with claude's and pi's."""
    from axi.control.config import load

    config = Path(os.environ["AXI_HOME"]) / "config.toml"
    config.write_text(f"[machine]\nname = \"laptop\"\n\n[[host]]\nname = \"box\"\n"
                      f"transport = {json.dumps(SH_TRANSPORT)}\n"
                      f"axi = {json.dumps(remote_axi(tmp_path / 'box'))}\ntimeout = 30\n")
    return load()


def by_host(app) -> dict[str, int]:
    from axi.picker.model import Session

    counts: dict[str, int] = {}
    for r in app.view.rows:
        if isinstance(r, Session):
            counts[r.host] = counts.get(r.host, 0) + 1
    return counts


async def asked(app, pilot) -> None:
    app.refresh_hosts()
    await until(pilot, lambda: any(s.remote for s in app.view.sessions), 60)
    await pilot.pause()


@sync
async def test_hosts_rows_show_beside_this_machines_and_m_cycles_the_machine(make_app, box):
    app = make_app(box)
    async with app.run_test(size=SIZE) as pilot:
        local = len(app.view.sessions)
        assert by_host(app) == {"laptop": local}  # nothing known of box yet
        header = next(line for line in screen_text(app).splitlines() if "HARNESS" in line)
        assert "HOST" in header
        await asked(app, pilot)
        counts = by_host(app)
        assert counts["laptop"] == local and counts["box"] > 0
        remote = [s for s in app.view.sessions if s.remote]
        assert {s.harness for s in remote} == {"claude", "pi"}
        assert all(s.key.startswith("box/") and len(s.id) == 36 for s in remote)
        assert all(s.model and s.cost(app.conn)[0] for s in remote)  # the fields asked for
        assert " box " in screen_text(app)
        await pilot.press("m")
        assert app.view.machine == "local" and set(by_host(app)) == {"laptop"}
        assert "machine: local (laptop)" in screen_text(app)
        await pilot.press("m")
        assert app.view.machine == "box" and set(by_host(app)) == {"box"}
        await pilot.press("m")
        assert app.view.machine is None and set(by_host(app)) == {"laptop", "box"}
        await pilot.press("i")
        for ch in "box":
            await pilot.press(ch)
        assert set(by_host(app)) == {"box"}  # the filter matches the host's name


@sync
async def test_the_last_known_rows_show_at_once_and_an_offline_host_is_noted(make_app, box):
    from axi.control.config import load

    first = make_app(box)
    async with first.run_test(size=SIZE) as pilot:
        await asked(first, pilot)
        known = sorted(s.key for s in first.view.sessions if s.remote)
    config = Path(os.environ["AXI_HOME"]) / "config.toml"
    text = config.read_text().replace(json.dumps(SH_TRANSPORT),
                                      json.dumps("sh -c 'echo no route >&2; exit 255'"))
    config.write_text(text)
    again = make_app(load())
    async with again.run_test(size=SIZE) as pilot:
        assert sorted(s.key for s in again.view.sessions if s.remote) == known  # from cache
        again.refresh_hosts()
        await until(pilot, lambda: "box offline" in screen_text(again), 30)
        assert sorted(s.key for s in again.view.sessions if s.remote) == known


@sync
async def test_a_remote_rows_preview_and_open_go_to_its_host(make_app, box):
    app = make_app(box)
    async with app.run_test(size=SIZE) as pilot:
        await asked(app, pilot)
        await pilot.press("m", "m")  # box only
        s = app.table.session()
        assert s.remote and s.host == "box"
        app.load_preview(s)
        await until(pilot, lambda: len(app.preview.lines) > 3, 60)
        body = "\n".join("".join(seg.text for seg in line) for line in app.preview.lines)
        assert body.startswith(f"{s.harness} {s.id[:8]}") and "user" in body
        await pilot.press("x", "y")
        await until(pilot, lambda: "is on box" in notes(app))
        await pilot.press("enter")
    assert app.return_value == ("run", [sys.executable, "-m", "axi", "sessions", "resume",
                                        f"box/{s.id}"], None)


@sync
async def test_m_without_hosts_says_so(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        assert "HOST" not in screen_text(app)
        await pilot.press("m")
        await until(pilot, lambda: "no [[host]] in config.toml" in notes(app))


def test_nothing_under_axi_remote_loads_without_hosts(indexed):
    script = ("import asyncio, sys\n"
              "from axi.picker.app import PickApp\n"
              "from axi.picker.keys import bindings\n"
              "async def main():\n"
              "    app = PickApp({}, bindings({}), live=False)\n"
              "    async with app.run_test() as pilot:\n"
              "        await pilot.press('m', 'j', 'enter')\n"
              "asyncio.run(main())\n"
              "print(sorted(m for m in sys.modules if m.startswith('axi.remote')))\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"
