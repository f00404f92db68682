"""The holder's wire format: frames of `type u8 | length u32 LE | payload` on a Unix socket.

A client opens with ATTACH {rows u16, cols u16}. A terminal attach gets the output ring
replayed (BACKLOG), then every OUTPUT; rows = cols = 0 makes a control connection that only
sends input and signals (`axi sessions type`, `kill`). The holder says HELLO first and EXIT
{code i32, signal i32} when the harness ends.
"""

from __future__ import annotations

import socket
import struct

ATTACH, INPUT, RESIZE, DETACH, INTERRUPT, TERMINATE = 0x01, 0x02, 0x03, 0x04, 0x05, 0x06
HELLO, BACKLOG, OUTPUT, EXIT = 0x81, 0x82, 0x83, 0x84
HEADER = struct.Struct("<BI")
MAX_FRAME = 1 << 20


def frame(kind: int, payload: bytes = b"") -> bytes:
    return HEADER.pack(kind, len(payload)) + payload


def size_payload(rows: int, cols: int) -> bytes:
    return struct.pack("<HH", rows, cols)


def parse_size(payload: bytes) -> tuple[int, int]:
    rows, cols = struct.unpack("<HH", payload[:4])
    return rows, cols


def exit_payload(code: int | None, sig: int | None) -> bytes:
    return struct.pack("<ii", -1 if code is None else code, sig or 0)


def parse_exit(payload: bytes) -> tuple[int | None, int]:
    code, sig = struct.unpack("<ii", payload[:8])
    return (None if code == -1 else code), sig


class Reader:
    """Splits a byte stream into frames; feed it what `recv` returned."""

    def __init__(self) -> None:
        self.buf = bytearray()

    def feed(self, data: bytes) -> list[tuple[int, bytes]]:
        self.buf += data
        frames = []
        while len(self.buf) >= HEADER.size:
            kind, size = HEADER.unpack_from(self.buf)
            if size > MAX_FRAME:
                raise ValueError(f"frame of {size} bytes is too large")
            end = HEADER.size + size
            if len(self.buf) < end:
                break
            frames.append((kind, bytes(self.buf[HEADER.size:end])))
            del self.buf[:end]
        return frames


def connect(path: str, timeout: float = 2.0) -> socket.socket:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        sock.connect(path)
    except OSError:
        sock.close()
        raise
    return sock
