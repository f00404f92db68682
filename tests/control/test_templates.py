"""The built-in launch templates, filled the way `axi sessions new` fills them."""

from __future__ import annotations

from axi.control import config

ID = "0c5e4d4e-7f5b-4f0e-9a57-1d2b4c6e8f00"


def argv(harness: str, field: str, **values: str | None) -> list[str]:
    template = config.templates(harness, {})[field]
    return config.fill(template, {"newid": ID, "id": None, "model": None, "task": None,
                                  "behavior": None, "dir": None, **values})


def test_claude_passes_its_id_and_ends_the_options_before_the_task():
    assert argv("claude", "launch", task="-v is broken") == [
        "claude", "--session-id", ID, "--", "-v is broken"]
    assert argv("claude", "launch_headless", model="claude-sonnet-4-5", task="say hi") == [
        "claude", "-p", "--session-id", ID, "--model", "claude-sonnet-4-5", "--", "say hi"]
    assert argv("claude", "launch") == ["claude", "--session-id", ID]
    assert argv("claude", "resume_input_headless", id="abc", task="more") == [
        "claude", "-p", "--resume", "abc", "--", "more"]


def test_codex_ends_the_options_before_the_task():
    assert argv("codex", "launch_headless", task="-v hi") == [
        "codex", "exec", "--skip-git-repo-check", "--", "-v hi"]
    assert argv("codex", "launch") == ["codex", "-c", "features.daemon_auto_start=false"]
    assert argv("codex", "resume_input", id="abc", task="-v") == [
        "codex", "-c", "features.daemon_auto_start=false", "resume", "abc", "--", "-v"]


def test_pi_mints_its_own_id():
    """pi 0.73.1 has no --session-id: the holder adopts the session pi creates."""
    for field in ("launch", "launch_headless"):
        template = config.templates("pi", {})[field]
        assert not any("{newid}" in word or word == "--session-id" for word in template)
    assert argv("pi", "launch_headless", model="fakellm/fake-model", task="say hi") == [
        "pi", "-p", "--model", "fakellm/fake-model", "say hi"]
