"""Worker processes over pipes, for work cut into chunks: a large read of transcripts.

Each worker is a fresh interpreter running a module of axi's (`python -P -m <module>`), never
a fork: a fork would carry the parent's open SQLite connection (and its lock bookkeeping)
into the child. Started before the work is known, they are ready by the time it is.

Every worker gets the whole list of chunks on its stdin and claims the next one from a
counter in a shared file, so all stay busy to the end with nobody handing work out (the
parent does work of its own meanwhile). A worker writes a frame back per chunk (`serve`).
"""

from __future__ import annotations

import fcntl
import os
import pickle
import sys

from axi.quiet import suppress

HEADER = 8  # bytes of frame length before each pickled frame


class Pool:
    """Started with `start`, fed once with `run`, always `close`d."""

    def __init__(self, procs: list, claims: str):
        self.procs, self.claims = procs, claims

    @classmethod
    def start(cls, count: int, module: str, *args: str) -> Pool:
        """`count` processes running `module` with `args`, then the counter's path; the
        module calls `serve`."""
        import subprocess

        from axi.paths import module_argv, state_dir

        fd, claims = _temp_file(state_dir())
        os.close(fd)
        argv = module_argv(module, *args, claims)
        procs = [subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.DEVNULL) for _ in range(count)]
        return cls(procs, claims)

    def run(self, work: list):
        """Hands the workers `work` (a list of chunks) now; returns an iterator of what they
        answer for each chunk as they finish them, and of `Ended(exit code)` for a worker
        that ended early (its unfinished chunks then have no answer)."""
        payload = pickle.dumps(work, protocol=pickle.HIGHEST_PROTOCOL)
        for proc in self.procs:
            try:
                proc.stdin.write(payload)
                proc.stdin.close()
            except OSError:  # it ended already: its reads show that
                pass
        return self._results()

    def _results(self):
        import select

        reading = {proc.stdout.fileno(): (proc, bytearray()) for proc in self.procs}
        while reading:
            for fd in select.select(list(reading), [], [])[0]:
                proc, buffer = reading[fd]
                data = os.read(fd, 1 << 16)
                buffer += data
                yield from _frames(buffer)
                if not data:
                    del reading[fd]
                    code = proc.wait()
                    if code != 0:
                        yield Ended(code)

    def close(self) -> None:
        """End every worker (a worker killed mid-transaction leaves nothing behind)."""
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
        for proc in self.procs:
            proc.wait()
            for pipe in (proc.stdin, proc.stdout):
                with suppress(OSError):
                    pipe.close()
        with suppress(OSError):
            os.unlink(self.claims)


class Ended:
    """A worker that ended before the work did, with its exit code."""

    def __init__(self, code: int):
        self.code = code


def _temp_file(folder: str) -> tuple[int, str]:
    import tempfile

    return tempfile.mkstemp(prefix=".claims-", dir=folder)


def _frames(buffer: bytearray):
    """Take each whole frame off the front of `buffer`."""
    while len(buffer) >= HEADER:
        size = int.from_bytes(buffer[:HEADER], "big")
        if len(buffer) < HEADER + size:
            return
        frame = pickle.loads(buffer[HEADER:HEADER + size])
        del buffer[:HEADER + size]
        yield frame


class turn:  # noqa: N801 - used as `with turn(fd):`
    """An exclusive flock on a file descriptor for as long as the block runs."""

    def __init__(self, fd: int):
        self.fd = fd

    def __enter__(self) -> None:
        fcntl.flock(self.fd, fcntl.LOCK_EX)

    def __exit__(self, *exc) -> None:
        fcntl.flock(self.fd, fcntl.LOCK_UN)


def _claim(fd: int) -> int:
    """The next chunk's number from the shared counter."""
    with turn(fd):
        taken = int.from_bytes(os.pread(fd, 8, 0) or b"\0", "big")
        os.pwrite(fd, (taken + 1).to_bytes(8, "big"), 0)
    return taken


def serve(claims: str, do) -> None:
    """A worker's loop: read the chunks, claim them one at a time and answer `do(chunk)`
    for each, until none is left."""
    counter = os.open(claims, os.O_RDWR)
    work = pickle.load(sys.stdin.buffer)
    out = sys.stdout.buffer
    while (taken := _claim(counter)) < len(work):
        frame = pickle.dumps(do(work[taken]), protocol=pickle.HIGHEST_PROTOCOL)
        out.write(len(frame).to_bytes(HEADER, "big") + frame)
        out.flush()
