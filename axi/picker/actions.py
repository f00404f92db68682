"""What the picker's keys do outside the screen: each one is the `axi` command an agent or a
person would type (run as a child process, `--format json`), so the picker adds no second
path to kill, reply, type or launch; only what has no command yet lives here (approving
from the picker's own terminal). Tags go through the one writer `axi sessions tag` uses
(`axi.control.tags`), in-process."""

from __future__ import annotations

import os
import subprocess
import sys

from axi.picker.model import Session

TIMEOUT = 60.0


class ActionError(Exception):
    """An action that did not happen, with the reason to show."""


def axi_argv(*args: str) -> list[str]:
    return [sys.executable, "-m", "axi", *args]


def run_axi(*args: str, timeout: float = TIMEOUT) -> dict:
    """Run `axi ARGS --format json` with no terminal; its answer, or ActionError."""
    from axi.control.child import run_axi as run
    from axi.errors import AxiError

    try:
        return run(*args, timeout=timeout)
    except AxiError as exc:
        raise ActionError(exc.message) from None


def local_only(sessions: list[Session], verb: str) -> None:
    """Acting on another machine's session from here is not the picker's (yet): say how."""
    for s in sessions:
        if s.remote:
            raise ActionError(f"{s.id[:8]} is on {s.host}: {verb} it there, or from a terminal "
                              f"here with its address {s.host}/{s.id[:8]} (`axi sessions --help`)")


def need_launch(s: Session, verb: str) -> str:
    local_only([s], verb)
    if not s.launch:
        raise ActionError(f"axi did not launch {s.id[:8]}: {verb} works on sessions started "
                          "with `c` or `axi sessions new`")
    return s.launch


def kill(sessions: list[Session]) -> str:
    ids = [need_launch(s, "kill") for s in sessions]
    data = run_axi("sessions", "kill", *ids)
    killed = len(data.get("killed") or [])
    return f"killed {killed}" + (f", {len(data['already'])} had already ended"
                                 if data.get("already") else "")


def reply(s: Session, text: str) -> str:
    run_axi("reply", need_launch(s, "reply"), text)
    return f"answered {s.id[:8]}"


def type_into(s: Session, text: str) -> str:
    run_axi("sessions", "type", need_launch(s, "typing"), text)
    return f"typed {len(text)} characters into {s.id[:8]}"


def tag(sessions: list[Session], edits: list[str]) -> str:
    """Tag the sessions (`key=value` sets, `-key` removes, a bare word is a flag), launched by
    axi or not, as `axi sessions tag --label` does. The rows' tags change in place."""
    from axi.control import tags
    from axi.errors import AxiError
    from axi.mailbox import db

    local_only(sessions, "tag")
    try:
        tags.check(edits, flag="")
        conn = db.connect()
        try:
            for s in sessions:
                s.tags = tags.edit(conn, edits, key=s.key)
                s.hay = s.haystack()
        finally:
            conn.close()
    except AxiError as exc:
        raise ActionError(str(exc)) from None
    return f"tagged {len(sessions)} session{'s' if len(sessions) != 1 else ''}"


def approve(name: str, code: str) -> str:
    """Approve a pending agent: the person at the picker's terminal is the operator."""
    from axi.errors import AxiError
    from axi.mailbox import identity, store

    try:
        row, already = identity.approve(store.connect(), name, code)
    except AxiError as exc:
        raise ActionError(str(exc)) from None
    return f"{row['name']} was already approved" if already else f"approved {row['name']}"


def open_argv(s: Session) -> list[str]:
    """What Enter runs in the terminal: the holder's attach for a held session, else the
    harness's own resume command in the session's folder (`axi sessions resume`). A session
    on another machine is addressed `host/id`: the same commands run it there."""
    where = f"{s.host}/" if s.remote else ""
    if s.attachable and s.launch:
        return axi_argv("sessions", "attach", where + s.launch)
    return axi_argv("sessions", "resume", where + s.id)


def harness_args(config: dict, harness: str) -> list[str]:
    """The flags `[[harness]] args` gives the harness (checked when the config was loaded);
    [] when none are set."""
    import shlex

    for block in config.get("harness", []):
        if isinstance(block, dict) and block.get("name") == harness and block.get("args"):
            value = block["args"]
            return shlex.split(value) if isinstance(value, str) else list(value)
    return []


def resume_with(s: Session, flags: list[str]) -> tuple[list[str], str]:
    """The harness's own resume command with `flags` after it, and the folder to run it in
    (what `axi sessions resume` runs, plus the flags); ActionError when it cannot run."""
    import shutil

    from axi.dirmap import effective
    from axi.harnesses import get

    local_only([s], "resume")
    folder, missing = effective(s.row["dir"])
    if not folder or missing:
        raise ActionError(f"the session's folder {s_dir(s.row['dir'] or '')!r} no longer "
                          f"exists: `axi sessions relink {s.id[:8]} <its new folder>`")
    argv = [*get(s.harness).resume_argv(s.id, s.row["source"]), *flags]
    if shutil.which(argv[0]) is None:
        raise ActionError(f"{argv[0]} is not on PATH: install it to resume {s.id[:8]}")
    if folder != s.row["dir"]:
        get(s.harness).relocate(s.row["source"], s.id, folder)
    return argv, folder


def run_child(argv: list[str], folder: str | None = None) -> int | None:
    """Run `argv` on this terminal (in `folder`) until it ends (`--return`). Ctrl-C belongs to
    the child: the picker ignores it meanwhile, the child gets the default back. None: it
    could not start."""
    import signal

    def default_sigint() -> None:
        signal.signal(signal.SIGINT, signal.SIG_DFL)

    before = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        return subprocess.call(argv, preexec_fn=default_sigint, cwd=folder)
    except OSError:
        return None
    finally:
        signal.signal(signal.SIGINT, before)


def start(harness: str, folder: str, flags: list[str] | None = None) -> str:
    """Launch a new watched session of `harness` in `folder` (`axi sessions new`), with
    `flags` for the harness after its own; its launch id."""
    import shlex

    extra = [f"--args={shlex.join(flags)}"] if flags else []
    data = run_axi("sessions", "new", harness, "--dir", os.path.expanduser(folder or "~"),
                   *extra)
    return str(data.get("id") or data.get("launch") or "")


def diff_text(s: Session) -> str:
    """What changed in the session's folder since it started (`git diff --stat` and the
    diff against the last commit before its first turn); a note when it is not a git repo."""
    if s.remote:
        return f"{s.id[:8]} is on {s.host}: its folder is there, not on this machine"
    folder = os.path.expanduser(s.dir)
    since = s.row["created"]
    try:
        base = _git(folder, "rev-list", "-1", f"--before={int(since or 0)}", "HEAD").strip()
        ref = base or "HEAD"
        return _git(folder, "diff", "--stat", "--patch", ref) or "no changes since it started"
    except ActionError as exc:
        return str(exc)


def _git(folder: str, *args: str) -> str:
    try:
        done = subprocess.run(["git", "-C", folder, *args], capture_output=True, text=True,
                              timeout=10, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ActionError(f"git: {exc}") from None
    if done.returncode:
        raise ActionError(f"no git history to diff in {s_dir(folder)}: "
                          f"{done.stderr.strip()[:120]}")
    return done.stdout


def s_dir(folder: str) -> str:
    from axi.paths import tilde

    return tilde(folder) or folder
