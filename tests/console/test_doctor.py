"""`axi doctor` against a healthy world and a broken one (real files, real SQLite, the real
installed hooks run once): each problem reported with its fix, nothing changed without
`--fix`, and `--fix` running only the fixes it names."""

from __future__ import annotations

import gc
import hashlib
import json
import os
import re
import sqlite3

import pytest

SECRET = "sk-live-doctor-must-not-print-this"


def tree_digest(*roots) -> dict[str, str]:
    """Every file below `roots` with its content hash; left out: the diagnostic log, and
    SQLite's -shm of a database in use (every reader, even `mode=ro`, takes its lock there)."""
    out = {}
    for root in roots:
        for folder, _, names in os.walk(root):
            for name in names:
                path = os.path.join(folder, name)
                if f"{os.sep}log{os.sep}" in path + os.sep and name.startswith("axi.log"):
                    continue
                if name.endswith("-shm"):
                    continue
                with open(path, "rb") as fh:
                    out[path] = hashlib.sha256(fh.read()).hexdigest()
    return out


def scrub(text: str, *roots) -> str:
    for root in roots:
        text = text.replace(str(root), "<tmp>")
    text = re.sub(r"\d+ ms", "<n> ms", text)
    text = re.sub(r"\d+\.\d (GB|MB|KB) free", "<n> free", text)
    text = re.sub(r"\d+\.\d KB", "<n> KB", text)
    text = re.sub(r"took_ms\": ?\d+|took_ms: \d+", "took_ms: <n>", text)
    return re.sub(r"npx skills add \S+ --skill", "npx skills add <source> --skill", text)


def rows(result) -> dict[str, dict]:
    data = result.data
    return {r["name"]: r for r in data["checks"]}


def tear(path) -> None:
    """Fold the WAL into the file, then overwrite pages in its middle: a torn write."""
    gc.collect()  # the earlier commands' connections close: this one is the last
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    page = conn.execute("PRAGMA page_size").fetchone()[0]
    conn.close()
    size = os.path.getsize(path)
    with open(path, "r+b") as fh:
        for n in range(2, size // page, 3):
            fh.seek(n * page + 8)
            fh.write(b"\xde\xad\xbe\xef" * 64)


@pytest.fixture
def broken(axi, corpus_home, tmp_path, monkeypatch):
    """Every problem at once: an unparseable config, a store that moved, a stale hook path,
    a torn index, a mailbox from a newer axi."""
    assert axi("sessions", "--all").code == 0  # the index, built from the corpus
    state = tmp_path / "state"
    (state / "config.toml").write_text(f'transport = "{SECRET}"\n[[harness]\nname = "x"\n')
    moved = corpus_home / ".claude-new"  # Claude Code's folder "moved": no transcripts here
    moved.mkdir()
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(moved))
    stale = "/gone/bin/axi hook session-start --host claude"
    (moved / "settings.json").write_text(json.dumps({"hooks": {"SessionStart": [
        {"matcher": "", "hooks": [{"type": "command", "command": stale, "timeout": 10}]}]}}))
    tear(state / "index.db")
    from axi.mailbox import db

    conn = db.connect()
    conn.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(db.LATEST + 1),))
    conn.close()
    gc.collect()
    return corpus_home


def test_the_broken_world_is_reported_with_fixes_and_left_alone(axi, broken, tmp_path, snapshot):
    before = tree_digest(tmp_path)
    result = axi("doctor")
    assert tree_digest(tmp_path) == before  # read-only without --fix
    assert result.code == 1
    assert SECRET not in result.stdout + result.stderr
    found = rows(result)
    assert found["config"]["state"] == "fail" and "not valid TOML" in found["config"]["detail"]
    assert found["config"]["fix"].startswith("$EDITOR ")
    assert found["store claude"]["state"] == "warn"
    assert found["store claude"]["fix"] == "export CLAUDE_CONFIG_DIR=<its new folder>"
    assert found["hooks claude"]["state"] == "fail"
    assert "/gone/bin/axi" in found["hooks claude"]["detail"]
    assert found["hooks claude"]["fix"] == "axi setup hooks --host claude"
    assert found["index"]["state"] == "fail" and found["index"]["fix"].startswith("rm ")
    assert found["mailbox"]["state"] == "fail" and "newer" in found["mailbox"]["detail"]
    assert result.data["code"] == "DOCTOR_FAIL"
    from axi.mailbox.db import LATEST  # the mailbox's schema moves on: keep the snapshot still

    text = scrub(result.stdout, tmp_path).replace(
        f"schema {LATEST + 1} is newer than this axi knows ({LATEST})",
        "schema <latest+1> is newer than this axi knows (<latest>)")
    assert text == snapshot


def test_fix_runs_only_the_fixes_it_names(axi, broken, tmp_path):
    config = (tmp_path / "state" / "config.toml").read_bytes()
    mailbox_before = tree_digest(tmp_path / "state")[str(tmp_path / "state" / "mailbox.sqlite")]
    result = axi("doctor", "--fix", "--format", "json")
    assert result.code == 1  # the config and the mailbox need a person
    fixed = {f["name"]: f["result"] for f in result.data["fixed"]}
    assert fixed["hooks claude"] == "done"
    assert fixed["index"].startswith("removed")
    # what needs a person is listed, never run: an edit, an export, an upgrade
    assert fixed["config"] == fixed["mailbox"] == fixed["store claude"] == "by hand"
    after = rows(result)
    assert after["hooks claude"]["state"] == "ok", after["hooks claude"]
    assert "the start hook ran in" in after["hooks claude"]["detail"]
    assert after["index"]["state"] == "ok"
    assert (tmp_path / "state" / "config.toml").read_bytes() == config
    assert tree_digest(tmp_path / "state")[str(tmp_path / "state" / "mailbox.sqlite")] \
        == mailbox_before
    assert SECRET not in result.stdout


def test_a_healthy_world_runs_its_hooks(axi, corpus_home, tmp_path, snapshot):
    assert axi("setup", "hooks").code == 0
    assert axi("sessions", "--all").code == 0
    result = axi("doctor")
    assert result.code == 0, result.stdout
    found = rows(result)
    for host in ("claude", "codex", "opencode"):
        assert found[f"hooks {host}"]["state"] == "ok", found[f"hooks {host}"]
        assert re.search(r"the start hook ran in \d+ ms", found[f"hooks {host}"]["detail"])
    assert found["codex trust"]["state"] == "ok"
    assert found["store claude"]["detail"].endswith("newest 27m ago")  # the clock is pinned
    assert scrub(result.stdout, tmp_path) == snapshot


def test_a_hook_that_fails_to_run_is_a_fail(axi, corpus_home, tmp_path):
    """Installed, its program present, but it breaks: only running it shows that."""
    bad = tmp_path / "bin" / "axi"
    bad.parent.mkdir()
    bad.write_text("#!/bin/sh\necho broken >&2\nexit 3\n")
    bad.chmod(0o755)
    command = f"{bad} hook session-start --host claude"
    settings = corpus_home / ".claude" / "settings.json"
    settings.write_text(json.dumps({"hooks": {"SessionStart": [
        {"matcher": "", "hooks": [{"type": "command", "command": command, "timeout": 10}]}]}}))
    found = rows(axi("doctor", "--format", "json"))
    assert found["hooks claude"]["state"] == "fail"
    assert "exited 3" in found["hooks claude"]["detail"]


def test_no_run_skips_the_hooks(axi, corpus_home):
    assert axi("setup", "hooks", "--host", "claude").code == 0
    found = rows(axi("doctor", "--no-run"))
    assert found["hooks claude"]["state"] == "ok"
    assert "ran in" not in found["hooks claude"]["detail"]


def test_config_keys_are_named_never_their_values(axi, home, tmp_path):
    (tmp_path / "state").mkdir(exist_ok=True)
    (tmp_path / "state" / "config.toml").write_text(
        f'[person]\nname = "{SECRET}"\n[[host]]\nname = "box"\ntransport = "ssh box"\n')
    result = axi("doctor", "--no-run")
    detail = rows(result)["config"]["detail"]
    assert rows(result)["config"]["state"] == "ok"
    assert "person.name" in detail and "[[host]] x1" in detail
    assert SECRET not in result.stdout and "ssh box" not in result.stdout
