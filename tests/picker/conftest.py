"""Picker fixtures: the real index built from the recorded stores, and the app under Pilot."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def indexed(corpus_home: Path) -> Path:
    """HOME with the corpus stores, and the index built from them (as `axi sessions` does)."""
    from axi.index.catalog import open_index

    conn, _ = open_index()
    conn.close()
    return corpus_home


@pytest.fixture
def make_app(indexed: Path):
    """A PickApp on the corpus index (no background refresh unless asked)."""
    from axi.picker.app import PickApp
    from axi.picker.keys import bindings

    def make(config: dict | None = None, live: bool = False, **kwargs) -> PickApp:
        config = config or {}
        return PickApp(config, bindings(config), live=live, **kwargs)

    return make


@pytest.fixture
def launch_home(home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """HOME whose `claude` is the fake harness (tests/control/fake_harness.py), real clock;
    every launch is stopped when the test ends."""
    import os

    from control_support import fake_config, stop_everything

    monkeypatch.delenv("AXI_NOW", raising=False)
    for var in ("AXI_SESSION_ID", "AXI_RUN", "AXI_PARENT", "AXI_DEPTH", "AXI_UNATTENDED",
                "XDG_RUNTIME_DIR"):
        monkeypatch.delenv(var, raising=False)
    fake_config(Path(os.environ["AXI_HOME"]))
    project = home / "proj"
    project.mkdir()
    monkeypatch.chdir(project)
    monkeypatch.setenv("PWD", str(project))
    yield project
    assert not stop_everything()
