"""`axi ARGS --format json` run as a child process with no terminal: how the picker and the
web page act (kill, reply, launch), so what they do is exactly what the command line does."""

from __future__ import annotations

import json
import subprocess

from axi.errors import AxiError
from axi.paths import module_argv

TIMEOUT = 60.0


def argv(*args: str) -> list[str]:
    return module_argv("axi", *args)


def run_axi(*args: str, timeout: float = TIMEOUT) -> dict:
    """Its JSON answer; AxiError with the child's own error, code and help when it failed."""
    try:
        done = subprocess.run(argv("--format", "json", *args), capture_output=True, text=True,
                              timeout=timeout, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise AxiError(f"axi {args[0]} did not finish: {type(exc).__name__}",
                       code="ACTION_FAILED", help=["try again; `axi log` shows errors"]) from None
    try:
        data = json.loads(done.stdout or "{}")
    except ValueError:
        data = {}
    if not isinstance(data, dict):
        data = {"result": data}
    if done.returncode or "error" in data:
        said = data.get("error") or (done.stderr.strip() or f"axi {args[0]} failed")[:200]
        raise AxiError(str(said), code=str(data.get("code") or "ACTION_FAILED"),
                       help=[str(h) for h in data.get("help") or []])
    return data
