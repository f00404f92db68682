"""One indexer at a time: others wait a little, then read what the index already has."""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import Iterator

from axi.paths import private_open, state_dir

POLL = 0.02


def scan_lock(wait: float):
    """Yields True while holding the scan lock, False if it stayed busy for `wait` seconds."""
    return file_lock("scan.lock", wait)


def sweep_lock():
    """Held by the one background sweep running (it stats without the scan lock)."""
    return file_lock("sweep.lock", 0)


@contextlib.contextmanager
def file_lock(name: str, wait: float) -> Iterator[bool]:
    path = os.path.join(state_dir(), name)
    fd = private_open(path, os.O_RDWR | os.O_CREAT)
    try:
        deadline = time.monotonic() + max(0.0, wait)
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    yield False
                    return
                time.sleep(POLL)
        try:
            yield True
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
