"""Run a command and measure the whole process tree: wall time and memory, from /proc.

A sampler thread scans /proc every ~10 ms. A process belongs to the measured tree when it
descends from the spawned child (by ppid) or carries the run's tag in its environment (so a
worker that detaches with setsid/double-fork is still counted). Reported:

* ``wall_exit_s``  spawn -> the spawned process exits
* ``wall_tree_s``  spawn -> no process of the tree is left (detached workers included): seen
  by the sampler, or, with ``wait_tree`` and no sampler, by reaping every orphan as this
  process's child (Linux's child subreaper), which costs the measured run nothing
* ``peak_tree_rss_mb``  the largest sum of VmRSS over the tree in one sample
* ``max_proc_rss_mb``  the largest single-process peak: max of VmHWM seen for any tree member and
  the spawned child's ru_maxrss from wait4 (which also covers children it reaped)
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field

TAG_VAR = "BENCH_RUN_TAG"  # not AXI_: axi keys its replayed dashboard on AXI_ variables


@dataclass
class RunResult:
    cmd: list[str]
    returncode: int
    wall_exit_s: float
    wall_tree_s: float
    peak_tree_rss_mb: float
    max_proc_rss_mb: float
    procs_seen: int
    stdout: str
    stderr: str
    timed_out: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out


def _read(path: str) -> bytes | None:
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except OSError:
        return None


def _ppid_and_start(pid: str) -> tuple[int, int] | None:
    """(ppid, starttime) of a live process; None for a gone or zombie one."""
    raw = _read(f"/proc/{pid}/stat")
    if raw is None:
        return None
    fields = raw[raw.rfind(b")") + 2 :].split()
    if fields[0] in (b"Z", b"X"):
        return None
    return int(fields[1]), int(fields[19])


def _status_kb(pid: int) -> tuple[int, int]:
    raw = _read(f"/proc/{pid}/status")
    rss = hwm = 0
    if raw:
        for line in raw.splitlines():
            if line.startswith(b"VmRSS:"):
                rss = int(line.split()[1])
            elif line.startswith(b"VmHWM:"):
                hwm = int(line.split()[1])
    return rss, hwm


class Sampler(threading.Thread):
    def __init__(self, root_pid: int, tag: str, interval: float = 0.01) -> None:
        super().__init__(daemon=True)
        self.root = root_pid
        self.tag = f"{TAG_VAR}={tag}".encode()
        self.interval = interval
        self.members: dict[tuple[int, int], int] = {}  # (pid, starttime) -> peak VmHWM kB
        self.checked: dict[tuple[int, int], bool] = {}
        self.peak_sum_kb = 0
        self.last_alive = time.perf_counter()
        self.stop_event = threading.Event()
        self.samples = 0
        self.known: dict[int, tuple[int, int]] = {}  # the tree as last seen

    def tagged(self, pid: str, key: tuple[int, int]) -> bool:
        if key not in self.checked:
            env = _read(f"/proc/{pid}/environ") or b""
            self.checked[key] = self.tag in env.split(b"\0")
        return self.checked[key]

    # Listing every process costs ~70 file reads; on 2 cores, doing that every 10 ms took CPU
    # from the very run being measured. Members are re-read every sample, the process list
    # only every RESCAN-th (a new member is found within RESCAN * interval).
    RESCAN = 5

    def sample(self, full: bool = False) -> int:
        """One scan; returns the number of live tree members."""
        self.samples += 1
        if full or self.samples % self.RESCAN == 1 or not self.known:
            procs = self._all_processes()
        else:
            procs = {}
            for pid, (_ppid, start) in self.known.items():
                now = _ppid_and_start(str(pid))
                if now and now[1] == start:  # the same process (its parent may have changed)
                    procs[pid] = now
        return self._measure(procs)

    def _all_processes(self) -> dict[int, tuple[int, int]]:
        procs: dict[int, tuple[int, int]] = {}
        for entry in os.scandir("/proc"):
            if entry.name.isdigit():
                info = _ppid_and_start(entry.name)
                if info:
                    procs[int(entry.name)] = info
        return procs

    def _measure(self, procs: dict[int, tuple[int, int]]) -> int:
        tree = {self.root} if self.root in procs else set()
        changed = True
        while changed:
            changed = False
            for pid, (ppid, _start) in procs.items():
                if pid not in tree and ppid in tree:
                    tree.add(pid)
                    changed = True
        for pid, (_ppid, start) in procs.items():
            if pid not in tree and self.tagged(str(pid), (pid, start)):
                tree.add(pid)
        total = 0
        for pid in tree:
            rss, hwm = _status_kb(pid)
            total += rss
            key = (pid, procs[pid][1])
            self.members[key] = max(self.members.get(key, 0), hwm)
        self.peak_sum_kb = max(self.peak_sum_kb, total)
        if tree:
            self.last_alive = time.perf_counter()
        self.known = {pid: procs[pid] for pid in tree}
        return len(tree)

    def run(self) -> None:
        while not self.stop_event.is_set():
            self.sample()
            self.stop_event.wait(self.interval)


def measure(
    cmd: list[str],
    env: dict[str, str],
    cwd: str | None = None,
    timeout: float = 600.0,
    sample: bool = True,
    settle_timeout: float = 120.0,
    wait_tree: bool = False,
    stdin: bytes = b"",
) -> RunResult:
    """Runs ``cmd`` to completion. ``sample=False`` skips the /proc sampler (pure latency runs);
    ``wait_tree`` (without the sampler) also waits for what the command left running;
    ``stdin``: what the command reads (a hook's payload), from a file, so no writer waits."""
    tag = uuid.uuid4().hex
    env = dict(env, **{TAG_VAR: tag})
    old_switch = sys.getswitchinterval()
    sys.setswitchinterval(0.0005)  # the sampler thread must not delay the waiter for long
    if wait_tree and not sample:
        _subreaper(True)
    try:
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
                tempfile.TemporaryFile() as given:
            given.write(stdin)
            given.seek(0)
            t0 = time.perf_counter()
            proc = subprocess.Popen(
                cmd,
                env=env,
                cwd=cwd,
                stdout=out,
                stderr=err,
                stdin=given,
                start_new_session=True,
            )
            sampler = Sampler(proc.pid, tag) if sample else None
            if sampler:
                sampler.start()
            status, ru, timed_out = _wait(proc, timeout)
            t_exit = time.perf_counter()
            proc.returncode = os.waitstatus_to_exitcode(status)
            t_tree = _settle(sampler, t_exit, settle_timeout)
            if wait_tree and not sampler:
                t_tree = _reap_orphans(t_exit, settle_timeout)
            out.seek(0)
            err.seek(0)
            hwm = max(sampler.members.values(), default=0) if sampler else 0
            return RunResult(
                cmd,
                proc.returncode,
                t_exit - t0,
                t_tree - t0,
                (sampler.peak_sum_kb if sampler else ru.ru_maxrss) / 1024,
                max(hwm, ru.ru_maxrss) / 1024,
                len(sampler.members) if sampler else 1,
                out.read().decode(errors="replace"),
                err.read().decode(errors="replace"),
                timed_out,
            )
    finally:
        sys.setswitchinterval(old_switch)
        if wait_tree and not sample:
            _subreaper(False)


def _subreaper(on: bool) -> None:
    """Orphans of the measured command become this process's children (Linux only)."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(36, int(on), 0, 0, 0)  # PR_SET_CHILD_SUBREAPER


def _reap_orphans(t_exit: float, settle_timeout: float) -> float:
    """Waits for every process the command left behind; returns when the last one ended."""
    last, deadline = t_exit, time.perf_counter() + settle_timeout
    while time.perf_counter() < deadline:
        try:
            pid, _status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            break
        if pid:
            last = time.perf_counter()
        else:
            time.sleep(0.01)
    return last


def _settle(sampler: Sampler | None, t_exit: float, settle_timeout: float) -> float:
    """Keeps sampling while detached tree members live; returns when the last one was seen."""
    if sampler is None:
        return t_exit
    deadline = time.perf_counter() + settle_timeout
    while sampler.sample(full=True) and time.perf_counter() < deadline:
        time.sleep(0.01)
    sampler.stop_event.set()
    sampler.join()
    return max(t_exit, sampler.last_alive)


def _wait(proc: subprocess.Popen, timeout: float):
    """Blocking wait4; a timer kills the child's own process group (and only it) on timeout."""
    fired = threading.Event()

    def kill() -> None:
        fired.set()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)

    timer = threading.Timer(timeout, kill)
    timer.start()
    try:
        _pid, status, ru = os.wait4(proc.pid, 0)
    finally:
        timer.cancel()
    return status, ru, fired.is_set()
