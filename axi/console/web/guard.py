"""What every request to `axi serve` passes before any route sees it (plain ASGI, no imports).

- **Host**: the `Host` header names this server's port and, unless `--expose` bound a wildcard
  address, one of its loopback names. A page on another name that resolves here (DNS
  rebinding) is refused.
- **Token**: the random token `axi serve` printed, in the page's URL (`?token=`), or in the
  `X-Axi-Token` header the page's script sends. No cookie carries it: cookies are shared by
  every port of a host, so another local server would receive it.
- **Origin**: a write (POST) also needs an `Origin` (else a `Referer`) of this very server,
  and a JSON body: a form or a script on another site is refused before the route runs.
- **Headers**: every answer forbids framing, sniffing, caching and referrers, and its
  Content-Security-Policy lets the page load only its own script and style sheet. No CORS
  header is ever sent, and OPTIONS is refused.
"""

from __future__ import annotations

import json
import secrets
from urllib.parse import parse_qs, urlsplit

TOKEN_PARAM = "token"
TOKEN_HEADER = "x-axi-token"
SAFE_METHODS = ("GET", "HEAD")
ALLOWED_METHODS = ("GET", "HEAD", "POST")
LOOPBACK_NAMES = frozenset({"127.0.0.1", "localhost", "::1"})
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"cache-control", b"no-store"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
]
FIX = "open the URL `axi serve` printed in your terminal (it carries the token)"


def new_token() -> str:
    return secrets.token_urlsafe(32)


class Refusal(Exception):
    def __init__(self, status: int, code: str, message: str, fix: str):
        super().__init__(message)
        self.status, self.code, self.message, self.fix = status, code, message, fix


class Guard:
    """ASGI middleware: refuses what fails a check, adds the headers to everything else."""

    def __init__(self, app, token: str, port: int, names: frozenset[str] | None):
        self.app, self.token, self.port = app, token, port
        self.names = names  # the host names `Host` may give; None: any (a wildcard bind)

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "lifespan":
            await self.app(scope, receive, send)
            return
        if scope["type"] != "http":  # no WebSocket route: the live stream is SSE
            await send({"type": "websocket.close", "code": 1008})
            return
        headers = {}
        for key, value in scope.get("headers") or []:
            headers.setdefault(key.decode("latin-1").lower(), value.decode("latin-1"))
        try:
            self.check(scope, headers)
        except Refusal as no:
            await refuse(send, scope.get("path", ""), no)
            return

        async def guarded_send(message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [
                    *[(k, v) for k, v in message.get("headers", [])
                      if not k.lower().startswith(b"access-control-")], *HEADERS]}
            await send(message)

        await self.app(scope, receive, guarded_send)

    def check(self, scope, headers: dict[str, str]) -> None:
        method = scope.get("method", "GET")
        if method not in ALLOWED_METHODS:
            raise Refusal(405, "METHOD", f"{method} is not served here",
                          "the page uses GET and POST only (and no CORS)")
        host = headers.get("host", "")
        self.check_host(host)
        self.check_token(scope, headers)
        if method not in SAFE_METHODS:
            self.check_origin(host, headers)
            kind = headers.get("content-type", "").split(";")[0].strip().lower()
            if kind != "application/json":
                raise Refusal(415, "JSON_ONLY", "a write takes a JSON body",
                              "send Content-Type: application/json")

    def check_host(self, host: str) -> None:
        name, port = split_host(host)
        if port != self.port or (self.names is not None and name not in self.names):
            raise Refusal(403, "HOST_REFUSED", f"this server does not answer to Host {host!r}",
                          f"open http://127.0.0.1:{self.port}/ as `axi serve` printed it")

    def check_token(self, scope, headers: dict[str, str]) -> None:
        given = headers.get(TOKEN_HEADER)
        if given is None:
            query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
            given = (query.get(TOKEN_PARAM) or [None])[0]
        if given is None:
            auth = headers.get("authorization", "")
            given = auth[7:].strip() if auth.lower().startswith("bearer ") else None
        if not given:
            raise Refusal(403, "TOKEN_REQUIRED", "this page needs the token of `axi serve`", FIX)
        if not secrets.compare_digest(given.encode("utf-8", "replace"), self.token.encode()):
            raise Refusal(403, "TOKEN_INVALID", "the token does not match this server "
                          "(each start mints a new one)", FIX)

    def check_origin(self, host: str, headers: dict[str, str]) -> None:
        mine = f"http://{host}"
        origin = headers.get("origin")
        if origin is None and headers.get("referer"):
            parts = urlsplit(headers["referer"])
            origin = f"{parts.scheme}://{parts.netloc}"
        if origin is None:
            raise Refusal(403, "ORIGIN_REQUIRED", "a write needs an Origin header",
                          "the page's own buttons send it; from a script, send "
                          f"Origin: {mine}")
        if origin.rstrip("/") != mine:
            raise Refusal(403, "ORIGIN_REFUSED", f"a write from {origin!r} is refused "
                          "(cross-site request)", f"act from the page itself, at {mine}/")


def split_host(host: str) -> tuple[str, int | None]:
    """(name, port) of a Host header: `127.0.0.1:8765`, `[::1]:8765`; port None when absent."""
    host = host.strip().lower()
    if host.startswith("["):
        name, _, rest = host[1:].partition("]")
        port_text = rest[1:] if rest.startswith(":") else ""
    else:
        name, _, port_text = host.rpartition(":") if ":" in host else (host, "", "")
    try:
        return name, int(port_text) if port_text else None
    except ValueError:
        return name, None


async def refuse(send, path: str, no: Refusal) -> None:
    """The refusal as JSON for the API, as one line of text for a page load."""
    if path.startswith("/api/"):
        body = json.dumps({"error": no.message, "code": no.code, "help": [no.fix]}).encode()
        kind = b"application/json"
    else:
        body = f"{no.status} {no.code}: {no.message}. To fix: {no.fix}.\n".encode()
        kind = b"text/plain; charset=utf-8"
    headers = [(b"content-type", kind), (b"content-length", str(len(body)).encode()), *HEADERS]
    if no.status == 405:
        headers.append((b"allow", ", ".join(ALLOWED_METHODS).encode()))
    await send({"type": "http.response.start", "status": no.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
