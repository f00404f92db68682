"""Pre-trusting a folder in ~/.claude.json before a watched launch: minimal, atomic, and never
over a file that could not be parsed."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from control_support import axi_json, fake_config

from axi.control import trust
from axi.integrations.files import Unreadable


def test_marks_the_folder_and_keeps_everything_else(home: Path):
    cfg = home / ".claude.json"
    cfg.write_text(json.dumps({"numStartups": 3, "projects": {"/elsewhere": {
        "allowedTools": ["Bash"], "hasTrustDialogAccepted": False}}}, indent=4))
    cfg.chmod(0o640)
    assert trust.trust_claude("/work/app/") is True
    doc = json.loads(cfg.read_text())
    assert doc["numStartups"] == 3
    assert doc["projects"]["/elsewhere"] == {"allowedTools": ["Bash"],
                                             "hasTrustDialogAccepted": False}
    assert doc["projects"]["/work/app"] == {"hasTrustDialogAccepted": True}
    assert cfg.read_text().startswith('{\n    "numStartups"')  # its own indentation
    assert stat.S_IMODE(cfg.stat().st_mode) == 0o640
    assert not [p for p in home.iterdir() if p.name.endswith(".axi-tmp")]


def test_an_existing_entry_keeps_its_other_fields(home: Path):
    cfg = home / ".claude.json"
    cfg.write_text(json.dumps({"projects": {"/work/app": {"allowedTools": ["Read"]}}}))
    assert trust.trust_claude("/work/app") is True
    assert json.loads(cfg.read_text())["projects"]["/work/app"] == {
        "allowedTools": ["Read"], "hasTrustDialogAccepted": True}


def test_nothing_written_when_the_folder_or_a_parent_is_trusted(home: Path):
    cfg = home / ".claude.json"
    text = json.dumps({"projects": {"/work": {"hasTrustDialogAccepted": True}}})
    cfg.write_text(text)
    before = cfg.stat().st_mtime_ns
    assert trust.trust_claude("/work/app/sub") is False
    assert trust.trust_claude("/work") is False
    assert cfg.read_text() == text and cfg.stat().st_mtime_ns == before


def test_a_missing_file_is_created_private(home: Path):
    assert trust.trust_claude("/work/app") is True
    cfg = home / ".claude.json"
    assert json.loads(cfg.read_text()) == {"projects": {"/work/app": {
        "hasTrustDialogAccepted": True}}}
    assert stat.S_IMODE(cfg.stat().st_mode) == 0o600


@pytest.mark.parametrize("text", ['{"projects": {"/a": ', "[1, 2]", '{"projects": []}',
                                  '{"projects": {"/work/app": true}}'])
def test_refuses_a_file_it_cannot_edit_and_leaves_it_alone(home: Path, text: str):
    cfg = home / ".claude.json"
    cfg.write_text(text)
    with pytest.raises(Unreadable):
        trust.trust_claude("/work/app")
    assert cfg.read_text() == text
    warning = trust.before_launch("claude", "/work/app")
    assert "could not pre-trust /work/app" in warning and "attach" in warning
    assert cfg.read_text() == text


def test_claude_config_dir_and_the_legacy_file(home: Path, monkeypatch):
    assert trust.claude_config_path() == str(home / ".claude.json")
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(home / "cc"))
    assert trust.claude_config_path() == str(home / "cc" / ".claude.json")
    (home / "cc").mkdir()
    (home / "cc" / ".config.json").write_text("{}")
    assert trust.claude_config_path() == str(home / "cc" / ".config.json")


def test_other_harnesses_are_left_alone(home: Path):
    assert trust.before_launch("codex", "/work/app") is None
    assert not (home / ".claude.json").exists()


# Through `axi sessions new` (the fake harness stands in for claude) ------------------------

def trusted(home: Path, folder: Path) -> bool:
    path = home / ".claude.json"
    if not path.exists():
        return False
    entry = json.loads(path.read_text()).get("projects", {}).get(str(folder), {})
    return entry.get("hasTrustDialogAccepted") is True


def test_a_watched_launch_trusts_its_folder_and_headless_does_not(control_home: Path):
    home = control_home.parent
    done = axi_json("sessions", "new", "claude", "exit", "--headless", cwd=control_home)
    assert "warning" not in done
    assert not trusted(home, control_home)
    started = axi_json("sessions", "new", "claude", "exit", cwd=control_home)
    assert "warning" not in started
    assert trusted(home, control_home)


def test_pretrust_false_writes_nothing(control_home: Path):
    fake_config(Path(os.environ["AXI_HOME"]), extra="pretrust = false\n")
    axi_json("sessions", "new", "claude", "exit", cwd=control_home)
    assert not (control_home.parent / ".claude.json").exists()


def test_a_broken_claude_json_does_not_stop_the_launch(control_home: Path):
    cfg = control_home.parent / ".claude.json"
    cfg.write_text("{broken")
    started = axi_json("sessions", "new", "claude", "exit", cwd=control_home)
    assert started["id"] and "could not pre-trust" in started["warning"]
    assert cfg.read_text() == "{broken"
