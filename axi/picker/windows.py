"""`M`: move the selected sessions' tmux windows into a tmux session the person names.

Only a session axi holds under `mux = "tmux"` has a window: its launch's `tmux` label is the
window's target (`session:@id`, axi/control/mux.py). The window keeps its id when it moves, so
the label is rewritten to the new session, where `axi` finds it next. Everything that cannot
move (no tmux here, no window, a window already closed) is said, never raised past the picker.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess

from axi.picker.actions import ActionError, local_only
from axi.picker.model import Session

NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_-]{0,63}")  # tmux reads '.' and ':' in a target
TIMEOUT = 10.0


def window_of(s: Session) -> str | None:
    """The session's window target (`session:@id`), when axi holds it in tmux."""
    target = s.tags.get("tmux") if s.launch else None
    return target if isinstance(target, str) and ":@" in target else None


def move(sessions: list[Session], into: str) -> str:
    """Move each session's window into tmux session `into` (made when missing); what moved,
    and why the rest did not."""
    local_only(sessions, "move")
    into = into.strip()
    if not NAME.fullmatch(into):
        raise ActionError(f"{into!r} cannot name a tmux session: letters, digits, '_' and '-'")
    tmux = shutil.which("tmux")
    if tmux is None:
        raise ActionError("tmux is not installed here: only sessions axi holds in tmux "
                          '(mux = "tmux" in config.toml) have a window to move')
    skipped = [f"{s.id[:8]} has no tmux window" for s in sessions if window_of(s) is None]
    held = [s for s in sessions if window_of(s) is not None]
    if not held:
        raise ActionError("; ".join(skipped) + ': only sessions axi launched with mux = "tmux" '
                          "have one")
    placeholder = None
    if _tmux(tmux, "has-session", "-t", f"={into}").returncode != 0:
        made = _tmux(tmux, "new-session", "-d", "-s", into, "-P", "-F", "#{window_id}")
        if made.returncode != 0:
            raise ActionError(f"tmux could not make session {into}: {_said(made)}")
        placeholder = made.stdout.strip()  # the shell a new session starts with
    moved = []
    for s in held:
        window = window_of(s).rpartition(":")[2]
        done = _tmux(tmux, "move-window", "-s", window, "-t", f"={into}:")
        if done.returncode != 0:
            skipped.append(f"{s.id[:8]}'s window {window} is gone ({_said(done)})")
            continue
        moved.append(s)
        _relabel(s, f"{into}:{window}")
    if placeholder:
        _tmux(tmux, "kill-window" if moved else "kill-session", "-t", placeholder
              if moved else f"={into}")
    if not moved:
        raise ActionError("; ".join(skipped))
    note = f"moved {len(moved)} window{'s' if len(moved) != 1 else ''} to tmux session {into}"
    return note + (f"; {'; '.join(skipped)}" if skipped else "")


def _relabel(s: Session, target: str) -> None:
    """The launch's `tmux` label names the window's new place (and so does the row)."""
    from axi.control import records

    conn = records.connect()
    row = records.get(conn, s.launch)
    if row is not None:
        try:
            labels = json.loads(row["labels"] or "{}")
        except ValueError:
            labels = {}
        records.update(conn, s.launch, labels=json.dumps({**labels, "tmux": target}))
    s.tags["tmux"] = target
    s.hay = s.haystack()


def _tmux(tmux: str, *args: str) -> subprocess.CompletedProcess:
    try:
        return subprocess.run([tmux, *args], capture_output=True, text=True, timeout=TIMEOUT,
                              stdin=subprocess.DEVNULL)
    except (OSError, subprocess.SubprocessError) as exc:
        return subprocess.CompletedProcess([tmux, *args], 1, "", str(exc))


def _said(done: subprocess.CompletedProcess) -> str:
    return (done.stderr or done.stdout or "failed").strip()[:120]
