"""Tags on any catalog session (`axi sessions tag --label`), the `tags` column, `--tag` and
`--group-by` on `axi sessions`: on the recorded stores, with the tags in a real mailbox."""

from __future__ import annotations

import json
import os
import sqlite3
import time

import pytest
from support import scrub

from axi.control import records, tags
from axi.mailbox import db

CLAUDE, PI_A, PI_C = "d1c9ea04", "01a20073", "01a20072-d"
CODEX_B = "01a20071-3b6c-70d1-8fa1-f2b1cecec84d"  # codex, projB
CODEX_A = "01a20071-0e9a-7c73-a76f-bb4af35aec4b"  # codex, projA
OPENCODE_B = "ses_dff8e15f2ffeUEZQQPC3OmIPeW"


@pytest.fixture
def tagged(axi, corpus_home):
    """Three catalog sessions axi did not launch, tagged with the command itself."""
    first = axi("sessions", "tag", CLAUDE, "--label", "team=web", "--label", "urgent")
    assert first.code == 0, first.stdout
    assert axi("sessions", "tag", PI_A, "--label", "team=api").code == 0
    assert axi("sessions", "tag", PI_C, "--label", "team=web",
               "--label", "note=needs review, soon").code == 0
    return first


def launch(session: str, harness: str, run: str, ended: bool, labels: dict | None = None,
           ask: str | None = None) -> str:
    """A launch record for a catalog session, with no process behind it: ended (done), or
    young and without a heartbeat (starting, so alive), with an open `axi ask` if given."""
    conn = records.connect()
    launch_id = records.new_id()
    now = time.time()
    with db.write(conn):
        records.join_run(conn, run, None, "task", {}, {"max_depth": 1})
        records.insert_launch(conn, {
            "id": launch_id, "session": session, "harness": harness, "mode": "headless",
            "run": run, "depth": 0, "dir": "/home/dev/work", "task": "task", "spec": "{}",
            "labels": json.dumps(labels or {}), "created": now,
            **({"ended": now, "exit_code": 0, "end_reason": "exit"} if ended else {})})
    if ask:
        records.ask(conn, launch_id, ask, "question")
    return launch_id


CASES = {
    "list_tags_column": ["sessions", "--all", "--limit", "5"],
    "list_tag_filter": ["sessions", "--all", "--tag", "team=web"],
    "list_tag_presence_and_flag": ["sessions", "--all", "--tag", "team", "--tag", "urgent"],
    "list_tag_none_here": ["sessions", "--tag", "team=nobody"],
    "list_fields_tags": ["sessions", "--all", "--harness", "codex", "--fields", "tags",
                         "--limit", "2"],
    "group_dir": ["sessions", "--all", "--group-by", "dir"],
    "group_tag": ["sessions", "--all", "--group-by", "tag:team"],
    "group_tag_json": ["sessions", "--all", "--group-by", "tag:team", "--format", "json"],
    "group_tag_pi_only": ["sessions", "--all", "--group-by", "tag:team", "--harness", "pi"],
    "group_tag_unused_key": ["sessions", "--all", "--group-by", "tag:owner"],
    "group_none_here": ["sessions", "--group-by", "dir"],
    "group_more_than_limit": ["sessions", "--all", "--group-by", "dir", "--limit", "2"],
    "view_tags": ["sessions", "view", CLAUDE],
    "untag": ["sessions", "tag", CLAUDE, "--label", "-urgent", "--label", "team="],
    "error_group_by": ["sessions", "--all", "--group-by", "owner"],
    "error_group_by_fields": ["sessions", "--all", "--group-by", "dir", "--fields", "cost"],
    "error_group_by_host": ["sessions", "--all", "--group-by", "dir", "--host", "box"],
    "error_tag_filter": ["sessions", "--all", "--tag", "=web"],
    "error_tag_filter_empty_value": ["sessions", "--all", "--tag", "team="],
    "error_tag_filter_negated": ["sessions", "--all", "--tag", "-team"],
    "error_label": ["sessions", "tag", CLAUDE, "--label", "a;b=c"],
    "error_label_value": ["sessions", "tag", CLAUDE, "--label", "team=a;b"],
    "error_unknown_id": ["sessions", "tag", "zzzzzzzz", "--label", "team=web"],
    "error_not_launched": ["sessions", "tag", CLAUDE, "--outcome", "success"],
    "error_nothing_to_tag": ["sessions", "tag", CLAUDE],
}


def test_the_tag_command_tags_a_session_axi_did_not_launch(tagged, snapshot):
    assert scrub({"exit": tagged.code, "stdout": tagged.data}) == snapshot


@pytest.mark.parametrize("name", sorted(CASES))
def test_output(axi, tagged, snapshot, name):
    result = axi(*CASES[name])
    assert scrub({"exit": result.code, "stdout": result.data}) == snapshot


def test_bad_input_is_a_usage_error_never_a_traceback(axi, tagged):
    for name in [n for n in CASES if n.startswith("error_")]:
        result = axi(*CASES[name])
        assert result.code in (1, 2) and result.data["code"] in (
            "USAGE", "NOT_FOUND", "NOT_LAUNCHED"), (name, result.stdout)
        assert result.data["help"] and "Traceback" not in result.stderr


def test_tags_are_user_data_and_outlive_the_index(axi, tagged):
    from axi.index.store import index_path

    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(index_path() + suffix):
            os.unlink(index_path() + suffix)
    rows = axi("sessions", "--all", "--tag", "team=web", "--format", "json").data["sessions"]
    assert {r["id"] for r in rows} == {CLAUDE, PI_C}
    assert {r["tags"] for r in rows} == {"team=web;urgent", "note=needs review, soon;team=web"}
    stored = dict(db.connect().execute("SELECT session_key, labels FROM session_tags"))
    assert json.loads(stored[f"claude:{CLAUDE}-48cc-400c-bd6d-24a35bf2818b"]) == {
        "team": "web", "urgent": True}


def test_removing_every_tag_removes_the_record_and_the_column(axi, tagged):
    for sid in (CLAUDE, PI_A, PI_C):
        full = axi("sessions", "view", sid, "--format", "json").data["id"]
        current = tags.read([f"{'claude' if sid == CLAUDE else 'pi'}:{full}"])
        edits = [f"-{k}" for v in current.values() for k in v]
        assert axi("sessions", "tag", sid, *[a for e in edits for a in ("--label", e)]
                   ).data["labels"] == {}
    assert db.connect().execute("SELECT count(*) FROM session_tags").fetchone()[0] == 0
    listed = axi("sessions", "--all", "--format", "json").data["sessions"]
    assert all("tags" not in row for row in listed)


def test_group_totals_are_the_sum_of_the_listed_sessions(axi, corpus_home):
    """Every token once, in its top session's group with its sub-agents; cost as
    `rows.cost_of` prices those sessions."""
    from axi.index.catalog import open_index
    from axi.index.rows import cost_of, keys_with_subagents, money

    listed = axi("sessions", "--all", "--limit", "100", "--fields",
                 "tokens_with_subagents,full_id", "--format", "json").data["sessions"]
    groups = axi("sessions", "--all", "--group-by", "dir", "--format", "json").data
    conn, _ = open_index()
    for group in groups["groups"]:
        members = [r for r in listed if r["dir"] == group["dir"]]
        assert group["sessions"] == len(members)
        assert group["tokens_exact"] == sum(r.get("tokens_with_subagents_exact") or
                                            r["tokens_with_subagents"] for r in members)
        keys = [k for r in members for k in keys_with_subagents(conn, conn.execute(
            "SELECT * FROM sessions WHERE id = ?", (r["full_id"],)).fetchone())]
        assert group["cost"] == money(*cost_of(conn, keys))
    assert groups["total"]["sessions"] == len(listed) == 22
    with_subagents = axi("sessions", "--all", "--subagents", "--group-by", "dir",
                         "--format", "json").data
    assert with_subagents["total"]["sessions"] == len(listed) + 1  # the one sub-agent
    assert with_subagents["total"]["tokens_exact"] == groups["total"]["tokens_exact"]


def test_launched_sessions_keep_their_tags_in_the_launch_and_group_by_run(axi, tagged,
                                                                          snapshot):
    done = launch(CODEX_B, "codex", "run-alpha", ended=True, labels={"team": "web"})
    asking = launch(CODEX_A, "codex", "run-alpha", ended=False, ask="which database?")
    launch(OPENCODE_B, "opencode", "run-beta", ended=True)
    out = {name: scrub({"exit": r.code, "stdout": r.data}) for name, r in {
        "group_run": axi("sessions", "--all", "--group-by", "run"),
        "group_tag": axi("sessions", "--all", "--group-by", "tag:team"),
        "group_run_web": axi("sessions", "--all", "--group-by", "run", "--tag", "team=web"),
    }.items()}
    assert out == snapshot
    # the launched session's tag is edited in its launch record, by the catalog id too
    edited = axi("sessions", "tag", CODEX_B[:13], "--label", "prio=high")
    assert edited.data == {"id": done, "labels": {"team": "web", "prio": "high"}}
    conn = records.connect()
    assert json.loads(records.get(conn, done)["labels"]) == {"team": "web", "prio": "high"}
    assert axi("sessions", "tag", asking, "--label", "team=api").data["labels"] == {
        "team": "api"}
    rows = axi("sessions", "--all", "--tag", "team=api", "--format", "json").data["sessions"]
    assert {(r["id"], r["status"], r["tags"]) for r in rows} == {
        (PI_A, "idle", "team=api"), (CODEX_A[:10], "needs you", "team=api")}
    records.update(conn, asking, ended=time.time(), exit_code=0)  # no process outlives it


def test_a_session_tagged_before_axi_launched_it_keeps_its_tags(axi, tagged):
    key = "pi:01a20073-edb2-763d-a2d8-3b06e02a637f"
    launch_id = launch(key.split(":")[1], "pi", "run-gamma", ended=True,
                       labels={"tmux": "ax:1"})
    assert tags.read([key]) == {key: {"team": "api", "tmux": "ax:1"}}  # both, merged
    assert axi("sessions", "tag", PI_A, "--label", "urgent").data["labels"] == {
        "team": "api", "tmux": "ax:1", "urgent": True}
    conn = db.connect()
    assert conn.execute("SELECT count(*) FROM session_tags WHERE session_key = ?",
                        (key,)).fetchone()[0] == 0  # moved into the launch: one place
    assert records.labels_of(records.get(conn, launch_id)) == {
        "team": "api", "tmux": "ax:1", "urgent": True}


def test_the_pickers_old_tag_file_is_imported_once_without_losing_a_tag(axi, corpus_home):
    from axi.paths import state_dir

    claude = f"claude:{CLAUDE}-48cc-400c-bd6d-24a35bf2818b"
    gone = "codex:no-longer-in-the-catalog"
    assert axi("sessions", "tag", CLAUDE, "--label", "team=api").code == 0
    path = os.path.join(state_dir(), tags.LEGACY_FILE)
    with open(path, "w", encoding="utf-8") as fh:
        json.dump({claude: {"team": "web", "odd;value": "a;b", "flag": True},
                   gone: {"kept": "yes"}, "junk": "not a dict"}, fh)
    listed = axi("sessions", "--all", "--limit", "1", "--format", "json").data["sessions"]
    assert listed[0]["tags"] == "flag;odd;value=a;b;team=api"  # the mailbox's team wins
    assert not os.path.exists(path) and os.path.exists(path + ".imported")
    assert tags.read() == {claude: {"team": "api", "odd;value": "a;b", "flag": True},
                           gone: {"kept": "yes"}}
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("{not json")
    assert axi("sessions", "--all").code == 0  # a damaged file is left alone
    assert os.path.exists(path)


def test_an_older_mailbox_reads_as_no_tags_until_it_is_migrated(axi, corpus_home):
    old = sqlite3.connect(db.mailbox_path(), isolation_level=None)
    old.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)")
    for version, script in db.MIGRATIONS:
        if version >= 7:
            break
        for statement in script.split(";"):
            if statement.strip():
                old.execute(statement)
        old.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", (str(version),))
    old.close()
    assert tags.read() == {}
    assert axi("sessions", "--all", "--tag", "team").data["sessions"].startswith("0 sessions")
    assert axi("sessions", "tag", CLAUDE, "--label", "team=web").code == 0  # migrates it
    assert db.schema_version(db.connect()) == db.LATEST
    assert axi("sessions", "--all", "--tag", "team", "--format", "json").data["count"] == 1


def test_plain_sessions_shows_tags_without_loading_json_or_re(axi, tagged, corpus_home):
    """SQLite decodes the stored tags (`json_each`), launched or not: the plain list stays as
    light as before."""
    from test_startup import imported

    launch(CODEX_B, "codex", "run-alpha", ended=True, labels={"team": "web"})
    imported(["sessions", "--all"], corpus_home)  # the index is warm, as an agent finds it
    loaded = imported(["sessions", "--all"], corpus_home)
    assert not {"json", "re", "click"} & set(loaded), loaded


def test_hosts_are_asked_with_the_same_tag_filter():
    from axi.remote.listing import remote_argv
    from axi.remote.protocol import served, verb_of

    argv = remote_argv({"limit": 5, "harness": None, "tags": ("team=web", "urgent")})
    assert argv == ["sessions", "--all", "--limit", "5", "--tag", "team=web", "--tag", "urgent"]
    assert verb_of(["sessions", "--tag", "view"]) is None  # a value, never the verb
    assert served(["sessions", "--tag", "kill", "--all"])
    assert verb_of(["sessions", "--group-by", "dir", "kill", "x"]) == "kill"
