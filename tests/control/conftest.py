"""Control-plane fixtures: a HOME whose `claude` is the fake harness, with the real clock."""

from __future__ import annotations

from pathlib import Path

import pytest
from control_support import fake_config, stop_everything


@pytest.fixture
def control_home(home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """HOME plus a config.toml launching the fake harness; no launch outlives the test."""
    import os

    monkeypatch.delenv("AXI_NOW", raising=False)
    for var in ("AXI_SESSION_ID", "AXI_RUN", "AXI_PARENT", "AXI_DEPTH", "AXI_ACCEPT",
                "AXI_UNATTENDED", "AXI_MAX_COST", "AXI_MAX_TOKENS", "AXI_MAX_WORKERS",
                "AXI_MAX_DEPTH", "AXI_TIMEOUT", "XDG_RUNTIME_DIR"):
        monkeypatch.delenv(var, raising=False)
    fake_config(Path(os.environ["AXI_HOME"]))
    project = home / "proj"
    project.mkdir()
    monkeypatch.chdir(project)
    monkeypatch.setenv("PWD", str(project))
    yield project
    orphans = stop_everything()
    assert not orphans, f"processes left running: {orphans}"
