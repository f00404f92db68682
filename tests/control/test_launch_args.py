"""`axi sessions new --args WORDS`: the harness's own flags, placed before the task in every
built-in template, never dropped with an empty task, and kept for `restart`."""

from __future__ import annotations

import json

import pytest
from control_support import axi_json, axi_toon

from axi.control.launch import Request, build_argv

ID = "0c5e4d4e-7f5b-4f0e-9a57-1d2b4c6e8f00"
FLAGS = ["--yolo", "--add-dir", "/tmp/two words"]


def argv(harness: str, task: str | None, headless: bool = False, resume: str | None = None,
         args=FLAGS) -> list[str]:
    req = Request(harness, task, headless=headless, resume=resume, args=args)
    return build_argv(req, {}, ID, shell=["sh", "-c"])[0][-1]  # through a shell: no PATH check


@pytest.mark.parametrize(("harness", "headless", "resume", "want"), [
    ("claude", False, None, "exec claude --session-id {id} --yolo --add-dir '/tmp/two words' "
     "-- 'fix it'"),
    ("claude", True, "abc", "exec claude -p --resume abc --yolo --add-dir '/tmp/two words' "
     "-- 'fix it'"),
    ("codex", True, None, "exec codex exec --skip-git-repo-check --yolo --add-dir "
     "'/tmp/two words' -- 'fix it'"),
    ("opencode", False, None, "exec opencode --yolo --add-dir '/tmp/two words' --prompt "
     "'fix it'"),
    ("pi", True, None, "exec pi -p --yolo --add-dir '/tmp/two words' 'fix it'"),
])
def test_the_flags_go_before_the_task(harness, headless, resume, want):
    assert argv(harness, "fix it", headless, resume) == want.format(id=ID)


def test_an_empty_task_drops_its_own_flag_not_the_args():
    assert argv("pi", None, args=["--verbose"]) == "exec pi --verbose"
    assert argv("claude", None, args=["--verbose"]) == f"exec claude --session-id {ID} --verbose"
    assert argv("claude", None, args=[]) == f"exec claude --session-id {ID}"


def test_new_takes_args_and_records_them_for_restart(control_home):
    from axi.control import records

    launch = axi_json("sessions", "new", "claude", "--args=--verbose --name 'a b'",
                      "--headless", cwd=control_home)["id"]
    spec = json.loads(records.get(records.connect(), launch)["spec"])
    assert spec["request"]["args"] == ["--verbose", "--name", "a b"]
    at = spec["argv"].index("--verbose")
    assert spec["argv"][at:at + 3] == ["--verbose", "--name", "a b"]
    code, data = axi_toon("sessions", "new", "claude", "--args", "--x 'open", cwd=control_home)
    assert code == 2 and "--args is not a valid command line" in data["error"]
