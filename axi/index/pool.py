"""Worker processes over pipes, for work cut into chunks: a large read of transcripts.

Each worker is a fresh interpreter running a module of axi's (`python -P -m <module>`), never
a fork: a fork would carry the parent's open SQLite connection (and its lock bookkeeping)
into the child. Started before the work is known, they are ready by the time it is.

Each phase of work has a file of its own in the private state dir, which every worker opens
as it starts: the chunks are written into it, each pickled, and a worker claims the next one
from a counter at its head, so all stay busy to the end with nobody handing work out (the
parent does work of its own meanwhile). Its stdin only tells it where the chunks lie, so no
process holds more than the chunk it reads. A worker writes a frame back per chunk.
"""

from __future__ import annotations

import os
import pickle
import sys

from axi.index.lock import turn
from axi.quiet import suppress

HEADER = 8  # bytes of frame length before each pickled frame
COUNTER = 8  # bytes at the head of a phase's file: how many of its chunks are claimed


class Pool:
    """Started with `start`, fed with `run`, then maybe handed on a last phase of work to
    finish alone (`hand_on`); always `close`d, which ends them unless they were handed on.

    A worker's answers wait in its pipe until `run`'s iterator reads them: a few dozen bytes
    a chunk, so a worker stalls only if tens of thousands of warnings are never read."""

    def __init__(self, procs: list, claims: list[str]):
        self.procs, self.claims = procs, claims
        self.handed = False

    @classmethod
    def start(cls, count: int, module: str, *args: str, phases: int = 1) -> Pool:
        """`count` processes running `module` with `args`, then a counter's path for each
        of the `phases` of work they may get; the module calls `serve`."""
        import subprocess

        from axi.paths import module_argv, state_dir

        pool = cls([], [])
        try:
            for _ in range(phases):
                fd, path = _temp_file(state_dir())
                os.close(fd)
                pool.claims.append(path)
            argv = module_argv(module, *args, *pool.claims)
            for _ in range(count):
                pool.procs.append(subprocess.Popen(
                    argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                    stderr=subprocess.DEVNULL))
        except OSError:  # the ones started end, and no counter is left behind
            pool.close()
            raise
        return pool

    def run(self, work: list):
        """Hands the workers `work` (a list of chunks) now; returns an iterator of what they
        answer for each chunk as they finish them, and of `Ended(exit code)` for a worker
        that ended early (its unfinished chunks then have no answer)."""
        self._send(work, self.claims[0])
        return self._results(len(work))

    def hand_on(self, work: list) -> None:
        """After `run`'s answers: the workers' last phase, which they finish on their own,
        answering nobody; this process may end meanwhile (a longer-lived one reaps them
        with `reap`)."""
        self._send(work, self.claims[-1])
        for proc in self.procs:
            with suppress(OSError):
                proc.stdin.close()
            with suppress(OSError):
                proc.stdout.close()
        HANDED.extend(self.procs)
        self.handed = True

    def _send(self, work: list, claims: str) -> None:
        """Write the chunks into the phase's file; tell each worker where they lie."""
        places = []
        with open(claims, "r+b") as fh:
            fh.seek(COUNTER)
            for chunk in work:
                frame = pickle.dumps(chunk, protocol=pickle.HIGHEST_PROTOCOL)
                places.append((fh.tell(), len(frame)))
                fh.write(frame)
        payload = pickle.dumps(places, protocol=pickle.HIGHEST_PROTOCOL)
        for proc in self.procs:
            try:
                proc.stdin.write(payload)
                proc.stdin.flush()
            except OSError:  # it ended already: its reads show that
                pass

    def _results(self, chunks: int):
        import select

        reading = {proc.stdout.fileno(): (proc, bytearray()) for proc in self.procs}
        while reading and chunks:
            for fd in select.select(list(reading), [], [])[0]:
                proc, buffer = reading[fd]
                data = os.read(fd, 1 << 16)
                buffer += data
                for frame in _frames(buffer):
                    chunks -= 1
                    yield frame
                if not data:
                    del reading[fd]
                    code = proc.wait()
                    if code != 0:
                        yield Ended(code)

    def close(self) -> None:
        """End every worker, unless they were handed on (a worker killed mid-transaction
        leaves nothing behind). Removing the counters tells a worker that starts only now
        that there is nothing left for it."""
        if not self.handed:
            for proc in self.procs:
                if proc.poll() is None:
                    proc.kill()
            for proc in self.procs:
                proc.wait()
                for pipe in (proc.stdin, proc.stdout):
                    with suppress(OSError):
                        pipe.close()
        for path in self.claims:
            with suppress(OSError):
                os.unlink(path)


HANDED: list = []  # workers left to finish on their own, for a long-lived process to reap


def reap() -> None:
    for proc in list(HANDED):
        if proc.poll() is not None:
            HANDED.remove(proc)


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


def _claim(fd: int) -> int:
    """The next chunk's number from the shared counter."""
    with turn(fd):
        taken = int.from_bytes(os.pread(fd, COUNTER, 0) or b"\0", "big")
        os.pwrite(fd, (taken + 1).to_bytes(COUNTER, "big"), 0)
    return taken


def _chunk(fd: int, place: tuple[int, int]) -> list:
    offset, size = place
    return pickle.loads(os.pread(fd, size, offset))


def serve(claims: list[str], *phases) -> None:
    """A worker's loop: for each phase, read its chunks, claim them one at a time and answer
    `phase(chunk)` for each (None: nothing to answer), until none is left. It ends when the
    counters are gone (the pool was closed before this worker got going: the others did
    the work) or a phase's chunks never come (the input closed)."""
    try:
        counters = [os.open(path, os.O_RDWR) for path in claims]
    except FileNotFoundError:
        return
    out = sys.stdout.buffer
    for counter, phase in zip(counters, phases, strict=True):
        try:
            places = pickle.load(sys.stdin.buffer)
        except EOFError:
            return
        while (taken := _claim(counter)) < len(places):
            answer = phase(_chunk(counter, places[taken]))
            if answer is not None:
                frame = pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL)
                out.write(len(frame).to_bytes(HEADER, "big") + frame)
                out.flush()
