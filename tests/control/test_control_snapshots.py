"""Snapshots of the control-plane commands' output (ids, runs, times and ages scrubbed)."""

from __future__ import annotations

from control_snap import snap
from control_support import wait_for

from axi.control import live, records


def launched(axi, *args) -> str:
    sid = axi("sessions", "new", "claude", *args).data["id"]
    conn = records.connect()
    wait_for(lambda: live.state(records.get(conn, sid))[0] == live.LIVE)
    return sid


def test_launch_and_drive_outputs(axi, control_home, snapshot):
    sid = launched(axi, "hello")
    out = {"list_live": None}
    # The reply is in the transcript (and so in the index) before anything is snapshotted.
    wait_for(lambda: any(t.get("text") == "ok: hello" for t in
                         axi("sessions", "read", sid, "--since", "0").data.get("turns") or []
                         if isinstance(t, dict)))
    out["tag"] = snap(axi, control_home, "sessions", "tag", sid, "--name", "api",
                      "--label", "team=web")
    out["view"] = snap(axi, control_home, "sessions", "view", sid[:8])
    out["view"]["stdout"]["status"] = "<working or idle>"  # by the clock; tested elsewhere
    out["type"] = snap(axi, control_home, "sessions", "type", sid, "more please")
    out["type_nothing"] = snap(axi, control_home, "sessions", "type", sid)
    out["kill"] = snap(axi, control_home, "sessions", "kill", sid)
    out["kill_again"] = snap(axi, control_home, "sessions", "kill", sid)
    out["type_gone"] = snap(axi, control_home, "sessions", "type", sid, "anyone?")
    out["list_done"] = snap(axi, control_home, "sessions", "--status", "done")
    out["list_live"] = snap(axi, control_home, "sessions", "--status", "crashed")
    out["result"] = snap(axi, control_home, "sessions", "result", sid)
    assert out == snapshot


def test_headless_and_refusals(axi, control_home, snapshot, monkeypatch):
    out = {}
    out["new_wait"] = snap(axi, control_home, "sessions", "new", "claude", "all done", "--wait")
    out["new_watched"] = snap(axi, control_home, "sessions", "new", "claude", "watch me",
                              "--name", "watcher")
    out["unknown_harness"] = snap(axi, control_home, "sessions", "new", "gemini", "hi")
    out["bad_timeout"] = snap(axi, control_home, "sessions", "new", "claude", "hi",
                              "--timeout", "soon")
    out["unknown_id"] = snap(axi, control_home, "sessions", "wait", "zzzzzzzz")
    monkeypatch.setenv("AXI_SESSION_ID", "0" * 8)
    monkeypatch.setenv("AXI_DEPTH", "1")
    out["too_deep"] = snap(axi, control_home, "sessions", "new", "claude", "nested")
    assert out == snapshot
