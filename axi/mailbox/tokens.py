"""Service senders' token files: how a script that is not an agent in a folder proves it is the
service sender a person approved.

Approving a service sender mints a random token, writes it to `tokens/<name>.token` in the
private state dir (0600, written to a temporary file and renamed into place, so a reader never
sees half of it) and keeps only its SHA-256 in the mailbox. A script names the file
(`--token-file PATH` or AXI_TOKEN_FILE); axi hashes what it reads and compares. Revoking clears
the hash and deletes the file; approving again mints a new token, so an old copy is worthless.

What the file protects: the identity is usable only by whoever can read the file (by default
this user; copy it to a CI secret store as you would any credential). What it does not: any
process running as this user can read it, as it can read the mailbox itself; the token is a
bearer secret, so a copy works until the person revokes it.
"""

from __future__ import annotations

import os

from axi.errors import AxiError
from axi.paths import state_dir, tilde, write_atomic
from axi.quiet import suppress

ENV = "AXI_TOKEN_FILE"
FOLDER = "tokens"
MAX_FILE = 4096


def path_for(name: str) -> str:
    return os.path.join(state_dir(), FOLDER, f"{name}.token")


def digest(token: str) -> str:
    from axi.text import sha256_hex

    return sha256_hex(token.encode("ascii"))


def mint() -> str:
    import secrets

    return secrets.token_urlsafe(32)


def write(name: str, token: str) -> str:
    """Write `name`'s token file atomically (0600); returns its path."""
    path = path_for(name)
    os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
    text = (f"# axi service sender token: whoever can read this file can send mail as @{name}.\n"
            f"# `axi agents revoke {name}` invalidates it; approving again writes a new one.\n"
            f'name = "{name}"\ntoken = "{token}"\n')
    with suppress(FileNotFoundError):
        os.unlink(path)  # a new file, so it is made 0600 whatever the old one was
    return write_atomic(path, text, mode=0o600)


def remove(name: str) -> None:
    with suppress(OSError):
        os.unlink(path_for(name))


def given(token_file: str | None) -> str | None:
    """The token file the caller named: `--token-file`, else AXI_TOKEN_FILE."""
    return token_file or os.environ.get(ENV) or None


def read(path: str) -> tuple[str | None, str]:
    """(name, token) from a token file; a clear error when it cannot be used."""
    try:
        fd = os.open(os.path.expanduser(path), os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        with os.fdopen(fd, "rb") as fh:
            mode = os.fstat(fh.fileno()).st_mode
            raw = fh.read(MAX_FILE + 1)
    except OSError as exc:
        raise AxiError(f"cannot read the token file {tilde(path)}: {exc.strerror}",
                       code="TOKEN_FILE_UNREADABLE",
                       help=["give the path printed when the service sender was approved"]
                       ) from None
    if mode & 0o077:
        raise AxiError(f"the token file {tilde(path)} is readable by other users; it was "
                       "not used", code="TOKEN_FILE_OPEN",
                       help=[f"chmod 600 {tilde(path)}, then run the command again"])
    found: dict[str, str] = {}
    try:
        text = raw[:MAX_FILE].decode("ascii")
    except UnicodeDecodeError:
        text = ""
    for line in text.splitlines():
        key, equals, value = (part.strip() for part in line.partition("="))
        if equals and key in ("name", "token") and len(value) >= 2 and value[0] == value[-1] == '"':
            found[key] = value[1:-1]
    if not found.get("token"):
        raise AxiError(f"the token file {tilde(path)} holds no token",
                       code="TOKEN_INVALID", help=["give the file axi wrote on approval"])
    return found.get("name"), found["token"]
