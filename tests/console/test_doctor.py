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
        f'[person]\nname = "{SECRET}"\n[[host]]\nname = "box"\n'
        f'transport = "sh -c \'exit 255\' {SECRET}-host"\n')
    result = axi("doctor", "--no-run")
    detail = rows(result)["config"]["detail"]
    assert rows(result)["config"]["state"] == "ok"
    assert "person.name" in detail and "[[host]] x1" in detail
    assert rows(result)["host box"]["state"] == "warn"  # offline, its transport not shown
    assert SECRET not in result.stdout and "exit 255" not in result.stdout


# ---- [[host]] ----------------------------------------------------------------------------

SH = "sh -c 'exec \"$@\"' sh"  # runs its arguments as argv (tests/remote/hostkit.py)


def fake_axi(folder, name: str, answer: str, code: int = 0) -> str:
    """A remote `axi` that prints `answer` whatever it is asked (an old or foreign axi)."""
    import shlex

    path = folder / name
    path.write_text(f"#!/bin/sh\nprintf '%s\\n' {shlex.quote(answer)}\nexit {code}\n")
    path.chmod(0o755)
    return str(path)


def hosts_config(tmp_path) -> None:
    """One host of each kind: online (a second machine's own HOME and state), offline, no
    axi, an old axi, one from before the protocol, a newer one; two that never answer."""
    import shlex
    import sys
    from pathlib import Path

    remote = tmp_path / "remote"
    (remote / "home").mkdir(parents=True)
    there = shlex.join(["env", f"HOME={remote / 'home'}", f"AXI_HOME={remote / 'state'}",
                        f"AXI_NOW={os.environ['AXI_NOW']}",
                        str(Path(sys.executable).with_name("axi"))])
    bin_ = tmp_path / "bin"
    bin_.mkdir()
    old = fake_axi(bin_, "old", json.dumps({"protocol": 0, "axi": "0.0.9"}))
    ancient = fake_axi(bin_, "ancient", json.dumps({"error": "no such command `hosts`",
                                                    "code": "USAGE"}), code=2)
    newer = fake_axi(bin_, "newer", json.dumps({"protocol": 99, "axi": "9.0"}))
    blocks = [("box", SH, there, None), ("gone", "sh -c 'exit 255'", None, None),
              ("bare", SH, str(bin_ / "no-axi-here"), None), ("old", SH, old, None),
              ("ancient", SH, ancient, None), ("newer", SH, newer, None),
              ("slow1", "sh -c 'sleep 5'", None, 1), ("slow2", "sh -c 'sleep 5'", None, 1)]
    text = ""
    for name, transport, axi_cmd, timeout in blocks:
        text += f"[[host]]\nname = {json.dumps(name)}\ntransport = {json.dumps(transport)}\n"
        text += f"axi = {json.dumps(axi_cmd)}\n" if axi_cmd else ""
        text += f"timeout = {timeout}\n" if timeout else ""
    (tmp_path / "state").mkdir(exist_ok=True)
    (tmp_path / "state" / "config.toml").write_text(text)


def test_each_host_is_reached_at_once_and_nothing_is_written(axi, home, tmp_path, snapshot):
    import time

    from axi import __version__
    from axi.paths import state_dir

    hosts_config(tmp_path)
    state_dir()  # its privacy marker, which any command writes first
    before = tree_digest(tmp_path / "state")
    started = time.monotonic()
    result = axi("doctor", "--no-run")
    took = time.monotonic() - started
    assert tree_digest(tmp_path / "state") == before  # no hosts/ cache written, nothing else
    assert not (tmp_path / "state" / "hosts").exists()
    assert took < 4, took  # asked in parallel: the two 1 s timeouts overlap each other
    found = {n: r for n, r in rows(result).items() if n.startswith("host ")}
    states = {n: (r["state"], r["fix"]) for n, r in found.items()}
    assert states == {
        "host box": ("ok", None),
        "host gone": ("warn", "axi hosts check gone"),
        "host bare": ("warn", "install axi on bare (pipx install axi), or give its path: "
                      "`axi hosts remove bare` then `axi hosts add bare --transport ... "
                      "--axi /path/to/axi`"),
        "host old": ("warn", "pipx upgrade axi, run on old over its transport "
                     "(`axi hosts check old` shows it)"),
        "host ancient": ("warn", "pipx upgrade axi, run on ancient over its transport "
                         "(`axi hosts check ancient` shows it)"),
        "host newer": ("warn", "upgrade axi here: `pipx upgrade axi`"),
        "host slow1": ("warn", "axi hosts check slow1"),
        "host slow2": ("warn", "axi hosts check slow2")}
    assert found["host box"]["detail"].startswith(f"online: axi {__version__}, protocol 1, ")
    assert "sh -c" not in result.stdout and str(tmp_path / "bin") not in result.stdout
    # after the mailbox's row, in config order
    names = [r["name"] for r in result.data["checks"]]
    assert names[names.index("mailbox") + 1:names.index("mailbox") + 9] == list(found)
    lines = [line for line in result.stdout.splitlines() if line.startswith("  host ")]
    text = "\n".join(re.sub(r"\d+ ms", "<n> ms", line) for line in lines)
    assert text.replace(f"axi {__version__},", "axi <version>,") == snapshot


def test_no_hosts_no_row_and_no_remote_code(home, tmp_path):
    """Without [[host]], doctor has no host row and never loads axi.remote (with one, it
    does: the probe sees the difference)."""
    import subprocess
    import sys

    probe = ("import sys; from axi.cli import run; run(['doctor', '--no-run'], 'json'); "
             "print('axi.remote' in sys.modules, file=sys.stderr)")

    def loaded() -> tuple[str, bool]:
        done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                              timeout=120, cwd=home)
        return done.stdout, done.stderr.strip().splitlines()[-1] == "True"

    out, remote = loaded()
    assert not remote and '"host ' not in out
    (tmp_path / "state").mkdir(exist_ok=True)
    (tmp_path / "state" / "config.toml").write_text(
        '[[host]]\nname = "gone"\ntransport = "sh -c \'exit 255\'"\n')
    out, remote = loaded()
    assert remote and '"host gone"' in out
