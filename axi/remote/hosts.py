"""`[[host]]` blocks and `[machine] name` in config.toml: reading them, adding and removing
hosts with tomlkit (comments and layout kept), writing the file atomically."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass

from axi import paths
from axi.control.config_schema import HOST_NAME, HOST_RESERVED
from axi.errors import AxiError, UsageFault
from axi.remote import maybe_configured

DEFAULT_TIMEOUT = 10.0
NAME = re.compile(HOST_NAME)
RESERVED = HOST_RESERVED
@dataclass(frozen=True)
class Host:
    name: str
    transport: list[str]
    axi: list[str]
    timeout: float
    attach_transport: list[str] | None = None

    def argv(self, *words: str) -> list[str]:
        """The argv run locally: the transport, the remote axi, then `words` as written."""
        return [*self.transport, *self.axi, *words]


def words(value: object) -> list[str]:
    """A command as argv: a list as is, a string split as shell words (never run by a shell)."""
    if isinstance(value, list):
        return [str(v) for v in value]
    return shlex.split(str(value))


def from_block(block: dict) -> Host:
    attach = block.get("attach_transport")
    return Host(name=block["name"], transport=words(block["transport"]),
                axi=words(block.get("axi", "axi")),
                timeout=float(block.get("timeout", DEFAULT_TIMEOUT)),
                attach_transport=words(attach) if attach else None)


def configured(config: dict) -> list[Host]:
    return [from_block(b) for b in config.get("host", [])]


def load_hosts() -> list[Host]:
    if not maybe_configured():
        return []
    from axi.control.config import load

    return configured(load())


def find(name: str, hosts: list[Host]) -> Host:
    for host in hosts:
        if host.name == name:
            return host
    known = ", ".join(h.name for h in hosts) or "none configured"
    raise AxiError(f"no host named {name!r} (hosts: {known})", code="UNKNOWN_HOST",
                   help=["`axi hosts` lists them",
                         f'`axi hosts add {name} --transport "ssh -T {name}"` adds it'])


def machine_name(config: dict | None = None) -> str:
    """This machine's name in addresses: `[machine] name`, else the short hostname."""
    if config is None:
        from axi.control.config import load

        config = load() if maybe_configured() or _has_machine() else {}
    from axi.mailbox.relay import this_machine

    return this_machine(config)


def _has_machine() -> bool:
    from axi.paths import config_path

    try:
        with open(config_path(), "rb") as fh:
            return b"[machine]" in fh.read(1024 * 1024)
    except OSError:
        return False


def check_name(name: str) -> None:
    if not NAME.fullmatch(name) or name in RESERVED:
        raise UsageFault(f"{name!r} cannot name a host",
                         help=["a host name is letters, digits, '.', '_' and '-' (not "
                               "`local` or `all`), e.g. `box` or `build-1`"])


def add(name: str, transport: str, axi: str | None, timeout: float | None,
        attach_transport: str | None = None) -> dict:
    """Append a [[host]] block; the file is rewritten only when the result validates."""
    check_name(name)
    _check_command(transport, "--transport")
    if axi is not None:
        _check_command(axi, "--axi")
    if attach_transport is not None:
        _check_command(attach_transport, "--attach-transport")
    if timeout is not None and not timeout > 0:
        raise UsageFault("--timeout must be a positive number of seconds",
                         help=["example: --timeout 5"])
    doc, path = _document()
    if any(b.get("name") == name for b in doc.get("host", [])):
        raise AxiError(f"a host named {name!r} is already configured", code="HOST_EXISTS",
                       help=[f"`axi hosts remove {name}` first, or pick another name"])
    import tomlkit

    block = tomlkit.table()
    block["name"] = name
    block["transport"] = transport
    if attach_transport is not None:
        block["attach_transport"] = attach_transport
    if axi is not None:
        block["axi"] = axi
    if timeout is not None:
        block["timeout"] = int(timeout) if float(timeout).is_integer() else timeout
    if "host" not in doc:
        doc["host"] = tomlkit.aot()
    doc["host"].append(block)
    _save(doc, path)
    return dict(block.unwrap())


def remove(name: str) -> None:
    doc, path = _document()
    blocks = doc.get("host", [])
    index = next((i for i, b in enumerate(blocks) if b.get("name") == name), None)
    if index is None:
        find(name, configured(doc.unwrap()))
    del blocks[index]
    if not blocks:
        del doc["host"]
    _save(doc, path)


def _check_command(value: str, flag: str) -> None:
    try:
        argv = shlex.split(value)
    except ValueError as exc:
        raise UsageFault(f"{flag} is not a valid command line: {exc}",
                         help=[f'example: {flag} "ssh -T box"']) from None
    if not argv:
        raise UsageFault(f"{flag} is empty", help=[f'example: {flag} "ssh -T box"'])


def _document():
    """The config as a tomlkit document; a file that does not load is never rewritten."""
    import tomlkit

    from axi.control.config import load
    from axi.paths import config_path

    path = config_path()
    load()  # raises CONFIG_INVALID naming the file and the problem
    try:
        with open(path, encoding="utf-8") as fh:
            return tomlkit.parse(fh.read()), path
    except FileNotFoundError:
        return tomlkit.document(), path


def _save(doc, path: str) -> None:
    from axi.control.config_schema import check

    problem = check(doc.unwrap())
    if problem:
        raise AxiError(f"{path} would be invalid: {problem}", code="CONFIG_INVALID",
                       help=[f"{path} was not changed"])
    paths.write_atomic(path, doc.as_string())
