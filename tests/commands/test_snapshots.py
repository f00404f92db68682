"""Snapshot every command's output on the real corpus (decoded strictly, machine paths scrubbed)."""

from __future__ import annotations

import pytest
from support import scrub

CASES = {
    "home_empty_folder": [],
    "sessions_all": ["sessions", "--all"],
    "sessions_all_fields": ["sessions", "--all", "--fields", "model,ctx,tokens,cost,branch"],
    "sessions_codex": ["sessions", "--all", "--harness", "codex", "--limit", "2"],
    "sessions_idle": ["sessions", "--all", "--status", "idle", "--limit", "3"],
    "sessions_json_exact": ["sessions", "--all", "--limit", "3", "--fields", "tokens",
                            "--format", "json"],
    "usage_json_exact": ["usage", "--by", "harness", "--format", "json"],
    "sessions_here_empty": ["sessions"],
    "sessions_view_claude_parent": ["sessions", "view", "f8637610"],
    "sessions_view_fork": ["sessions", "view", "d1c9ea04"],
    "sessions_view_pi": ["sessions", "view", "01a20072-56c2"],
    "sessions_view_opencode": ["sessions", "view", "ses_dff8e15f"],
    "sessions_read_latest": ["sessions", "read", "01ccc0ac"],
    "sessions_read_cursor": ["sessions", "read", "01a20071-2825", "--since", "0", "--limit", "4"],
    "sessions_read_opencode": ["sessions", "read", "ses_dff8e411"],
    "sessions_search": ["sessions", "search", "main.rs"],
    "sessions_search_none": ["sessions", "search", "zebra"],
    "sessions_resume_print": ["sessions", "resume", "ses_dff8e15f", "--print"],
    "usage_by_day": ["usage", "--days", "0"],
    "usage_by_model": ["usage", "--by", "model", "--days", "0"],
    "usage_by_harness": ["usage", "--by", "harness", "--days", "0"],
    "error_unknown_id": ["sessions", "view", "zzzzzzzz"],
    "error_ambiguous_id": ["sessions", "view", "01a2"],
    "help_root": ["--help"],
    "help_sessions": ["sessions", "--help"],
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_output(axi, corpus_home, snapshot, name):
    result = axi(*CASES[name])
    assert scrub({"exit": result.code, "stdout": result.data}) == snapshot


def test_home_in_a_project_folder(axi, corpus_home, monkeypatch, snapshot):
    """The dashboard for /home/dev/work/projB lists that folder's sessions (the real cwd)."""
    from axi.commands.home import home_view

    data = home_view("/home/dev/work/projB")
    assert data["count"].startswith("8 of 9 sessions")
    assert scrub(data) == snapshot
