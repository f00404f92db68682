"""The optional tmux backend (`mux = "tmux"` in config.toml): a window per watched session.

The holder stays the one owner of the harness either way, so typing, status, fences and kills
work the same. tmux only adds a view: each watched launch opens a window that runs
`axi sessions attach <id>`, in the tmux server this command runs under, or else in a detached
tmux session named `axi`. Detaching (Ctrl-A d) closes the window; the session keeps running.
"""

from __future__ import annotations

import os
import shutil
import subprocess

from axi.paths import module_argv
from axi.text import shell_word

SESSION = "axi"


def wanted(cfg: dict) -> bool:
    return cfg.get("mux") == "tmux"


def open_window(launch_id: str, name: str | None) -> str | None:
    """Open the session's tmux window; its target (`session:@window`), or None without tmux."""
    tmux = shutil.which("tmux")
    if not tmux:
        return None
    attach = " ".join(shell_word(a) for a in module_argv("axi", "sessions", "attach",
                                                         launch_id))
    title = f"axi:{(name or launch_id[:8])[:20]}"
    if os.environ.get("TMUX"):
        argv = [tmux, "new-window", "-d", "-P", "-F", "#{session_name}:#{window_id}",
                "-n", title, attach]
    elif _has_session(tmux):
        argv = [tmux, "new-window", "-d", "-t", f"{SESSION}:", "-P", "-F",
                "#{session_name}:#{window_id}", "-n", title, attach]
    else:
        argv = [tmux, "new-session", "-d", "-s", SESSION, "-x", "120", "-y", "40", "-P", "-F",
                "#{session_name}:#{window_id}", "-n", title, attach]
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() or None if done.returncode == 0 else None


def _has_session(tmux: str) -> bool:
    done = subprocess.run([tmux, "has-session", "-t", SESSION], capture_output=True, timeout=10)
    return done.returncode == 0


def focus(target: str) -> bool:
    """Show the session's window in the current tmux client; False when that is not possible."""
    tmux = shutil.which("tmux")
    if not tmux or not os.environ.get("TMUX"):
        return False
    done = subprocess.run([tmux, "select-window", "-t", target], capture_output=True,
                          timeout=10)
    if done.returncode != 0:
        return False
    subprocess.run([tmux, "switch-client", "-t", target.split(":")[0]], capture_output=True,
                   timeout=10)
    return True
