"""`host/id` routing of the control verbs (one request each), `read --follow` as a stream over
the transport, `resume` and `attach` over the interactive transport, errors (unknown host, an
id ambiguous across hosts, a host that drops mid-command), and `--host` on `sessions search`,
`usage` and `runs`. The remote is a second HOME and AXI_HOME whose `claude` is the fake
harness (tests/control), reached through `sh -c` here and through a real sshd at the end."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

import pytest
from control_support import fake_config, wait_for
from hostkit import AXI_BIN, SH_TRANSPORT, add_host, make_remote, name_this_machine
from support import decode_strict

from axi.paths import config_path

# the transport killed (SIGKILL) a few seconds into the command: a host that drops mid-command
DROPS = "timeout -s KILL {s} sh -c 'exec \"$@\"' sh"


class Box:
    """A remote machine running launched sessions on the fake harness."""

    def __init__(self, base: Path):
        self.home, self.state, self.proj = base / "home", base / "state", base / "proj"
        for folder in (self.home, self.proj):
            folder.mkdir(parents=True)
        fake_config(self.state)
        self.launched: list[str] = []

    @property
    def env(self) -> dict:
        env = {k: v for k, v in os.environ.items() if k not in (
            "AXI_NOW", "XDG_RUNTIME_DIR", "AXI_SESSION_ID", "AXI_RUN", "AXI_DEPTH")}
        return {**env, "HOME": str(self.home), "AXI_HOME": str(self.state)}

    @property
    def axi(self) -> str:
        """The remote axi with the remote machine's environment, on the real clock."""
        return shlex.join(["env", "-u", "AXI_NOW", "-u", "XDG_RUNTIME_DIR", "-u",
                           "AXI_SESSION_ID", "-u", "AXI_RUN", "-u", "AXI_DEPTH",
                           f"HOME={self.home}", f"AXI_HOME={self.state}", AXI_BIN])

    def run(self, *args: str) -> dict:
        done = subprocess.run([sys.executable, "-m", "axi", *args, "--format", "json"],
                              cwd=self.proj, env=self.env, capture_output=True, text=True,
                              timeout=60)
        return json.loads(done.stdout)

    def launch(self, task: str, *flags: str) -> str:
        sid = self.run("sessions", "new", "claude", task, *flags)["id"]
        self.launched.append(sid)
        return sid

    def stop(self) -> None:
        for sid in self.launched:
            self.run("sessions", "kill", sid)


@pytest.fixture
def box(axi, home, tmp_path):
    remote = Box(tmp_path / "box")
    add_host(axi, "box", SH_TRANSPORT, remote.axi, timeout=30)
    name_this_machine()
    yield remote
    remote.stop()


def _turns(box: Box, sid: str, count: int) -> bool:
    data = box.run("sessions", "read", sid, "--since", "0", "--limit", "50")
    return isinstance(data.get("turns"), list) and len(data["turns"]) >= count


# The control verbs, one request each ------------------------------------------------------

def test_type_result_tag_wait_kill_route_by_host(axi, box):
    sid = box.launch("first")
    wait_for(lambda: _turns(box, sid, 2), seconds=30)
    short = sid[:8]
    typed = axi("sessions", "type", f"box/{short}", "second")
    assert typed.code == 0, typed.stdout
    assert typed.data["id"] == f"box/{sid}" and typed.data["host"] == "box"
    assert typed.data["typed"] == 6
    assert typed.data["help"] == [f"`axi sessions read box/{sid} --follow` streams its turns"]
    wait_for(lambda: _turns(box, sid, 4), seconds=30)
    result = axi("sessions", "result", f"box/{short}")
    assert result.code == 0, result.stdout
    assert (result.data["session"], result.data["report"]) == (f"box/{sid}", "ok: second")
    tagged = axi("sessions", "tag", f"box/{short}", "--name", "web", "--label", "team=ui")
    assert tagged.code == 0, tagged.stdout
    assert (tagged.data["name"], tagged.data["labels"]) == ("web", {"team": "ui"})
    assert box.run("sessions", "view", sid)["title"] == "web"  # it happened there
    waited = axi("sessions", "wait", f"box/{short}", "--timeout", "1s")
    assert (waited.code, waited.data["code"]) == (1, "TIMEOUT")
    assert waited.data["sessions"][0]["id"] == f"box/{sid}"
    killed = axi("sessions", "kill", f"box/{short}")
    assert killed.code == 0, killed.stdout
    assert killed.data["killed"][0]["id"] == f"box/{sid}"
    assert box.run("sessions", "result", sid)["outcome"] == "killed"
    ended = axi("sessions", "wait", f"box/{short}")  # concluded: answers at once
    assert (ended.code, ended.data["code"]) == (1, "NOT_SUCCESS")


def test_a_wait_on_a_host_lasts_its_timeout_not_the_hosts(axi, box, tmp_path):
    """`wait --timeout` may take longer than the host's call timeout, and no longer."""
    sid = box.launch("slow")
    _set(config_path(), "box", "timeout", 2)
    start = time.monotonic()
    waited = axi("sessions", "wait", f"box/{sid[:8]}", "--timeout", "3s")
    assert 3 <= time.monotonic() - start < 8
    assert waited.data["code"] == "TIMEOUT"


def test_read_follow_streams_over_the_transport(box, tmp_path):
    sid = box.launch("hello", "--headless")
    done = _local("sessions", "read", f"box/{sid[:8]}", "--follow", "--timeout", "20s")
    assert done.returncode == 0, done.stdout + done.stderr
    events = [json.loads(line) for line in done.stdout.splitlines()]
    assert [(e["event"], e.get("preview")) for e in events] == [
        ("turn", "hello"), ("turn", "ok: hello"), ("exit", None)]
    assert all(e["id"] == f"box/{sid}" and e["host"] == "box" for e in events)
    assert events[-1]["hint"] == f"axi sessions result box/{sid}"


def test_a_host_that_drops_mid_stream_is_a_clear_error(box, tmp_path):
    sid = box.launch("first")
    wait_for(lambda: _turns(box, sid, 2), seconds=30)
    _set(config_path(), "box", "transport", DROPS.format(s=4))
    start = time.monotonic()
    done = _local("sessions", "read", f"box/{sid[:8]}", "--follow")
    assert time.monotonic() - start < 15
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    events = [json.loads(line) for line in lines if line.startswith("{")]
    assert [e["preview"] for e in events] == ["first", "ok: first"]
    error = decode_strict("\n".join(lines[len(events):]) + "\n")
    assert error["code"] == "HOST_DROPPED"
    assert error["error"].startswith("host box dropped mid-stream after 2 events: the "
                                     "transport exited")
    resume_at = events[-1]["next"]
    assert error["help"][0] == (f"`axi sessions read box/{sid} --follow --since {resume_at}` "
                                "goes on where it stopped")


def test_a_host_that_drops_mid_call_is_a_clear_error(axi, box):
    sid = box.launch("first")
    _set(config_path(), "box", "transport", DROPS.format(s=2))
    start = time.monotonic()
    waited = axi("sessions", "wait", f"box/{sid[:8]}")
    assert time.monotonic() - start < 10
    assert (waited.code, waited.data["code"]) == (1, "HOST_OFFLINE")
    assert waited.data["error"] == (
        "`sessions wait` on host box did not complete: the transport exited -9 (box is "
        "offline or the connection dropped)")
    _set(config_path(), "box", "transport", "sh -c 'exit 255'")
    typed = axi("sessions", "type", f"box/{sid[:8]}", "more")
    assert (typed.code, typed.data["code"]) == (1, "HOST_OFFLINE")
    assert typed.data["help"][-1] == (f"`axi sessions result box/{sid[:8]}` shows whether the "
                                      "type took effect")


def test_new_continue_restart_and_reply_run_on_the_host(axi, box):
    started = axi("sessions", "new", "--host", "box", "claude", "build it", "--wait")
    assert started.code == 0, started.stdout
    sid = started.data["sessions"][0]["id"]
    assert sid.startswith("box/") and started.data["sessions"][0]["outcome"] == "success"
    box.launched.append(sid[4:])
    assert [t["text"] for t in box.run("sessions", "read", sid[4:], "--since", "0")["turns"]
            ] == ["build it", "ok: build it"]  # it ran there, on the host's harness
    more = axi("sessions", "continue", sid, "and test it", "--wait")
    assert more.code == 0, more.stdout
    assert box.run("sessions", "read", sid[4:], "--since", "0")["turns"][-1]["text"] == (
        "ok: and test it")
    again = axi("sessions", "restart", sid, "--wait")
    assert again.code == 0 and again.data["restarted"] == sid, again.stdout
    from control_support import pending_question

    os.environ["AXI_HOME"], before = str(box.state), os.environ["AXI_HOME"]
    try:
        asking = pending_question(box.proj)
    finally:
        os.environ["AXI_HOME"] = before
    answered = axi("reply", f"box/{asking[:8]}", "use sqlite")
    assert answered.code == 0, answered.stdout
    assert answered.data["answer"] == "use sqlite" and answered.data["id"].startswith("box/")


def test_dir_with_a_host_lists_that_folder_there(axi, box):
    sid = box.launch("in the project", "--headless")
    wait_for(lambda: box.run("sessions", "wait", sid, "--timeout", "20").get("status"), 30)
    listed = axi("sessions", "--dir", f"box:{box.proj}", "--format", "json")
    assert listed.code == 0, listed.stdout
    rows = listed.data["sessions"]
    assert isinstance(rows, list), listed.data
    assert [r["id"] for r in rows] == [f"box/{sid[:8]}"] and {r["host"] for r in rows} == {"box"}
    elsewhere = axi("sessions", "--dir", f"box:{box.home}", "--format", "json")
    assert not isinstance(elsewhere.data["sessions"], list)  # none in that folder there


# Routing errors ---------------------------------------------------------------------------

def test_routing_errors(axi, box):
    nowhere = axi("sessions", "kill", "mars/abc")
    assert (nowhere.code, nowhere.data["code"]) == (1, "UNKNOWN_HOST")
    assert nowhere.data["help"][0] == "`axi hosts` lists them"
    mixed = axi("sessions", "wait", "box/abc", "def")
    assert (mixed.code, mixed.data["code"]) == (1, "MIXED_HOSTS")
    missing = axi("sessions", "result", "box/zzzz")
    assert (missing.code, missing.data["code"]) == (1, "NOT_FOUND")
    assert missing.data["error"].startswith("box: no session launched by axi")
    gone = axi("sessions", "restart", "box/zzzz")
    assert (gone.code, gone.data["code"]) == (1, "NOT_FOUND")


def test_the_serve_side_refuses_what_it_does_not_serve(box):
    from axi.remote.protocol import encode_request

    for argv in (["sessions", "resume", "abc"], ["sessions", "attach", "abc"],
                 ["hosts", "add", "x", "--transport", "sh"], ["agents", "approve", "x"],
                 ["send", "@x", "hello"], ["hosts", "sync"]):
        done = subprocess.run([*shlex.split(box.axi), "hosts", "serve", encode_request(argv),
                               "--format", "json"], capture_output=True, text=True, timeout=60)
        answer = json.loads(done.stdout)
        assert answer["error"]["code"] == "NOT_SERVED", argv
    assert not (box.state / "mailbox.sqlite").exists()  # nothing was launched


def test_a_bare_id_found_on_hosts_names_them(axi, home, tmp_path):
    """This machine has no sessions; two hosts hold the same recorded ones."""
    for name in ("box", "nas"):
        remote = make_remote(tmp_path / name, ("claude",))
        add_host(axi, name, SH_TRANSPORT, remote.axi, timeout=30)
    assert axi("sessions", "--host", "box", "--format", "json").code == 0  # caches box's rows
    one = axi("sessions", "view", "d1c9ea04")
    assert (one.code, one.data["code"]) == (1, "NOT_FOUND")
    assert one.data["error"] == "no session 'd1c9ea04' on this machine; host box has it"
    assert one.data["help"][0].startswith("`axi sessions view box/d1c9ea04")
    assert axi("sessions", "--host", "all", "--format", "json").code == 0
    both = axi("sessions", "read", "d1c9ea04")
    assert (both.code, both.data["code"]) == (1, "AMBIGUOUS_HOST")
    assert "ambiguous across hosts (box, nas)" in both.data["error"]
    assert [h.split()[3][:12] for h in both.data["help"]] == ["box/d1c9ea04", "nas/d1c9ea04"]


# resume and attach: the interactive transport ------------------------------------------

def test_resume_prints_the_command_and_runs_it_over_the_attach_transport(axi, box, tmp_path):
    sid = box.launch("first")
    wait_for(lambda: _turns(box, sid, 2), seconds=30)  # resume needs it in the host's catalog
    printed = axi("sessions", "resume", f"box/{sid[:8]}", "--print")
    assert printed.code == 0, printed.stdout
    assert printed.data["command"].endswith(f"--resume {sid} -- ''") or sid in \
        printed.data["command"]
    assert printed.data["runs_on"] == "box" and "here" not in printed.data
    assert printed.data["help"][0].startswith("set it: `axi hosts remove box` then")
    no_attach = _local("sessions", "resume", f"box/{sid[:8]}")
    assert decode_strict(no_attach.stdout)["code"] == "NO_ATTACH_TRANSPORT"
    echo = "sh -c 'echo RAN \"$@\"' sh"
    _set(config_path(), "box", "attach_transport", echo)
    printed = axi("sessions", "resume", f"box/{sid[:8]}", "--print")
    assert printed.data["here"] == shlex.join(
        [*shlex.split(echo), *shlex.split(box.axi), "sessions", "resume", sid])
    no_tty = _local("sessions", "resume", f"box/{sid[:8]}")
    assert decode_strict(no_tty.stdout)["code"] == "NO_TTY"
    code, screen = _in_a_terminal("sessions", "resume", f"box/{sid[:8]}")
    assert code == 0 and f"RAN {box.axi} sessions resume {sid}" in screen.replace("\r", "")


def test_attach_runs_the_remote_holders_attach_with_a_terminal(axi, box):
    sid = box.launch("first")
    no_attach = axi("sessions", "attach", f"box/{sid[:8]}")
    assert (no_attach.code, no_attach.data["code"]) == (1, "NO_ATTACH_TRANSPORT")
    _set(config_path(), "box", "attach_transport", "sh -c 'echo RAN \"$@\"' sh")
    no_tty = _local("sessions", "attach", f"box/{sid[:8]}")
    assert decode_strict(no_tty.stdout)["code"] == "NO_TTY"
    code, screen = _in_a_terminal("sessions", "attach", f"box/{sid[:8]}")
    assert code == 0 and f"RAN {box.axi} sessions attach {sid[:8]}" in screen


def test_attach_through_a_real_terminal_transport(axi, box):
    """The remote holder's attach at the far end of `sh -c` with a terminal: the session's
    terminal is its, and Ctrl-A d detaches with the session still running there."""
    sid = box.launch("first")
    wait_for(lambda: _turns(box, sid, 2), seconds=30)
    _set(config_path(), "box", "attach_transport", SH_TRANSPORT)
    code, screen = _in_a_terminal("sessions", "attach", f"box/{sid[:8]}", keys=b"\x01d")
    assert code == 0 and "status: detached" in screen, screen
    assert f"`axi sessions attach {sid}` attaches again" in screen  # the holder's own answer
    assert box.run("sessions", "result", sid)["status"] != "ended"


# --host on search, usage and runs ---------------------------------------------------------

@pytest.fixture
def recorded(axi, corpus_home, tmp_path):
    remote = make_remote(tmp_path / "rec", ("claude", "codex"))
    add_host(axi, "box", SH_TRANSPORT, remote.axi, timeout=30)
    name_this_machine()
    return remote


def test_search_merges_hits_from_every_host(axi, recorded):
    every = axi("sessions", "search", "files", "--host", "all", "--limit", "50",
                "--format", "json").data
    hosts = {h["host"] for h in every["hits"]}
    assert hosts == {"laptop", "box"}
    here = axi("sessions", "search", "files", "--limit", "50", "--format", "json").data
    there = axi("sessions", "search", "files", "--host", "box", "--limit", "50",
                "--format", "json").data
    assert every["total"] == here["total"] + there["total"]
    assert all(h["id"].startswith("box/") for h in there["hits"])
    ages = [h["age_seconds"] for h in every["hits"]]
    assert ages == sorted(ages)
    assert axi("sessions", "search", "files", "--host", "nope").data["code"] == "UNKNOWN_HOST"
    folder = {h["dir"] for h in there["hits"]}.pop()  # one folder on box, by `--dir box:`
    scoped = axi("sessions", "search", "files", "--dir", f"box:{folder}", "--limit", "50",
                 "--format", "json").data
    assert scoped["hits"] and {h["dir"] for h in scoped["hits"]} == {folder}
    assert all(h["id"].startswith("box/") for h in scoped["hits"])


def test_usage_and_runs_aggregate_across_hosts(axi, recorded):
    here = axi("usage", "--days", "0", "--format", "json").data
    there = axi("usage", "--days", "0", "--host", "box", "--format", "json").data
    every = axi("usage", "--days", "0", "--host", "all", "--by", "harness",
                "--format", "json").data
    assert every["total"]["sessions"] == here["total"]["sessions"] + there["total"]["sessions"]
    for key in ("input", "cache_read"):
        exact = every["total"].get(f"{key}_exact", every["total"][key])
        assert exact == here["total"].get(f"{key}_exact", here["total"][key]) + \
            there["total"].get(f"{key}_exact", there["total"][key])
    assert {(r["host"], r["harness"]) for r in every["rows"]} >= {("box", "codex"),
                                                                   ("laptop", "pi")}
    runs = axi("runs", "--host", "all")
    assert runs.code == 0 and runs.data["runs"] == "0 runs on 2 machines"


def test_an_offline_host_is_a_note_for_all_and_an_error_by_name(axi, recorded):
    add_host(axi, "gone", "sh -c 'echo no route >&2; exit 255'")
    every = axi("usage", "--days", "0", "--host", "all")
    assert every.code == 0
    assert every.data["hosts"][0]["host"] == "gone" and "no route" in \
        every.data["hosts"][0]["error"]
    named = axi("usage", "--host", "gone")
    assert (named.code, named.data["code"]) == (1, "HOST_OFFLINE")


# The dashboard: last-known rows only ------------------------------------------------------

def test_the_dashboard_line_comes_from_the_cache_only(axi, recorded):
    from axi.commands.home import hosts_line

    assert hosts_line() is None  # never asked: nothing to say
    add_host(axi, "gone", "sh -c 'exit 255'")
    assert axi("hosts").code == 0
    line = hosts_line()
    assert line.startswith("box ") and " sessions (0s ago), gone offline (never reached)" in line
    _set(config_path(), "box", "transport", "sh -c 'exit 255'")
    later = float(os.environ["AXI_NOW"]) + 7200
    os.environ["AXI_NOW"] = str(later)
    try:
        assert axi("hosts").code == 0
        assert hosts_line() == "box offline (2h ago), gone offline (never reached)"
        start = time.monotonic()
        bare = axi()
        assert time.monotonic() - start < 2
        assert bare.data["hosts"] == "box offline (2h ago), gone offline (never reached)"
        assert len(bare.stdout) <= 1500
    finally:
        os.environ["AXI_NOW"] = str(later - 7200)


# Over a real sshd -------------------------------------------------------------------------

def test_control_verbs_and_follow_over_ssh(axi, home, tmp_path, sshd):
    remote = Box(tmp_path / "sshbox")
    add_host(axi, "box", sshd.transport(), remote.axi, timeout=30)
    try:
        sid = remote.launch("over ssh")
        wait_for(lambda: _turns(remote, sid, 2), seconds=30)
        typed = axi("sessions", "type", f"box/{sid[:8]}", "again")
        assert typed.code == 0, typed.stdout
        wait_for(lambda: _turns(remote, sid, 4), seconds=30)
        result = axi("sessions", "result", f"box/{sid[:8]}")
        assert result.data["report"] == "ok: again"
        follow = _local("sessions", "read", f"box/{sid[:8]}", "--follow", "--timeout", "3s")
        assert follow.returncode == 0, follow.stdout + follow.stderr
        previews = [json.loads(x)["preview"] for x in follow.stdout.splitlines()]
        assert previews[:4] == ["over ssh", "ok: over ssh", "again", "ok: again"]
        _set(config_path(), "box", "transport", "timeout -s KILL 3 " + sshd.transport())
        dropped = _local("sessions", "read", f"box/{sid[:8]}", "--follow")
        assert dropped.returncode == 1
        assert "code: HOST_DROPPED" in dropped.stdout
        _set(config_path(), "box", "transport", sshd.transport())
        killed = axi("sessions", "kill", f"box/{sid[:8]}")
        assert killed.data["killed"][0]["id"] == f"box/{sid}"
    finally:
        remote.stop()


# helpers -----------------------------------------------------------------------------------

def _local(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    """This machine's axi as a process with no terminal."""
    return subprocess.run([sys.executable, "-m", "axi", *args], capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL, env=os.environ)


def _in_a_terminal(*args: str, keys: bytes = b"", until: bytes | None = None,
                   seconds: float = 30) -> tuple[int, str]:
    """This machine's axi with a terminal (a pty); `keys` typed once `until` shows."""
    import pty
    import select

    pid, fd = pty.fork()
    if pid == 0:  # pragma: no cover - the child
        os.execvpe(sys.executable, [sys.executable, "-m", "axi", *args], dict(os.environ))
    out = b""
    sent = not keys
    begun = time.monotonic()
    deadline = begun + seconds
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
        if not sent and (until in out if until else time.monotonic() > begun + 1.5):
            os.write(fd, keys)
            sent = True
    else:
        os.kill(pid, 9)
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    return os.waitstatus_to_exitcode(status), out.decode("utf-8", "replace")


def _set(path: str, name: str, key: str, value) -> None:
    import tomlkit

    with open(path, encoding="utf-8") as fh:
        doc = tomlkit.parse(fh.read())
    for block in doc["host"]:
        if block["name"] == name:
            block[key] = value
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(doc.as_string())


def test_attach_over_ssh_in_a_real_terminal_under_tmux(axi, home, tmp_path, sshd):
    """What a person does: in a tmux window, `axi sessions attach box/id` over their own
    `ssh -t`; the session's screen shows, Ctrl-A d detaches, the session goes on there."""
    import shutil

    if shutil.which("tmux") is None:
        pytest.skip("tmux is not installed (Debian: apt-get install -y tmux)")
    remote = Box(tmp_path / "sshbox")
    add_host(axi, "box", sshd.transport(), remote.axi, timeout=30)
    _set(config_path(), "box", "attach_transport", sshd.transport().replace(" -T ", " -t "))
    socket = str(tmp_path / "tmux.sock")
    try:
        sid = remote.launch("seen over ssh")
        wait_for(lambda: _turns(remote, sid, 2), seconds=30)
        line = shlex.join([sys.executable, "-m", "axi", "sessions", "attach", f"box/{sid[:8]}"])
        env = [f"{k}={v}" for k, v in os.environ.items() if k in ("HOME", "AXI_HOME", "PATH")]
        subprocess.run(["tmux", "-S", socket, "new-session", "-d", "-x", "120", "-y", "30",
                        "env", *env, "sh", "-c", line + "; echo ATTACH-ENDED $?; sleep 30"],
                       check=True)

        def screen() -> str:
            return subprocess.run(["tmux", "-S", socket, "capture-pane", "-p"],
                                  capture_output=True, text=True).stdout

        wait_for(lambda: "ok: seen over ssh" in screen(), seconds=30)
        subprocess.run(["tmux", "-S", socket, "send-keys", "C-a", "d"], check=True)
        wait_for(lambda: "ATTACH-ENDED 0" in screen(), seconds=30)
        assert "status: detached" in screen()
        assert remote.run("sessions", "result", sid)["status"] != "ended"  # still running there
    finally:
        subprocess.run(["tmux", "-S", socket, "kill-server"], capture_output=True)
        remote.stop()
