"""A replayed dashboard (`axi.commands.replay`): the answer last made for a folder, printed
again while nothing it was made from has moved, and never when something has."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

PROJ_B = "/home/dev/work/projB"
ONE_OF_B = "17ce7ca7-6fb8-4d59-85a9-77a654db600d"
B_TRANSCRIPT = ".claude/projects/-home-dev-work-projB/17ce7ca7-6fb8-4d59-85a9-77a654db600d.jsonl"


def made(folder: str = PROJ_B, exclude: str | None = None) -> str:
    """The dashboard made the usual way (which saves it for a replay)."""
    from axi.commands.home import dashboard
    from axi.output import encode

    return encode(dashboard(folder, exclude=exclude), "toon")


def replayed(folder: str = PROJ_B, **kw) -> str | None:
    from axi.commands.replay import dashboard_key
    from axi.commands.replay import replayed as replay

    return replay(dashboard_key(folder), **kw)


@pytest.fixture
def warm(corpus_home: Path) -> Path:
    """The corpus indexed, and projB's dashboard made twice: the second, on a warm index, is
    the one a replay stands in for."""
    made()
    made()
    return corpus_home


def test_the_dashboard_is_replayed_as_it_was_made(warm):
    assert replayed() == made()
    assert replayed() == made()  # and again: making it anew moved nothing


def test_bare_axi_replays_what_it_printed(corpus_home, axi):
    axi()  # builds the index
    second = axi()  # answers from it warm, and saves the answer
    assert replayed(str(corpus_home)) + "\n" == second.stdout
    third = axi()
    assert third.stdout == second.stdout and third.code == 0


def append_line(path: Path) -> None:
    lines = path.read_text().splitlines(keepends=True)
    with path.open("a") as fh:
        fh.write(lines[-1])


def new_mail(home: Path) -> None:
    from mail_support import make_agent

    make_agent(home / "elsewhere", "someone")


def hook_record(home: Path) -> None:
    from axi.index.journal import record

    assert record("state", "claude", ONE_OF_B, PROJ_B, 1.0, "working")


def config(home: Path) -> None:
    (Path(os.environ["AXI_HOME"]) / "config.toml").write_text("[ui]\nbare = \"toon\"\n")


def host_line(home: Path) -> None:
    hosts = Path(os.environ["AXI_HOME"]) / "hosts"
    hosts.mkdir()
    (hosts / "box.line").write_text("box\tonline\t3\t1.0\t1.0\n")


def new_transcript(home: Path) -> None:
    folder = home / ".claude/projects/-home-dev-work-projB"
    source = home / B_TRANSCRIPT
    (folder / "0f0f0f0f-0000-4000-8000-000000000000.jsonl").write_text(source.read_text())


CHANGES = {
    "a transcript shown grows": lambda home: append_line(home / B_TRANSCRIPT),
    "a new transcript beside them": new_transcript,
    "mail is written": new_mail,
    "a hook reports a state": hook_record,
    "the config is written": config,
    "the remote hosts' lines": host_line,
}


@pytest.mark.parametrize("change", CHANGES, ids=list(CHANGES))
def test_any_change_it_was_made_from_ends_the_replay(warm, change):
    before = replayed()
    assert before is not None
    CHANGES[change](warm)
    assert replayed() is None
    made()  # the index takes the change in: the answer made then rests on the index before
    after = made()
    assert replayed() == after  # on a warm index again, it is kept again


def last_connection_closes(write: bool = False) -> None:
    """Close every connection to the index but one of ours, then that one: SQLite
    checkpoints the WAL into the file and removes it. `write`: after one commit."""
    import gc

    from axi.index import store

    gc.collect()
    conn = store.connect()
    if write:
        with store.write(conn):
            conn.execute("INSERT OR REPLACE INTO meta VALUES ('probe', 'x')")
    conn.close()
    assert not Path(store.index_path() + "-wal").exists()


def test_the_index_s_wal_merged_and_removed_keeps_the_replay(warm):
    last_connection_closes()
    assert replayed() == made()


def test_a_commit_merged_and_removed_with_the_wal_ends_the_replay(warm):
    last_connection_closes(write=True)
    assert replayed() is None


def test_an_identity_pointer_in_a_folder_above_ends_the_replay(corpus_home, tmp_path):
    folder = tmp_path / "work" / "proj"
    folder.mkdir(parents=True)
    made(str(folder))
    made(str(folder))
    assert replayed(str(folder)) is not None
    (tmp_path / "work" / ".axi").mkdir()
    (tmp_path / "work" / ".axi" / "agent.toml").write_text('name = "x"\n')
    assert replayed(str(folder)) is None


def test_another_environment_or_folder_is_not_replayed(warm, monkeypatch):
    assert replayed() is not None
    monkeypatch.setenv("AXI_AGENT", "someone")
    assert replayed() is None
    monkeypatch.delenv("AXI_AGENT")
    assert replayed() is not None
    assert replayed("/home/dev/work/projA") is None


@pytest.mark.parametrize("later", [0, 3 * 3600], ids=["ages in minutes", "a hook's word"])
def test_a_replay_never_reads_differently_from_the_dashboard_made_then(corpus_home, later,
                                                                       monkeypatch):
    """Ages and statuses move with the clock: at every moment a replay is given, making the
    dashboard anew at that moment reads the same; past its `until`, none is given. Three
    hours on, the ages hold for an hour while a hook's `working` (15 minutes fresh, reported
    14 minutes before) turns a session's status within the minute."""
    from axi.commands import replay
    from axi.index.journal import record

    base = float(os.environ["AXI_NOW"]) + later
    monkeypatch.setenv("AXI_NOW", str(base))
    if later:
        assert record("state", "claude", ONE_OF_B, PROJ_B, base - 14 * 60, "working")
    made()
    assert "working" in made() or not later
    saved = replay._load(replay.context(replay.dashboard_key(PROJ_B)))
    assert saved is not None and base < saved["until"] <= base + 60
    given = refused = 0
    for step in range(0, 2 * 3600, 37):
        now = base + step
        text = replayed(now=now)
        monkeypatch.setenv("AXI_NOW", str(now))
        fresh = made()
        monkeypatch.setenv("AXI_NOW", str(base))
        if text is None:
            refused += 1
            assert now >= saved["until"]
        else:
            given += 1
            assert text == fresh, now
    assert given and refused


def test_a_hook_for_a_new_session_gets_the_replay_in_its_envelope(warm, monkeypatch):
    import io

    from axi.commands.hook_entry import run_line

    monkeypatch.chdir("/")
    outputs = []
    for sid in ("new-1", "new-2"):
        payload = {"session_id": sid, "cwd": "/", "source": "startup"}
        out = io.StringIO()
        monkeypatch.setattr(sys, "stdin", io.StringIO(json.dumps(payload)))
        monkeypatch.setattr(sys, "stdout", out)
        assert run_line(["session-start", "--host", "claude"]) == 0
        monkeypatch.setattr(sys, "stdout", sys.__stdout__)
        outputs.append(out.getvalue())
    # the first made the dashboard for / and saved it; the second replayed it
    contexts = [json.loads(o)["hookSpecificOutput"]["additionalContext"] for o in outputs]
    assert contexts[0] == contexts[1] == made("/")


def test_a_hook_for_a_session_of_this_folder_is_never_replayed(warm):
    assert replayed(exclude="someone-new") is None  # bare axi's answer keeps no id list
    made(exclude="the-first-hook")  # a hook's does
    assert replayed(exclude="someone-new") is not None
    assert replayed(exclude=ONE_OF_B) is None
    board = made(exclude=ONE_OF_B)
    assert "8 of 8 sessions" in board
    assert replayed() is not None and replayed() != board


def test_json_is_never_saved(corpus_home, axi):
    axi("--format", "json")
    axi("--format", "json")
    assert not (Path(os.environ["AXI_HOME"]) / "replay").exists()


@pytest.mark.parametrize("damage", ["garbage", "cut short", "a bit flipped", "a huge tuple"])
def test_a_damaged_replay_file_is_made_anew(warm, damage):
    """Its length and CRC-32 are checked before `marshal` reads it: a length field gone wrong
    inside would ask `marshal` for gigabytes (`(\\xff\\xff\\xff\\x7f` is a tuple of 2**31)."""
    from axi.commands import replay

    folder = Path(os.environ["AXI_HOME"]) / "replay"
    [path] = folder.glob("*.bin")
    raw = path.read_bytes()
    start = len(replay.MAGIC) + 12
    path.write_bytes({"garbage": b"\x00garbage", "cut short": raw[:-10],
                      "a bit flipped": raw[:-5] + bytes([raw[-5] ^ 1]) + raw[-4:],
                      "a huge tuple": raw[:start - 12] + (5).to_bytes(8, "big")
                      + raw[start - 4:start] + b"(\xff\xff\xff\x7f"}[damage])
    assert replayed() is None
    made()
    assert replayed() == made()


def test_the_sweep_interval_is_the_index_s(corpus_home):
    from axi.commands import replay
    from axi.index import scan

    assert replay.SWEEP_EVERY == scan.SWEEP_EVERY


def opened_the_index(args: list[str], cwd: Path, payload: dict | None = None) -> bool:
    """Run axi in a fresh interpreter (a real stdin, as a host gives a hook) and tell whether
    it loaded SQLite: whether it made the dashboard rather than replayed it."""
    import subprocess

    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "axi", *args],
                          input=json.dumps(payload) if payload else "", capture_output=True,
                          text=True, cwd=cwd, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return any(line.split("|")[-1].strip() == "_sqlite3" for line in done.stderr.splitlines())


def test_hooks_for_new_sessions_one_after_another_all_replay(corpus_home):
    """Each records its session's start in the journal the answer rests on; what it records
    is about that new session alone, so the next one still replays. A resumed session's
    record is not, so the hook after it makes the dashboard anew."""
    from support import settle_index

    def start(sid: str, source: str = "startup") -> bool:
        return opened_the_index(["hook", "session-start", "--host", "claude"], corpus_home,
                                {"session_id": sid, "cwd": str(corpus_home), "source": source})

    opened_the_index([], corpus_home)  # builds the index
    settle_index()
    assert start("first")  # made, and saved
    assert [start(sid) for sid in ("second", "third", "fourth")] == [False] * 3
    assert not start("fifth", "resume")
    assert start("sixth")
    journal = (Path(os.environ["AXI_HOME"]) / "sessions.jsonl").read_text()
    assert [json.loads(line)["id"] for line in journal.splitlines()] == [
        "first", "second", "third", "fourth", "fifth", "sixth"]


def test_an_answer_showing_an_age_in_seconds_is_not_kept(warm, monkeypatch):
    """It would hold for under a second (an agent's own busy session, seen from inside it)."""
    from axi.index import store

    conn = store.connect()
    newest = conn.execute("SELECT max(last) FROM sessions WHERE dir = ?", [PROJ_B]).fetchone()[0]
    conn.close()
    monkeypatch.setenv("AXI_NOW", str(newest + 5))
    made()
    assert "5s" in made()
    assert replayed() is None
    monkeypatch.setenv("AXI_NOW", str(newest + 3600 * 5))
    made()
    assert replayed() == made()


def test_only_the_answers_written_last_are_kept(warm, monkeypatch):
    from axi.commands import replay

    monkeypatch.setattr(replay, "KEPT", 3)
    folders = []
    for n in range(5):
        folder = warm / f"f{n}"
        folder.mkdir()
        folders.append(str(folder))
        made(str(folder))
    saved = list((Path(os.environ["AXI_HOME"]) / "replay").glob("*.bin"))
    assert len(saved) == 3
    assert replayed(folders[-1]) is not None and replayed(folders[0]) is None


def test_a_plain_session_list_is_replayed_as_it_was_made(corpus_home, axi):
    from axi.commands.fast import replay_key
    from axi.commands.replay import replayed as replay

    for args in (["sessions", "--all"], ["sessions"], ["sessions", "--all", "--limit", "3"]):
        axi(*args)
        made_then = axi(*args).stdout
        assert replay(replay_key(args)) + "\n" == made_then
        assert axi(*args).stdout == made_then
    assert replay_key(["sessions", "--all", "--harness", "pi"]) is None
    assert replay_key(["sessions", "--status", "idle"]) is None
    assert replay_key(["inbox"]) is None


def test_a_session_list_is_made_anew_when_a_folder_shown_goes(corpus_home, axi, tmp_path):
    """A session's folder shows with `!` once it is gone: whether it is there is stamped."""
    from axi.commands.fast import replay_key
    from axi.commands.replay import replayed as replay

    args = ["sessions", "--all"]
    axi(*args)
    before = axi(*args).stdout
    assert replay(replay_key(args)) is not None
    assert "!" not in before or "/home/dev" in before
    Path(os.environ["HOME"], "newfolder").mkdir()
    assert replay(replay_key(args)) is not None  # a folder no session is in: nothing moved
    relinked = tmp_path / "projB-now"
    relinked.mkdir()
    assert axi("sessions", "relink", PROJ_B, str(relinked)).code == 0
    assert replay(replay_key(args)) is None
    assert "projB-now" in axi(*args).stdout


def test_a_json_list_is_never_kept(corpus_home, axi):
    axi("--format", "json", "sessions", "--all")
    axi("--format", "json", "sessions", "--all")
    assert not (Path(os.environ["AXI_HOME"]) / "replay").exists()


@pytest.mark.parametrize("damage", [
    {"stamps": None}, {"until": "soon"}, {"kinds": "f"}, {"ids": 3}, {"text": b"bytes"}],
    ids=["no stamps", "until a word", "kinds cut short", "ids a number", "text bytes"])
def test_a_saved_answer_of_the_wrong_shape_is_made_anew(warm, damage):
    from axi.commands import replay

    key = replay.dashboard_key(PROJ_B)
    saved = replay._load(replay.context(key))
    replay._write({**saved, **damage})  # well formed, of the wrong shape
    assert replayed() is None
    made()
    assert replayed() == made()


def test_a_symlinked_folder_pointed_elsewhere_is_another_folder(corpus_home, tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    link = tmp_path / "current"
    link.symlink_to(first)
    made(str(link))
    made(str(link))
    assert replayed(str(link)) is not None
    link.unlink()
    link.symlink_to(second)
    assert replayed(str(link)) is None


def test_a_list_that_says_what_its_refresh_skipped_is_not_kept(corpus_home, axi):
    """The refresh that read a bad line says so once; the run after it reads nothing and says
    nothing, so the first answer is never the one printed again."""
    from axi.commands.fast import replay_key
    from axi.commands.replay import replayed as replay

    args = ["sessions", "--all"]
    axi(*args)
    axi(*args)
    with (corpus_home / B_TRANSCRIPT).open("a") as fh:
        fh.write('{"type": "user", "timestamp": 12}\n{not json\n')
    axi(*args)
    assert replay(replay_key(args)) is None
    quiet = axi(*args).stdout
    assert "warnings" not in quiet
    assert replay(replay_key(args)) + "\n" == quiet
