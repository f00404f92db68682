"""The holder under a real terminal: attach and detach, interrupt, crashes and pid reuse."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pexpect
from control_support import axi_json, wait_for
from support import decode_strict

from axi.control import live, proc, records


def launch(cwd, task: str = "hello there") -> str:
    sid = axi_json("sessions", "new", "claude", task, cwd=cwd)["id"]
    wait_for(lambda: texts(sid, cwd) and f"ok: {task}" in texts(sid, cwd))
    return sid


def texts(sid: str, cwd) -> list[str]:
    data = axi_json("sessions", "read", sid, "--since", "0", "--limit", "50", cwd=cwd)
    return [t["text"] for t in data["turns"]] if isinstance(data.get("turns"), list) else []


def status_of(sid: str, cwd) -> str:
    rows = axi_json("sessions", "--fields", "full_id", cwd=cwd)["sessions"]
    return next(r["status"] for r in rows if r["full_id"] == sid)


def launch_row(sid: str):
    return records.get(records.connect(), sid)


def test_attach_replays_types_and_detaches_restoring_the_terminal(control_home):
    sid = launch(control_home)
    shell = (f"stty -g; {sys.executable} -m axi sessions attach {sid[:8]}; "
             "echo; stty -g")
    term = pexpect.spawn("bash", ["-c", shell], cwd=str(control_home), env=os.environ.copy(),
                         dimensions=(30, 100), timeout=20)
    before = term.readline().decode().strip()
    term.expect("ok: hello there")  # the ring is replayed on attach
    term.send("typed while attached\r")
    term.expect("ok: typed while attached")
    term.send("\x01d")  # Ctrl-A d
    term.expect("status: detached")
    after = term.read().decode().strip().splitlines()[-1]
    term.wait()
    assert after == before  # the terminal's modes are as they were
    assert "ok: typed while attached" in texts(sid, control_home)
    assert live.state(launch_row(sid))[0] == live.LIVE  # detaching did not stop it
    assert status_of(sid, control_home) in ("working", "idle")


def test_attach_without_a_terminal_says_how_to_watch(control_home):
    sid = launch(control_home)
    out = subprocess.run([sys.executable, "-m", "axi", "sessions", "attach", sid],
                         capture_output=True, text=True, cwd=control_home, stdin=subprocess.DEVNULL)
    data = decode_strict(out.stdout)
    assert out.returncode == 1 and data["code"] == "NO_TTY"
    assert "--follow" in data["help"][0]


def test_interrupt_stops_the_turn_not_the_session(control_home):
    sid = launch(control_home)
    axi_json("sessions", "type", sid, "sleep 30", cwd=control_home)
    wait_for(lambda: "sleep 30" in texts(sid, control_home))
    wait_for(lambda: status_of(sid, control_home) == "working")
    axi_json("sessions", "type", sid, "--interrupt", cwd=control_home)
    wait_for(lambda: "[Request interrupted by user]" in texts(sid, control_home), seconds=5)
    axi_json("sessions", "type", sid, "still here?", cwd=control_home)
    wait_for(lambda: "ok: still here?" in texts(sid, control_home))
    wait_for(lambda: status_of(sid, control_home) == "idle", seconds=15)


def test_holder_killed_shows_crashed_and_leaves_nothing(control_home):
    sid = launch(control_home)
    row = launch_row(sid)
    os.kill(row["holder_pid"], signal.SIGKILL)
    wait_for(lambda: status_of(sid, control_home) == "crashed", seconds=10)
    waited = axi_json("sessions", "wait", sid, "--timeout", "20s", cwd=control_home)
    assert waited["code"] == "NOT_SUCCESS"
    assert waited["sessions"][0]["outcome"] == "crashed"
    wait_for(lambda: not proc.same(row["child_pid"], row["child_token"]), seconds=10)
    gone = axi_json("sessions", "type", sid, "hello?", cwd=control_home)
    assert gone["code"] == "SESSION_GONE"


def test_a_reused_pid_is_not_mistaken_for_the_holder(control_home):
    sid = launch(control_home)
    row = launch_row(sid)
    os.kill(row["holder_pid"], signal.SIGKILL)
    wait_for(lambda: not proc.alive(row["holder_pid"]) or proc.token(row["holder_pid"]) is None)
    stranger = subprocess.Popen(["sleep", "60"])
    try:
        # The heartbeat now names a live process, but one that started at another time.
        live.beat(sid, 0.0, stranger.pid, row["holder_token"], row["child_pid"])
        assert proc.alive(stranger.pid)
        assert live.state(launch_row(sid))[0] == live.CRASHED
        live.beat(sid, 0.0, stranger.pid, proc.token(stranger.pid), row["child_pid"])
        assert live.state(launch_row(sid))[0] == live.LIVE  # the check is the token, not luck
        live.beat(sid, 0.0, stranger.pid, "1", row["child_pid"])
    finally:
        stranger.kill()
        stranger.wait()
    assert status_of(sid, control_home) == "crashed"


def test_kill_a_whole_run_root_last(control_home):
    first = axi_json("sessions", "new", "claude", "one", cwd=control_home)
    second = axi_json("sessions", "new", "claude", "two", "--run", first["run"],
                      cwd=control_home)
    assert second["run"] == first["run"]
    wait_for(lambda: all(live.state(launch_row(s))[0] == live.LIVE
                         for s in (first["id"], second["id"])))
    killed = axi_json("sessions", "kill", "--run", first["run"], cwd=control_home)
    assert {k["id"] for k in killed["killed"]} == {first["id"], second["id"]}
    for sid in (first["id"], second["id"]):
        row = launch_row(sid)
        assert row["outcome"] == "killed" and not proc.same(row["child_pid"], row["child_token"])
        assert not proc.same(row["holder_pid"], row["holder_token"])
    again = axi_json("sessions", "kill", first["id"], cwd=control_home)
    assert again["already_stopped"] is True


def test_kill_answers_once_the_holder_has_exited(control_home):
    """The holder records the end, then lets go of its socket and exits: `kill` answers after
    that, so nothing of the session is left running (a few runs: the gap is milliseconds)."""
    for task in ("one", "two", "three"):
        sid = axi_json("sessions", "new", "claude", task, cwd=control_home)["id"]
        wait_for(lambda sid=sid: live.state(launch_row(sid))[0] == live.LIVE)
        killed = axi_json("sessions", "kill", sid, cwd=control_home)
        assert [k["id"] for k in killed["killed"]] == [sid]
        row = launch_row(sid)
        assert row["holder_pid"] and not proc.same(row["holder_pid"], row["holder_token"])


def test_restart_and_continue(control_home):
    done = axi_json("sessions", "new", "claude", "first task", "--wait", cwd=control_home)
    sid = done["sessions"][0]["id"]
    tagged = axi_json("sessions", "tag", sid[:8], "--label", "team=web", cwd=control_home)
    assert tagged["labels"] == {"team": "web"}
    more = axi_json("sessions", "continue", sid[:8], "second task", "--wait", cwd=control_home)
    assert more["sessions"][0]["outcome"] == "success"
    view = axi_json("sessions", "view", sid[:8], cwd=control_home)
    assert view["tags"] == {"team": "web"}  # the continued session keeps its tags
    assert texts(sid, control_home)[-1] == "ok: second task"  # the same transcript goes on
    again = axi_json("sessions", "restart", sid, "--wait", cwd=control_home)
    new_id = again["sessions"][0]["id"]
    assert new_id != sid and again["restarted"] == sid
    assert launch_row(new_id)["run"] == launch_row(sid)["run"]
    assert texts(new_id, control_home) == ["first task", "ok: first task"]


def test_tmux_backend_opens_a_window_that_attaches(control_home, private_tmux):
    from control_support import fake_config

    fake_config(Path(os.environ["AXI_HOME"]), top='mux = "tmux"')
    started = axi_json("sessions", "new", "claude", "in a window", cwd=control_home)
    window = started["tmux_window"]
    assert window.startswith("axi:@")

    def pane() -> str:
        return subprocess.run(["tmux", "capture-pane", "-p", "-t", window],
                              capture_output=True, text=True).stdout

    wait_for(lambda: "ok: in a window" in pane())
    axi_json("sessions", "type", started["id"], "typed from outside", cwd=control_home)
    wait_for(lambda: "ok: typed from outside" in pane())


def test_tag_moves_a_session_into_another_run(control_home):
    first = axi_json("sessions", "new", "claude", "one", cwd=control_home)
    second = axi_json("sessions", "new", "claude", "two", cwd=control_home)
    assert first["run"] != second["run"]
    moved = axi_json("sessions", "tag", second["id"], "--run", first["run"], cwd=control_home)
    assert moved["moved_to"] == first["run"]
    assert {r["id"] for r in records.members(records.connect(), first["run"])} == {
        first["id"], second["id"]}
    killed = axi_json("sessions", "kill", "--run", first["run"], cwd=control_home)
    assert {k["id"] for k in killed["killed"]} == {first["id"], second["id"]}
