"""Identities that are not an agent in a folder (mailbox schema 5): service senders with a token
file, the person at their own terminal, and the built-in echo. Real `python -m axi` processes
wherever a terminal, a pipe or a second process is what is being tested."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from mail_support import axi_proc, code_of, mailbox_at, make_agent
from support import decode_strict

from axi.mailbox import db, identity, store, tokens
from axi.terminal import AGENT_ENV

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")


def clean_env(**extra: str) -> dict:
    """This process's environment without any agent harness's variables, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if k not in AGENT_ENV}
    env.update(extra)
    return env


def at_terminal(*args: str, cwd: Path, env: dict | None = None) -> tuple[int, object, str]:
    """Run `python -m axi ARGS` on a real pseudo-terminal (stdin and stdout a tty), as a person
    typing; returns (exit code, strictly decoded output, raw output)."""
    import pexpect

    child = pexpect.spawn(sys.executable, ["-m", "axi", *args], cwd=str(cwd),
                          env=env or clean_env(PWD=str(cwd)), encoding="utf-8", timeout=60,
                          dimensions=(50, 400))
    child.expect(pexpect.EOF)
    child.close()
    text = child.before.replace("\r\n", "\n")
    assert "Traceback" not in text, text
    return child.exitstatus, decode_strict(text), text


def scrubbed(data: object, tmp: Path) -> object:
    return json.loads(json.dumps(data).replace(str(tmp), "<tmp>"))


# ---- service senders -----------------------------------------------------------------------

def test_a_service_sender_end_to_end(home, tmp_path, snapshot):
    make_agent(home / "bob", "bob")
    code, created = axi_proc("agents", "init", "ci", "--service", cwd=home)
    assert code == 0 and created["kind"] == "service" and created["state"] == "pending"
    assert not (home / ".axi").exists()  # no folder, no pointer file
    assert scrubbed(created, tmp_path) == snapshot(name="init")
    assert axi_proc("agents", "init", "ci", "--service", cwd=home)[1]["already"] is True
    # pending: nothing can be sent, and no token exists yet
    assert axi_proc("send", "--as", "ci", "@bob", "hi", cwd=home)[1]["code"] == "PENDING"
    assert not os.path.exists(tokens.path_for("ci"))

    # approval: only at a terminal, with the code; it prints the token file's path, never the token
    refused = axi_proc("agents", "approve", "ci", "--confirm", code_of("ci"), cwd=home)
    assert refused[1]["code"] == "NEEDS_OPERATOR"
    status, approved, raw = at_terminal("agents", "approve", "ci", "--confirm", code_of("ci"),
                                        cwd=home)
    assert status == 0 and approved["token_file"] == tokens.path_for("ci")
    assert scrubbed(approved, tmp_path) == snapshot(name="approve")
    path = tokens.path_for("ci")
    assert os.stat(path).st_mode & 0o777 == 0o600
    _, token = tokens.read(path)
    assert token not in raw
    row = identity.require(store.connect(), "ci")
    assert row["token_hash"] == hashlib.sha256(token.encode()).hexdigest()
    stored = b"".join(Path(db.mailbox_path() + suffix).read_bytes()
                      for suffix in ("", "-wal") if os.path.exists(db.mailbox_path() + suffix))
    assert token.encode() not in stored  # only the hash is kept

    # sending: without the file refused; with it (flag or environment) sent
    missing = axi_proc("send", "--as", "ci", "@bob", "deploy done", cwd=home)
    assert missing[0] == 1 and missing[1]["code"] == "TOKEN_REQUIRED"
    code, sent = axi_proc("send", "--as", "ci", "--token-file", path, "@bob", "deploy done",
                          cwd=home)
    assert code == 0 and sent["to"] == ["@bob"]
    code, sent = axi_proc("send", "--as", "ci", "@bob", "probe green", cwd=home,
                          env=dict(os.environ, AXI_TOKEN_FILE=path, PWD=str(home)))
    assert code == 0 and sent["sent"] == 2
    bob_inbox = axi_proc("inbox", cwd=home / "bob")[1]
    assert [(m["from"], m["text"]) for m in bob_inbox["messages"]] == [
        ("@ci", "probe green"), ("@ci", "deploy done")]

    # it reads nothing, with or without its token; nobody can mail it
    env = dict(os.environ, AXI_TOKEN_FILE=path, PWD=str(home))
    for args in (["inbox", "--as", "ci"], ["mail", "view", "1", "--as", "ci"],
                 ["watch", "--as", "ci", "--timeout", "0"], ["tasks", "--as", "ci"],
                 ["context", "list", "--as", "ci"], ["mail", "read", "1", "--as", "ci"]):
        code, out = axi_proc(*args, cwd=home, env=env)
        assert code == 1 and out["code"] == "SERVICE_SENDS_ONLY", args
    assert axi_proc("inbox", "--as", "ci", cwd=home)[1]["code"] == "SERVICE_SENDS_ONLY"
    assert axi_proc("send", "--reply", "1", "thanks", cwd=home / "bob")[1]["code"] == (
        "RECIPIENT_SERVICE")
    assert axi_proc("send", "@ci", "hello", cwd=home / "bob")[1]["code"] == "RECIPIENT_SERVICE"
    mentioned = axi_proc("send", "@bob", "cc @ci", cwd=home)
    assert mentioned[1]["code"] == "NO_IDENTITY"  # (home is no agent's folder)
    listed = axi_proc("agents", cwd=home)[1]
    assert scrubbed(listed, tmp_path) == snapshot(name="agents")

    # a copy readable by others, or another file, is refused
    loose = home / "loose.token"
    loose.write_text(Path(path).read_text())
    loose.chmod(0o644)
    assert axi_proc("send", "--as", "ci", "--token-file", str(loose), "@bob", "x",
                    cwd=home)[1]["code"] == "TOKEN_FILE_OPEN"
    forged = home / "forged.token"
    forged.write_text('name = "ci"\ntoken = "guess"\n')
    forged.chmod(0o600)
    assert axi_proc("send", "--as", "ci", "--token-file", str(forged), "@bob", "x",
                    cwd=home)[1]["code"] == "TOKEN_INVALID"
    kept = home / "kept.token"
    kept.write_text(Path(path).read_text())
    kept.chmod(0o600)

    # revoking invalidates it: the file is deleted, a kept copy is refused, before and after a
    # new approval (which writes a new token)
    status, revoked, _ = at_terminal("agents", "revoke", "ci", cwd=home)
    assert status == 0 and revoked["revoked"] == "ci" and not os.path.exists(path)
    assert identity.require(store.connect(), "ci")["token_hash"] is None
    after = axi_proc("send", "--as", "ci", "--token-file", str(kept), "@bob", "x", cwd=home)
    assert after[0] == 1 and after[1]["code"] == "REVOKED"
    assert at_terminal("agents", "approve", "ci", "--confirm", code_of("ci"), cwd=home)[0] == 0
    stale = axi_proc("send", "--as", "ci", "--token-file", str(kept), "@bob", "x", cwd=home)
    assert stale[1]["code"] == "TOKEN_INVALID"
    fresh = axi_proc("send", "--as", "ci", "--token-file", path, "@bob", "back", cwd=home)
    assert fresh[0] == 0
    assert len(axi_proc("inbox", cwd=home / "bob")[1]["messages"]) == 3


def test_service_names_and_kinds_do_not_mix(axi, home, monkeypatch):
    make_agent(home / "bob", "bob")
    assert axi("agents", "init", "bob", "--service").data["code"] == "NAME_TAKEN"
    assert axi("agents", "init", "ci", "--service", "--tag", "x").code == 2
    assert axi("agents", "init", "echo", "--service").code == 2
    assert axi("agents", "init", "ci", "--service").code == 0
    (home / "d").mkdir()
    monkeypatch.chdir(home / "d")
    monkeypatch.setenv("PWD", str(home / "d"))
    taken = axi("agents", "init", "ci", "--move")
    assert taken.data["code"] == "NAME_TAKEN" and "service sender" in taken.data["error"]
    (home / "c").mkdir()
    monkeypatch.chdir(home / "c")
    monkeypatch.setenv("PWD", str(home / "c"))
    assert axi("agents", "init", "echo").code == 2  # reserved for the built-in


# ---- the person ----------------------------------------------------------------------------

def test_the_person_acts_only_at_their_own_terminal(home, tmp_path, snapshot):
    Path(os.environ["AXI_HOME"]).mkdir(parents=True, exist_ok=True)
    Path(os.environ["AXI_HOME"], "config.toml").write_text('[person]\nname = "ada"\n')
    make_agent(home / "bob", "bob")
    # an agent mails the person before the person ever used axi: created, approved implicitly
    code, sent = axi_proc("send", "@ada", "the build is green; ship it?", cwd=home / "bob")
    assert code == 0 and sent["to"] == ["@ada"]
    row = identity.require(store.connect(), "ada")
    assert (row["kind"], row["state"], row["folder"]) == ("person", "approved", "")

    # at a terminal with no agent harness around: reads and answers
    status, inbox, _ = at_terminal("inbox", "--as", "ada", cwd=home)
    assert status == 0 and inbox["messages"][0]["text"] == "the build is green; ship it?"
    status, reply, _ = at_terminal("send", "--as", "ada", "--reply", "1", "yes, ship it",
                                   cwd=home / "bob")
    assert status == 0 and reply["to"] == ["@bob"]
    bob = axi_proc("inbox", cwd=home / "bob")[1]["messages"]
    assert [(m["from"], m["text"]) for m in bob] == [("@ada", "yes, ship it")]
    assert at_terminal("whoami", "--as", "ada", cwd=home)[1]["kind"] == "person"

    # an agent's shell: a pipe, or a terminal with a harness variable set, is refused
    piped = axi_proc("inbox", "--as", "ada", cwd=home / "bob")
    assert piped[0] == 1 and piped[1]["code"] == "PERSON_TERMINAL_ONLY"
    assert scrubbed(piped[1], tmp_path) == snapshot(name="refused")
    for var in ("CLAUDECODE", "CODEX_THREAD_ID", "OPENCODE"):
        env = clean_env(PWD=str(home), **{var: "1"})
        status, out, _ = at_terminal("send", "--as", "ada", "@bob", "forged", cwd=home, env=env)
        assert status == 1 and out["code"] == "PERSON_TERMINAL_ONLY", var
    status, out, _ = at_terminal("inbox", cwd=home / "bob",
                                 env=clean_env(PWD=str(home / "bob"), AXI_AGENT="ada"))
    assert status == 0 and out["messages"]  # AXI_AGENT names it too, at the terminal


def test_the_person_is_created_on_first_use_at_a_terminal_only(home):
    name = identity.login_name()
    make_agent(home / "bob", "bob")
    piped = axi_proc("inbox", "--as", name, cwd=home)
    assert piped[1]["code"] == "NOT_FOUND"
    assert identity.by_name(store.connect(), name) is None
    status, out, _ = at_terminal("inbox", "--as", name, cwd=home)
    assert status == 0 and out["inbox"] == f"0 messages for @{name}"
    assert identity.require(store.connect(), name)["kind"] == "person"


def test_the_person_name_defaults_to_the_login_name(monkeypatch):
    monkeypatch.setenv("LOGNAME", "Jane.Doe")
    assert identity.person_name({}) == "jane-doe"
    assert identity.person_name({"person": {"name": "Ada"}}) == "ada"
    monkeypatch.setenv("LOGNAME", "1")
    assert identity.person_name({"person": "x"}) == "p1"
    with pytest.raises(Exception, match=r"\[person\] name"):
        identity.person_name({"person": {"name": "not a name!"}})


# ---- echo ----------------------------------------------------------------------------------

def listen_echo(home: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "axi", "listen", "--echo", *args],
                            cwd=home, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=dict(os.environ, PWD=str(home)))


def wait_listening(name: str, deadline: float = 30.0) -> None:
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        row = identity.by_name(store.connect(), name)
        if row is not None and identity.is_listening(row):
            return
        time.sleep(0.05)
    raise AssertionError(f"{name} never started listening")


def test_listen_echo_answers_a_real_send(home, snapshot):
    make_agent(home / "bob", "bob")
    make_agent(home / "carol", "carol")
    proc = listen_echo(home, "--max", "1", "--timeout", "60")
    try:
        wait_listening("echo")
        code, sent = axi_proc("send", "@echo", "ping @carol\nsecond line", cwd=home / "bob")
        assert code == 0 and sent["to"] == ["@carol", "@echo"]
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    result = decode_strict(out)
    assert result == snapshot(name="listen")
    assert "listen: 1 from @bob: echoed" in err
    bob = axi_proc("inbox", "--fields", "kind,reply_to", cwd=home / "bob")[1]["messages"]
    assert len(bob) == 1 and bob[0]["from"] == "@echo" and bob[0]["reply_to"] == 1
    full = axi_proc("mail", "view", str(bob[0]["id"]), cwd=home / "bob")[1]
    assert full["text"] == "echo of #1 from @bob:\nping @carol\nsecond line"
    assert full["to"] == ["@bob (unread)"]  # the echo's @carol delivers nothing
    carol = axi_proc("inbox", cwd=home / "carol")[1]
    assert carol["mail"] == "1 unread of 1"  # the original mention only
    conn = store.connect()
    assert conn.execute("SELECT auto FROM messages WHERE id = 2").fetchone()[0] == 1


def test_echo_and_a_listener_do_not_loop(home):
    """echo answers bob; bob's own listener never answers the echo's automatic reply."""
    make_agent(home / "bob", "bob")
    echo = listen_echo(home, "--max", "5", "--timeout", "6")
    bob = subprocess.Popen([sys.executable, "-m", "axi", "listen", "--exec", "cat", "--max", "5",
                            "--timeout", "6"], cwd=home / "bob", stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True,
                           env=dict(os.environ, PWD=str(home / "bob")))
    try:
        wait_listening("echo")
        wait_listening("bob")
        assert axi_proc("send", "@echo", "hello", cwd=home / "bob")[0] == 0
        echo_out, _ = echo.communicate(timeout=60)
        bob_out, _ = bob.communicate(timeout=60)
    finally:
        for proc in (echo, bob):
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    assert decode_strict(echo_out)["handled"] == 1
    assert decode_strict(bob_out)["handled"] == 0
    assert store.connect().execute("SELECT count(*) FROM messages").fetchone()[0] == 2


def test_echo_is_only_the_built_in(axi, home, monkeypatch):
    make_agent(home / "bob", "bob")
    monkeypatch.chdir(home / "bob")
    monkeypatch.setenv("PWD", str(home / "bob"))
    assert axi("inbox", "--as", "echo").data["code"] == "BUILTIN_IDENTITY"
    assert axi("handoff", "@echo", "ping", "--no-wait").data["status"] == "queued"
    assert axi("send", "@echo", "hi").code == 0
    assert axi("inbox", "--as", "echo").data["code"] == "BUILTIN_IDENTITY"
    assert axi("listen", "--echo", "--exec", "cat").code == 2
    assert axi("listen", "--echo", "--as", "bob").code == 2
    assert axi("listen", "--timeout", "0").data["code"] == "USAGE"
    idle = axi("listen", "--echo", "--timeout", "0")
    assert idle.code == 0 and idle.data["agent"] == "@echo"
    assert idle.data["handled"] == 0  # a zero timeout answers nothing


def test_a_folder_agent_named_echo_keeps_its_name(axi, home, monkeypatch):
    """A mailbox made before echo was built in may hold an agent called echo: it stays one."""
    conn = store.connect()
    (home / "e").mkdir()
    identity.init(conn, "bob", str(home / "e"))  # bound, then renamed in the table
    conn.execute("UPDATE agents SET name = 'echo', state = 'approved'")
    monkeypatch.chdir(home / "e")
    monkeypatch.setenv("PWD", str(home / "e"))
    (home / "e" / ".axi" / "agent.toml").write_text('name = "echo"\n')
    assert axi("whoami").data["agent"] == "echo"
    refused = axi("listen", "--echo", "--timeout", "0")
    assert refused.data["code"] == "NAME_TAKEN"


# ---- migration 5 ---------------------------------------------------------------------------

@pytest.mark.sqlite_only
def test_migration_5_keeps_a_mailbox_made_by_steps_1_to_4(home, axi, monkeypatch):
    folder = home / "a"
    folder.mkdir()
    old = mailbox_at(4)
    origin = identity.current_origin(str(folder))
    for name, state in (("alice", "approved"), ("carol", "pending")):
        o = origin if name == "alice" else identity.current_origin(str(home / name))
        old.execute("INSERT INTO agents (name, state, origin, host, user, folder, tag, created, "
                    "approved) VALUES (?, ?, ?, ?, ?, ?, '', 1.0, 1.0)",
                    (name, state, o.fingerprint(), o.host, o.user, o.folder))
    old.execute("INSERT INTO messages (sender, body, thread, created) VALUES (1, 'kept', 1, 2.0)")
    old.execute("INSERT INTO deliveries (message, recipient, reason) VALUES (1, 2, 'to')")
    old.execute("INSERT INTO context (key, value, size, kind, author, created) VALUES "
                "('k', 'v', 1, 'text', 1, 3.0)")
    old.close()
    identity.write_pointer(str(folder), "alice")

    conn = store.connect()
    assert db.schema_version(conn) == db.LATEST >= 5
    rows = conn.execute("SELECT name, state, kind, token_hash, folder FROM agents "
                        "ORDER BY id").fetchall()
    assert [tuple(r) for r in rows] == [("alice", "approved", "agent", None, str(folder)),
                                        ("carol", "pending", "agent", None,
                                         str(home / "carol"))]
    assert conn.execute("SELECT body FROM messages").fetchone()[0] == "kept"
    assert conn.execute("SELECT value FROM context WHERE key = 'k'").fetchone()[0] == "v"
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute("UPDATE agents SET kind = 'robot' WHERE name = 'alice'")
    # the existing identity behaves as before
    monkeypatch.chdir(folder)
    monkeypatch.setenv("PWD", str(folder))
    assert axi("whoami").data["agent"] == "alice"
    assert axi("send", "@carol", "still here").code == 0
    listed = axi("agents").data["agents"]
    assert "kind" not in listed[0]  # only agents in folders: the list looks as before
    # a row read before the migration (no `kind`) counts as an agent
    plain = sqlite3.connect(":memory:")
    plain.row_factory = sqlite3.Row
    assert identity.kind_of(plain.execute("SELECT 1 AS name").fetchone()) == "agent"


# ---- the picker's person tab ---------------------------------------------------------------

def test_the_picker_shows_and_answers_mail_to_the_built_in_person(home):
    import asyncio

    from axi.picker.app import PickApp
    from axi.picker.keys import bindings

    Path(os.environ["AXI_HOME"]).mkdir(parents=True, exist_ok=True)
    Path(os.environ["AXI_HOME"], "config.toml").write_text('[person]\nname = "ada"\n')
    make_agent(home / "bob", "bob")
    assert axi_proc("send", "@ada", "may I merge?", cwd=home / "bob")[0] == 0
    assert axi_proc("agents", "init", "ci", "--service", cwd=home)[0] == 0
    config = {"person": {"name": "ada"}}

    def text(app) -> str:
        strips = app.screen._compositor.render_strips()
        return "\n".join("".join(seg.text for seg in strip).rstrip() for strip in strips)

    def notes(app) -> str:
        return "\n".join(n.message for n in app._notifications)

    async def drive() -> None:
        app = PickApp(config, bindings(config), live=False)
        async with app.run_test(size=(140, 40)) as pilot:
            await pilot.press("P")
            await pilot.pause()
            shown = text(app)
            assert "Mail to ada" in shown and "may I merge?" in shown
            assert "(person)" in shown and "(service)" in shown
            await pilot.press("A")  # the agents are sorted pending first: ci
            await pilot.pause()
            assert "service sender" in text(app)
            await pilot.press("y")
            await pilot.pause()
            assert "token file:" in notes(app)
            await pilot.press("tab", "enter")
            await pilot.pause()
            await pilot.press("R")
            for ch in "yes":
                await pilot.press(ch)
            await pilot.press("enter")
            await pilot.pause()
            assert "sent #" in notes(app)

    asyncio.run(drive())
    assert os.path.exists(tokens.path_for("ci"))
    bob = axi_proc("inbox", cwd=home / "bob")[1]["messages"]
    assert [(m["from"], m["text"]) for m in bob] == [("@ada", "yes")]


def test_the_readmes_first_mailbox_example_runs_as_written(home):
    """Every line of README "Try it in a minute", each a real process: the approval at a
    pseudo-terminal with the real code, the listener in the background."""
    import re
    import shlex

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### Try it in a minute: the echo agent"):]
    block = re.search(r"```sh\n(.*?)```", section, re.S).group(1)
    lines = [line.split("  #")[0].strip() for line in block.splitlines()]
    folder = home / "work" / "frontend"
    folder.mkdir(parents=True)
    env = clean_env(PWD=str(folder), HOME=str(home))
    background: list[subprocess.Popen] = []
    outputs = []
    try:
        for line in lines:
            if line.startswith("cd "):
                line = line.split("&&", 1)[1].strip()
            argv = shlex.split(line.rstrip("&").strip())
            assert argv[0] == "axi", line
            if argv[1:3] == ["agents", "approve"]:
                argv[-1] = code_of(argv[3])
                status, out, _ = at_terminal(*argv[1:], cwd=folder, env=env)
                assert status == 0 and out == {"approved": "front", "folder": "~/work/frontend"}
                continue
            if line.endswith("&"):
                background.append(subprocess.Popen(
                    [sys.executable, "-m", "axi", *argv[1:]], cwd=folder, env=env,
                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
                wait_listening("echo")
                continue
            code, out = axi_proc(*argv[1:], cwd=folder, env=env)
            assert code == 0, (line, out)
            outputs.append(out)
    finally:
        for proc in background:
            proc.terminate()
            proc.wait(timeout=30)
    answer = outputs[-1]
    assert answer["status"] == "mail" and answer["messages"][0]["from"] == "@echo"
    assert answer["messages"][0]["text"] == (
        "echo of #1 from @front: hello, is this thing on?")
