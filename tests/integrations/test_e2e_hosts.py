"""End to end with the real CLIs (opt-in: `pytest -m e2e`; `.ci/run` runs it when npm exists).

Claude Code, Codex and opencode are installed from npm into a cache (`AXI_E2E_NPM`, default
~/.cache/axi-e2e/npm) and pointed at `tests/e2e/fake_llm.py` on 127.0.0.1 (tests/e2e/clis.py;
the fixtures are in conftest.py). `axi setup hooks` writes into a temporary HOME; then each CLI
runs two headless sessions in one folder (`claude -p`, `codex exec` with no trust-bypass flag,
`opencode run`). The dashboard must be in the first session's model request, and the second
session's dashboard must list the first. Each turn must report its state through the host's own
events (UserPromptSubmit and Stop, OpenCode's session.status): working, then idle, and without
the end event the catalog must show the session idle (the Stop report is newer than the
transcript's last write).
The `skills` CLI must install exactly `skills/axi/SKILL.md` from this checkout.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from e2e import clis

from axi import DESCRIPTION

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
RUN_TIMEOUT = 180


@pytest.fixture(scope="module")
def world(tmp_path_factory, npm_bin, llm):
    """A HOME with the three CLIs configured for the fake server and axi's hooks installed."""
    url, _ = llm
    base = tmp_path_factory.mktemp("e2e")
    home, project = base / "home", base / "home" / "proj"
    project.mkdir(parents=True)
    env = clis.environment(home, base / "state", url, npm_bin)
    (home / ".codex").mkdir()
    (home / ".codex" / "config.toml").write_text(clis.codex_config(
        url, header="# the fake model (this comment must survive axi setup hooks)\n"))
    (home / ".config" / "opencode").mkdir(parents=True)
    (home / ".config" / "opencode" / "opencode.json").write_text(clis.opencode_config(url))
    setup = subprocess.run([sys.executable, "-m", "axi", "setup", "hooks"], env=env,
                           cwd=project, capture_output=True, text=True, timeout=60)
    assert setup.returncode == 0, setup.stdout + setup.stderr
    assert "status: installed" in setup.stdout
    assert "# the fake model" in (home / ".codex" / "config.toml").read_text()
    return {"env": env, "project": project, "state": base / "state"}


def strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in strings(v)]
    return []


def dashboards(log: Path) -> list[str]:
    """Every model-request string that carries the dashboard."""
    found = []
    for line in log.read_text().splitlines():
        for text in strings(json.loads(line)["body"]):
            if DESCRIPTION in text and "bin: " in text:
                found.append(text)
    return found


def journal(state: Path) -> list[dict]:
    return [json.loads(x) for x in (state / "sessions.jsonl").read_text().splitlines()]


def session_ids(state: Path, harness: str, event: str = "start") -> list[str]:
    return [r["id"] for r in journal(state) if r["harness"] == harness and r["event"] == event]


def states(state: Path, sid: str) -> list[str]:
    return [r["why"] for r in journal(state) if r["id"] == sid and r["event"] == "state"]


def status_without_the_end(world: dict, sid: str, tmp: Path) -> str:
    """What the catalog shows from the start and state reports alone (a fresh index)."""
    tmp.mkdir()
    kept = [line for line in (world["state"] / "sessions.jsonl").read_text().splitlines()
            if json.loads(line)["event"] != "end"]
    (tmp / "sessions.jsonl").write_text("\n".join(kept) + "\n")
    view = subprocess.run([sys.executable, "-m", "axi", "sessions", "view", sid, "--format",
                           "json"], env={**world["env"], "AXI_HOME": str(tmp)},
                          cwd=world["project"], capture_output=True, text=True, timeout=60)
    return json.loads(view.stdout)["status"]


ARGV = {
    "claude": lambda prompt: ["claude", "-p", prompt],
    "codex": lambda prompt: ["codex", "exec", "--skip-git-repo-check", prompt],
    "opencode": lambda prompt: ["opencode", "run", prompt],
}


@pytest.mark.parametrize("harness", list(ARGV))
def test_dashboard_reaches_the_model_and_lists_the_previous_session(world, llm, harness,
                                                                    tmp_path):
    _, log = llm
    texts = []
    for n in (1, 2):
        log.write_text("")
        proc = subprocess.run(ARGV[harness](f"e2e {harness} session {n}"), env=world["env"],
                              cwd=world["project"], stdin=subprocess.DEVNULL,
                              capture_output=True, text=True, timeout=RUN_TIMEOUT)
        assert proc.returncode == 0, proc.stderr[-2000:]
        found = dashboards(log)
        assert found, f"{harness} session {n}: no dashboard in any model request"
        texts.append(found[0])
    first = session_ids(world["state"], harness)[0]
    short = first[:12] if first.startswith("ses_") else first[:8]
    assert short not in texts[0]
    assert short in texts[1], texts[1]
    words = states(world["state"], first)
    assert words[:1] == ["working"] and words[-1:] == ["idle"], words
    assert status_without_the_end(world, first, tmp_path / "state") == "idle"
    if harness != "opencode":  # opencode has no session-end event
        assert first in session_ids(world["state"], harness, "end")
        view = subprocess.run([sys.executable, "-m", "axi", "sessions", "view", first],
                              env=world["env"], cwd=world["project"], capture_output=True,
                              text=True, timeout=60)
        assert "status: ended" in view.stdout, view.stdout


def test_skills_cli_installs_only_the_skill(npm_bin, tmp_path):
    env = {**os.environ, "HOME": str(tmp_path), "PATH": f"{npm_bin}{os.pathsep}"
           f"{os.environ.get('PATH', '')}"}
    proc = subprocess.run(["skills", "add", str(ROOT), "--skill", "axi", "-y", "-g",
                           "-a", "claude-code"], env=env, cwd=tmp_path, capture_output=True,
                          text=True, timeout=RUN_TIMEOUT)
    assert proc.returncode == 0, proc.stdout[-2000:]
    installed = tmp_path / ".claude" / "skills" / "axi"
    assert sorted(p.name for p in installed.iterdir()) == ["SKILL.md"]
    assert (installed / "SKILL.md").read_text() == (ROOT / "skills/axi/SKILL.md").read_text()
