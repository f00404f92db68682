"""`axi serve`: the real command in a pseudo-terminal (it starts only from one), real uvicorn on
127.0.0.1, plain HTTP against each endpoint, the guard's refusals, and what it prints."""

from __future__ import annotations

import json
import re
import socket
import sys

import pytest
from mail_support import code_of
from serve_support import Served, person_env
from support import decode_strict

from axi.mailbox import db, identity
from axi.terminal import AGENT_ENV

TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")


def scrub_start(text: str, port: int) -> object:
    data = decode_strict(text)
    return json.loads(json.dumps(data).replace(str(port), "<port>")
                      .replace(re.search(r"token=([\w-]+)", text).group(1), "<token>"))


# ---- starting ---------------------------------------------------------------------------------

def test_start_prints_the_url_with_its_token_once(served, snapshot):
    data = decode_strict(served.output)
    assert TOKEN.fullmatch(served.token)
    assert data["url"] == f"http://127.0.0.1:{served.port}/?token={served.token}"
    assert scrub_start(served.output, served.port) == snapshot


def test_each_start_makes_a_new_token(corpus_home, monkeypatch):
    monkeypatch.delenv("AXI_NOW", raising=False)
    first = Served(corpus_home)
    try:
        second = Served(corpus_home)
        try:
            assert first.token != second.token and first.port != second.port
            status, _, body = second.get("/api/overview", headers={"X-Axi-Token": first.token})
            assert status == 403 and body["code"] == "TOKEN_INVALID"
        finally:
            assert second.stop() == 0
    finally:
        assert first.stop() == 0


def test_an_agent_shell_is_refused_even_at_a_terminal(corpus_home):
    import pexpect

    env = person_env(CLAUDECODE="1")
    child = pexpect.spawn(sys.executable, ["-m", "axi", "serve", "--port", "0"],
                          cwd=str(corpus_home), env=env, encoding="utf-8", timeout=60)
    child.expect(pexpect.EOF)
    child.close()
    data = decode_strict(child.before.replace("\r\n", "\n"))
    assert child.exitstatus == 1 and data["code"] == "NEEDS_OPERATOR"
    assert "CLAUDECODE" in data["error"] and "token" not in child.before


@pytest.mark.parametrize("args", [[], ["--host", "0.0.0.0"], ["--port", "70000"],
                                  ["--host", "nowhere.invalid"], ["--dry-run", "--port", "0"]],
                         ids=["no_terminal", "exposed", "bad_port", "bad_host", "dry_run"])
def test_what_it_says_without_a_terminal(axi, home, monkeypatch, snapshot, args):
    """No terminal here (the `axi` fixture's stdout is a buffer): refused, or checked only."""
    for name in AGENT_ENV:  # as in a person's shell, even when the suite runs in an agent's
        monkeypatch.delenv(name, raising=False)
    result = axi("serve", *args)
    data = result.data
    if "stack" in data:
        assert data["stack"].startswith("starlette ")
        data["stack"] = "<versions>"
    assert "token=" not in result.stdout
    assert {"exit": result.code, "stdout": data} == snapshot


def test_a_port_in_use_names_the_fix(axi, home):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        result = axi("serve", "--dry-run", "--port", str(busy.getsockname()[1]))
    assert result.code == 1 and result.data["code"] == "PORT_IN_USE"
    assert result.data["help"][0] == "axi serve --port 0 picks a free one"


def test_an_exposed_address_says_so_when_it_starts():
    from axi.commands.serve import started
    from axi.console.web.server import Address

    data = started(Address("0.0.0.0", 0), 8765, "t" * 43, "ada")
    assert data["listening"] == "0.0.0.0:8765 (reachable from other machines)"
    assert "travels in clear" in data["warning"]
    assert data["url"] == "http://127.0.0.1:8765/?token=" + "t" * 43


# ---- the guard ----------------------------------------------------------------------------------

PATHS = ["/", "/static/app.js", "/static/app.css", "/api/overview", "/api/sessions",
         "/api/agents", "/api/mail", "/api/mail/1", "/api/tasks", "/api/runs", "/api/activity",
         "/api/events", "/nowhere"]


def test_a_request_without_the_token_is_refused(served):
    for path in PATHS:
        status, _, body = served.get(path, token=False)
        assert status == 403, path
        assert "TOKEN_REQUIRED" in (body["code"] if isinstance(body, dict) else body)
    status, _, body = served.get("/api/sessions", headers={"X-Axi-Token": "x" * 43})
    assert status == 403 and body["code"] == "TOKEN_INVALID"
    status, _, text = served.get("/?token=" + "x" * 43, token=False)
    assert status == 403 and "TOKEN_INVALID" in text
    status, _, body = served.post("/api/agents/bob/revoke", token=False)
    assert status == 403 and body["code"] == "TOKEN_REQUIRED"


def test_the_page_carries_its_token_and_strict_headers(served):
    status, headers, page = served.get(f"/?token={served.token}", token=False)
    assert status == 200 and headers["content-type"].startswith("text/html")
    assert f'content="{served.token}"' in page and "__TOKEN__" not in page
    assert f"/static/app.js?token={served.token}" in page
    assert "script-src 'self'" in headers["content-security-policy"]
    assert headers["x-frame-options"] == "DENY" and headers["referrer-policy"] == "no-referrer"
    assert headers["cache-control"] == "no-store"
    assert not any(k.startswith("access-control-") for k in headers)
    assert "set-cookie" not in headers  # the token never rides in a cookie (shared by ports)
    for name, kind in (("app.js", "text/javascript"), ("app.css", "text/css")):
        status, headers, _ = served.get(f"/static/{name}?token={served.token}", token=False)
        assert status == 200 and headers["content-type"].startswith(kind)
    status, _, body = served.get("/static/../guard.py")
    assert status in (403, 404)


def test_a_host_that_is_not_this_server_is_refused(served):
    """DNS rebinding: another name that resolves to 127.0.0.1 gets nothing, token or not."""
    for host in ("evil.example", f"evil.example:{served.port}", f"127.0.0.1:{served.port + 1}"):
        status, _, body = served.get("/api/overview", headers={"Host": host})
        assert status == 403 and body["code"] == "HOST_REFUSED", host
    for host in (f"localhost:{served.port}", f"127.0.0.1:{served.port}"):
        assert served.get("/api/overview", headers={"Host": host})[0] == 200


def test_no_cors(served):
    status, headers, _ = served.request("OPTIONS", "/api/agents", headers={
        "Origin": "http://evil.example", "Access-Control-Request-Method": "POST"})
    assert status == 405 and not any(k.startswith("access-control-") for k in headers)
    status, headers, _ = served.get("/api/agents", headers={"Origin": "http://evil.example"})
    assert status == 200 and not any(k.startswith("access-control-") for k in headers)


def test_a_write_needs_this_servers_origin(served, served_mail):
    code = code_of("frontbot")
    path = "/api/agents/frontbot/approve"
    for headers, expected in (({"Origin": "http://evil.example"}, "ORIGIN_REFUSED"),
                              ({"Origin": f"http://127.0.0.1:{served.port + 1}"},
                               "ORIGIN_REFUSED"),
                              ({"Origin": "null"}, "ORIGIN_REFUSED"),
                              ({"Origin": None}, "ORIGIN_REQUIRED"),
                              ({"Content-Type": "text/plain"}, "JSON_ONLY")):
        status, _, body = served.post(path, {"code": code}, headers=headers)
        assert status in (403, 415) and body["code"] == expected, headers
    assert identity.require(db.connect(), "frontbot")["state"] == "pending"
    status, _, body = served.post(path, {"code": code}, headers={
        "Origin": None, "Referer": f"http://127.0.0.1:{served.port}/?token=x"})
    assert status == 200 and body == {"approved": "frontbot", "already": False}


