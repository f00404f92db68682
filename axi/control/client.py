"""Talking to a holder: typing into a session, and attaching a terminal to it."""

from __future__ import annotations

import contextlib
import os
import selectors
import signal
import socket
import sys
import time

from axi.control import protocol

PASTE_START, PASTE_END = b"\x1b[200~", b"\x1b[201~"
SUBMIT_DELAY = 0.15  # some harnesses (Codex) take text and Enter in one read as a paste
DETACH_PREFIX, DETACH_KEY, QUIT_KEY = b"\x01", b"d", b"\x1c"  # Ctrl-A d, or Ctrl-\
# Modes a harness may have turned on that must not outlive the attach in the user's terminal.
RESET_MODES = (b"\x1b[?1000l\x1b[?1002l\x1b[?1003l\x1b[?1006l\x1b[?1004l\x1b[?2004l"
               b"\x1b[>4;0m\x1b[<u\x1b[?25h\x1b[?1049l")


def control(path: str) -> socket.socket:
    sock = protocol.connect(path)
    sock.sendall(protocol.frame(protocol.ATTACH, protocol.size_payload(0, 0)))
    return sock


def type_text(path: str, text: str, submit: bool = True, interrupt: bool = False) -> None:
    """Type `text` into the session (several lines as one paste), then press Enter."""
    with control(path) as sock:
        if interrupt:
            sock.sendall(protocol.frame(protocol.INTERRUPT))
            time.sleep(SUBMIT_DELAY)
        if text:
            data = text.encode()
            if "\n" in text:
                data = PASTE_START + data + PASTE_END
            sock.sendall(protocol.frame(protocol.INPUT, data))
        if submit and text:
            time.sleep(SUBMIT_DELAY)
            sock.sendall(protocol.frame(protocol.INPUT, b"\r"))
        time.sleep(0.02)  # let the holder read before the connection closes


def terminal_size(fd: int) -> tuple[int, int]:
    with contextlib.suppress(OSError):
        size = os.get_terminal_size(fd)
        return size.lines, size.columns
    return 40, 120


class Attach:
    """A terminal attached to a held session until the detach chord or the harness's exit."""

    def __init__(self, path: str, write) -> None:
        self.sock = protocol.connect(path)
        self.sock.settimeout(None)
        self.write = write  # bytes for the terminal go through the output boundary
        self.reader = protocol.Reader()
        self.prefix = False
        self.exit: tuple[int | None, int] | None = None

    def run(self) -> str:
        import termios
        import tty

        fd = sys.stdin.fileno()
        saved = termios.tcgetattr(fd)
        rows, cols = terminal_size(fd)
        self.sock.sendall(protocol.frame(protocol.ATTACH, protocol.size_payload(rows, cols)))
        old_winch = signal.signal(signal.SIGWINCH, lambda *_: self._resize(fd))
        try:
            tty.setraw(fd)
            return self._loop(fd)
        finally:
            signal.signal(signal.SIGWINCH, old_winch)
            termios.tcsetattr(fd, termios.TCSAFLUSH, saved)
            self.write(RESET_MODES + b"\r\n")
            self.sock.close()

    def _resize(self, fd: int) -> None:
        with contextlib.suppress(OSError):
            self.sock.sendall(protocol.frame(protocol.RESIZE,
                                             protocol.size_payload(*terminal_size(fd))))

    def _loop(self, fd: int) -> str:
        sel = selectors.DefaultSelector()
        sel.register(fd, selectors.EVENT_READ, "keys")
        sel.register(self.sock, selectors.EVENT_READ, "holder")
        while True:
            for key, _ in sel.select():
                if key.data == "keys":
                    keys = os.read(fd, 4096)
                    outcome = self._keys(keys) if keys else "detached"
                    if outcome:
                        return outcome
                else:
                    data = self.sock.recv(65536)
                    if not data:
                        return "exited"
                    for kind, payload in self.reader.feed(data):
                        if kind in (protocol.BACKLOG, protocol.OUTPUT):
                            self.write(payload)
                        elif kind == protocol.EXIT:
                            self.exit = protocol.parse_exit(payload)
                            return "exited"

    def _keys(self, keys: bytes) -> str | None:
        out = bytearray()
        for byte in keys:
            b = bytes([byte])
            if self.prefix:
                self.prefix = False
                if b == DETACH_KEY:
                    return self._detach()
                out += b if b == DETACH_PREFIX else DETACH_PREFIX + b
            elif b == DETACH_PREFIX:
                self.prefix = True
            elif b == QUIT_KEY:
                return self._detach()
            else:
                out += b
        if out:
            self.sock.sendall(protocol.frame(protocol.INPUT, bytes(out)))
        return None

    def _detach(self) -> str:
        with contextlib.suppress(OSError):
            self.sock.sendall(protocol.frame(protocol.DETACH))
        return "detached"
