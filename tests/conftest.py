"""Shared fixtures: a temporary HOME holding the real corpus stores, and a strict TOON runner."""

from __future__ import annotations

import calendar
import contextlib
import io
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from support import decode_strict

# The recorded harness stores the project carries (tests/corpus/README.md); a clone anywhere
# passes its tests without ../shared.
CORPUS = Path(__file__).resolve().parent / "corpus"
HARNESSES = ("claude", "codex", "opencode", "pi")
# Half an hour after the corpus was recorded (2026-11-21, 23:28-23:32 UTC).
NOW = calendar.timegm(time.strptime("2026-11-22T00:00:00", "%Y-%m-%dT%H:%M:%S"))
ENV_CLEAR = ("CLAUDE_CONFIG_DIR", "CODEX_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME",
             "XDG_CONFIG_HOME", "PI_CODING_AGENT_DIR", "AXI_HOME", "AXI_NOW", "AXI_MAILBOX_URL")


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str
    data: object


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty HOME and state dir; the clock pinned."""
    for var in ENV_CLEAR:
        monkeypatch.delenv(var, raising=False)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("AXI_HOME", str(tmp_path / "state"))
    monkeypatch.setenv("AXI_NOW", str(NOW))
    monkeypatch.chdir(home)
    monkeypatch.setenv("PWD", str(home))
    return home


@pytest.fixture
def corpus_home(home: Path) -> Path:
    """HOME with every recorded harness store from tests/corpus copied in."""
    if not CORPUS.is_dir():
        pytest.fail(f"corpus not found at {CORPUS}")
    for harness in HARNESSES:
        shutil.copytree(CORPUS / harness / "home", home, dirs_exist_ok=True)
    return home


@pytest.fixture
def axi(monkeypatch: pytest.MonkeyPatch):
    """Run one axi command line in-process; stdout must be strict TOON (or JSON)."""
    from axi.cli import _split_format, run

    def invoke(*args: str, fmt_check: bool = True) -> Result:
        out, err = io.StringIO(), io.StringIO()
        monkeypatch.setattr(sys, "stdout", out)
        monkeypatch.setattr(sys, "stderr", err)
        fmt, rest = _split_format(list(args))
        code = run(rest, fmt)
        monkeypatch.setattr(sys, "stdout", sys.__stdout__)
        monkeypatch.setattr(sys, "stderr", sys.__stderr__)
        text = out.getvalue()
        if fmt == "json":
            import json

            data = json.loads(text)
        else:
            data = decode_strict(text) if fmt_check else None
        return Result(code, text, err.getvalue(), data)

    return invoke


@pytest.fixture
def control_home(home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """HOME plus a config.toml launching the fake harness; no launch outlives the test."""
    import os

    from control_support import fake_config, stop_everything

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


@pytest.fixture(autouse=True)
def _no_launch_outlives_its_test(monkeypatch: pytest.MonkeyPatch):
    """Stop whatever sessions a test launched (the state dir is still the test's here)."""
    yield
    import os

    if os.environ.get("AXI_HOME") and os.path.exists(
            os.path.join(os.environ["AXI_HOME"], "mailbox.sqlite")):
        from control_support import stop_everything

        orphans = stop_everything()
        assert not orphans, f"processes left running: {orphans}"


@pytest.fixture(scope="session", autouse=True)
def _no_orphans_after_the_suite(tmp_path_factory: pytest.TempPathFactory):
    """After every test has run, no holder, cascade or fake harness started under this run's
    temporary folders may still be alive (each test also stops its own launches)."""
    yield
    base = str(tmp_path_factory.getbasetemp())
    left = _orphans(base)
    for pid, _ in left:
        import os
        import signal

        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    assert not left, f"processes outlived the test suite: {left}"


def _orphans(base: str) -> list[tuple[int, str]]:
    import os

    marks = (b"axi.control.holder", b"axi.control.cascade", b"fake_harness.py")
    found = []
    for name in os.listdir("/proc") if os.path.isdir("/proc") else []:
        if not name.isdigit() or int(name) == os.getpid():
            continue
        try:
            with open(f"/proc/{name}/cmdline", "rb") as fh:
                cmdline = fh.read()
            if not any(m in cmdline for m in marks):
                continue
            with open(f"/proc/{name}/environ", "rb") as fh:
                environ = fh.read()
        except OSError:
            continue
        if f"AXI_HOME={base}".encode() in environ:
            found.append((int(name), cmdline.replace(b"\0", b" ").decode(errors="replace")))
    return found


@pytest.fixture
def private_tmux(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """tmux's default server in a folder of this test's own (outside any tmux), killed after;
    the test is skipped where tmux is not installed. Ask for it after `control_home`, so the
    server is gone before that fixture checks that no process outlived the test."""
    import shutil
    import subprocess

    if shutil.which("tmux") is None:
        pytest.skip("tmux is not installed (apt-get install tmux)")
    folder = tmp_path / "tmux"
    folder.mkdir()
    monkeypatch.setenv("TMUX_TMPDIR", str(folder))
    monkeypatch.delenv("TMUX", raising=False)
    yield
    subprocess.run(["tmux", "kill-server"], capture_output=True, timeout=20)


@pytest.fixture(scope="session")
def pg_server():
    """One real PostgreSQL server for the run (tests/pg_support.py), skipped with the reason
    where its binaries cannot be had."""
    import pg_support

    if pg_support.binaries() is None:
        pytest.skip("PostgreSQL is not installed (Debian: postgresql); .ci/run installs it")
    server = pg_support.Server()
    try:
        server.prepare()
        yield server
    finally:
        server.destroy()


@pytest.fixture
def team_url(pg_server, home: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A new team database; this process is machine_a on it (AXI_MAILBOX_URL)."""
    url = pg_server.url("machine_a", pg_server.new_database())
    monkeypatch.setenv("AXI_MAILBOX_URL", url)
    return url
