"""`axi check` runs a launch's accept check without concluding anything; `default_harness`
lets `axi sessions new "task"` name no harness."""

from __future__ import annotations

import os
from pathlib import Path

from control_support import axi_json, axi_toon, fake_config, wait_for

from axi.control import records


def headless(cwd: Path, *extra: str) -> str:
    code, data = axi_toon("sessions", "new", "claude", "do it", "--headless", *extra, cwd=cwd)
    assert code == 0, data
    return data["id"]


def test_check_reports_pass_and_fail_and_concludes_nothing(control_home):
    launch = headless(control_home, "--accept", "test -f ready.txt", "--run", "run-check")
    wait_for(lambda: axi_json("sessions", "result", launch, cwd=control_home).get("outcome"))
    before = records.get(records.connect(), launch)["outcome"]
    code, failed = axi_toon("check", launch[:8], cwd=control_home)
    assert code == 1 and failed["code"] == "CHECK_FAILED"
    assert failed["check"] == "test -f ready.txt" and "exited 1" in failed["output"]
    (control_home / "ready.txt").write_text("ok\n")
    code, passed = axi_toon("check", "run-check", cwd=control_home)  # by its run
    assert code == 0 and passed["status"] == "passed" and passed["check"] == "test -f ready.txt"
    assert records.get(records.connect(), launch)["outcome"] == before  # nothing concluded


def test_check_needs_an_accept_check(control_home):
    launch = headless(control_home)
    code, data = axi_toon("check", launch[:8], cwd=control_home)
    assert code == 2 and "--accept" in data["help"][0]
    code, data = axi_toon("check", "nope-1234", cwd=control_home)
    assert code == 1 and data["code"] == "NOT_FOUND"


def test_new_without_a_harness_uses_default_harness(control_home):
    code, data = axi_toon("sessions", "new", "fix the flaky test", "--headless",
                          cwd=control_home)
    assert code == 2 and "default_harness" in data["error"]
    assert any('default_harness = "claude"' in h for h in data["help"])
    fake_config(Path(os.environ["AXI_HOME"]), top='default_harness = "claude"')
    code, data = axi_toon("sessions", "new", "fix the flaky test", "--headless",
                          cwd=control_home)
    assert code == 0 and data["harness"] == "claude"
    assert records.get(records.connect(), data["id"])["task"] == "fix the flaky test"


def test_default_harness_must_name_a_harness(control_home):
    fake_config(Path(os.environ["AXI_HOME"]), top='default_harness = "emacs"')
    code, data = axi_toon("sessions", "new", "a task", cwd=control_home)
    assert code != 0 and data["code"] == "CONFIG_INVALID" and "default_harness" in data["error"]
