"""The diagnostic log's writer: what axi swallowed for an agent's sake, kept for the operator.

`note(source, message, exc)` appends one JSON line (time, level, source, message, pid, and for
an exception its type and traceback) to `log/axi.log` in the state dir. It is called from
places that must never fail (the session hooks, the background sweeper, the holder), so it
never raises, imports only what the hook has loaded anyway (json), and is only ever imported
where an error was already caught. Each line is one `write` on an `O_APPEND` descriptor, so
lines of concurrent processes never interleave. The file is capped at `MAX_BYTES`; past it the
files shift (`axi.log` -> `axi.log.1` -> `axi.log.2`, the oldest dropped) under a lock, so
the log never holds more than `KEEP` files. It never holds message bodies: callers pass what
went wrong, and every field is cut to a bound. `axi log` reads it (`axi/console/logbook.py`).
"""

from __future__ import annotations

import os

FOLDER = "log"
FILE = "axi.log"
MAX_BYTES = 1 << 20  # one file; KEEP of them at most
KEEP = 3
LEVELS = ("debug", "info", "warn", "error")
MAX_MESSAGE = 1000
MAX_TRACEBACK = 8000
QUIET_FOR = 60.0  # the same (source, message) again within this many seconds is not written

_last: dict[tuple[str, str], float] = {}


def log_dir() -> str:
    from axi.paths import state_dir

    return os.path.join(state_dir(), FOLDER)


def files(folder: str | None = None) -> list[str]:
    """The log's files, oldest first (`axi.log.2`, `axi.log.1`, `axi.log`)."""
    folder = folder or log_dir()
    base = os.path.join(folder, FILE)
    return [f"{base}.{i}" for i in range(KEEP - 1, 0, -1)] + [base]


def note(source: str, message: str, exc: BaseException | None = None,
         level: str | None = None, at: float | None = None) -> None:
    """Append one line; errors (an `exc`) carry their traceback. Never raises."""
    import contextlib

    with contextlib.suppress(Exception):  # the log is a courtesy: it never breaks its caller
        _note(source, message, exc, level or ("error" if exc is not None else "info"), at)


def _note(source: str, message: str, exc: BaseException | None, level: str,
          at: float | None) -> None:
    import json
    import time

    now = time.time() if at is None else at
    key = (source, message)
    if at is None and now - _last.get(key, -QUIET_FOR) < QUIET_FOR:
        return  # a loop hitting the same error (the holder's watch) writes it once a minute
    _last[key] = now
    record = {"time": _iso(now), "level": level if level in LEVELS else "info",
              "source": str(source)[:40], "message": _cut(str(message), MAX_MESSAGE),
              "pid": os.getpid()}
    if exc is not None:
        record["error"] = type(exc).__name__
        record["traceback"] = _cut(_traceback(exc), MAX_TRACEBACK, keep_end=True)
    write_line((json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8", "replace"))


def write_line(data: bytes, folder: str | None = None) -> None:
    """One write on an O_APPEND descriptor; shifts the files first when this would pass the cap."""
    from axi.paths import private_open

    folder = folder or log_dir()
    path = os.path.join(folder, FILE)
    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT
    try:
        fd = private_open(path, flags)
    except FileNotFoundError:
        os.makedirs(folder, mode=0o700, exist_ok=True)
        fd = private_open(path, flags)
    try:
        if os.fstat(fd).st_size + len(data) > MAX_BYTES:
            os.close(fd)
            fd = -1
            rotate(folder, len(data))
            fd = private_open(path, flags)
        os.write(fd, data)
    finally:
        if fd >= 0:
            os.close(fd)


def rotate(folder: str, incoming: int = 0) -> None:
    """Shift the files by one under a lock; another process may have done it meanwhile."""
    import contextlib
    import fcntl

    from axi.paths import private_open

    names = files(folder)
    lock = private_open(os.path.join(folder, FILE + ".lock"), os.O_WRONLY | os.O_CREAT)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if os.stat(names[-1]).st_size + incoming <= MAX_BYTES:
                return  # someone shifted them while we waited
        except FileNotFoundError:
            return
        for older, newer in zip(names, names[1:], strict=False):
            with contextlib.suppress(FileNotFoundError):
                os.replace(newer, older)  # the oldest is overwritten: dropped
    finally:
        os.close(lock)  # closing releases the lock


def _iso(ts: float) -> str:
    import time

    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ts)) + f".{int(ts % 1 * 1000):03d}Z"


def _cut(text: str, limit: int, keep_end: bool = False) -> str:
    if len(text) <= limit:
        return text
    return "…" + text[-(limit - 1):] if keep_end else text[:limit - 1] + "…"


def _traceback(exc: BaseException) -> str:
    import traceback  # only here: an error was caught, the cost no longer matters

    return "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)).rstrip()
