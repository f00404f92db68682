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
    for harness in all_harnesses():
        if harness.name == name:
            return harness
    raise KeyError(name)
