"""Where `axi serve` listens and how it runs: the address checked, the socket bound before
anything is printed (so the URL names the real port), uvicorn run on that socket with its
access log off (a URL carries the token) and its own lines on stderr, never stdout."""

from __future__ import annotations

import ipaddress
import socket

from axi.errors import AxiError, UsageFault

LOG_CONFIG = {
    "version": 1, "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "axi serve: %(message)s"}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "plain",
                            "stream": "ext://sys.stderr"}},
    "loggers": {"uvicorn": {"handlers": ["stderr"], "level": "WARNING", "propagate": False},
                "uvicorn.error": {"level": "WARNING"},
                "uvicorn.access": {"handlers": [], "level": "CRITICAL", "propagate": False}},
}


class Address:
    """A checked --host: its addresses, and whether only this machine can reach them."""

    def __init__(self, host: str, port: int):
        if not 0 <= port <= 65535:
            raise UsageFault(f"--port must be 0 to 65535, not {port}",
                             help=["axi serve --port 8765 (0 picks a free one)"])
        self.host, self.port = host.strip(), port
        try:
            infos = socket.getaddrinfo(self.host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError):
            raise UsageFault(f"--host {host!r} cannot be resolved to an address",
                             help=["leave --host out: 127.0.0.1 serves this machine only"]
                             ) from None
        self.family, _, _, _, self.sockaddr = infos[0]
        ips = {ipaddress.ip_address(i[4][0].split("%")[0]) for i in infos}
        self.loopback = all(ip.is_loopback for ip in ips)
        self.wildcard = any(ip.is_unspecified for ip in ips)

    def names(self) -> frozenset[str] | None:
        """The names a request's Host may give: loopback names (and --host itself), or any
        when the socket takes every address (a wildcard bind, --expose)."""
        if self.wildcard:
            return None
        from axi.console.web.guard import LOOPBACK_NAMES

        return LOOPBACK_NAMES | {self.host.lower().strip("[]")}

    def url_host(self, port: int) -> str:
        host = "127.0.0.1" if self.wildcard else self.host
        return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def check(host: str, port: int, expose: bool) -> Address:
    address = Address(host, port)
    if not address.loopback and not expose:
        raise AxiError(f"--host {host} can be reached from other machines", code="EXPOSED",
                       help=["leave --host out: 127.0.0.1 serves this machine only",
                             f"axi serve --host {host} --expose, if you mean it: then the "
                             "token is all that guards the page, sent in clear over HTTP"])
    return address


def bind(address: Address) -> socket.socket:
    """The listening socket (port 0: a free one), or a TOON error that names the fix."""
    sock = socket.socket(address.family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address.sockaddr)
        sock.listen(128)
    except OSError as exc:
        sock.close()
        import errno

        if exc.errno == errno.EADDRINUSE:
            raise AxiError(f"port {address.port} is in use", code="PORT_IN_USE", help=[
                "axi serve --port 0 picks a free one",
                f"or stop what listens on {address.port}"]) from None
        raise AxiError(f"cannot listen on {address.host}:{address.port}: {exc.strerror}",
                       code="BIND_FAILED", help=["leave --host out (127.0.0.1)",
                                                 "axi serve --port 0 picks a free port"]
                       ) from None
    return sock


def run(sock: socket.socket, app) -> None:
    """Serve until interrupted (Ctrl-C, SIGTERM); open streams get a second to end."""
    import uvicorn

    config = uvicorn.Config(app, log_config=LOG_CONFIG, access_log=False, lifespan="off",
                            ws="none", proxy_headers=False, server_header=False,
                            timeout_graceful_shutdown=1, log_level="warning")
    uvicorn.Server(config).run(sockets=[sock])


def stack() -> str:
    """The web stack's versions; a TOON error naming the install when it is missing."""
    try:
        import starlette
        import uvicorn
    except ImportError as exc:
        raise AxiError(f"the web stack is not installed ({exc.name} is missing)",
                       code="MISSING_DEPENDENCY",
                       help=["pip install 'starlette>=0.40' 'uvicorn>=0.30' (axi's own "
                             "dependencies: reinstall axi)"]) from None
    return f"starlette {starlette.__version__}, uvicorn {uvicorn.__version__}"
