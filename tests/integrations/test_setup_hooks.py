"""`axi setup hooks|status|uninstall` on fresh, repeated, moved-binary, malformed-file and
unmanaged-plugin cases, at user and project scope."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
import tomlkit

from axi.integrations import codex
from axi.integrations.opencode import HEADER

OLD = "/opt/old/bin/axi"
NEW = "/opt/new/bin/axi"


@pytest.fixture
def exe(monkeypatch):
    """Pin the executable axi writes into hooks (a path that is not on PATH)."""
    current = {"argv": [NEW]}
    monkeypatch.setattr("axi.commands.setup.executable", lambda: list(current["argv"]))
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    return current


def paths(home: Path) -> dict[str, Path]:
    return {"claude": home / ".claude" / "settings.json",
            "codex": home / ".codex" / "hooks.json",
            "config": home / ".codex" / "config.toml",
            "plugin": home / ".config" / "opencode" / "plugins" / "axi.js"}


def commands(doc: dict, event: str) -> list[str]:
    return [h["command"] for g in doc["hooks"].get(event, []) for h in g["hooks"]]


def test_fresh_install_writes_every_host(axi, home, exe):
    result = axi("setup", "hooks")
    assert result.code == 0
    assert result.data["status"] == "installed"
    p = paths(home)
    claude = json.loads(p["claude"].read_text())
    assert commands(claude, "SessionStart") == [f"{NEW} hook session-start --host claude"]
    assert commands(claude, "SessionEnd") == [f"{NEW} hook session-end --host claude"]
    for event in ("UserPromptSubmit", "Stop", "Notification"):
        assert commands(claude, event) == [f"{NEW} hook state --host claude"]
    assert "PermissionRequest" not in claude["hooks"]
    hooks = json.loads(p["codex"].read_text())
    for event in ("UserPromptSubmit", "Stop", "PermissionRequest"):
        assert commands(hooks, event) == [f"{NEW} hook state --host codex"]
        assert "matcher" not in hooks["hooks"][event][0]
    assert "Notification" not in hooks["hooks"]
    config = tomlkit.parse(p["config"].read_text())
    assert config["features"]["hooks"] is True
    for event, groups in hooks["hooks"].items():
        key = f"{p['codex']}:{codex.snake(event)}:0:0"
        assert config["hooks"]["state"][key]["trusted_hash"] == codex.trusted_hash(
            event, groups[0], groups[0]["hooks"][0])
    assert len(config["hooks"]["state"]) == 5
    plugin = p["plugin"].read_text()
    assert plugin.startswith(HEADER) and f'const AXI_ARGV = ["{NEW}", "hook"' in plugin
    assert f'const AXI_STATE_ARGV = ["{NEW}", "hook", "state", "--host", "opencode"]' in plugin
    assert "written to" in result.data["codex_trust"]
    status = axi("setup", "status").data
    assert {r["state"] for r in status["hooks"]} == {"installed"}
    codex_row = next(r for r in status["hooks"] if r["host"] == "codex")
    assert "codex will run it" in codex_row["detail"]


def test_trust_hash_follows_the_identity_codex_hashes():
    """sha256 of the sorted compact JSON identity; `matcher` only when the group has one."""
    import hashlib

    group = {"matcher": "", "hooks": [{"type": "command", "command": "x", "timeout": 10}]}
    identity = {"event_name": "session_start", "matcher": "", "hooks": [
        {"type": "command", "command": "x", "timeout": 10, "async": False}]}
    blob = json.dumps(identity, sort_keys=True, separators=(",", ":")).encode()
    assert codex.trusted_hash("SessionStart", group, group["hooks"][0]) == (
        "sha256:" + hashlib.sha256(blob).hexdigest())
    without = codex.trusted_hash("SessionStart", {"hooks": []}, group["hooks"][0])
    assert without != codex.trusted_hash("SessionStart", group, group["hooks"][0])


def test_second_run_changes_nothing(axi, home, exe):
    axi("setup", "hooks")
    before = {k: (v.read_bytes(), v.stat().st_mtime_ns) for k, v in paths(home).items()}
    again = axi("setup", "hooks")
    assert again.data["status"] == "unchanged" and again.data["already"] is True
    assert before == {k: (v.read_bytes(), v.stat().st_mtime_ns) for k, v in paths(home).items()}


def test_moved_binary_is_repaired_in_place_with_its_trust(axi, home, exe):
    p = paths(home)
    p["claude"].parent.mkdir(parents=True)
    p["claude"].write_text(json.dumps({"hooks": {"SessionStart": [
        {"matcher": "", "hooks": [{"type": "command", "command": "echo mine"}]}]}}))
    exe["argv"] = [OLD]
    axi("setup", "hooks")
    exe["argv"] = [NEW]
    stale = axi("setup", "status").data["hooks"]
    assert {r["state"] for r in stale} == {"stale"}
    assert all("(missing)" in r["detail"] for r in stale)
    codex_row = next(r for r in stale if r["host"] == "codex")
    assert "codex will run it and fail" in codex_row["detail"]
    result = axi("setup", "hooks")
    assert result.data["status"] == "installed"
    claude = json.loads(p["claude"].read_text())
    assert commands(claude, "SessionStart") == [
        "echo mine", f"{NEW} hook session-start --host claude"]
    status = axi("setup", "status").data["hooks"]
    assert {r["state"] for r in status} == {"installed"}
    assert "codex will run it" in next(r for r in status if r["host"] == "codex")["detail"]
    assert OLD not in p["plugin"].read_text()


def test_unrelated_keys_and_hooks_survive_install_and_uninstall(axi, home, exe):
    p = paths(home)
    p["claude"].parent.mkdir(parents=True)
    original = {"model": "opus", "permissions": {"allow": ["Bash(ls)"]}, "hooks": {
        "SessionStart": [{"matcher": "startup", "hooks": [
            {"type": "command", "command": "my-start", "timeout": 3}]}],
        "Stop": [{"hooks": [{"type": "command", "command": "my-stop"}]}]}}
    p["claude"].write_text(json.dumps(original, indent=4) + "\n")
    axi("setup", "hooks")
    doc = json.loads(p["claude"].read_text())
    assert doc["model"] == "opus" and doc["hooks"]["Stop"][0] == original["hooks"]["Stop"][0]
    assert commands(doc, "Stop") == ["my-stop", f"{NEW} hook state --host claude"]
    assert doc["hooks"]["SessionStart"][0] == original["hooks"]["SessionStart"][0]
    assert p["claude"].read_text().startswith('{\n    "model"')  # the file's own indentation
    result = axi("setup", "uninstall")
    assert result.data["status"] == "removed"
    assert json.loads(p["claude"].read_text()) == original
    assert not p["plugin"].exists()
    again = axi("setup", "uninstall")
    assert again.data["status"] == "unchanged" and again.data["already"] is True


def test_malformed_files_are_left_untouched_and_reported(axi, home, exe):
    p = paths(home)
    p["claude"].parent.mkdir(parents=True)
    p["claude"].write_text('{"hooks": {')
    p["config"].parent.mkdir(parents=True)
    p["config"].write_text("model = \n[broken")
    result = axi("setup", "hooks")
    assert result.code == 0
    assert result.data["status"] == "partial"
    failed = {f["file"] for f in result.data["failures"]}
    assert failed == {"~/.claude/settings.json", "~/.codex/config.toml"}
    assert p["claude"].read_text() == '{"hooks": {'
    assert p["config"].read_text() == "model = \n[broken"
    assert not p["codex"].exists()  # no hook written beside a config it cannot read
    assert p["plugin"].exists()
    states = {r["host"]: r["state"] for r in axi("setup", "status").data["hooks"]}
    assert states["claude"] == "unreadable"


def test_unmanaged_plugin_is_never_overwritten(axi, home, exe):
    p = paths(home)
    p["plugin"].parent.mkdir(parents=True)
    p["plugin"].write_text("export default {}\n")
    result = axi("setup", "hooks")
    assert result.data["status"] == "partial"
    assert "not written by axi" in result.data["failures"][0]["error"]
    assert p["plugin"].read_text() == "export default {}\n"
    states = {r["host"]: r["state"] for r in axi("setup", "status").data["hooks"]}
    assert states["opencode"] == "unmanaged"
    axi("setup", "uninstall")
    assert p["plugin"].read_text() == "export default {}\n"


def test_comments_in_config_toml_survive(axi, home, exe):
    p = paths(home)
    p["config"].parent.mkdir(parents=True)
    text = ('# my codex settings\nmodel = "gpt-5-codex"  # keep this\n\n'
            '[features]\n# experiments\nweb_search = true\n\n[projects."/w"]\n'
            'trust_level = "trusted"\n')
    p["config"].write_text(text)
    axi("setup", "hooks")
    after = p["config"].read_text()
    for line in text.splitlines():
        assert line in after
    assert tomlkit.parse(after)["features"]["hooks"] is True
    axi("setup", "uninstall")
    final = p["config"].read_text()
    assert "session_start" not in final
    for line in text.splitlines():
        assert line in final


def test_project_scope_never_writes_trust(axi, home, exe, monkeypatch):
    project = home / "work" / "app"
    project.mkdir(parents=True)
    monkeypatch.chdir(project)
    monkeypatch.setenv("PWD", str(project))
    result = axi("setup", "hooks", "--scope", "project")
    assert result.data["status"] == "installed"
    assert (project / ".claude" / "settings.json").exists()
    assert (project / ".codex" / "hooks.json").exists()
    assert (project / ".opencode" / "plugins" / "axi.js").exists()
    config = tomlkit.parse(paths(home)["config"].read_text())
    assert "hooks" not in config  # the feature flag only, no trust
    assert "not written" in result.data["codex_trust"]
    assert any("/hooks" in s for s in result.data["steps"])
    status = axi("setup", "status").data["hooks"]
    project_codex = next(r for r in status if r["host"] == "codex" and r["scope"] == "project")
    assert "codex will not run it" in project_codex["detail"]
    assert not paths(home)["claude"].exists()


def test_no_trust_leaves_review_to_codex(axi, home, exe):
    result = axi("setup", "hooks", "--no-trust", "--host", "codex")
    assert "--no-trust" in result.data["codex_trust"]
    assert any("/hooks" in s for s in result.data["steps"])
    assert "hooks" not in tomlkit.parse(paths(home)["config"].read_text())
    assert not paths(home)["claude"].exists()


def test_uninstall_moves_trust_of_hooks_that_shift(axi, home, exe):
    """Removing axi's group must not make Codex re-review the user's own trusted hooks."""
    p = paths(home)
    axi("setup", "hooks", "--host", "codex")
    hooks = json.loads(p["codex"].read_text())
    mine = {"type": "command", "command": "my-start", "timeout": 5}
    hooks["hooks"]["SessionStart"].append({"matcher": "", "hooks": [mine]})
    p["codex"].write_text(json.dumps(hooks))
    config = tomlkit.parse(p["config"].read_text())
    config["hooks"]["state"][f"{p['codex']}:session_start:1:0"] = {"trusted_hash": "sha256:m"}
    p["config"].write_text(tomlkit.dumps(config))
    axi("setup", "uninstall", "--host", "codex")
    state = tomlkit.parse(p["config"].read_text())["hooks"]["state"]
    assert state.unwrap() == {f"{p['codex']}:session_start:0:0": {"trusted_hash": "sha256:m"}}
    assert json.loads(p["codex"].read_text())["hooks"]["SessionStart"][0]["hooks"] == [mine]


def test_writes_go_through_symlinks_and_keep_the_mode(axi, home, exe):
    p = paths(home)
    real = home / "dotfiles" / "claude.json"
    real.parent.mkdir()
    real.write_text("{}\n")
    real.chmod(0o600)
    p["claude"].parent.mkdir(parents=True)
    p["claude"].symlink_to(real)
    axi("setup", "hooks", "--host", "claude")
    assert p["claude"].is_symlink()
    assert "session-start" in real.read_text()
    assert stat.S_IMODE(real.stat().st_mode) == 0o600
    assert not [f for f in os.listdir(real.parent) if f.endswith(".axi-tmp")]


def test_setup_without_a_verb_is_status(axi, home, exe):
    result = axi("setup")
    assert result.data["summary"] == "0 installed, 0 need attention"
    assert "`axi setup hooks`" in result.data["help"][0]


def test_an_install_from_before_state_hooks_needs_a_rerun(axi, home, exe):
    """Start and end entries only (as axi wrote them before): partial, and the fix is named."""
    p = paths(home)
    axi("setup", "hooks")
    for name, gone in (("claude", ("UserPromptSubmit", "Stop", "Notification")),
                       ("codex", ("UserPromptSubmit", "Stop", "PermissionRequest"))):
        doc = json.loads(p[name].read_text())
        for event in gone:
            del doc["hooks"][event]
        p[name].write_text(json.dumps(doc))
    config = tomlkit.parse(p["config"].read_text())
    for event in ("user_prompt_submit", "stop", "permission_request"):
        del config["hooks"]["state"][f"{p['codex']}:{event}:0:0"]
    p["config"].write_text(tomlkit.dumps(config))
    older = p["plugin"].read_text().replace("AXI_STATE_ARGV", "AXI_UNUSED")
    p["plugin"].write_text(older)

    status = axi("setup", "status").data
    rows = {r["host"]: r for r in status["hooks"]}
    assert rows["claude"]["state"] == rows["codex"]["state"] == "partial"
    assert rows["claude"]["detail"] == (
        "no UserPromptSubmit, Stop, Notification; `axi setup hooks` adds them")
    assert rows["codex"]["detail"].startswith(
        "no UserPromptSubmit, Stop, PermissionRequest; `axi setup hooks` adds them")
    assert rows["opencode"]["state"] == "stale" and "older plugin" in rows["opencode"]["detail"]
    assert status["summary"] == "0 installed, 3 need attention"
    assert status["help"][0].startswith("`axi setup hooks`")

    again = axi("setup", "hooks").data
    actions = {f["file"]: f["action"] for f in again["files"]}
    assert actions["~/.claude/settings.json"] == (
        "added UserPromptSubmit, added Stop, added Notification")
    assert actions["~/.codex/config.toml"] == "trusted axi's 3 hooks"
    assert actions["~/.config/opencode/plugins/axi.js"] == "updated plugin"
    assert {r["state"] for r in axi("setup", "status").data["hooks"]} == {"installed"}


def test_only_the_state_entry_in_a_shared_group_is_removed(axi, home, exe):
    p = paths(home)
    axi("setup", "hooks", "--host", "claude")
    doc = json.loads(p["claude"].read_text())
    doc["hooks"]["Stop"][0]["hooks"].insert(0, {"type": "command", "command": "my-stop"})
    p["claude"].write_text(json.dumps(doc))
    assert axi("setup", "hooks", "--host", "claude").data["status"] == "unchanged"
    axi("setup", "uninstall", "--host", "claude")
    after = json.loads(p["claude"].read_text())
    assert after == {"hooks": {"Stop": [{"matcher": "", "hooks": [
        {"type": "command", "command": "my-stop"}]}]}}


def test_the_codex_review_step_is_printed_whole(axi, home, exe, monkeypatch):
    """The step that turns `untrusted` into `installed`, word for word, nothing cut."""
    project = home / "work" / "app"
    project.mkdir(parents=True)
    monkeypatch.chdir(project)
    monkeypatch.setenv("PWD", str(project))
    result = axi("setup", "hooks", "--scope", "project", "--host", "codex")
    assert result.data["steps"] == [
        "Codex runs a hook only after review: start `codex` in ~/work/app, open `/hooks` and "
        "trust axi's 5 hooks (SessionStart, SessionEnd, UserPromptSubmit, Stop, "
        "PermissionRequest) with `t` (or answer \"Trust all and continue\" when codex asks at "
        "start); `axi setup status` then shows them installed"]
    row = next(r for r in axi("setup", "status").data["hooks"] if r["scope"] == "project")
    assert row["state"] == "untrusted"


def test_an_axi_in_a_temporary_folder_is_warned_about(axi, home, exe, tmp_path):
    """A venv under /tmp works today and is gone tomorrow: say so, and name the lasting
    install, in the output and on stderr."""
    venv_axi = tmp_path / "venv" / "bin" / "axi"
    assert str(venv_axi).startswith(("/tmp/", os.path.realpath(os.environ.get("TMPDIR", "/tmp"))))
    exe["argv"] = [str(venv_axi)]
    result = axi("setup", "hooks", "--host", "claude")
    [warning] = result.data["warnings"]
    assert str(venv_axi) in warning and "temporary folder" in warning
    assert "`pipx install " in warning and "`uv tool install " in warning
    assert warning in result.stderr
    doc = json.loads(paths(home)["claude"].read_text())
    assert commands(doc, "SessionStart") == [f"{venv_axi} hook session-start --host claude"]
    exe["argv"] = [NEW]
    lasting = axi("setup", "hooks", "--host", "claude")
    assert "warnings" not in lasting.data and lasting.stderr == ""


def tree(root: Path) -> dict[str, bytes | None]:
    """Every folder (None) and file (its bytes) under `root`."""
    return {str(p.relative_to(root)): (None if p.is_dir() else p.read_bytes())
            for p in sorted(root.rglob("*"))}


@pytest.mark.parametrize("scope", ["user", "project"])
def test_install_then_uninstall_leaves_the_tree_as_it_was(axi, home, exe, monkeypatch, scope):
    project = home / "work" / "app"
    project.mkdir(parents=True)
    monkeypatch.chdir(project)
    monkeypatch.setenv("PWD", str(project))
    before = tree(home)
    assert axi("setup", "hooks", "--scope", scope).data["status"] == "installed"
    assert tree(home) != before
    result = axi("setup", "uninstall", "--scope", scope)
    assert result.data["status"] == "removed"
    assert tree(home) == before
    assert any("removed empty" in f["action"] for f in result.data["files"])


def test_uninstall_keeps_what_was_there_before_axi(axi, home, exe):
    p = paths(home)
    for path in p.values():
        path.parent.mkdir(parents=True, exist_ok=True)
    p["claude"].write_text(json.dumps({"model": "opus"}, indent=2) + "\n")
    p["codex"].write_text("{}\n")  # the user's own, empty: still theirs
    p["config"].write_text('# mine\nmodel = "gpt-5"\n\n[features]\nweb_search = true\n')
    (p["plugin"].parent / "other.js").write_text("export default {}\n")
    before = tree(home)
    axi("setup", "hooks")
    result = axi("setup", "uninstall")
    assert result.data["status"] == "removed"
    assert tree(home) == before


def test_the_codex_flag_stays_while_other_hooks_remain(axi, home, exe):
    p = paths(home)
    axi("setup", "hooks", "--host", "codex")
    hooks = json.loads(p["codex"].read_text())
    hooks["hooks"]["Stop"].append({"hooks": [{"type": "command", "command": "my-stop"}]})
    p["codex"].write_text(json.dumps(hooks))
    axi("setup", "uninstall", "--host", "codex")
    assert tomlkit.parse(p["config"].read_text())["features"]["hooks"] is True
    assert commands(json.loads(p["codex"].read_text()), "Stop") == ["my-stop"]


def test_an_unreadable_record_of_what_axi_created_is_kept_and_removes_nothing(axi, home, exe):
    record = Path(os.environ["AXI_HOME"]) / "setup-created.json"
    record.parent.mkdir(parents=True, exist_ok=True)
    record.write_text("{ not json")
    axi("setup", "hooks", "--host", "claude")
    axi("setup", "uninstall", "--host", "claude")
    assert record.read_text() == "{ not json"
    assert json.loads(paths(home)["claude"].read_text()) == {}  # not known to be axi's: kept
