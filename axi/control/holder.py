"""The holder: one detached process per launched session, owning its pseudo-terminal.

`python -m axi.control.holder <launch id>` starts the harness from the launch record under a
pty, then loops: harness output goes to a 256 KiB ring and to attached terminals; clients on
the Unix socket attach, type, interrupt or ask it to stop; every HEARTBEAT seconds it writes
the heartbeat, adopts the harness's own session id when it mints one, and checks the run's
fences. It notices a login or another prompt blocking the harness (`blocked`) and, under
`--close-on-done`, ends the harness once the session concluded (`closing`). When the harness
exits it records the exit and the outcome, then goes away.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import signal
import socket
import sys
import time

from axi.control import blocked, closing, live, proc, protocol, records

RING = 256 * 1024
ALT_SCREEN = (b"\x1b[?1049h", b"\x1b[?47h")
FENCE_EVERY = 5.0
ADOPT_EVERY = 1.5
ADOPT_FOR = 90.0
SIZE = (40, 120)  # a 0x0 pty makes Claude Code stall
SCAN_EVERY = 0.5  # seconds between looks at the screen for a prompt that blocks


class Client:
    def __init__(self, sock: socket.socket):
        self.sock = sock
        self.reader = protocol.Reader()
        self.attached = False

    def send(self, kind: int, payload: bytes = b"") -> bool:
        try:
            self.sock.sendall(protocol.frame(kind, payload))
            return True
        except OSError:  # a wedged or gone client is dropped, never waited on
            return False


class Holder:
    def __init__(self, launch_id: str):
        self.launch_id = launch_id
        self.conn = records.connect()
        self.row = records.get(self.conn, launch_id)
        if self.row is None:
            raise SystemExit(f"no launch {launch_id}")
        self.spec = records.spec_of(self.row)
        self.ring = bytearray()
        self.clients: dict[int, Client] = {}
        self.sel = selectors.DefaultSelector()
        self.last_output = time.time()
        self.stop_reason: str | None = None
        self.kill_at: float | None = None
        self.next_beat = 0.0
        self.finished = False
        self.pty = None
        self.out_total = self.answered_at = self.scanned = 0  # output byte counts
        self.next_scan = 0.0
        self.blocked = blocked.Blocked(self.spec.get("waiting_re"))
        self.told: tuple[str, str] | None = None  # the block the heartbeat carries
        self.close_due = False

    # -- start ------------------------------------------------------------------------------
    def start(self) -> bool:
        from ptyprocess import PtyProcess

        run = records.get_run(self.conn, self.row["run"])
        if run is not None and run["outcome"] == "budget_hit":  # it tripped while we started
            self._record_end(None, None, "budget_hit", "not started: a fence stopped the run")
            return False
        env = {**os.environ, **self.spec["env"]}
        proc.become_subreaper()  # what the harness starts stays below us (see `enclosing`)
        try:
            self.pty = PtyProcess.spawn(self.spec["argv"], cwd=self.spec["dir"], env=env,
                                        dimensions=SIZE)
        except (OSError, FileNotFoundError) as exc:
            self._record_end(None, None, "launch_failed", f"cannot start "
                             f"{self.spec['argv'][0]}: {exc}")
            return False
        me = os.getpid()
        self.token = proc.token(me)
        records.update(self.conn, self.launch_id, holder_pid=me, holder_token=self.token,
                       child_pid=self.pty.pid, child_token=proc.token(self.pty.pid),
                       started=time.time())
        self.listener = self._listen()
        self.sel.register(self.pty.fd, selectors.EVENT_READ, "pty")
        self.sel.register(self.listener, selectors.EVENT_READ, "accept")
        return True

    def _listen(self) -> socket.socket:
        path = live.socket_path(self.launch_id)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        old = os.umask(0o177)
        try:
            sock.bind(path)
        finally:
            os.umask(old)
        sock.listen(16)
        sock.setblocking(False)
        return sock

    # -- loop -------------------------------------------------------------------------------
    def loop(self) -> None:
        wake_r, wake_w = os.pipe()
        os.set_blocking(wake_w, False)
        signal.set_wakeup_fd(wake_w)
        for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
            signal.signal(sig, self._on_signal)
        self.sel.register(wake_r, selectors.EVENT_READ, "wake")
        import threading

        threading.Thread(target=self._watch, name="watch", daemon=True).start()
        while True:
            for key, _ in self.sel.select(timeout=0.25):
                if key.data == "pty":
                    if not self._pump():
                        return self._finish()
                elif key.data == "accept":
                    self._accept()
                elif key.data == "wake":
                    with contextlib.suppress(OSError):
                        os.read(wake_r, 512)
                else:
                    self._serve(key.data)
            if not self.pty.isalive():  # it exited while something it started holds the pty
                return self._finish()
            self._tick()

    def _on_signal(self, signum: int, _frame) -> None:
        self.request_stop("killed")

    def request_stop(self, reason: str) -> None:
        if self.stop_reason is None:
            self.stop_reason = reason
            proc.signal_group(self.pty.pid, signal.SIGTERM)
            self.kill_at = time.monotonic() + proc.KILL_GRACE

    def _pump(self) -> bool:
        try:
            data = os.read(self.pty.fd, 65536)
        except OSError:  # EIO: the harness side of the pty closed
            return False
        if not data:
            return False
        self.last_output = time.time()
        self.out_total += len(data)
        self.ring += data
        if len(self.ring) > RING:
            del self.ring[:len(self.ring) - RING]
        for fd, client in list(self.clients.items()):
            if client.attached and not client.send(protocol.OUTPUT, data):
                self._drop(fd)
        return True

    def _accept(self) -> None:
        try:
            sock, _ = self.listener.accept()
        except OSError:
            return
        sock.setblocking(True)
        sock.settimeout(0.25)
        client = Client(sock)
        self.clients[sock.fileno()] = client
        self.sel.register(sock, selectors.EVENT_READ, client)
        client.send(protocol.HELLO, str(self.pty.pid).encode())

    def _drop(self, fd: int) -> None:
        client = self.clients.pop(fd, None)
        if client:
            with contextlib.suppress(KeyError, ValueError):
                self.sel.unregister(client.sock)
            client.sock.close()

    def _serve(self, client: Client) -> None:
        try:
            data = client.sock.recv(65536)
            frames = client.reader.feed(data) if data else None
        except (OSError, ValueError):
            frames = None
        if not frames:
            if frames is None:
                self._drop(client.sock.fileno())
            return
        for kind, payload in frames:
            if not self._handle(client, kind, payload):
                self._drop(client.sock.fileno())
                return

    def _handle(self, client: Client, kind: int, payload: bytes) -> bool:
        if kind == protocol.ATTACH:
            rows, cols = protocol.parse_size(payload)
            if rows and cols:
                client.attached = True
                self.pty.setwinsize(rows, cols)
                client.send(protocol.BACKLOG, self._replay())
        elif kind == protocol.RESIZE:
            self.pty.setwinsize(*protocol.parse_size(payload))
        elif kind == protocol.INPUT:
            self._write(payload)
            if blocked.answers(payload):
                self._answered()
        elif kind == protocol.INTERRUPT:
            self._write(b"\x03")
            self._answered()
        elif kind == protocol.TERMINATE:
            self.request_stop(payload.decode() or "killed")
        elif kind == protocol.DETACH:
            return False
        return True

    def _write(self, data: bytes) -> None:
        with contextlib.suppress(OSError):
            view = memoryview(data)
            while view:
                view = view[os.write(self.pty.fd, view):]

    def _answered(self) -> None:
        """A prompt on the screen had its answer: only what the harness shows next counts."""
        self.answered_at = self.scanned = self.out_total
        self.blocked.answered()

    def _look(self, now: float) -> None:
        """Judge the screen again when there is new output; beat at once when what blocks the
        session changed (a hook's report, read by the watcher, counts too)."""
        if now >= self.next_scan and self.scanned != self.out_total:
            self.next_scan, self.scanned = now + SCAN_EVERY, self.out_total
            fresh = min(self.out_total - self.answered_at, len(self.ring))
            self.blocked.look(bytes(self.ring[len(self.ring) - fresh:]))
        if self.blocked.now() != self.told:
            self.told = self.blocked.now()
            self.next_beat = 0.0

    def _replay(self) -> bytes:
        ring = bytes(self.ring)
        start = max(ring.rfind(m) for m in ALT_SCREEN)
        return ring[start:] if start > 0 else ring

    def _tick(self) -> None:
        now = time.time()
        if self.kill_at is not None and time.monotonic() >= self.kill_at:
            proc.signal_group(self.pty.pid, signal.SIGKILL)
            self.kill_at = None
        if self.close_due:
            self.request_stop("closed")
        self._look(now)
        if now >= self.next_beat:
            self.next_beat = now + live.HEARTBEAT
            proc.reap_orphans(keep=self.pty.pid)
            live.beat(self.launch_id, self.last_output, os.getpid(), self.token, self.pty.pid,
                      self.told)

    def _watch(self) -> None:
        """Adoption and fence checks read the catalog, which may take a second or two; they
        run here, beside the loop, so the terminal is never kept waiting."""
        conn = records.connect()
        next_adopt = next_fence = next_close = 0.0
        while not self.finished:
            now = time.time()
            try:
                if self.row["session"] is None and now >= next_adopt:
                    next_adopt = now + ADOPT_EVERY
                    self._adopt(conn, now)
                if now >= next_fence and self.stop_reason is None:
                    next_fence = now + FENCE_EVERY
                    self._check_fences(conn)
                self.blocked.read_hooks(self.row["session"])
                if self.spec.get("close_on_done") and now >= next_close:
                    next_close = now + closing.EVERY
                    self.close_due = closing.due(conn, self.launch_id, self.last_output, now)
                from axi.index.catalog import reap_sweepers

                reap_sweepers()  # index sweeps the catalog started: no zombies while we live
            except Exception as exc:  # a catalog hiccup must not end the watching
                sys.stderr.write(f"axi holder: watch: {exc}\n")
                from axi.diaglog import note  # at most once a minute for the same error

                note("holder", f"watch {self.launch_id}: {type(exc).__name__}: {exc}", exc)
            time.sleep(0.25)

    def _check_fences(self, conn) -> None:
        from axi.control import runs

        why = runs.check_fences(conn, self.row["run"])
        if why:  # the cascade it starts stops this session too, in its turn
            runs.trip(conn, self.row["run"], why)

    def _adopt(self, conn, now: float) -> None:
        from axi.control import adopt

        if now - self.row["created"] > ADOPT_FOR:
            return
        found = adopt.find_session(conn, self.row)
        if found:
            records.update(conn, self.launch_id, session=found)
            self.row = records.get(conn, self.launch_id)

    # -- end --------------------------------------------------------------------------------
    def _finish(self) -> None:
        self.finished = True
        self._drain()
        code, sig = self._reap()
        if self.row["session"] is None:
            self._adopt(self.conn, time.time())
        self._record_end(code, sig, self.stop_reason or "exit", _tail(self.ring))
        for fd, client in list(self.clients.items()):
            client.send(protocol.EXIT, protocol.exit_payload(code, sig))
            self._drop(fd)
        with contextlib.suppress(OSError):
            self.listener.close()
            os.unlink(live.socket_path(self.launch_id))
        live.clear(self.launch_id)

    def _drain(self) -> None:
        """Keep what the harness wrote just before it exited (its last words matter most)."""
        import select

        for _ in range(64):
            try:
                ready, _, _ = select.select([self.pty.fd], [], [], 0.05)
                if not ready or not self._pump():
                    return
            except (OSError, ValueError):
                return

    def _reap(self) -> tuple[int | None, int | None]:
        deadline = time.monotonic() + 5
        while self.pty.isalive() and time.monotonic() < deadline:
            time.sleep(0.02)
        if self.pty.isalive():
            proc.signal_group(self.pty.pid, signal.SIGKILL)
            self.pty.wait()
        # Whatever else the harness started in its session goes with it.
        proc.signal_group(self.pty.pid, signal.SIGKILL)
        return self.pty.exitstatus, self.pty.signalstatus

    def _record_end(self, code: int | None, sig: int | None, reason: str, tail: str) -> None:
        from axi.control import runs

        records.update(self.conn, self.launch_id, ended=time.time(), exit_code=code,
                       exit_signal=sig, end_reason=reason, tail=tail)
        runs.after_exit(self.conn, self.launch_id)


def _tail(ring: bytearray, limit: int = 4000) -> str:
    from axi.control.screen import plain

    return plain(bytes(ring[-limit * 4:]))[-limit:]


def main(argv: list[str]) -> int:
    if len(argv) not in (1, 2):
        sys.stderr.write("usage: python -m axi.control.holder <launch id> [<state dir>]\n")
        return 2
    if len(argv) == 2:
        os.environ["AXI_HOME"] = argv[1]
    holder = Holder(argv[0])
    if holder.start():
        holder.loop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
