"""A worker cannot leave its run's fences by rewriting its environment.

Each test drives a real holder running the fake harness, whose `sh` prompt runs a shell
command line the way an agent's tool call would. The launch it makes is recognised as part
of the run from the process tree (the holder is among its ancestors), not from `AXI_*`."""

from __future__ import annotations

import json
import os
import shlex
import sys
from pathlib import Path

from control_support import axi_json, axi_toon, fake_config, wait_for

from axi.control import records

STRIP = ("-u AXI_RUN -u AXI_DEPTH -u AXI_SESSION_ID -u AXI_PARENT -u AXI_MAX_DEPTH "
         "-u AXI_MAX_TOKENS -u AXI_MAX_COST -u AXI_MAX_WORKERS -u AXI_TIMEOUT")


def launch(cwd: Path, *args: str) -> dict:
    code, data = axi_toon("sessions", "new", "claude", *args, cwd=cwd)
    assert code == 0, data
    return data


def replies(sid: str, cwd: Path) -> list[str]:
    data = axi_json("sessions", "read", sid, "--since", "0", "--limit", "50", cwd=cwd)
    return [t["text"] for t in data.get("turns") or [] if t.get("role") == "assistant"]


def shell(root: dict, cwd: Path, command: str) -> dict:
    """Type `sh <command>` into the held session; the JSON its axi call printed."""
    before = len([t for t in replies(root["id"], cwd) if t.startswith("sh: ")])
    axi_json("sessions", "type", root["id"], f"sh {command}", cwd=cwd)
    said = wait_for(lambda: [t for t in replies(root["id"], cwd) if t.startswith("sh: ")]
                    [before:], seconds=30)
    return json.loads(said[0].removeprefix("sh: "))


def axi_cmd(*args: str) -> str:
    return shlex.join([sys.executable, "-m", "axi", *args, "--format", "json"])


def started(root: dict, cwd: Path) -> None:
    wait_for(lambda: any(t.startswith("ok: hello") for t in replies(root["id"], cwd)))


def test_unsetting_the_run_variables_and_moving_axi_home_keeps_the_depth_fence(
        control_home, tmp_path):
    root = launch(control_home, "hello")  # --max-depth 1: no nested launch
    started(root, control_home)
    elsewhere = tmp_path / "elsewhere"
    refused = shell(root, control_home, f"env {STRIP} AXI_HOME={elsewhere} "
                    + axi_cmd("sessions", "new", "claude", "nested", "--max-depth", "9"))
    assert refused["code"] == "FENCE_DEPTH", refused
    assert "depth 2 is over --max-depth 1" in refused["error"]
    assert len(records.members(records.connect(), root["run"])) == 1
    assert not (elsewhere / "mailbox.sqlite").exists()


def test_a_double_forked_setsid_launch_is_still_below_its_holder(control_home):
    root = launch(control_home, "hello")
    started(root, control_home)
    out = control_home / "escaped.json"
    inner = f"env {STRIP} " + axi_cmd("sessions", "new", "claude", "nested") + f" > {out}"
    shell(root, control_home, f"setsid -f sh -c {shlex.quote(inner)}; echo '{{}}'")
    refused = json.loads(wait_for(lambda: out.exists() and out.read_text().strip()))
    assert refused["code"] == "FENCE_DEPTH", refused
    assert len(records.members(records.connect(), root["run"])) == 1


def test_the_run_keeps_the_policy_it_started_with(control_home):
    fake_config(Path(os.environ["AXI_HOME"]),
                extra='[policy]\nmodels = { deny = ["*opus*"] }\n')
    root = launch(control_home, "hello", "--max-depth", "3")
    started(root, control_home)
    # An empty config names no policy, but the run's own still binds; globs ignore case.
    refused = shell(root, control_home, f"AXI_CONFIG=/dev/null env {STRIP} " + axi_cmd(
        "sessions", "new", "claude", "x", "--model", "Claude-OPUS-4"))
    assert refused["code"] == "POLICY" and "Claude-OPUS-4" in refused["error"], refused
    moved = shell(root, control_home, f"env {STRIP} " + axi_cmd(
        "sessions", "new", "claude", "x", "--run", "run-free"))
    assert moved["code"] == "FENCE_RUN" and root["run"] in moved["error"], moved
    joined = shell(root, control_home, f"env {STRIP} " + axi_cmd(
        "sessions", "new", "claude", "worker", "--headless"))
    assert joined["run"] == root["run"], joined
    worker = records.get(records.connect(), joined["id"])
    assert (worker["parent"], worker["depth"]) == (root["id"], 2)
    assert records.run_policy(records.connect(), root["run"]) == {"models": {"deny": ["*opus*"]}}
    code, _ = axi_toon("sessions", "wait", joined["id"], "--timeout", "20s", cwd=control_home)
    assert code == 0


def test_a_run_id_that_is_not_safe_to_paste_is_refused(control_home):
    code, refused = axi_toon("sessions", "new", "claude", "x", "--run", "$(touch P)",
                             cwd=control_home)
    assert code == 2 and refused["code"] == "USAGE", refused
    assert "is not a run id" in refused["error"]
    assert records.get_run(records.connect(), "$(touch P)") is None
