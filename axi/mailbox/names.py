"""Names and where they are written: agent names, the pointer file that names a folder's
agent, and the person's own name. No identity logic: `identity.py` uses these."""

from __future__ import annotations

import os

from axi.errors import AxiError, UsageFault
from axi.paths import config_at_a_glance, tilde, write_atomic

_NAME_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789_-"


def is_name(name: object) -> bool:
    """An agent name: `[a-z][a-z0-9_-]{0,31}` in full. Checked without `re`, whose import
    (with `enum`) is about 4 ms of the dashboard's start-up."""
    return (isinstance(name, str) and 0 < len(name) <= 32 and "a" <= name[0] <= "z"
            and not name.strip(_NAME_CHARS))
POINTER_DIR = ".axi"


def check_name(raw: str, what: str = "agent name") -> str:
    name = raw.strip().lstrip("@").lower()
    if not is_name(name):
        raise UsageFault(f"invalid {what} {raw!r}",
                         help=["names are 1-32 characters: a letter, then letters, digits, "
                               "- or _ (example: frontend_bot)"])
    return name


def pointer_path(folder: str, tag: str = "") -> str:
    filename = f"agent.{tag}.toml" if tag else "agent.toml"
    return os.path.join(folder, POINTER_DIR, filename)


def find_pointer(start: str, tag: str = "") -> tuple[str, str] | None:
    """(folder, name) of the nearest pointer file at or above `start`."""
    for folder, path in pointer_paths(start, tag):
        if os.path.isfile(path):
            return folder, read_pointer(path)
    return None


def pointer_paths(start: str, tag: str = ""):
    """(folder, its pointer file's path), from `start` resolved up to `/`: where
    `find_pointer` looks, nearest first."""
    folder = os.path.realpath(start)
    while True:
        yield folder, pointer_path(folder, tag)
        parent = os.path.dirname(folder)
        if parent == folder:
            return
        folder = parent


def read_pointer(path: str) -> str:
    try:
        with open(path, "rb") as fh:
            name = _pointer_name(fh.read().decode("utf-8"))
    except (OSError, ValueError) as exc:  # invalid UTF-8 and TOML errors are ValueErrors
        raise AxiError(f"the agent pointer file {tilde(path)} is unreadable: {exc}",
                       code="POINTER_INVALID", help=["fix or delete it, then run "
                                                     "`axi agents init <name>` here"]) from None
    if not is_name(name):
        raise AxiError(f"the agent pointer file {tilde(path)} names no valid agent",
                       code="POINTER_INVALID", help=["run `axi agents init <name>` here"])
    return name


def _pointer_name(text: str) -> object:
    """The `name` a pointer file gives. The file axi writes (comments, `name = "…"`, `tag =
    "…"`) is read line by line; anything else goes to tomllib, whose import costs every mail
    command ~10 ms."""
    found: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, equals, value = (part.strip() for part in line.partition("="))
        if (equals and key in ("name", "tag") and key not in found and len(value) >= 2
                and value[0] == value[-1] == '"' and not any(c in value[1:-1] for c in '"\\')):
            found[key] = value[1:-1]
            continue
        import tomllib

        return tomllib.loads(text).get("name")
    return found.get("name")


def write_pointer(folder: str, name: str, tag: str = "") -> str:
    path = pointer_path(folder, tag)
    text = ("# axi agent pointer: names this folder's agent identity. It holds no secret;\n"
            "# the identity also needs this folder's fingerprint (host, user, real path).\n"
            f'name = "{name}"\n' + (f'tag = "{tag}"\n' if tag else ""))
    return write_atomic(path, text, mode=0o644)  # no secret: readable like its folder


def person_name(config: dict | None = None) -> str:
    """The person's identity name: `[person] name` in config.toml, else the login name made
    into a valid name."""
    if config is None:
        config = config_at_a_glance()
    person = config.get("person")
    name = person.get("name") if isinstance(person, dict) else None
    if isinstance(name, str) and name.strip():
        return check_name(name, "[person] name in config.toml")
    return login_name()


def is_person(name: str) -> bool:
    try:
        return name == person_name()
    except AxiError:
        return False


def login_name() -> str:
    import getpass

    try:
        raw = getpass.getuser()
    except Exception:  # no login name in the environment nor the password database
        raw = ""
    return name_from_login(raw)


def name_from_login(raw: str) -> str:
    """A login name made an agent name: other characters become `-`, a leading non-letter
    gets a `p`, nothing at all is `person`."""
    name = "".join(c if c in _NAME_CHARS else "-" for c in raw.lower())[:32]
    if not name:
        return "person"
    return name if name[0].isalpha() else ("p" + name)[:32]
