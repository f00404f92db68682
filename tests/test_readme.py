"""The README's examples hold: its shell walks run as written, in a scratch HOME."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from control_support import stop_everything

ROOT = Path(__file__).resolve().parents[1]


def shell_block(after_heading: str) -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index(after_heading):]
    return re.search(r"```sh\n(.*?)```", section, re.S).group(1)


def test_trying_the_control_plane_without_a_real_harness(home, tmp_path, monkeypatch):
    script = shell_block("#### Try it without a real harness")
    bin_dir = Path(sys.executable).parent
    env = {k: v for k, v in os.environ.items() if not k.startswith("AXI_")}
    env.update(HOME=str(home), PATH=f"{bin_dir}:{env['PATH']}", TMPDIR=str(tmp_path))
    done = subprocess.run(["bash", "-e", "-c", script], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)
    (state,) = tmp_path.glob("tmp.*")  # the script's `mktemp -d`
    monkeypatch.setenv("AXI_HOME", str(state))
    assert stop_everything() == []  # its holders all end (the killed one, the waited one)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert "status: concluded\n" in done.stdout and ",done,success,0\n" in done.stdout
    assert "killed[1]{id,exit,signal}:" in done.stdout, done.stdout
