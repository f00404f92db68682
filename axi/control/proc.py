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
    fields = _stat_fields(pid)
    if fields is None:
        return _ps_token(pid)
    if len(fields) > 19 and fields[0] != b"Z":
        return fields[19].decode()
    return None


def _stat_fields(pid: int) -> list[bytes] | None:
    """/proc/<pid>/stat from field 3 (state) on; None where it cannot be read."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            raw = fh.read()
    except OSError:
        return None
    # The command name (field 2) may hold spaces and parentheses: split after the last ')'.
    return raw[raw.rfind(b")") + 2:].split()


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


def parent_of(pid: int) -> int | None:
    """The parent pid from /proc (field 4 of stat); None where there is no procfs."""
    fields = _stat_fields(pid)
    try:
        return int(fields[1]) if fields else None
    except (ValueError, IndexError):
        return None


def ancestors(pid: int | None = None, limit: int = 128) -> list[int]:
    """The pids above `pid` (this process by default), its parent first, up to pid 1."""
    chain: list[int] = []
    current = os.getpid() if pid is None else pid
    while len(chain) < limit:
        parent = parent_of(current)
        if not parent or parent in chain:
            break
        chain.append(parent)
        current = parent
    return chain


def cmdline(pid: int) -> list[str]:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            return [w.decode("utf-8", "replace") for w in fh.read().split(b"\0") if w]
    except OSError:
        return []


def become_subreaper() -> bool:
    """Make orphaned descendants reparent to this process instead of init (Linux), so a
    process that double-forks or calls setsid is still found below it."""
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(36, 1, 0, 0, 0) == 0  # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        return False


def reap_orphans(keep: int) -> None:
    """Reap ended children other than `keep` (a subreaper inherits other people's zombies);
    `keep`'s own exit status is left for whoever waits for it."""
    while True:
        try:
            info = os.waitid(os.P_ALL, 0, os.WEXITED | os.WNOHANG | os.WNOWAIT)
        except ChildProcessError:
            return
        if info is None or info.si_pid == keep:
            return
        with contextlib.suppress(ChildProcessError):
            os.waitpid(info.si_pid, os.WNOHANG)
