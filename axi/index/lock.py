"""One indexer at a time: others wait a little, then read what the index already has."""

from __future__ import annotations

import fcntl
import os
import time

from axi.paths import private_open, state_dir

POLL = 0.02


def scan_lock(wait: float):
    """Yields True while holding the scan lock, False if it stayed busy for `wait` seconds."""
    return file_lock("scan.lock", wait)


def sweep_lock():
    """Held by the one background sweep running (it stats without the scan lock)."""
    return file_lock("sweep.lock", 0)


def open_lock(name: str, folder: str | None = None) -> int:
    """A descriptor on the lock file `name` (in the state dir, or `folder`) to flock."""
    return private_open(os.path.join(folder or state_dir(), name), os.O_RDWR | os.O_CREAT)


class turn:  # noqa: N801 - used as `with turn(fd):`
    """An exclusive flock on a file descriptor for as long as the block runs."""

    def __init__(self, fd: int):
        self.fd = fd

    def __enter__(self) -> None:
        fcntl.flock(self.fd, fcntl.LOCK_EX)

    def __exit__(self, *exc) -> None:
        fcntl.flock(self.fd, fcntl.LOCK_UN)


class file_lock:  # noqa: N801 - used as a function: `with file_lock(name, wait) as held`
    """Holds an exclusive lock on `name` in the state dir; enters as True once held, False if
    it stayed busy for `wait` seconds. A class, not `contextlib.contextmanager`: the dashboard
    takes this lock, and contextlib's import is about 2 ms of its start-up."""

    def __init__(self, name: str, wait: float):
        self.path, self.wait = os.path.join(state_dir(), name), wait
        self.fd: int | None = None
        self.held = False

    def __enter__(self) -> bool:
        self.fd = open_lock(self.path)
        deadline = time.monotonic() + max(0.0, self.wait)
        while True:
            try:
                fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                self.held = True
                return True
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    return False
                time.sleep(POLL)
            except BaseException:
                os.close(self.fd)
                raise

    def __exit__(self, *exc) -> None:
        try:
            if self.held:
                fcntl.flock(self.fd, fcntl.LOCK_UN)
        finally:
            os.close(self.fd)
