"""`suppress` and `closing`, as `contextlib` has them, for the modules every session start
imports: `contextlib` imports `collections` and `functools`, about 2 ms of the few a hook
may spend above the interpreter's own start."""

from __future__ import annotations


class suppress:  # noqa: N801 - a drop-in for contextlib.suppress
    """`with suppress(OSError): ...` ends the block quietly on one of `exceptions`."""

    def __init__(self, *exceptions: type[BaseException]):
        self.exceptions = exceptions

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind, exc, tb) -> bool:
        return kind is not None and issubclass(kind, self.exceptions)


class closing:  # noqa: N801 - a drop-in for contextlib.closing
    """`with closing(conn) as c: ...` closes `conn` however the block ends."""

    def __init__(self, thing):
        self.thing = thing

    def __enter__(self):
        return self.thing

    def __exit__(self, *exc) -> None:
        self.thing.close()
