"""Harness adapters, one module each, behind the protocol in `base`."""

from __future__ import annotations

from axi.harnesses.base import Harness

NAMES = ("claude", "codex", "opencode", "pi")


def all_harnesses() -> list[Harness]:
    from axi.harnesses.claude import Claude
    from axi.harnesses.codex import Codex
    from axi.harnesses.opencode import Opencode
    from axi.harnesses.pi import Pi

    return [Claude(), Codex(), Opencode(), Pi()]


def get(name: str) -> Harness:
    """One adapter, importing only its own module (with `__import__`: `importlib` imports
    `warnings`, which the dashboard would pay for)."""
    if name not in NAMES:
        raise KeyError(name)
    module = __import__(f"axi.harnesses.{name}", fromlist=[name])
    return getattr(module, name.capitalize())()
