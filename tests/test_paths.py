"""axi's own state is private: every file 0600 in 0700 folders, tightened when found wider,
and never written through a link planted in its place."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest


def axi(*args: str, stdin: str = "", cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "axi", *args], input=stdin, cwd=cwd,
                          capture_output=True, text=True, timeout=60)


def modes(root: Path) -> dict[str, str]:
    """Every path below `root` (and root itself) with its permission bits, links left out."""
    found = {".": oct(stat.S_IMODE(root.stat().st_mode))}
    for path in root.rglob("*"):
        if not path.is_symlink():
            found[str(path.relative_to(root))] = oct(stat.S_IMODE(path.lstat().st_mode))
    return found


def wider_than_private(root: Path) -> dict[str, str]:
    return {name: mode for name, mode in modes(root).items()
            if int(mode, 8) & 0o077}


def test_everything_axi_writes_is_private(corpus_home):
    state = Path(os.environ["AXI_HOME"])
    os.umask(0o022)
    start = json.dumps({"session_id": "0c5e4d4e-7f5b-4f0e-9a57-1d2b4c6e8f00",
                        "cwd": str(corpus_home), "hook_event_name": "SessionStart"})
    assert axi("sessions", "--all").returncode == 0
    assert axi("hook", "session-start", "--host", "claude", stdin=start).returncode == 0
    assert axi("agents", "init", "worker", cwd=corpus_home).returncode in (0, 1)
    from axi.control import live

    live.beat("a1b2c3d4", 0.0, os.getpid(), "t", None)
    names = set(modes(state))
    assert {"index.db", "mailbox.sqlite", "sessions.jsonl", "live/a1b2c3d4"} <= names, names
    assert wider_than_private(state) == {}


def test_a_state_dir_found_wider_is_tightened(corpus_home):
    state = Path(os.environ["AXI_HOME"])
    state.mkdir(mode=0o755)
    os.chmod(state, 0o755)
    (state / "logs").mkdir()
    os.chmod(state / "logs", 0o755)
    (state / "logs" / "old.log").write_text("x")
    os.chmod(state / "logs" / "old.log", 0o644)
    assert axi("sessions", "--all").returncode == 0
    assert wider_than_private(state) == {}


def test_a_rebuilt_index_is_private(corpus_home):
    state = Path(os.environ["AXI_HOME"])
    assert axi("sessions", "--all").returncode == 0
    for name in ("index.db-wal", "index.db-shm"):
        (state / name).unlink(missing_ok=True)
    (state / "index.db").write_bytes(b"not a database, so it is rebuilt")
    os.umask(0o022)
    assert axi("sessions", "--all").returncode == 0
    assert (state / "index.db").read_bytes().startswith(b"SQLite format 3")
    assert wider_than_private(state) == {}


def test_the_journal_is_never_written_through_a_planted_link(corpus_home, tmp_path):
    state = Path(os.environ["AXI_HOME"])
    assert axi("sessions", "--all").returncode == 0
    target = tmp_path / "victim.txt"
    target.write_text("keep me\n")
    journal = state / "sessions.jsonl"
    journal.unlink(missing_ok=True)
    journal.symlink_to(target)
    start = json.dumps({"session_id": "0c5e4d4e-7f5b-4f0e-9a57-1d2b4c6e8f00",
                        "cwd": str(corpus_home), "hook_event_name": "SessionStart"})
    done = axi("hook", "session-start", "--host", "claude", stdin=start)
    assert done.returncode == 0
    assert target.read_text() == "keep me\n"


def test_the_xdg_rule_gives_what_platformdirs_gives(monkeypatch, tmp_path):
    import platformdirs

    from axi.paths import xdg_dir

    monkeypatch.setenv("HOME", str(tmp_path))
    for value in (None, "", str(tmp_path / "xdg"), "relative/not/used"):
        for kind, var in (("state", "XDG_STATE_HOME"), ("config", "XDG_CONFIG_HOME")):
            if value is None:
                monkeypatch.delenv(var, raising=False)
            else:
                monkeypatch.setenv(var, value)
            want = getattr(platformdirs, f"user_{kind}_dir")("axi", appauthor=False)
            assert xdg_dir(kind) == want, (kind, value)


PLANTED = """import os
open(os.path.join(os.environ["PLANTED_MARK"], "ran"), "w").write(__file__)
"""


def test_a_folder_with_its_own_axi_package_never_stands_in_for_axi(tmp_path, monkeypatch):
    """axi starts its own modules in new interpreters (the background sweep, index workers,
    launched sessions, the hooks' fallback command) from the user's folder: a package named
    `axi` there must not be what runs."""
    from axi.paths import module_argv

    project = tmp_path / "project"
    for module in ("axi/__init__.py", "axi/__main__.py", "axi/index/__init__.py",
                   "axi/index/sweep.py"):
        (project / module).parent.mkdir(parents=True, exist_ok=True)
        (project / module).write_text(PLANTED)
    mark = tmp_path / "mark"
    mark.mkdir()
    monkeypatch.setenv("PLANTED_MARK", str(mark))
    monkeypatch.setenv("AXI_HOME", str(tmp_path / "state"))
    for argv in (module_argv("axi", "--version"), module_argv("axi.index.sweep", "--search")):
        done = subprocess.run(argv, cwd=project, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        assert not (mark / "ran").exists(), f"{argv} ran {(mark / 'ran').read_text()}"
    # the same line without -P is what ran the planted package before
    subprocess.run([sys.executable, "-m", "axi"], cwd=project, capture_output=True, timeout=60)
    assert (mark / "ran").read_text().endswith("axi/__main__.py")


@pytest.mark.parametrize("where", ["a file", "below a file"])
@pytest.mark.parametrize("args", [[], ["sessions", "--all"], ["inbox"], ["agents"]],
                         ids=["bare", "sessions", "inbox", "agents"])
def test_an_axi_home_that_cannot_be_a_folder_is_a_clear_error(home, axi, monkeypatch,
                                                              where, args):
    """Never `unexpected NotADirectoryError ... a bug in axi`: what is wrong, and the fix."""
    target = home / "state-file"
    target.write_text("not a folder\n")
    monkeypatch.setenv("AXI_HOME", str(target if where == "a file" else target / "sub"))
    result = axi(*args)
    assert result.code == 1, result.stdout
    assert result.data["code"] == "STATE_DIR"
    assert "AXI_HOME" in result.data["error"] and "AXI_HOME" in result.data["help"][0]
    assert target.read_text() == "not a folder\n"  # nothing written over it


def test_the_hook_still_exits_0_when_the_state_dir_cannot_be_made(home, axi, monkeypatch):
    target = home / "state-file"
    target.write_text("x")
    monkeypatch.setenv("AXI_HOME", str(target))
    result = axi("hook", "session-start", "--host", "none")
    assert result.code == 0
    assert "cannot hold axi's state" in result.stdout


@pytest.mark.parametrize("which", ["index", "mailbox"])
def test_every_commit_moves_a_wal_s_stamp(home, which):
    """Within one run of a WAL a commit appends frames, and a restart rewrites its header; the
    WAL is cut back when it restarts (journal_size_limit), so an append after a restart never
    lands inside the file's old length unseen."""
    from axi.index import store
    from axi.mailbox import db
    from axi.paths import stamp

    if which == "index":
        conn, path = store.connect(), store.index_path()
        conn.execute("CREATE TABLE IF NOT EXISTS probe (n)")
    else:
        conn, path = db.connect(db.mailbox_path()), db.mailbox_path()
        conn.execute("CREATE TABLE IF NOT EXISTS probe (n)")

    def commit() -> str:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO probe VALUES (?)", (os.urandom(2000),))
        conn.execute("COMMIT")
        return stamp(path + "-wal", True)

    for _ in range(50):  # a WAL of many frames
        commit()
    conn.execute("PRAGMA wal_checkpoint(PASSIVE)")  # all merged: the next commit restarts
    seen = [commit() for _ in range(5)]
    assert len(set(seen)) == 5, seen
    conn.close()
