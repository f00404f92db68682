"""Moved folders: a session whose folder is gone shows it with a leading `!`; `axi sessions
relink` remembers where it went (dirmap.json, the user's data), lists show the new folder, and
resume starts there (moving Claude Code's transcript to the new folder's project, as
`claude --resume` looks only there)."""

from __future__ import annotations

import os

from axi import dirmap
from axi.harnesses import get

GONE = "/home/dev/work/projB"  # the recorded sessions' folder: it does not exist here
SESSION = "d1c9ea04"


def test_a_gone_folder_is_marked_and_relink_moves_it(axi, corpus_home, tmp_path, snapshot):
    before = axi("sessions", "view", SESSION).data
    assert before["dir"] == "!" + GONE
    moved = tmp_path / "projB-renamed"
    moved.mkdir()
    done = axi("sessions", "relink", SESSION, str(moved))
    assert done.code == 0, done.stdout
    assert done.data["sessions"] >= 2  # every session of that folder, not only this one
    listed = axi("sessions", "--dir", str(moved), "--fields", "dir", "--format", "json")
    rows = listed.data["sessions"]
    assert rows and {r["dir"] for r in rows} == {str(moved)}
    assert {r["dir_recorded"] for r in rows} == {GONE}
    printed = axi("sessions", "resume", SESSION, "--print").data
    assert printed["command"].startswith(f"cd {moved} && claude --resume ")
    assert printed["moved_from"] == GONE
    import json

    shown = json.loads(json.dumps(done.data).replace(str(tmp_path), "<tmp>"))
    assert {"relink": shown, "view_before": before["dir"]} == snapshot


def test_a_mapping_covers_the_folders_below(home, tmp_path):
    new = tmp_path / "new"
    (new / "sub").mkdir(parents=True)
    dirmap.remember("/old/place", str(new))
    assert dirmap.mapped("/old/place/sub") == f"{new}/sub"
    assert dirmap.mapped("/old/placement") is None  # a sibling with a longer name is not below
    assert dirmap.effective("/old/place/sub") == (f"{new}/sub", False)
    assert dirmap.effective("/old/place/none") == (f"{new}/none", True)


def test_relink_by_folder_and_bad_input(axi, corpus_home, tmp_path):
    new = tmp_path / "n"
    new.mkdir()
    assert axi("sessions", "relink", GONE, str(new)).code == 0
    not_a_folder = axi("sessions", "relink", GONE, str(tmp_path / "nope"))
    assert (not_a_folder.code, not_a_folder.data["code"]) == (2, "USAGE")
    same = axi("sessions", "relink", str(new), str(new))
    assert (same.code, same.data["code"]) == (2, "USAGE")
    with open(dirmap.path(), "w", encoding="utf-8") as fh:
        fh.write("{ not json")
    dirmap._loaded.clear()
    damaged = axi("sessions", "relink", GONE, str(new))
    assert (damaged.code, damaged.data["code"]) == (1, "DIRMAP_UNREADABLE")
    with open(dirmap.path(), encoding="utf-8") as fh:
        assert fh.read() == "{ not json"  # never rewritten unread


def test_resume_moves_a_claude_transcript_to_the_new_project(axi, corpus_home, tmp_path):
    import pytest

    from axi.errors import AxiError

    row = axi("sessions", "view", "17ce7ca7", "--format", "json").data
    source = row["transcript"]
    new = tmp_path / "renamed project"
    new.mkdir()
    claude = get("claude")
    target = claude.relocate(source, row["id"], str(new))
    assert not os.path.exists(source) and os.path.exists(target)
    project = os.path.basename(os.path.dirname(target))
    assert project == "".join(c if c.isalnum() else "-" for c in str(new))
    again = axi("sessions", "view", "17ce7ca7", "--format", "json").data
    assert again["transcript"] == target and again["turns"] == row["turns"]
    assert claude.relocate(target, row["id"], str(new)) == target  # already there: nothing
    other = tmp_path / "other"
    other.mkdir()
    taken = claude.relocate(target, row["id"], str(other))
    with open(target, "w", encoding="utf-8") as fh:  # a file where it would go back
        fh.write("someone else's\n")
    with pytest.raises(AxiError) as refused:
        claude.relocate(taken, row["id"], str(new))
    assert refused.value.code == "RELOCATE_CONFLICT" and os.path.exists(taken)
