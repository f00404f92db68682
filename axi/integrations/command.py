"""The command a hook runs, and how axi recognises its own hook entries.

Bare `axi` is written only when PATH resolves `axi` to this same executable and that PATH entry
will still be there when the host runs the hook. Otherwise the absolute path is written.
A PATH entry is not trusted for the bare name when it is:
- a shim folder of a version manager (pyenv, asdf, mise, rbenv, nodenv, volta, ...): the shim
  picks an interpreter from the environment the hook runs in, not the one installed into;
- a version manager's per-version folder (`~/.pyenv/versions/3.12/bin`, `~/.asdf/installs/..`,
  `~/.nvm/versions/..`): on PATH only while that version is selected;
- an activated virtualenv (`$VIRTUAL_ENV/bin`) or any virtualenv's `bin` except pipx's and
  uv's tool venvs: on PATH only while activated;
- under a temporary folder (/tmp, /var/tmp, /dev/shm, $TMPDIR): throwaway;
- relative (`.`, empty): depends on the folder the hook runs in.
`~/.local/bin` (pipx, uv tool, pip --user), /usr/local/bin and the like are fine.
An axi that itself lives in a temporary folder gets written as its absolute path too, with a
warning naming the lasting install (`temporary_warning`).
"""

from __future__ import annotations

import os
import shlex
import sys
import tempfile

from axi.paths import module_argv
from axi.text import shell_word

NAME = "axi"
STATE = "state"
# Every host event axi may hold a handler for, and the `axi hook` verb that handler runs.
EVENTS = {"SessionStart": "session-start", "SessionEnd": "session-end",
          "UserPromptSubmit": STATE, "Stop": STATE, "Notification": STATE,
          "PermissionRequest": STATE}
VERBS = frozenset(EVENTS.values())
SHIM_PARTS = ("/shims", "/.pyenv/versions/", "/.asdf/installs/", "/mise/installs/",
              "/.nvm/versions/", "/.rbenv/versions/", "/.volta/", "/.local/share/fnm/")
TOOL_VENVS = ("/pipx/venvs/", "/uv/tools/")
TEMP_ROOTS = ("/tmp/", "/var/tmp/", "/dev/shm/")


def executable() -> list[str]:
    """This axi as an argv prefix: its console script, else `python -m axi`."""
    argv0 = sys.argv[0] if sys.argv else ""
    if os.path.basename(argv0) == NAME and os.path.isfile(argv0):
        return [os.path.abspath(argv0)]
    beside = os.path.join(os.path.dirname(sys.executable), NAME)
    if os.path.isfile(beside) and os.access(beside, os.X_OK):
        return [beside]
    return module_argv(NAME)


def display(exe: list[str]) -> str:
    """The hook line as `axi setup` shows it, with a `<host>` placeholder."""
    return f"{shell_line(choose(exe))} hook session-start|session-end|state --host <host>"


def hook_argv(event: str, host: str, exe: list[str] | None = None) -> list[str]:
    """The full argv of one hook: `<axi> hook session-start --host claude`, `<axi> hook state
    --host codex` (every state event runs the same line: the payload names the event)."""
    return verb_argv(EVENTS[event], host, exe)


def verb_argv(verb: str, host: str, exe: list[str] | None = None) -> list[str]:
    return [*choose(exe or executable()), "hook", verb, "--host", host]


def shell_line(argv: list[str]) -> str:
    return " ".join(shell_word(a) for a in argv)


def choose(exe: list[str], path: str | None = None) -> list[str]:
    """The bare name when PATH finds this same executable in a lasting place, else `exe`."""
    if len(exe) != 1:
        return exe
    found = _on_path(path if path is not None else os.environ.get("PATH", ""))
    if found and _same(found, exe[0]) and lasting(os.path.dirname(found)):
        return [NAME]
    return exe


def _on_path(path: str) -> str | None:
    for entry in path.split(os.pathsep):
        candidate = os.path.join(entry, NAME) if entry else NAME
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate if entry and os.path.isabs(entry) else None
    return None


def _same(a: str, b: str) -> bool:
    try:
        return os.path.samefile(os.path.realpath(a), os.path.realpath(b))
    except OSError:
        return False


def lasting(folder: str) -> bool:
    """Whether a PATH entry will still be on PATH when an agent host runs the hook."""
    return fleeting(folder) is None


def fleeting(folder: str) -> str | None:
    """Why a PATH entry may be gone when the hook runs (None: it lasts)."""
    if not folder or not os.path.isabs(folder):
        return "a relative PATH entry"
    norm = os.path.normpath(folder) + "/"
    if any(part in norm for part in SHIM_PARTS):
        return "a version manager's shim or per-version folder"
    if in_temp(norm):
        return "a temporary folder"
    venv = os.environ.get("VIRTUAL_ENV")
    if venv and norm == os.path.normpath(os.path.join(venv, "bin")) + "/":
        return "the activated virtualenv"
    is_venv = os.path.isfile(os.path.join(os.path.dirname(folder.rstrip("/")), "pyvenv.cfg"))
    if is_venv and not any(t in norm for t in TOOL_VENVS):
        return "a virtualenv, on PATH only while activated"
    return None


def in_temp(path: str) -> bool:
    norm = os.path.normpath(path) + "/"
    temps = {*TEMP_ROOTS, os.path.normpath(tempfile.gettempdir()) + "/"}
    return any(norm.startswith(t) for t in temps)


def temporary_warning(exe: list[str]) -> str | None:
    """What to say when the hooks would run an axi that lives in a temporary folder (a venv
    under /tmp, a CI checkout): every host file then names a path that will be deleted."""
    prog = choose(exe)[0]
    if not os.path.isabs(prog) or not (in_temp(prog) or in_temp(os.path.realpath(prog))):
        return None
    source = shell_word(install_source())
    return (f"the hooks run {prog}, in a temporary folder: they stop working once it is "
            f"deleted. Install axi for good with `pipx install {source}` (or `uv tool install "
            f"{source}`), then run `axi setup hooks` again from that install")


def install_source() -> str:
    """What `pipx install` takes for this axi: its checkout when run from one, else the
    folder it was installed from (pip records it, PEP 610), else `axi`."""
    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    checkout = os.path.dirname(package)
    if os.path.isfile(os.path.join(checkout, "pyproject.toml")):
        return checkout
    return _installed_from() or NAME


def _installed_from() -> str | None:
    import json
    from importlib import metadata
    from urllib.parse import unquote, urlparse

    try:
        record = json.loads(metadata.distribution(NAME).read_text("direct_url.json") or "{}")
    except (metadata.PackageNotFoundError, ValueError, OSError):
        return None
    url = urlparse(record.get("url", "") if isinstance(record, dict) else "")
    path = unquote(url.path) if url.scheme == "file" else ""
    return path if path and os.path.isfile(os.path.join(path, "pyproject.toml")) else None


def parse_managed(command: object) -> tuple[str, str | None] | None:
    """(event word, host) when `command` is an axi hook line, else None."""
    if not isinstance(command, str):
        return None
    try:
        words = shlex.split(command)
    except ValueError:
        return None
    for i in range(len(words) - 1):
        if words[i] == "hook" and words[i + 1] in VERBS and i >= 1:
            prog = words[i - 1]
            if os.path.basename(prog) == NAME or words[max(0, i - 2):i] == ["-m", NAME]:
                rest = words[i + 2:]
                host = rest[rest.index("--host") + 1] if "--host" in rest[:-1] else None
                return words[i + 1], host
    return None


def program(command: str) -> str:
    """The executable part of a managed hook line (for `setup status`)."""
    words = shlex.split(command)
    return shell_line(words[: words.index("hook")])


def runnable(command: str) -> bool:
    """Whether the executable of a hook line exists (a moved axi leaves a stale one)."""
    words = shlex.split(command)
    prog = words[0] if words else ""
    if os.path.isabs(prog):
        return os.path.isfile(prog) and os.access(prog, os.X_OK)
    return _on_path(os.environ.get("PATH", "")) is not None if prog == NAME else True


def explain(exe: list[str], path: str | None = None) -> str:
    """Why the hook runs the bare name or the full path (for `axi setup` output)."""
    if choose(exe, path) == [NAME]:
        return "PATH finds this same axi in a lasting folder"
    if len(exe) != 1:
        return "axi runs as a Python module here"
    found = _on_path(path if path is not None else os.environ.get("PATH", ""))
    if not found:
        return "PATH finds no axi"
    if not _same(found, exe[0]):
        return f"PATH finds another axi first ({found})"
    return f"PATH finds it in {os.path.dirname(found)}, {fleeting(os.path.dirname(found))}"
