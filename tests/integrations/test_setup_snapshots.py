"""Snapshots of what `axi setup` prints (decoded strictly; the machine's paths scrubbed)."""

from __future__ import annotations

import json

import pytest

EXE = "/opt/axi/bin/axi"


@pytest.fixture
def pinned(monkeypatch):
    monkeypatch.setattr("axi.commands.setup.executable", lambda: [EXE])
    monkeypatch.setenv("PATH", "/usr/bin:/bin")


def test_setup_outputs(axi, home, pinned, snapshot, monkeypatch):
    seen = {
        "status_empty": axi("setup", "status"),
        "hooks_fresh": axi("setup", "hooks"),
        "hooks_again": axi("setup", "hooks"),
        "status_installed": axi("setup", "status"),
    }
    settings = home / ".claude" / "settings.json"
    settings.write_text("{ not json")
    seen["hooks_partial"] = axi("setup", "hooks")
    seen["uninstall"] = axi("setup", "uninstall")
    seen["uninstall_again"] = axi("setup", "uninstall")
    settings.write_text(json.dumps({}))
    project = home / "work" / "app"
    project.mkdir(parents=True)
    monkeypatch.chdir(project)
    monkeypatch.setenv("PWD", str(project))
    seen["hooks_project_no_claude"] = axi("setup", "hooks", "--scope", "project",
                                          "--host", "codex", "--host", "opencode")
    seen["status_project"] = axi("setup", "status")
    out = {name: {"exit": r.code, "stdout": r.data} for name, r in seen.items()}
    assert out == snapshot
