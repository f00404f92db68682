"""Helpers for the picker's tests."""

from __future__ import annotations

SIZE = (120, 36)  # the terminal the headless tests run in


def screen_text(app) -> str:
    """The screen as plain text, one line per row (what a person sees, without colour)."""
    strips = app.screen._compositor.render_strips()
    return "\n".join("".join(seg.text for seg in strip).rstrip() for strip in strips)


def shown(app) -> list[str]:
    """The sessions the table lists, in order, as `harness:title`."""
    from axi.picker.model import Session

    return [f"{r.harness}:{r.title}" for r in app.view.rows if isinstance(r, Session)]


async def type_text(pilot, text: str) -> None:
    for ch in text:
        await pilot.press("space" if ch == " " else ch)


def sync(test):
    """Run an async test body on a fresh event loop (no asyncio plugin needed)."""
    import asyncio
    import functools

    @functools.wraps(test)
    def run(*args, **kwargs):
        return asyncio.run(test(*args, **kwargs))

    return run


def notes(app) -> str:
    """Every notification the app has shown (toasts), one per line."""
    return "\n".join(n.message for n in app._notifications)


async def until(pilot, check, seconds: float = 15.0):
    """Let the app run until `check()` holds (fail after `seconds`)."""
    import time

    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "not in time"
        await pilot.pause(0.1)
