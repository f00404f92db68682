"""What every host integration reports, and where each host keeps its files."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from axi.paths import tilde

SCOPES = ("user", "project")
START_TIMEOUT = 10  # seconds a host waits for the dashboard before starting without it


@dataclass
class Change:
    """One file `axi setup` looked at: what it did there, or why it could not."""

    host: str
    file: str
    action: str = "unchanged"
    changed: bool = False
    error: str | None = None
    steps: list[str] = field(default_factory=list)  # things only the user can do

    def row(self) -> dict:
        return {"host": self.host, "file": tilde(self.file), "action": self.action}


@dataclass
class State:
    """One file as `axi setup status` sees it (read-only)."""

    host: str
    scope: str
    file: str
    state: str  # installed | stale | partial | untrusted | absent | unreadable | unmanaged
    detail: str = ""

    def row(self) -> dict:
        return {"host": self.host, "scope": self.scope, "file": tilde(self.file),
                "state": self.state, "detail": self.detail}


def claude_dir() -> str:
    return os.environ.get("CLAUDE_CONFIG_DIR") or os.path.join(os.path.expanduser("~"), ".claude")


def codex_dir() -> str:
    return os.environ.get("CODEX_HOME") or os.path.join(os.path.expanduser("~"), ".codex")


def opencode_config_dir() -> str:
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return os.path.join(base, "opencode")
