"""Helpers for `axi serve` tests: the real command started in a pseudo-terminal (it starts only
from one), plain HTTP requests to it, and the corpus home it serves."""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import signal
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import pexpect

from axi.terminal import AGENT_ENV

CORPUS = Path(__file__).resolve().parent / "corpus"
START_TIMEOUT = 60


def person_env(**extra: str) -> dict:
    """This environment as a person's terminal has it: no agent harness variable, and the real
    clock (the live stream follows real time)."""
    env = {k: v for k, v in os.environ.items() if k not in AGENT_ENV and k != "AXI_NOW"}
    env.update(extra)
    return env


def corpus_into(home: Path) -> None:
    for harness in ("claude", "codex", "opencode", "pi"):
        shutil.copytree(CORPUS / harness / "home", home, dirs_exist_ok=True)


class Served:
    """`axi serve --port 0` in a pseudo-terminal, until `stop`."""

    def __init__(self, cwd: Path, *args: str, env: dict | None = None):
        self.child = pexpect.spawn(sys.executable, ["-m", "axi", "serve", "--port", "0", *args],
                                   cwd=str(cwd), env=env or person_env(), encoding="utf-8",
                                   timeout=START_TIMEOUT, dimensions=(50, 400))
        self.child.expect("Ctrl-C stops it")
        self.output = (self.child.before + self.child.after).replace("\r\n", "\n") + "\n"
        found = re.search(r'url: "?(http://[^\s"]+)', self.output)
        assert found, self.output
        self.url = found.group(1)
        self.base, _, self.token = self.url.partition("/?token=")
        self.port = urlsplit(self.base).port
        self.host = f"127.0.0.1:{self.port}"

    def stop(self) -> int | None:
        """Ctrl-C, as the person would; the exit status (None: it had to be killed)."""
        if not self.child.isalive():
            return self.child.exitstatus
        self.child.kill(signal.SIGINT)
        try:
            self.child.expect(pexpect.EOF, timeout=15)
        except pexpect.TIMEOUT:
            self.child.kill(signal.SIGKILL)
            self.child.close(force=True)
            return None
        self.child.close()
        return self.child.exitstatus

    def request(self, method: str, path: str, body: object = None, token: bool = True,
                headers: dict | None = None) -> tuple[int, dict, object]:
        """(status, headers, decoded JSON or text) of one request; by default with the token
        header and, for a write, this server's own Origin."""
        sent = {"Host": self.host}
        if token:
            sent["X-Axi-Token"] = self.token
        payload = None
        if method == "POST":
            sent["Origin"] = f"http://{self.host}"
            sent["Content-Type"] = "application/json"
            payload = json.dumps(body if body is not None else {}).encode()
        sent.update(headers or {})
        sent = {k: v for k, v in sent.items() if v is not None}
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request(method, path, body=payload, headers=sent)
            answer = conn.getresponse()
            raw = answer.read()
            got = {k.lower(): v for k, v in answer.getheaders()}
        finally:
            conn.close()
        kind = got.get("content-type", "")
        decoded = json.loads(raw) if kind.startswith("application/json") else raw.decode()
        return answer.status, got, decoded

    def get(self, path: str, **kw) -> tuple[int, dict, object]:
        return self.request("GET", path, **kw)

    def post(self, path: str, body: object = None, **kw) -> tuple[int, dict, object]:
        return self.request("POST", path, body, **kw)


def wait_until(check, seconds: float = 15.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError(f"not within {seconds}s")
