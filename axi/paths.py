"""Where axi keeps its state, and how paths are shown to people and agents."""

from __future__ import annotations

import contextlib
import os


def state_dir() -> str:
    """`AXI_HOME` if set, else platformdirs' user state dir for axi (honours XDG_STATE_HOME)."""
    override = os.environ.get("AXI_HOME")
    if override:
        path = os.path.expanduser(override)
    else:
        from platformdirs import user_state_dir

        path = user_state_dir("axi", appauthor=False)
    if not os.path.isdir(path):
        os.makedirs(path, mode=0o700, exist_ok=True)
    return path


def home() -> str:
    return os.path.expanduser("~")


def tilde(path: str | None) -> str | None:
    """Show `path` with the home directory collapsed to `~`."""
    if not path:
        return path
    h = home().rstrip("/")
    if h and (path == h or path.startswith(h + "/")):
        return "~" + path[len(h):]
    return path


def cwd() -> str:
    """The caller's directory as the shell sees it (keeps symlinked paths when PWD agrees)."""
    real = os.getcwd()
    pwd = os.environ.get("PWD")
    if pwd and os.path.isabs(pwd):
        try:
            if os.path.samefile(pwd, real):
                return os.path.normpath(pwd)
        except OSError:
            pass
    return real


def dir_candidates(path: str) -> list[str]:
    """The spellings of one directory a transcript may have recorded (as given, and resolved)."""
    spellings = {os.path.normpath(path)}
    with contextlib.suppress(OSError):
        spellings.add(os.path.realpath(path))
    return sorted(spellings)
