"""Processes as the control plane sees them: alive, really the same process, and stopped.

A pid alone can be reused by an unrelated process after the original exits, so every pid
axi records is paired with the process's start time (`token`); a pid whose token changed is
treated as gone.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time

KILL_GRACE = 3.0  # seconds between SIGTERM and SIGKILL (Claude Code traps SIGTERM)


def token(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (field 22 of /proc/<pid>/stat)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            raw = fh.read()
    except OSError:
        return _ps_token(pid)
    # The command name (field 2) may hold spaces and parentheses: split after the last ')'.
    fields = raw[raw.rfind(b")") + 2:].split()
    if len(fields) > 19 and fields[0] != b"Z":
        return fields[19].decode()
    return None


def _ps_token(pid: int) -> str | None:
    if not os.path.isdir("/proc") and alive(pid):  # macOS and the BSDs have no procfs
        import subprocess

        with contextlib.suppress(OSError, subprocess.SubprocessError):
            out = subprocess.run(["ps", "-o", "lstart=", "-p", str(pid)], capture_output=True,
                                 text=True, timeout=2).stdout.strip()
            return out or None
    return None


def alive(pid: int | None) -> bool:
    if not pid or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def same(pid: int | None, recorded: str | None) -> bool:
    """True while `pid` is still the process that was recorded with start token `recorded`."""
    if not pid or not alive(pid):
        return False
    current = token(pid)
    return current is not None and current == recorded


def signal_group(pid: int, sig: int) -> bool:
    """Send `sig` to the process group led by `pid` (the harness runs in its own session)."""
    try:
        os.killpg(pid, sig)
        return True
    except (ProcessLookupError, PermissionError):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, sig)
            return True
    return False


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


def stop_group(pgid: int, grace: float = KILL_GRACE) -> str:
    """SIGTERM the group, SIGKILL what is left after `grace` seconds; how it ended."""
    if not signal_group(pgid, signal.SIGTERM):
        return "gone"
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        if not group_alive(pgid):
            return "terminated"
        time.sleep(0.05)
    signal_group(pgid, signal.SIGKILL)
    return "killed"
