"""Bare `axi` on a machine where no harness has run yet says where it looked."""

from __future__ import annotations


def test_an_empty_machine_names_the_stores_it_looked_in(axi, home):
    data = axi().data
    assert data["sessions"] == (
        "0 sessions in ~, none on this machine yet (looked in ~/.claude/projects, "
        "~/.codex/sessions, ~/.local/share/opencode/opencode.db, ~/.pi/agent/sessions)")
    assert "quoted" not in data  # nothing quoted, nothing to mark
