"""Which command a hook runs: the bare `axi` only from a lasting PATH folder holding this axi."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from axi.integrations import command


def make_exe(folder: Path, target: Path | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "axi"
    if target:
        path.symlink_to(target)
    else:
        path.write_text("#!/bin/sh\n")
        path.chmod(0o755)
    return path


@pytest.fixture
def lasting_root(tmp_path, monkeypatch):
    """tmp_path lives under /tmp, which counts as throwaway; pretend it does not."""
    monkeypatch.setattr(command.tempfile, "gettempdir", lambda: "/nonexistent-tmp")
    monkeypatch.setattr(command, "TEMP_ROOTS", ())
    monkeypatch.delenv("VIRTUAL_ENV", raising=False)
    return tmp_path


def test_bare_name_when_path_finds_this_same_axi(lasting_root):
    exe = make_exe(lasting_root / "pipx" / "venvs" / "axi" / "bin")
    link = make_exe(lasting_root / "local" / "bin", target=exe)
    assert command.choose([str(exe)], path=str(link.parent)) == ["axi"]
    assert "lasting" in command.explain([str(exe)], path=str(link.parent))


def test_absolute_path_when_path_finds_another_axi(lasting_root):
    exe = make_exe(lasting_root / "a" / "bin")
    other = make_exe(lasting_root / "b" / "bin")
    assert command.choose([str(exe)], path=str(other.parent)) == [str(exe)]
    assert "another axi" in command.explain([str(exe)], path=str(other.parent))


def test_absolute_path_when_path_finds_none(lasting_root):
    exe = make_exe(lasting_root / "a" / "bin")
    assert command.choose([str(exe)], path="/nonexistent") == [str(exe)]


@pytest.mark.parametrize("folder", [".pyenv/shims", ".asdf/shims", ".pyenv/versions/3.12/bin"])
def test_shims_and_version_folders_get_the_absolute_path(lasting_root, folder):
    exe = make_exe(lasting_root / folder)
    assert command.choose([str(exe)], path=str(exe.parent)) == [str(exe)]


def test_a_virtualenv_gets_the_absolute_path(lasting_root):
    venv = lasting_root / "proj" / ".venv"
    exe = make_exe(venv / "bin")
    (venv / "pyvenv.cfg").write_text("home = /usr/bin\n")
    assert command.choose([str(exe)], path=str(exe.parent)) == [str(exe)]
    assert "virtualenv" in command.explain([str(exe)], path=str(exe.parent))


def test_pipx_venv_on_path_is_fine(lasting_root):
    venv = lasting_root / "pipx" / "venvs" / "axi"
    exe = make_exe(venv / "bin")
    (venv / "pyvenv.cfg").write_text("home = /usr/bin\n")
    assert command.choose([str(exe)], path=str(exe.parent)) == ["axi"]


def test_temporary_folders_and_relative_entries_are_throwaway(monkeypatch):
    monkeypatch.delenv("VIRTUAL_ENV", raising=False)
    assert command.fleeting("/tmp/x/bin") == "a temporary folder"
    assert command.fleeting("bin") == "a relative PATH entry"
    assert command.fleeting("/usr/local/bin") is None


def test_module_form_is_kept_and_quoted():
    argv = command.hook_argv("SessionStart", "claude", ["/p y/python", "-m", "axi"])
    assert command.shell_line(argv) == "'/p y/python' -m axi hook session-start --host claude"
    assert command.parse_managed(command.shell_line(argv)) == ("session-start", "claude")


def test_managed_lines_are_recognised_and_others_not():
    assert command.parse_managed("/opt/x/axi hook session-end --host codex") == (
        "session-end", "codex")
    assert command.parse_managed("axi hook session-start") == ("session-start", None)
    for other in ("my-axi-wrapper hook session-start", "echo axi", "'unclosed", None, 3):
        assert command.parse_managed(other) is None


def test_this_axi_is_the_console_script_beside_the_interpreter():
    exe = command.executable()
    assert os.path.basename(exe[0]) in ("axi", "python", "python3") or exe[-1] == "axi"
