"""Shared helpers: seeded ids, clocks, streaming JSONL writers."""

from __future__ import annotations

import base64
import os
import random
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

try:
    import orjson

    def dumps(obj: object) -> bytes:
        return orjson.dumps(obj)

except ImportError:  # pragma: no cover - orjson is a project dependency
    import json

    def dumps(obj: object) -> bytes:
        return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode()


B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
DAY_MS = 86_400_000


def session_rng(seed: int, harness: str, index: int) -> random.Random:
    """One independent, reproducible stream per session (string seeds hash with SHA-512)."""
    return random.Random(f"{seed}/{harness}/{index}")


def hexstr(rng: random.Random, n: int) -> str:
    return f"{rng.getrandbits(4 * n):0{n}x}"


def b62(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(B62) for _ in range(n))


def uuid4(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def uuid7(rng: random.Random, ms: int) -> str:
    """RFC 9562 UUIDv7: 48-bit unix ms, version 7, 74 random bits."""
    rand_a = rng.getrandbits(12)
    rand_b = rng.getrandbits(62)
    value = (ms & ((1 << 48) - 1)) << 80 | 0x7 << 76 | rand_a << 64 | 0b10 << 62 | rand_b
    return str(uuid.UUID(int=value))


def b64_blob(rng: random.Random, nbytes: int) -> str:
    return base64.b64encode(rng.randbytes(nbytes)).decode()


def iso_ms(ms: int) -> str:
    """2026-11-21T23:28:44.162Z"""
    sec, milli = divmod(ms, 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(sec)) + f".{milli:03d}Z"


def iso_file_ms(ms: int) -> str:
    """pi file-name form: 2026-11-21T23-30-15-745Z"""
    return iso_ms(ms).replace(":", "-").replace(".", "-")


def day_dir(ms: int) -> tuple[str, str, str]:
    t = time.gmtime(ms // 1000)
    return f"{t.tm_year:04d}", f"{t.tm_mon:02d}", f"{t.tm_mday:02d}"


def parse_iso(text: str) -> int:
    dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return int(dt.timestamp() * 1000)


class Clock:
    """Monotonic ms clock that never passes ``limit`` by more than 1 ms per tick."""

    def __init__(self, rng: random.Random, start_ms: int, limit_ms: int) -> None:
        self.rng = rng
        self.ms = start_ms
        self.limit = limit_ms

    def tick(self, lo_ms: int, hi_ms: int) -> int:
        step = self.rng.randint(lo_ms, hi_ms)
        self.ms = self.ms + step if self.ms + step <= self.limit else self.ms + 1
        return self.ms


class JsonlWriter:
    """Buffered line writer that counts bytes; never holds more than the buffer in memory."""

    def __init__(self, path: Path, append: bool = False) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.fh = open(path, "ab" if append else "wb", buffering=1 << 20)  # noqa: SIM115
        self.bytes = 0
        self.lines = 0

    def write(self, obj: object) -> None:
        self.write_raw(dumps(obj))

    def write_raw(self, line: bytes) -> None:
        self.fh.write(line)
        self.fh.write(b"\n")
        self.bytes += len(line) + 1
        self.lines += 1

    def close(self, mtime_ms: int | None = None) -> None:
        self.fh.close()
        if mtime_ms is not None:
            set_mtime(self.path, mtime_ms)


class CaptureWriter:
    """Same interface as JsonlWriter but keeps the objects (used to replay a fork's parent)."""

    def __init__(self) -> None:
        self.objs: list[object] = []
        self.bytes = 0
        self.lines = 0

    def write(self, obj: object) -> None:
        self.objs.append(obj)
        self.bytes += len(dumps(obj)) + 1
        self.lines += 1

    def close(self, mtime_ms: int | None = None) -> None:
        return None


def set_mtime(path: Path, ms: int) -> None:
    os.utime(path, ns=(ms * 1_000_000, ms * 1_000_000))


def lognormal_int(rng: random.Random, median: float, sigma: float, lo: int, hi: int) -> int:
    import math

    return max(lo, min(hi, int(rng.lognormvariate(math.log(median), sigma))))


class Tokens:
    """Per-session token totals in one harness-neutral shape (see bench/README.md)."""

    __slots__ = ("input", "output", "cache_read", "cache_write", "reasoning")

    def __init__(self) -> None:
        self.input = self.output = self.cache_read = self.cache_write = self.reasoning = 0

    def add(self, inp: int, out: int, cread: int, cwrite: int, reasoning: int = 0) -> None:
        self.input += inp
        self.output += out
        self.cache_read += cread
        self.cache_write += cwrite
        self.reasoning += reasoning

    def as_dict(self) -> dict[str, int]:
        total = self.input + self.output + self.cache_read + self.cache_write
        return {
            "input": self.input,
            "output": self.output,
            "cache_read": self.cache_read,
            "cache_write": self.cache_write,
            "reasoning": self.reasoning,
            "total": total,
        }
