"""Remote hosts over the user's own transport (`ssh -T box`, `docker exec -i ctr`, any argv).

axi carries no network code: it runs the transport as a subprocess with the remote `axi` after
it, reads one JSON answer whose first field is the protocol version, and keeps each host's
last answer in the state dir. Nothing here is imported by bare `axi` or `axi hook`.
"""

from __future__ import annotations


def maybe_configured() -> bool:
    """Whether config.toml may hold a `[[host]]` block, from its bytes, without parsing it:
    `axi sessions` asks on every call and pays neither tomlkit nor `re` when there are none."""
    from axi.paths import config_path

    try:
        with open(config_path(), "rb") as fh:
            text = fh.read(1024 * 1024)
    except OSError:
        return False
    return any(line.translate(None, b" \t").startswith(b"[[host]]")
               for line in text.splitlines())
