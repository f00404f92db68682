"""The picker's tags are every session's tags: `l` writes where `axi sessions tag` writes (the
mailbox), the rows show what the command set, and the picker's old tag file is imported."""

from __future__ import annotations

import json
import os

import pytest

from axi.picker import actions, state
from axi.picker.model import load


def rows() -> dict:
    """The picker's rows by the ids `axi sessions` shows (unique prefixes)."""
    from axi.control.overlay import statuses
    from axi.index.catalog import open_index, short_ids

    conn = open_index()[0]
    sessions = load(conn, statuses, state.tags())
    ids = short_ids(conn, [s.id for s in sessions])
    return {ids[s.id]: s for s in sessions}


def test_l_tags_any_session_and_the_list_sees_it(indexed, axi):
    found = rows()
    chosen = [found["d1c9ea04"], found["01a20073"]]
    assert actions.tag(chosen, ["team=web", "urgent"]) == "tagged 2 sessions"
    assert [s.tags for s in chosen] == [{"team": "web", "urgent": True}] * 2
    listed = axi("sessions", "--all", "--tag", "urgent", "--format", "json").data["sessions"]
    assert {(r["id"], r["tags"]) for r in listed} == {("d1c9ea04", "team=web;urgent"),
                                                      ("01a20073", "team=web;urgent")}
    assert actions.tag(chosen[:1], ["-urgent"]) == "tagged 1 session"
    assert rows()["d1c9ea04"].tags == {"team": "web"}


def test_the_rows_show_tags_set_by_the_command(indexed, axi):
    assert axi("sessions", "tag", "01a20072-d", "--label", "team=api").code == 0
    assert rows()["01a20072-d"].tags == {"team": "api"}
    assert "team=api" in rows()["01a20072-d"].hay


def test_a_bad_tag_is_a_note_not_a_crash(indexed):
    with pytest.raises(actions.ActionError, match="is not a tag"):
        actions.tag([rows()["d1c9ea04"]], ["a;b=c"])


def test_the_old_tag_file_is_imported_once(indexed):
    from axi.paths import state_dir

    key = "claude:d1c9ea04-48cc-400c-bd6d-24a35bf2818b"
    path = os.path.join(state_dir(), "picker-tags.json")
    with open(path, "w", encoding="utf-8") as fh:
        json.dump({key: {"team": "web", "flag": True}}, fh)
    assert state.tags() == {key: {"team": "web", "flag": True}}
    assert not os.path.exists(path) and os.path.exists(path + ".imported")
    assert rows()["d1c9ea04"].tags == {"team": "web", "flag": True}
