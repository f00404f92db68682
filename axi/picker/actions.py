"""What the picker's keys do outside the screen: each one is the `axi` command an agent or a
person would type (run as a child process, `--format json`), so the picker adds no second
path to kill, reply, type, tag or launch; only what has no command yet lives here (approving
from the picker's own terminal, and tags on sessions axi did not launch)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from axi.control import records
from axi.picker import state
from axi.picker.model import Session

TIMEOUT = 60.0


class ActionError(Exception):
    """An action that did not happen, with the reason to show."""


def axi_argv(*args: str) -> list[str]:
    return [sys.executable, "-m", "axi", *args]


def run_axi(*args: str, timeout: float = TIMEOUT) -> dict:
    """Run `axi ARGS --format json` with no terminal; its answer, or ActionError."""
    try:
        done = subprocess.run(axi_argv(*args, "--format", "json"), capture_output=True,
                              text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ActionError(f"axi {args[0]} did not finish: {exc}") from None
    try:
        data = json.loads(done.stdout or "{}")
    except ValueError:
        data = {}
    if not isinstance(data, dict):
        data = {"result": data}
    if done.returncode or "error" in data:
        raise ActionError(data.get("error") or (done.stderr.strip() or "failed")[:200])
    return data


def need_launch(s: Session, verb: str) -> str:
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
    """Labels of launched sessions (`axi sessions tag --label`); the picker's own tags for the
    rest. The row's tags change in place."""
    for s in sessions:
        if s.launch:
            args = [a for e in edits for a in ("--label", e)]
            data = run_axi("sessions", "tag", s.launch, *args)
            s.tags = {**data.get("labels", {}), **state.tags().get(s.key, {})}
        else:
            mine = records.edit_labels(state.tags().get(s.key, {}), edits)
            state.set_tags(s.key, mine)
            s.tags = mine
        s.hay = s.haystack()
    return f"tagged {len(sessions)} session{'s' if len(sessions) != 1 else ''}"


def approve(name: str, code: str) -> str:
    """Approve a pending agent: the person at the picker's terminal is the operator."""
    from axi.errors import AxiError
    from axi.mailbox import db, identity

    try:
        row, already = identity.approve(db.connect(), name, code)
    except AxiError as exc:
        raise ActionError(str(exc)) from None
    return f"{row['name']} was already approved" if already else f"approved {row['name']}"


def open_argv(s: Session) -> list[str]:
    """What Enter runs in the terminal: the holder's attach for a held session, else the
    harness's own resume command in the session's folder (`axi sessions resume`)."""
    if s.attachable and s.launch:
        return axi_argv("sessions", "attach", s.launch)
    return axi_argv("sessions", "resume", s.id)


def run_child(argv: list[str]) -> int | None:
    """Run `argv` on this terminal until it ends (`--return`). Ctrl-C belongs to the child: the
    picker ignores it meanwhile, the child gets the default back. None: it could not start."""
    import signal

    def default_sigint() -> None:
        signal.signal(signal.SIGINT, signal.SIG_DFL)

    before = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        return subprocess.call(argv, preexec_fn=default_sigint)
    except OSError:
        return None
    finally:
        signal.signal(signal.SIGINT, before)


def start(harness: str, folder: str) -> str:
    """Launch a new watched session of `harness` in `folder`; its launch id."""
    data = run_axi("sessions", "new", harness, "--dir", os.path.expanduser(folder or "~"))
    return str(data.get("id") or data.get("launch") or "")


def diff_text(s: Session) -> str:
    """What changed in the session's folder since it started (`git diff --stat` and the
    diff against the last commit before its first turn); a note when it is not a git repo."""
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
