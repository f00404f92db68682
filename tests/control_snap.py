"""Helpers for control-plane tests: snapshots of outputs (stdout strictly decoded as TOON;
ids, runs, times, ages and the home folder scrubbed) and a running `sessions read --follow`."""

from __future__ import annotations

import re

from support import decode_strict

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
SHORT = re.compile(r"\b[0-9a-f]{8}\b")
RUN = re.compile(r"run-[0-9a-f]{8}")
ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
FOLDER = re.compile(r"projects/-[^/]+/")
MARKS = ((FOLDER, "projects/<folder>/"), (UUID, "<id>"), (RUN, "<run>"), (ISO, "<time>"),
         (SHORT, "<short>"))
BY_CLOCK = ("age", "took")


def scrub(value: object, home: str) -> object:
    if isinstance(value, dict):
        return {k: (f"<{k}>" if k in BY_CLOCK else scrub(v, home)) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub(v, home) for v in value]
    if isinstance(value, str):
        value = value.replace(home, "<home>")
        for pattern, mark in MARKS:
            value = pattern.sub(mark, value)
    return value


def snap(axi, home, *args) -> dict:
    """Run `axi ARGS` in-process: its exit code and its stdout, decoded as strict TOON."""
    result = axi(*args)
    return scrub({"exit": result.code, "stdout": decode_strict(result.stdout)}, str(home))


class Follower:
    """A running `axi sessions read ARGS`; its stdout lines (one JSON object each) are
    collected as they come."""

    def __init__(self, args: tuple[str, ...], cwd):
        import subprocess
        import sys
        import threading

        self.proc = subprocess.Popen([sys.executable, "-m", "axi", "sessions", "read", *args],
                                     cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True)
        self.lines: list[str] = []
        self.reader = threading.Thread(target=self._pump, daemon=True)
        self.reader.start()

    def _pump(self) -> None:
        for line in self.proc.stdout:
            self.lines.append(line)

    def events(self, kind: str | None = None) -> list[dict]:
        import json

        out = []
        for line in list(self.lines):
            assert line.endswith("\n")
            data = json.loads(line)
            assert isinstance(data, dict)
            if kind is None or data["event"] == kind:
                out.append(data)
        return out

    def at_least(self, count: int, kind: str) -> list[dict] | None:
        found = self.events(kind)
        return found if len(found) >= count else None

    def finish(self, seconds: float = 20) -> int:
        code = self.proc.wait(timeout=seconds)
        self.reader.join(timeout=5)
        return code

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
